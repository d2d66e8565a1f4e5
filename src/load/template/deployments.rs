//! Nested deployments (`Microsoft.Resources/deployments` with an inline
//! `template`; Bicep modules compile to these). With
//! `expressionEvaluationOptions.scope` `inner` the nested template has its
//! own parameters (given by the deployment's `parameters`) and variables;
//! with `outer` (ARM's default) its expressions read the parent's. Its
//! `subscriptionId` and `resourceGroup` move the deployment's scope.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{json, Value as Json};

use super::eval::{eval_json, Failed, Scope};
use super::expand::{expand, Level, Out, TemplateCx};
use super::outputs::Modules;
use super::params;
use crate::inventory::value::Map;
use crate::inventory::Partial;
use crate::inventory::{Unknown, Value};
use crate::policy::functions::resource_id_parts;

/// Nesting deeper than this is refused (ARM's own limit is far lower in practice).
pub const MAX_DEPTH: usize = 32;

pub fn nested(
    raw: &Json,
    detail: &str,
    cx: &TemplateCx,
    scope: &Scope,
    out: &mut Out,
) -> Result<(), Failed> {
    let props = raw.get("properties").cloned().unwrap_or(json!({}));
    if let Some(link) = props.get("templateLink") {
        let what = link
            .get("uri")
            .or_else(|| link.get("relativePath"))
            .or_else(|| link.get("id"))
            .and_then(Json::as_str)
            .unwrap_or("(no uri)");
        out.notes.push(format!(
            "{detail}: linked template `{what}` is not read (no network): its resources are not scanned; scan it on its own"
        ));
        return Ok(());
    }
    let Some(tpl) = props.get("template") else {
        out.notes
            .push(format!("{detail}: a deployment without a template"));
        return Ok(());
    };
    if cx.depth + 1 > MAX_DEPTH {
        return Err(format!("{detail}: deployments nested deeper than {MAX_DEPTH}").into());
    }
    let deployment = Rc::new(moved_scope(raw, &cx.deployment, scope)?);
    let level = nested_level(raw, tpl, cx.level);
    let at = format!("{detail}.properties.template");
    let inner = if inner_scope(&props) {
        let given = given_parameters(&props, scope)?;
        let (cx, unset) = super::own_scope(tpl, deployment, given, level, at, cx.depth + 1)?;
        if !unset.is_empty() {
            out.notes.push(format!(
                "{detail}: parameters without a value (unknown): {}",
                unset.join(", ")
            ));
        }
        cx
    } else {
        let modules = Rc::new(Modules::of(
            tpl,
            level,
            cx.depth + 1,
            &outer(scope, &deployment),
        ));
        TemplateCx {
            deployment,
            level,
            at,
            depth: cx.depth + 1,
            modules,
            ..cx.clone()
        }
    };
    expand(tpl, &inner, out)
}

/// The outputs of a nested deployment declared in a template of `level`
/// at nesting `depth`, read from an expression evaluated in `scope` (the
/// declaring template's): `{name: {type, value}}`, computed as [`nested`]
/// expands it. A linked template's are unknown.
pub fn outputs(raw: &Json, level: Level, depth: usize, scope: &Scope) -> Result<Value, Failed> {
    let props = raw.get("properties").cloned().unwrap_or(json!({}));
    let Some(tpl) = props.get("template") else {
        return Ok(Unknown::because("outputs of a linked template (not read)"));
    };
    if depth + 1 > MAX_DEPTH {
        return Err(format!("deployments nested deeper than {MAX_DEPTH}").into());
    }
    let deployment = Rc::new(moved_scope(raw, scope.deployment, scope)?);
    let level = nested_level(raw, tpl, level);
    if inner_scope(&props) {
        let given = given_parameters(&props, scope)?;
        let (cx, _) = super::own_scope(tpl, deployment, given, level, String::new(), depth + 1)?;
        super::outputs::evaluate(tpl, &cx.scope())
    } else {
        let modules = Modules::of(tpl, level, depth + 1, &outer(scope, &deployment));
        let s = Scope {
            modules: Some(&modules),
            ..outer(scope, &deployment)
        };
        super::outputs::evaluate(tpl, &s)
    }
}

