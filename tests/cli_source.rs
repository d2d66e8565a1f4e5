//! Plan findings point at source (issue 16, item 2): with `--source DIR`, or
//! by default the repository root for a plan inside one, a plan finding is
//! located at the `.tf` file and line of its resource's deciding attribute,
//! with the block's line and the plan's location beside it; SARIF and the
//! annotations point at the `.tf` line. Without a source the plan location
//! stays.

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

fn json(cwd: &Path, args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let o = mcpguard(cwd, &a);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn copy(from: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(crate_root().join(from), to).unwrap();
}

/// A repository whose `infra/` holds MCP004's failing source and its plan.
fn repo(name: &str, git: bool) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-src-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    if git {
        std::fs::create_dir_all(d.join(".git")).unwrap();
    }
    copy(
        "fixtures/rules/MCP004/fail/main.tf",
        &d.join("infra/main.tf"),
    );
    copy(
        "fixtures/rules/MCP004/fail/plan.json",
        &d.join("infra/plan.json"),
    );
    d
}

/// 1-based line of the first line containing `needle` after `after`.
fn line_of(text: &str, after: &str, needle: &str) -> u64 {
    let start = text.find(after).expect("anchor");
    let at = start + text[start..].find(needle).expect("needle");
    text[..at].matches('\n').count() as u64 + 1
}

fn mcp004(v: &Value) -> &Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        // The fixture's container group (its other hosts fail MCP004 too).
        .find(|f| {
            f["rule_id"] == "MCP004"
                && f["resource"]["address"] == "azurerm_container_group.mcp_github"
        })
        .unwrap_or_else(|| panic!("no MCP004 finding on the container group: {v}"))
}

