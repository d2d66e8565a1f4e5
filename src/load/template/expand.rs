//! One template's resources into ARM documents: `copy` loops, `condition`,
//! child resources (`resources` inside a resource), `existing` resources,
//! `scope` properties, and ids at the template's deployment scope.

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value as Json;

use super::copy::{self, eval_with_loops};
use super::depends::Node;
use super::eval::{eval_json, eval_str, Failed, Scope, UserFunction, Variables};
use super::graph::{self, Kind};
use super::linked::TemplateFile;
use super::outputs::Modules;
use crate::inventory::value::Map;
use crate::inventory::{Part, Partial, Unknown, Value};
use crate::load::arm::ModelDoc;
use crate::policy::functions::{self, Deployment};

/// Where a template deploys, from its `$schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    ResourceGroup,
    Subscription,
    ManagementGroup,
    Tenant,
}

impl Level {
    pub fn of_schema(schema: &str) -> Level {
        let s = schema.to_ascii_lowercase();
        if s.contains("subscriptiondeploymenttemplate") {
            Level::Subscription
        } else if s.contains("managementgroupdeploymenttemplate") {
            Level::ManagementGroup
        } else if s.contains("tenantdeploymenttemplate") {
            Level::Tenant
        } else {
            Level::ResourceGroup
        }
    }
}

/// One template being expanded: its scope and where it sits in the file.
#[derive(Clone)]
pub struct TemplateCx {
    pub deployment: Rc<Deployment>,
    pub params: Rc<Map>,
    pub vars: Rc<Variables>,
    pub functions: Rc<HashMap<String, UserFunction>>,
    pub level: Level,
    /// JSON path of the template in the file (`""`, `resources[2].properties.template`).
    pub at: String,
    /// Nested deployment depth.
    pub depth: usize,
    /// Its nested deployments whose outputs it may read.
    pub modules: Rc<Modules>,
    /// The file it was read from, for linked templates' `relativePath`.
    pub file: Option<Rc<TemplateFile>>,
}

impl TemplateCx {
    /// Where its deployments are declared.
    pub fn declared(&self) -> super::deployments::Declared {
        super::deployments::Declared {
            level: self.level,
            depth: self.depth,
            file: self.file.clone(),
        }
    }

    pub fn scope(&self) -> Scope<'_> {
        Scope {
            modules: Some(&self.modules),
            ..Scope::new(&self.deployment, &self.params, &self.vars, &self.functions)
        }
    }
}

/// What expanding the whole file produced.
#[derive(Default)]
pub struct Out {
    pub docs: Vec<ModelDoc>,
    pub notes: Vec<String>,
    /// Linked templates: the `detail` prefix of their resources, and the
    /// file they are in.
    pub linked: Vec<(String, Rc<super::linked::Source>)>,
}

/// The keys ARM documents carry (evaluated); the others are template syntax.
const DOC_KEYS: &[&str] = &[
    "location",
    "tags",
    "sku",
    "kind",
    "identity",
    "properties",
    "zones",
    "plan",
    "extendedLocation",
    "managedBy",
];

/// A resource declaration as found, with what its parent gives it.
struct Decl<'t> {
    raw: &'t Json,
    detail: String,
    symbol: Option<String>,
    parent: Option<(String, Value)>,
    /// The template declaring it, whose `extensions` its `extension` names.
    tpl: &'t Json,
}

