//! Recursive scans (issue 16, item 3): `scan DIR` finds every root module
//! below DIR (a directory with `.tf` files that no other one calls as a
//! module), skips `.terraform/` and hidden directories, evaluates each root on
//! its own, and says which root each finding came from. `--no-recursive`
//! scans the directory as one module, as before.

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
        .env_remove("TF_DATA_DIR")
        .output()
        .expect("run mcpguard")
}

fn report(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn write(dir: &Path, file: &str, text: &str) {
    let p = dir.join(file);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository as a platform team lays one out: two environments that set
/// a variable differently, a root calling a shared module, the shared module,
/// Terraform's module cache and a hidden folder (neither of which is scanned).
fn repo(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-rec-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join(".git")).unwrap();
    let fixture =
        std::fs::read_to_string(crate_root().join("fixtures/rules/MCP003/fail/main.tf")).unwrap();
    let tagged = fixture.replace(
        "    environment = \"prod\"\n",
        "    environment = \"prod\"\n    MCPServer = var.mcp_tag\n",
    ) + "\nvariable \"mcp_tag\" {\n  type = string\n}\n";
    assert_ne!(tagged, fixture);
    write(&d, "envs/dev/main.tf", &tagged);
    write(&d, "envs/dev/terraform.tfvars", "mcp_tag = \"true\"\n");
    write(&d, "envs/prod/main.tf", &tagged);
    write(
        &d,
        "infra/main.tf",
        "module \"mcp\" {\n  source = \"../modules/mcp\"\n}\n",
    );
    write(&d, "modules/mcp/main.tf", &fixture);
    write(&d, "infra/.terraform/modules/x/main.tf", &fixture);
    write(&d, ".github/stray.tf", &fixture);
    d
}

fn mcp003(v: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "MCP003")
        .map(|f| {
            (
                f["root"].as_str().unwrap_or("-").to_string(),
                f["status"].as_str().unwrap().to_string(),
                f["location"]["file"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn scan_dot_at_the_repository_root_finds_every_root_module() {
    let r = repo("dot");
    let o = mcpguard(&r, &["scan", ".", "--only", "MCP003", "--format", "json"]);
    let v = report(&o);
    assert_eq!(o.status.code(), Some(1), "{v}");
    let inputs: Vec<&str> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    // modules/mcp is called by infra; .terraform and .github are not entered.
    assert_eq!(inputs, ["envs/dev", "envs/prod", "infra"], "{v}");
    assert_eq!(
        mcp003(&v),
        vec![
            // dev sets the tag through its tfvars: no finding. prod does not
            // set the variable: unknown, not dev's value.
            (
                "envs/prod".to_string(),
                "unknown".to_string(),
                "envs/prod/main.tf".to_string()
            ),
            (
                "infra".to_string(),
                "fail".to_string(),
                "modules/mcp/main.tf".to_string()
            ),
        ],
        "{v}"
    );
}

/// Two roots with the same addresses are two sets of findings.
#[test]
fn the_same_address_in_two_roots_is_two_findings() {
    let r = repo("same");
    let fixture =
        std::fs::read_to_string(crate_root().join("fixtures/rules/MCP003/fail/main.tf")).unwrap();
    write(&r, "regions/weu/main.tf", &fixture);
    write(&r, "regions/neu/main.tf", &fixture);
    let o = mcpguard(
        &r,
        &["scan", "regions", "--only", "MCP003", "--format", "json"],
    );
    let v = report(&o);
    assert_eq!(
        mcp003(&v),
        vec![
            (
                "regions/neu".to_string(),
                "fail".to_string(),
                "regions/neu/main.tf".to_string()
            ),
            (
                "regions/weu".to_string(),
                "fail".to_string(),
                "regions/weu/main.tf".to_string()
            ),
        ]
    );
    let one = report(&mcpguard(
        &r,
        &[
            "scan",
            "regions/weu",
            "--only",
            "MCP003",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        v["summary"]["resources"].as_u64().unwrap(),
        2 * one["summary"]["resources"].as_u64().unwrap(),
        "both roots are counted"
    );
    // SARIF tells the two alerts apart, though rule and address are equal.
    let o = mcpguard(
        &r,
        &["scan", "regions", "--only", "MCP003", "--format", "sarif"],
    );
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    let fps: Vec<String> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|res| res["partialFingerprints"].to_string())
        .collect();
    assert_eq!(fps.len(), 2);
    assert_ne!(fps[0], fps[1]);
}

#[test]
fn no_recursive_scans_the_directory_as_given() {
    let r = repo("flat");
    let o = mcpguard(&r, &["scan", ".", "--no-recursive", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no .tf or .tf.json files in this directory"),
        "{err}"
    );
    // A root module itself is scanned alone, as before.
    let o = mcpguard(
        &r,
        &[
            "scan",
            "envs/prod",
            "--no-recursive",
            "--only",
            "MCP003",
            "--format",
            "json",
        ],
    );
    assert_eq!(report(&o)["inputs"][0]["path"], "envs/prod");
}

#[test]
fn a_tree_without_terraform_is_an_error_not_a_clean_scan() {
    let r = repo("empty");
    std::fs::create_dir_all(r.join("docs/img")).unwrap();
    write(&r, "docs/readme.md", "# docs\n");
    let o = mcpguard(&r, &["scan", "docs"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no Terraform, Bicep or ARM template files here or below"),
        "{err}"
    );
}

/// Real repositories: `scan .` at each one's top finds its root modules
/// (a module repository's examples, not the module scanned with its bare
/// defaults) and never stops with exit 2.
#[test]
fn real_repositories_scan_from_their_top() {
    let corpus = crate_root().join("../shared/corpus/terraform-sources");
    let Ok(rd) = std::fs::read_dir(&corpus) else {
        eprintln!("skipped: ../shared/corpus/terraform-sources is absent");
        return;
    };
    let mut repos: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    assert!(repos.len() >= 5, "{repos:?}");
    for repo in repos {
        let name = repo.file_name().unwrap().to_string_lossy().to_string();
        let o = mcpguard(
            &repo,
            &["scan", ".", "--repo-root", ".", "--format", "json"],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{name}: {:?}\n{err}",
            o.status.code()
        );
        let v = report(&o);
        let roots: Vec<&str> = v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["path"].as_str().unwrap())
            .collect();
        eprintln!("{name}: {} roots: {}", roots.len(), roots.join(", "));
        assert!(!roots.is_empty(), "{name}");
        if name == "terraform-ai-gateway-landing-zone" {
            // The top calls every module but access-contracts, which nothing calls.
            assert_eq!(roots, [".", "modules/access-contracts"], "{name}");
        }
        if name == "terraform-azurerm-avm-ptn-cicd-agents-and-runners" {
            // The module repository's top is called by its examples.
            assert!(!roots.contains(&"."), "{name}: {roots:?}");
            assert!(
                roots.iter().all(|r| r.starts_with("examples/")),
                "{roots:?}"
            );
        }
    }
}
