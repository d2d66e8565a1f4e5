//! One scan, end to end: rules and inputs in, a finished [`Report`] out.
//! `main.rs` only parses arguments, calls this, renders and maps the exit code.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path as FsPath, PathBuf};

use serde_json::Value;

use crate::config::{Config, UnknownMode};
use crate::engine::{self, ActiveRule};
use crate::findings::{
    Finding, InputInfo, Location, Pass, Renames, Report, ReportError, RuleDir, RulePack,
    SkippedRule, Status, Warning,
};
use crate::input::{self, InlineIgnore, InputError, InputKind};
use crate::inventory::facts::Detection;
use crate::inventory::{Inventory, Resource};
use crate::load::{self, Detected};
use crate::policy::{self, Rule};
use crate::preflight;
use crate::suppress;

/// Everything a scan needs besides the inputs.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub config: Config,
    /// `--rules DIR`: more rule files (mcpguard's or Azure definitions).
    pub rules_dirs: Vec<PathBuf>,
    /// `--only ID,...` / `--skip ID,...`
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// `--var-file`, `--var` for Terraform source.
    pub var_files: Vec<PathBuf>,
    pub vars: Vec<(String, String)>,
    /// `--subscription`: where Terraform input deploys when its provider block
    /// and `ARM_SUBSCRIPTION_ID` do not say.
    pub subscription: Option<String>,
    /// `--parameters FILE`: parameter values of ARM templates.
    pub template_parameters: Option<PathBuf>,
    /// `--root DIR`: Terraform source is read only inside this tree.
    pub root: Option<PathBuf>,
    /// Today, for ignore expiry (injected so tests are stable).
    pub today: Option<time::Date>,
    /// `--preflight off`: do not evaluate the policies the input itself deploys.
    pub no_preflight: bool,
    /// The repository root every reported path is relative to ([`repo_root`]:
    /// `--repo-root`, else the git work tree around the current directory).
    /// `None` leaves paths as the readers give them (library callers, tests).
    pub repo_root: Option<PathBuf>,
    /// Search directories for root modules (`--no-recursive` turns it off;
    /// off by default for library callers, which name their inputs).
    pub recursive: bool,
    /// Where a plan's Terraform source is looked for, so plan findings point
    /// at `.tf` lines: `--source DIR`, or the repository root for a plan
    /// inside it. `None`: plan findings point at the plan.
    pub source: Option<PathBuf>,
    /// `--source` was given: its directory is searched whatever the plan's.
    pub source_given: bool,
    /// More `.tfvars` for one input (a root module, as given): what the
    /// pre-commit hook found uses a changed variables file.
    pub root_var_files: BTreeMap<PathBuf, Vec<PathBuf>>,
}

/// What a commit's changed files stand for (the pre-commit hook).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changed {
    /// The root modules to scan, and other inputs as given.
    pub inputs: Vec<PathBuf>,
    /// A changed `.tfvars` that a root module takes with `-var-file`: that root → the files.
    pub var_files: BTreeMap<PathBuf, Vec<PathBuf>>,
    /// Changed files no root module was found for.
    pub warnings: Vec<Warning>,
}

/// The root modules a commit's changed files belong to, found under `search`
/// (the repository): a changed `.tf` file is scanned with every root module
/// that uses its directory (itself, or through module calls), so its
/// references and variables resolve as they do in use; a directory no root
/// uses is scanned as its own root. A changed `terraform.tfvars` or
/// `*.auto.tfvars` goes with its directory's root; any other `.tfvars` with
/// the root modules that declare every variable it sets, passed to them (and
/// only them) as `--var-file`. Other files are inputs as given.
pub fn changed_inputs(files: &[PathBuf], search: &FsPath) -> Changed {
    let roots = load::roots::find(search);
    let uses: Vec<(PathBuf, BTreeSet<PathBuf>)> = roots
        .iter()
        .map(|r| (r.clone(), load::roots::used_by(r)))
        .collect();
    let users = |dir: &FsPath| -> Vec<PathBuf> {
        let Ok(c) = std::fs::canonicalize(if dir.as_os_str().is_empty() {
            FsPath::new(".")
        } else {
            dir
        }) else {
            return Vec::new();
        };
        uses.iter()
            .filter(|(_, used)| used.contains(&c))
            .map(|(r, _)| r.clone())
            .collect()
    };
    let mut out = Changed::default();
    let add = |out: &mut Changed, p: PathBuf| {
        if !out.inputs.contains(&p) {
            out.inputs.push(p);
        }
    };
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let dir = f.parent().map(FsPath::to_path_buf).unwrap_or_default();
        let dir_shown = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.clone()
        };
        if load::roots::is_config_file(&name) {
            let found = users(&dir);
            if found.is_empty() {
                add(&mut out, dir_shown);
            }
            for r in found {
                add(&mut out, r);
            }
        } else if name.ends_with(".tfvars") || name.ends_with(".tfvars.json") {
            let auto = name == "terraform.tfvars"
                || name == "terraform.tfvars.json"
                || name.ends_with(".auto.tfvars")
                || name.ends_with(".auto.tfvars.json");
            if auto && has_tf(&dir) {
                add(&mut out, dir_shown);
                continue;
            }
            let keys = load::roots::tfvars_keys(f).unwrap_or_default();
            let takers: Vec<&PathBuf> = roots
                .iter()
                .filter(|r| !keys.is_empty() && keys.is_subset(&load::roots::variables(r)))
                .collect();
            if takers.is_empty() {
                out.warnings.push(Warning {
                    source: f.display().to_string(),
                    message: "no root module declares every variable this file sets; not scanned (pass it with --var-file)".to_string(),
                });
            }
            for r in takers {
                add(&mut out, r.clone());
                let list = out.var_files.entry(r.clone()).or_default();
                if !list.contains(f) {
                    list.push(f.clone());
                }
            }
        } else if let Some(entries) = deployment_entries(f, search) {
            for e in entries {
                add(&mut out, e);
            }
        } else {
            add(&mut out, f.clone());
        }
    }
    out
}

/// The files one entry file's scan reads.
type FilesOf = fn(&FsPath) -> BTreeSet<PathBuf>;

