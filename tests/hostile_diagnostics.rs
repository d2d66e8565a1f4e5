//! Issue 10, items 1 and 2: a diagnostic never prints a secret, never prints
//! more than a bounded window of a long line, and renders whatever the column.
//! Each input kind gets a planted secret next to a syntax or evaluation error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mcpguard(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcpguard")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "mcpguard-hostile-diag-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Exit 2, a located diagnostic naming `file`, no planted secret anywhere in
/// the output, no panic, and no stderr line wider than the excerpt window
/// (plus miette's gutter).
fn assert_safe(o: &Output, file: &str, secrets: &[&str]) {
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stdout:\n{out}\nstderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(file), "the diagnostic names {file}:\n{err}");
    assert!(
        err.contains('╭') || err.contains("-->"),
        "a located excerpt:\n{err}"
    );
    for s in secrets {
        assert!(
            !err.contains(s) && !out.contains(s),
            "`{s}` printed:\n{err}\n{out}"
        );
    }
    // The report's own error lines repeat the message; the excerpt lines are
    // the ones miette draws (`│`).
    for line in err.lines().filter(|l| l.contains('│')) {
        assert!(
            line.chars().count() <= 200,
            "an excerpt line of {} chars",
            line.chars().count()
        );
    }
}

fn compact_plan(tail: &str) -> String {
    format!(
        concat!(
            r#"{{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{{"root_module":{{"resources":["#,
            r#"{{"address":"azurerm_container_group.a","type":"azurerm_container_group","name":"a","values":{{"name":"{}","#,
            r#""secure_environment_variables":{{"TOKEN":"PlantedPlan1"}},"environment_variables":{{"MODE":"PlantedPlan2"}}}}}}]}}}},"#,
            r#""resource_changes":[{{"address":"azurerm_container_group.a","change":{{"after":{{"custom_data":"PlantedPlan3"}},"#,
            r#""after_sensitive":{{"custom_data":true}}}}}}],"variables":{{"db_password":{{"value":"PlantedPlan4"}}}}{}"#
        ),
        "n".repeat(80_000),
        tail
    )
}

#[test]
fn compact_plan_with_a_syntax_error_prints_a_window_not_the_plan() {
    let d = tmp("plan");
    // The error sits right after the secrets: the window holds them.
    std::fs::write(d.join("plan.json"), compact_plan(" 1}")).unwrap();
    let o = mcpguard(&["scan", "plan.json"], &d);
    assert_safe(
        &o,
        "plan.json",
        &[
            "PlantedPlan1",
            "PlantedPlan2",
            "PlantedPlan3",
            "PlantedPlan4",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.len() < 4_000, "{} bytes of diagnostics", err.len());
    // The header keeps the true column (past 65,535).
    assert!(err.contains("plan.json:1:8"), "{err}");
}

#[test]
fn a_secret_inside_the_error_is_masked_too() {
    let d = tmp("inside");
    // A raw control character inside the secret string is the syntax error.
    let plan = compact_plan("}").replace("PlantedPlan1", "Planted\u{1}Plan1");
    std::fs::write(d.join("plan.json"), plan).unwrap();
    let o = mcpguard(&["scan", "plan.json"], &d);
    assert_safe(&o, "plan.json", &["Planted", "Plan1"]);
}

#[test]
fn arm_snapshot_error_masks_secure_and_plain_env_values() {
    let d = tmp("arm");
    let snap = concat!(
        r#"{"value": [{"id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/mcp","#,
        r#" "type": "Microsoft.ContainerInstance/containerGroups", "properties": {"containers": [{"name": "c", "properties": {"environmentVariables": ["#,
        r#"{"name": "GITHUB_TOKEN", "secureValue": "PlantedArm1"}, {"name": "MODE", "value": "PlantedArm2"}]}}],"#,
        r#" "imageRegistryCredentials": [{"server": "r.azurecr.io", "password": "PlantedArm3"}] ]}}]}"#
    );
    std::fs::write(d.join("snapshot.json"), snap).unwrap();
    let o = mcpguard(&["scan", "snapshot.json"], &d);
    assert_safe(
        &o,
        "snapshot.json",
        &["PlantedArm1", "PlantedArm2", "PlantedArm3"],
    );
}

#[test]
fn terraform_source_errors_mask_sensitive_values() {
    let d = tmp("tf");
    std::fs::write(
        d.join("main.tf"),
        r#"variable "db" {
  sensitive = true
  default   = "PlantedTf1"
}
resource "azurerm_container_group" "a" {
  secure_environment_variables = { TOKEN = "PlantedTf2" }
  password = "PlantedTf3" }}
}
"#,
    )
    .unwrap();
    let o = mcpguard(&["scan", "."], &d);
    assert_safe(&o, "main.tf", &["PlantedTf1", "PlantedTf2", "PlantedTf3"]);
    // An evaluation error points at a span: the same masking applies.
    std::fs::write(
        d.join("main.tf"),
        "locals {\n  admin_password = nosuchfunc(\"PlantedTf4\")\n}\n",
    )
    .unwrap();
    let o = mcpguard(&["scan", "."], &d);
    assert_safe(&o, "main.tf", &["PlantedTf4"]);
}

