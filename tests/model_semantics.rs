//! The model issue (9), at the policy level: conditions on unknown and partly
//! known values decide whenever the known parts do, an unknown inside a
//! template expression is a value (never an error), and `->` follows only an
//! id of the type the next field expects.

use mcpguard::input::InputKind;
use mcpguard::inventory::{Inventory, Part, Partial, Resource, Unknown, Value};
use mcpguard::policy::{self, Params, Tri};
use serde_json::json;

/// A rule around one condition, evaluated on `res` (inside `inv`).
fn verdict(condition: serde_json::Value, res: &Resource, inv: &Inventory) -> (Tri, String) {
    let text = json!({
        "name": "t",
        "properties": {"mode": "All", "policyRule": {"if": condition, "then": {"effect": "deny"}}}
    })
    .to_string();
    let rule = policy::load_rule_text("t.json", &text, false).expect("rule loads");
    let o = rule
        .evaluate(res, inv, &Params::default())
        .expect("evaluates without an error");
    (o.verdict, o.unknown.join(","))
}

fn lit(s: &str) -> Part {
    Part::Lit(s.to_string())
}

fn group(image: Value, subnet: Value) -> Resource {
    let mut doc = Value::from(json!({
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/cg",
        "name": "cg",
        "type": "Microsoft.ContainerInstance/containerGroups",
        "properties": {"containers": [{"name": "c", "properties": {}}], "subnetIds": [{}]}
    }));
    doc["properties"]["containers"][0]["properties"]["image"] = image;
    doc["properties"]["subnetIds"][0]["id"] = subnet;
    Resource::new("azurerm_container_group.cg", InputKind::Plan, doc)
}

fn image() -> Value {
    Partial::build(vec![Part::Gap, lit("/mcp-server:"), Part::Gap], None)
}

fn subnet_id() -> Value {
    Partial::build(
        vec![
            lit("/subscriptions/"),
            Part::Segment,
            lit("/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v/subnets/s"),
        ],
        Some("data.azurerm_subnet.s".into()),
    )
}

const IMAGE: &str = "Microsoft.ContainerInstance/containerGroups/containers[*].image";
const SUBNET: &str = "Microsoft.ContainerInstance/containerGroups/subnetIds[*].id";

#[test]
fn a_partly_known_string_decides_when_its_literal_parts_do() {
    let inv = Inventory::new();
    let g = group(image(), subnet_id());
    let on = |c| verdict(c, &g, &inv).0;
    assert_eq!(
        on(json!({"field": IMAGE, "contains": "mcp-server"})),
        Tri::True
    );
    assert_eq!(
        on(json!({"field": IMAGE, "like": "*/mcp-server:*"})),
        Tri::True
    );
    assert_eq!(on(json!({"field": IMAGE, "equals": "nginx"})), Tri::False);
    assert_eq!(
        on(json!({"field": IMAGE, "notContains": "mcp"})),
        Tri::False
    );
    assert_eq!(
        on(json!({"field": IMAGE, "contains": "nginx"})),
        Tri::Unknown
    );
    assert_eq!(on(json!({"field": IMAGE, "exists": true})), Tri::True);
}

#[test]
fn an_id_with_an_unknown_subscription_matches_patterns_and_addresses_not_exact_ids() {
    let inv = Inventory::new();
    let g = group(image(), subnet_id());
    let on = |c| verdict(c, &g, &inv).0;
    let pattern = "/subscriptions/*/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v/subnets/s";
    assert_eq!(on(json!({"field": SUBNET, "like": pattern})), Tri::True);
    assert_eq!(
        on(json!({"field": SUBNET, "like": "data.azurerm_subnet.s"})),
        Tri::True
    );
    let exact = "/subscriptions/1111/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v/subnets/s";
    let (t, why) = verdict(json!({"field": SUBNET, "equals": exact}), &g, &inv);
    assert_eq!(t, Tri::Unknown);
    assert_eq!(
        why, "properties.subnetIds[0].id",
        "the unknown names the value"
    );
    let other_rg = "/subscriptions/*/resourceGroups/rg-prod/*";
    assert_eq!(on(json!({"field": SUBNET, "like": other_rg})), Tri::False);
}

