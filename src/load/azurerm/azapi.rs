//! `azapi_resource`, `azapi_update_resource` and `data "azapi_resource"` →
//! the ARM type their `type` names (`"Microsoft.App/containerApps@2025-07-01"`),
//! whatever it is.
//!
//! azapi already writes ARM: `body` (an HCL object in azapi 2.x, a
//! `jsonencode(...)` string in 1.x) is the resource's ARM body, so
//! translation is nearly identity:
//! - `type` without its api-version is the ARM type, in ARM's spelling when
//!   mcpguard knows the type;
//! - the id is the real one when known; else `parent_id` plus the type and
//!   `name`, as ARM builds it: `<rg>/providers/<NS>/<type>/<name>` under a
//!   resource group or subscription, `<parent>/<child type>/<name>` under a
//!   parent of the same provider;
//! - `name`, `location`, `tags` and the `identity` block are the attributes;
//!   `body` gives the rest (`properties`, `kind`, `sku`, …), its nulls dropped
//!   as ARM drops them; `sensitive_body` is merged in and stays sensitive;
//! - a data source's document is what it read (`output`);
//! - an unknown id inside the body that a reference names (`managedEnvironmentId
//!   = azapi_resource.env.id`) becomes that resource's id as far as it is
//!   known, when the key names the referenced resource's type (a plan lists
//!   the body's references together, so the key says which is which).
//!
//! An `azapi_update_resource` of a resource translated from another block is
//! merged into it by `fold`; one whose target is not in the input (a site's
//! `config/authsettingsV2`, which always exists) is a resource of its own.

use super::table::{Builder, IdSpec, Spec, COMMON, IDENTITY};
use crate::inventory::{Part, Partial, Path, Unknown, Value};
use crate::load::arm;
use crate::load::terraform::Mode;

pub const RESOURCE: Spec = Spec {
    tf_type: "azapi_resource",
    arm_type: "",
    id: IdSpec::Custom(id),
    fields: &[COMMON, IDENTITY],
    finish: Some(finish),
};

pub const UPDATE: Spec = Spec {
    tf_type: "azapi_update_resource",
    arm_type: "",
    id: IdSpec::Custom(id),
    fields: &[COMMON, IDENTITY],
    finish: Some(finish),
};

/// The Terraform attributes read besides the fields (a data source's are
/// unknown in a source scan when its configuration does not set them).
pub const ALSO_READ: &[&str] = &["body", "output", "parent_id", "sensitive_body", "type"];

/// The ARM top-level keys a body may carry besides name, location, tags and identity.
const BODY_KEYS: &[&str] = &[
    "properties",
    "kind",
    "sku",
    "zones",
    "extendedLocation",
    "plan",
    "managedBy",
];

/// `Microsoft.App/containerApps@2025-07-01` → `Microsoft.App/containerApps`,
/// in ARM's spelling when the type is one mcpguard reads.
pub fn arm_type(t: &str) -> String {
    let t = t.split('@').next().unwrap_or(t).trim();
    arm::canonical_type(t)
        .map(str::to_string)
        .unwrap_or_else(|| t.to_string())
}

fn resource_type(b: &Builder<'_>) -> Option<String> {
    b.str("type").map(arm_type)
}

/// An update's id: the resource it updates (`resource_id`, or `parent_id`
/// and `name`).
pub fn update_id(b: &Builder<'_>) -> Option<Value> {
    id(b)
}

