//! Renaming a rule does not break upgrades (issue 15): a rule's `formerIds`
//! keep its old id working, with a warning, in baselines, inline and config
//! ignores, `--only`/`--skip` and config rule blocks, for one minor version.
//!
//! The rename is played out on a custom rule (`ACME001` renamed `ACME002`, a
//! copy of MCP003) over MCP003's fail fixture, run by the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcpguard");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `rules/acme.json` (MCP003 as `ACME002`, formerly `ACME001`) and
/// `infra/main.tf` (MCP003's fail case) in a fresh directory.
fn project(name: &str, former: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-renames-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("rules")).unwrap();
    std::fs::create_dir_all(d.join("infra")).unwrap();
    std::fs::create_dir_all(d.join(".git")).unwrap();
    let mut rule: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("rules/MCP003.json")).unwrap())
            .unwrap();
    rule["id"] = "ACME002".into();
    rule["formerIds"] = serde_json::from_str(former).unwrap();
    std::fs::write(d.join("rules/acme.json"), rule.to_string()).unwrap();
    std::fs::copy(
        root().join("fixtures/rules/MCP003/fail/main.tf"),
        d.join("infra/main.tf"),
    )
    .unwrap();
    d
}

const RENAMED: &str = r#"[{"id": "ACME001", "until": "99.0.0"}]"#;

fn scan(dir: &Path, args: &[&str]) -> (Output, Value) {
    let o = Command::new(BIN)
        .args(["scan", "infra", "--rules", "rules", "--format", "json"])
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o, report)
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn warned(report: &Value) -> bool {
    report["warnings"].as_array().unwrap().iter().any(|w| {
        // The old id as it was written (ids ignore case).
        w["message"]
            .as_str()
            .unwrap()
            .to_ascii_uppercase()
            .contains("RULE ACME001 IS NOW ACME002; THE OLD ID IS READ UNTIL MCPGUARD 99.0.0")
    })
}

#[test]
fn the_old_id_selects_the_renamed_rule_and_warns() {
    let d = project("only", RENAMED);
    let (o, report) = scan(&d, &["--only", "acme001"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(statuses(&report), [("ACME002".into(), "fail".into())]);
    assert!(warned(&report), "{report}");

    // --skip by the old id skips the renamed rule.
    let (_, report) = scan(&d, &["--skip", "ACME001"]);
    let ids: Vec<String> = statuses(&report).into_iter().map(|(id, _)| id).collect();
    assert!(!ids.contains(&"ACME002".to_string()), "{ids:?}");
}

#[test]
fn a_baseline_written_before_the_rename_still_suppresses() {
    let d = project("baseline", RENAMED);
    let o = Command::new(BIN)
        .args([
            "baseline", "write", "b.json", "infra", "--rules", "rules", "--only", "ACME002",
        ])
        .current_dir(&d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // As the baseline looked when the rule was still ACME001.
    let text = std::fs::read_to_string(d.join("b.json")).unwrap();
    assert!(text.contains("\"ACME002\""));
    std::fs::write(d.join("b.json"), text.replace("\"ACME002\"", "\"ACME001\"")).unwrap();

    let (o, report) = scan(&d, &["--only", "ACME002", "--baseline", "b.json"]);
    assert_eq!(o.status.code(), Some(0), "{report}");
    assert_eq!(statuses(&report), [("ACME002".into(), "suppressed".into())]);
    assert_eq!(report["findings"][0]["suppression"]["kind"], "baseline");
    assert!(warned(&report), "{report}");
    assert!(
        !report["warnings"]
            .to_string()
            .contains("stale baseline entry"),
        "{report}"
    );
}

#[test]
fn inline_and_config_ignores_naming_the_old_id_still_suppress() {
    let d = project("ignore", RENAMED);
    let tf = std::fs::read_to_string(d.join("infra/main.tf")).unwrap();
    let ignored = tf.replacen(
        "resource \"azurerm_container_group\" \"fs\" {",
        "# mcpguard:ignore ACME001 reason=\"tagged next sprint\"\nresource \"azurerm_container_group\" \"fs\" {",
        1,
    );
    assert_ne!(tf, ignored);
    std::fs::write(d.join("infra/main.tf"), ignored).unwrap();
    let (o, report) = scan(&d, &["--only", "ACME002"]);
    assert_eq!(o.status.code(), Some(0), "{report}");
    assert_eq!(statuses(&report), [("ACME002".into(), "suppressed".into())]);
    assert_eq!(report["findings"][0]["suppression"]["kind"], "inline");
    assert!(warned(&report), "{report}");

    // A config ignore and a config rule block under the old id.
    std::fs::write(d.join("infra/main.tf"), tf).unwrap();
    std::fs::write(
        d.join(".mcpguard.hcl"),
        "ignore \"ACME001\" {\n  resource = \"azurerm_container_group.fs\"\n  reason   = \"tagged next sprint\"\n}\n",
    )
    .unwrap();
    let (o, report) = scan(&d, &["--only", "ACME002"]);
    assert_eq!(o.status.code(), Some(0), "{report}");
    assert_eq!(statuses(&report), [("ACME002".into(), "suppressed".into())]);
    assert_eq!(report["findings"][0]["suppression"]["kind"], "config");
    assert!(warned(&report), "{report}");
    std::fs::write(
        d.join(".mcpguard.hcl"),
        "rule \"ACME001\" {\n  enabled = false\n}\n",
    )
    .unwrap();
    let (o, report) = scan(&d, &["--only", "ACME002"]);
    assert_eq!(o.status.code(), Some(0), "{report}");
    assert!(statuses(&report).is_empty(), "{report}");
    assert!(warned(&report), "{report}");
}

#[test]
fn bad_former_ids_are_rule_errors() {
    for (former, says) in [
        (r#"[{"id": "ACME001"}]"#, "formerIds must be a list"),
        (
            r#"[{"id": "ACME001", "until": "soon"}]"#,
            "is not a version",
        ),
        (
            r#"[{"id": "acme002", "until": "1.0.0"}]"#,
            "the rule's own id",
        ),
        (
            r#"[{"id": "MCP004", "until": "1.0.0"}]"#,
            "both a rule and another rule's former id",
        ),
    ] {
        let d = project("bad", former);
        let (o, _) = scan(&d, &[]);
        assert_eq!(o.status.code(), Some(2), "{former}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{former}: {err}");
    }
}

/// A built-in rule's former id lasts one minor version: it is read until
/// the next minor release and must be removed then, so this fails on the
/// release that should drop it.
#[test]
fn built_in_former_ids_last_one_minor_version() {
    use mcpguard::findings::parse_version;
    let current = parse_version(env!("CARGO_PKG_VERSION")).unwrap();
    let (major, minor, _) = current;
    for rule in mcpguard::policy::builtin_rules().unwrap() {
        for f in &rule.former_ids {
            let until = parse_version(&f.until).unwrap();
            assert!(
                until > current,
                "{}: former id {} expired at {}: remove it",
                rule.meta.id,
                f.id,
                f.until
            );
            assert!(
                until <= (major, minor + 1, 0),
                "{}: former id {} is read past the next minor version ({})",
                rule.meta.id,
                f.id,
                f.until
            );
        }
    }
}
