//! Issue 13 item 3: `mcpguard scan main.bicep` compiles with the Bicep CLI
//! and scans the template.
//!
//! No Bicep CLI can be installed or run on these machines, so the CLI is
//! played back by a test double: a shell script named `bicep` (or `az`) put
//! first on `PATH`, which prints the compiled template committed beside the
//! `.bicep` file (`main.bicep` → `main.json`), as `bicep build --stdout`
//! would. That is the one stand-in of these tests. The committed template
//! `fixtures/bicep/hardened-container-app/main.json` is written exactly as
//! Bicep 0.39 compiles its `main.bicep` (languageVersion 2.0 because of the
//! user-defined type; symbolic names; `dependsOn` by symbolic name; the
//! module as a nested deployment with an inner-scoped classic template;
//! `reference('law')`, `listKeys('law', …)` and module outputs as Bicep emits
//! them), checked against the templates Bicep compiled in
//! `../shared/corpus/arm-templates/bicep-registry-modules` and
//! `../shared/corpus/bicep/AI-Gateway/labs/foundry-e2e-private/main.json`;
//! only the `templateHash` values are not recomputed. The corpus's own
//! compiled `main.json` (the one MCP project that commits its compiled
//! template) is played back for its `main.bicep` too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-bicep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The test double of the Bicep CLI, written as `dir/NAME` (`bicep` or
/// `az`). It plays back `FILE.json` for `build FILE` and
/// `FILE.build-params.json` for `build-params FILE.bicepparam`; a
/// `FILE.stderr` beside the file is printed as the compiler's diagnostics
/// with exit code 1; `DOUBLE_SLEEP` makes it hang that many seconds. Each
/// call is appended to `dir/calls`.
fn double(dir: &Path, name: &str) {
    let script = format!(
        r#"#!/bin/sh
# Test double of the Bicep CLI: no Bicep CLI can run here.
echo "$*" >> '{calls}'
[ "$1" = bicep ] && shift
verb=$1; shift
file=
for a in "$@"; do case "$a" in --*) ;; *) file=$a ;; esac; done
if [ -n "$DOUBLE_SLEEP" ]; then exec sleep "$DOUBLE_SLEEP"; fi
if [ -f "$file.stderr" ]; then cat "$file.stderr" >&2; exit 1; fi
case "$verb" in
  build) exec cat "${{file%.bicep}}.json" ;;
  build-params) exec cat "${{file%.bicepparam}}.build-params.json" ;;
