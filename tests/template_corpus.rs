//! Real templates (issue 13, item 6): every template in
//! `../shared/corpus/arm-templates/` (and the one compiled Bicep project the
//! corpus commits) scans without an input error, read in place, and the ones
//! that deploy container groups, Container Apps, sites, NSGs or API
//! Management get the verdicts their code decides. Skips, saying so, when
//! the corpus is absent.

use std::path::{Path, PathBuf};

use mcpguard::findings::{Report, Status};
use mcpguard::scan::{self, ScanOptions};

fn corpus() -> Option<PathBuf> {
    let c = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if c.join("arm-templates").is_dir() {
        Some(c)
    } else {
        eprintln!("skipped: ../shared/corpus/arm-templates is not here");
        None
    }
}

fn templates(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            templates(&p, out);
        } else if name.ends_with(".json") && !name.contains("parameters") {
            out.push(p);
        }
    }
}

fn scan_template(t: &Path) -> Report {
    let params = t.with_file_name("azuredeploy.parameters.json");
    let opts = ScanOptions {
        template_parameters: params.is_file().then_some(params),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("rules");
    let loaded = scan::load_inputs(&[t.to_path_buf()], &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    report
}

fn status(r: &Report, rule: &str, resource_type: &str) -> Option<Status> {
    r.findings
        .iter()
        .find(|f| f.rule_id == rule && f.resource.arm_type == resource_type)
        .map(|f| f.status)
}

#[test]
fn every_corpus_template_scans() {
    let Some(c) = corpus() else { return };
    let mut all = Vec::new();
    templates(&c.join("arm-templates"), &mut all);
    all.push(c.join("bicep/AI-Gateway/labs/foundry-e2e-private/main.json"));
    assert!(all.len() >= 13, "{all:?}");
    for t in &all {
        let r = scan_template(t);
        assert!(r.errors.is_empty(), "{}: {:?}", t.display(), r.errors);
        assert!(r.summary.resources > 0, "{}: no resources", t.display());
    }
}

#[test]
fn corpus_templates_get_the_verdicts_their_code_decides() {
    let Some(c) = corpus() else { return };
    let avm = c.join("arm-templates/bicep-registry-modules/avm/res");

    // The AVM container group's subnets are a copy loop over the `subnets`
    // parameter (no value here): where it runs is unknown, so MCP002 is.
    let cg = scan_template(&avm.join("container-instance/container-group/main.json"));
    let t = "Microsoft.ContainerInstance/containerGroups";
    assert_eq!(
        status(&cg, "MCP002", t),
        Some(Status::Unknown),
        "{:#?}",
        cg.findings
    );
    assert_eq!(cg.summary.fail, 0);

    // The AVM container app's containers are the `containers` parameter.
    let ca = scan_template(&avm.join("app/container-app/main.json"));
    assert_eq!(
        status(&ca, "MCP001", "Microsoft.App/containerApps"),
        Some(Status::Unknown)
    );
    assert_eq!(ca.summary.fail, 0);

    // The AVM NSG is a resource with ARM's six default rules; no MCP server, no finding.
    let nsg = scan_template(&avm.join("network/network-security-group/main.json"));
    assert_eq!(nsg.summary.fail, 0);
    assert_eq!(
        nsg.resource_types
            .get("Microsoft.Network/networkSecurityGroups"),
        Some(&1)
    );

    // Azure-Samples' function app with VNet integration is not an MCP
    // server (no tag, image, setting or MCP extension): no finding on it.
    let site = scan_template(&c.join(
        "arm-templates/function-app-arm-templates/function-app-vnet-integration/azuredeploy.json",
    ));
    assert_eq!(site.resource_types.get("Microsoft.Web/sites"), Some(&1));
    assert!(site.findings.is_empty(), "{:#?}", site.findings);

    // The AI-Gateway lab's API Management has no validate-jwt in any policy
    // the template deploys (MCP012 fails), and it is injected into the VNet in
    // External mode, its gateway public (MCP011 fails): `virtualNetworkType` is
    // `if(not(empty(apimSubnetId)), 'External', 'None')` and `apimSubnetId` is
    // the `apimSubnet` module's output `subnetId` (`reference('apimSubnet')
    // .outputs.subnetId.value`), a subnet id, so not empty.
    let lab = scan_template(&c.join("bicep/AI-Gateway/labs/foundry-e2e-private/main.json"));
    let apim = "Microsoft.ApiManagement/service";
    assert_eq!(
        status(&lab, "MCP012", apim),
        Some(Status::Fail),
        "{:#?}",
        lab.findings
    );
    assert_eq!(status(&lab, "MCP011", apim), Some(Status::Fail));
}
