//! Outputs of nested deployments, as the template that deploys them reads
//! them: `reference(resourceId('Microsoft.Resources/deployments', 'net'),
//! …).outputs.subnetId.value` (Bicep writes every `module.outputs.x` so, in
//! both language versions), `reference('net')` by name or symbolic name.
//!
//! An output is computed from the nested template when it depends on what
//! the template knows (its parameters, variables, `resourceId()` of its own
//! resources): a subnet id passed from a network module to an app module is
//! then a reference, and the joins (app → environment → subnet → NSG) work
//! across modules as they do inside one. An output that reads deployment-time
//! state (`reference()`, `list*()`) is unknown, with the reason, as anywhere.
//! Outputs are computed when first read (each deployment's once), so the
//! order of declarations does not matter; deployments reading each other's
//! outputs in a circle are refused, as ARM refuses them.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde_json::Value as Json;

use super::deployments::Declared;
use super::eval::{eval_json, Failed, Scope};
use crate::inventory::value::Map;
use crate::inventory::{Unknown, Value};

/// The nested deployments of one template whose outputs can be read, by
/// the names a `reference()` may use for them.
pub struct Modules {
    /// Where the template that declares them is.
    declared: Declared,
    /// Name or symbolic name (lower case) → the deployment; `None` when two
    /// deployments answer to it (a reference to it is not decided).
    by_key: HashMap<String, Option<Rc<Json>>>,
    /// Outputs computed so far, by deployment.
    done: RefCell<HashMap<*const Json, Value>>,
    busy: RefCell<HashSet<*const Json>>,
}

/// What a deployment's `reference()` holds besides its outputs: known only
/// once it ran.
const DEPLOYMENT_PROPERTIES: &[&str] = &[
    "provisioningState",
    "timestamp",
    "duration",
    "correlationId",
    "mode",
    "templateHash",
    "templateLink",
    "parameters",
    "parametersLink",
    "outputResources",
    "dependencies",
    "providers",
    "debugSetting",
    "error",
];

impl Modules {
    /// The deployments declared in `tpl` (not in a `copy` loop: an instance
    /// of a loop is read by an index known only with the loop's) whose inline
    /// template has outputs. Names are evaluated in `scope`, the declaring
    /// template's; a name that cannot be evaluated names nothing here (the
    /// expansion reports why).
    pub fn of(tpl: &Json, declared: Declared, scope: &Scope) -> Modules {
        let mut m = Modules {
            declared,
            by_key: HashMap::new(),
            done: RefCell::default(),
            busy: RefCell::default(),
        };
        let decls: Vec<(Option<&String>, &Json)> = match tpl.get("resources") {
            Some(Json::Array(a)) => a.iter().map(|r| (None, r)).collect(),
            Some(Json::Object(o)) => o.iter().map(|(k, r)| (Some(k), r)).collect(),
            _ => Vec::new(),
        };
        for (symbol, raw) in decls {
            if !has_outputs(raw) || raw.get("copy").is_some() {
                continue;
            }
            let raw = Rc::new(raw.clone());
            let name = raw.get("name").map(|n| eval_json(n, scope));
            let keys = [
                symbol.cloned(),
                name.and_then(Result::ok).and_then(|n| text(&n)),
            ];
            for k in keys.into_iter().flatten() {
                m.by_key
                    .entry(k.to_ascii_lowercase())
                    .and_modify(|v| *v = None)
                    .or_insert_with(|| Some(raw.clone()));
            }
        }
        m
    }

    /// `reference(args…)` when its first argument names one of these
    /// deployments: `{outputs: {name: {type, value}}, …}` (with `'Full'`,
    /// under `properties`). `None` when it names none of them.
    pub fn reference(&self, args: &[Value], scope: &Scope) -> Result<Option<Value>, String> {
        let Some(key) = args.first().and_then(deployment_name) else {
            return Ok(None);
        };
        let Some(Some(raw)) = self.by_key.get(&key.to_ascii_lowercase()) else {
            return Ok(None);
        };
        let outputs = self.outputs_of(raw, scope)?;
        let mut body = Map::new();
        body.insert("outputs".into(), outputs);
        for p in DEPLOYMENT_PROPERTIES {
            body.insert(
                (*p).into(),
                Unknown::because(format!("{p} of deployment `{key}` (known once it ran)")),
            );
        }
        let full = args
            .get(2)
            .is_some_and(|a| matches!(a, Value::String(s) if s.eq_ignore_ascii_case("full")));
        if !full {
            return Ok(Some(Value::Object(body)));
        }
        let mut whole = Map::new();
        whole.insert("properties".into(), Value::Object(body));
        whole.insert("name".into(), Value::from(key.as_str()));
        whole.insert(
            "type".into(),
            Value::from("Microsoft.Resources/deployments"),
        );
        Ok(Some(Value::Object(whole)))
    }

