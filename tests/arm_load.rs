//! ARM input: every accepted shape, normalisation, child folding, bad input,
//! and the real ARM REST examples and exports of `../shared/corpus`.

use std::path::{Path, PathBuf};

use mcpguard::inventory::Value;
use mcpguard::inventory::{types, Inventory};
use mcpguard::load::arm::{self, ArmOutput};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

fn fixture(name: &str) -> (String, String) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/arm")
        .join(name);
    let text = std::fs::read_to_string(&p).expect("fixture");
    (p.display().to_string(), text)
}

fn load_fixture(name: &str) -> ArmOutput {
    let (path, text) = fixture(name);
    arm::load(&path, &text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn inventory(out: &ArmOutput) -> Inventory {
    let mut inv = Inventory::new();
    for r in &out.resources {
        inv.push(r.clone());
    }
    inv
}

const S: &str =
    "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-mcp/providers";

#[test]
fn list_response_folds_children_and_keeps_them() {
    let out = load_fixture("list_with_children.json");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.notes.len(), 1, "nextLink is noted: {:?}", out.notes);
    assert!(out.notes[0].contains("later pages"));
    let inv = inventory(&out);

    let nsg = inv
        .by_id(&format!(
            "{S}/Microsoft.Network/networkSecurityGroups/nsg-mcp"
        ))
        .expect("nsg");
    let rules = nsg.doc["properties"]["securityRules"].as_array().unwrap();
    // The inline rule is kept as it was; the standalone copy of it (other case)
    // is not added twice; the other standalone rule is folded in.
    assert_eq!(rules.len(), 2, "{rules:#?}");
    assert_eq!(rules[1]["name"], "allow-gateway-in");
    // Six platform defaults synthesised.
    let defaults = nsg.doc["properties"]["defaultSecurityRules"]
        .as_array()
        .unwrap();
    assert_eq!(defaults.len(), 6);
    assert!(defaults
        .iter()
        .any(|r| r["name"] == "AllowInternetOutBound" && r["properties"]["priority"] == 65001));

    // Standalone children stay resources of their own.
    assert_eq!(inv.of_type(types::NSG_RULE).count(), 2);
    // The VNet gets the standalone subnet; its inline subnet is a resource too,
    // typed, so a container group's subnetIds resolve to it.
    let vnet = inv
        .by_id(&format!("{S}/Microsoft.Network/virtualNetworks/vnet-mcp"))
        .unwrap();
    assert_eq!(
        vnet.doc["properties"]["subnets"].as_array().unwrap().len(),
        2
    );
    let inline = inv
        .by_id(&format!(
            "{S}/Microsoft.Network/virtualNetworks/VNET-MCP/subnets/snet-mcp-servers"
        ))
        .expect("inline subnet unfolded");
    assert_eq!(inline.arm_type(), types::SUBNET);
    assert!(inline
        .origin
        .detail
        .as_deref()
        .unwrap()
        .contains("properties.subnets[0]"));
    // A subnet without `type` gets it from its id.
    let gw = inv
        .by_id(&format!(
            "{S}/Microsoft.Network/virtualNetworks/vnet-mcp/subnets/snet-gateway"
        ))
        .unwrap();
    assert_eq!(gw.arm_type(), types::SUBNET);
    // The federated credential is its own resource, addressed by its own id.
    let fic: Vec<_> = inv.of_type(types::FEDERATED_CREDENTIAL).collect();
    assert_eq!(fic.len(), 1);
    assert!(fic[0]
        .address
        .ends_with("/federatedIdentityCredentials/gha-main"));
    assert_eq!(fic[0].origin.detail.as_deref(), Some("value[5]"));
    assert!(fic[0]
        .origin
        .file
        .as_deref()
        .unwrap()
        .ends_with("list_with_children.json"));
}

#[test]
fn resource_graph_output_gets_arm_type_spelling() {
    let out = load_fixture("graph.json");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let inv = inventory(&out);
    let cg = inv
        .of_type(types::CONTAINER_GROUP)
        .next()
        .expect("container group");
    assert_eq!(cg.arm_type(), types::CONTAINER_GROUP);
    // ARG's null columns are dropped, as ARM omits absent values.
    assert!(cg.doc.get("sku").is_none());
    assert_eq!(cg.tag("mcpserver").and_then(Value::as_str), Some("github"));
    let id = inv.of_type(types::USER_IDENTITY).next().unwrap();
    assert!(id.doc.get("tags").is_none());
    assert_eq!(
        inv.by_principal_id("0F9E8D7C-0000-4000-8000-000000000001")
            .unwrap()
            .id(),
        id.id()
    );
}

#[test]
fn pascal_case_export_is_read_as_arm() {
    let out = load_fixture("pascal_export.json");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let cg = &out.resources[0];
    assert_eq!(
        cg.id(),
        format!("{S}/Microsoft.ContainerInstance/containerGroups/ci-mcp-files")
    );
    assert_eq!(cg.name(), "ci-mcp-files");
    assert_eq!(
        cg.doc
            .pointer("/properties/subnetIds/0/id")
            .and_then(Value::as_str),
        Some(
            format!("{S}/Microsoft.Network/virtualNetworks/vnet-mcp/subnets/snet-mcp-servers")
                .as_str()
        )
    );
    assert_eq!(
        cg.doc
            .pointer("/properties/ipAddress/type")
            .and_then(Value::as_str),
        Some("Private")
    );
    assert_eq!(
        cg.doc
            .pointer("/properties/containers/0/properties/image")
            .and_then(Value::as_str),
        Some("mcr.microsoft.com/mcp/files:0.3")
    );
}

#[test]
fn bad_documents_are_reported_and_the_rest_load() {
    let out = load_fixture("bad_documents.json");
    assert_eq!(out.resources.len(), 1, "only the good identity loads");
    assert_eq!(out.resources[0].name(), "id-ok");
    let msgs: Vec<String> = out.errors.iter().map(|e| e.message.clone()).collect();
    assert_eq!(msgs.len(), 5, "{msgs:#?}");
    assert!(
        msgs.iter()
            .any(|m| m.contains("`no-id-here`") && m.contains("no `id`")),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("ci-bad")
            && m.contains("`properties.subnetIds` is a string, where ARM has an array")),
        "{msgs:#?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("`containerGroups` is not an ARM resource type")),
        "{msgs:#?}"
    );
    assert!(msgs.iter().any(|m| m.contains("no `type`")), "{msgs:#?}");
    assert!(
        msgs.iter().any(|m| m.contains("`[5]` is a string")),
        "{msgs:#?}"
    );
    // The error points at the resource in the file.
    let bad = out
        .errors
        .iter()
        .find(|e| e.message.contains("ci-bad"))
        .unwrap();
    assert!(bad.span.is_some() && bad.src.is_some());
}

