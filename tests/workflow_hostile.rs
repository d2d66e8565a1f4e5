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
