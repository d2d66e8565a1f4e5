//! Bicep: compiled by the Bicep CLI, then read as the ARM template it is.
//!
//! mcpguard does not parse Bicep. It runs the compiler the user deploys
//! with, so what is scanned is exactly what ARM would receive:
//! - `bicep build --stdout --no-restore FILE` (a `.bicep` file) or
//!   `bicep build-params --stdout --no-restore FILE` (a `.bicepparam`, which
//!   prints `{"parametersJson", "templateJson"}`), with `bicep` found on
//!   `PATH`; else the same through `az bicep build|build-params --stdout
//!   --no-restore --file FILE` when only `az` is there;
//! - `--no-restore`: registry modules (`br:`, `br/public:`) are read from the
//!   local cache only, never fetched during a scan (as Terraform registry
//!   modules are read only after `terraform init`); a module not restored is
//!   the compiler's error, and the help says to run `bicep restore`;
//! - with a timeout ([`DEFAULT_TIMEOUT`], or `MCPGUARD_BICEP_TIMEOUT` in
//!   seconds), after which the compiler is killed and the file is an error;
//! - the compiler's errors (`main.bicep(12,5) : Error BCP057: …`) become
//!   located diagnostics at that file, line and column.
//!
//! Where findings point: `bicep build` writes no source map (the compiler
//! has one internally, behind an experimental feature, but the CLI does not
//! print it), so [`SourceLines`] maps a resource to its declaration in the
//! Bicep text: the symbolic name of a `languageVersion` 2.0 template (Bicep
//! keeps the names it was written with) to its `resource NAME` line, and a
//! resource inside a module (a nested deployment) to its line in the
//! module's file; in a classic template (no symbolic names) a resource whose
//! `type@apiVersion` is declared once in the file maps to that declaration.
//! Anything else keeps the template JSON path.
//!
//! A directory is searched for entry files ([`entry_files`]).

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use regex::Regex;
use wait_timeout::ChildExt;

use super::arm::ArmOutput;
use super::template::{self, ParametersFile, TemplateOptions};
use super::InputError;

/// How long one compilation may take. The largest project in the corpus
/// compiles in seconds; the first run of the .NET CLI is slower.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The environment variable that overrides [`DEFAULT_TIMEOUT`] (seconds).
pub const TIMEOUT_VAR: &str = "MCPGUARD_BICEP_TIMEOUT";

/// Whether a path is a Bicep input by its name.
pub fn is_bicep_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e == "bicep" || e == "bicepparam")
}

/// The compiler found on `PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cli {
    Bicep(PathBuf),
    Az(PathBuf),
}

impl Cli {
    /// `bicep` first (what `az bicep` itself runs), then `az`.
    pub fn find() -> Option<Cli> {
        let path = std::env::var_os("PATH")?;
        let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
        find_program(&dirs, "bicep")
            .map(Cli::Bicep)
            .or_else(|| find_program(&dirs, "az").map(Cli::Az))
    }

