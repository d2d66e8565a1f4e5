//! Nested deployments (`Microsoft.Resources/deployments` with an inline
//! `template`; Bicep modules compile to these). With
//! `expressionEvaluationOptions.scope` `inner` the nested template has its
//! own parameters (given by the deployment's `parameters`) and variables;
//! with `outer` (ARM's default) its expressions read the parent's. Its
//! `subscriptionId` and `resourceGroup` move the deployment's scope.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value as Json;

use super::eval::{eval_json, Failed, Scope};
use super::expand::{expand, Level, Out, TemplateCx};
use super::linked::{self, Link, Loaded, TemplateFile};
use super::outputs::Modules;
use super::params;
use crate::inventory::value::Map;
use crate::inventory::Partial;
use crate::inventory::{Unknown, Value};
use crate::policy::functions::resource_id_parts;

/// Nesting deeper than this is refused (ARM's own limit is far lower in practice).
pub const MAX_DEPTH: usize = 32;

/// Where a deployment is declared: its template's level, nesting depth and
/// file (for a linked template's `relativePath`).
#[derive(Clone)]
pub struct Declared {
    pub level: Level,
    pub depth: usize,
    pub file: Option<Rc<TemplateFile>>,
}

/// The template a deployment deploys: inline, or a linked file read.
enum Body<'a> {
    Inline(&'a Json),
    Linked(Rc<Loaded>),
}

impl Body<'_> {
    fn json(&self) -> &Json {
        match self {
            Body::Inline(t) => t,
            Body::Linked(l) => &l.json,
        }
    }

    /// A failure inside a linked template points into its file.
    fn locate(&self, f: Failed) -> Failed {
        match self {
            Body::Inline(_) => f,
            Body::Linked(l) => f.in_file(&l.source),
        }
    }
}

/// The deployment's template, or why it has none that can be read.
fn body<'a>(
    props: &'a Json,
    from: &Declared,
    scope: &Scope,
) -> Result<Result<Body<'a>, String>, Failed> {
    if let Some(link) = props.get("templateLink") {
        return Ok(match linked::follow(link, from.file.as_ref(), scope)? {
            Link::Read(l) => Ok(Body::Linked(l)),
            Link::NotRead(why) => Err(why),
        });
    }
    Ok(props
        .get("template")
        .map(Body::Inline)
        .ok_or_else(|| "a deployment without a template".to_string()))
}

pub fn nested(
    raw: &Json,
    detail: &str,
    cx: &TemplateCx,
    scope: &Scope,
    out: &mut Out,
) -> Result<(), Failed> {
    let props = raw.get("properties").unwrap_or(&Json::Null);
    let body = match body(props, &cx.declared(), scope)? {
        Ok(b) => b,
        Err(why) => {
            out.notes.push(format!(
                "{detail}: {why}: its resources are not scanned; scan it on its own"
            ));
            return Ok(());
        }
    };
    let tpl = body.json();
    if cx.depth + 1 > MAX_DEPTH {
        return Err(format!("{detail}: deployments nested deeper than {MAX_DEPTH}").into());
    }
    let deployment = Rc::new(moved_scope(raw, &cx.deployment, scope)?);
    let level = nested_level(raw, tpl, cx.level);
    let (at, file) = match &body {
        Body::Inline(_) => (format!("{detail}.properties.template"), cx.file.clone()),
        Body::Linked(l) => {
            let at = format!("{detail}.properties.templateLink");
            out.linked.push((format!("{at}."), l.source.clone()));
            (at, Some(l.file.clone()))
        }
    };
    // A linked template has its own parameters, as `inner` scope gives them.
    let inner = if matches!(body, Body::Linked(_)) || inner_scope(props) {
        if props.get("parametersLink").is_some() {
            out.notes.push(format!(
                "{detail}: `parametersLink` is not read (mcpguard reads no network): its parameters are unknown"
            ));
        }
        let given = given_parameters(props, scope)?;
        let place = Declared {
            level,
            depth: cx.depth + 1,
            file,
        };
        let (cx, unset) =
            super::own_scope(tpl, deployment, given, at, place).map_err(|f| body.locate(f))?;
        if !unset.is_empty() {
            out.notes.push(format!(
                "{detail}: parameters without a value (unknown): {}",
                unset.join(", ")
            ));
        }
        cx
    } else {
        let place = Declared {
            level,
            depth: cx.depth + 1,
            file,
        };
        let modules = Rc::new(Modules::of(tpl, place.clone(), &outer(scope, &deployment)));
        TemplateCx {
            deployment,
            level,
            at,
            depth: cx.depth + 1,
            modules,
            file: place.file,
            ..cx.clone()
        }
    };
    expand(tpl, &inner, out).map_err(|f| body.locate(f))
}

/// The outputs of a nested deployment declared at `from`, read from an
/// expression evaluated in `scope` (the declaring template's):
/// `{name: {type, value}}`, computed as [`nested`] expands it. A linked
/// template not read has unknown outputs.
pub fn outputs(raw: &Json, from: &Declared, scope: &Scope) -> Result<Value, Failed> {
    let props = raw.get("properties").unwrap_or(&Json::Null);
    let body = match body(props, from, scope)? {
        Ok(b) => b,
        Err(why) => return Ok(Unknown::because(format!("outputs of a deployment: {why}"))),
    };
    let tpl = body.json();
    if from.depth + 1 > MAX_DEPTH {
        return Err(format!("deployments nested deeper than {MAX_DEPTH}").into());
    }
    let deployment = Rc::new(moved_scope(raw, scope.deployment, scope)?);
    let place = Declared {
        level: nested_level(raw, tpl, from.level),
        depth: from.depth + 1,
        file: match &body {
            Body::Inline(_) => from.file.clone(),
            Body::Linked(l) => Some(l.file.clone()),
        },
    };
    let v = if matches!(body, Body::Linked(_)) || inner_scope(props) {
        let given = given_parameters(props, scope)?;
        super::own_scope(tpl, deployment, given, String::new(), place)
            .and_then(|(cx, _)| super::outputs::evaluate(tpl, &cx.scope()))
    } else {
        let modules = Modules::of(tpl, place, &outer(scope, &deployment));
        let s = Scope {
            modules: Some(&modules),
            ..outer(scope, &deployment)
        };
        super::outputs::evaluate(tpl, &s)
    };
    v.map_err(|f| body.locate(f))
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
