//! Hostile workflow input through the command line: bad YAML is a located
//! diagnostic and exit 2, an alias bomb and deep nesting stop at their caps,
//! and an inline secret is never printed, in a diagnostic or a report.

use std::process::Command;

fn mcpguard(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcpguard");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-wf-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn bad_yaml_is_located_and_masks_the_secret() {
    let p = write(
        "bad.yml",
        "on: push\njobs:\n  a:\n    steps:\n      - uses: azure/login@v2\n        with:\n          creds: {\"clientSecret\": \"not_a_real_secret_value\"\n      - run: x\n",
    );
    let (code, _, err) = mcpguard(&["scan", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a valid workflow"), "{err}");
    assert!(err.contains("bad.yml:"), "no location: {err}");
    assert!(
        !err.contains("not_a_real_secret_value"),
        "secret shown: {err}"
    );
}

#[test]
fn an_alias_bomb_stops_at_the_node_cap() {
    let mut bomb = String::from("on: push\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
    for i in 1..15 {
        let p = i - 1;
        bomb.push_str(&format!(
            "x{i}: &x{i} [*x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}, *x{p}]\n"
        ));
    }
    bomb.push_str("jobs:\n  a:\n    steps: *x14\n");
    let p = write("bomb.yml", &bomb);
    let started = std::time::Instant::now();
    let (code, _, err) = mcpguard(&["scan", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("MAX_NODES"), "{err}");
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn deep_nesting_stops_at_the_depth_cap() {
    let deep: String = (0..200)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    let p = write(
        "deep.yml",
        &format!("on: push\njobs:\n{}", deep.replace("\nk", "\n  k")),
    );
    let (code, _, err) = mcpguard(&["scan", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("MAX_DEPTH") || err.contains("not a valid workflow"),
        "{err}"
    );
}

#[test]
fn inline_credentials_are_never_printed_in_a_report() {
    let p = write(
        "inline.yml",
        "on: push\njobs:\n  a:\n    steps:\n      - uses: azure/login@v2\n        with:\n          creds: '{\"clientId\":\"x\",\"clientSecret\":\"not_a_real_secret_value\"}'\n      - run: echo not_a_real_run_secret\n",
    );
    for format in ["json", "table", "sarif", "markdown"] {
        let (code, out, err) = mcpguard(&["scan", p.to_str().unwrap(), "--format", format]);
        assert_eq!(code, 1, "{format}: {err}");
        assert!(out.contains("MCP024"), "{format}: {out}");
        assert!(
            !out.contains("not_a_real_secret_value") && !out.contains("not_a_real_run_secret"),
            "{format}: {out}"
        );
    }
}

/// `mcpguard scan .` at a repository's root reads its Terraform and its
/// workflows together, and `scan infra` inside it finds the workflows above;
/// findings point at the workflow's `file:line`, relative to the root.
#[test]
fn scan_dot_at_a_repository_root_reads_terraform_and_workflows() {
    let repo = std::env::temp_dir().join(format!("mcpguard-wf-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
    std::fs::create_dir_all(repo.join("infra")).unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/workflows/MCP025/fail");
    std::fs::copy(fixture.join("main.tf"), repo.join("infra/main.tf")).unwrap();
    std::fs::copy(
        fixture.join(".github/workflows/plan.yml"),
        repo.join(".github/workflows/plan.yml"),
    )
    .unwrap();
    for target in [".", "infra"] {
        let out = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
            .args(["scan", target, "--format", "json"])
            .current_dir(&repo)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(1), "{target}: {report}");
        let kinds: Vec<&str> = report["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["kind"].as_str())
            .collect();
        assert!(
            kinds.contains(&"terraform") && kinds.contains(&"workflow"),
            "{target}: {kinds:?}"
        );
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "MCP025")
            .unwrap_or_else(|| panic!("{target}: no MCP025 finding: {report}"));
        assert_eq!(f["status"], "fail");
        assert_eq!(f["location"]["file"], ".github/workflows/plan.yml");
        assert_eq!(f["location"]["line"], 13);
    }
    let _ = std::fs::remove_dir_all(&repo);
}