/// For a changed Bicep or ARM template file: the entry files under `search`
/// whose scan reads it (a module's callers, a `.bicepparam`'s, a linked
/// template's linking template, a parameters file's template), else the file
/// itself when it is an entry of its own. A `.json` that is none of these
/// is not an input of mcpguard: nothing. `None` for other files.
fn deployment_entries(f: &FsPath, search: &FsPath) -> Option<Vec<PathBuf>> {
    let ext = f.extension()?.to_str()?;
    let (entries, files_of): (Vec<PathBuf>, FilesOf) = match ext {
        "bicep" | "bicepparam" => (load::bicep::entry_files(search), load::bicep::files_of),
        "json" => (
            load::template::entry_files(search),
            load::template::files_of,
        ),
        _ => return None,
    };
    let changed = std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf());
    let users: Vec<PathBuf> = entries
        .into_iter()
        .filter(|e| files_of(e).contains(&changed))
        .collect();
    Some(if users.is_empty() && ext != "json" {
        vec![f.to_path_buf()]
    } else {
        users
    })
}

fn has_tf(dir: &FsPath) -> bool {
    let dir = if dir.as_os_str().is_empty() {
        FsPath::new(".")
    } else {
        dir
    };
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| load::roots::is_config_file(&e.file_name().to_string_lossy()))
    })
}

/// The repository root reports are relative to: `given` (`--repo-root DIR`),
/// else the git work tree enclosing the current directory (a `.git` directory,
/// or the `.git` file of a worktree or submodule), else the current directory.
/// Code scanning, annotations and JUnit `file=` resolve paths against the
/// checkout, so a path relative to the scanned folder would point nowhere.
pub fn repo_root(given: Option<&FsPath>) -> Result<PathBuf, Fatal> {
    if let Some(dir) = given {
        let canon = std::fs::canonicalize(dir).map_err(|e| {
            miette::miette!(
                "{}: --repo-root: cannot read: {}",
                dir.display(),
                e.to_string().to_lowercase()
            )
        })?;
        if !canon.is_dir() {
            return Err(miette::miette!(
                "{}: --repo-root needs a directory",
                dir.display()
            ));
        }
        return Ok(canon);
    }
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .map_err(|e| miette::miette!("cannot read the current directory: {e}"))?;
    Ok(cwd
        .ancestors()
        .find(|d| d.join(".git").exists())
        .unwrap_or(&cwd)
        .to_path_buf())
}

/// Turns the paths readers report (relative to the current directory, or to
/// a scanned folder) into paths relative to the repository root, so that two
/// folders with a `main.tf` each stay distinct and every format points at a
/// file of the checkout. A file outside the root keeps its path as given.
pub struct Locator {
    root: PathBuf,
    cwd: PathBuf,
    cache: HashMap<PathBuf, String>,
}

impl Locator {
    pub fn new(root: &FsPath) -> Locator {
        Locator {
            root: root.to_path_buf(),
            cwd: std::env::current_dir().unwrap_or_default(),
            cache: HashMap::new(),
        }
    }