#[test]
fn snapshot_errors_are_carried() {
    let out = load_fixture("snapshot_incomplete.json");
    assert!(out.errors.is_empty());
    let meta = out.snapshot.expect("snapshot meta");
    assert_eq!(meta.subscriptions.len(), 2);
    assert_eq!(meta.errors.len(), 1);
    assert!(meta.errors[0].message.contains("403"));
    assert_eq!(out.resources.len(), 1);
    assert_eq!(
        out.resources[0].origin.detail.as_deref(),
        Some("resources[0]")
    );
}

#[test]
fn unusable_files_are_fatal() {
    let e = arm::load("x.json", "{\"value\": [1,").unwrap_err();
    assert!(e.message.contains("truncated"), "{}", e.message);
    let e = arm::load("x.json", "not json").unwrap_err();
    assert!(e.message.contains("not valid JSON"), "{}", e.message);
    assert!(e.span.is_some());
    for text in ["{}", "[]", "{\"value\": []}", "{\"foo\": 1}", "42"] {
        let e = arm::load("x.json", text).unwrap_err();
        assert!(
            e.message.contains("no ARM resources"),
            "{text}: {}",
            e.message
        );
    }
    let e = arm::load(
        "s.json",
        r#"{"schema": "mcpguard/snapshot/v2", "resources": []}"#,
    )
    .unwrap_err();
    assert!(e.message.contains("not supported"), "{}", e.message);
}

