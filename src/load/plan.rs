//! `terraform show -json` reader (format_version 1.x, and 0.x of the same shape).
//!
//! The plan is deserialised into borrowed structs: `after`, `values` and
//! `expressions` stay `&RawValue` slices of the input, and a `serde_json::Value`
//! is built only for resources whose type the translation knows. That keeps a
//! 25 MB plan well under 200 MB of memory.
//!
//! Sources, in order: `resource_changes` (skipping pure deletes), then
//! `planned_values` for resources the changes did not list, then `prior_state`
//! for data sources. `configuration` gives each attribute's references, made
//! absolute and followed through module inputs (`var.x`) and outputs
//! (`module.net.subnet_id`), each to exactly what it names: Terraform lists
//! `module.net.subnet_id` and the bare `module.net` (and `azurerm_subnet.a.id`
//! and `azurerm_subnet.a`) for one expression, and the bare entry adds nothing
//! when a more specific one is there.
//!
//! A resource's values are `after` and `after_unknown` in one typed tree: an
//! unknown value is present after apply when the configuration sets it.

// The reader API returns the shared `InputError` by value (the load contract).
#![allow(clippy::result_large_err)]

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::input::lines::Lines;
use crate::inventory::{self, Origin, Unknown};
use crate::load::azurerm::{self, address, computed};
use crate::load::terraform::{Mode, TfModel, TfResource};
use crate::load::InputError;

#[derive(Deserialize)]
struct RawPlan<'a> {
    #[serde(borrow)]
    format_version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    planned_values: Option<Values<'a>>,
    #[serde(borrow)]
    resource_changes: Option<Vec<ResourceChange<'a>>>,
    #[serde(borrow)]
    prior_state: Option<State<'a>>,
    #[serde(borrow)]
    configuration: Option<Configuration<'a>>,
}

#[derive(Deserialize)]
struct State<'a> {
    #[serde(borrow)]
    values: Option<Values<'a>>,
}

#[derive(Deserialize)]
struct Values<'a> {
    #[serde(borrow)]
    root_module: Option<ModuleValues<'a>>,
}

#[derive(Deserialize)]
struct ModuleValues<'a> {
    #[serde(borrow, default)]
    resources: Vec<ResourceValues<'a>>,
    #[serde(borrow, default)]
    child_modules: Vec<ModuleValues<'a>>,
}

#[derive(Deserialize)]
struct ResourceValues<'a> {
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    tf_type: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    index: Option<Value>,
    #[serde(borrow)]
    values: Option<&'a RawValue>,
    #[serde(borrow)]
    sensitive_values: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ResourceChange<'a> {
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    tf_type: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    index: Option<Value>,
    #[serde(borrow)]
    change: Change<'a>,
}

#[derive(Deserialize)]
struct Change<'a> {
    #[serde(borrow, default)]
    actions: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    after: Option<&'a RawValue>,
    #[serde(borrow)]
    after_unknown: Option<&'a RawValue>,
    #[serde(borrow)]
    after_sensitive: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Configuration<'a> {
    #[serde(borrow)]
    provider_config: Option<BTreeMap<Cow<'a, str>, ProviderConfig<'a>>>,
    #[serde(borrow)]
    root_module: Option<ConfModule<'a>>,
}

#[derive(Deserialize)]
struct ProviderConfig<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    expressions: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ConfModule<'a> {
    #[serde(borrow, default)]
    resources: Vec<ConfResource<'a>>,
    #[serde(borrow, default)]
    module_calls: BTreeMap<Cow<'a, str>, ModuleCall<'a>>,
    #[serde(borrow, default)]
    outputs: BTreeMap<Cow<'a, str>, ConfOutput<'a>>,
}

#[derive(Deserialize)]
struct ConfResource<'a> {
    #[serde(borrow)]
    address: Cow<'a, str>,
    #[serde(borrow, rename = "type")]
    tf_type: Cow<'a, str>,
    #[serde(borrow)]
    expressions: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ModuleCall<'a> {
    #[serde(borrow)]
    expressions: Option<&'a RawValue>,
    #[serde(borrow)]
    module: Option<ConfModule<'a>>,
}

#[derive(Deserialize)]
struct ConfOutput<'a> {
    #[serde(borrow)]
    expression: Option<&'a RawValue>,
}

/// The few fields kept for a resource type the translation does not know.
#[derive(Deserialize, Default)]
struct Light {
    id: Option<Value>,
    name: Option<Value>,
    location: Option<Value>,
    resource_group_name: Option<Value>,
    tags: Option<Value>,
}

