//! Terraform source reader over the fixture trees in `fixtures/hcl/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mcpguard::inventory::Value;
use mcpguard::load::hcl::{load, HclOptions, HclOutput};
use mcpguard::load::terraform::{Mode, TfResource};
use serde_json::{json, Value as Json};

/// The known part of a value, as a plan's `after` shows it: unknown values
/// dropped from objects, `null` in lists.
fn known(v: &Value) -> Json {
    match v {
        Value::Array(a) => Json::Array(a.iter().map(known).collect()),
        Value::Object(m) => Json::Object(
            m.iter()
                .filter(|(_, x)| !x.is_unknown())
                .map(|(k, x)| (k.clone(), known(x)))
                .collect(),
        ),
        v if v.is_unknown() => Json::Null,
        v => v.to_json().unwrap_or(Json::Null),
    }
}

/// Where a value is unknown, as a plan's `after_unknown` shows it.
fn marks(v: &Value) -> Json {
    match v {
        v if v.is_unknown() => Json::Bool(true),
        Value::Array(a) => Json::Array(a.iter().map(marks).collect()),
        Value::Object(m) => Json::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), marks(x)))
                .filter(|(_, u)| match u {
                    Json::Bool(b) => *b,
                    Json::Object(o) => !o.is_empty(),
                    _ => true,
                })
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/hcl")
        .join(name)
}

fn scan(name: &str) -> HclOutput {
    load(&fixture(name), &HclOptions::default())
}

fn by_address(o: &HclOutput) -> BTreeMap<&str, &TfResource> {
    o.model
        .resources
        .iter()
        .map(|r| (r.address.as_str(), r))
        .collect()
}

fn messages(o: &HclOutput) -> Vec<String> {
    o.errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect()
}

/// Line and column (1-based) an error points at.
fn line_col(e: &mcpguard::load::InputError) -> (usize, usize) {
    assert!(e.span.is_some(), "error has a span");
    e.src.as_ref().expect("error has source").location()
}

#[test]
fn mcp_tree_expands_instances_with_terraform_addresses() {
    let o = scan("mcp");
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let addrs: Vec<&str> = o
        .model
        .resources
        .iter()
        .map(|r| r.address.as_str())
        .collect();
    assert_eq!(
        addrs,
        vec![
            "azurerm_container_group.mcp[\"github\"]",
            "azurerm_container_group.mcp[\"jira\"]",
            "azurerm_network_security_group.mcp",
            "azurerm_resource_group.mcp",
            "azurerm_subnet_network_security_group_association.mcp",
            "azurerm_user_assigned_identity.mcp[\"github\"]",
            "azurerm_user_assigned_identity.mcp[\"jira\"]",
            "data.azurerm_client_config.current",
            "module.network.azurerm_subnet.this[0]",
            "module.network.azurerm_subnet.this[1]",
            "module.network.azurerm_virtual_network.this",
        ]
    );
    let r = by_address(&o);
    let subnet = r["module.network.azurerm_subnet.this[1]"];
    assert_eq!(subnet.module, "module.network");
    assert_eq!(subnet.index, Some(json!(1)));
    assert_eq!(subnet.name, "this");
    assert_eq!(known(&subnet.values)["name"], "snet-mcp-01");
    assert_eq!(
        known(&subnet.values)["address_prefixes"],
        json!(["10.40.1.0/24"])
    );
    assert_eq!(
        subnet.origin.file.as_deref(),
        Some("modules/network/main.tf")
    );
    assert_eq!(subnet.origin.line, Some(16));
    let cg = r["azurerm_container_group.mcp[\"jira\"]"];
    assert_eq!(cg.index, Some(json!("jira")));
    assert_eq!(cg.mode, Mode::Managed);
    assert_eq!(r["data.azurerm_client_config.current"].mode, Mode::Data);
}