#[test]
fn single_get_response_and_rest_example_shapes() {
    let get = format!(
        r#"{{"id": "{S}/Microsoft.Network/networkSecurityGroups/n1", "name": "n1",
            "type": "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS", "properties": {{}}}}"#
    );
    let out = arm::load("get.json", &get).unwrap();
    assert_eq!(out.resources.len(), 1);
    assert_eq!(out.resources[0].arm_type(), types::NSG);
    assert_eq!(
        out.resources[0].origin.detail.as_deref(),
        Some("(top level)")
    );

    // A create example: the 200 and 201 bodies are the same resource, read once.
    let example = format!(
        r#"{{"parameters": {{}}, "responses": {{"200": {{"body": {get}}}, "201": {{"body": {get}}}, "202": {{}}}}}}"#
    );
    let out = arm::load("example.json", &example).unwrap();
    assert_eq!(out.resources.len(), 1);
    assert_eq!(
        out.resources[0].origin.detail.as_deref(),
        Some("responses.200.body")
    );
}

#[test]
fn graph_table_format_is_read() {
    let text = format!(
        r#"{{"totalRecords": 1, "data": {{"columns": [{{"name": "id"}}, {{"name": "type"}}, {{"name": "name"}}],
            "rows": [["{S}/Microsoft.ManagedIdentity/userAssignedIdentities/i1", "microsoft.managedidentity/userassignedidentities", "i1"]]}}}}"#
    );
    let out = arm::load("graph-table.json", &text).unwrap();
    assert_eq!(out.resources.len(), 1);
    assert_eq!(out.resources[0].arm_type(), types::USER_IDENTITY);
    assert_eq!(out.resources[0].name(), "i1");
}

fn corpus_files(dir: &str) -> Option<Vec<PathBuf>> {
    let d = Path::new(CORPUS).join(dir);
    let Ok(rd) = std::fs::read_dir(&d) else {
        eprintln!("skipping: {} is absent", d.display());
        return None;
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn every_arm_rest_example_loads() {
    let Some(files) = corpus_files("arm-examples") else {
        return;
    };
    assert!(!files.is_empty());
    for f in files {
        let text = mcpguard::load::read_text(&f).unwrap();
        let out = arm::load(&f.display().to_string(), &text)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(out.errors.is_empty(), "{}: {:?}", f.display(), out.errors);
        assert!(!out.resources.is_empty(), "{}", f.display());
        for r in &out.resources {
            assert!(
                !r.id().is_empty() && !r.arm_type().is_empty(),
                "{}",
                f.display()
            );
            if r.arm_type() == types::NSG {
                let d = r
                    .doc
                    .pointer("/properties/defaultSecurityRules")
                    .and_then(Value::as_array);
                assert_eq!(d.map(Vec::len), Some(6), "{}", f.display());
            }
        }
    }
}

#[test]
fn corpus_export_loads_with_inline_subnets_as_resources() {
    let Some(files) = corpus_files("arm-resources") else {
        return;
    };
    for f in files {
        let text = mcpguard::load::read_text(&f).unwrap();
        let out = arm::load(&f.display().to_string(), &text)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(out.errors.is_empty(), "{}: {:?}", f.display(), out.errors);
        let inv = inventory(&out);
        assert!(inv.of_type(types::VNET).count() >= 1, "{}", f.display());
        // Subnets with `networkSecurityGroup` null, {} or an id all load.
        assert!(inv.of_type(types::SUBNET).count() >= 1, "{}", f.display());
        for r in inv.resources() {
            assert!(r.doc.get("tags").is_none_or(Value::is_object), "{}", r.id());
        }
    }
}
