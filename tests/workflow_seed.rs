//! The seed scenarios with their pipelines (`fixtures/seed/*/.github/workflows`,
//! written by `fixtures/generate.py`'s `seed_workflows`): the hardened
//! architecture on every host logs in by OIDC and still has zero failures;
//! the pipeline before the incident fails MCP024 (a stored service-principal
//! secret, a personal token next to an MCP call) and MCP025 (a pull-request
//! job on an identity that trusts pull requests).

use std::path::PathBuf;

use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

fn seed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seed")
        .join(name)
}

fn scan(dir: &std::path::Path, inputs: &[PathBuf]) -> Report {
    let opts = ScanOptions {
        config: mcpguard::config::Config::load(&dir.join(".mcpguard.hcl")).expect("config"),
        recursive: true,
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("rules");
    let (report, _) = scan::evaluate(&rules, scan::load_inputs(inputs, &opts), &opts);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
}

fn workflow(dir: &std::path::Path) -> PathBuf {
    dir.join(".github/workflows/deploy.yml")
}

#[test]
fn hardened_pipelines_log_in_by_oidc_with_zero_failures() {
    for name in ["hardened", "hardened-container-apps", "hardened-functions"] {
        let d = seed(name);
        // Deployed: the workflow's client id is the identity's, so every
        // pipeline rule decides, and passes.
        let r = scan(&d, &[d.join("arm.json"), workflow(&d)]);
        assert_eq!(r.summary.fail, 0, "{name}: {:#?}", r.findings);
        assert_eq!(r.summary.unknown, 0, "{name}: {:#?}", r.findings);
        for id in ["MCP024", "MCP025", "MCP026"] {
            assert!(
                r.passes.iter().any(|p| p.rule_id == id),
                "{name}: {id} did not pass on the deploy job"
            );
        }
        // Before apply the client id is not known: no failure, and MCP026
        // says which identity it waits for.
        let r = scan(&d, &[d.join("plan.json"), workflow(&d)]);
        assert_eq!(r.summary.fail, 0, "{name}: {:#?}", r.findings);
        let u: Vec<&str> = r.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(u, ["MCP026"], "{name}: {:#?}", r.findings);
        assert!(r.findings[0]
            .message
            .contains("no identity of the scanned inputs has client id"));
    }
}

#[test]
fn the_pipeline_before_the_incident_fails_both_rules() {
    let d = seed("before-incident");
    let r = scan(&d, &[d.join("arm.json"), workflow(&d)]);
    let failing: Vec<(String, String)> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && f.resource.arm_type.starts_with("GitHub."))
        .map(|f| (f.rule_id.clone(), f.resource.address.clone()))
        .collect();
    assert_eq!(
        failing,
        [
            (
                "MCP024".to_string(),
                "workflows/deploy.yml/jobs/deploy".to_string()
            ),
            (
                "MCP025".to_string(),
                "workflows/deploy.yml/jobs/plan".to_string()
            ),
        ]
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("ghp_not_a_real_token"), "secret leaked");
}

#[test]
fn scanning_the_scenario_directory_reads_its_terraform_and_its_workflow() {
    let d = seed("hardened");
    let r = scan(&d, std::slice::from_ref(&d));
    assert!(
        r.inputs.iter().any(|i| i.path.ends_with("deploy.yml")),
        "{:?}",
        r.inputs
    );
    assert!(r.inputs.iter().any(|i| i.kind == "terraform"));
    assert_eq!(r.summary.fail, 0, "{:#?}", r.findings);
}