#[test]
fn mcp_tree_values_follow_plan_conventions() {
    let o = scan("mcp");
    let r = by_address(&o);
    let cg = r["azurerm_container_group.mcp[\"github\"]"];
    // tfvars overrode the default and the auto.tfvars the location.
    assert_eq!(known(&cg.values)["name"], "ci-github-staging");
    assert_eq!(known(&cg.values)["location"], "northeurope");
    assert_eq!(
        known(&cg.values)["tags"],
        json!({"MCPServer": "true", "environment": "staging", "owner": "platform", "server": "github"})
    );
    // Nested blocks are lists of objects; unknowns (here a set holding an
    // unknown id, so the whole set) are left out of values.
    assert_eq!(
        known(&cg.values)["identity"],
        json!([{"type": "UserAssigned"}])
    );
    assert_eq!(
        known(&cg.values)["container"][0]["environment_variables"],
        json!({"MCP_SERVER": "GITHUB"})
    );
    assert_eq!(
        known(&cg.values)["container"][0]["ports"],
        json!([{"port": 8080, "protocol": "TCP"}])
    );
    assert_eq!(
        marks(&cg.values),
        json!({
            "container": [{"environment_variables": {"TENANT_ID": true}, "ports": [{}]}],
            "identity": [{"identity_ids": true}],
            "id": true,
            "subnet_ids": true
        })
    );
    // References name the exact instance, through the module output.
    assert_eq!(
        cg.references["subnet_ids"],
        vec!["module.network.azurerm_subnet.this[0]"]
    );
    assert_eq!(
        cg.references["identity.0.identity_ids"],
        vec!["azurerm_user_assigned_identity.mcp[\"github\"]"]
    );
    assert_eq!(
        cg.references["container.0.environment_variables"],
        vec!["data.azurerm_client_config.current"]
    );
    assert_eq!(cg.origin.line, Some(67));
    assert_eq!(cg.origin.attribute_lines["subnet_ids"], 75);
    assert_eq!(cg.origin.attribute_lines["identity.0.type"], 79);
    let assoc = r["azurerm_subnet_network_security_group_association.mcp"];
    assert_eq!(
        marks(&assoc.values),
        json!({"id": true, "network_security_group_id": true, "subnet_id": true})
    );
    assert_eq!(
        assoc.references["network_security_group_id"],
        vec!["azurerm_network_security_group.mcp"]
    );
    assert_eq!(
        assoc.references["subnet_id"],
        vec!["module.network.azurerm_subnet.this[0]"]
    );
    // The dynamic block expanded to the static shape, in order.
    let nsg = r["azurerm_network_security_group.mcp"];
    let nsg_values = known(&nsg.values);
    let rules = nsg_values["security_rule"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["name"], "deny-internet");
    assert_eq!(rules[0]["priority"], 4000);
    assert_eq!(rules[1]["destination_address_prefix"], "VirtualNetwork");
    assert_eq!(nsg.origin.attribute_lines["security_rule.1.access"], 44);
}

#[test]
fn count_zero_and_unset_root_variable() {
    let o = scan("mcp");
    // `count = 0` makes no instance; the unset `owner_object_id` is no error.
    assert!(o
        .model
        .resources
        .iter()
        .all(|r| !r.address.starts_with("azurerm_role_assignment")));
    assert!(o.errors.is_empty());
}

#[test]
fn inline_ignores_on_resources_and_attributes() {
    let o = scan("mcp");
    assert_eq!(o.ignores.len(), 2, "{:?}", o.ignores);
    let a = &o.ignores[0];
    assert_eq!((a.file.as_str(), a.line), ("main.tf", 66));
    assert_eq!(a.rules, vec!["MCP009"]);
    assert_eq!(
        a.reason.as_deref(),
        Some("registry migration, ticket OPS-112")
    );
    assert_eq!(a.expires.as_deref(), Some("2027-01-31"));
    assert_eq!(a.resource, "azurerm_container_group.mcp");
    assert_eq!(a.attribute, None);
    let b = &o.ignores[1];
    assert_eq!(b.rules, vec!["MCP002"]);
    assert_eq!(b.reason, None);
    assert_eq!(b.attribute.as_deref(), Some("subnet_ids"));
}