/// The id ARM gives a resource of type `t` named `name` under `parent`.
fn id(b: &Builder<'_>) -> Option<Value> {
    if let Some(v) = b.id_of("resource_id") {
        return Some(v);
    }
    let t = resource_type(b)?;
    let parent = b.id_of("parent_id")?;
    let name = b.get("name")?.clone();
    let (ns, rest) = t.split_once('/')?;
    let segs: Vec<&str> = rest.split('/').collect();
    let shown = match &parent {
        Value::String(s) => s.clone(),
        Value::Partial(p) => p.to_string(),
        _ => String::new(),
    };
    let parent_type = arm::type_from_id(&shown).unwrap_or_default();
    // A child type under its own parent: `<parent>/<last segment>/<name>`.
    let nested = segs.len() > 1
        && (shown.is_empty()
            || parent_type
                .eq_ignore_ascii_case(&format!("{ns}/{}", segs[..segs.len() - 1].join("/"))));
    let middle = if nested {
        format!("/{}/", segs[segs.len() - 1])
    } else {
        format!("/providers/{t}/")
    };
    let mut parts = match parent {
        Value::String(s) => vec![Part::Lit(s.trim_end_matches('/').to_string())],
        Value::Partial(p) => p.parts.clone(),
        _ => vec![Part::Gap],
    };
    parts.push(Part::Lit(middle));
    match name {
        Value::String(s) => parts.push(Part::Lit(s)),
        Value::Partial(p) => parts.extend(p.parts.iter().cloned()),
        _ => parts.push(Part::Segment),
    }
    Some(match Partial::build(parts, None) {
        Value::Partial(mut p) => {
            std::sync::Arc::make_mut(&mut p).of = Some(b.tf.address.clone());
            Value::Partial(p)
        }
        known => known,
    })
}

fn finish(b: &mut Builder<'_>) {
    let t = resource_type(b);
    b.put(
        &Path::parse("type"),
        Value::String(t.clone().unwrap_or_default()),
    );
    let source = if b.tf.mode == Mode::Data {
        "output"
    } else {
        "body"
    };
    body(b, source, false);
    body(b, "sensitive_body", true);
    link_ids(b);
}

/// Copies a body's ARM keys into the document. A body that is unknown as a
/// whole leaves `properties` unknown: whatever it holds is decided at apply.
fn body(b: &mut Builder<'_>, attr: &str, secret: bool) {
    let Some(v) = b.get(attr).cloned() else {
        return;
    };
    let v = match v {
        Value::String(s) => match serde_json::from_str::<serde_json::Value>(&s) {
            Ok(j) => Value::from(j),
            Err(e) => {
                b.notes.push(format!(
                    "{}: `{attr}` is not valid JSON ({e}); its properties are unknown",
                    b.tf.address
                ));
                Unknown::present()
            }
        },
        other => other,
    };
    if v.is_unknown() {
        b.mark_unknown(Path::parse("properties"));
        if secret {
            b.mark_sensitive(Path::parse("properties"));
        }
        return;
    }
    let Some(m) = v.as_object() else { return };
    for key in BODY_KEYS {
        let Some(x) = m.get(*key) else { continue };
        let mut x = x.clone();
        drop_nulls(&mut x);
        if x.is_null() {
            continue;
        }
        let at = Path::root().key(*key);
        if secret {
            let mut leaves = Vec::new();
            leaf_paths(&x, &at, &mut leaves);
            leaves.into_iter().for_each(|p| b.mark_sensitive(p));
        } else if let Some(l) = b.tf.origin.attribute_lines.get(attr) {
            b.lines.insert(at.to_string(), *l);
        }
        let slot = b.doc.slot(&at);
        merge(slot, x);
    }
    if !secret {
        carry_sensitive(b, attr);
    }
}

/// Sensitive marks inside a body (`after_sensitive.body.properties…`) move
/// to the document.
fn carry_sensitive(b: &mut Builder<'_>, attr: &str) {
    let Some(marks) = b.tf.sensitive.get(attr) else {
        return;
    };
    let mut out = Vec::new();
    json_marks(marks, &Path::root(), &mut out);
    for p in out {
        if p.0.is_empty() {
            b.mark_sensitive(Path::parse("properties"));
        } else {
            b.mark_sensitive(p);
        }
    }
}

fn json_marks(v: &serde_json::Value, at: &Path, out: &mut Vec<Path>) {
    match v {
        serde_json::Value::Bool(true) => out.push(at.clone()),
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                json_marks(x, &at.key(k.clone()), out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                json_marks(x, &at.index(i), out);
            }
        }
        _ => {}
    }
}

/// ARM omits what a body sets to null (azapi's `ignore_null_property`).
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

fn leaf_paths(v: &Value, at: &Path, out: &mut Vec<Path>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                leaf_paths(x, &at.key(k.clone()), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                leaf_paths(x, &at.index(i), out);
            }
        }
        _ => out.push(at.clone()),
    }
}

