//! Bicep's Microsoft Graph extension in ARM templates (issue 13): Entra ID
//! objects come out as the model's Graph documents, in the `imports` form
//! Bicep writes and in the experimental `extensions` form, and reach the
//! rules Terraform's `azuread_*` reach. The fixture
//! `fixtures/templates/graph/template.json` is written by hand in the shape
//! Bicep's own compiled samples show
//! (`src/Bicep.Core.Samples/Files/user_submitted/extensibility/microsoftGraph`).

use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::inventory::{Resource, Value};
use mcpguard::load::template::{read_template, TemplateOptions};
use mcpguard::scan::{self, ScanOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture() -> PathBuf {
    root().join("fixtures/templates/graph/template.json")
}

fn resources() -> (Vec<Resource>, Vec<String>) {
    let path = fixture();
    let text = std::fs::read_to_string(&path).expect("fixture");
    let out = read_template(
        &path.display().to_string(),
        &text,
        &TemplateOptions::default(),
    )
    .expect("reads");
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    (out.resources, out.notes)
}

fn named<'r>(rs: &'r [Resource], ty: &str, name: &str) -> &'r Resource {
    rs.iter()
        .find(|r| r.arm_type() == ty && r.doc.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("no {ty} named {name}"))
}

#[test]
fn graph_resources_become_graph_documents() {
    let (rs, notes) = resources();
    let app = named(&rs, "Microsoft.Graph/applications", "mcp-gateway");
    // Graph's fields at the top level, as a Graph GET (and Terraform's
    // translation) shows them; nothing left under `properties`.
    assert!(app.doc.get("properties").is_none(), "{:?}", app.doc);
    assert_eq!(
        app.doc.pointer("/identifierUris/0"),
        Some(&Value::from("api://mcp-gateway"))
    );
    assert_eq!(
        app.doc.pointer("/api/oauth2PermissionScopes/1/value"),
        Some(&Value::from("mcp.tools.write"))
    );
    assert_eq!(app.doc.get("uniqueName"), Some(&Value::from("mcp-gateway")));
    // What Graph assigns is unknown, never made up.
    assert_eq!(app.display_id(), "/applications/{unknown}");
    let app_id = app.doc.get("appId").expect("appId");
    assert!(app_id.is_unknown(), "{app_id:?}");
    let sp = rs
        .iter()
        .find(|r| r.arm_type() == "Microsoft.Graph/servicePrincipals")
        .expect("service principal");
    assert!(sp.doc.get("appId").is_some_and(Value::is_unknown));
    assert_eq!(
        sp.doc.get("appRoleAssignmentRequired"),
        Some(&Value::Bool(true))
    );
    // The experimental `extensions` form of a module: a beta group, and an
    // `AzureResourceManager` resource read as any ARM resource.
    let group = named(&rs, "Microsoft.Graph/groups", "MCP operators");
    assert_eq!(group.display_id(), "/groups/{unknown}");
    assert!(rs.iter().any(|r| {
        r.arm_type() == "Microsoft.ManagedIdentity/userAssignedIdentities"
            && r.display_id()
                .ends_with("/userAssignedIdentities/id-mcp-github")
    }));
    // `existing` objects are read by the deployment, not deployed by it.
    assert!(!rs
        .iter()
        .any(|r| r.doc.get("uniqueName") == Some(&Value::from("directory-readers"))));
    // Another extension's resources are not scanned, and the note says so.
    assert!(
        notes
            .iter()
            .any(|n| n.contains("toolsDeployment") && n.contains("`Kubernetes` extension")),
        "{notes:?}"
    );
    assert_eq!(
        rs.len(),
        7,
        "{:#?}",
        rs.iter().map(|r| &r.address).collect::<Vec<_>>()
    );
}

#[test]
fn federated_credentials_take_the_terraform_shape() {
    let (rs, _) = resources();
    let ty = "Microsoft.Graph/applications/federatedIdentityCredentials";
    let main = named(&rs, ty, "github-main");
    // The model holds an application's credential as it holds
    // `azuread_application_federated_identity_credential`: under `properties`.
    assert_eq!(
        main.doc.pointer("/properties/subject"),
        Some(&Value::from("repo:contoso/mcp-infra:ref:refs/heads/main"))
    );
    assert_eq!(
        main.display_id(),
        "/applications/{unknown}/federatedIdentityCredentials/github-main"
    );
    assert!(main.doc.pointer("/properties/name").is_none());
}

fn scan_fixture() -> (Report, Vec<Resource>) {
    let opts = ScanOptions {
        config: Config::load(&root().join("fixtures/templates/graph/.mcpguard.hcl"))
            .expect("fixture config"),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("rules");
    let loaded = scan::load_inputs(&[fixture()], &opts);
    let inventory = loaded.inventory.resources().to_vec();
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    (report, inventory)
}

fn verdicts(r: &Report, rule: &str) -> Vec<(String, Status)> {
    r.findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| (f.resource.address.clone(), f.status))
        .collect()
}

#[test]
fn the_rules_judge_template_graph_objects() {
    let (report, inventory) = scan_fixture();
    // MCP006 on the application's credentials: the pull-request subject
    // fails, the main-branch one passes.
    assert_eq!(
        verdicts(&report, "MCP006"),
        vec![(
            "/applications/{unknown}/federatedIdentityCredentials/github-pr (resources.gatewayApp::ciPullRequests)".to_string(),
            Status::Fail
        )]
    );
    // MCP017 on the gateway's application: all four tiers, secrets an
    // application-only role, all known: a pass (no finding) from known facts.
    let gateway = named(&inventory, "Microsoft.Graph/applications", "mcp-gateway");
    let tiers = gateway.fact("entra").and_then(|e| e.get("tiers")).unwrap();
    for t in ["read", "write", "admin"] {
        assert_eq!(tiers.get(t), Some(&Value::Bool(true)), "{t}: {tiers:?}");
    }
    assert_eq!(tiers.get("secrets"), Some(&Value::from("appRole")));
    // The tools application has a role whose value is a parameter without a
    // value: it may be a secrets role users hold, so MCP017 and MCP018 cannot
    // decide. Unknown, not a pass on an absent role.
    let tools = "/applications/{unknown} (resources.toolsApp)".to_string();
    assert_eq!(
        verdicts(&report, "MCP017"),
        vec![(tools.clone(), Status::Unknown)]
    );
    assert_eq!(verdicts(&report, "MCP018"), vec![(tools, Status::Unknown)]);
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcpguard")
}

/// Graph resources ARM or Graph would refuse: exit 2 with a located
/// diagnostic, never a panic or a silent skip.
#[test]
fn bad_graph_resources_are_located_errors() {
    let cases = [
        (
            "undeclared-extension.json",
            10,
            "extension `microsoftGraphV1` is not declared",
        ),
        (
            "credential-name.json",
            13,
            "named `<application uniqueName>/<credential name>`",
        ),
    ];
    for (file, line, says) in cases {
        let path = format!("fixtures/templates/bad/{file}");
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path).exists());
        let o = cli(&["scan", &path, "--format", "json"]);
        // The message as one line: the renderer wraps it behind `│`.
        let err = String::from_utf8_lossy(&o.stderr).replace('│', " ");
        let err = err.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(says), "{file}: {err}");
        assert!(err.contains(&format!("{path}:{line}:")), "{file}: {err}");
    }
}