    /// `given` (as the command line or a reader names it) relative to the root.
    pub fn locate(&mut self, given: &FsPath) -> String {
        if given.as_os_str() == "-" {
            return "-".to_string();
        }
        if let Some(hit) = self.cache.get(given) {
            return hit.clone();
        }
        // The folders are resolved (a symlinked checkout is still inside the
        // root); the file keeps its own name, so a symlink is named as given.
        let lex = lexical(&self.cwd.join(given));
        let abs = match (lex.parent(), lex.file_name()) {
            (Some(dir), Some(name)) => std::fs::canonicalize(dir)
                .map(|d| d.join(name))
                .unwrap_or_else(|_| lex.clone()),
            _ => std::fs::canonicalize(&lex).unwrap_or_else(|_| lex.clone()),
        };
        let shown = match abs.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
            Ok(rel) => slash_path(rel),
            Err(_) => slash_path(&lexical(given)),
        };
        self.cache.insert(given.to_path_buf(), shown.clone());
        shown
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (for a path that
/// does not exist, or a symlink that should not be followed).
fn lexical(p: &FsPath) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path with `/` separators, as every report format writes it.
fn slash_path(p: &FsPath) -> String {
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    let joined = parts.join("/");
    // A leading root component renders as `/`; do not double it.
    joined.replacen("//", "/", 1)
}

/// The rules of a scan, ready to run, and what could not be used.
pub struct RuleSet {
    pub active: Vec<ActiveRule>,
    pub skipped: Vec<SkippedRule>,
    pub warnings: Vec<Warning>,
    /// Which rules these are, for the report's record.
    pub pack: RulePack,
    /// Former ids of renamed rules (every rule loaded, enabled or not).
    pub renames: Renames,
}

/// A problem that stops the scan before any input is read: a bad rule file,
/// a bad rule parameter in the config. Exit code 2.
pub type Fatal = miette::Report;

/// Loads the built-in pack plus `--rules` directories and applies the config
/// (`enabled`, parameters) and `--only`/`--skip`.
pub fn load_rules(opts: &ScanOptions) -> Result<RuleSet, Fatal> {
    let mut rules: Vec<Rule> = policy::builtin_rules().map_err(miette::Report::new)?;
    let mut skipped = Vec::new();
    let mut dirs = Vec::new();
    for dir in &opts.rules_dirs {
        if !dir.is_dir() {
            return Err(miette::miette!(
                "{}: --rules needs a directory",
                dir.display()
            ));
        }
        let (more, errors, skip) = policy::load_rules_dir(dir);
        if let Some(e) = errors.into_iter().next() {
            return Err(miette::Report::new(e));
        }
        let files: BTreeSet<&str> = more
            .iter()
            .map(|r| r.file.as_str())
            .chain(skip.iter().map(|s| s.file.as_str()))
            .collect();
        dirs.push(RuleDir {
            path: dir.display().to_string(),
            files: files.len(),
            sha256: digest_files(files.iter().map(FsPath::new)),
        });
        rules.extend(more);
        skipped.extend(skip);
    }
    let mut seen = BTreeSet::new();
    for r in &rules {
        if !seen.insert(r.meta.id.clone()) {
            return Err(miette::miette!(
                "{}: rule id `{}` is defined twice",
                r.file,
                r.meta.id
            ));
        }
    }
    let renames = Renames::new(
        rules
            .iter()
            .map(|r| (r.meta.id.as_str(), r.former_ids.as_slice())),
    );
    if let Some(clash) = renames.former_ids().find(|f| known_id(&seen, f)) {
        return Err(miette::miette!(
            "rule id `{clash}` is both a rule and another rule's former id"
        ));
    }
    let cfg = &opts.config;
    let cfg_name = cfg.path.as_deref().unwrap_or(crate::config::DEFAULT_FILE);
    let ids: Vec<&str> = seen.iter().map(String::as_str).collect();
    let mut warnings = Vec::new();
    let known = |id: &str| known_id(&seen, renames.resolve(id));
    for id in cfg.rules.keys() {
        let at = format!("{cfg_name}:{}", cfg.rule_line(id).unwrap_or(0));
        warnings.extend(renames.warning(id, &at));
        if !seen.contains(renames.resolve(id)) {
            return Err(unknown_rule(
                &format!(
                    "{cfg_name}:{}: `rule \"{id}\"`",
                    cfg.rule_line(id).unwrap_or(0)
                ),
                id,
                &ids,
            ));
        }
    }
    // A misspelt id must not run nothing (or everything) in silence.
    for (flag, list) in [("--only", &opts.only), ("--skip", &opts.skip)] {
        if let Some(id) = list.iter().find(|id| !known(id)) {
            return Err(unknown_rule(&format!("{flag} `{id}`"), id, &ids));
        }
        warnings.extend(list.iter().filter_map(|id| renames.warning(id, flag)));
    }
    for ig in &cfg.ignores {
        let at = format!("{cfg_name}:{}", ig.line);
        warnings.extend(ig.rules.iter().filter_map(|id| renames.warning(id, &at)));
        // `POLICY:…` ids come from definitions an input deploys: known only later.
        for id in ig
            .rules
            .iter()
            .filter(|r| *r != "*" && !r.starts_with("POLICY:"))
        {
            if !known(id) {
                let hint = crate::input::did_you_mean(id, &ids)
                    .map(|d| format!("; {d}"))
                    .unwrap_or_default();
                warnings.push(Warning {
                    source: format!("{cfg_name}:{}", ig.line),
                    message: format!("`ignore \"{id}\"` names no known rule{hint}"),
                });
            }
        }
    }
    let named = |list: &[String], id: &str| {
        list.iter()
            .any(|o| renames.resolve(o).eq_ignore_ascii_case(id))
    };
    let wanted =
        |id: &str| (opts.only.is_empty() || named(&opts.only, id)) && !named(&opts.skip, id);
    // A config rule block may still name the rule by a former id.
    let rule_config = |id: &str| {
        cfg.rules
            .iter()
            .find(|(k, _)| renames.resolve(k) == id)
            .map(|(_, c)| c)
    };
    let mut active = Vec::new();
    let mut unset: Vec<(String, String)> = Vec::new();
    for rule in rules {
        let rc = rule_config(&rule.meta.id);
        if rc.and_then(|c| c.enabled) == Some(false) || !wanted(&rule.meta.id) {
            continue;
        }
        let mut overrides = rc.map(|c| c.params.clone()).unwrap_or_default();
        // preflight (MCP011): a rule that declares a parameter `environment`
        // receives the config's `environment` unless its rule block sets one.
        if let Some(env) = &cfg.environment {
            if rule.parameters.contains_key("environment") {
                overrides
                    .entry("environment".to_string())
                    .or_insert_with(|| Value::String(env.clone()));
            }
        }
        let at = format!("{cfg_name}:{}", rc.map(|c| c.line).unwrap_or(0));
        check_parameter_names(&rule, &overrides, &at)?;
        let params = rule
            .resolve_params(&overrides)
            .map_err(|e| miette::miette!("{at}: rule \"{}\": {e}", rule.meta.id))?;
        for (name, def) in &rule.parameters {
            let empty = params
                .0
                .get(name)
                .is_none_or(|v| v.as_array().is_some_and(|a| a.is_empty()));
            if empty && def.kind.eq_ignore_ascii_case("array") && name.ends_with("_ids") {
                unset.push((rule.meta.id.clone(), name.clone()));
            }
        }
        let effect = rule
            .effect(&params)
            .map_err(|e| miette::miette!("{}: rule `{}`: {e}", rule.file, rule.meta.id))?;
        active.push(ActiveRule {
            rule,
            params,
            effect,
            scope: None,
        });
    }
    if let Some(w) = unset_warning(&unset, cfg_name) {
        warnings.push(w);
    }
    let pack = RulePack {
        builtin: active
            .iter()
            .any(|a| a.rule.builtin)
            .then(|| env!("CARGO_PKG_VERSION").to_string()),
        rules: active.len(),
        dirs,
    };
    Ok(RuleSet {
        active,
        skipped,
        warnings,
        pack,
        renames,
    })
}

/// Whether `id` is one of the rule ids `seen`, ignoring ASCII case.
fn known_id(seen: &BTreeSet<String>, id: &str) -> bool {
    seen.iter().any(|k| k.eq_ignore_ascii_case(id))
}

/// SHA-256 (hex) of bytes.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 over files: each one's path (as named), a NUL, the SHA-256 of its
/// bytes and a newline, in the order given. A file that cannot be read
/// counts as empty: the digest still changes when it appears.
fn digest_files<'a>(files: impl Iterator<Item = &'a FsPath>) -> String {
    let mut text = String::new();
    for f in files {
        let bytes = std::fs::read(f).unwrap_or_default();
        text.push_str(&format!("{}\0{}\n", f.display(), sha256_hex(&bytes)));
    }
    sha256_hex(text.as_bytes())
}

/// The digest of what an input is: a file's bytes; for a directory, its own
/// `.tf`, `.tf.json` and `.tfvars` files by name.
fn input_digest(p: &FsPath) -> Option<String> {
    if p.as_os_str() == "-" {
        return None;
    }
    if !p.is_dir() {
        return file_sha256(p);
    }
    let mut names: Vec<String> = std::fs::read_dir(p)
        .ok()?
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| {
            load::roots::is_config_file(n) || n.ends_with(".tfvars") || n.ends_with(".tfvars.json")
        })
        .collect();
    names.sort();
    let mut text = String::new();
    for n in names {
        let digest = file_sha256(&p.join(&n)).unwrap_or_else(|| sha256_hex(b""));
        text.push_str(&format!("{n}\0{digest}\n"));
    }
    Some(sha256_hex(text.as_bytes()))
}

