//! Errors teach (issue 16, item 7): a plan that is not JSON says how to get
//! the JSON, a misspelt key or rule id names the nearest valid one, every
//! error is printed once, the unset-parameter warning once per run, and an
//! Azure CLI login failure names the command to run.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mcpguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(crate_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcpguard")
}

/// stdout and stderr, with miette's box drawing and line wrapping undone so
/// a test can look for a sentence.
fn words(o: &Output) -> (String, String) {
    let flat = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace(['│', '×', '╭', '╰', '─', '·'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    (flat(&o.stdout), flat(&o.stderr))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-err-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const PLAN: &str = "fixtures/rules/MCP003/fail/plan.json";

#[test]
fn a_plan_shown_without_json_says_to_add_json() {
    let d = tmp("human");
    let p = d.join("plan.json");
    std::fs::write(
        &p,
        "\u{1b}[0m\nTerraform used the selected providers to generate the following execution\nplan. Resource actions are indicated with the following symbols:\n  \u{1b}[32m+\u{1b}[0m create\n\nTerraform will perform the following actions:\n\n  # azurerm_container_group.fs will be created\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n",
    )
    .unwrap();
    let o = mcpguard(&["scan", p.to_str().unwrap()]);
    let (_, err) = words(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not its JSON"), "{err}");
    assert!(
        err.contains("add -json: `terraform show -json plan.out > plan.json`"),
        "{err}"
    );
}

#[test]
fn a_binary_plan_says_to_run_terraform_show_json() {
    let d = tmp("binary");
    let p = d.join("tfplan");
    // `terraform plan -out` writes a zip archive.
    let mut bytes = b"PK\x03\x04\x14\x00\x08\x00\x08\x00".to_vec();
    bytes.extend([0xff, 0xfe, 0x00, 0x9c, 0x80]);
    std::fs::write(&p, &bytes).unwrap();
    let o = mcpguard(&["scan", p.to_str().unwrap()]);
    let (_, err) = words(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("binary Terraform plan"), "{err}");
    assert!(err.contains("terraform show -json"), "{err}");
    // The same on standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(["scan", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    let (_, err) = words(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`terraform show -json tfplan | mcpguard scan -`"),
        "{err}"
    );
}

fn with_config(name: &str, config: &str, extra: &[&str]) -> (Option<i32>, String) {
    let d = tmp(name);
    let c = d.join("c.hcl");
    std::fs::write(&c, config).unwrap();
    let mut args = vec!["scan", PLAN, "--config", c.to_str().unwrap()];
    args.extend(extra);
    let o = mcpguard(&args);
    (o.status.code(), words(&o).1)
}

#[test]
fn misspelt_keys_and_rule_ids_name_the_nearest() {
    for (name, config, extra, want) in [
        (
            "enabled",
            "rule \"MCP003\" {\n  enabeld = false\n}\n",
            vec![],
            "did you mean `enabled`?",
        ),
        (
            "param",
            "rule \"MCP002\" {\n  approved_subnet_id = []\n}\n",
            vec![],
            "did you mean `approved_subnet_ids`?",
        ),
        (
            "top",
            "failon = \"high\"\n",
            vec![],
            "did you mean `fail_on`?",
        ),
        (
            "ignore-key",
            "ignore \"MCP003\" {\n  reasn = \"x\"\n}\n",
            vec![],
            "did you mean `reason`?",
        ),
        (
            "rule-id",
            "rule \"MCP0003\" {}\n",
            vec![],
            "did you mean `MCP003`?",
        ),
        (
            "only",
            "",
            vec!["--only", "MCP0004"],
            "did you mean `MCP004`?",
        ),
        (
            "skip",
            "",
            vec!["--skip", "mcp04"],
            "did you mean `MCP004`?",
        ),
    ] {
        let (code, err) = with_config(name, config, &extra);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
    }
    let o = mcpguard(&["rules", "show", "MCP04"]);
    let (_, err) = words(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("did you mean `MCP004`?"), "{err}");
}

#[test]
fn an_ignore_naming_no_rule_warns_with_the_nearest() {
    let d = tmp("ignore-warn");
    let c = d.join("c.hcl");
    std::fs::write(&c, "ignore \"MCP0003\" {\n  reason = \"x\"\n}\n").unwrap();
    let o = mcpguard(&[
        "scan",
        PLAN,
        "--config",
        c.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["warnings"]
            .to_string()
            .contains("`ignore \\\"MCP0003\\\"` names no known rule; did you mean `MCP003`?"),
        "{}",
        v["warnings"]
    );
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// An error goes to stderr as a diagnostic; the table on stdout counts it.
#[test]
fn each_error_is_printed_once() {
    let d = tmp("once");
    std::fs::write(
        d.join("main.tf"),
        "resource \"azurerm_container_group\" \"x\" {\n  name = \n}\n",
    )
    .unwrap();
    let o = mcpguard(&["scan", d.to_str().unwrap()]);
    let (out, err) = words(&o);
    assert_eq!(o.status.code(), Some(2));
    let msg = "invalid expression";
    assert_eq!(
        count(&out, "syntax error") + count(&err, "syntax error"),
        1,
        "{out}\n{err}"
    );
    assert!(err.contains(msg), "{err}");
    assert!(out.contains("1 input could not be used"), "{out}");
    // A module two roots call has its error once, not once per root.
    let r = tmp("once-shared");
    std::fs::write(r.join("broken.tf"), "").unwrap();
    for (file, text) in [
        ("a/main.tf", "module \"m\" {\n  source = \"../m\"\n}\n"),
        ("b/main.tf", "module \"m\" {\n  source = \"../m\"\n}\n"),
        (
            "m/main.tf",
            "resource \"azurerm_resource_group\" \"x\" {\n  name = \n}\n",
        ),
    ] {
        let p = r.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::remove_file(r.join("broken.tf")).unwrap();
    let o = mcpguard(&["scan", r.to_str().unwrap()]);
    let (out, err) = words(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(count(&err, "syntax error"), 1, "{err}");
    assert!(!out.contains("syntax error"), "{out}");
    // A report written to a file keeps the errors: it is read elsewhere.
    let f = r.join("out.txt");
    let _ = mcpguard(&[
        "scan",
        r.to_str().unwrap(),
        "--format",
        "table",
        "--output",
        f.to_str().unwrap(),
    ]);
    assert_eq!(
        count(&std::fs::read_to_string(&f).unwrap(), "syntax error"),
        1
    );
}

#[test]
fn the_unset_parameter_warning_appears_once_per_run() {
    let r = tmp("unset");
    let fixture =
        std::fs::read_to_string(crate_root().join("fixtures/rules/MCP003/fail/main.tf")).unwrap();
    for d in ["east", "west"] {
        std::fs::create_dir_all(r.join(d)).unwrap();
        std::fs::write(r.join(d).join("main.tf"), &fixture).unwrap();
    }
    let o = mcpguard(&["scan", r.to_str().unwrap()]);
    let (out, err) = words(&o);
    assert_eq!(
        count(&format!("{out} {err}"), "is unset"),
        1,
        "{out}\n{err}"
    );
    assert!(out.contains("set it in a `rule \"MCP002\"` block"), "{out}");
}

/// `az` is not on the PATH here, so the Azure CLI credential fails as it does
/// for anyone who has not logged in: the error names the command.
#[cfg(feature = "azure")]
#[test]
fn an_azure_cli_failure_names_az_login() {
    let o = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args([
            "sweep",
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--auth",
            "azure-cli",
            "--arm-endpoint",
            "http://127.0.0.1:9",
            "--timeout",
            "5",
        ])
        .env("PATH", "/nonexistent")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (out, err) = words(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(err.contains("run `az login`"), "{err}");
    assert_eq!(
        count(&format!("{out} {err}"), "run `az login`"),
        1,
        "{out}\n{err}"
    );
}