#[test]
fn an_unknown_value_the_configuration_sets_exists() {
    let inv = Inventory::new();
    let set = group(Unknown::present(), subnet_id());
    let computed = group(Unknown::computed(), subnet_id());
    let exists = json!({"field": IMAGE, "exists": false});
    assert_eq!(verdict(exists.clone(), &set, &inv).0, Tri::False);
    assert_eq!(verdict(exists, &computed, &inv).0, Tri::Unknown);
    // No value could be in an empty list.
    let none = json!({"field": IMAGE, "in": []});
    assert_eq!(verdict(none, &computed, &inv).0, Tri::False);
}

#[test]
fn an_unknown_inside_a_template_expression_is_a_value_not_an_error() {
    let inv = Inventory::new();
    let g = group(Unknown::present(), subnet_id());
    for value in [
        "[concat(field('Microsoft.ContainerInstance/containerGroups/containers[*].image'), '-x')]",
        "[split(first(field('Microsoft.ContainerInstance/containerGroups/containers[*].image')), '/')]",
        "[toLower(string(field('Microsoft.ContainerInstance/containerGroups/containers[*].image')))]",
        // A field named by an unknown value: its name is not known, nor its value.
        "[field(concat('tags.', first(field('Microsoft.ContainerInstance/containerGroups/containers[*].image'))))]",
    ] {
        let (t, _) = verdict(json!({"value": value, "equals": "x"}), &g, &inv);
        assert_eq!(t, Tri::Unknown, "{value}");
    }
    // A field whose name is built from an unknown value.
    let dynamic = json!({
        "field": "[concat('tags[', first(field('Microsoft.ContainerInstance/containerGroups/containers[*].image')), ']')]",
        "equals": "x"
    });
    assert_eq!(verdict(dynamic, &g, &inv).0, Tri::Unknown);
}

#[test]
fn dereference_follows_only_an_id_of_the_expected_type() {
    // The group's subnet id names an NSG: a wrong reference, never followed.
    let nsg_id =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n";
    let nsg = Resource::new(
        "azurerm_network_security_group.n",
        InputKind::Plan,
        json!({"id": nsg_id, "type": "Microsoft.Network/networkSecurityGroups", "name": "n",
               "properties": {"networkSecurityGroup": {"id": "/x"}}}),
    );
    let mut inv = Inventory::new();
    inv.push(nsg);
    let g = group(image(), Value::from(nsg_id));
    let c = json!({
        "field": "Microsoft.ContainerInstance/containerGroups/subnetIds[*].id -> Microsoft.Network/virtualNetworks/subnets/networkSecurityGroup.id",
        "exists": false
    });
    let (t, why) = verdict(c, &g, &inv);
    assert_eq!(t, Tri::Unknown);
    assert!(
        why.contains("not a `Microsoft.Network/virtualNetworks/subnets`"),
        "{why}"
    );
}

#[test]
fn a_member_with_unknown_parts_is_still_counted() {
    // A subnet reference whose id is not known at all (its name is computed):
    // the group is still in one subnet.
    let inv = Inventory::new();
    let g = group(image(), Unknown::of("azurerm_subnet.s"));
    let count = |n: i64| json!({"count": {"field": "Microsoft.ContainerInstance/containerGroups/subnetIds[*]"}, "equals": n});
    assert_eq!(verdict(count(1), &g, &inv).0, Tri::True);
    assert_eq!(verdict(count(0), &g, &inv).0, Tri::False);
    // The member's own unknown value still decides nothing it cannot.
    let named = json!({"count": {"field": "Microsoft.ContainerInstance/containerGroups/subnetIds[*]",
        "where": {"field": SUBNET, "equals": "/x"}}, "equals": 0});
    assert_eq!(verdict(named, &g, &inv).0, Tri::Unknown);
}