#[test]
fn variable_precedence() {
    let opts = HclOptions {
        var_files: vec![fixture("precedence/extra.tfvars")],
        vars: vec![
            ("from_cli".into(), "cli".into()),
            ("ids".into(), "[\"a\",\"b\"]".into()),
            ("count_n".into(), "3".into()),
            ("required".into(), "given".into()),
        ],
        ..Default::default()
    };
    let o = load(&fixture("precedence"), &opts);
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let tags = &known(&o.model.resources[0].values)["tags"];
    assert_eq!(
        tags,
        &json!({
            "from_default": "default",
            "from_tfvars": "tfvars",
            "from_auto": "b.auto",
            "from_file": "var-file",
            "from_cli": "cli",
            "ids": "a,b",
            "count_n": 3,
            "required": "given",
        })
    );
    // b.auto.tfvars.json sorts after a.auto.tfvars and wins over it.
    let o = load(&fixture("precedence"), &HclOptions::default());
    let r = &o.model.resources[0];
    assert_eq!(known(&r.values)["tags"]["from_auto"], "b.auto");
    assert_eq!(known(&r.values)["tags"]["from_file"], "b.auto");
    // A root variable without default nor value is unknown, not an error.
    assert_eq!(marks(&r.values)["tags"]["required"], true);
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
}

#[test]
fn expressions_for_splat_templates_and_unknowns() {
    let o = scan("expressions");
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let r = by_address(&o);
    let x = r["test_values.x"];
    let v = &known(&x.values);
    assert_eq!(v["names"], json!(["GITHUB"]));
    assert_eq!(v["by_port"], json!({"8080": "github", "8081": "jira"}));
    assert_eq!(
        v["grouped"],
        json!({"private": ["github"], "public": ["jira"]})
    );
    assert_eq!(v["ports"], json!([8080, 8081]));
    assert_eq!(v["all_names"], json!(["snet-0", "snet-1"]));
    assert_eq!(v["heredoc"], "hello 8080\npublic\n");
    assert_eq!(v["templated"], "github;jira;");
    assert_eq!(v["fallback"], 9000);
    assert_eq!(v["can_read"], false);
    assert_eq!(v["math"], 5);
    assert_eq!(v["cmp"], true);
    // Computed ids are unknown, and so is what is built from them.
    for k in ["first_id", "unknown_or", "cond_unk"] {
        assert!(v.get(k).is_none(), "{k} should be unknown");
        assert_eq!(marks(&x.values)[k], true, "{k}");
        assert_eq!(x.references[k], vec!["azurerm_subnet.s[0]"], "{k}");
    }
    assert_eq!(marks(&x.values)["splat_ids"], true);
    assert_eq!(
        x.references["splat_ids"],
        vec!["azurerm_subnet.s[0]", "azurerm_subnet.s[1]"]
    );
}

#[test]
fn locals_cycle_is_reported_and_the_rest_evaluates() {
    let o = scan("cycle");
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("dependency cycle: local.a → local.b → local.a"),
        "{m:?}"
    );
    assert_eq!(line_col(&o.errors[0]).0, 2);
    assert_eq!(known(&o.model.resources[0].values)["name"], "plain");
}

#[test]
fn syntax_errors_in_several_files_are_all_listed() {
    let o = scan("errors");
    let m = messages(&o);
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(m[0].ends_with("a_broken.tf: syntax error: invalid expression; expected `\"`, `[`, `{`, `-`, `!`, `(`, `_`, `<`, letter or digit"), "{m:?}");
    assert_eq!(line_col(&o.errors[0]), (3, 14));
    assert!(
        m[1].contains("b_broken.tf: syntax error: expected `]`"),
        "{m:?}"
    );
    assert_eq!(line_col(&o.errors[1]), (3, 1));
    assert!(
        m[2].contains("c_broken.tf.json: Terraform JSON file is not valid JSON"),
        "{m:?}"
    );
    assert_eq!(line_col(&o.errors[2]), (1, 63));
    // The good file is still read.
    assert_eq!(o.model.resources.len(), 1);
    assert_eq!(o.model.resources[0].address, "azurerm_resource_group.ok");
}