/// `expressionEvaluationOptions.scope` `inner` (Bicep's modules); ARM's
/// default is `outer`.
fn inner_scope(props: &Json) -> bool {
    props
        .pointer("/expressionEvaluationOptions/scope")
        .and_then(Json::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("inner"))
}

/// Where a nested template deploys: a resource group when it names one,
/// else what its `$schema` says, else where its parent deploys.
fn nested_level(raw: &Json, tpl: &Json, parent: Level) -> Level {
    match (
        tpl.get("$schema").and_then(Json::as_str),
        raw.get("resourceGroup"),
    ) {
        (_, Some(_)) => Level::ResourceGroup,
        (Some(s), None) => Level::of_schema(s),
        (None, None) => parent,
    }
}

/// An `outer` nested template's scope: the parent's, at the deployment's scope.
fn outer<'a>(scope: &Scope<'a>, deployment: &'a super::Deployment) -> Scope<'a> {
    Scope::new(deployment, scope.params, scope.vars, scope.functions)
}

/// The parameters an `inner` nested deployment gives its template.
fn given_parameters(props: &Json, scope: &Scope) -> Result<Map, Failed> {
    let mut given = Map::new();
    for (k, p) in props
        .get("parameters")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
    {
        given.insert(k.clone(), given_parameter(k, p, scope)?);
    }
    Ok(given)
}

/// A value a nested deployment gives its template: `{"value": …}` (which
/// may hold property loops), `{"reference": …}` (Key Vault: unknown), or an
/// expression that makes either (Bicep writes `[if(…, createObject('value', …), …)]`).
fn given_parameter(name: &str, p: &Json, scope: &Scope) -> Result<Value, Failed> {
    if p.get("reference").is_some() {
        return params::given_value(name, p).map_err(Failed::from);
    }
    let neither = || {
        Failed::from(format!(
            "parameter `{name}` has neither `value` nor `reference`"
        ))
    };
    match super::copy::eval_with_loops(p, scope)? {
        Value::Object(mut m) => m.remove("value").ok_or_else(neither),
        other if other.is_unknown() => Ok(Unknown::because(format!(
            "parameter `{name}` of a nested deployment (known at deployment)"
        ))),
        _ => Err(neither()),
    }
}

/// The deployment context of a nested deployment: the parent's, moved to the
/// subscription and resource group the deployment names.
fn moved_scope(
    raw: &Json,
    parent: &super::Deployment,
    scope: &Scope,
) -> Result<super::Deployment, Failed> {
    let mut d = parent.clone();
    d.deployment = Unknown::because("deployment() of a nested deployment (known at deployment)");
    if let Some(sub) = raw.get("subscriptionId") {
        let sub = eval_json(sub, scope)?;
        d.subscription = subscription_value(&sub);
    }
    if let Some(rg) = raw.get("resourceGroup") {
        let rg = eval_json(rg, scope)?;
        let mut m = Map::new();
        let id = Partial::build(resource_id_parts(&d.subscription_id(), &rg), None);
        m.insert("id".into(), id);
        m.insert("name".into(), rg);
        m.insert(
            "location".into(),
            Unknown::because("resourceGroup().location (known at deployment)"),
        );
        d.resource_group = Value::Object(m);
    }
    Ok(d)
}

/// `subscription()` of a subscription id that may be unknown.
pub fn subscription_value(sub: &Value) -> Value {
    let mut m: Map = HashMap::<String, Value>::new().into_iter().collect();
    let mut id = vec![crate::inventory::Part::Lit("/subscriptions/".into())];
    id.extend(match sub {
        Value::Unknown(_) => vec![crate::inventory::Part::Segment],
        Value::Partial(p) => p.parts.clone(),
        other => vec![crate::inventory::Part::Lit(
            crate::policy::functions::canonical(other),
        )],
    });
    m.insert("id".into(), Partial::build(id, None));
    m.insert("subscriptionId".into(), sub.clone());
    m.insert(
        "tenantId".into(),
        Unknown::because("subscription().tenantId (known at deployment)"),
    );
    m.insert(
        "displayName".into(),
        Unknown::because("subscription().displayName (known at deployment)"),
    );
    Value::Object(m)
}