/// Reads a plan. `path` is only used in messages.
pub fn load(path: &str, text: &str) -> Result<TfModel, InputError> {
    let plan: RawPlan<'_> = serde_json::from_str(text).map_err(|e| {
        if e.is_data() {
            InputError::new(
                path,
                format!("not a Terraform plan (`terraform show -json` output): {e}"),
            )
            .at(text, e.line(), e.column(), "here")
        } else {
            InputError::json(path, text, &e, "plan")
        }
    })?;
    let version = plan.format_version.as_deref().ok_or_else(|| {
        InputError::new(path, "not a Terraform plan: it has no `format_version`")
            .with_help("produce it with `terraform show -json plan.out > plan.json`")
    })?;
    // 0.x (Terraform 0.12–0.15) has the same shape as 1.x and is still common in CI.
    if !matches!(version.split('.').next(), Some("0" | "1")) {
        return Err(
            InputError::new(path, format!("unsupported plan format_version {version}")).with_help(
                "mcpguard reads format_version 0.x and 1.x (Terraform 0.12+ and OpenTofu)",
            ),
        );
    }
    Reader::new(path, text, &plan).read(&plan)
}

/// A module of the configuration: its calls' input expressions and its outputs' references.
#[derive(Default)]
struct ModuleInfo {
    calls: HashMap<String, Value>,
    outputs: HashMap<String, Vec<String>>,
}

struct Reader<'p> {
    path: &'p str,
    text: &'p str,
    lines: Lines<'p>,
    /// Configuration address (keys dropped) → expressions of that block.
    conf: HashMap<String, &'p RawValue>,
    /// Module path (names) → its calls and outputs.
    modules: HashMap<Vec<String>, ModuleInfo>,
}

impl<'p> Reader<'p> {
    fn new(path: &'p str, text: &'p str, plan: &'p RawPlan<'p>) -> Self {
        let mut r = Reader {
            path,
            text,
            lines: Lines::new(text),
            conf: HashMap::new(),
            modules: HashMap::new(),
        };
        if let Some(root) = plan
            .configuration
            .as_ref()
            .and_then(|c| c.root_module.as_ref())
        {
            r.index_module(root, &mut Vec::new(), "");
        }
        r
    }

    fn index_module(&mut self, m: &'p ConfModule<'p>, path: &mut Vec<String>, prefix: &str) {
        let mut info = ModuleInfo::default();
        for res in &m.resources {
            if let Some(e) = res.expressions {
                // Expressions are parsed later, and only for types the translation reads.
                let _ = &res.tf_type;
                self.conf.insert(address::absolute(prefix, &res.address), e);
            }
        }
        for (name, out) in &m.outputs {
            let refs = out
                .expression
                .and_then(|e| serde_json::from_str::<Value>(e.get()).ok())
                .map(|v| all_references(&v))
                .unwrap_or_default();
            info.outputs.insert(name.to_string(), refs);
        }
        for (name, call) in &m.module_calls {
            let exprs = call
                .expressions
                .and_then(|e| serde_json::from_str::<Value>(e.get()).ok())
                .unwrap_or(Value::Null);
            info.calls.insert(name.to_string(), exprs);
            if let Some(child) = &call.module {
                path.push(name.to_string());
                let child_prefix = address::absolute(prefix, &format!("module.{name}"));
                self.index_module(child, path, &child_prefix);
                path.pop();
            }
        }
        self.modules.insert(path.clone(), info);
    }

