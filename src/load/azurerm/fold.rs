//! Folding standalone children into their parents, as a GET of the parent
//! shows them: `azurerm_network_security_rule` into the NSG's
//! `securityRules` (the rule also stays a resource of its own),
//! `azurerm_subnet_network_security_group_association` into the subnet's
//! `networkSecurityGroup.id` (the association has no ARM resource), and
//! `azurerm_subnet` into the VNet's `subnets`.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::inventory::path::Seg;
use crate::inventory::{InputKind, Path, Resource};
use crate::load::terraform::TfResource;

use super::table::{ensure_array, ensure_object};
use super::{finish_resource, network_security_group, subnet, virtual_network, Built, Cx};

fn lc(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_ascii_lowercase()
}

/// The names folding matches parents by, kept when the values are freed
/// (lower case, as ARM names compare).
pub(crate) struct Keys {
    rg: String,
    name: String,
    /// `network_security_group_name` of a rule, `virtual_network_name` of a subnet.
    parent: String,
}

impl Keys {
    pub(crate) fn of(r: &TfResource) -> Keys {
        Keys {
            rg: lc(r.attr("resource_group_name")),
            name: lc(r.attr("name")),
            parent: lc(r
                .attr("network_security_group_name")
                .or_else(|| r.attr("virtual_network_name"))),
        }
    }
}

/// (resource group, name) → index, for one type.
fn by_group_name(built: &[Built], tf_type: &str) -> HashMap<(String, String), usize> {
    let mut m = HashMap::new();
    for (n, b) in built.iter().enumerate() {
        if b.tf_type == tf_type {
            m.entry((b.keys.rg.clone(), b.keys.name.clone()))
                .or_insert(n);
        }
    }
    m
}

/// The parent of child `n`: through the reference of its `link` attribute, else by names.
fn parent(
    cx: &Cx,
    res: &[TfResource],
    built: &[Built],
    n: usize,
    link: &str,
    parent_type: &str,
    names: &HashMap<(String, String), usize>,
) -> Option<usize> {
    let by_ref = res[n]
        .references
        .get(link)
        .into_iter()
        .flatten()
        .filter_map(|t| cx.resolve(t, n))
        .find(|&p| built[p].tf_type == parent_type);
    let k = &built[n].keys;
    by_ref.or_else(|| names.get(&(k.rg.clone(), k.parent.clone())).copied())
}

/// `properties.<key>` of a document as an array, created when absent.
fn array_at<'d>(doc: &'d mut serde_json::Map<String, Value>, key: &str) -> &'d mut Vec<Value> {
    let props = ensure_object(doc.entry("properties").or_insert(Value::Null));
    ensure_array(props.entry(key.to_string()).or_insert(Value::Null))
}

pub(crate) fn fold(
    cx: &Cx,
    mut built: Vec<Built>,
    kind: InputKind,
    res: &[TfResource],
) -> Vec<Resource> {
    let mut dropped = vec![false; built.len()];
    let nsgs = by_group_name(&built, network_security_group::NSG.tf_type);
    let vnets = by_group_name(&built, virtual_network::SPEC.tf_type);
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (n, id) in cx.ids.iter().enumerate() {
        if let Some(id) = id {
            by_id.entry(id.to_ascii_lowercase()).or_insert(n);
        }
    }

    // Standalone NSG rules → the NSG's securityRules.
    for n in 0..built.len() {
        if built[n].tf_type != network_security_group::RULE.tf_type {
            continue;
        }
        let Some(p) = parent(
            cx,
            res,
            &built,
            n,
            "network_security_group_name",
            network_security_group::NSG.tf_type,
            &nsgs,
        ) else {
            continue;
        };
        let rule = &built[n].b;
        let elem = json!({
            "id": rule.doc.get("id").cloned().unwrap_or(Value::Null),
            "name": rule.doc.get("name").cloned().unwrap_or(Value::Null),
            "properties": rule.doc.get("properties").cloned().unwrap_or_else(|| json!({})),
        });
        let marks: Vec<Path> = rule
            .unknown
            .iter()
            .filter(|p| p.0.first() == Some(&Seg::Key("properties".into())))
            .cloned()
            .collect();
        let arr = array_at(&mut built[p].b.doc, "securityRules");
        let k = arr.len();
        arr.push(elem);
        let base = Path::parse("properties.securityRules").index(k);
        for m in marks {
            let mut q = base.clone();
            q.0.extend(m.0);
            built[p].b.unknown.insert(q);
        }
    }

    // Associations → the subnet's networkSecurityGroup.id.
    for n in 0..built.len() {
        if built[n].tf_type != subnet::ASSOCIATION.tf_type {
            continue;
        }
        dropped[n] = true;
        let a = &built[n].b;
        let target = a
            .doc
            .get("properties")
            .and_then(|p| p.pointer("/subnet/id"))
            .and_then(Value::as_str)
            .and_then(|id| by_id.get(&id.to_ascii_lowercase()))
            .copied();
        let Some(s) = target.filter(|&s| {
            built[s].tf_type == subnet::SUBNET.tf_type
                || built[s].tf_type.starts_with("azurerm_subnet")
        }) else {
            continue;
        };
        let nsg = a
            .doc
            .get("properties")
            .and_then(|p| p.pointer("/networkSecurityGroup/id"))
            .cloned();
        let nsg_unknown = a
            .unknown
            .contains(&Path::parse("properties.networkSecurityGroup.id"));
        let props = ensure_object(built[s].b.doc.entry("properties").or_insert(Value::Null));
        let path = Path::parse("properties.networkSecurityGroup.id");
        match nsg {
            Some(id) => {
                props.insert("networkSecurityGroup".into(), json!({ "id": id }));
                built[s].b.unknown.remove(&path);
            }
            None if nsg_unknown => {
                built[s].b.unknown.insert(path);
            }
            None => {}
        }
    }

    // Standalone subnets → the VNet's subnets.
    for n in 0..built.len() {
        if built[n].tf_type != subnet::SUBNET.tf_type {
            continue;
        }
        let Some(p) = parent(
            cx,
            res,
            &built,
            n,
            "virtual_network_name",
            virtual_network::SPEC.tf_type,
            &vnets,
        ) else {
            continue;
        };
        let sn = &built[n].b;
        let name = sn.doc.get("name").cloned().unwrap_or(Value::Null);
        let elem = json!({
            "id": sn.doc.get("id").cloned().unwrap_or(Value::Null),
            "name": name,
            "properties": sn.doc.get("properties").cloned().unwrap_or_else(|| json!({})),
        });
        let arr = array_at(&mut built[p].b.doc, "subnets");
        if !arr.iter().any(|e| e.get("name") == Some(&name)) {
            arr.push(elem);
        }
    }

    built
        .into_iter()
        .zip(res)
        .zip(dropped)
        .filter(|(_, d)| !d)
        .map(|((b, r), _)| finish_resource(&r.address, r, b.b, kind))
        .collect()
}
