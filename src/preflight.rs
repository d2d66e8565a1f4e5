//! Policy preflight: the Azure Policy definitions and assignments a scan
//! contains, evaluated the way ARM will evaluate them at apply time.
//!
//! Each `Microsoft.Authorization/policyAssignments` whose definition is in the
//! inventory becomes one rule `POLICY:<definition name>`, run only on the
//! resources inside the assignment's [`Scope`], with the assignment's
//! parameter values. `deny` is a high-severity failure; `audit`, and any
//! effect of an assignment with `enforcementMode = DoNotEnforce` (ARM reports
//! compliance but blocks nothing), is low.
//!
//! Scope decisions (ARM ids compare case-insensitively):
//! - a known scope covers the resources whose id starts with it, at a path
//!   boundary; `notScopes` exclude the same way;
//! - a management-group scope covers every resource (the subscription →
//!   management-group hierarchy is not visible offline);
//! - a resource whose id is only partly known (its subscription is not given)
//!   is in scope when the known parts decide it (another resource group is
//!   out), and else *unknown* in scope: a finding it would get is `unknown`,
//!   never silently dropped;
//! - an assignment whose scope is unknown before apply covers every resource,
//!   with a warning saying so.
//!
//! Also here: the governance facts MCP013 reads on policy definitions
//! ([`governance_facts`]). They are preflight's knowledge, so this stage
//! computes them and the scan hands them to the inventory
//! (`scan::compute_facts`): the inventory never imports preflight.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::engine::{ActiveRule, Coverage};
use crate::findings::{Severity, Warning};
use crate::inventory::{self, id_key, types, Inventory, Path, Resource};
use crate::policy::partial::{self, Pat};
use crate::policy::{self, Effect, Tri};

/// Where an assignment applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Lower-cased scope id; `None` when unknown before apply.
    pub scope: Option<String>,
    /// Lower-cased excluded scopes.
    pub not_scopes: Vec<String>,
}

/// The level of a scope id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    ManagementGroup,
    Subscription,
    ResourceGroup,
    Resource,
    Unknown,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::ManagementGroup => "managementGroup",
            Level::Subscription => "subscription",
            Level::ResourceGroup => "resourceGroup",
            Level::Resource => "resource",
            Level::Unknown => "unknown",
        }
    }
}

/// The level of a scope id (`/subscriptions/s`, `/providers/Microsoft.Management/managementGroups/m`, …).
pub fn level(scope: &str) -> Level {
    let k = id_key(scope);
    let segs: Vec<&str> = k.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["providers", "microsoft.management", "managementgroups", _] => Level::ManagementGroup,
        ["subscriptions", _] => Level::Subscription,
        ["subscriptions", _, "resourcegroups", _] => Level::ResourceGroup,
        ["subscriptions", _, "resourcegroups", _, "providers", ..] => Level::Resource,
        ["subscriptions", _, "providers", ..] => Level::Resource,
        _ => Level::Unknown,
    }
}

/// Whether `id` is `scope` or below it (at a path boundary).
fn under(id: &str, scope: &str) -> bool {
    id == scope
        || id
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Coverage for Scope {
    /// Whether ARM would evaluate the assignment on `r`: unknown while the
    /// resource's id is not known well enough to tell.
    fn covers(&self, r: &Resource) -> Tri {
        let id = r.doc.get("id").cloned().unwrap_or_default();
        let excluded = self
            .not_scopes
            .iter()
            .map(|n| under_tri(&id, n))
            .fold(Tri::False, Tri::or);
        let included = match &self.scope {
            None => Tri::True,
            // The management-group hierarchy is not visible offline.
            Some(s) if matches!(level(s), Level::ManagementGroup | Level::Unknown) => Tri::True,
            Some(s) => under_tri(&id, s),
        };
        match (included, excluded) {
            (Tri::False, _) | (_, Tri::True) => Tri::False,
            (Tri::True, Tri::False) => Tri::True,
            _ => Tri::Unknown,
        }
    }
}

/// Whether an id (known, partly known or unknown) is `scope` or below it.
fn under_tri(id: &inventory::Value, scope: &str) -> Tri {
    match id {
        inventory::Value::String(s) => Tri::from(under(&id_key(s), scope)),
        inventory::Value::Partial(p) => {
            let mut below = partial::literal(scope);
            below.push(Pat::Char('/'));
            below.push(Pat::Star);
            partial::holds(&partial::literal(scope), p, true).or(partial::holds(&below, p, true))
        }
        _ => Tri::Unknown,
    }
}

/// A known string value of `r` at `path`.
fn known_str<'a>(r: &'a Resource, path: &str) -> Option<&'a str> {
    r.doc
        .at(&Path::parse(path))
        .and_then(inventory::Value::as_str)
}