    fn read(mut self, plan: &'p RawPlan<'p>) -> Result<TfModel, InputError> {
        let mut model = TfModel {
            subscription_id: subscription(plan),
            ..TfModel::default()
        };
        let mut seen: HashSet<&str> = HashSet::new();
        for (n, rc) in plan.resource_changes.iter().flatten().enumerate() {
            seen.insert(&rc.address);
            let a = &rc.change.actions;
            if a.len() == 1 && a[0] == "delete" {
                continue;
            }
            let src = Src {
                address: &rc.address,
                mode: rc.mode.as_deref(),
                tf_type: &rc.tf_type,
                name: &rc.name,
                index: rc.index.as_ref(),
                values: rc.change.after,
                unknown: rc.change.after_unknown,
                sensitive: rc.change.after_sensitive,
                detail: format!("resource_changes[{n}]"),
            };
            model.resources.push(self.resource(src)?);
        }
        let mut pending: Vec<(&ResourceValues<'_>, String)> = Vec::new();
        if let Some(root) = plan
            .planned_values
            .as_ref()
            .and_then(|v| v.root_module.as_ref())
        {
            collect(root, "planned_values.root_module", &mut pending);
        }
        if let Some(root) = plan
            .prior_state
            .as_ref()
            .and_then(|s| s.values.as_ref())
            .and_then(|v| v.root_module.as_ref())
        {
            let mut prior = Vec::new();
            collect(root, "prior_state.values.root_module", &mut prior);
            pending.extend(
                prior
                    .into_iter()
                    .filter(|(r, _)| r.mode.as_deref() == Some("data")),
            );
        }
        for (rv, detail) in pending {
            if !seen.insert(&rv.address) {
                continue;
            }
            let src = Src {
                address: &rv.address,
                mode: rv.mode.as_deref(),
                tf_type: &rv.tf_type,
                name: &rv.name,
                index: rv.index.as_ref(),
                values: rv.values,
                unknown: None,
                sensitive: rv.sensitive_values,
                detail,
            };
            model.resources.push(self.resource(src)?);
        }
        Ok(model)
    }

    fn resource(&mut self, s: Src<'_>) -> Result<TfResource, InputError> {
        let mode = if s.mode == Some("data")
            || s.address.starts_with("data.")
            || s.address.contains(".data.")
        {
            Mode::Data
        } else {
            Mode::Managed
        };
        let line = s.values.map(|v| self.lines.of(v.get()));
        let module = address::module_prefix(s.address);
        let known = azurerm::is_known(s.tf_type);
        let conf_addr = address::config_address(s.address);
        let exprs: Value = match (known, self.conf.get(&conf_addr)) {
            (true, Some(raw)) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        let (mut values, sensitive) = if known {
            let mut values: inventory::Value = self.parse_as(s.values)?;
            let unknown = self.parse(s.unknown)?;
            let conf = (!exprs.is_null()).then_some(&exprs);
            mark_unknown(&mut values, &unknown, conf);
            (values, self.parse(s.sensitive)?)
        } else {
            let light: Light = match s.values {
                Some(v) => serde_json::from_str(v.get()).unwrap_or_default(),
                None => Light::default(),
            };
            let mut m = serde_json::Map::new();
            for (k, v) in [
                ("id", light.id),
                ("name", light.name),
                ("location", light.location),
                ("resource_group_name", light.resource_group_name),
                ("tags", light.tags),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_string(), v);
                }
            }
            (inventory::Value::from(Value::Object(m)), Value::Null)
        };
        let mut references = BTreeMap::new();
        if !exprs.is_null() {
            let mpath = address::module_path(s.address);
            let mut attrs = Vec::new();
            attribute_references(&exprs, &mut String::new(), &mut attrs);
            for (attr, refs) in attrs {
                let mut out = Vec::new();
                for r in refs {
                    self.resolve(r, &module, &mpath, &mut out, 0);
                }
                let mut dedup = HashSet::new();
                out.retain(|a| dedup.insert(a.clone()));
                if !out.is_empty() {
                    references.insert(attr, out);
                }
            }
            computed::complete_unset(mode, s.tf_type, &mut values, &exprs);
        }
        Ok(TfResource {
            address: s.address.to_string(),
            module,
            mode,
            tf_type: s.tf_type.to_string(),
            name: s.name.to_string(),
            index: s.index.cloned(),
            values,
            sensitive,
            references,
            origin: Origin {
                file: Some(self.path.to_string()),
                line,
                detail: Some(s.detail),
                ..Origin::default()
            },
        })
    }

    fn parse(&self, raw: Option<&RawValue>) -> Result<Value, InputError> {
        self.parse_as(raw)
    }

    fn parse_as<T: serde::de::DeserializeOwned + Default>(
        &self,
        raw: Option<&RawValue>,
    ) -> Result<T, InputError> {
        match raw {
            None => Ok(T::default()),
            Some(r) => serde_json::from_str(r.get())
                .map_err(|e| InputError::json(self.path, self.text, &e, "plan")),
        }
    }

