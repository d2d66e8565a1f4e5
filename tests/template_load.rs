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
        ..TemplateOptions::default()
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

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcpguard")
}

/// Templates ARM would refuse: exit 2, a diagnostic that names the file,
/// the line and column, and says what is wrong.
#[test]
fn templates_arm_refuses_are_located_errors() {
    let cases = [
        ("bad-expression.json", 8, "expression"),
        ("unknown-function.json", 8, "unknown function `toLowr`"),
        ("copy-over-800.json", 11, "ARM allows at most 800"),
        ("circular-depends.json", 17, "circular dependsOn"),
        // Linked templates: a link ARM could not follow, at the link; a
        // failure inside the linked file, in that file.
        (
            "linked-loop.json",
            11,
            "links back to a template that links it",
        ),
        ("linked-missing.json", 11, "cannot read"),
        ("linked-bad-child.json", 8, "unknown function `toLowr`"),
    ];
    for (file, line, says) in cases {
        let path = format!("fixtures/templates/bad/{file}");
        let o = cli(&["scan", &path, "--format", "json"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(says), "{file}: {err}");
        let at = if file == "linked-bad-child.json" {
            "fixtures/templates/bad/nested/bad-function.json".to_string()
        } else {
            path.clone()
        };
        assert!(
            err.contains(&format!("{at}:{line}:")),
            "{file} at line {line}: {err}"
        );
    }
}

/// What only the deployment knows is unknown, never an error: a count and a
/// condition from parameters without values, `reference()`, `listKeys()`,
/// `uniqueString()`, `utcNow()`, `newGuid()`, `deployment()`, the subscription.
#[test]
fn unknowable_before_deployment_is_not_an_error() {
    let (path, text) = fixture("unknowable.json");
    let out = read_template(&path, &text, &TemplateOptions::default()).expect("no error");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(
        out.resources.len(),
        1,
        "one instance while the count is unknown"
    );
    let r = &out.resources[0];
    let image = r
        .doc
        .pointer("/properties/containers/0/properties/image")
        .unwrap();
    assert!(matches!(image, Value::Unknown(_)), "{image:?}");
    let tags = r.doc.get("tags").unwrap();
    for t in ["created", "run", "by"] {
        assert!(tags.get(t).unwrap().is_unknown(), "{t}");
    }
    let subnet = r.doc.pointer("/properties/subnetIds/0/id").unwrap();
    assert_eq!(
        subnet.as_partial().unwrap().to_string(),
        "/subscriptions/{unknown}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet"
    );
    let notes = out.notes.join("\n");
    assert!(
        notes.contains("condition") && notes.contains("copy loop"),
        "{notes}"
    );
    let o = cli(&[
        "scan",
        "fixtures/templates/unknowable.json",
        "--format",
        "json",
    ]);
    assert_ne!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A Bicep-shaped template (languageVersion 2.0, symbolic names, a module as a
/// nested deployment with inner scope and a copy loop over a parameter): the
/// container apps in the module reach the subnet and NSG of the parent through
/// partly known ids, so MCP002, MCP004 and MCP005 pass; an `existing` resource
/// is not one the deployment creates.
#[test]
fn nested_deployments_join_across_modules() {
    let (path, text) = fixture("modules.json");
    let out = read_template(&path, &text, &TemplateOptions::default()).expect("reads");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let types: Vec<&str> = out.resources.iter().map(|r| r.arm_type()).collect();
    assert!(
        !types.contains(&"Microsoft.OperationalInsights/workspaces"),
        "{types:?}"
    );
    assert!(
        !types.contains(&"Microsoft.Resources/deployments"),
        "{types:?}"
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "Microsoft.App/containerApps")
            .count(),
        2
    );

    let o = cli(&[
        "scan",
        "fixtures/templates/modules.json",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    for rule in ["MCP002", "MCP004", "MCP005"] {
        assert_eq!(report["passed"][rule], 2, "{rule}: {}", report["passed"]);
        assert!(
            !report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule_id"] == rule),
            "{rule} has findings"
        );
    }
}

/// Ids that read alike because a part is known only at deployment
/// (`guid()` names) are not one resource: each declaration stays, and a
/// reference that reads alike refers to neither.
#[test]
fn partly_known_ids_that_read_alike_stay_apart() {
    let text = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      "resources": [
        {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01", "name": "[guid('a')]",
         "properties": {"principalId": "p1", "roleDefinitionId": "r"}},
        {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01", "name": "[guid('b')]",
         "properties": {"principalId": "p2", "roleDefinitionId": "r"}}
      ]}"#;
    let out = read_template("t.json", text, &TemplateOptions::default()).expect("reads");
    assert_eq!(out.resources.len(), 2);
    assert_ne!(out.resources[0].address, out.resources[1].address);
}

/// `--parameters FILE` gives values on the command line; a parameters file
/// scanned alone is refused with what to do instead.
#[test]
fn parameters_flag_and_a_parameters_file_alone() {
    let o = cli(&[
        "scan",
        "fixtures/templates/basic.json",
        "--parameters",
        "fixtures/templates/basic.parameters.json",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    let notes = report["notes"].to_string();
    assert!(!notes.contains("imageTag"), "{notes}");
    let o = cli(&["scan", "fixtures/templates/basic.parameters.json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--parameters"), "{err}");
}

/// A secure parameter's value (a default, or one from the parameters file)
/// never reaches a report: what it flows into is unknown but present, so
/// MCP008 still fails the plain environment variable it is put into.
#[test]
fn secure_parameter_values_are_never_reported() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("secure-param");
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("azuredeploy.json");
    std::fs::write(
        &template,
        r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "apiKey": { "type": "securestring", "defaultValue": "planted-default-s3cret" },
    "dbPassword": { "type": "securestring" }
  },
  "resources": [{
    "type": "Microsoft.ContainerInstance/containerGroups",
    "apiVersion": "2023-05-01",
    "name": "mcp-files",
    "location": "westeurope",
    "tags": { "MCPServer": "true" },
    "properties": {
      "osType": "Linux",
      "containers": [{ "name": "mcp-files", "properties": {
        "image": "contoso.azurecr.io/mcp-filesystem:1.0",
        "resources": { "requests": { "cpu": 1, "memoryInGB": 1 } },
        "environmentVariables": [
          { "name": "API_KEY", "value": "[parameters('apiKey')]" },
          { "name": "DB_PASSWORD", "value": "[parameters('dbPassword')]" }
        ]
      }}]
    }
  }]
}"#,
    )
    .unwrap();
    let params = dir.join("azuredeploy.parameters.json");
    std::fs::write(
        &params,
        r#"{"parameters": {"dbPassword": {"value": "planted-file-s3cret"}}}"#,
    )
    .unwrap();
    for format in ["json", "table", "sarif", "markdown", "html"] {
        let out = cli(&[
            "scan",
            template.to_str().unwrap(),
            "--parameters",
            params.to_str().unwrap(),
            "--format",
            format,
        ]);
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(!text.contains("planted"), "{format}: a secret is shown");
        if format == "json" {
            let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let mcp008 = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["rule_id"] == "MCP008")
                .expect("MCP008 judged the group");
            assert_eq!(mcp008["status"], "fail", "{mcp008}");
        }
    }
}

/// Bicep modules hand ids to each other only through outputs
/// (`reference(resourceId('Microsoft.Resources/deployments', 'network'),
/// …).outputs.subnetId.value`): an output computed from the module's own
/// parameters, variables and `resourceId()` is a reference, so the container
/// apps of one module reach the subnet and NSG of another (MCP002, MCP004,
/// MCP005 pass) and the identities of a third (MCP001 passes, MCP007 sees
/// one identity each). An output that reads deployment-time state stays
/// unknown, and a secure output is never carried.
#[test]
fn module_outputs_carry_ids_between_modules() {
    let (path, text) = fixture("module-outputs.json");
    let out = read_template(&path, &text, &TemplateOptions::default()).expect("reads");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let env = out
        .resources
        .iter()
        .find(|r| r.arm_type() == "Microsoft.App/managedEnvironments")
        .expect("environment");
    let subnet = env
        .doc
        .pointer("/properties/vnetConfiguration/infrastructureSubnetId")
        .unwrap();
    let subnet_res = out
        .resources
        .iter()
        .find(|r| Some(r.address.as_str()) == subnet.refers_to())
        .unwrap_or_else(|| panic!("the subnet output refers to the subnet: {subnet:?}"));
    assert_eq!(
        subnet_res.arm_type(),
        "Microsoft.Network/virtualNetworks/subnets"
    );
    // reference() of a resource inside the module: known only once it ran.
    let guid = env.doc.pointer("/tags/vnet").unwrap();
    assert!(guid.is_unknown(), "{guid:?}");
    let apps: Vec<_> = out
        .resources
        .iter()
        .filter(|r| r.arm_type() == "Microsoft.App/containerApps")
        .collect();
    assert_eq!(apps.len(), 2);
    for (app, server) in apps.iter().zip(["github", "filesystem"]) {
        let ids = app.doc.pointer("/identity/userAssignedIdentities").unwrap();
        let keys: Vec<String> = match ids {
            Value::Object(m) => m.keys().cloned().collect(),
            other => panic!("{server}: identities unknown: {other:?}"),
        };
        assert_eq!(keys.len(), 1);
        assert!(
            keys[0].ends_with(&format!("/userAssignedIdentities/id-mcp-{server}")),
            "{keys:?}"
        );
    }

    let o = cli(&[
        "scan",
        "fixtures/templates/module-outputs.json",
        "--format",
        "json",
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        !stdout.contains("not-a-real-secret"),
        "a secure output is never shown"
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    for rule in ["MCP001", "MCP002", "MCP004", "MCP005", "MCP007"] {
        assert_eq!(report["passed"][rule], 2, "{rule}: {}", report["findings"]);
    }
}

/// What ARM evaluates lazily is evaluated lazily: `and`/`or` stop at the
/// argument that decides and `if` takes one branch, so a branch that would
/// fail where it is not taken (`split('', '/')[8]`) is no error; with an
/// unknown condition the branch that fails is not the one a successful
/// deployment takes. An object keyed by a name known only at deployment is
/// unknown, not an error; a list of partly known ids still has a length and
/// elements.
#[test]
fn lazy_functions_and_partly_known_collections() {
    let text = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
      "parameters": {"id": {"type": "string", "defaultValue": ""}, "flag": {"type": "bool"}, "key": {"type": "string"}},
      "variables": {"parts": "[split(parameters('id'), '/')]",
                    "ids": ["[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'a')]", "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'b')]"]},
      "resources": [{"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": "nsg",
        "tags": {
          "and": "[and(not(empty(parameters('id'))), equals(variables('parts')[8], 'x'))]",
          "or": "[or(empty(parameters('id')), equals(variables('parts')[8], 'x'))]",
          "if": "[if(empty(parameters('id')), 'none', variables('parts')[8])]",
          "ifUnknown": "[if(parameters('flag'), variables('parts')[8], 'taken')]",
          "andUnknown": "[and(parameters('flag'), false())]",
          "count": "[length(variables('ids'))]",
          "second": "[variables('ids')[1]]"
        },
        "properties": {"keyed": {"[parameters('key')]": {}}}}]}"#;
    let out = read_template("t.json", text, &TemplateOptions::default()).expect("no error");
    let tags = out.resources[0].doc.get("tags").unwrap();
    let tag = |k: &str| tags.get(k).unwrap().clone();
    assert_eq!(tag("and"), Value::Bool(false));
    assert_eq!(tag("or"), Value::Bool(true));
    assert_eq!(tag("if"), Value::from("none"));
    assert_eq!(tag("ifUnknown"), Value::from("taken"));
    assert_eq!(tag("andUnknown"), Value::Bool(false));
    assert_eq!(tag("count"), Value::from(serde_json::json!(2)));
    assert!(tag("second")
        .as_partial()
        .is_some_and(|p| p.to_string().ends_with("/userAssignedIdentities/b")));
    let keyed = out.resources[0].doc.pointer("/properties/keyed").unwrap();
    assert!(keyed.is_unknown(), "{keyed:?}");
}

/// Linked templates (`templateLink.relativePath`, as `az deployment
/// --template-file` packs them) are read beside the template that links
/// them: their resources are scanned with the parameters the link gives
/// (the subnet id is the network template's output, so the container group
/// reaches the NSG: MCP002, MCP004, MCP005 pass) and their findings name the
/// linked file. A link by `uri` is not read (no network), and a note says
/// its resources are not scanned.
#[test]
fn linked_templates_are_read_beside_the_template() {
    let o = cli(&[
        "scan",
        "fixtures/templates/linked/azuredeploy.json",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
    for rule in ["MCP001", "MCP002", "MCP004", "MCP005", "MCP007"] {
        assert_eq!(report["passed"][rule], 1, "{rule}: {}", report["findings"]);
    }
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["rule_id"], "MCP014");
    assert_eq!(
        findings[0]["location"]["file"],
        "fixtures/templates/linked/nested/servers.json"
    );
    // On the line of the resource's declaration (its opening brace).
    let servers = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/templates/linked/nested/servers.json"),
    )
    .unwrap();
    let type_line = servers
        .lines()
        .position(|l| l.contains("\"Microsoft.ContainerInstance/containerGroups\""))
        .unwrap();
    assert_eq!(
        findings[0]["location"]["line"], type_line as u64,
        "{:#}",
        findings[0]
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("https://example.com/templates/monitoring.json")
            && notes.contains("not scanned"),
        "{notes}"
    );
    // From standard input there is no file beside which to read a link.
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/templates/linked/azuredeploy.json"),
    )
    .unwrap();
    let out = read_template("-", &text, &TemplateOptions::default()).expect("reads");
    assert!(out.resources.is_empty());
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("nested/network.json") && n.contains("not read from a file")),
        "{:?}",
        out.notes
    );
}

