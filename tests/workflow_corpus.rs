//! Real GitHub Actions workflows from `../shared/corpus/workflows` (see its
//! README), read in place: the verdicts their code decides. Skipped, with
//! the reason printed, when the corpus is absent.

use std::collections::BTreeSet;
use std::path::PathBuf;

use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

fn corpus() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/workflows");
    if d.is_dir() {
        Some(d)
    } else {
        eprintln!("skipped: {} is absent", d.display());
        None
    }
}

fn scan(inputs: &[PathBuf]) -> Report {
    let opts = ScanOptions {
        recursive: true,
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("rules");
    scan::evaluate(&rules, scan::load_inputs(inputs, &opts), &opts).0
}

/// (rule, job, status) of every finding.
fn verdicts(r: &Report) -> BTreeSet<(String, String, Status)> {
    r.findings
        .iter()
        .map(|f| {
            let job = f
                .resource
                .address
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            (f.rule_id.clone(), job, f.status)
        })
        .collect()
}

fn set(items: &[(&str, &str, Status)]) -> BTreeSet<(String, String, Status)> {
    items
        .iter()
        .map(|(a, b, s)| (a.to_string(), b.to_string(), *s))
        .collect()
}

#[test]
fn stored_credential_workflows_fail_mcp024() {
    let Some(c) = corpus() else { return };
    for (file, job) in [
        (
            "actions-workflow-samples/ARM/ResourceGroupScope-ARM-Deployment.yml",
            "build-and-deploy-to-dev",
        ),
        (
            "actions-workflow-samples/AppService/python-webapp-on-azure.yml",
            "build-and-deploy",
        ),
        (
            "actions-workflow-samples/End-to-End/Serverless-web-application/azure-infra-cicd.yml",
            "validate_deploy",
        ),
    ] {
        let r = scan(&[c.join(file)]);
        assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
        assert_eq!(
            verdicts(&r),
            set(&[("MCP024", job, Status::Fail)]),
            "{file}"
        );
    }
    // Azure/login's integration tests: the creds job fails, the OIDC job
    // passes MCP024 and its identity (`secrets.AZURE_CLIENTID`) is not in
    // the inputs, so whether it can log in is unknown.
    let r = scan(&[c.join("Azure-login/.github/workflows/azure-login-integration-tests.yml")]);
    assert_eq!(
        verdicts(&r),
        set(&[
            ("MCP024", "az-login-test-non-oidc", Status::Fail),
            ("MCP026", "az-login-test-oidc", Status::Unknown),
        ])
    );
    let unknown = r
        .findings
        .iter()
        .find(|f| f.status == Status::Unknown)
        .unwrap();
    assert!(
        unknown
            .message
            .contains("no github_actions_secret of the scanned inputs sets"),
        "{}",
        unknown.message
    );
}

#[test]
fn oidc_workflows_pass_mcp024_and_wait_for_their_identity() {
    let Some(c) = corpus() else { return };
    for file in [
        "actions-workflow-samples/FunctionApp/oidc-auth-samples/linux-node-functionapp-on-azure-oidc.yml",
        "bicep-registry-modules/.github/workflows/platform.deployment.history.cleanup.yml",
        // Terraform's own OIDC login (`ARM_USE_OIDC`), no azure/login
        "github-terraform-oidc-ci-cd/workflows/templates/workflows/ci-template.yaml",
        "github-terraform-oidc-ci-cd/workflows/templates/workflows/cd-template.yaml",
    ] {
        let r = scan(&[c.join(file)]);
        assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
        assert!(!r.findings.is_empty(), "{file}: no OIDC login seen");
        for f in &r.findings {
            assert_eq!((f.rule_id.as_str(), f.status), ("MCP026", Status::Unknown), "{file}: {f:#?}");
        }
        assert!(r.passes.iter().any(|p| p.rule_id == "MCP024"), "{file}");
    }
}

#[test]
fn login_action_tested_from_its_own_checkout_is_not_recognised() {
    // Azure/login's own tests call it as `uses: ./`: a local action could be
    // anything, so no login is read there (a known gap, in MCP024's page).
    let Some(c) = corpus() else { return };
    let r = scan(&[c.join("Azure-login/.github/workflows/azure-login-positive.yml")]);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.summary.resources, 3);
}

#[test]
fn the_bootstrap_terraform_and_its_workflows_together() {
    // The repository's bootstrap creates the identities through a registry
    // module that is not installed: the client id variables name no
    // identity mcpguard can see, and the finding says so.
    let Some(c) = corpus() else { return };
    let root = c.join("github-terraform-oidc-ci-cd");
    let r = scan(&[
        root.join("bootstrap"),
        root.join("workflows/templates/workflows/ci-template.yaml"),
    ]);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule_id == "MCP026")
        .expect("MCP026 on the plan job");
    assert_eq!(f.status, Status::Unknown);
    assert!(f.message.contains("vars.AZURE_CLIENT_ID"), "{}", f.message);
}

#[test]
fn actions_and_templates_are_refused_with_a_reason() {
    let Some(c) = corpus() else { return };
    let r = scan(&[c.join(
        "bicep-registry-modules/.github/actions/templates/avm-validateModuleDeployment/action.yml",
    )]);
    assert_eq!(r.errors.len(), 1);
    assert!(
        r.errors[0]
            .message
            .contains("an action (`runs:`), not a workflow"),
        "{:?}",
        r.errors
    );
}