#[test]
fn tfvars_errors_mask_every_value() {
    let d = tmp("tfvars");
    std::fs::write(
        d.join("main.tf"),
        "variable \"mcp_key\" {\n  sensitive = true\n}\n",
    )
    .unwrap();
    std::fs::write(d.join("prod.tfvars"), "mcp_key = \"PlantedVars1\" +\n").unwrap();
    let o = mcpguard(&["scan", ".", "--var-file", "prod.tfvars"], &d);
    assert_safe(&o, "prod.tfvars", &["PlantedVars1"]);
}

#[test]
fn config_errors_mask_values_that_cannot_be_classified() {
    let d = tmp("config");
    std::fs::write(d.join("main.tf"), "").unwrap();
    std::fs::write(
        d.join(".mcpguard.hcl"),
        "rule \"MCP002\" {\n  approved_subnet_ids = [\"PlantedCfg1\"] }\n  token = \"PlantedCfg2\"\n}\n",
    )
    .unwrap();
    let o = mcpguard(&["scan", "."], &d);
    assert_safe(&o, ".mcpguard.hcl", &["PlantedCfg2"]);
}

#[test]
fn rule_file_error_past_column_65535_renders() {
    let d = tmp("rule");
    std::fs::create_dir_all(d.join("rules")).unwrap();
    let rule = format!(
        r#"{{"properties": {{"description": "{}", "policyRule": {{"if": {{"field": "type", "equals": "x"}}, "then": {{"effect": "deny"}}}} x}}}}"#,
        "d".repeat(70_000)
    );
    std::fs::write(d.join("rules/long.json"), rule).unwrap();
    std::fs::write(d.join("main.tf"), "").unwrap();
    let o = mcpguard(&["scan", ".", "--rules", "rules"], &d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("long.json:1:70"), "{err}");
    assert!(err.len() < 4_000, "{} bytes", err.len());
}

/// Renders a diagnostic the way `main` does, without colour.
fn render(e: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, e)
        .expect("renders");
    out
}

#[test]
fn every_kind_of_input_renders_an_error_past_column_65535() {
    let long = "x".repeat(70_000);
    for (name, text) in [
        ("main.tf", format!("locals {{ a = \"{long}\" }} }}")),
        ("prod.tfvars", format!("a = \"{long}\" +")),
        (".mcpguard.hcl", format!("fail_on = \"{long}\" }}")),
        ("plan.json", format!("{{\"a\": \"{long}\" 1}}")),
    ] {
        let e = mcpguard::load::InputError::new(name, "bad").at(&text, 1, 70_005, "here");
        let shown = render(&e);
        assert!(shown.contains(&format!("{name}:1:70005")), "{shown}");
        assert!(shown.len() < 2_000, "{shown}");
    }
}

proptest::proptest! {
    /// Any text, any span: the excerpt renders, stays narrow, and points
    /// inside itself.
    #[test]
    fn any_span_of_any_text_renders(
        text in "([a-z\"{}\\[\\]:=,\\\\ \\n\\r\\t\u{e9}\u{1F600}#<]|x{200}){0,60}",
        start in 0usize..20_000,
        len in 0usize..20_000,
        kind in proptest::sample::select(vec!["a.json", "a.tf", "a.tfvars", "a.hcl"]),
    ) {
        let e = mcpguard::load::InputError::new(kind, "bad").at_span(&text, start, len, "here");
        let shown = render(&e);
        for line in shown.lines() {
            proptest::prop_assert!(line.chars().count() <= 200, "{}", line);
        }
    }
}

#[test]
fn exit_2_from_a_snapshot_of_an_incomplete_sweep_explains_itself_on_stderr() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = mcpguard(
        &[
            "scan",
            "fixtures/arm/snapshot_incomplete.json",
            "--format",
            "json",
        ],
        root,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("subscription 99999999-0000-0000-0000-000000000000: 403 Forbidden"),
        "{err}"
    );
    // The recorded text comes from the input: no terminal control passes.
    let d = tmp("carried");
    let snap = std::fs::read_to_string(root.join("fixtures/arm/snapshot_incomplete.json"))
        .unwrap()
        .replace(
            "403 Forbidden",
            "403 \\u001b[2J\\u001b]0;pwned\\u0007Forbidden",
        );
    std::fs::write(d.join("snap.json"), snap).unwrap();
    let o = mcpguard(&["scan", "snap.json", "--format", "json"], &d);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Forbidden") && !err.contains('\u{1b}') && !err.contains('\u{7}'),
        "{err:?}"
    );
}

#[test]
fn many_errors_in_one_input_stay_linear() {
    // 5,000 bad documents: each used to copy the whole text into its
    // diagnostic (the original of this test was killed for memory at 20,000).
    let docs: Vec<String> = (0..5_000)
        .map(|i| format!(r#"{{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n{i}", "type": 5, "properties": {{"x": "{}"}}}}"#, "y".repeat(200)))
        .collect();
    let text = format!("[{}]", docs.join(","));
    let start = std::time::Instant::now();
    let out = mcpguard::load::arm::load("many.json", &text).expect("loads");
    assert_eq!(out.errors.len(), 5_000);
    let located = out.errors.iter().filter(|e| e.src.is_some()).count();
    assert_eq!(located, mcpguard::load::MAX_LOCATED_PER_INPUT);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
}