/// The id a reference attribute holds, as far as it is known: its known
/// value, else the key of the resource it refers to (a reference not known
/// until apply).
fn reference(inv: &Inventory, r: &Resource, path: &str) -> Option<inventory::Value> {
    let v = r.doc.at(&Path::parse(path))?;
    match v {
        inventory::Value::String(_) => Some(v.clone()),
        _ => Some(
            inv.deref(v)
                .and_then(|t| t.doc.get("id").cloned())
                .unwrap_or_else(|| v.clone()),
        ),
    }
}

/// A JSON-valued property that Terraform holds as a JSON string
/// (`jsonencode(...)`): parsed when it is still a string; `None` when absent,
/// an error when not known before apply.
fn json_prop(r: &Resource, key: &str) -> Result<Option<Value>, String> {
    match r.doc.pointer(&format!("/properties/{key}")) {
        None | Some(inventory::Value::Null) => Ok(None),
        Some(inventory::Value::String(s)) => serde_json::from_str(s)
            .map(Some)
            .map_err(|e| format!("`{key}` is not valid JSON: {e}")),
        Some(v) => v
            .to_json()
            .map(Some)
            .ok_or_else(|| format!("`{key}` is unknown before apply")),
    }
}

/// The definition an assignment names, by id or by plan reference.
fn assigned_definition<'a>(inv: &'a Inventory, a: &Resource) -> Option<&'a Resource> {
    let def_id = reference(inv, a, "properties.policyDefinitionId")?.as_key()?;
    inv.by_id(&def_id)
        .filter(|d| d.arm_type().eq_ignore_ascii_case(types::POLICY_DEFINITION))
}

/// The assignment's scope: `properties.scope`, else the part of its id before
/// `/providers/Microsoft.Authorization/policyAssignments/`.
fn assignment_scope(inv: &Inventory, a: &Resource) -> Option<inventory::Value> {
    if let Some(s) = reference(inv, a, "properties.scope") {
        return Some(s);
    }
    let id = a.id();
    let marker = "/providers/microsoft.authorization/policyassignments/";
    let pos = id.to_ascii_lowercase().find(marker)?;
    let s = &id[..pos];
    (level(s) != Level::Unknown || s.is_empty())
        .then(|| inventory::Value::from(if s.is_empty() { "/" } else { s }))
}

