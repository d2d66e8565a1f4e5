//! Modules as Terraform finds them: local sources wherever they point
//! (listed when outside the scanned directory), `--root` to fence reading,
//! registry and git modules from `terraform init`'s manifest, and rule
//! MCP015 when a module could not be read.

use std::path::{Path, PathBuf};
use std::process::Command;

use mcpguard::config::Config;
use mcpguard::findings::Status;
use mcpguard::load::hcl::{load, HclOptions, HclOutput};
use mcpguard::report::{render, Format, RenderOptions};
use mcpguard::scan::{self, ScanOptions};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hcl")
        .join(name)
}

fn messages(o: &HclOutput) -> Vec<String> {
    o.errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect()
}

#[test]
fn a_module_outside_the_scanned_directory_is_followed_and_listed() {
    let o = load(&fixture("outside/examples/basic"), &HclOptions::default());
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let r = &o.model.resources[0];
    assert_eq!(r.address, "module.app.azurerm_resource_group.this");
    assert_eq!(r.origin.file.as_deref(), Some("../../modules/app/main.tf"));
    // path.module is relative to the scanned directory, as Terraform gives it,
    // and file() reads inside the module directory that was read.
    assert_eq!(
        r.values["tags"],
        json!({"module": "../../modules/app", "script": "echo setup\n"})
    );
    assert!(
        o.model
            .notes
            .iter()
            .any(|n| n.starts_with("module directories read outside")
                && n.contains("`../../modules/app`")),
        "{:?}",
        o.model.notes
    );
}

#[test]
fn root_fences_reading_with_a_located_diagnostic() {
    let inside = HclOptions {
        root: Some(fixture("outside")),
        ..Default::default()
    };
    let o = load(&fixture("outside/examples/basic"), &inside);
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let fenced = HclOptions {
        root: Some(fixture("outside/examples")),
        ..Default::default()
    };
    let o = load(&fixture("outside/examples/basic"), &fenced);
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("module `app`: source `../../modules/app` is `"),
        "{m:?}"
    );
    assert!(m[0].contains("outside --root `"), "{m:?}");
    assert!(o.errors[0].span.is_some(), "located at the source");
    // The scanned directory itself must be inside --root.
    let o = load(&fixture("outside/modules/app"), &fenced);
    assert!(
        messages(&o)[0].contains("is outside --root"),
        "{:?}",
        messages(&o)
    );
}

#[test]
fn registry_modules_are_read_from_the_manifest_under_tf_data_dir() {
    let out = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(["scan", "--format", "json"])
        .arg(fixture("registry-init"))
        .env("TF_DATA_DIR", "tfdata")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["errors"].as_array().unwrap().is_empty(), "{report}");
    let findings = report["findings"].as_array().unwrap();
    // The git module was never installed: one MCP015 finding on its call.
    let mcp015: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "MCP015")
        .collect();
    assert_eq!(mcp015.len(), 1, "{findings:?}");
    assert_eq!(mcp015[0]["resource"]["address"], "module.git");
    assert_eq!(mcp015[0]["status"], "unknown");
    let notes = report["notes"].to_string();
    assert!(notes.contains("has no module `git`"), "{notes}");
    // The registry module was read: its output reached the resource group.
    // (The repository's own workflows come with any directory scanned inside
    // it, as `scan ./infra` brings a repository's pipelines: not counted.)
    let jobs = report["resource_types"]["GitHub.Actions/workflows/jobs"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(
        report["summary"]["resources"].as_u64().unwrap() - jobs,
        3,
        "{report}"
    );

    // Without TF_DATA_DIR there is no manifest: both calls are unread.
    let o = load(&fixture("registry-init"), &HclOptions::default());
    let unread: Vec<&str> = o
        .model
        .resources
        .iter()
        .filter(|r| r.tf_type == "module")
        .map(|r| r.address.as_str())
        .collect();
    if std::env::var_os("TF_DATA_DIR").is_none() {
        assert_eq!(unread, ["module.git", "module.vnet"]);
    }
}

/// MCP015 is visible in every report format, not only as a note.
#[test]
fn an_unread_module_is_an_unknown_finding_in_every_format() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules/MCP015/fail");
    let opts = ScanOptions {
        config: Config::load(&dir.join(".mcpguard.hcl")).unwrap(),
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).unwrap();
    let loaded = scan::load_inputs(&[dir.join("main.tf")], &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    let f: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "MCP015")
        .collect();
    assert_eq!(f.len(), 1, "{:?}", report.findings);
    assert_eq!(f[0].status, Status::Unknown);
    assert_eq!(f[0].resource.address, "module.runners");
    assert_eq!(f[0].location.as_ref().and_then(|l| l.line), Some(3));
    assert_eq!(
        f[0].message,
        "module `Azure/avm-ptn-cicd-agents-and-runners/azurerm` was not read, so its resources are not checked: run `terraform init`, or scan the plan"
    );
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("run `terraform init`")));
    let metas: Vec<_> = rules.active.iter().map(|a| a.rule.meta.clone()).collect();
    for format in [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Github,
        Format::Markdown,
        Format::Html,
    ] {
        let text = render(format, &report, &metas, &RenderOptions::default());
        assert!(text.contains("MCP015"), "{format:?}: {text}");
        assert!(text.contains("module.runners"), "{format:?}: {text}");
    }
}