    /// The command that compiles `file`.
    fn command(&self, file: &Path) -> Command {
        let params = file.extension().is_some_and(|e| e == "bicepparam");
        let verb = if params { "build-params" } else { "build" };
        match self {
            Cli::Bicep(p) => {
                let mut c = Command::new(p);
                c.args([verb, "--stdout", "--no-restore"]).arg(file);
                c
            }
            Cli::Az(p) => {
                let mut c = Command::new(p);
                c.args(["bicep", verb, "--stdout", "--no-restore", "--file"])
                    .arg(file);
                c
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Cli::Bicep(_) => "bicep",
            Cli::Az(_) => "az bicep",
        }
    }
}

fn find_program(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    let names: Vec<String> = if cfg!(windows) {
        ["exe", "cmd", "bat"]
            .iter()
            .map(|e| format!("{name}.{e}"))
            .collect()
    } else {
        vec![name.to_string()]
    };
    dirs.iter()
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// What compiling one file gave.
#[derive(Debug)]
pub struct Compiled {
    /// The ARM template (JSON text).
    pub template: String,
    /// For a `.bicepparam`: the parameters file it compiles to (JSON text).
    pub parameters: Option<String>,
    /// The `.bicep` file the template was compiled from: the file itself, or
    /// the one a `.bicepparam`'s `using` names.
    pub main: PathBuf,
}

/// Compiles one `.bicep` or `.bicepparam` file; `shown` is its path as
/// reports show it. Every error is located where it can be.
pub fn compile(file: &Path, shown: &str) -> Result<Compiled, Vec<InputError>> {
    let Some(cli) = Cli::find() else {
        return Err(vec![no_cli(file, shown)]);
    };
    let timeout = std::env::var(TIMEOUT_VAR)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0 && s.is_finite())
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64);
    let out = run(&cli, file, shown, timeout).map_err(|e| vec![e])?;
    if !out.status_ok {
        let mut errors = compiler_errors(&out.stderr, file, shown);
        if errors.is_empty() {
            let mut msg = format!("`{}` failed to compile it", cli.name());
            let said = out.stderr.trim();
            if !said.is_empty() {
                msg.push_str(": ");
                msg.push_str(&crate::input::snippet::one_line(said, 2000));
            }
            errors.push(InputError::new(shown, msg));
        }
        return Err(errors);
    }
    let main = if file.extension().is_some_and(|e| e == "bicepparam") {
        using_file(file).unwrap_or_else(|| file.to_path_buf())
    } else {
        file.to_path_buf()
    };
    if file.extension().is_some_and(|e| e == "bicepparam") {
        let v: serde_json::Value = serde_json::from_str(&out.stdout).map_err(|e| {
            vec![InputError::new(
                shown,
                format!("`{} build-params` printed no JSON: {e}", cli.name()),
            )]
        })?;
        let text = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        let Some(template) = text("templateJson") else {
            return Err(vec![InputError::new(
                shown,
                "this parameters file's `using` names no local Bicep file, so there is no template to scan",
            )
            .with_help("scan the template it is for with `--parameters`, or point `using` at a .bicep file")]);
        };
        return Ok(Compiled {
            template,
            parameters: text("parametersJson"),
            main,
        });
    }
    Ok(Compiled {
        template: out.stdout,
        parameters: None,
        main,
    })
}

fn no_cli(file: &Path, shown: &str) -> InputError {
    let yourself = if file.extension().is_some_and(|e| e == "bicepparam") {
        let main = using_file(file).unwrap_or_else(|| PathBuf::from("main.bicep"));
        let (json, params) = (
            main.with_extension("json"),
            file.with_extension("parameters.json"),
        );
        format!(
            "`bicep build {} --outfile {}` and `bicep build-params {} --outfile {}`, then `mcpguard scan {} --parameters {}`",
            main.display(),
            json.display(),
            file.display(),
            params.display(),
            json.display(),
            params.display()
        )
    } else {
        let json = file.with_extension("json");
        format!(
            "`bicep build {} --outfile {}`, then `mcpguard scan {}`",
            file.display(),
            json.display(),
            json.display()
        )
    };
    InputError::new(
        shown,
        "a Bicep file needs the Bicep CLI to be scanned, and neither `bicep` nor `az` is on PATH",
    )
    .with_help(format!(
        "install it with `az bicep install` (then put `~/.azure/bin` on PATH) or from https://aka.ms/bicep-install; \
         or compile it yourself and scan the template: {yourself}"
    ))
}