/// Findings on a template land on the line of the resource's declaration,
/// and `// mcpguard:ignore` above it (ARM reads comments in templates)
/// suppresses them, every copy of a loop included; an ignore above anything
/// else is a note.
#[test]
fn template_findings_have_lines_and_inline_ignores_apply() {
    let dir = std::env::temp_dir().join(format!("mcpguard-template-ignore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("azuredeploy.json");
    let text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  // mcpguard:ignore MCP003 reason="above the resources array, not a resource"
  "resources": [
    // mcpguard:ignore MCP014 reason="logs go to the platform team's Splunk"
    {
      "copy": {"name": "fs", "count": 2},
      "type": "Microsoft.ContainerInstance/containerGroups",
      "apiVersion": "2023-05-01",
      "name": "[format('mcp-fs-{0}', copyIndex())]",
      "location": "westeurope",
      "tags": {"MCPServer": "true"},
      "properties": {"osType": "Linux",
        "containers": [{"name": "mcp-fs", "properties": {"image": "myacr.azurecr.io/mcp-filesystem:1.4.2"}}]}
    }
  ]
}
"#;
    std::fs::write(&path, text).unwrap();
    let o = cli(&["scan", path.to_str().unwrap(), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["location"]["line"], 6, "{f:#}");
        let suppressed = f["status"] == "suppressed";
        assert_eq!(suppressed, f["rule_id"] == "MCP014", "{f:#}");
    }
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["status"] == "suppressed")
            .count(),
        2,
        "both copies"
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains(":3: `mcpguard:ignore` is not above a resource declaration"),
        "{notes}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A directory scan reads its deployment templates: not a parameters file,
/// not the compiled output of a Bicep file beside it (the Bicep file is the
/// source), not a template another links by `relativePath` (read through
/// the link). A template's `NAME.parameters.json` beside it gives its
/// parameters unless `--parameters` names a file, and a note says so.
#[test]
fn a_directory_scan_reads_its_templates_with_their_parameters_files() {
    let dir = std::env::temp_dir().join(format!("mcpguard-template-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    let schema = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
    let nsg = |name: &str| {
        format!(
            r#"{{"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": "{name}", "location": "westeurope"}}"#
        )
    };
    let write = |f: &str, t: String| std::fs::write(dir.join(f), t).unwrap();
    write(
        "azuredeploy.json",
        format!(
            r#"{{"$schema": "{schema}", "parameters": {{"suffix": {{"type": "string", "defaultValue": "default"}}}},
              "resources": [{{"condition": "[equals(parameters('suffix'), 'given')]", "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": "nsg-given", "location": "westeurope"}},
                {{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "child",
                  "properties": {{"mode": "Incremental", "templateLink": {{"relativePath": "nested/child.json"}}}}}}]}}"#
        ),
    );
    write(
        "azuredeploy.parameters.json",
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {"suffix": {"value": "given"}}}"#.into(),
    );
    write(
        "nested/child.json",
        format!(
            r#"{{"$schema": "{schema}", "resources": [{}]}}"#,
            nsg("nsg-child")
        ),
    );
    write(
        "main.json",
        format!(
            r#"{{"$schema": "{schema}", "resources": [{}]}}"#,
            nsg("nsg-compiled")
        ),
    );
    write("main.bicep", "// compiled to main.json\n".into());
    let found: Vec<String> = mcpguard::load::template::entry_files(&dir)
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    assert_eq!(found, vec!["azuredeploy.json"]);

    let o = cli(&[
        "scan",
        dir.join("azuredeploy.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
    // The parameters file's value deploys the conditional NSG; the child's is read through the link.
    let types = report["resource_types"].to_string();
    assert!(
        types.contains("\"Microsoft.Network/networkSecurityGroups\":2"),
        "{types}"
    );
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("azuredeploy.parameters.json`, the parameters file beside it"),
        "{notes}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// azd's `main.parameters.json` writes `"value": "${VNET_ENABLED}"`: the
/// placeholder is substituted from the environment, as azd does before it
/// deploys; unset, it is unknown, never the literal text (which, as a bool,
/// would be no boolean at all).
#[test]
fn azd_placeholders_in_a_parameters_file_come_from_the_environment() {
    let dir = std::env::temp_dir().join(format!("mcpguard-azd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("main.json"),
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
          "parameters": {"vnetEnabled": {"type": "bool", "defaultValue": false}},
          "resources": [{"condition": "[parameters('vnetEnabled')]", "type": "Microsoft.Network/networkSecurityGroups",
                         "apiVersion": "2023-09-01", "name": "nsg", "location": "westeurope"}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("main.parameters.json"),
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
          "parameters": {"vnetEnabled": {"value": "${VNET_ENABLED}"}}}"#,
    )
    .unwrap();
    let scan = |env: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_mcpguard"));
        c.args([
            "scan",
            dir.join("main.json").to_str().unwrap(),
            "--format",
            "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("VNET_ENABLED");
        if let Some(v) = env {
            c.env("VNET_ENABLED", v);
        }
        let o = c.output().unwrap();
        assert_ne!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let nsgs = |r: &serde_json::Value| {
        r["resource_types"]["Microsoft.Network/networkSecurityGroups"].as_u64()
    };
    assert_eq!(nsgs(&scan(Some("true"))), Some(1));
    assert_eq!(nsgs(&scan(Some("false"))), None);
    let unset = scan(None);
    assert_eq!(nsgs(&unset), Some(1), "scanned as if deployed");
    assert!(
        unset["notes"].to_string().contains("condition"),
        "{}",
        unset["notes"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
