//! Locations are relative to the repository root (issue 16, item 1): the git
//! work tree around the current directory, or `--repo-root`. Every format
//! writes the same path, two folders with a `main.tf` each stay distinct, and
//! an input outside the root keeps its path as given.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mcpguard(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcpguard")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// A repository (`.git` directory, as `git init` leaves it) with two folders
/// whose Terraform lives in a `main.tf` each, and a plan in a third.
fn repo(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-loc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join(".git")).unwrap();
    for (dir, rule) in [("infra", "MCP003"), ("app", "MCP008")] {
        std::fs::create_dir_all(d.join(dir)).unwrap();
        std::fs::copy(
            crate_root().join(format!("fixtures/rules/{rule}/fail/main.tf")),
            d.join(dir).join("main.tf"),
        )
        .unwrap();
    }
    std::fs::create_dir_all(d.join("plans")).unwrap();
    std::fs::copy(
        crate_root().join("fixtures/rules/MCP003/fail/plan.json"),
        d.join("plans/plan.json"),
    )
    .unwrap();
    d
}

fn json(cwd: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--only", "MCP003,MCP008", "--format", "json"]);
    let o = mcpguard(cwd, &a);
    serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("{e}: {} {}", stdout(&o), String::from_utf8_lossy(&o.stderr)))
}

/// rule id → the files its findings point at.
fn files_by_rule(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["file"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn two_folders_with_a_main_tf_each_stay_distinct() {
    let r = repo("two");
    let v = json(&r, &["scan", "infra", "app"]);
    assert_eq!(
        files_by_rule(&v),
        vec![
            ("MCP003".to_string(), "infra/main.tf".to_string()),
            ("MCP008".to_string(), "app/main.tf".to_string())
        ],
        "{v}"
    );
    let inputs: Vec<&str> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(inputs, ["infra", "app"]);
}

#[test]
fn the_root_is_the_work_tree_around_the_current_directory() {
    let r = repo("cwd");
    // From inside a folder, the paths still start at the repository root.
    let v = json(&r.join("infra"), &["scan", "."]);
    assert_eq!(
        files_by_rule(&v),
        vec![("MCP003".to_string(), "infra/main.tf".to_string())]
    );
    assert_eq!(v["inputs"][0]["path"], "infra");
    let v = json(&r.join("infra"), &["scan", "../app/main.tf"]);
    assert_eq!(
        files_by_rule(&v),
        vec![("MCP008".to_string(), "app/main.tf".to_string())]
    );
    // A plan is located where it lies in the repository (without its
    // source: tests/cli_source.rs has plan findings on the .tf line).
    let v = json(&r.join("plans"), &["scan", "plan.json", "--no-source"]);
    assert_eq!(
        files_by_rule(&v),
        vec![("MCP003".to_string(), "plans/plan.json".to_string())]
    );
    // A `.git` file (a worktree, a submodule) marks a work tree as well.
    std::fs::remove_dir_all(r.join(".git")).unwrap();
    std::fs::write(r.join(".git"), "gitdir: /elsewhere/.git/worktrees/x\n").unwrap();
    let v = json(&r.join("infra"), &["scan", "."]);
    assert_eq!(v["findings"][0]["location"]["file"], "infra/main.tf");
}

#[test]
fn repo_root_overrides_the_work_tree() {
    let r = repo("flag");
    let v = json(&r, &["scan", "infra", "--repo-root", "infra"]);
    assert_eq!(v["findings"][0]["location"]["file"], "main.tf");
    let o = mcpguard(&r, &["scan", "infra", "--repo-root", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--repo-root"));
}

#[test]
fn an_input_outside_the_root_keeps_its_path_as_given() {
    let r = repo("outside");
    let other = repo("outside-other");
    std::fs::remove_dir_all(other.join(".git")).unwrap();
    let abs = other.join("app");
    // Absolute, outside the root: as given, and SARIF has no relative form.
    let v = json(&r, &["scan", abs.to_str().unwrap()]);
    let want = format!("{}/main.tf", abs.display());
    assert_eq!(v["findings"][0]["location"]["file"], want.as_str());
    let o = mcpguard(
        &r,
        &[
            "scan",
            abs.to_str().unwrap(),
            "--only",
            "MCP008",
            "--format",
            "sarif",
        ],
    );
    let s: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let art = &s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(art["uri"], format!("file://{want}").as_str(), "{art}");
    assert!(art.get("uriBaseId").is_none());
    // Relative, outside the root: as given, a relative URI.
    let rel = format!("../{}/app", other.file_name().unwrap().to_str().unwrap());
    let v = json(&r, &["scan", &rel]);
    assert_eq!(
        v["findings"][0]["location"]["file"],
        format!("{rel}/main.tf").as_str()
    );
}

/// Every format writes the repository-relative path.
#[test]
fn every_format_uses_the_repository_path() {
    let r = repo("formats");
    let run = |format: &str| {
        stdout(&mcpguard(
            &r,
            &[
                "scan",
                "infra",
                "app",
                "--only",
                "MCP003,MCP008",
                "--format",
                format,
            ],
        ))
    };
    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let mut uris: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|res| {
            let art = &res["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(art["uriBaseId"], "%SRCROOT%", "{art}");
            art["uri"].as_str().unwrap().to_string()
        })
        .collect();
    uris.sort();
    uris.dedup();
    assert_eq!(uris, ["app/main.tf", "infra/main.tf"]);
    let gh = run("github");
    assert!(gh.contains("file=infra/main.tf,line="), "{gh}");
    assert!(gh.contains("file=app/main.tf,line="), "{gh}");
    let junit = run("junit");
    assert!(junit.contains("file=\"infra/main.tf\""), "{junit}");
    assert!(junit.contains("file=\"app/main.tf\""), "{junit}");
    for format in ["markdown", "html", "table"] {
        let out = run(format);
        assert!(out.contains("infra/main.tf:"), "{format}: {out}");
        assert!(out.contains("app/main.tf:"), "{format}: {out}");
    }
}

/// An inline ignore still matches its finding once both are relocated.
#[test]
fn inline_ignores_match_relocated_findings() {
    let r = repo("ignore");
    let tf = r.join("infra/main.tf");
    let src = std::fs::read_to_string(&tf).unwrap();
    let marker = "resource \"azurerm_container_group\" \"fs\" {";
    std::fs::write(
        &tf,
        src.replace(
            marker,
            &format!("# mcpguard:ignore MCP003 reason=\"tagging in OPS-7\"\n{marker}"),
        ),
    )
    .unwrap();
    let v = json(&r, &["scan", "infra"]);
    assert_eq!(v["findings"][0]["status"], "suppressed", "{v}");
    assert_eq!(
        v["findings"][0]["suppression"]["source"],
        format!(
            "infra/main.tf:{}",
            src[..src.find(marker).unwrap()].lines().count() + 1
        )
        .as_str()
    );
}