#[test]
fn undefined_names_and_functions_are_diagnosed_with_locations() {
    let o = scan("undefined");
    let m = messages(&o);
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(
        m[0].contains("reference to undeclared input variable `var.nope`"),
        "{m:?}"
    );
    assert_eq!(line_col(&o.errors[0]), (2, 14));
    assert!(m[1].contains("unknown function `frobnicate`"), "{m:?}");
    assert_eq!(line_col(&o.errors[1]), (3, 14));
    assert!(
        m[2].contains("reference to undeclared resource `azurerm_subnet.missing`"),
        "{m:?}"
    );
    assert_eq!(line_col(&o.errors[2]), (5, 14));
    // The resource is still there, its failed attributes unknown.
    assert_eq!(marks(&o.model.resources[0].values)["name"], true);
}

#[test]
fn json_syntax_is_read() {
    let o = scan("json");
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let r = by_address(&o);
    let cg = r["azurerm_container_group.mcp"];
    assert_eq!(known(&cg.values)["name"], "ci-prod");
    assert_eq!(known(&cg.values)["tags"], json!({"MCPServer": "true"}));
    assert_eq!(known(&cg.values)["identity"][0]["type"], "UserAssigned");
    assert_eq!(
        known(&cg.values)["container"][0]["environment_variables"],
        json!({"MODE": "PROD"})
    );
    assert_eq!(
        cg.references["identity.0.identity_ids"],
        vec!["azurerm_user_assigned_identity.mcp"]
    );
    assert_eq!(cg.origin.file.as_deref(), Some("main.tf.json"));
    assert_eq!(cg.origin.line, Some(10));
    assert_eq!(cg.origin.attribute_lines["identity.0.identity_ids"], 18);
}

#[test]
fn single_file_root() {
    let o = load(&fixture("errors/ok.tf"), &HclOptions::default());
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    assert_eq!(o.model.resources.len(), 1);
    assert_eq!(o.model.resources[0].origin.file.as_deref(), Some("ok.tf"));
}

/// A scratch directory under the target dir, fresh per test.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[cfg(unix)]
#[test]
fn symlink_loop_and_module_self_inclusion_are_refused() {
    let d = scratch("hcl_symlink_loop");
    std::fs::write(
        d.join("main.tf"),
        "module \"loop\" {\n  source = \"./loop\"\n}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
    let o = load(&d, &HclOptions::default());
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("`./loop` is a symlink loop"), "{m:?}");

    let d = scratch("hcl_self_module");
    std::fs::create_dir_all(d.join("m")).unwrap();
    std::fs::write(d.join("main.tf"), "module \"m\" {\n  source = \"./m\"\n}\n").unwrap();
    std::fs::write(
        d.join("m/main.tf"),
        "module \"again\" {\n  source = \"../m\"\n}\n",
    )
    .unwrap();
    let o = load(&d, &HclOptions::default());
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].contains("includes itself"), "{m:?}");
}