/// Objects merge key by key; anything else replaces (a PATCH of ARM JSON).
pub fn merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Whether an object key names a resource id of type `arm_type`:
/// `managedEnvironmentId` a managed environment, `infrastructureSubnetId` a
/// subnet, `serverFarmId` a server farm; `resourceId`, `id` and
/// `privateLinkServiceId` any resource.
fn key_names_type(key: &str, arm_type: &str) -> bool {
    let k = key.to_ascii_lowercase();
    if matches!(
        k.as_str(),
        "id" | "resourceid" | "privatelinkserviceid" | "targetresourceid"
    ) {
        return true;
    }
    let Some(stem) = k.strip_suffix("id").filter(|s| !s.is_empty()) else {
        return false;
    };
    let last = arm_type
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let singular = match last.strip_suffix("ies") {
        Some(s) => format!("{s}y"),
        None => last.strip_suffix('s').unwrap_or(&last).to_string(),
    };
    !singular.is_empty() && (stem.ends_with(&singular) || singular.ends_with(stem))
}

/// The ids (as far as known) of the resources the body refers to, with their types.
fn body_targets(b: &Builder<'_>, attr: &str) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for t in b.tf.references.get(attr).into_iter().flatten() {
        let Some(n) = b.cx.resolve(t, b.me) else {
            continue;
        };
        if n == b.me {
            continue;
        }
        let Some(id) = b.cx.ids[n].clone() else {
            continue;
        };
        let Some(ty) = b.cx.arm_types[n].as_deref().map(str::to_string) else {
            continue;
        };
        if !out.iter().any(|(_, v)| *v == id) {
            out.push((ty, id));
        }
    }
    out
}

/// Unknown ids in the body that a reference decides (see the module doc).
fn link_ids(b: &mut Builder<'_>) {
    let targets = body_targets(b, "body");
    if targets.is_empty() {
        return;
    }
    let (cx, me) = (b.cx, b.me);
    if let Some(props) = b.doc.as_object_mut().and_then(|m| m.get_mut("properties")) {
        link_in(props, &targets, cx, me);
    }
}

fn link_in(v: &mut Value, targets: &[(String, Value)], cx: &super::Cx, me: usize) {
    let Value::Object(m) = v else {
        if let Value::Array(a) = v {
            a.iter_mut().for_each(|x| link_in(x, targets, cx, me));
        }
        return;
    };
    for (k, x) in m.iter_mut() {
        if !x.is_unknown() {
            link_in(x, targets, cx, me);
            continue;
        }
        // A reference the value itself names (source), else every reference of the body (plan).
        let named: Option<Value> = x
            .refers_to()
            .and_then(|a| cx.resolve(a, me))
            .and_then(|n| cx.ids[n].clone());
        let fitting: Vec<&Value> = targets
            .iter()
            .filter(|(t, id)| key_names_type(k, t) && named.as_ref().is_none_or(|n| n == id))
            .map(|(_, id)| id)
            .collect();
        if let [one] = fitting.as_slice() {
            *x = (*one).clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_types() {
        let yes = [
            ("managedEnvironmentId", "Microsoft.App/managedEnvironments"),
            ("environmentId", "Microsoft.App/managedEnvironments"),
            (
                "infrastructureSubnetId",
                "Microsoft.Network/virtualNetworks/subnets",
            ),
            ("serverFarmId", "Microsoft.Web/serverfarms"),
            ("workspaceId", "Microsoft.OperationalInsights/workspaces"),
            ("resourceId", "Microsoft.Web/sites"),
        ];
        for (k, t) in yes {
            assert!(key_names_type(k, t), "{k} {t}");
        }
        let no = [
            (
                "principalId",
                "Microsoft.ManagedIdentity/userAssignedIdentities",
            ),
            (
                "clientId",
                "Microsoft.ManagedIdentity/userAssignedIdentities",
            ),
            (
                "managedEnvironmentId",
                "Microsoft.Network/virtualNetworks/subnets",
            ),
            ("name", "Microsoft.Web/sites"),
        ];
        for (k, t) in no {
            assert!(!key_names_type(k, t), "{k} {t}");
        }
    }

    #[test]
    fn types_lose_their_api_version() {
        assert_eq!(
            arm_type("microsoft.app/containerapps@2025-07-01"),
            "Microsoft.App/containerApps"
        );
        assert_eq!(
            arm_type("Microsoft.Foo/bars@2020-01-01"),
            "Microsoft.Foo/bars"
        );
    }
}