/// SHA-256 (hex) of a file's bytes, read in chunks: the input was loaded
/// already, and a second copy of a 35 MiB plan (in a buffer grown by
/// doubling to 64 MiB) was the scan's peak memory. Only regular files are
/// read (a FIFO would block), within the input limit.
fn file_sha256(f: &FsPath) -> Option<String> {
    use sha2::Digest;
    use std::io::Read;
    input::regular_file(f).ok()?;
    let mut file = std::fs::File::open(f)
        .ok()?
        .take(input::MAX_INPUT_BYTES + 1);
    let mut hash = sha2::Sha256::new();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => hash.update(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(hex(&hash.finalize()))
}

/// One warning for every parameter the rules would check more with: once per
/// run, however many rules (and roots) there are.
fn unset_warning(unset: &[(String, String)], cfg_name: &str) -> Option<Warning> {
    let list: Vec<String> = unset
        .iter()
        .map(|(rule, name)| format!("`{name}` ({rule})"))
        .collect();
    let message = match unset {
        [] => return None,
        [(rule, name)] => format!(
            "parameter `{name}` is unset: {rule} checks only what it can without it (set it in a `rule \"{rule}\"` block)"
        ),
        _ => format!(
            "parameters {} are unset: those rules check only what they can without them (set them in `rule \"ID\"` blocks)",
            list.join(", ")
        ),
    };
    Some(Warning {
        source: cfg_name.to_string(),
        message,
    })
}

/// `what` names no rule: the error, with the nearest id when there is one.
fn unknown_rule(what: &str, id: &str, ids: &[&str]) -> Fatal {
    let help = crate::input::did_you_mean(id, ids)
        .unwrap_or_else(|| "`mcpguard rules list` shows the rule ids".to_string());
    miette::miette!(help = help, "{what} names no known rule")
}

/// A key of a `rule "ID"` block that is neither `enabled` nor a parameter of
/// the rule: an error naming the nearest one (`enabeld` → `enabled`).
fn check_parameter_names(
    rule: &Rule,
    overrides: &BTreeMap<String, Value>,
    at: &str,
) -> Result<(), Fatal> {
    let mut valid: Vec<&str> = rule.parameters.keys().map(String::as_str).collect();
    for k in overrides.keys() {
        if valid.iter().any(|v| v.eq_ignore_ascii_case(k)) {
            continue;
        }
        valid.push("enabled");
        let listed = if valid.len() == 1 {
            "it takes only `enabled`".to_string()
        } else {
            format!(
                "it takes {}",
                valid
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let help = match crate::input::did_you_mean(k, &valid) {
            Some(d) => format!("{d} ({listed})"),
            None => listed,
        };
        return Err(miette::miette!(
            help = help,
            "{at}: rule \"{}\" has no setting `{k}`",
            rule.meta.id
        ));
    }
    Ok(())
}

/// What reading the inputs produced.
#[derive(Default)]
pub struct Loaded {
    /// The ARM inputs, read into one estate and evaluated together (a subnet
    /// in one snapshot, its NSG in another).
    pub inventory: Inventory,
    /// Terraform root modules and plans, each evaluated on its own: variables,
    /// addresses and references do not leak from one root into another.
    pub roots: Vec<Unit>,
    pub inputs: Vec<InputInfo>,
    pub errors: Vec<InputError>,
    pub ignores: Vec<InlineIgnore>,
    /// Errors carried inside inputs (a snapshot of an incomplete sweep).
    pub carried_errors: Vec<ReportError>,
    /// What reading went without (a plan's source that did not all parse).
    pub warnings: Vec<Warning>,
}

/// Resources that are evaluated together.
#[derive(Default)]
pub struct Unit {
    /// The root module's directory, relative to the repository root, for
    /// Terraform source and for a plan mapped to its source; else `None`.
    pub root: Option<String>,
    pub inventory: Inventory,
    /// For a plan mapped to its source: address → where the plan holds it.
    pub plan_locations: BTreeMap<String, Location>,
}

impl Loaded {
    /// Every inventory to evaluate: the ARM estate (when it has resources, or
    /// when there is nothing else), then each root.
    pub fn inventories(&self) -> impl Iterator<Item = &Inventory> {
        let estate =
            (!self.inventory.is_empty() || self.roots.is_empty()).then_some(&self.inventory);
        estate
            .into_iter()
            .chain(self.roots.iter().map(|u| &u.inventory))
    }
}

/// What one input, or one root module found under a directory, gave.
struct Piece {
    kind: InputKind,
    /// The path as given: the directory `.tf` origins are relative to, or
    /// the file that plan and ARM origins name.
    path: PathBuf,
    resources: Vec<Resource>,
    notes: Vec<String>,
    ignores: Vec<InlineIgnore>,
    /// A plan mapped to its source: the root module it came from (as given).
    source_root: Option<PathBuf>,
    /// Address → where the plan holds the resource, for resources whose
    /// origin now names the `.tf` source.
    plan_locations: BTreeMap<String, Location>,
}

/// Reads every input. A directory is searched for root modules (unless
/// `--no-recursive`), and each is read on its own. An input that fails is
/// recorded and the others are still read.
pub fn load_inputs(paths: &[PathBuf], opts: &ScanOptions) -> Loaded {
    let mut out = Loaded::default();
    let mut locator = opts.repo_root.as_deref().map(Locator::new);
    // Every workflow of the scan, evaluated together against the
    // federated credentials of every other input (MCP025).
    let mut workflows: Vec<Resource> = Vec::new();
    let mut seen_workflows = BTreeSet::new();
    for p in paths {
        for target in expand(p, opts, &mut out.errors) {
            if load::workflow::is_workflow_path(&target)
                && !seen_workflows.insert(std::fs::canonicalize(&target).unwrap_or(target.clone()))
            {
                continue; // found again by a second folder of the same repository
            }
            let first_error = out.errors.len();
            let piece = read_piece(&target, opts, &mut out);
            if let Some(loc) = locator.as_mut() {
                for e in &mut out.errors[first_error..] {
                    relocate_error(e, loc);
                }
            }
            let Some(mut piece) = piece else {
                continue;
            };
            let mut shown = piece.path.display().to_string();
            if let Some(loc) = locator.as_mut() {
                relocate(&mut piece, loc);
                shown = loc.locate(&piece.path);
            }
            let mut info = InputInfo::new(&shown, piece.kind);
            info.sha256 = input_digest(&piece.path);
            out.inputs.push(info);
            out.ignores.append(&mut piece.ignores);
            if piece.kind == InputKind::Workflow {
                workflows.extend(piece.resources);
                continue;
            }
            if piece.kind == InputKind::Arm {
                for r in piece.resources {
                    out.inventory.push(r);
                }
                out.inventory.notes.extend(piece.notes);
                continue;
            }
            let root = match &piece.source_root {
                Some(r) => Some(r.display().to_string()),
                // One file scanned alone: its directory is the root module.
                None if piece.kind == InputKind::Terraform && piece.path.is_file() => {
                    let dir = piece.path.parent().unwrap_or(FsPath::new(""));
                    Some(match locator.as_mut() {
                        Some(loc) => loc.locate(dir),
                        None => dir.display().to_string(),
                    })
                }
                None => (piece.kind == InputKind::Terraform).then_some(shown),
            };
            let mut unit = Unit {
                root,
                inventory: Inventory::default(),
                plan_locations: std::mem::take(&mut piece.plan_locations),
            };
            for r in piece.resources {
                unit.inventory.push(r);
            }
            unit.inventory.notes = piece.notes;
            out.roots.push(unit);
        }
    }
    // A plan's source and the source itself, scanned together, bring the
    // same comments twice: one is enough.
    let mut ignores: Vec<InlineIgnore> = Vec::new();
    for ig in std::mem::take(&mut out.ignores) {
        if !ignores.contains(&ig) {
            ignores.push(ig);
        }
    }
    out.ignores = ignores;
    compute_facts(&mut out.inventory, &opts.config.detect);
    for u in &mut out.roots {
        compute_facts(&mut u.inventory, &opts.config.detect);
    }
    if !workflows.is_empty() {
        let mut inventory = Inventory::default();
        for r in workflows {
            inventory.push(r);
        }
        compute_facts(&mut inventory, &opts.config.detect);
        let others: Vec<&Inventory> = out.inventories().collect();
        crate::inventory::workflows::link(&mut inventory, &others);
        out.roots.push(Unit {
            root: None,
            inventory,
            plan_locations: BTreeMap::new(),
        });
    }
    out
}

/// The inputs a path stands for: a directory's root modules when scanning
/// recursively (the directory itself when it is one), else the path.
fn expand(p: &FsPath, opts: &ScanOptions, errors: &mut Vec<InputError>) -> Vec<PathBuf> {
    if !opts.recursive || !p.is_dir() {
        return vec![p.to_path_buf()];
    }
    let mut roots = load::roots::find(p);
    roots.extend(load::bicep::entry_files(p));
    roots.extend(load::template::entry_files(p));
    let workflows = load::roots::workflows(p);
    if roots.is_empty() && workflows.is_empty() {
        // Scanning nothing must not look like a clean scan.
        errors.push(
            InputError::new(
                p.display().to_string(),
                "no Terraform, Bicep or ARM template files here or below",
            )
            .with_help("scan a directory of Terraform, Bicep or ARM templates, a plan (`terraform show -json`), a what-if result or an ARM snapshot"),
        );
    }
    roots.extend(workflows);
    roots
}

/// Rewrites a piece's paths relative to the repository root: `.tf` readers
/// report files relative to the scanned folder, the plan and ARM readers the
/// path as given.
fn relocate(piece: &mut Piece, loc: &mut Locator) {
    let terraform = piece.kind == InputKind::Terraform;
    let base = if piece.path.is_dir() {
        piece.path.clone()
    } else {
        piece
            .path
            .parent()
            .map(FsPath::to_path_buf)
            .unwrap_or_default()
    };
    let mut at = |f: &str| {
        if terraform {
            loc.locate(&base.join(f))
        } else {
            loc.locate(FsPath::new(f))
        }
    };
    for r in &mut piece.resources {
        if let Some(f) = &r.origin.file {
            r.origin.file = Some(at(f));
        }
    }
    for ig in &mut piece.ignores {
        ig.file = at(&ig.file);
    }
    for l in piece.plan_locations.values_mut() {
        l.file = loc.locate(FsPath::new(&l.file));
    }
    if let Some(root) = &piece.source_root {
        piece.source_root = Some(PathBuf::from(loc.locate(root)));
    }
}

/// Points a plan's resources at the `.tf` source they were planned from
/// (`--source`, or the repository root for a plan inside it): each resource
/// found there takes the source's file, block line and attribute lines, and
/// the plan location is kept for the finding's `plan`. The source's inline
/// ignores then apply to the plan's findings too. Whatever the source reader
/// cannot read is a warning: those findings keep their plan location.
fn map_to_source(piece: &mut Piece, opts: &ScanOptions, out: &mut Loaded) {
    let Some(search) = opts.source.as_deref() else {
        return;
    };
    let canon = |p: &FsPath| {
        let p = if p.as_os_str().is_empty() {
            FsPath::new(".")
        } else {
            p
        };
        std::fs::canonicalize(p).ok()
    };
    let plan_dir = (piece.path.as_os_str() != "-").then(|| {
        piece
            .path
            .parent()
            .map(FsPath::to_path_buf)
            .unwrap_or_default()
    });
    let inside = match (plan_dir.as_deref().and_then(canon), canon(search)) {
        (Some(d), Some(s)) => d.starts_with(s),
        _ => false,
    };
    if !inside && !opts.source_given {
        return; // a plan from elsewhere: no source is implied
    }
    let addresses: Vec<&str> = piece.resources.iter().map(|r| r.address.as_str()).collect();
    let hcl_opts = load::hcl::HclOptions {
        var_files: opts.var_files.clone(),
        vars: opts.vars.clone(),
        root: opts.root.clone(),
    };
    let near = plan_dir.as_deref().filter(|_| inside);
    let Some(map) = load::source_map::for_plan(&addresses, near, search, &hcl_opts) else {
        if opts.source_given {
            out.warnings.push(Warning {
                source: piece.path.display().to_string(),
                message: format!(
                    "no root module under --source `{}` holds this plan's resources; its findings point at the plan",
                    search.display()
                ),
            });
        }
        return;
    };
    let shown = piece.path.display().to_string();
    for r in &mut piece.resources {
        let Some(o) = map.origin(&r.address) else {
            continue;
        };
        let Some(file) = &o.file else { continue };
        piece.plan_locations.insert(
            r.address.clone(),
            Location {
                file: shown.clone(),
                line: r.origin.line,
                block: None,
            },
        );
        r.origin.file = Some(map.root.join(file).display().to_string());
        r.origin.line = o.line;
        r.origin.attribute_lines = o.attribute_lines.clone();
    }
    for e in map.errors {
        out.warnings.push(Warning {
            source: e.path.clone(),
            message: format!("{}; the plan's findings there point at the plan", e.message),
        });
    }
    piece.ignores = map
        .ignores
        .into_iter()
        .map(|mut ig| {
            ig.file = map.root.join(&ig.file).display().to_string();
            ig
        })
        .collect();
    piece.source_root = Some(map.root);
}

/// An error's file as every report names it: a module two roots call is one
/// file (`m/main.tf`), not `a/../m/main.tf` and `b/../m/main.tf`.
fn relocate_error(e: &mut InputError, loc: &mut Locator) {
    let path = loc.locate(FsPath::new(&e.path));
    if path == e.path {
        return;
    }
    if let Some(src) = &mut e.src {
        if src.name() == e.path {
            src.rename(&path);
        }
    }
    e.path = path;
}

/// Standard input that is a device (`< /dev/zero`, a terminal) would never
/// end or wait for typing: refused, as any non-regular input file is.
fn stdin_device() -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::FileTypeExt;
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let t = std::fs::File::from(fd).metadata().ok()?.file_type();
        if t.is_char_device() || t.is_block_device() {
            return Some("a device or a terminal");
        }
    }
    None
}

/// Reads one JSON input. It takes the text so that a plan's text (the
/// largest thing a scan holds) is freed as soon as it is parsed, before the
/// translation builds the documents.
/// Reads one input (a path, or `-` for standard input).
fn read_piece(p: &FsPath, opts: &ScanOptions, out: &mut Loaded) -> Option<Piece> {
    let shown = p.display().to_string();
    if p.as_os_str() == "-" {
        if let Some(kind) = stdin_device() {
            out.errors.push(InputError::new(
                "-",
                format!("standard input is {kind}; pipe a plan or snapshot into it"),
            ));
            return None;
        }
        let buf = match load::read_bounded(std::io::stdin()) {
            Ok(b) if b.len() as u64 > load::MAX_INPUT_BYTES => {
                out.errors.push(InputError::new(
                    "-",
                    format!(
                        "standard input is over the {} MiB input limit",
                        load::MAX_INPUT_BYTES >> 20
                    ),
                ));
                return None;
            }
            Ok(b) => b,
            Err(e) => {
                out.errors.push(InputError::new(
                    "-",
                    format!("cannot read standard input: {e}"),
                ));
                return None;
            }
        };
        if is_binary_plan(&buf) {
            out.errors.push(binary_plan_error("-"));
            return None;
        }
        return match input::decode("-", buf) {
            Ok(text) => read_json_text(p, text, opts, out),
            Err(e) => {
                out.errors.push(e);
                None
            }
        };
    }
    // A dangling symlink or a loop "does not exist" for `exists()`; it is
    // read below, which names it.
    if std::fs::symlink_metadata(p).is_err() {
        out.errors
            .push(InputError::new(&shown, "no such file or directory"));
        return None;
    }
    match load::detect(p, None) {
        Detected::Bicep => read_bicep(p, opts, out),
        Detected::Terraform => {
            let mut var_files = opts.var_files.clone();
            if let Some(more) = opts.root_var_files.get(p) {
                var_files.extend(more.iter().cloned());
            }
            let hcl_opts = load::hcl::HclOptions {
                var_files,
                vars: opts.vars.clone(),
                root: opts.root.clone(),
            };
            let o = load::hcl::load(p, &hcl_opts);
            out.errors.extend(o.errors);
            let mut model = o.model;
            model.subscription_id = model.subscription_id.or(opts.subscription.clone());
            let (resources, notes) = load::azurerm::translate(model, InputKind::Terraform);
            Some(Piece {
                kind: InputKind::Terraform,
                path: p.to_path_buf(),
                resources,
                notes,
                ignores: o.ignores,
                source_root: None,
                plan_locations: BTreeMap::new(),
            })
        }
        Detected::Workflow => {
            let read = input::read_text(p).and_then(|t| load::workflow::load(&shown, &t));
            match read {
                Ok(resources) => Some(Piece {
                    kind: InputKind::Workflow,
                    path: p.to_path_buf(),
                    resources,
                    notes: Vec::new(),
                    ignores: Vec::new(),
                    source_root: None,
                    plan_locations: BTreeMap::new(),
                }),
                Err(e) => {
                    out.errors.push(e);
                    None
                }
            }
        }
        _ => match input::read_text(p) {
            Ok(text) => read_json_text(p, text, opts, out),
            Err(e) => {
                // Only a regular file is opened: a FIFO would block the open.
                let head = input::regular_file(p).ok().and_then(|_| {
                    let f = std::fs::File::open(p).ok()?;
                    let mut b = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::Read::take(f, 4), &mut b).ok()?;
                    Some(b)
                });
                if head.is_some_and(|b| is_binary_plan(&b)) {
                    out.errors.push(binary_plan_error(&shown));
                } else {
                    out.errors.push(e);
                }
                None
            }
        },
    }
}