esac
echo "unknown verb $verb" >&2; exit 2
"#,
        calls = dir.join("calls").display()
    );
    let p = dir.join(name);
    std::fs::write(&p, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// Runs mcpguard with only `bin` (and the shell's own directories, which
/// hold neither `bicep` nor `az` here) on PATH.
fn mcpguard(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let mut c = Command::new(env!("CARGO_BIN_EXE_mcpguard"));
    c.args(args)
        .current_dir(crate_root())
        .env("NO_COLOR", "1")
        .env("PATH", path)
        .env_remove("MCPGUARD_BICEP_TIMEOUT");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run mcpguard")
}

fn has_real_cli() -> bool {
    ["/usr/bin/bicep", "/usr/bin/az", "/bin/bicep", "/bin/az"]
        .iter()
        .any(|p| Path::new(p).exists())
}

fn words(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .replace(['│', '×', '╭', '╰', '─', '·'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn json_report(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

const FIXTURE: &str = "fixtures/bicep/hardened-container-app/main.bicep";

fn line_of(file: &str, starts: &str) -> u64 {
    let text = std::fs::read_to_string(crate_root().join(file)).unwrap();
    text.lines().position(|l| l.starts_with(starts)).unwrap() as u64 + 1
}

#[test]
fn a_bicep_file_is_compiled_and_its_findings_land_on_the_bicep_lines() {
    let bin = tmp("build");
    double(&bin, "bicep");
    let o = mcpguard(
        &bin,
        &["scan", FIXTURE, "--format", "json", "--include-passed"],
        &[],
    );
    let calls = std::fs::read_to_string(bin.join("calls")).unwrap();
    assert!(
        calls.starts_with("build --stdout --no-restore ")
            && calls.trim_end().ends_with("main.bicep"),
        "{calls}"
    );
    let r = json_report(&o);
    assert_eq!(o.status.code(), Some(0), "{}", words(&o.stderr));
    assert_eq!(r["summary"]["fail"], 0, "{r:#}");
    let app_line = line_of(FIXTURE, "resource app ");
    let is_app = |v: &serde_json::Value| {
        v["resource"]["id"]
            .as_str()
            .unwrap_or("")
            .ends_with("containerApps/ca-mcp-github")
    };
    // The app's checks pass, each on `resource app …` in main.bicep.
    let passes: Vec<&serde_json::Value> = r["passes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| is_app(p))
        .collect();
    let rules: Vec<&str> = passes
        .iter()
        .map(|p| p["rule_id"].as_str().unwrap())
        .collect();
    // MCP009 too: the registry pulls with the identity the identity module
    // outputs (`identity.outputs.resourceId`), an output computed from the
    // module's own `resourceId()`, so a reference to the identity.
    for rule in [
        "MCP001", "MCP002", "MCP003", "MCP004", "MCP005", "MCP009", "MCP014", "MCP016",
    ] {
        assert!(rules.contains(&rule), "{rule} passes: {rules:?}");
    }
    for p in &passes {
        assert_eq!(p["location"]["file"], FIXTURE, "{p:#}");
        assert_eq!(p["location"]["line"], app_line, "{p:#}");
    }
    let findings = r["findings"].as_array().unwrap();
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn a_bicepparam_is_compiled_with_its_parameters_and_module_findings_land_in_the_module() {
    let bin = tmp("params");
    double(&bin, "bicep");
    let params = "fixtures/bicep/hardened-container-app/pull-request.bicepparam";
    let o = mcpguard(&bin, &["scan", params, "--format", "json"], &[]);
    let calls = std::fs::read_to_string(bin.join("calls")).unwrap();
    assert!(
        calls.starts_with("build-params --stdout --no-restore "),
        "{calls}"
    );
    assert_eq!(o.status.code(), Some(1), "{}", words(&o.stderr));
    let r = json_report(&o);
    // The parameters file makes the identity trust every pull request.
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "MCP006")
        .unwrap_or_else(|| panic!("MCP006: {r:#}"));
    assert_eq!(f["status"], "fail");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("repo:contoso/mcp-infra:pull_request"));
    // Declared in the module the main file calls.
    let module = "fixtures/bicep/hardened-container-app/modules/identity.bicep";
    assert_eq!(f["location"]["file"], module, "{f:#}");
    assert_eq!(
        f["location"]["line"],
        line_of(module, "resource github "),
        "{f:#}"
    );
}

#[test]
fn az_is_used_when_it_is_the_only_cli() {
    let bin = tmp("az");
    double(&bin, "az");
    let o = mcpguard(&bin, &["scan", FIXTURE, "--format", "json"], &[]);
    let calls = std::fs::read_to_string(bin.join("calls")).unwrap();
    assert!(
        calls.starts_with("bicep build --stdout --no-restore --file "),
        "{calls}"
    );
    assert_eq!(o.status.code(), Some(0), "{}", words(&o.stderr));
}

#[test]
fn without_a_bicep_cli_the_scan_exits_2_and_says_what_to_install_or_run() {
    if has_real_cli() {
        eprintln!("skipped: a Bicep CLI or az is installed in /usr/bin or /bin");
        return;
    }
    let bin = tmp("none");
    let o = mcpguard(&bin, &["scan", FIXTURE], &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = words(&o.stderr);
    assert!(err.contains("neither `bicep` nor `az` is on PATH"), "{err}");
    assert!(err.contains("az bicep install"), "{err}");
    assert!(err.contains("bicep build"), "{err}");
    assert!(
        err.contains("then `mcpguard scan fixtures/bicep/hardened-container-app/main.json`"),
        "{err}"
    );
}

#[test]
fn compile_errors_are_passed_through_at_their_file_and_line() {
    let bin = tmp("broken");
    double(&bin, "bicep");
    let src = bin.join("broken.bicep");
    std::fs::write(
        &src,
        "param location string = 'westeurope'\n\nresource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {\n  name: nsgName\n  location: location\n}\n",
    )
    .unwrap();
    // What Bicep prints for this file (diagnostics on stderr, exit code 1).
    std::fs::write(
        bin.join("broken.bicep.stderr"),
        format!(
            "{0}(4,9) : Error BCP057: The name \"nsgName\" does not exist in the current context. [https://aka.ms/bicep/core-diagnostics#BCP057]\n{0}(1,7) : Warning no-unused-params: Parameter \"location\" is declared but never used. [https://aka.ms/bicep/linter-diagnostics#no-unused-params]\n",
            src.display()
        ),
    )
    .unwrap();
    let o = mcpguard(&bin, &["scan", src.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = words(&o.stderr);
    assert!(
        err.contains("BCP057: The name \"nsgName\" does not exist"),
        "{err}"
    );
    assert!(
        err.contains("broken.bicep:4:9"),
        "located at line 4, column 9: {err}"
    );
    // With an excerpt of the Bicep text, values masked as in every excerpt
    // (a Bicep literal may be a secret).
    assert!(err.contains("4 name: ***"), "with the Bicep line: {err}");
    assert!(
        !err.contains("no-unused-params"),
        "warnings are not errors: {err}"
    );
}

#[test]
fn a_compiler_that_hangs_is_stopped_at_the_timeout() {
    let bin = tmp("hang");
    double(&bin, "bicep");
    let start = Instant::now();
    let o = mcpguard(
        &bin,
        &["scan", FIXTURE],
        &[("DOUBLE_SLEEP", "30"), ("MCPGUARD_BICEP_TIMEOUT", "1")],
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(o.status.code(), Some(2));
    let err = words(&o.stderr);
    assert!(
        err.contains("did not finish compiling it within 1 s"),
        "{err}"
    );
    assert!(err.contains("MCPGUARD_BICEP_TIMEOUT"), "{err}");
}

#[test]
fn a_directory_compiles_its_entry_files_only() {
    let bin = tmp("dir");
    double(&bin, "bicep");
    let o = mcpguard(
        &bin,
        &[
            "scan",
            "fixtures/bicep/hardened-container-app",
            "--format",
            "json",
        ],
        &[],
    );
    let calls = std::fs::read_to_string(bin.join("calls")).unwrap();
    // modules/identity.bicep is main.bicep's module, and main.bicep is
    // compiled through the parameters file that is for it: one entry.
    assert_eq!(calls.lines().count(), 1, "{calls}");
    assert!(
        calls.starts_with("build-params ") && calls.contains("pull-request.bicepparam"),
        "{calls}"
    );
    assert_eq!(o.status.code(), Some(1), "{}", words(&o.stderr));
}

/// `../shared/corpus/bicep/`: the Bicep sources of five real MCP
/// deployments. Only `AI-Gateway/labs/foundry-e2e-private` commits its
/// compiled template (`main.json`, beside `main.bicep`); the others are not
/// compiled anywhere, and cannot be here, so for them only the entry files
/// are tested.
#[test]
fn corpus_entry_files_are_the_deployments_main_files() {
    let root = Path::new(CORPUS).join("bicep");
    if !root.is_dir() {
        eprintln!("skipped: {} is absent", root.display());
        return;
    }
    let entries: Vec<String> = mcpguard::load::bicep::entry_files(&root)
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    for main in [
        "AI-Gateway/labs/foundry-e2e-private/main.bicep",
        "AI-Gateway/labs/mcp-client-authorization/main.bicep",
        "AI-Gateway/labs/mcp-from-api/main.bicep",
        "mcp-container-ts/infra/main.bicep",
        "remote-mcp-apim-functions-python/infra/main.bicep",
        "remote-mcp-functions-python/infra/main.bicep",
    ] {
        assert!(
            entries.contains(&main.to_string()),
            "{main} not an entry: {entries:#?}"
        );
    }
    // Modules of another file are not entries: the shared modules, and a
    // lab's own.
    for module in [
        "AI-Gateway/modules/apim/v2/apim.bicep",
        "AI-Gateway/labs/foundry-e2e-private/modules/vnet.bicep",
        "mcp-container-ts/infra/resources.bicep",
        "remote-mcp-apim-functions-python/infra/core/apim/apim.bicep",
    ] {
        assert!(
            !entries.contains(&module.to_string()),
            "{module} is a module: {entries:#?}"
        );
    }
}

/// The corpus's one compiled Bicep project, played back for its
/// `main.bicep`: every finding lands on a `.bicep` line, the API Management
/// instance's on its declaration in the lab's own module.
#[test]
fn the_corpus_compiled_template_scans_through_the_bicep_path() {
    let main = Path::new(CORPUS).join("bicep/AI-Gateway/labs/foundry-e2e-private/main.bicep");
    if !main.with_extension("json").is_file() {
        eprintln!("skipped: {} is absent", main.display());
        return;
    }
    let bin = tmp("corpus");
    double(&bin, "bicep");
    let o = mcpguard(
        &bin,
        &["scan", main.to_str().unwrap(), "--format", "json"],
        &[],
    );
    let calls = std::fs::read_to_string(bin.join("calls")).unwrap();
    assert_eq!(calls.lines().count(), 1, "{calls}");
    assert_ne!(o.status.code(), Some(2), "{}", words(&o.stderr));
    let r = json_report(&o);
    let findings = r["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{r:#}");
    for f in findings {
        let file = f["location"]["file"].as_str().unwrap_or("");
        assert!(
            file.ends_with(".bicep") && f["location"]["line"].is_u64(),
            "{f:#}"
        );
    }
    // The lab's gateway: declared in modules/api-management.bicep, and its
    // inbound policy validates no token (what its XML says).
    let module = main.parent().unwrap().join("modules/api-management.bicep");
    let decl = std::fs::read_to_string(&module)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("resource apiManagement "))
        .unwrap() as u64
        + 1;
    let gateway = findings
        .iter()
        .find(|f| f["rule_id"] == "MCP012")
        .unwrap_or_else(|| panic!("MCP012: {r:#}"));
    assert_eq!(gateway["status"], "fail");
    assert!(gateway["location"]["file"]
        .as_str()
        .unwrap()
        .ends_with("modules/api-management.bicep"));
    assert_eq!(gateway["location"]["line"], decl);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// `// mcpguard:ignore MCP006 reason="…"` above a declaration in a Bicep
/// file (decorators may stand between) suppresses the findings located at
/// that declaration, as the same comment does above a Terraform block; a
/// comment above no declaration is a note, never silently dropped.
#[test]
fn an_ignore_comment_in_bicep_suppresses_the_findings_of_its_declaration() {
    let bin = tmp("ignore");
    double(&bin, "bicep");
    let dir = bin.join("infra");
    copy_dir(
        &crate_root().join("fixtures/bicep/hardened-container-app"),
        &dir,
    );
    let module = dir.join("modules/identity.bicep");
    let text = std::fs::read_to_string(&module).unwrap();
    let at = text.find("resource github ").expect("the declaration");
    let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let edited = format!(
        "// mcpguard:ignore MCP001 reason=\"above a parameter\"\n{}// mcpguard:ignore MCP006 reason=\"pull requests deploy to the review environment only\"\n@description('the CI identity')\n{}",
        &text[..start],
        &text[start..]
    );
    std::fs::write(&module, edited).unwrap();
    let params = dir.join("pull-request.bicepparam");
    let o = mcpguard(
        &bin,
        &["scan", params.to_str().unwrap(), "--format", "json"],
        &[],
    );
    let r = json_report(&o);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "MCP006")
        .unwrap_or_else(|| panic!("MCP006: {r:#}"));
    assert_eq!(f["status"], "suppressed", "{f:#}");
    assert_eq!(o.status.code(), Some(0), "{}", words(&o.stderr));
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("`mcpguard:ignore` is not above a resource declaration"),
        "{notes}"
    );
}

/// azd's layout: `main.parameters.json` beside `main.bicep` gives its
/// parameters (here a federated subject that admits every pull request, so
/// MCP006 fails where the default passes), with a note naming the file.
#[test]
fn the_parameters_file_beside_a_bicep_file_gives_its_parameters() {
    let bin = tmp("beside");
    double(&bin, "bicep");
    let dir = bin.join("infra");
    copy_dir(
        &crate_root().join("fixtures/bicep/hardened-container-app"),
        &dir,
    );
    std::fs::write(
        dir.join("main.parameters.json"),
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
           "parameters": {"federatedSubject": {"value": "repo:contoso/mcp-infra:pull_request"}}}"#,
    )
    .unwrap();
    let main = dir.join("main.bicep");
    let o = mcpguard(
        &bin,
        &["scan", main.to_str().unwrap(), "--format", "json"],
        &[],
    );
    let r = json_report(&o);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "MCP006" && f["status"] == "fail"),
        "{r:#}"
    );
    assert!(
        r["notes"]
            .to_string()
            .contains("main.parameters.json`, the parameters file beside it"),
        "{}",
        r["notes"]
    );
}
