//! Parity (issue 13, item 5): the seed scenarios of every host, written by
//! `fixtures/generate.py` as an ARM template (a subscription template with a
//! nested deployment per resource group) from the same scenario as the plan,
//! the source and the ARM snapshot, give the snapshot's (rule, resource,
//! status) set, and the plan's and source's verdicts rule by rule. The whole
//! rule pack runs, preflight of the policies the template deploys included.

use std::collections::BTreeSet;
use std::path::PathBuf;

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

const SUB: &str = "11111111-2222-3333-4444-555555555555";
const SCENARIOS: &[&str] = &[
    "hardened",
    "before-incident",
    "hardened-container-apps",
    "before-incident-container-apps",
    "hardened-functions",
    "before-incident-functions",
];

fn scan_input(dir: &std::path::Path, input: &str, subscription: Option<&str>) -> Report {
    let opts = ScanOptions {
        config: Config::load(&dir.join(".mcpguard.hcl")).expect("fixture config"),
        subscription: subscription.map(str::to_string),
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("rules");
    let loaded = scan::load_inputs(&[dir.join(input)], &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(
        report.errors.is_empty(),
        "{}/{input}: {:?}",
        dir.display(),
        report.errors
    );
    report
}

/// Resources other than Entra ID objects: those are deployed by Bicep's
/// Microsoft Graph extension, which template.json leaves out (see
/// `template()` in fixtures/generate.py). Their verdicts are the same because
/// the rules that read them (MCP017, MCP018) judge the gateway's application
/// only where a scan holds it.
fn arm_resources(r: &Report) -> usize {
    let graph: usize = r
        .resource_types
        .iter()
        .filter(|(t, _)| t.starts_with("Microsoft.Graph/"))
        .map(|(_, n)| n)
        .sum();
    r.summary.resources - graph
}

/// A finding on an Entra ID object (MCP017, MCP018 judge the gateway's
/// application): template.json has none, see [`arm_resources`].
fn on_graph(f: &mcpguard::findings::Finding) -> bool {
    f.resource.arm_type.starts_with("Microsoft.Graph/")
}

/// (rule, resource id, status): ARM resources are named by id.
fn by_resource(r: &Report) -> BTreeSet<(String, String, Status)> {
    r.findings
        .iter()
        .filter(|f| !on_graph(f))
        .map(|f| {
            (
                f.rule_id.clone(),
                f.resource.address.to_ascii_lowercase(),
                f.status,
            )
        })
        .collect()
}

/// (rule, status) with multiplicity: Terraform names resources by address.
fn by_rule(r: &Report) -> Vec<(String, Status)> {
    let mut v: Vec<(String, Status)> = r
        .findings
        .iter()
        .filter(|f| !on_graph(f))
        .map(|f| (f.rule_id.clone(), f.status))
        .collect();
    v.sort_by(|a, b| (a.0.as_str(), a.1 as u8).cmp(&(b.0.as_str(), b.1 as u8)));
    v
}

#[test]
fn templates_give_the_snapshot_and_plan_verdicts() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed");
    for name in SCENARIOS {
        let dir = root.join(name);
        let template = scan_input(&dir, "template.json", Some(SUB));
        let snapshot = scan_input(&dir, "arm.json", None);
        assert_eq!(
            by_resource(&template),
            by_resource(&snapshot),
            "{name}: template and ARM snapshot"
        );
        assert_eq!(
            arm_resources(&template),
            arm_resources(&snapshot),
            "{name}: resources"
        );
        for input in ["plan.json", "main.tf"] {
            let tf = scan_input(&dir, input, None);
            assert_eq!(
                by_rule(&template),
                by_rule(&tf),
                "{name}: template and {input}"
            );
        }
        if name.starts_with("before-incident") {
            assert!(template.summary.fail > 0, "{name}: the incident's failures");
        } else {
            assert_eq!(template.summary.fail, 0, "{name}: {:#?}", template.findings);
        }
    }
}

/// Without `--subscription` the ids are partly known: the scan still runs,
/// never an input error, and the joins still resolve (no failure turns into
/// a pass, none appears that the snapshot has not).
#[test]
fn templates_without_a_subscription_still_scan() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed");
    for name in SCENARIOS {
        let dir = root.join(name);
        let template = scan_input(&dir, "template.json", None);
        let snapshot = scan_input(&dir, "arm.json", None);
        assert_eq!(arm_resources(&template), arm_resources(&snapshot), "{name}");
        assert!(
            template.summary.fail <= snapshot.summary.fail,
            "{name}: {:#?}",
            template.findings
        );
    }
}
