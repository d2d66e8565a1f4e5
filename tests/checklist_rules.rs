//! The whole-checklist rules (issue 14): MCP017-MCP023 on their fail
//! fixtures (snapshots), the cases beside them (secrets as a delegated scope,
//! secrets on a registration of their own, a query mcpguard cannot read), and
//! the verdicts that follow from the real Entra ID, Conditional Access and
//! alert code in `../shared/corpus/terraform-sources`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

const RULES: [&str; 7] = [
    "MCP017", "MCP018", "MCP019", "MCP020", "MCP021", "MCP022", "MCP023",
];
const INPUTS: [&str; 3] = ["plan.json", "main.tf", "arm.json"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scan_with(config: Config, inputs: &[PathBuf], vars: &[(&str, &str)]) -> Report {
    let opts = ScanOptions {
        config,
        today: Some(time::macros::date!(2026 - 11 - 23)),
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("built-in rules load");
    let loaded = scan::load_inputs(inputs, &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(report.errors.is_empty(), "{inputs:?}: {:?}", report.errors);
    report
}

fn scan_fixture(dir: &Path, input: &str) -> Report {
    let config = Config::load(&dir.join(".mcpguard.hcl")).expect("fixture config");
    scan_with(config, &[dir.join(input)], &[])
}

/// (rule, resource type, status): ARM input names resources by id, Terraform by address.
fn verdicts(r: &Report) -> BTreeSet<(String, String, Status)> {
    r.findings
        .iter()
        .filter(|f| RULES.contains(&f.rule_id.as_str()))
        .map(|f| (f.rule_id.clone(), f.resource.arm_type.clone(), f.status))
        .collect()
}

fn lines(r: &Report, rule: &str) -> String {
    r.findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| format!("{:?} {} {}", f.status, f.resource.address, f.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fail_fixture_snapshots() {
    for id in RULES {
        let dir = root().join("fixtures/rules").join(id).join("fail");
        let r = scan_fixture(&dir, "main.tf");
        insta::assert_snapshot!(format!("{id}_fail"), lines(&r, id));
    }
}

/// Secrets as a delegated scope on the gateway's own application: MCP017
/// fails (no policy can single the scope out) and so does MCP018 (users can
/// consent to it), in every input.
#[test]
fn secrets_as_a_scope_of_the_gateway_app_fails_both_entra_rules() {
    let dir = root().join("fixtures/rules/MCP017/fail_secrets_scope");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        let got: BTreeSet<&str> = r
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| f.rule_id.as_str())
            .collect();
        assert_eq!(got, BTreeSet::from(["MCP017", "MCP018"]), "{input}");
        assert!(lines(&r, "MCP017").contains("secrets scope"), "{input}");
    }
}

/// Secrets on a registration of its own, users blocked from it by an enabled
/// policy: nothing fails; a report-only policy blocks nobody (the fail case).
#[test]
fn secrets_on_their_own_registration_pass_with_conditional_access() {
    let dir = root().join("fixtures/rules/MCP018/pass_own_registration");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        assert!(r.findings.is_empty(), "{input}: {:#?}", r.findings);
    }
    let dir = root().join("fixtures/rules/MCP018/fail");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        assert_eq!(
            verdicts(&r),
            BTreeSet::from([(
                "MCP018".to_string(),
                "Microsoft.Graph/applications".to_string(),
                Status::Fail
            )]),
            "{input}"
        );
    }
}

/// A query mcpguard cannot read (`join`) is unknown for the detection no
/// other alert covers, never a pass; the readable alerts still pass theirs.
#[test]
fn an_unreadable_query_is_unknown_never_a_pass() {
    let dir = root().join("fixtures/rules/MCP023/unknown_query");
    for input in INPUTS {
        let r = scan_fixture(&dir, input);
        assert_eq!(
            verdicts(&r),
            BTreeSet::from([(
                "MCP023".to_string(),
                "Microsoft.ApiManagement/service".to_string(),
                Status::Unknown
            )]),
            "{input}"
        );
    }
    let r = scan_fixture(&dir, "main.tf");
    insta::assert_snapshot!(
        "MCP023_unknown_query",
        r.findings
            .iter()
            .map(|f| format!(
                "{:?} {} {}\n{}",
                f.status,
                f.resource.address,
                f.message,
                serde_json::to_string(&f.evidence).unwrap()
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