struct RunOutput {
    status_ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the compiler with a timeout. Its output is read on threads while it
/// runs (a full pipe would stall it), each bounded by the input size limit.
fn run(cli: &Cli, file: &Path, shown: &str, timeout: Duration) -> Result<RunOutput, InputError> {
    let mut child = cli
        .command(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| InputError::new(shown, format!("cannot run `{}`: {e}", cli.name())))?;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                let _ = r.take(crate::input::MAX_INPUT_BYTES).read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status = match child.wait_timeout(timeout) {
        Ok(Some(s)) => s,
        Ok(None) | Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(InputError::new(
                shown,
                format!(
                    "`{}` did not finish compiling it within {} s, and was stopped",
                    cli.name(),
                    timeout.as_secs_f64()
                ),
            )
            .with_help(format!(
                "set {TIMEOUT_VAR} (seconds) for a longer limit, or compile it yourself and scan the JSON"
            )));
        }
    };
    Ok(RunOutput {
        status_ok: status.success(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// The compiler's errors, each at its file, line and column:
/// `PATH(LINE,COL) : Error CODE: MESSAGE`. Warnings are not errors.
fn compiler_errors(stderr: &str, file: &Path, shown: &str) -> Vec<InputError> {
    static LINE: OnceLock<Regex> = OnceLock::new();
    let re = LINE.get_or_init(|| {
        Regex::new(r"^(.+?)\((\d+),(\d+)\)\s*:\s*Error\s+([A-Za-z0-9-]+)\s*:\s*(.*)$")
            .expect("a valid pattern")
    });
    let mut out = Vec::new();
    for l in stderr.lines() {
        let Some(c) = re.captures(l.trim_end()) else {
            continue;
        };
        let at = PathBuf::from(&c[1]);
        let line: usize = c[2].parse().unwrap_or(1);
        let col: usize = c[3].parse().unwrap_or(1);
        let code = &c[4];
        // The compiler prints absolute paths: show the given file as given.
        let same = std::fs::canonicalize(&at).ok() == std::fs::canonicalize(file).ok();
        let name = if same {
            shown.to_string()
        } else {
            at.display().to_string()
        };
        let mut e = InputError::new(&name, format!("{code}: {}", c[5].trim()));
        if let Ok(text) = crate::input::read_text(&at) {
            e = e.at(&text, line, col, code.to_string());
        }
        if matches!(code, "BCP190" | "BCP192") {
            e = e.with_help(format!(
                "restore the registry modules first (`bicep restore {}`): a scan never downloads them",
                file.display()
            ));
        }
        out.push(e);
    }
    out
}

/// The Bicep file a `.bicepparam` is for (`using './main.bicep'`), when it
/// is a local file.
pub fn using_file(params: &Path) -> Option<PathBuf> {
    static USING: OnceLock<Regex> = OnceLock::new();
    let re =
        USING.get_or_init(|| Regex::new(r"(?m)^\s*using\s+'([^']+)'").expect("a valid pattern"));
    let text = crate::input::read_text(params).ok()?;
    let target = re.captures(&text)?.get(1)?.as_str().to_string();
    local_reference(&target).then(|| params.parent().unwrap_or(Path::new("")).join(target))
}

/// A module path that names a file (not `br:`, `br/alias:`, `ts:`, `ts/alias:`).
fn local_reference(path: &str) -> bool {
    !(path.starts_with("br:")
        || path.starts_with("br/")
        || path.starts_with("ts:")
        || path.starts_with("ts/"))
}

/// The local files a Bicep text calls as modules: `module NAME 'path' = …`,
/// with the symbolic name.
fn module_calls(text: &str) -> Vec<(String, String)> {
    static MODULE: OnceLock<Regex> = OnceLock::new();
    let re = MODULE.get_or_init(|| {
        Regex::new(r"(?m)^\s*module\s+([A-Za-z_][A-Za-z0-9_]*)\s+'([^']+)'")
            .expect("a valid pattern")
    });
    re.captures_iter(text)
        .filter(|c| local_reference(&c[2]))
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect()
}

/// The files to compile under `dir`: every `.bicepparam`, and every `.bicep`
/// that no other Bicep file under `dir` calls as a module (`module x
/// './y.bicep'`) and no `.bicepparam` there is for (`using`; that file is
/// compiled with its parameters). Hidden directories and `node_modules` are
/// not entered, nor symlinked directories. Sorted.
pub fn entry_files(dir: &Path) -> Vec<PathBuf> {
    let files = super::roots::files_under(dir, is_bicep_file);
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut used: BTreeSet<PathBuf> = BTreeSet::new();
    for f in &files {
        if f.extension().is_some_and(|e| e == "bicepparam") {
            used.extend(using_file(f).map(|u| canon(&u)));
            continue;
        }
        let Ok(text) = crate::input::read_text(f) else {
            continue;
        };
        let base = f.parent().unwrap_or(Path::new(""));
        used.extend(
            module_calls(&text)
                .into_iter()
                .map(|(_, p)| canon(&base.join(p))),
        );
    }
    files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "bicepparam") || !used.contains(&canon(f)))
        .collect()
}

/// The files compiling `entry` reads (canonical): itself, the Bicep file a
/// `.bicepparam` is for, and every local module, transitively.
pub fn files_of(entry: &Path) -> BTreeSet<PathBuf> {
    let mut start = vec![entry.to_path_buf()];
    if entry.extension().is_some_and(|e| e == "bicepparam") {
        start.extend(using_file(entry));
    }
    super::roots::closure(start, |text| {
        module_calls(text).into_iter().map(|(_, p)| p).collect()
    })
}

/// Where each symbolic name is declared, in one Bicep file and the local
/// modules it calls.
#[derive(Debug, Default)]
pub struct SourceLines {
    file: PathBuf,
    /// Symbolic name → 1-based line of `resource NAME` / `module NAME`.
    lines: HashMap<String, u32>,
    /// `type@apiVersion` → the line of its one declaration (`None`: declared
    /// more than once, so it names no single resource).
    by_type: HashMap<String, Option<u32>>,
    /// Module symbolic name → the file it calls (read on first use).
    modules: HashMap<String, PathBuf>,
    read: HashMap<String, SourceLines>,
}

impl SourceLines {
    /// Reads `file`'s declarations (an unreadable file maps nothing).
    pub fn read(file: &Path) -> SourceLines {
        let text = crate::input::read_text(file).unwrap_or_default();
        SourceLines::of_text(file, &text)
    }

    fn of_text(file: &Path, text: &str) -> SourceLines {
        static DECL: OnceLock<Regex> = OnceLock::new();
        let re = DECL.get_or_init(|| {
            Regex::new(
                r"(?m)^[ \t]*(?:@[^\n]*\n[ \t]*)*(resource|module)[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+'([^']+)'([ \t]+existing\b)?",
            )
            .expect("a valid pattern")
        });
        let mut map = SourceLines {
            file: file.to_path_buf(),
            ..SourceLines::default()
        };
        let base = file.parent().unwrap_or(Path::new(""));
        for c in re.captures_iter(text) {
            let kw = c.get(1).expect("group 1");
            let line = text[..kw.start()].matches('\n').count() as u32 + 1;
            let name = c[2].to_string();
            map.lines.entry(name.clone()).or_insert(line);
            if &c[1] == "module" {
                if local_reference(&c[3]) {
                    map.modules.insert(name, base.join(&c[3]));
                }
            } else if c.get(4).is_none() {
                // A classic template has no entry for an `existing`
                // resource: only the others can be the template's.
                map.by_type
                    .entry(c[3].to_ascii_lowercase())
                    .and_modify(|l| *l = None)
                    .or_insert(Some(line));
            }
        }
        map
    }

    /// The line of `resource NAME` or `module NAME`.
    pub fn line_of(&self, name: &str) -> Option<u32> {
        self.lines.get(name).copied()
    }

    /// The declarations of the local file module `name` calls (read once).
    pub fn module(&mut self, name: &str) -> Option<&mut SourceLines> {
        let file = self.modules.get(name)?.clone();
        Some(
            self.read
                .entry(name.to_string())
                .or_insert_with(|| SourceLines::read(&file)),
        )
    }

    /// The line of the one declaration of `type@apiVersion` in this file.
    pub fn locate_type(&self, type_at_version: &str) -> Option<u32> {
        self.by_type
            .get(&type_at_version.to_ascii_lowercase())
            .copied()
            .flatten()
    }
}

/// Compiles one Bicep input and reads the template it compiles to, with
/// the `.bicepparam`'s parameters (else `opts.parameters`), each resource
/// pointed at its Bicep declaration where there is one.
pub fn load(
    file: &Path,
    shown: &str,
    opts: &TemplateOptions,
) -> Result<ArmOutput, Vec<InputError>> {
    let compiled = compile(file, shown)?;
    let params_name = format!("{shown} (compiled parameters)");
    let parameters = match &compiled.parameters {
        Some(text) => Some(ParametersFile {
            path: &params_name,
            text,
        }),
        None => opts.parameters,
    };
    let topts = TemplateOptions {
        parameters,
        ..*opts
    };
    let template_name = format!("{shown} (compiled)");
    let mut out =
        template::read_template(&template_name, &compiled.template, &topts).map_err(|e| vec![e])?;
    let tpl: serde_json::Value = serde_json::from_str(&compiled.template).unwrap_or_default();
    let mut lines = SourceLines::read(&compiled.main);
    for r in &mut out.resources {
        let detail = r.origin.detail.clone().unwrap_or_default();
        let (f, line) = match declaration(&detail, &tpl, &mut lines) {
            Some((f, line)) => (f.display().to_string(), Some(line)),
            // No declaration found: the Bicep file, and the template JSON
            // path stays in the origin's detail.
            None => (compiled.main.display().to_string(), None),
        };
        r.origin.file = Some(f);
        r.origin.line = line;
    }
    out.ignores = super::declared::inline_ignores(&out.resources, &mut out.notes);
    Ok(out)
}

/// One step of a template JSON path: a symbolic name (`resources.NAME`,
/// languageVersion 2.0) or a position (`resources[3]`).
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Symbol(&'a str),
    Index(usize),
}

/// The first resource step of one template level of a JSON path
/// (`resources.app[copy 2].resources[0]` → `Symbol("app")`).
fn step(level: &str) -> Option<Step<'_>> {
    if let Some(rest) = level.strip_prefix("resources.") {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        return Some(Step::Symbol(&rest[..end]));
    }
    let rest = level.strip_prefix("resources[")?;
    rest[..rest.find(']')?].parse().ok().map(Step::Index)
}

/// Where in the Bicep source the resource at template JSON path `detail`
/// (as the template reader names it: `resources.identity.properties.template.resources[0]`)
/// is declared: the deepest declaration found along the path (a module's
/// inner resource whose file cannot be read lands on the `module` line).
pub fn declaration(
    detail: &str,
    template: &serde_json::Value,
    main: &mut SourceLines,
) -> Option<(PathBuf, u32)> {
    let levels: Vec<&str> = detail.split(".properties.template.").collect();
    let mut src = main;
    let mut tpl = template;
    let mut found = None;
    for (n, level) in levels.iter().enumerate() {
        let step = step(level)?;
        let decl = match step {
            Step::Symbol(k) => tpl.get("resources")?.get(k)?,
            Step::Index(i) => tpl.get("resources")?.get(i)?,
        };
        let line = match step {
            Step::Symbol(k) => src.line_of(k),
            Step::Index(_) => {
                let ty = decl.get("type").and_then(serde_json::Value::as_str)?;
                let api = decl.get("apiVersion").and_then(serde_json::Value::as_str)?;
                src.locate_type(&format!("{ty}@{api}"))
            }
        };
        match line {
            Some(l) => found = Some((src.file.clone(), l)),
            None => return found,
        }
        let (Step::Symbol(module), false) = (step, n + 1 == levels.len()) else {
            return found;
        };
        match src.module(module) {
            Some(inner) => src = inner,
            None => return found,
        }
        tpl = decl.get("properties")?.get("template")?;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_and_decorators() {
        let text = "param p string\n\n@description('x')\n@batchSize(1)\nresource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {\n}\nmodule net './net.bicep' = {\n}\nmodule reg 'br/public:avm/res/x:0.1.0' = {}\nresource nsg2 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {}\nresource old 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {}\nresource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {}\n";
        let mut m = SourceLines::of_text(Path::new("d/main.bicep"), text);
        assert_eq!(m.line_of("nsg"), Some(5));
        assert_eq!(m.line_of("net"), Some(7));
        assert_eq!(
            m.module("net").map(|n| n.file.clone()),
            Some(PathBuf::from("d/./net.bicep"))
        );
        assert!(m.module("reg").is_none(), "a registry module has no file");
        assert_eq!(
            m.locate_type("Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31"),
            Some(12),
            "the `existing` one is not in a classic template"
        );
        assert_eq!(
            m.locate_type("Microsoft.Network/networkSecurityGroups@2024-05-01"),
            None
        );
        assert_eq!(
            module_calls(text),
            vec![("net".to_string(), "./net.bicep".to_string())]
        );
    }

    #[test]
    fn template_paths_find_their_declarations() {
        let d = std::env::temp_dir().join(format!("mcpguard-bicep-map-{}", std::process::id()));
        std::fs::create_dir_all(d.join("m")).unwrap();
        std::fs::write(
            d.join("main.bicep"),
            "resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {}\n\nmodule id 'm/id.bicep' = {}\n",
        )
        .unwrap();
        std::fs::write(
            d.join("m/id.bicep"),
            "param n string\nresource uai 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {}\n",
        )
        .unwrap();
        let tpl = serde_json::json!({"resources": {
            "nsg": {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2024-05-01"},
            "id": {"type": "Microsoft.Resources/deployments", "properties": {"template": {"resources": [
                {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31"}
            ]}}}
        }});
        let mut main = SourceLines::read(&d.join("main.bicep"));
        let at = |p: &str, m: &mut SourceLines| {
            declaration(p, &tpl, m)
                .map(|(f, l)| (f.file_name().unwrap().to_string_lossy().to_string(), l))
        };
        assert_eq!(
            at("resources.nsg", &mut main),
            Some(("main.bicep".into(), 1))
        );
        assert_eq!(
            at("resources.nsg.resources[0]", &mut main),
            Some(("main.bicep".into(), 1))
        );
        assert_eq!(
            at("resources.id.properties.template.resources[0]", &mut main),
            Some(("id.bicep".into(), 2))
        );
        assert_eq!(
            at("resources.id", &mut main),
            Some(("main.bicep".into(), 3))
        );
        assert_eq!(at("resources.other", &mut main), None);
        assert_eq!(step("resources.app[copy 2]"), Some(Step::Symbol("app")));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn compiler_error_lines_are_read() {
        let d = std::env::temp_dir().join(format!("mcpguard-bicep-err-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join("main.bicep");
        std::fs::write(&f, "param a string\nresource x 'y@1' = {\n  name: b\n}\n").unwrap();
        let stderr = format!(
            "{}(3,9) : Error BCP057: The name \"b\" does not exist in the current context. [https://aka.ms/bicep/core-diagnostics#BCP057]\n{}(1,7) : Warning no-unused-params: Parameter \"a\" is declared but never used.\n",
            f.display(),
            f.display()
        );
        let errs = compiler_errors(&stderr, &f, "main.bicep");
        assert_eq!(errs.len(), 1, "warnings are not errors");
        assert_eq!(errs[0].path, "main.bicep");
        assert!(
            errs[0].message.starts_with("BCP057: The name"),
            "{}",
            errs[0].message
        );
        assert!(errs[0].span.is_some());
        let _ = std::fs::remove_dir_all(&d);
    }
}