    fn outputs_of(&self, raw: &Rc<Json>, scope: &Scope) -> Result<Value, String> {
        let ptr = Rc::as_ptr(raw);
        if let Some(v) = self.done.borrow().get(&ptr) {
            return Ok(v.clone());
        }
        if !self.busy.borrow_mut().insert(ptr) {
            return Err(format!(
                "deployment `{}` reads its own outputs through other deployments' (a circle ARM refuses)",
                raw.get("name").and_then(Json::as_str).unwrap_or("?")
            ));
        }
        let v = super::deployments::outputs(raw, &self.declared, scope);
        self.busy.borrow_mut().remove(&ptr);
        let v = v.map_err(|f| f.message)?;
        self.done.borrow_mut().insert(ptr, v.clone());
        Ok(v)
    }
}

/// A deployment with outputs inline, or a linked file that may have some.
fn has_outputs(raw: &Json) -> bool {
    let is_deployment = raw
        .get("type")
        .and_then(Json::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Resources/deployments"));
    let inline = raw
        .pointer("/properties/template/outputs")
        .and_then(Json::as_object)
        .is_some_and(|o| !o.is_empty());
    is_deployment
        && (inline
            || raw
                .pointer("/properties/templateLink/relativePath")
                .is_some())
}

/// A name as text: a known string, or a partly known one as it reads
/// (`net-{unknown}`: Bicep names modules after `uniqueString()`; both the
/// declaration and the reference read alike).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Partial(p) => Some(p.to_string()),
        _ => None,
    }
}

/// The deployment name a `reference()` argument gives: a bare name or
/// symbolic name, or the last segment of a deployments id.
fn deployment_name(v: &Value) -> Option<String> {
    let t = text(v)?;
    const SEG: &str = "/providers/microsoft.resources/deployments/";
    match t.to_ascii_lowercase().rfind(SEG) {
        Some(at) => Some(t[at + SEG.len()..].to_string()),
        None if !t.contains('/') => Some(t),
        None => None,
    }
}

/// A template's `outputs` section evaluated: `{name: {type, value}}`. An
/// output with a `condition` that is false is absent, as ARM leaves it out;
/// a secure output is never returned by ARM, so it is unknown.
pub fn evaluate(tpl: &Json, scope: &Scope) -> Result<Value, Failed> {
    let mut out = Map::new();
    for (name, o) in tpl
        .get("outputs")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(c) = o.get("condition") {
            let c = eval_json(c, scope)?;
            if !c.has_unknown() && !crate::policy::functions::truthy(&c).map_err(Failed::from)? {
                continue;
            }
        }
        let ty = o.get("type").and_then(Json::as_str).unwrap_or("");
        let value = if ty.to_ascii_lowercase().starts_with("secure") {
            Unknown::because(format!("output `{name}` is secure: ARM does not return it"))
        } else {
            output_value(name, o, scope)?
        };
        let mut entry = Map::new();
        entry.insert("type".into(), Value::from(ty));
        entry.insert("value".into(), value);
        out.insert(name.clone(), Value::Object(entry));
    }
    Ok(Value::Object(out))
}

/// `value`, or an output loop `copy: {count, input}`.
fn output_value(name: &str, o: &Json, scope: &Scope) -> Result<Value, Failed> {
    let Some(l) = o.get("copy") else {
        return super::copy::eval_with_loops(o.get("value").unwrap_or(&Json::Null), scope);
    };
    let input = l
        .get("input")
        .ok_or_else(|| Failed::from(format!("output `{name}`: its copy has no `input`")))?;
    match super::copy::count(l.get("count"), scope, name)? {
        None => Ok(Unknown::because(format!(
            "output `{name}` (its copy count is known at deployment)"
        ))),
        Some(n) => (0..n)
            .map(|i| {
                let inner = scope.with(
                    Some((String::new(), Value::from(serde_json::json!(i)))),
                    vec![],
                );
                super::copy::eval_with_loops(input, &inner)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
    }
}
