//! Parity (issue 13, item 5): the seed scenarios of every host, written by
//! `fixtures/generate.py` as an ARM template (a subscription template with a
//! nested deployment per resource group) from the same scenario as the plan,
//! the source and the ARM snapshot, give the snapshot's (rule, resource,
//! status) set, and the plan's and source's verdicts rule by rule. The whole
//! rule pack runs, preflight of the policies the template deploys included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use mcpguard::config::Config;
use mcpguard::findings::{Finding, Report, Status};
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

/// A scan's report, and the name of each Entra ID object by address (see
/// [`by_resource`]).
struct Scanned {
    report: Report,
    graph_names: BTreeMap<String, String>,
}

fn scan_input(dir: &std::path::Path, input: &str, subscription: Option<&str>) -> Scanned {
    let opts = ScanOptions {
        config: Config::load(&dir.join(".mcpguard.hcl")).expect("fixture config"),
        subscription: subscription.map(str::to_string),
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("rules");
    let loaded = scan::load_inputs(&[dir.join(input)], &opts);
    let graph_names = loaded
        .inventory
        .resources()
        .iter()
        .filter(|r| r.arm_type().starts_with("Microsoft.Graph/"))
        .map(|r| {
            let name = r.doc.get("name").and_then(|n| n.as_str()).unwrap_or("");
            (r.address.to_ascii_lowercase(), name.to_string())
        })
        .collect();
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(
        report.errors.is_empty(),
        "{}/{input}: {:?}",
        dir.display(),
        report.errors
    );
    Scanned {
        report,
        graph_names,
    }
}

/// (rule, resource, status): ARM resources are named by id. An Entra ID
/// object is named by its type and name instead: the snapshot holds the
/// object id Graph gave it (`/applications/<guid>`), while before deployment
/// the template's is unknown (`/applications/{unknown}`, addressed with where
/// it is in the template), so its id cannot match.
fn by_resource(s: &Scanned) -> BTreeSet<(String, String, Status)> {
    s.report
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), resource_of(s, f), f.status))
        .collect()
}

fn resource_of(s: &Scanned, f: &Finding) -> String {
    let address = f.resource.address.to_ascii_lowercase();
    match s.graph_names.get(&address) {
        Some(name) => format!("{} {name}", f.resource.arm_type),
        None => address,
    }
}

/// (rule, status) with multiplicity: Terraform names resources by address.
fn by_rule(r: &Report) -> Vec<(String, Status)> {
    let mut v: Vec<(String, Status)> = r
        .findings
        .iter()
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
        // Every resource, Entra ID objects included, of every type.
        assert_eq!(
            template.report.resource_types, snapshot.report.resource_types,
            "{name}: resources"
        );
        for input in ["plan.json", "main.tf"] {
            let tf = scan_input(&dir, input, None);
            assert_eq!(
                by_rule(&template.report),
                by_rule(&tf.report),
                "{name}: template and {input}"
            );
        }
        if name.starts_with("before-incident") {
            let fail = template.report.summary.fail;
            assert!(fail > 0, "{name}: the incident's failures");
        } else {
            let r = &template.report;
            assert_eq!(r.summary.fail, 0, "{name}: {:#?}", r.findings);
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
        let (template, snapshot) = (template.report, snapshot.report);
        assert_eq!(template.resource_types, snapshot.resource_types, "{name}");
        assert!(
            template.summary.fail <= snapshot.summary.fail,
            "{name}: {:#?}",
            template.findings
        );
    }
}