#[test]
fn module_for_each_inputs_and_outputs() {
    let d = scratch("hcl_module_for_each");
    std::fs::create_dir_all(d.join("modules/server")).unwrap();
    std::fs::write(
        d.join("main.tf"),
        r#"
locals {
  servers = toset(["github", "jira"])
}
module "mcp" {
  for_each = local.servers
  source   = "./modules/server"
  name     = each.key
}
resource "azurerm_role_assignment" "r" {
  for_each     = module.mcp
  scope        = "/subscriptions/0000"
  principal_id = each.value.principal_id
  description  = each.value.label
}
"#,
    )
    .unwrap();
    std::fs::write(
        d.join("modules/server/main.tf"),
        r#"
variable "name" { type = string }
resource "azurerm_user_assigned_identity" "this" {
  name = "id-${var.name}"
}
output "principal_id" { value = azurerm_user_assigned_identity.this.principal_id }
output "label" { value = "mcp-${var.name}" }
"#,
    )
    .unwrap();
    let o = load(&d, &HclOptions::default());
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let r = by_address(&o);
    assert_eq!(
        r["module.mcp[\"jira\"].azurerm_user_assigned_identity.this"].values["name"],
        "id-jira"
    );
    assert_eq!(
        r["module.mcp[\"jira\"].azurerm_user_assigned_identity.this"].module,
        "module.mcp[\"jira\"]"
    );
    let ra = r["azurerm_role_assignment.r[\"github\"]"];
    assert_eq!(known(&ra.values)["description"], "mcp-github");
    assert_eq!(marks(&ra.values)["principal_id"], true);
    assert_eq!(
        ra.references["principal_id"],
        vec!["module.mcp[\"github\"].azurerm_user_assigned_identity.this"]
    );
}

#[test]
fn bad_count_and_for_each_are_diagnosed() {
    let d = scratch("hcl_bad_expansion");
    std::fs::write(
        d.join("main.tf"),
        r#"
resource "azurerm_subnet" "s" {
  name = "s"
}
resource "azurerm_subnet" "by_id" {
  count = length(azurerm_subnet.s.id)
}
resource "azurerm_subnet" "each" {
  for_each = [1, 2]
}
resource "azurerm_subnet" "idx" {
  name = count.index
}
"#,
    )
    .unwrap();
    let o = load(&d, &HclOptions::default());
    let m = messages(&o);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m[0].contains("`for_each` needs a map or a set of strings; it has a number"),
        "{m:?}"
    );
    assert!(
        m[1].contains("`count.index` can only be used in a block that has `count`"),
        "{m:?}"
    );
    // A count over a computed id is known once the subnet exists (Terraform
    // plans it from state then): one instance with an unknown key, and a note.
    assert!(o
        .model
        .resources
        .iter()
        .any(|r| r.address == "azurerm_subnet.by_id[*]"));
    assert!(
        o.model.notes.iter().any(|n| n
            .starts_with("azurerm_subnet.by_id: `count` is not known before apply (it depends on `azurerm_subnet.s`)")),
        "{:?}",
        o.model.notes
    );
}

#[test]
fn types_sensitivity_and_file_functions() {
    let o = scan("features");
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let r = by_address(&o);
    let gh = r["azurerm_container_group.cg[\"github\"]"];
    // optional() attributes get their default, or null.
    assert_eq!(known(&gh.values)["port"], 8080);
    assert_eq!(known(&gh.values)["exposed"], false);
    assert_eq!(
        r["azurerm_container_group.cg[\"jira\"]"].values["port"],
        9090
    );
    assert_eq!(known(&gh.values)["startup"], "start low github:8080\n");
    assert_eq!(
        r["azurerm_container_group.cg[\"jira\"]"].values["startup"],
        "start high jira:9090\n"
    );
    assert_eq!(known(&gh.values)["readme"], "MCP servers.\n");
    // A sensitive variable marks what reads it, through locals and modules.
    assert_eq!(
        gh.sensitive,
        json!({"container": [{"secure_environment_variables": true}]})
    );
    let secret = r["module.app.azurerm_key_vault_secret.s"];
    assert_eq!(secret.sensitive, json!({"value": true}));
    assert_eq!(known(&secret.values)["tags"], json!({"count": "2"}));
}

#[test]
fn type_mismatch_is_diagnosed_and_a_file_outside_the_project_is_unknown() {
    let d = scratch("hcl_type_mismatch");
    std::fs::write(
        d.join("main.tf"),
        "variable \"n\" {\n  type    = number\n  default = \"many\"\n}\nresource \"x_y\" \"z\" {\n  a = file(\"../../../../etc/hostname\")\n}\n",
    )
    .unwrap();
    let o = load(&d, &HclOptions::default());
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("variable `n`: a number is required, got a string"),
        "{m:?}"
    );
    // Reading the machine never stops a scan: the value is unknown, with a note.
    assert_eq!(marks(&o.model.resources[0].values)["a"], json!(true));
    assert!(
        o.model
            .notes
            .iter()
            .any(|n| n.starts_with("file(\"../../../../etc/hostname\") is unknown")),
        "{:?}",
        o.model.notes
    );
}

