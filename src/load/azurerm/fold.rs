//! Folding standalone children into their parents, as a GET of the parent
//! shows them: `azurerm_network_security_rule` into the NSG's
//! `securityRules` (the rule also stays a resource of its own),
//! `azurerm_subnet_network_security_group_association` into the subnet's
//! `networkSecurityGroup.id` (the association has no ARM resource), and
//! `azurerm_subnet` into the VNet's `subnets`.
//!
//! Folding completes what the configuration of a *managed* parent leaves to
//! the provider (its Optional+Computed `security_rule`, its subnet's NSG). A
//! data source's values are what it read, so nothing folds into one; and a
//! parent value not known yet stays unknown.

use std::collections::HashMap;

use serde_json::json;

use crate::inventory::{InputKind, Path, Resource, Value};
use crate::load::terraform::{Mode, TfResource};

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

/// `properties.<key>` of a document as an array, created when absent;
/// `None` when the value there is not known yet.
fn array_at<'d>(doc: &'d mut Value, key: &str) -> Option<&'d mut Vec<Value>> {
    let props = ensure_object(&mut doc["properties"]);
    let v = props.entry(key.to_string()).or_insert(Value::Null);
    if v.is_unknown() {
        return None;
    }
    Some(ensure_array(v))
}

/// A child folded into its parent's array, as a GET of the parent shows it.
fn element(child: &Value) -> Value {
    let mut el = Value::Object(Default::default());
    el["id"] = child.get("id").cloned().unwrap_or(Value::Null);
    el["name"] = child.get("name").cloned().unwrap_or(Value::Null);
    el["properties"] = child
        .get("properties")
        .cloned()
        .unwrap_or_else(|| Value::from(json!({})));
    el
}

pub(crate) fn fold(
    cx: &Cx,
    mut built: Vec<Built>,
    kind: InputKind,
    res: &[TfResource],
) -> Vec<Resource> {
    let mut dropped = vec![false; built.len()];
    let managed = |n: usize| res[n].mode == Mode::Managed;
    let nsgs = by_group_name(&built, network_security_group::NSG.tf_type);
    let vnets = by_group_name(&built, virtual_network::SPEC.tf_type);
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (n, id) in cx.ids.iter().enumerate() {
        // An update names the resource it updates, which is the one found by id.
        if built[n].tf_type == super::azapi::UPDATE.tf_type {
            continue;
        }
        if let Some(k) = id.as_ref().and_then(Value::as_key) {
            by_id.entry(k.to_ascii_lowercase()).or_insert(n);
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
        let elem = element(&built[n].b.doc);
        if let Some(arr) = array_at(&mut built[p].b.doc, "securityRules") {
            arr.push(elem);
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
            .pointer("/properties/subnet/id")
            .and_then(Value::as_key)
            .and_then(|k| by_id.get(&k.to_ascii_lowercase()))
            .copied();
        let Some(s) = target.filter(|&s| {
            managed(s)
                && (built[s].tf_type == subnet::SUBNET.tf_type
                    || built[s].tf_type.starts_with("azurerm_subnet"))
        }) else {
            continue;
        };
        if let Some(nsg) = a
            .doc
            .pointer("/properties/networkSecurityGroup/id")
            .cloned()
        {
            built[s]
                .b
                .doc
                .put(&Path::parse("properties.networkSecurityGroup.id"), nsg);
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
        let elem = element(&built[n].b.doc);
        if let Some(arr) = array_at(&mut built[p].b.doc, "subnets") {
            if !arr.iter().any(|e| e.get("name") == elem.get("name")) {
                arr.push(elem);
            }
        }
    }

    // azapi updates → the resource they update, when it is in the input.
    for n in 0..built.len() {
        if built[n].tf_type != super::azapi::UPDATE.tf_type {
            continue;
        }
        let Some(t) = cx.ids[n]
            .as_ref()
            .and_then(Value::as_key)
            .and_then(|k| by_id.get(&k.to_ascii_lowercase()))
            .copied()
            .filter(|&t| t != n)
        else {
            continue;
        };
        dropped[n] = true;
        let update = std::mem::take(&mut built[n].b.doc);
        let target = &mut built[t].b;
        if let Value::Object(m) = update {
            for (k, v) in m {
                if !matches!(k.as_str(), "id" | "name" | "type") {
                    super::azapi::merge(&mut target.doc[k.as_str()], v);
                }
            }
        }
        let marks = std::mem::take(&mut built[n].b.sensitive);
        built[t].b.sensitive.extend(marks);
    }

    built
        .into_iter()
        .zip(res)
        .zip(dropped)
        .filter(|(_, d)| !d)
        .flat_map(|((b, r), _)| finish_resource(&r.address, r, b.b, kind))
        .collect()
}