/// One extra rule per policy assignment whose definition is in the inventory,
/// and warnings for what cannot be preflighted.
pub fn preflight_rules(inv: &Inventory) -> (Vec<ActiveRule>, Vec<Warning>) {
    let mut rules = Vec::new();
    let mut warnings = Vec::new();
    let warn = |w: &mut Vec<Warning>, r: &Resource, msg: String| {
        w.push(Warning {
            source: format!("preflight {}", r.address),
            message: msg,
        })
    };
    for a in inv.of_type(types::POLICY_ASSIGNMENT) {
        let Some(def) = assigned_definition(inv, a) else {
            let what = reference(inv, a, "properties.policyDefinitionId")
                .and_then(|v| v.as_key())
                .unwrap_or_else(|| "a definition unknown before apply".to_string());
            warn(
                &mut warnings,
                a,
                format!("not preflighted: it assigns {what}, which is not in the scan (built-in definitions and initiatives are not followed)"),
            );
            continue;
        };
        match preflight_rule(inv, a, def) {
            Ok((rule, extra)) => {
                if let Some(m) = extra {
                    warn(&mut warnings, a, m);
                }
                rules.push(rule);
            }
            Err(m) => warn(&mut warnings, a, format!("not preflighted: {m}")),
        }
    }
    // Two assignments of one definition give two rules with one id: keep them
    // apart by the assignment name.
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rules {
        *count.entry(r.rule.meta.id.clone()).or_default() += 1;
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in &mut rules {
        let id = r.rule.meta.id.clone();
        if count.get(&id).copied().unwrap_or(0) > 1 {
            let n = seen.entry(id.clone()).or_default();
            *n += 1;
            r.rule.meta.id = format!("{id}#{n}");
        }
    }
    (rules, warnings)
}

fn preflight_rule(
    inv: &Inventory,
    a: &Resource,
    def: &Resource,
) -> Result<(ActiveRule, Option<String>), String> {
    let name = def.name().to_string();
    let in_def = |m: String| format!("{}: {m}", def.address);
    let policy_rule = json_prop(def, "policyRule")
        .map_err(in_def)?
        .ok_or_else(|| format!("{}: the policy rule is unknown before apply", def.address))?;
    let parameters = json_prop(def, "parameters")
        .map_err(in_def)?
        .unwrap_or_else(|| json!({}));
    let prop = |k: &str| {
        def.doc
            .pointer(&format!("/properties/{k}"))
            .and_then(inventory::Value::to_json)
    };
    let text = json!({
        "name": name,
        "properties": {
            "displayName": prop("displayName").unwrap_or_else(|| json!(name)),
            "description": prop("description").unwrap_or(Value::Null),
            "mode": prop("mode").unwrap_or_else(|| json!("All")),
            "policyRule": policy_rule,
            "parameters": parameters,
        }
    })
    .to_string();
    let mut rule = policy::load_rule_text(&def.address, &text, false)
        .map_err(|e| format!("{}: {e}", def.address))?;

    let mut overrides = BTreeMap::new();
    match json_prop(a, "parameters") {
        Ok(Some(Value::Object(m))) => {
            for (k, v) in m {
                // assignment form `{"p": {"value": …}}`
                let v = v.get("value").cloned().unwrap_or(v);
                overrides.insert(k, v);
            }
        }
        Ok(_) => {}
        Err(m) => return Err(m),
    }
    if a.doc
        .at(&Path::parse("properties.parameters"))
        .is_some_and(inventory::Value::has_unknown)
    {
        return Err("its parameters are unknown before apply".to_string());
    }
    let params = rule.resolve_params(&overrides)?;
    let mut effect = rule.effect(&params).map_err(|e| e.to_string())?;
    let enforced = !known_str(a, "properties.enforcementMode")
        .is_some_and(|m| m.eq_ignore_ascii_case("DoNotEnforce"));
    if !enforced && effect == Effect::Deny {
        effect = Effect::Audit;
    }
    rule.meta.id = format!("POLICY:{name}");
    rule.meta.severity = if effect == Effect::Deny {
        Severity::High
    } else {
        Severity::Low
    };
    // Only a known scope limits the rule; one known in part is treated as unknown.
    let scope_id = assignment_scope(inv, a).and_then(|v| v.as_str().map(str::to_string));
    let mut note = None;
    if scope_id.is_none() {
        note = Some(format!(
            "the scope of {} is unknown before apply: preflight assumes it covers every resource",
            a.address
        ));
    }
    let not_scopes = a
        .doc
        .pointer("/properties/notScopes")
        .and_then(inventory::Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(inventory::Value::as_str)
                .map(id_key)
                .collect()
        })
        .unwrap_or_default();
    Ok((
        ActiveRule {
            rule,
            params,
            effect,
            scope: Some(Arc::new(Scope {
                scope: scope_id.map(|s| id_key(&s)),
                not_scopes,
            })),
        },
        note,
    ))
}