#[test]
fn undeclared_cli_variable_is_a_note() {
    let opts = HclOptions {
        vars: vec![("nope".into(), "1".into())],
        ..Default::default()
    };
    let o = load(&fixture("cycle"), &opts);
    assert!(o.model.notes.contains(
        &"a value is given for `nope`, but no variable of that name is declared".to_string()
    ));
}

/// Every prefix of a real file is bad input of some kind: none may panic,
/// and each either loads or reports errors with a location.
#[test]
fn truncated_sources_never_panic() {
    let text = std::fs::read_to_string(fixture("mcp/main.tf")).unwrap();
    let d = scratch("hcl_truncated");
    let mut cut = 0;
    while cut < text.len() {
        if text.is_char_boundary(cut) {
            std::fs::write(d.join("main.tf"), &text[..cut]).unwrap();
            let o = load(&d, &HclOptions::default());
            for e in &o.errors {
                assert!(
                    e.span.is_some(),
                    "no location for `{}` at cut {cut}",
                    e.message
                );
            }
        }
        cut += 13;
    }
}

#[test]
fn misplaced_input_is_diagnosed() {
    let d = scratch("hcl_misplaced");
    std::fs::write(
        d.join("main.tf"),
        "x = 1\nresouce \"azurerm_resource_group\" \"rg\" {\n  name = \"rg\"\n}\nterraform {\n  required_version = \">= 1.5\"\n}\n",
    )
    .unwrap();
    std::fs::write(d.join("vars.tfvars"), "a = 1\n").unwrap();
    let o = load(&d, &HclOptions::default());
    let m = messages(&o);
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m[0].contains("unexpected argument `x` outside any block"),
        "{m:?}"
    );
    assert!(m[1].contains("unsupported block type `resouce`"), "{m:?}");
    assert_eq!(line_col(&o.errors[1]), (2, 1));
    let o = load(&d.join("vars.tfvars"), &HclOptions::default());
    assert!(messages(&o)[0].contains("pass it with --var-file"));
}

#[test]
fn misplaced_or_malformed_ignores_are_noted() {
    let d = scratch("hcl_ignore_notes");
    std::fs::create_dir_all(d.join("m")).unwrap();
    std::fs::write(
        d.join("main.tf"),
        r#"# mcpguard:ignore MCP001 reason="not a resource"
module "m" {
  source = "./m"
}
resource "azurerm_resource_group" "rg" {
  # mcpguard:ignore MCP002 colour=blue
  name     = "rg"
  location = "westeurope"
}
"#,
    )
    .unwrap();
    std::fs::write(
        d.join("m/main.tf"),
        "resource \"azurerm_subnet\" \"s\" {\n  # mcpguard:ignore MCP004 reason=\"in a module\"\n  name = \"s\"\n}\n",
    )
    .unwrap();
    let o = load(&d, &HclOptions::default());
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    assert_eq!(
        o.model.notes,
        vec![
            "main.tf:1: `mcpguard:ignore` is not above a resource block or an attribute inside one; it is not applied",
            "main.tf:6: unknown key `colour` (expected `reason` or `expires`)",
        ]
    );
    assert_eq!(o.ignores.len(), 1);
    assert_eq!(o.ignores[0].file, "m/main.tf");
    assert_eq!(o.ignores[0].resource, "module.m.azurerm_subnet.s");
    assert_eq!(o.ignores[0].attribute.as_deref(), Some("name"));
}

#[test]
fn empty_directory_is_an_error() {
    let d = scratch("hcl_empty_dir");
    let o = load(&d, &HclOptions::default());
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].ends_with("no .tf or .tf.json files in this directory"),
        "{m:?}"
    );
}