/// The resource declarations of a template: an array, or (languageVersion
/// 2.0) an object keyed by symbolic name.
fn declarations<'t>(tpl: &'t Json, at: &str) -> Vec<Decl<'t>> {
    let base = if at.is_empty() {
        String::new()
    } else {
        format!("{at}.")
    };
    match tpl.get("resources") {
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, raw)| Decl {
                raw,
                detail: format!("{base}resources[{i}]"),
                symbol: None,
                parent: None,
                tpl,
            })
            .collect(),
        Some(Json::Object(m)) => m
            .iter()
            .map(|(k, raw)| Decl {
                raw,
                detail: format!("{base}resources.{k}"),
                symbol: Some(k.clone()),
                parent: None,
                tpl,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Expands one template (the file's, or a nested deployment's).
pub fn expand(tpl: &Json, cx: &TemplateCx, out: &mut Out) -> Result<(), Failed> {
    let mut nodes = Vec::new();
    let mut symbols: HashMap<String, Value> = HashMap::new();
    let decls = declarations(tpl, &cx.at);
    // Symbolic names first, so a `scope` or `dependsOn` may name any of them.
    for d in &decls {
        if let Some(sym) = &d.symbol {
            // Graph objects have no ARM id for a `scope` to name.
            if d.raw.get("copy").is_none() && graph::kind(d.tpl, d.raw, &d.detail)? == Kind::Arm {
                let (ty, name) = type_and_name(d, &cx.scope())?;
                let id = resource_id(cx, &ty, &name, None, &symbols, &cx.scope())?;
                symbols.insert(sym.to_ascii_lowercase(), id);
            }
        }
    }
    for d in decls {
        walk(d, cx, &symbols, &mut nodes, out, &cx.scope())?;
    }
    super::depends::check(&nodes)
}

fn type_and_name(d: &Decl, scope: &Scope) -> Result<(String, Value), Failed> {
    let ty = match d.raw.get("type") {
        Some(Json::String(t)) => match eval_str(t, scope)? {
            Value::String(t) => t,
            _ => {
                return Err(Failed::from(format!(
                    "{}: the resource type is not known before deployment",
                    d.detail
                ))
                .at(t))
            }
        },
        _ => return Err(format!("{}: a resource needs a `type`", d.detail).into()),
    };
    let name = match d.raw.get("name") {
        Some(n) => eval_json(n, scope)?,
        None => return Err(format!("{}: a resource needs a `name`", d.detail).into()),
    };
    Ok(match &d.parent {
        // A child declared inside its parent: relative type and name.
        Some((pty, pname)) if !ty.contains('/') => (
            format!("{pty}/{ty}"),
            Partial::build(
                [
                    functions_parts(pname),
                    vec![Part::Lit("/".into())],
                    functions_parts(&name),
                ]
                .concat(),
                None,
            ),
        ),
        _ => (ty, name),
    })
}

fn functions_parts(v: &Value) -> Vec<Part> {
    match v {
        Value::Partial(p) => p.parts.clone(),
        Value::Unknown(_) => vec![Part::Gap],
        other => vec![Part::Lit(functions::canonical(other))],
    }
}

/// A full name `vnet/snet` as its segments; an unknown part is one segment.
fn split_name(name: &Value, want: usize) -> Vec<Value> {
    let mut segs: Vec<Vec<Part>> = vec![Vec::new()];
    for p in functions_parts(name) {
        match p {
            Part::Lit(s) => {
                let mut pieces = s.split('/');
                if let Some(first) = pieces.next() {
                    segs.last_mut().expect("one").push(Part::Lit(first.into()));
                }
                for piece in pieces {
                    segs.push(vec![Part::Lit(piece.into())]);
                }
            }
            other => segs.last_mut().expect("one").push(other),
        }
    }
    let mut out: Vec<Value> = segs
        .into_iter()
        .map(|parts| match Partial::build(parts, None) {
            Value::Partial(p) if p.parts.len() == 1 => Unknown::present(),
            v => v,
        })
        .collect();
    // A wholly unknown name of a child type: one unknown segment per level.
    while out.len() < want && matches!(name, Value::Unknown(_)) {
        out.push(Unknown::present());
    }
    out
}

/// The id ARM gives the resource at this template's scope.
fn resource_id(
    cx: &TemplateCx,
    ty: &str,
    name: &Value,
    scope_prop: Option<&Value>,
    symbols: &HashMap<String, Value>,
    scope: &Scope,
) -> Result<Value, Failed> {
    let levels = ty.split('/').count().saturating_sub(1);
    let names = split_name(name, levels);
    let mut args = vec![Value::from(ty)];
    args.extend(names.iter().cloned());
    let call = |f: &str, mut a: Vec<Value>, head: Vec<Value>| {
        let mut all = head;
        all.append(&mut a);
        functions::call(f, &all, scope.deployment).map_err(Failed::from)
    };
    if let Some(s) = scope_prop {
        // An extension resource: `scope` is an id, or (2.0) a symbolic name.
        let base = match s {
            Value::String(sym) if !sym.starts_with('/') => symbols
                .get(&sym.to_ascii_lowercase())
                .cloned()
                .ok_or_else(|| {
                    Failed::from(format!("scope `{sym}` names no resource of the template"))
                })?,
            other => other.clone(),
        };
        return call("extensionresourceid", args, vec![base]);
    }
    match cx.level {
        Level::ResourceGroup => call("resourceid", args, vec![]),
        Level::Subscription if ty.eq_ignore_ascii_case("Microsoft.Resources/resourceGroups") => {
            let mut parts = vec![Part::Lit("/subscriptions/".into())];
            parts.extend(match cx.deployment.subscription_id() {
                Value::Unknown(_) => vec![Part::Segment],
                v => functions_parts(&v),
            });
            parts.push(Part::Lit("/resourceGroups/".into()));
            parts.extend(functions_parts(&names[0]));
            Ok(Partial::build(parts, None))
        }
        Level::Subscription => call("subscriptionresourceid", args, vec![]),
        Level::ManagementGroup => call("managementgroupresourceid", args, vec![]),
        Level::Tenant => call("tenantresourceid", args, vec![]),
    }
}

/// One declaration: each of its copies, then its children.
fn walk(
    d: Decl,
    cx: &TemplateCx,
    symbols: &HashMap<String, Value>,
    nodes: &mut Vec<Node>,
    out: &mut Out,
    outer: &Scope,
) -> Result<(), Failed> {
    if let Kind::Other(ext) = graph::kind(d.tpl, d.raw, &d.detail)? {
        out.notes.push(graph::skipped(&d.detail, ext));
        return Ok(());
    }
    let copies: Vec<Option<(String, Value)>> = match d.raw.get("copy") {
        Some(l @ Json::Object(_)) => {
            let name = copy::loop_name(l, outer)?;
            match copy::count(l.get("count"), outer, &name)? {
                Some(n) => (0..n)
                    .map(|i| Some((name.clone(), Value::from(serde_json::json!(i)))))
                    .collect(),
                None => {
                    out.notes.push(format!(
                        "{}: the count of copy loop `{name}` is known only at deployment: one instance is scanned, its index unknown",
                        d.detail
                    ));
                    vec![Some((
                        name,
                        Unknown::because("copyIndex() (known at deployment)"),
                    ))]
                }
            }
        }
        _ => vec![None],
    };
    let loop_name = copies.first().cloned().flatten().map(|(n, _)| n);
    for (i, c) in copies.into_iter().enumerate() {
        let scope = outer.with(c, vec![]);
        let detail = match &loop_name {
            Some(_) => format!("{}[copy {i}]", d.detail),
            None => d.detail.clone(),
        };
        instance(
            &d,
            &detail,
            loop_name.as_deref(),
            cx,
            symbols,
            nodes,
            out,
            &scope,
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn instance(
    d: &Decl,
    detail: &str,
    loop_name: Option<&str>,
    cx: &TemplateCx,
    symbols: &HashMap<String, Value>,
    nodes: &mut Vec<Node>,
    out: &mut Out,
    scope: &Scope,
) -> Result<(), Failed> {
    if let Some(c) = d.raw.get("condition") {
        let v = eval_json(c, scope)?;
        if v.has_unknown() {
            out.notes.push(format!(
                "{detail}: its `condition` is known only at deployment: scanned as if deployed"
            ));
        } else if !functions::truthy(&v).map_err(Failed::from)? {
            return Ok(());
        }
    }
    if graph::kind(d.tpl, d.raw, detail)? == Kind::Graph {
        let sym = d.symbol.as_deref();
        return graph::instance(d.raw, sym, detail, loop_name, nodes, out, scope);
    }
    let (ty, name) = type_and_name(d, scope)?;
    let scope_prop = d
        .raw
        .get("scope")
        .map(|s| eval_json(s, scope))
        .transpose()?;
    let id = resource_id(cx, &ty, &name, scope_prop.as_ref(), symbols, scope)?;
    nodes.push(Node::new(
        d.symbol.as_deref(),
        &id,
        &name,
        loop_name,
        d.raw.get("dependsOn"),
        scope,
    )?);
    let existing = d.raw.get("existing").and_then(Json::as_bool) == Some(true);
    if !existing {
        if ty.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
            super::deployments::nested(d.raw, detail, cx, scope, out)?;
        } else {
            let doc = document(d.raw, &ty, &name, id, scope)?;
            out.docs.push(ModelDoc {
                doc,
                detail: detail.to_string(),
            });
        }
    }
    if let Some(Json::Array(children)) = d.raw.get("resources") {
        for (i, raw) in children.iter().enumerate() {
            let child = Decl {
                raw,
                detail: format!("{detail}.resources[{i}]"),
                symbol: None,
                parent: Some((ty.clone(), name.clone())),
                tpl: d.tpl,
            };
            walk(child, cx, symbols, nodes, out, scope)?;
        }
    }
    Ok(())
}

/// The ARM document of one resource instance, as a GET would show it.
fn document(raw: &Json, ty: &str, name: &Value, id: Value, scope: &Scope) -> Result<Value, Failed> {
    let mut doc = Map::new();
    doc.insert("id".into(), id);
    // A GET names a child by its own segment (`snet`, not `vnet/snet`).
    let own = split_name(name, 1).pop().unwrap_or_else(|| name.clone());
    doc.insert("name".into(), own);
    doc.insert("type".into(), Value::from(ty));
    for k in DOC_KEYS {
        if let Some(v) = raw.get(*k) {
            doc.insert((*k).to_string(), eval_with_loops(v, scope)?);
        }
    }
    let mut doc = Value::Object(doc);
    inline_child_ids(&mut doc, ty);
    Ok(doc)
}

/// Inline children (a VNet's subnets, an NSG's rules) get the ids a GET of
/// the parent shows, so they become resources of their own and references
/// to them resolve.
fn inline_child_ids(doc: &mut Value, ty: &str) {
    let Some((child_ty, _, list)) = crate::load::arm::NESTED
        .iter()
        .find(|(_, p, _)| p.eq_ignore_ascii_case(ty))
    else {
        return;
    };
    let segment = child_ty.rsplit('/').next().unwrap_or_default();
    let parent = functions_parts(doc.get("id").unwrap_or(&Value::Null));
    let Some(Value::Array(items)) = doc
        .as_object_mut()
        .and_then(|o| o.get_mut("properties"))
        .and_then(Value::as_object_mut)
        .and_then(|p| p.get_mut(*list))
    else {
        return;
    };
    for item in items.iter_mut() {
        let Some(o) = item.as_object_mut() else {
            continue;
        };
        if o.contains_key("id") {
            continue;
        }
        let Some(name) = o.get("name").cloned() else {
            continue;
        };
        let mut parts = parent.clone();
        parts.push(Part::Lit(format!("/{segment}/")));
        parts.extend(match &name {
            Value::Unknown(_) => vec![Part::Segment],
            other => functions_parts(other),
        });
        o.insert("id".into(), Partial::build(parts, None));
    }
}