    /// Resolves one reference made in module instance `prefix` (config path `mpath`)
    /// to absolute resource addresses.
    fn resolve(
        &self,
        r: &str,
        prefix: &str,
        mpath: &[String],
        out: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > 32 {
            return; // a cycle through module outputs; Terraform would reject it
        }
        match address::parse_ref(r) {
            address::Ref::Resource(rel) => out.push(address::absolute(prefix, &rel)),
            address::Ref::Var(name) => {
                let Some((call, parent)) = mpath.split_last() else {
                    return;
                };
                let segs = address::split(prefix);
                let parent_prefix = address::join(&segs[..segs.len().saturating_sub(2)]);
                let refs = self
                    .modules
                    .get(parent)
                    .and_then(|m| m.calls.get(call))
                    .and_then(|e| e.get(&name))
                    .map(all_references)
                    .unwrap_or_default();
                for r in refs {
                    self.resolve(&r, &parent_prefix, parent, out, depth + 1);
                }
            }
            address::Ref::Module { call, key, output } => {
                let mut child = mpath.to_vec();
                child.push(call.clone());
                let seg = match &key {
                    Some(k) => format!("module.{call}[{k}]"),
                    None => format!("module.{call}"),
                };
                let child_prefix = address::absolute(prefix, &seg);
                let Some(m) = self.modules.get(&child) else {
                    return;
                };
                let mut names: Vec<&String> = match &output {
                    Some(o) => m
                        .outputs
                        .get_key_value(o)
                        .map(|(k, _)| vec![k])
                        .unwrap_or_default(),
                    None => m.outputs.keys().collect(),
                };
                names.sort();
                for n in names {
                    for r in &m.outputs[n] {
                        self.resolve(r, &child_prefix, &child, out, depth + 1);
                    }
                }
            }
            address::Ref::Other => {}
        }
    }
}

struct Src<'s> {
    address: &'s str,
    mode: Option<&'s str>,
    tf_type: &'s str,
    name: &'s str,
    index: Option<&'s Value>,
    values: Option<&'s RawValue>,
    unknown: Option<&'s RawValue>,
    sensitive: Option<&'s RawValue>,
    detail: String,
}

fn collect<'v>(m: &'v ModuleValues<'v>, at: &str, out: &mut Vec<(&'v ResourceValues<'v>, String)>) {
    for (n, r) in m.resources.iter().enumerate() {
        out.push((r, format!("{at}.resources[{n}]")));
    }
    for (n, c) in m.child_modules.iter().enumerate() {
        collect(c, &format!("{at}.child_modules[{n}]"), out);
    }
}

