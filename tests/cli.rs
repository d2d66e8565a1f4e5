//! The command line as users and CI run it: exit codes, diagnostics for bad
//! input, and what is (never) printed.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mcpguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100") // help text wraps at a fixed width
        .output()
        .expect("run mcpguard")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

const BEFORE: &str = "fixtures/seed/before-incident";
const HARDENED: &str = "fixtures/seed/hardened";

#[test]
fn failing_scan_exits_1_clean_scan_exits_0() {
    let o = mcpguard(&[
        "scan",
        &format!("{BEFORE}/plan.json"),
        "--config",
        &format!("{BEFORE}/.mcpguard.hcl"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let o = mcpguard(&[
        "scan",
        &format!("{HARDENED}/plan.json"),
        "--config",
        &format!("{HARDENED}/.mcpguard.hcl"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn fail_on_threshold_gates_the_exit_code() {
    // MCP003 (medium) alone fails the MCP003 fixture; --fail-on high lets it pass.
    let dir = "fixtures/rules/MCP003/fail";
    let cfg = format!("{dir}/.mcpguard.hcl");
    let o = mcpguard(&["scan", &format!("{dir}/plan.json"), "--config", &cfg]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let o = mcpguard(&[
        "scan",
        &format!("{dir}/plan.json"),
        "--config",
        &cfg,
        "--fail-on",
        "high",
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn json_report_follows_the_contract() {
    let o = mcpguard(&[
        "scan",
        &format!("{BEFORE}/plan.json"),
        "--config",
        &format!("{BEFORE}/.mcpguard.hcl"),
        "--format",
        "json",
    ]);
    let (out, err) = text(&o);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    assert_eq!(v["schema"], "mcpguard/report/v1");
    assert_eq!(v["tool"]["name"], "mcpguard");
    assert_eq!(v["inputs"][0]["kind"], "plan");
    for key in ["resources", "rules", "fail", "unknown", "suppressed"] {
        assert!(v["summary"][key].is_u64(), "summary.{key}");
    }
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    let mut last = (String::new(), String::new());
    for f in findings {
        for key in [
            "rule_id", "severity", "status", "message", "resource", "location", "evidence",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
        }
        for key in ["address", "type", "arm_type", "id"] {
            assert!(f["resource"][key].is_string(), "resource.{key}: {f}");
        }
        let key = (
            f["rule_id"].as_str().unwrap().to_string(),
            f["resource"]["address"].as_str().unwrap().to_string(),
        );
        assert!(key >= last, "findings not sorted by (rule_id, address)");
        last = key;
    }
    assert!(v["errors"].as_array().unwrap().is_empty());
    assert!(
        !out.contains("ghp_not_a_real_token"),
        "a secret was printed"
    );
}

#[test]
fn bad_inputs_exit_2_with_a_diagnostic_naming_the_file() {
    let d = tmp("bad");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not-json.json", b"this is not json".to_vec(), "not-json.json"),
        ("truncated.json", br#"{"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {"root_module": {"#.to_vec(), "truncated"),
        ("future.json", br#"{"format_version": "9.0", "terraform_version": "9.0.0", "planned_values": {}}"#.to_vec(), "format_version"),
        ("not-a-plan.json", br#"{"hello": "world"}"#.to_vec(), "not-a-plan.json"),
    ];
    for (name, bytes, want) in cases {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        let o = mcpguard(&["scan", p.to_str().unwrap()]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {out} {err}");
        assert!(
            err.contains(want) || out.contains(want),
            "{name}: stderr lacks `{want}`: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn oversized_input_is_refused_without_reading_it() {
    let d = tmp("big");
    let p = d.join("huge.json");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(2 * 1024 * 1024 * 1024).unwrap(); // sparse: costs no disk
    let o = mcpguard(&["scan", p.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("input limit"), "{err}");
    std::fs::remove_file(&p).ok();
}

#[test]
fn utf16_plan_from_powershell_is_read() {
    let plan = std::fs::read_to_string(root().join(HARDENED).join("plan.json")).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    for u in plan.replace('\n', "\r\n").encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    let d = tmp("utf16");
    let p = d.join("plan.json");
    std::fs::write(&p, bytes).unwrap();
    let o = mcpguard(&[
        "scan",
        p.to_str().unwrap(),
        "--config",
        &format!("{HARDENED}/.mcpguard.hcl"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
}

#[test]
fn bad_config_and_bad_rules_exit_2() {
    let d = tmp("cfg");
    let cfg = d.join("bad.hcl");
    std::fs::write(&cfg, "fail_on = \"severe\"\n").unwrap();
    let o = mcpguard(&[
        "scan",
        &format!("{HARDENED}/plan.json"),
        "--config",
        cfg.to_str().unwrap(),
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.hcl") && err.contains("fail_on"), "{err}");

    let rules = d.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("X001.json"),
        r#"{"id": "X001", "severity": "low", "title": "t", "policyRule": {"if": {"field": "type", "equalz": "x"}, "then": {"effect": "deny"}}}"#,
    )
    .unwrap();
    let o = mcpguard(&[
        "scan",
        &format!("{HARDENED}/plan.json"),
        "--rules",
        rules.to_str().unwrap(),
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("X001.json"), "{err}");
}

#[test]
fn unwritable_output_fails_before_scanning() {
    let o = mcpguard(&[
        "scan",
        &format!("{HARDENED}/plan.json"),
        "--format",
        "json",
        "--output",
        "/nonexistent-dir/report.json",
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("/nonexistent-dir/report.json"), "{err}");
}

#[test]
fn missing_input_is_an_error_not_a_clean_report() {
    let o = mcpguard(&["scan", "no/such/plan.json", "--format", "json"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out} {err}");
}

#[test]
fn rules_list_and_show() {
    let o = mcpguard(&["rules", "list"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    for id in ["MCP001", "MCP004", "MCP010"] {
        assert!(out.contains(id), "{out}");
    }
    let o = mcpguard(&["rules", "show", "MCP004"]);
    let (out, _) = text(&o);
    for section in [
        "## What it checks",
        "## Why it matters",
        "## Example",
        "## Remediation",
        "## Known gaps",
    ] {
        assert!(out.contains(section), "{section}: {out}");
    }
    let o = mcpguard(&["rules", "show", "MCP999"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn completions_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = mcpguard(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("mcpguard"),
            "{shell}"
        );
    }
}

#[test]
fn several_outputs_in_one_run() {
    let d = tmp("outs");
    let (sarif, junit) = (d.join("r.sarif"), d.join("r.xml"));
    let o = mcpguard(&[
        "scan",
        &format!("{BEFORE}/plan.json"),
        "--config",
        &format!("{BEFORE}/.mcpguard.hcl"),
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
        "--format",
        "junit",
        "--output",
        junit.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json on stdout");
    assert!(v["summary"]["fail"].as_u64().unwrap() > 0);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<testsuites"));

    let dir = d.join("all");
    let o = mcpguard(&[
        "scan",
        &format!("{BEFORE}/plan.json"),
        "--config",
        &format!("{BEFORE}/.mcpguard.hcl"),
        "--output-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert!(files.len() >= 5, "{files:?}");
}

#[test]
fn baseline_lets_only_new_failures_fail() {
    let d = tmp("baseline");
    let b = d.join("baseline.json");
    let cfg = format!("{BEFORE}/.mcpguard.hcl");
    let o = mcpguard(&[
        "baseline",
        "write",
        b.to_str().unwrap(),
        &format!("{BEFORE}/plan.json"),
        "--config",
        &cfg,
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let o = mcpguard(&[
        "scan",
        &format!("{BEFORE}/plan.json"),
        "--config",
        &cfg,
        "--baseline",
        b.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["fail"], 0);
    assert!(v["summary"]["suppressed"].as_u64().unwrap() > 10);
    // A report is not a baseline.
    let o = mcpguard(&[
        "scan",
        &format!("{BEFORE}/plan.json"),
        "--baseline",
        &format!("{BEFORE}/plan.json"),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// An inline ignore with a reason suppresses; an expired one does not and
/// says so; one without a reason suppresses with a warning.
#[test]
fn inline_ignores_in_source() {
    let src = std::fs::read_to_string(root().join("fixtures/rules/MCP003/fail/main.tf")).unwrap();
    let marker = "resource \"azurerm_container_group\" \"fs\" {";
    assert!(src.contains(marker));
    for (comment, want_suppressed, want_warning) in [
        (
            "# mcpguard:ignore MCP003 reason=\"tagging lands in OPS-7\" expires=2099-01-31",
            true,
            None,
        ),
        (
            "# mcpguard:ignore MCP003 reason=\"old\" expires=2020-01-31",
            false,
            Some("expired"),
        ),
        ("# mcpguard:ignore MCP003", true, Some("no reason")),
    ] {
        let d = tmp(&format!(
            "inline-{}",
            want_suppressed as u8 + 2 * want_warning.is_some() as u8
        ));
        std::fs::write(
            d.join("main.tf"),
            src.replace(marker, &format!("{comment}\n{marker}")),
        )
        .unwrap();
        let o = mcpguard(&[
            "scan",
            d.to_str().unwrap(),
            "--only",
            "MCP003",
            "--format",
            "json",
        ]);
        let (out, err) = text(&o);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        let f = &v["findings"][0];
        assert_eq!(f["rule_id"], "MCP003", "{out}");
        assert_eq!(
            f["status"] == "suppressed",
            want_suppressed,
            "{comment}: {out}"
        );
        assert_eq!(
            o.status.code(),
            Some(if want_suppressed { 0 } else { 1 }),
            "{comment}"
        );
        let warnings = v["warnings"].to_string();
        if let Some(w) = want_warning {
            assert!(warnings.contains(w), "{comment}: {warnings}");
        }
    }
}

#[test]
fn source_findings_point_at_file_and_line() {
    let o = mcpguard(&[
        "scan",
        &format!("{BEFORE}/main.tf"),
        "--config",
        &format!("{BEFORE}/.mcpguard.hcl"),
        "--format",
        "json",
    ]);
    let (out, _) = text(&o);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for f in v["findings"].as_array().unwrap() {
        assert!(
            f["location"]["file"].as_str().unwrap().ends_with("main.tf"),
            "{f}"
        );
        assert!(f["location"]["line"].as_u64().unwrap() > 0, "{f}");
    }
}

/// A value unknown until apply is reported `unknown` with its path, never a
/// silent pass: `--unknown warn` (default) keeps the exit code, `fail` fails.
#[test]
fn unknown_values_are_reported_not_passed() {
    let mut plan: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/rules/MCP003/fail/plan.json")).unwrap(),
    )
    .unwrap();
    for rc in plan["resource_changes"].as_array_mut().unwrap() {
        if rc["type"] == "azurerm_container_group" {
            // The image comes from a variable that is unknown at plan time.
            rc["change"]["after"]["container"][0]
                .as_object_mut()
                .unwrap()
                .remove("image");
            rc["change"]["after_unknown"]["container"] = serde_json::json!([{"image": true}]);
        }
    }
    let d = tmp("unknown");
    let p = d.join("plan.json");
    std::fs::write(&p, plan.to_string()).unwrap();
    let o = mcpguard(&[
        "scan",
        p.to_str().unwrap(),
        "--only",
        "MCP003",
        "--format",
        "json",
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["status"], "unknown", "{out}");
    assert!(f["message"].as_str().unwrap().contains("image"), "{out}");
    let o = mcpguard(&[
        "scan",
        p.to_str().unwrap(),
        "--only",
        "MCP003",
        "--unknown",
        "fail",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn config_ignore_blocks_suppress_by_address_glob() {
    let d = tmp("cfgignore");
    let cfg = d.join("c.hcl");
    std::fs::write(
        &cfg,
        "ignore \"MCP003\" {\n  resource = \"azurerm_container_group.*\"\n  reason   = \"tag rollout, OPS-9\"\n}\nignore \"MCP001\" {\n  resource = \"nothing.matches\"\n  reason = \"stale\"\n}\n",
    )
    .unwrap();
    let o = mcpguard(&[
        "scan",
        "fixtures/rules/MCP003/fail/plan.json",
        "--config",
        cfg.to_str().unwrap(),
        "--only",
        "MCP003,MCP001",
        "--format",
        "json",
    ]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"][0]["status"], "suppressed");
    assert_eq!(
        v["findings"][0]["suppression"]["reason"],
        "tag rollout, OPS-9"
    );
    assert!(
        v["warnings"].to_string().contains("matches no finding"),
        "{out}"
    );
}

#[test]
fn plan_on_standard_input() {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args([
            "scan",
            "-",
            "--config",
            &format!("{HARDENED}/.mcpguard.hcl"),
            "--format",
            "json",
        ])
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let plan = std::fs::read(root().join(HARDENED).join("plan.json")).unwrap();
    child.stdin.take().unwrap().write_all(&plan).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["inputs"][0]["kind"], "plan");
    assert!(v["summary"]["resources"].as_u64().unwrap() >= 10);
}

/// `--help` is the CLI's documentation (clap doc comments are its only source).
/// Snapshotted for the default build (with `sweep`).
#[cfg(feature = "azure")]
#[test]
fn help_texts() {
    let top = text(&mcpguard(&["--help"])).0;
    insta::assert_snapshot!("help", top);
    let scan = text(&mcpguard(&["scan", "--help"])).0;
    insta::assert_snapshot!("scan_help", scan);
}

/// The table is as wide as `COLUMNS` says when standard output is not a
/// terminal, and 100 columns without it (issue 16, item 6).
#[test]
fn table_width_follows_columns() {
    let widest = |columns: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mcpguard"));
        c.args([
            "scan",
            &format!("{BEFORE}/plan.json"),
            "--config",
            &format!("{BEFORE}/.mcpguard.hcl"),
        ])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS");
        if let Some(n) = columns {
            c.env("COLUMNS", n);
        }
        let o = c.output().unwrap();
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with('│'))
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0)
    };
    assert_eq!(widest(None), 100);
    assert_eq!(widest(Some("80")), 80);
    assert_eq!(widest(Some("200")), 200);
    assert_eq!(widest(Some("garbage")), 100);
}