/// Terraform's graph is per output and input variable: modules reading each
/// other's different outputs, a resource feeding a module whose other output
/// it reads, and locals chained through functions are not cycles.
#[test]
fn dependencies_are_per_output_and_variable() {
    let o = scan("graph");
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let r = by_address(&o);
    let zone = r["azurerm_private_dns_zone.z"];
    assert_eq!(zone.values["name"], "privatelink.mcp.example.com");
    assert_eq!(
        zone.values["tags"],
        json!({"a": "a sees from-b", "b": "b sees from-a"})
    );
    // `resource.TYPE.NAME` is `TYPE.NAME`.
    assert_eq!(zone.values["resource_group_name"], "rg-mcp");
    assert_eq!(
        zone.references["resource_group_name"],
        vec!["azurerm_resource_group.rg"]
    );
    assert_eq!(r["azurerm_resource_group.rg"].values["name"], "rg-mcp");
}

#[test]
fn a_real_cycle_through_a_module_is_named() {
    let o = scan("graph-cycle");
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains(
            "dependency cycle: module.m.var.input → module.m.output.echo → module.m.var.input"
        ),
        "{m:?}"
    );
    assert!(o.errors[0].span.is_some());
}

/// Unset required variables are unknown, not errors: `for_each` / `count`
/// over them give one instance with an unknown key, and one note lists them.
#[test]
fn unset_variables_are_unknown_and_listed_once() {
    let o = scan("unset");
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    let addrs: Vec<&str> = o
        .model
        .resources
        .iter()
        .map(|r| r.address.as_str())
        .collect();
    assert_eq!(
        addrs,
        [
            "azurerm_container_group.mcp[*]",
            "module.mcp[*].azurerm_user_assigned_identity.mcp"
        ]
    );
    let cg = &o.model.resources[0];
    assert_eq!(cg.index, None);
    assert_eq!(marks(&cg.values)["name"], json!(true));
    assert_eq!(known(&cg.values)["location"], "westeurope");
    let notes = &o.model.notes;
    let listed: Vec<&String> = notes.iter().filter(|n| n.contains("no value")).collect();
    assert!(
        notes.contains(&"variables with no value (no default, no tfvars, no --var): `replicas`, `servers`; what is built from them is unknown (give them with --var or --var-file)".to_string()),
        "{notes:?}"
    );
    for n in notes {
        assert!(!n.contains("known only after apply"), "{n}");
    }
    assert!(
        listed.iter().any(|n| n.starts_with("azurerm_container_group.mcp: `for_each` is not known before apply (it depends on `var.servers`, which has no value)")),
        "{notes:?}"
    );
}

/// `count` and `for_each` are capped: huge values are located diagnostics,
/// never an allocation failure.
#[test]
fn huge_counts_are_capped_diagnostics() {
    for (n, value) in ["1e19", "18446744073709551616", "1e7"].iter().enumerate() {
        let d = scratch(&format!("hcl_count_cap_{n}"));
        std::fs::write(
            d.join("main.tf"),
            format!("resource \"x_y\" \"z\" {{\n  count = {value}\n}}\n"),
        )
        .unwrap();
        let o = load(&d, &HclOptions::default());
        let m = messages(&o);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("MAX_BLOCK_INSTANCES"), "{m:?}");
        assert_eq!(line_col(&o.errors[0]), (2, 11));
    }
}