fn subscription(plan: &RawPlan<'_>) -> Option<String> {
    let from_config = plan
        .configuration
        .as_ref()
        .and_then(|c| c.provider_config.as_ref())
        .and_then(|p| {
            p.iter()
                .find(|(k, v)| k.as_ref() == "azurerm" || v.name.as_deref() == Some("azurerm"))
        })
        .and_then(|(_, p)| p.expressions)
        .and_then(|e| serde_json::from_str::<Value>(e.get()).ok())
        .and_then(|e| {
            e.pointer("/subscription_id/constant_value")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .filter(|s| !s.is_empty());
    from_config.or_else(|| {
        std::env::var("ARM_SUBSCRIPTION_ID")
            .ok()
            .filter(|s| !s.is_empty())
    })
}

/// Whether a configuration object is one expression (as opposed to a nested block).
fn is_expression(m: &serde_json::Map<String, Value>) -> bool {
    m.contains_key("references") || m.contains_key("constant_value")
}

/// Every `references` entry anywhere in an expression tree.
fn all_references(v: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(rs)) = m.get("references") {
                    let refs = rs.iter().filter_map(Value::as_str).collect();
                    out.extend(most_specific(refs).into_iter().map(str::to_string));
                }
                m.iter()
                    .filter(|(k, _)| *k != "references")
                    .for_each(|(_, v)| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    out
}

/// Attribute path (`identity.0.identity_ids`) → raw references, for one block's expressions.
fn attribute_references<'v>(v: &'v Value, at: &mut String, out: &mut Vec<(String, Vec<&'v str>)>) {
    match v {
        Value::Object(m) if is_expression(m) => {
            if let Some(Value::Array(rs)) = m.get("references") {
                let refs = rs.iter().filter_map(Value::as_str).collect();
                out.push((at.clone(), most_specific(refs)));
            }
        }
        Value::Object(m) => {
            for (k, v) in m {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(k);
                attribute_references(v, at, out);
                at.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let len = at.len();
                at.push('.');
                at.push_str(&i.to_string());
                attribute_references(v, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// One expression's references without the entries that only contain a more
/// specific one: Terraform lists `module.net.subnet_id` and `module.net`,
/// `azurerm_subnet.a.id` and `azurerm_subnet.a`, `var.x[0]` and `var.x`. The
/// bare `module.net` would otherwise stand for every output of the module.
fn most_specific(refs: Vec<&str>) -> Vec<&str> {
    refs.iter()
        .copied()
        .filter(|r| {
            !refs.iter().any(|o| {
                o.len() > r.len()
                    && o.starts_with(r)
                    && matches!(o.as_bytes()[r.len()], b'.' | b'[')
            })
        })
        .collect()
}

/// Puts `after_unknown` into the values read from `after`: `true` there is a
/// value not known until apply, present after apply when the configuration
/// (`conf`, the block's `expressions`) sets it.
fn mark_unknown(v: &mut inventory::Value, unknown: &Value, conf: Option<&Value>) {
    match unknown {
        Value::Bool(true) => {
            *v = if conf.is_some() {
                Unknown::present()
            } else {
                Unknown::computed()
            }
        }
        Value::Object(um) if um.values().any(any_unknown) => {
            if !v.is_object() {
                *v = inventory::Value::Object(Default::default());
            }
            for (k, u) in um.iter().filter(|(_, u)| any_unknown(u)) {
                let slot = &mut v[k.as_str()];
                mark_unknown(slot, u, conf_child(conf, |c| c.get(k)));
            }
        }
        Value::Array(ua) if ua.iter().any(any_unknown) => {
            if !v.is_array() {
                *v = inventory::Value::Array(Vec::new());
            }
            for (i, u) in ua.iter().enumerate().filter(|(_, u)| any_unknown(u)) {
                let slot = &mut v[i];
                mark_unknown(slot, u, conf_child(conf, |c| c.get(i)));
            }
        }
        _ => {}
    }
}

/// Whether an `after_unknown` tree marks anything unknown.
fn any_unknown(u: &Value) -> bool {
    match u {
        Value::Bool(b) => *b,
        Value::Object(m) => m.values().any(any_unknown),
        Value::Array(a) => a.iter().any(any_unknown),
        _ => false,
    }
}

/// The configuration of a part of a value: the nested block or attribute, or
/// the whole expression when one expression sets the value.
fn conf_child<'v>(
    conf: Option<&'v Value>,
    get: impl Fn(&'v Value) -> Option<&'v Value>,
) -> Option<&'v Value> {
    let c = conf?;
    match c {
        Value::Object(m) if is_expression(m) => Some(c),
        _ => get(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_paths_of_nested_blocks() {
        let e: Value = serde_json::json!({
            "subnet_ids": {"references": ["azurerm_subnet.a.id", "azurerm_subnet.a"]},
            "identity": [{"type": {"constant_value": "UserAssigned"}, "identity_ids": {"references": ["var.ids"]}}],
            "name": {"constant_value": "x"}
        });
        let mut out = Vec::new();
        attribute_references(&e, &mut String::new(), &mut out);
        let keys: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["identity.0.identity_ids", "subnet_ids"]);
    }

    #[test]
    fn bare_module_and_resource_references_add_nothing_next_to_specific_ones() {
        let refs = vec![
            "module.network.subnet_id",
            "module.network",
            "azurerm_subnet.a.id",
            "azurerm_subnet.a",
            "var.ids[0]",
            "var.ids",
            "module.other",
        ];
        assert_eq!(
            most_specific(refs),
            vec![
                "module.network.subnet_id",
                "azurerm_subnet.a.id",
                "var.ids[0]",
                "module.other"
            ]
        );
    }

    #[test]
    fn after_unknown_merges_into_values_with_presence_from_configuration() {
        let after = serde_json::json!({"name": "cg", "identity": [{"type": "UserAssigned"}]});
        let unknown = serde_json::json!({"id": true, "identity": [{"identity_ids": true}], "ip_address": true});
        let conf = serde_json::json!({"name": {"constant_value": "cg"},
            "identity": [{"type": {"constant_value": "UserAssigned"}, "identity_ids": {"references": ["x.id", "x"]}}]});
        let mut v: inventory::Value = serde_json::from_value(after).unwrap();
        mark_unknown(&mut v, &unknown, Some(&conf));
        assert_eq!(v["name"], inventory::Value::from("cg"));
        let ids = v["identity"][0]["identity_ids"].as_unknown().unwrap();
        assert!(ids.present, "set by the configuration");
        assert!(
            !v["id"].as_unknown().unwrap().present,
            "computed by the provider"
        );
        assert!(!v["ip_address"].as_unknown().unwrap().present);
    }

    #[test]
    fn rejects_other_major_versions() {
        let e = load(
            "p.json",
            r#"{"format_version":"2.0","resource_changes":[]}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("unsupported plan format_version 2.0"),
            "{e}"
        );
    }
}