/// Whether a policy rule reads the `MCPServer` tag: a `field` (or a
/// `field('…')` call in an expression) naming `tags['MCPServer']`,
/// `tags.MCPServer` or `tags[MCPServer]`, key case-insensitive.
pub fn keys_on_mcp_tag(rule: &Value) -> bool {
    match rule {
        Value::String(s) => {
            let l = s.to_ascii_lowercase();
            ["tags['mcpserver']", "tags[mcpserver]"]
                .iter()
                .any(|p| l.contains(p))
                || l.match_indices("tags.mcpserver").any(|(i, m)| {
                    // `tags.MCPServer`, not `tags.MCPServerOwner`
                    !l[i + m.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                })
        }
        Value::Array(a) => a.iter().any(keys_on_mcp_tag),
        Value::Object(m) => m.values().any(keys_on_mcp_tag),
        _ => false,
    }
}

/// The resource types a policy rule matches: its top-level `type` condition
/// (`equals` or `in`, directly or in the top `allOf`); `None` when it names
/// none, so it governs every type.
fn governed_types(rule: &Value) -> Option<Vec<String>> {
    let get = |v: &Value, k: &str| {
        v.as_object()
            .and_then(|m| m.iter().find(|(x, _)| x.eq_ignore_ascii_case(k)))
            .map(|(_, v)| v.clone())
    };
    let cond = get(rule, "if")?;
    let leaves = match get(&cond, "allOf") {
        Some(Value::Array(a)) => a,
        _ => vec![cond],
    };
    leaves.iter().find_map(|l| {
        let field = get(l, "field")?;
        if !field.as_str()?.eq_ignore_ascii_case("type") {
            return None;
        }
        match (get(l, "equals"), get(l, "in")) {
            (Some(Value::String(t)), _) => Some(vec![t]),
            (_, Some(Value::Array(a))) => Some(
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
            ),
            _ => None,
        }
    })
}

/// The MCP host types, among those the inventory's MCP servers run on, that
/// no assigned MCP-tag definition governs.
fn ungoverned_hosts(inv: &Inventory, assigned_rules: &[Value]) -> Vec<String> {
    let governed: Vec<Option<Vec<String>>> = assigned_rules.iter().map(governed_types).collect();
    types::HOSTS
        .iter()
        .filter(|t| {
            inv.of_type(t)
                .any(|r| r.fact("mcpServer") == Some(&inventory::Value::Bool(true)))
        })
        .filter(|t| {
            !governed.iter().any(|g| match g {
                None => true,
                Some(ts) => ts.iter().any(|x| x.eq_ignore_ascii_case(t)),
            })
        })
        .map(|t| t.to_string())
        .collect()
}

/// MCP013's facts on policy definitions: `mcpTagPolicy` (the rule keys on the
/// `MCPServer` tag), `policyAssignments[*] = {address, scope, level}` (the
/// assignments in the inventory that name it), `broadlyAssigned` (one of
/// them is at subscription or management-group scope) and
/// `ungovernedMcpHostTypes[*]` (the types MCP servers of the inventory run on
/// that no assigned MCP-tag definition's `type` condition names). Unknown
/// scopes make `broadlyAssigned` unknown unless a known one decides it.
pub fn governance_facts(inv: &mut Inventory) {
    let defs: Vec<usize> = inv.indices_of_type(types::POLICY_DEFINITION).to_vec();
    if defs.is_empty() {
        return;
    }
    let mut by_def: BTreeMap<String, Vec<(String, Option<String>)>> = BTreeMap::new();
    for a in inv.of_type(types::POLICY_ASSIGNMENT) {
        if let Some(d) = assigned_definition(inv, a) {
            by_def.entry(id_key(&d.key())).or_default().push((
                a.address.clone(),
                assignment_scope(inv, a).and_then(|v| v.as_key()),
            ));
        }
    }
    let assigned_rules: Vec<Value> = defs
        .iter()
        .map(|&n| inv.get(n))
        .filter(|d| by_def.contains_key(&id_key(&d.key())))
        .filter_map(|d| json_prop(d, "policyRule").ok().flatten())
        .filter(keys_on_mcp_tag)
        .collect();
    let ungoverned = ungoverned_hosts(inv, &assigned_rules);
    for n in defs {
        let r = &mut inv.resources_mut()[n];
        r.set_fact("ungovernedMcpHostTypes", json!(ungoverned));
        let fact = |k: &str| Path::root().key("mcpguard").key(k);
        let rule_path = Path::parse("properties.policyRule");
        match json_prop(r, "policyRule") {
            Ok(Some(rule)) => r.set_fact("mcpTagPolicy", keys_on_mcp_tag(&rule)),
            _ => r.unknown_fact(&fact("mcpTagPolicy"), &rule_path),
        }
        let assignments = by_def.get(&id_key(&r.key())).cloned().unwrap_or_default();
        let levels: Vec<Level> = assignments
            .iter()
            .map(|(_, s)| s.as_deref().map_or(Level::Unknown, level))
            .collect();
        let broad = levels
            .iter()
            .any(|l| matches!(l, Level::Subscription | Level::ManagementGroup));
        let unknown = !broad && levels.contains(&Level::Unknown);
        let list: Vec<Value> = assignments
            .iter()
            .zip(&levels)
            .map(|((addr, s), l)| json!({"address": addr, "scope": s, "level": l.as_str()}))
            .collect();
        r.set_fact("policyAssignments", Value::Array(list));
        r.set_fact("broadlyAssigned", broad);
        if unknown {
            r.unknown_fact(&fact("broadlyAssigned"), &Path::parse("properties.scope"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::InputKind;

    const SUB: &str = "/subscriptions/11111111-2222-3333-4444-555555555555";

    fn res(addr: &str, doc: Value) -> Resource {
        Resource::new(addr, InputKind::Plan, doc)
    }

    fn cg(name: &str, rg: &str) -> Resource {
        res(
            &format!("azurerm_container_group.{name}"),
            json!({"id": format!("{SUB}/resourceGroups/{rg}/providers/Microsoft.ContainerInstance/containerGroups/{name}"),
                   "type": types::CONTAINER_GROUP, "name": name}),
        )
    }

    #[test]
    fn levels() {
        assert_eq!(level(SUB), Level::Subscription);
        assert_eq!(
            level(&format!("{SUB}/resourceGroups/rg")),
            Level::ResourceGroup
        );
        assert_eq!(
            level("/providers/Microsoft.Management/managementGroups/mg"),
            Level::ManagementGroup
        );
        assert_eq!(level("azurerm_resource_group.x"), Level::Unknown);
    }

    #[test]
    fn scope_prefix_boundary_and_not_scopes() {
        let s = Scope {
            scope: Some(id_key(&format!("{SUB}/resourceGroups/rg-mcp"))),
            not_scopes: vec![id_key(&format!(
                "{SUB}/resourceGroups/rg-mcp/providers/Microsoft.ContainerInstance/containerGroups/legacy"
            ))],
        };
        assert_eq!(s.covers(&cg("a", "RG-MCP")), Tri::True);
        assert_eq!(
            s.covers(&cg("a", "rg-mcp-2")),
            Tri::False,
            "prefix must end at a path boundary"
        );
        assert_eq!(s.covers(&cg("legacy", "rg-mcp")), Tri::False);
        let sub = Scope {
            scope: Some(id_key(SUB)),
            not_scopes: vec![],
        };
        assert_eq!(sub.covers(&cg("a", "any")), Tri::True);
        let other = Scope {
            scope: Some("/subscriptions/other".into()),
            not_scopes: vec![],
        };
        assert_eq!(other.covers(&cg("a", "any")), Tri::False);
    }

    #[test]
    fn a_resource_whose_subscription_is_unknown_is_unknown_in_scope_never_out() {
        use crate::inventory::{Part, Partial};
        let partly = |rg: &str| {
            let mut r = cg("x", rg);
            r.doc["id"] = Partial::build(
                vec![
                    Part::Lit("/subscriptions/".into()),
                    Part::Segment,
                    Part::Lit(format!("/resourceGroups/{rg}/providers/Microsoft.ContainerInstance/containerGroups/x")),
                ],
                Some("azurerm_container_group.x".into()),
            );
            r
        };
        let s = Scope {
            scope: Some(id_key(&format!("{SUB}/resourceGroups/rg-mcp"))),
            not_scopes: vec![],
        };
        assert_eq!(s.covers(&partly("rg-mcp")), Tri::Unknown);
        assert_eq!(
            s.covers(&partly("rg-other")),
            Tri::False,
            "the known parts decide"
        );
        let mut unknown = cg("y", "rg-mcp");
        unknown.doc["id"] = crate::inventory::Unknown::of("azurerm_container_group.y");
        assert_eq!(s.covers(&unknown), Tri::Unknown);
        let everywhere = Scope {
            scope: None,
            not_scopes: vec![],
        };
        assert_eq!(everywhere.covers(&partly("rg-other")), Tri::True);
    }

    #[test]
    fn mcp_tag_detection() {
        assert!(keys_on_mcp_tag(
            &json!({"if": {"field": "tags['MCPServer']", "equals": "true"}})
        ));
        assert!(keys_on_mcp_tag(
            &json!({"if": {"value": "[field('tags.mcpserver')]", "equals": "true"}})
        ));
        assert!(!keys_on_mcp_tag(
            &json!({"if": {"field": "tags['MCPServerOwner']", "exists": true}})
        ));
        assert!(!keys_on_mcp_tag(
            &json!({"if": {"field": "tags.MCPServerOwner", "exists": true}})
        ));
        assert!(!keys_on_mcp_tag(
            &json!({"if": {"field": "tags['env']", "equals": "prod"}})
        ));
    }

    fn definition(rule: Value) -> Resource {
        res(
            "azurerm_policy_definition.mcp_identity",
            json!({"id": format!("{SUB}/providers/Microsoft.Authorization/policyDefinitions/mcp-identity"),
                   "type": types::POLICY_DEFINITION, "name": "mcp-identity",
                   "properties": {"policyType": "Custom", "mode": "All", "policyRule": rule.to_string()}}),
        )
    }

    fn assignment(name: &str, scope: &str) -> Resource {
        res(
            &format!("azurerm_policy_assignment.{name}"),
            json!({"id": format!("{scope}/providers/Microsoft.Authorization/policyAssignments/{name}"),
                   "type": types::POLICY_ASSIGNMENT, "name": name,
                   "properties": {"scope": scope,
                     "policyDefinitionId": format!("{SUB}/providers/Microsoft.Authorization/policyDefinitions/mcp-identity")}}),
        )
    }

    #[test]
    fn definitions_govern_the_types_their_rule_names() {
        let one = json!({"if": {"allOf": [
            {"field": "type", "equals": "Microsoft.ContainerInstance/containerGroups"},
            {"field": "tags.MCPServer", "exists": "true"}]}, "then": {"effect": "deny"}});
        assert_eq!(
            governed_types(&one),
            Some(vec![
                "Microsoft.ContainerInstance/containerGroups".to_string()
            ])
        );
        let many = json!({"If": {"field": "Type", "In": ["Microsoft.App/containerApps", "Microsoft.Web/sites"]}});
        assert_eq!(governed_types(&many).map(|t| t.len()), Some(2));
        let any = json!({"if": {"field": "tags.MCPServer", "exists": "true"}});
        assert_eq!(governed_types(&any), None);
    }

    #[test]
    fn governance_facts_by_scope() {
        let rule = json!({"if": {"field": "tags['MCPServer']", "equals": "true"}, "then": {"effect": "deny"}});
        let mut inv = Inventory::new();
        inv.push(definition(rule.clone()));
        inv.push(assignment(
            "rg_only",
            &format!("{SUB}/resourceGroups/rg-mcp"),
        ));
        governance_facts(&mut inv);
        let d = inv.get(0);
        assert_eq!(d.fact("mcpTagPolicy"), Some(&val!(true)));
        assert_eq!(d.fact("broadlyAssigned"), Some(&val!(false)));
        assert_eq!(
            d.fact("policyAssignments")
                .and_then(|v| v[0]["level"].as_str()),
            Some("resourceGroup")
        );

        inv.push(assignment("sub", SUB));
        governance_facts(&mut inv);
        assert_eq!(inv.get(0).fact("broadlyAssigned"), Some(&val!(true)));

        let mut bad = Inventory::new();
        let mut d = definition(rule);
        d.doc["properties"]["policyRule"] = val!("{not json");
        bad.push(d);
        governance_facts(&mut bad);
        assert!(bad
            .get(0)
            .fact("mcpTagPolicy")
            .is_some_and(crate::inventory::Value::is_unknown));
    }
}
