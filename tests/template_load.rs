//! ARM deployment templates (issue 13): expansion into the resources a
//! deployment creates, partly known ids that still join, and templates ARM
//! would refuse as located diagnostics.

use std::path::PathBuf;

use mcpguard::inventory::Value;
use mcpguard::load::template::{read_template, ParametersFile, TemplateOptions};

fn fixture(name: &str) -> (String, String) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/templates")
        .join(name);
    (
        p.display().to_string(),
        std::fs::read_to_string(&p).expect("fixture"),
    )
}

#[test]
fn basic_template_expands_loops_and_joins_by_reference() {
    let (path, text) = fixture("basic.json");
    let out = read_template(&path, &text, &TemplateOptions::default()).expect("reads");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let groups: Vec<_> = out
        .resources
        .iter()
        .filter(|r| r.arm_type() == "Microsoft.ContainerInstance/containerGroups")
        .collect();
    assert_eq!(groups.len(), 2, "copy count 2");
    assert!(groups[0]
        .display_id()
        .ends_with("/containerGroups/mcp-fs-0"));
    // The image is partly known: the tag parameter has no value.
    let image = groups[0]
        .doc
        .pointer("/properties/containers/0/properties/image")
        .unwrap();
    assert_eq!(
        image.as_partial().unwrap().to_string(),
        "myacr.azurecr.io/mcp-filesystem:{unknown}"
    );
    // The subnet id refers to the subnet unfolded from the VNet, whose NSG id refers to the NSG.
    let subnet_ref = groups[0].doc.pointer("/properties/subnetIds/0/id").unwrap();
    let subnet = out
        .resources
        .iter()
        .find(|r| Some(r.address.as_str()) == subnet_ref.refers_to())
        .expect("subnet is a resource the id refers to");
    assert_eq!(
        subnet.arm_type(),
        "Microsoft.Network/virtualNetworks/subnets"
    );
    let nsg_ref = subnet
        .doc
        .pointer("/properties/networkSecurityGroup/id")
        .unwrap();
    let nsg = out
        .resources
        .iter()
        .find(|r| Some(r.address.as_str()) == nsg_ref.refers_to())
        .expect("NSG is a resource the id refers to");
    assert_eq!(nsg.arm_type(), "Microsoft.Network/networkSecurityGroups");
    assert!(
        out.notes.iter().any(|n| n.contains("imageTag")),
        "{:?}",
        out.notes
    );
}

#[test]
fn parameters_file_and_subscription_make_values_known() {
    let (path, text) = fixture("basic.json");
    let params = r#"{"parameters": {"imageTag": {"value": "1.2.3"}, "prefix": {"value": "p"}}}"#;
    let opts = TemplateOptions {
        parameters: Some(ParametersFile {
            path: "p.json",
            text: params,
        }),
        subscription: Some("00000000-0000-0000-0000-000000000001"),
    };
    let out = read_template(&path, &text, &opts).expect("reads");
    let g = out
        .resources
        .iter()
        .find(|r| r.arm_type() == "Microsoft.ContainerInstance/containerGroups")
        .unwrap();
    assert_eq!(
        g.doc.pointer("/properties/containers/0/properties/image"),
        Some(&Value::from("myacr.azurecr.io/mcp-filesystem:1.2.3"))
    );
    assert!(g.display_id().starts_with(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/{unknown}/"
    ));
}