/// A `.bicep` / `.bicepparam`: compiled by the Bicep CLI, its template read
/// as ARM resources (of the ARM estate, as a template's are).
fn read_bicep(p: &FsPath, opts: &ScanOptions, out: &mut Loaded) -> Option<Piece> {
    let shown = p.display().to_string();
    // azd's `main.parameters.json` beside `main.bicep`; a `.bicepparam` brings its own.
    let pair = p.extension().is_some_and(|e| e == "bicep");
    let loaded = with_parameters_beside(p, &shown, pair, opts, |topts| {
        load::bicep::load(p, &shown, topts)
    })
    .unwrap_or_else(|e| Err(vec![e]));
    match loaded {
        Ok(o) => {
            out.errors.extend(o.errors);
            Some(Piece {
                kind: InputKind::Arm,
                path: p.to_path_buf(),
                resources: o.resources,
                notes: o.notes,
                ignores: o.ignores,
                source_root: None,
                plan_locations: BTreeMap::new(),
            })
        }
        Err(errors) => {
            out.errors.extend(errors);
            None
        }
    }
}

/// `terraform plan -out FILE` writes a zip archive; mcpguard reads what
/// `terraform show -json FILE` makes of it.
fn is_binary_plan(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn binary_plan_error(shown: &str) -> InputError {
    InputError::new(
        shown,
        "this is a binary Terraform plan (`terraform plan -out`), not its JSON",
    )
    .with_help(if shown == "-" {
        "pipe its JSON instead: `terraform show -json tfplan | mcpguard scan -`".to_string()
    } else {
        format!("run `terraform show -json {shown} > plan.json` and scan plan.json")
    })
}

/// Whether `text` is what `terraform show` or `terraform plan` print for
/// people (without `-json`): the plan's own headline sentences, colour codes
/// removed.
fn is_human_plan(text: &str) -> bool {
    let head = text.trim_start();
    if head.starts_with('{') || head.starts_with('[') {
        return false;
    }
    let mut plain = String::with_capacity(text.len().min(1 << 16));
    let mut chars = text.chars().take(1 << 16);
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI sequence: ESC [ … final byte in @..~
            for d in chars.by_ref() {
                if ('@'..='~').contains(&d) && d != '[' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    [
        "Terraform used the selected providers to generate the following execution",
        "Terraform will perform the following actions",
        "No changes. Your infrastructure matches the configuration",
        "Terraform has compared your real infrastructure against your configuration",
    ]
    .iter()
    .any(|m| plain.contains(m))
        || (plain.contains("Plan: ") && plain.contains(" to add, "))
}

/// Every fact of a loaded inventory: the inventory's own, then the governance
/// facts MCP013 reads, which preflight owns (it reads policy definitions and
/// assignments as ARM will) and hands to the inventory.
pub fn compute_facts(inv: &mut Inventory, detect: &Detection) {
    inv.compute_facts(detect);
    preflight::governance_facts(inv);
}

/// Reads one JSON input. It takes the text so that a plan's text (the
/// largest thing a scan holds) is freed as soon as it is parsed, before the
/// translation builds the documents.
fn read_json_text(p: &FsPath, text: String, opts: &ScanOptions, out: &mut Loaded) -> Option<Piece> {
    let shown = p.display().to_string();
    if is_human_plan(&text) {
        out.errors.push(
            InputError::new(
                &shown,
                "this is a plan as `terraform show` prints it for people, not its JSON",
            )
            .with_help("add -json: `terraform show -json plan.out > plan.json`"),
        );
        return None;
    }
    let piece = |kind, resources, notes| Piece {
        kind,
        path: p.to_path_buf(),
        resources,
        notes,
        ignores: Vec::new(),
        source_root: None,
        plan_locations: BTreeMap::new(),
    };
    match load::detect(p, Some(&text)) {
        Detected::Plan => match load::plan::load(&shown, &text) {
            Ok(mut model) => {
                drop(text);
                model.subscription_id = model.subscription_id.or(opts.subscription.clone());
                let (rs, notes) = load::azurerm::translate(model, InputKind::Plan);
                let mut piece = piece(InputKind::Plan, rs, notes);
                map_to_source(&mut piece, opts, out);
                Some(piece)
            }
            Err(e) => {
                out.errors.push(e);
                None
            }
        },
        // A what-if result and a template give ARM resources: they join the
        // ARM estate, so a reference to an existing resource resolves in a
        // snapshot scanned beside them.
        d @ (Detected::WhatIf | Detected::Template) => {
            let read = if d == Detected::WhatIf {
                load::whatif::load(&shown, &text)
            } else {
                read_template(p, &shown, &text, opts)
            };
            match read {
                Ok(o) => {
                    out.errors.extend(o.errors);
                    let mut p = piece(InputKind::Arm, o.resources, o.notes);
                    p.ignores = o.ignores;
                    Some(p)
                }
                Err(e) => {
                    out.errors.push(e);
                    None
                }
            }
        }
        _ if load::template::is_parameters_file(&text) => {
            out.errors.push(
                InputError::new(
                    &shown,
                    "this is an ARM deployment parameters file, not a template",
                )
                .with_help("scan the template and give this file with --parameters FILE"),
            );
            None
        }
        _ => match load::arm::load(&shown, &text) {
            Ok(o) => {
                out.errors.extend(o.errors);
                if let Some(meta) = o.snapshot {
                    out.carried_errors.extend(meta.errors);
                }
                Some(piece(InputKind::Arm, o.resources, o.notes))
            }
            Err(e) => {
                out.errors.push(e);
                None
            }
        },
    }
}

/// An ARM template with the scan's `--parameters` file and `--subscription`;
/// its linked templates (`relativePath`) are read beside `p` (not for stdin).
#[allow(clippy::result_large_err)]
fn read_template(
    p: &FsPath,
    shown: &str,
    text: &str,
    opts: &ScanOptions,
) -> Result<load::arm::ArmOutput, InputError> {
    let file = (p != FsPath::new("-")).then_some(load::template::TemplateOnDisk { disk: p, shown });
    with_parameters_beside(p, shown, true, opts, |topts| {
        let topts = load::template::TemplateOptions { file, ..*topts };
        load::template::read_template(shown, text, &topts)
    })?
}

/// Runs `f` with the scan's template options, where the parameters file is
/// `--parameters FILE`, else (when `pair`) the one beside `p`
/// ([`parameters_beside`]), whose use a note then tells.
#[allow(clippy::result_large_err)]
fn with_parameters_beside<E>(
    p: &FsPath,
    shown: &str,
    pair: bool,
    opts: &ScanOptions,
    f: impl FnOnce(&load::template::TemplateOptions) -> Result<load::arm::ArmOutput, E>,
) -> Result<Result<load::arm::ArmOutput, E>, InputError> {
    let beside = match &opts.template_parameters {
        None if pair => parameters_beside(p)?,
        _ => None,
    };
    with_template_options(opts, |topts| {
        let parameters = beside
            .as_ref()
            .map(|(path, text)| load::template::ParametersFile { path, text })
            .or(topts.parameters);
        let mut out = f(&load::template::TemplateOptions {
            parameters,
            ..*topts
        })?;
        out.notes
            .extend(beside.as_ref().map(|(path, _)| beside_note(shown, path)));
        Ok(out)
    })
}

fn beside_note(shown: &str, path: &str) -> String {
    format!(
        "{shown}: parameters from `{path}`, the parameters file beside it (give --parameters FILE to choose another)"
    )
}

/// `NAME.parameters.json` beside the template `NAME.json` (or `NAME.bicep`),
/// as PSRule, the quickstart templates and azd pair them, when `--parameters`
/// names none.
#[allow(clippy::result_large_err)]
fn parameters_beside(p: &FsPath) -> Result<Option<(String, String)>, InputError> {
    let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
        return Ok(None);
    };
    let beside = p.with_file_name(format!("{stem}.parameters.json"));
    if !beside.is_file() {
        return Ok(None);
    }
    let text = load::read_text(&beside)?;
    Ok(Some((beside.display().to_string(), text)))
}

/// Runs `f` with the scan's template options: `--parameters FILE` (read
/// here: the error is reading it) and `--subscription`.
#[allow(clippy::result_large_err)]
fn with_template_options<R>(
    opts: &ScanOptions,
    f: impl FnOnce(&load::template::TemplateOptions) -> R,
) -> Result<R, InputError> {
    let params = match &opts.template_parameters {
        Some(p) => Some((p.display().to_string(), load::read_text(p)?)),
        None => None,
    };
    Ok(f(&load::template::TemplateOptions {
        parameters: params
            .as_ref()
            .map(|(path, text)| load::template::ParametersFile { path, text }),
        subscription: opts.subscription.as_deref(),
        file: None,
    }))
}

/// Replaces Terraform addresses in parameter values by the ids of those
/// resources, keeping the address too: `approved_subnet_ids` may name
/// `module.network.azurerm_subnet.mcp` and still match its (maybe synthetic) id.
fn resolve_addresses(params: &mut BTreeMap<String, Value>, inv: &Inventory) {
    for v in params.values_mut() {
        if let Value::Array(items) = v {
            let mut extra = Vec::new();
            for it in items.iter() {
                if let Some(r) = it.as_str().and_then(|a| inv.by_address(a)) {
                    if !r.id().is_empty() {
                        extra.push(Value::String(r.id().to_string()));
                    }
                }
            }
            items.extend(extra);
        }
    }
}

/// What evaluating one unit produced.
struct UnitOutput {
    findings: Vec<Finding>,
    passes: Vec<Pass>,
    errors: Vec<ReportError>,
    warnings: Vec<Warning>,
    /// Ids of the rules that ran (the pack, plus the unit's preflight rules).
    rules: BTreeSet<String>,
}

/// Evaluates the rules on one inventory, with the policies it deploys.
fn evaluate_unit(
    rules: &RuleSet,
    inv: &Inventory,
    root: Option<&str>,
    plan_locations: &BTreeMap<String, Location>,
    opts: &ScanOptions,
) -> UnitOutput {
    let mut active = rules.active.clone();
    let mut warnings = Vec::new();
    if !opts.no_preflight {
        // Policies the input deploys, evaluated as ARM would at apply time.
        let (more, w) = preflight::preflight_rules(inv);
        active.extend(more);
        warnings.extend(w);
    }
    for ar in &mut active {
        resolve_addresses(&mut ar.params.0, inv);
    }
    for (resource, message) in crate::inventory::gateway::errors(inv) {
        warnings.push(Warning {
            source: resource,
            message,
        });
    }
    let mut out = engine::run(inv, &active);
    for f in &mut out.findings {
        f.root = root.map(str::to_string);
        f.plan = plan_locations.get(&f.resource.address).cloned();
    }
    UnitOutput {
        findings: out.findings,
        passes: out.passes,
        errors: out.errors,
        warnings,
        rules: active.iter().map(|a| a.id().to_string()).collect(),
    }
}

/// Evaluates the rules on every loaded unit and builds the report.
pub fn evaluate(rules: &RuleSet, loaded: Loaded, opts: &ScanOptions) -> (Report, Vec<InputError>) {
    let mut report = Report::new();
    let mut warnings = rules.warnings.clone();
    warnings.extend(loaded.warnings.iter().cloned());
    let mut rule_ids = BTreeSet::new();
    let none = BTreeMap::new();
    let estate = (!loaded.inventory.is_empty() || loaded.roots.is_empty()).then_some((
        None,
        &loaded.inventory,
        &none,
    ));
    let units = estate.into_iter().chain(
        loaded
            .roots
            .iter()
            .map(|u| (u.root.as_deref(), &u.inventory, &u.plan_locations)),
    );
    for (root, inv, plan_locations) in units {
        let out = evaluate_unit(rules, inv, root, plan_locations, opts);
        report.summary.resources += inv.len();
        report.findings.extend(out.findings);
        report.passes.extend(out.passes);
        report.errors.extend(out.errors);
        for w in out.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        rule_ids.extend(out.rules);
        for n in &inv.notes {
            if !report.notes.contains(n) {
                report.notes.push(n.clone());
            }
        }
    }
    for inv in loaded.inventories() {
        for r in inv.resources() {
            *report
                .resource_types
                .entry(r.arm_type().to_string())
                .or_default() += 1;
        }
    }
    report.inputs = loaded.inputs;
    report.summary.rules = rule_ids.len().max(rules.active.len());
    report.passed = rule_ids.iter().map(|id| (id.clone(), 0)).collect();
    let mut pack = rules.pack.clone();
    pack.rules = report.summary.rules;
    report.rule_pack = Some(pack);
    // A module two roots call reports its syntax error twice: once is enough.
    let mut seen = BTreeSet::new();
    let errors: Vec<InputError> = loaded
        .errors
        .into_iter()
        .filter(|e| {
            seen.insert((
                e.path.clone(),
                e.message.clone(),
                e.span.map(|s| s.offset()),
            ))
        })
        .collect();
    report.errors.extend(loaded.carried_errors);
    report.errors.extend(errors.iter().map(|e| ReportError {
        source: e.path.clone(),
        message: e.message.clone(),
    }));
    let mut seen = BTreeSet::new();
    report
        .errors
        .retain(|e| seen.insert((e.source.clone(), e.message.clone())));
    report.warnings = warnings;
    report.rules_skipped = rules.skipped.clone();
    let today = opts
        .today
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    suppress::apply(
        &mut report,
        &loaded.ignores,
        &opts.config,
        today,
        &rules.renames,
    );
    report.finish();
    (report, errors)
}

/// Exit code: 2 when an input, rule or config could not be used; 1 when a
/// failing finding is at or above `fail_on` (unknown ones too with
/// `--unknown fail`); else 0.
pub fn exit_code(report: &Report, fail_on: crate::findings::Severity, unknown: UnknownMode) -> u8 {
    if !report.errors.is_empty() {
        return 2;
    }
    let counts =
        |s: Status| s == Status::Fail || (s == Status::Unknown && unknown == UnknownMode::Fail);
    if report
        .findings
        .iter()
        .any(|f| counts(f.status) && f.severity >= fail_on)
    {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_not_written_as_json_are_recognised() {
        let human = "\nTerraform used the selected providers to generate the following execution\nplan. Resource actions are indicated with the following symbols:\n  + create\n";
        assert!(is_human_plan(human));
        let coloured = "\x1b[0m\x1b[1mTerraform will perform the following actions:\x1b[0m\n";
        assert!(is_human_plan(coloured));
        assert!(is_human_plan(
            "\x1b[1mPlan:\x1b[0m 3 to add, 0 to change, 0 to destroy.\n"
        ));
        assert!(!is_human_plan("{\"format_version\": \"1.2\"}"));
        assert!(!is_human_plan("hello"));
        assert!(is_binary_plan(b"PK\x03\x04rest"));
        assert!(!is_binary_plan(b"{}"));
    }

    #[test]
    fn lexical_paths() {
        assert_eq!(lexical(FsPath::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(lexical(FsPath::new("../x/./y")), PathBuf::from("../x/y"));
        assert_eq!(slash_path(FsPath::new("/tmp/a/b")), "/tmp/a/b");
        assert_eq!(slash_path(FsPath::new("a/b")), "a/b");
    }

    #[test]
    fn locator_makes_paths_relative_to_the_root() {
        let root = std::env::temp_dir().join(format!("mcpguard-locator-{}", std::process::id()));
        std::fs::create_dir_all(root.join("infra/modules")).unwrap();
        std::fs::write(root.join("infra/main.tf"), "").unwrap();
        let root = std::fs::canonicalize(&root).unwrap();
        let mut loc = Locator::new(&root);
        assert_eq!(loc.locate(&root.join("infra/main.tf")), "infra/main.tf");
        // A module beside the scanned folder: `..` is resolved.
        assert_eq!(
            loc.locate(&root.join("infra/modules/../main.tf")),
            "infra/main.tf"
        );
        assert_eq!(loc.locate(&root), ".");
        assert_eq!(loc.locate(FsPath::new("-")), "-");
        // Outside the root: as given.
        assert_eq!(
            loc.locate(FsPath::new("/elsewhere/./x.tf")),
            "/elsewhere/x.tf"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