/// `ephemeral` blocks (Terraform 1.10) are accepted; what they give is
/// unknown, and a reference to an undeclared one is still an error.
#[test]
fn ephemeral_resources_are_accepted_and_unknown() {
    let d = scratch("hcl_ephemeral");
    std::fs::write(
        d.join("main.tf"),
        r#"
ephemeral "azurerm_key_vault_secret" "key" {
  name         = "shared-key"
  key_vault_id = "/subscriptions/0/kv"
}
resource "azurerm_container_app_environment" "env" {
  name                      = "cae"
  log_analytics_shared_key  = ephemeralasnull(ephemeral.azurerm_key_vault_secret.key.value)
}
resource "azurerm_resource_group" "bad" {
  name = ephemeral.azurerm_key_vault_secret.nope.value
}
"#,
    )
    .unwrap();
    let o = load(&d, &HclOptions::default());
    let m = messages(&o);
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("undeclared ephemeral resource `ephemeral.azurerm_key_vault_secret.nope`"),
        "{m:?}"
    );
    let env = o
        .model
        .resources
        .iter()
        .find(|r| r.address == "azurerm_container_app_environment.env")
        .unwrap();
    assert_eq!(marks(&env.values)["log_analytics_shared_key"], json!(true));
    // Ephemeral resources are never stored: they are not in the model.
    assert!(o
        .model
        .resources
        .iter()
        .all(|r| !r.address.contains("ephemeral")));
}

/// Lost input never gives a clean run (issue 10): an entry named like a
/// configuration or variables file that cannot be read as a regular file is
/// an error naming it; editor and hidden files are skipped, as Terraform does.
#[cfg(unix)]
#[test]
fn unreadable_configuration_entries_are_errors() {
    let d = scratch("hcl_lost_input");
    std::fs::write(d.join("main.tf"), "locals {\n  a = 1\n}\n").unwrap();
    std::os::unix::fs::symlink("nowhere.tf", d.join("dangling.tf")).unwrap();
    std::os::unix::fs::symlink("self.tf", d.join("self.tf")).unwrap();
    std::fs::create_dir(d.join("dir.tf")).unwrap();
    std::os::unix::fs::symlink("/nonexistent", d.join("x.auto.tfvars")).unwrap();
    let fifo = d.join("pipe.tf");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    // Editor files Terraform ignores are not read.
    std::fs::write(d.join(".hidden.tf"), "not hcl {{{").unwrap();
    std::fs::write(d.join("main.tf~"), "not hcl {{{").unwrap();
    std::fs::write(d.join("#main.tf#"), "not hcl {{{").unwrap();
    let o = load(&d, &HclOptions::default());
    let m = messages(&o);
    let has = |part: &str| m.iter().any(|x| x.contains(part));
    // The same words as for every other input path (`input::regular_file`).
    assert!(has("dangling.tf: cannot read: a dangling symlink"), "{m:?}");
    assert!(has("self.tf: cannot read: a symlink loop"), "{m:?}");
    assert!(has("dir.tf: not a regular file: a directory"), "{m:?}");
    assert!(
        has("x.auto.tfvars: cannot read: a dangling symlink"),
        "{m:?}"
    );
    if made {
        assert!(has("pipe.tf: not a regular file: a FIFO"), "{m:?}");
    }
    assert_eq!(m.len(), 4 + usize::from(made), "{m:?}");
}

/// Every top-level block of Terraform 1.x is accepted: `action` (1.14)
/// and `check`, `import`, `removed`, `moved` decide no resource values.
#[test]
fn every_terraform_block_type_is_accepted() {
    let d = scratch("hcl_blocks");
    std::fs::write(
        d.join("main.tf"),
        r#"
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  location = "westeurope"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.azurerm_notify.done]
    }
  }
}
action "azurerm_notify" "done" {
  config {
    message = "created"
  }
}
check "health" {
  assert {
    condition     = azurerm_resource_group.rg.name != ""
    error_message = "no name"
  }
}
import {
  to = azurerm_resource_group.rg
  id = "/subscriptions/0/resourceGroups/rg"
}
removed {
  from = azurerm_resource_group.old
  lifecycle {
    destroy = false
  }
}
moved {
  from = azurerm_resource_group.a
  to   = azurerm_resource_group.rg
}
"#,
    )
    .unwrap();
    let o = load(&d, &HclOptions::default());
    assert!(o.errors.is_empty(), "{:?}", messages(&o));
    assert_eq!(o.model.resources.len(), 1);
}