#[test]
fn a_plan_beside_its_source_points_at_the_tf_line() {
    let r = repo("beside", true);
    let tf = std::fs::read_to_string(r.join("infra/main.tf")).unwrap();
    let block = "resource \"azurerm_container_group\" \"mcp_github\" {";
    let want_block = line_of(&tf, block, block);
    let want_line = line_of(&tf, block, "subnet_ids");
    let v = json(&r, &["scan", "infra/plan.json", "--only", "MCP004"]);
    let f = mcp004(&v);
    assert_eq!(f["location"]["file"], "infra/main.tf", "{f}");
    assert_eq!(f["location"]["line"], want_line, "the deciding attribute");
    assert_eq!(f["location"]["block"], want_block, "the resource's block");
    assert_eq!(
        f["plan"]["file"], "infra/plan.json",
        "the plan stays in the report"
    );
    assert!(f["plan"]["line"].as_u64().unwrap() > 0);
    assert_eq!(f["root"], "infra");
    // The same line as scanning the source itself.
    let src = json(&r, &["scan", "infra", "--only", "MCP004"]);
    assert_eq!(mcp004(&src)["location"], f["location"]);

    // SARIF and the annotations land on the .tf line.
    let o = mcpguard(
        &r,
        &[
            "scan",
            "infra/plan.json",
            "--only",
            "MCP004",
            "--format",
            "sarif",
        ],
    );
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    // The container group's result (the fixture's other hosts fail MCP004 too).
    let res = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"] == want_line)
        .unwrap_or_else(|| panic!("no SARIF result on line {want_line}: {s}"));
    let phys = &res["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], "infra/main.tf");
    assert_eq!(phys["region"]["startLine"], want_line);
    let related: Vec<(&str, u64)> = res["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap(),
                l["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(related[0], ("infra/main.tf", want_block));
    assert_eq!(related[1].0, "infra/plan.json");
    let o = mcpguard(
        &r,
        &[
            "scan",
            "infra/plan.json",
            "--only",
            "MCP004",
            "--format",
            "github",
        ],
    );
    let gh = String::from_utf8_lossy(&o.stdout);
    assert!(
        gh.contains(&format!(
            "::error file=infra/main.tf,line={want_line},title=MCP004::"
        )),
        "{gh}"
    );
}

#[test]
fn a_plan_elsewhere_in_the_repository_finds_its_root_module() {
    let r = repo("elsewhere", true);
    copy(
        "fixtures/rules/MCP003/fail/main.tf",
        &r.join("other/main.tf"),
    );
    std::fs::create_dir_all(r.join("plans")).unwrap();
    std::fs::rename(r.join("infra/plan.json"), r.join("plans/prod.json")).unwrap();
    let v = json(&r.join("plans"), &["scan", "prod.json", "--only", "MCP004"]);
    assert_eq!(mcp004(&v)["location"]["file"], "infra/main.tf", "{v}");
    assert_eq!(mcp004(&v)["plan"]["file"], "plans/prod.json");
    // --no-source keeps the plan location.
    let v = json(
        &r,
        &["scan", "plans/prod.json", "--only", "MCP004", "--no-source"],
    );
    assert_eq!(mcp004(&v)["location"]["file"], "plans/prod.json");
    assert!(mcp004(&v).get("plan").is_none());
}

#[test]
fn outside_a_repository_the_plan_location_stays_unless_source_is_given() {
    let r = repo("norepo", false);
    let v = json(&r, &["scan", "infra/plan.json", "--only", "MCP004"]);
    assert!(
        mcp004(&v)["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("infra/plan.json"),
        "{v}"
    );
    let v = json(
        &r,
        &[
            "scan",
            "infra/plan.json",
            "--only",
            "MCP004",
            "--source",
            "infra",
        ],
    );
    assert!(
        mcp004(&v)["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("infra/main.tf"),
        "{v}"
    );
    // A --source that holds none of the plan's resources says so.
    std::fs::create_dir_all(r.join("empty")).unwrap();
    std::fs::write(
        r.join("empty/main.tf"),
        "resource \"azurerm_resource_group\" \"other\" {\n  name     = \"rg-other\"\n  location = \"westeurope\"\n}\n",
    )
    .unwrap();
    let v = json(
        &r,
        &[
            "scan",
            "infra/plan.json",
            "--only",
            "MCP004",
            "--source",
            "empty",
        ],
    );
    let f = mcp004(&v);
    assert!(
        f["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("plan.json"),
        "{f}"
    );
    assert!(
        v["warnings"]
            .to_string()
            .contains("holds this plan's resources"),
        "{}",
        v["warnings"]
    );
    let o = mcpguard(&r, &["scan", "infra/plan.json", "--source", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn source_findings_and_plan_findings_share_inline_ignores() {
    let r = repo("ignore", true);
    let tf_path = r.join("infra/main.tf");
    let tf = std::fs::read_to_string(&tf_path).unwrap();
    let block = "resource \"azurerm_container_group\" \"mcp_github\" {";
    std::fs::write(
        &tf_path,
        tf.replace(
            block,
            &format!("# mcpguard:ignore MCP004 reason=\"egress proxy, NET-7\"\n{block}"),
        ),
    )
    .unwrap();
    let v = json(&r, &["scan", "infra/plan.json", "--only", "MCP004"]);
    let f = mcp004(&v);
    assert_eq!(f["status"], "suppressed", "{f}");
    assert_eq!(f["suppression"]["kind"], "inline");
    // Scanned together with its source: the comment is one ignore, not two.
    let v = json(
        &r,
        &["scan", "infra/plan.json", "infra", "--only", "MCP004"],
    );
    assert!(
        !v["warnings"].to_string().contains("matches no finding"),
        "{}",
        v["warnings"]
    );
}

/// A module called with `for_each`: each instance's finding lands in the
/// module's own file.
#[test]
fn module_instances_land_in_the_module_source() {
    let r = repo("modules", true);
    let base = "fixtures/model/for_each_module";
    for f in [
        "main.tf",
        "modules/mcp-server/main.tf",
        "modules/network/main.tf",
    ] {
        copy(&format!("{base}/{f}"), &r.join("mcp").join(f));
    }
    let mut plan: Value = serde_json::from_str(
        &std::fs::read_to_string(crate_root().join(base).join("plan.json")).unwrap(),
    )
    .unwrap();
    let addr = "module.mcp[\"github\"].azurerm_container_group.this";
    for rc in plan["resource_changes"].as_array_mut().unwrap() {
        if rc["address"] == addr {
            rc["change"]["after"]["identity"] = serde_json::json!([]);
        }
    }
    std::fs::write(
        r.join("mcp/plan.json"),
        serde_json::to_string_pretty(&plan).unwrap(),
    )
    .unwrap();
    let v = json(&r, &["scan", "mcp/plan.json", "--only", "MCP001"]);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["address"] == addr)
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        f["location"]["file"], "mcp/modules/mcp-server/main.tf",
        "{f}"
    );
    let module = std::fs::read_to_string(r.join("mcp/modules/mcp-server/main.tf")).unwrap();
    let cg = "resource \"azurerm_container_group\" \"this\" {";
    let block = line_of(&module, cg, cg);
    let line = f["location"]["line"].as_u64().unwrap();
    assert!(line >= block, "{f}");
    assert_eq!(f["plan"]["file"], "mcp/plan.json");
}

/// A source file that does not parse costs only its own locations.
#[test]
fn an_unreadable_source_file_is_a_warning() {
    let r = repo("broken", true);
    std::fs::write(
        r.join("infra/broken.tf"),
        "resource \"x\" \"y\" {\n  a = \n}\n",
    )
    .unwrap();
    let o = mcpguard(
        &r,
        &[
            "scan",
            "infra/plan.json",
            "--only",
            "MCP004",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "the plan is fine: findings, not exit 2"
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(mcp004(&v)["location"]["file"], "infra/main.tf");
    let w = v["warnings"].to_string();
    assert!(
        w.contains("infra/broken.tf") && w.contains("point at the plan"),
        "{w}"
    );
}
