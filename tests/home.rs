//! One home, said once (issue 15): the repository address is Cargo.toml's
//! `repository`, read by the code as `findings::HOME`; every other place that
//! has to spell it (docs, the action, the install script, the pre-commit
//! hooks) spells the same, and the binary's links derive from it.

use std::path::{Path, PathBuf};
use std::process::Command;

use mcpguard::findings::HOME;

const BIN: &str = env!("CARGO_BIN_EXE_mcpguard");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cargo_toml_repository_is_the_home() {
    let doc: toml_edit::DocumentMut = std::fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let package = &doc["package"];
    assert_eq!(package["repository"].as_str(), Some(HOME));
    assert_eq!(package["homepage"].as_str(), Some(HOME));
    assert!(HOME.starts_with("https://github.com/") && !HOME.ends_with('/'));
}

/// The files that must name the home themselves.
fn documents() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = [
        "README.md",
        "CHANGELOG.md",
        "action.yml",
        ".pre-commit-hooks.yaml",
        "Dockerfile",
        "dist-workspace.toml",
    ]
    .iter()
    .map(|f| root().join(f))
    .collect();
    for dir in ["docs", "docs/rules", "scripts"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    files
}

#[test]
fn every_document_names_the_same_home() {
    let home_path = HOME.trim_start_matches("https://github.com/");
    let (owner_repo_name, repo_name) = (home_path, home_path.rsplit('/').next().unwrap());
    // Any address of a repository named like this one, and any `uses:` of it.
    let address = regex::Regex::new(&format!(
        r"(?:https?://)?github\.com/([A-Za-z0-9_.-]+/{})\b",
        regex::escape(repo_name)
    ))
    .unwrap();
    let uses = regex::Regex::new(&format!(
        r"uses:\s*([A-Za-z0-9_.-]+/{})@",
        regex::escape(repo_name)
    ))
    .unwrap();
    let mut seen = 0;
    for file in documents() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for re in [&address, &uses] {
            for c in re.captures_iter(&text) {
                seen += 1;
                assert_eq!(
                    &c[1],
                    owner_repo_name,
                    "{}: `{}` is not the home {HOME}",
                    rel(&file),
                    &c[0]
                );
            }
        }
    }
    assert!(seen > 10, "the documents name the home ({seen} times)");
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

#[test]
fn the_install_script_defaults_to_the_home() {
    let script = std::fs::read_to_string(root().join("scripts/install-mcpguard.sh")).unwrap();
    assert!(
        script.contains(&format!("MCPGUARD_REPO=\"${{MCPGUARD_REPO:-{HOME}}}\"")),
        "scripts/install-mcpguard.sh's default repository is {HOME}"
    );
}

#[test]
fn the_binary_links_to_the_home() {
    let o = Command::new(BIN)
        .args(["--version", "--verbose"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with(&format!("mcpguard {}\n", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    assert!(out.contains(&format!("\nhome: {HOME}\n")), "{out}");
    assert!(
        out.contains("\nreport schema: mcpguard/report/v1\n"),
        "{out}"
    );
    assert!(out.contains("\nrule pack: "), "{out}");

    let o = Command::new(BIN)
        .args(["scan", "fixtures/rules/MCP003/fail", "--format", "sarif"])
        .current_dir(root())
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["informationUri"], HOME);
    let rule = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "MCP003")
        .unwrap();
    assert_eq!(
        rule["helpUri"],
        format!(
            "{HOME}/blob/v{}/docs/rules/MCP003.md",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(
        sarif["runs"][0]["properties"]["reportSchema"],
        "mcpguard/report/v1"
    );
    assert_eq!(
        sarif["runs"][0]["properties"]["rulePack"],
        env!("CARGO_PKG_VERSION")
    );
}
