//! ARM deployment templates (`$schema …/deploymentTemplate.json#`, and the
//! subscription, management group and tenant schemas) into the Inventory.
//!
//! The template is expanded as ARM would before deploying it: parameters
//! (a parameters file, defaults), variables, user-defined functions, `copy`
//! loops, `condition`, child and `existing` resources, nested deployments
//! ([`deployments`]), `scope` properties, ids at the deployment's scope. What
//! only the deployment knows (`reference()`, `list*()`, the subscription
//! unless `--subscription` gives it, the resource group, `utcNow()`,
//! `newGuid()`) is unknown or partly known, never guessed, and never an
//! error. Expressions are the shared language of [`crate::policy::expr`]
//! and [`crate::policy::functions`]; the documents then take the one ARM
//! path ([`super::arm::model_documents_to_resources`]), so child folding and
//! the rules are those of ARM snapshots.

mod azd;
mod copy;
mod depends;
mod deployments;
mod entries;
mod eval;
mod expand;
mod graph;
mod lambdas;
mod lines;
mod linked;
mod outputs;
mod params;

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::{json, Value as Json};

pub use entries::{entry_files, files_of};

use super::arm::{self, ArmOutput, ModelDoc};
use super::InputError;
use crate::inventory::value::Map;
use crate::inventory::{Partial, Unknown, Value};
use crate::policy::functions::Deployment;
use eval::{Failed, Scope, UserFunction, Variables};
use expand::{Level, Out, TemplateCx};

/// A parameters file given with the template: its name (for messages) and text.
#[derive(Debug, Clone, Copy)]
pub struct ParametersFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

/// What a template scan is told besides the template.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateOptions<'a> {
    /// `--parameters FILE` (the `azuredeploy.parameters.json` shape, or what
    /// `bicep build-params` writes).
    pub parameters: Option<ParametersFile<'a>>,
    /// `--subscription`: the subscription the template deploys to; else unknown.
    pub subscription: Option<&'a str>,
    /// The template's file on disk, so linked templates' `relativePath`
    /// can be read beside it; `None` (stdin, compiled Bicep) reads none.
    pub file: Option<TemplateOnDisk<'a>>,
}

/// Where a scanned template is on disk, and how findings name it.
#[derive(Debug, Clone, Copy)]
pub struct TemplateOnDisk<'a> {
    pub disk: &'a std::path::Path,
    pub shown: &'a str,
}

/// Whether JSON text is a deployment template: a `$schema` naming one of
/// ARM's `…DeploymentTemplate.json` schemas. Looked for textually, near the
/// top, so detection does not parse the file twice.
pub fn is_template(text: &str) -> bool {
    schema_of(text).is_some_and(|s| s.contains("deploymenttemplate.json"))
}

/// Whether JSON text is a deployment parameters file (scanned only with `--parameters`).
pub fn is_parameters_file(text: &str) -> bool {
    schema_of(text).is_some_and(|s| s.contains("deploymentparameters.json"))
}

fn schema_of(text: &str) -> Option<String> {
    let head: String = text
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    let at = head.find("\"$schema\"")?;
    let rest = &head[at + 9..];
    let start = rest.find('"')? + 1;
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_string())
}

/// Reads one ARM deployment template into ARM resources.
///
/// CONTRACT (the Bicep reader relies on it): `path` names the template in
/// messages and findings' `origin.file`; `text` is the template JSON as
/// `bicep build --stdout` or a person wrote it; `opts.parameters` is a
/// parameters file's text (`{"parameters": {name: {"value"|"reference"}}}`).
/// Returns the resources every deployment of it creates, in the same
/// [`ArmOutput`] the ARM snapshot reader returns (`snapshot` is `None`;
/// `notes` say what only the deployment knows: parameters without a value,
/// conditions, linked templates). A template ARM would refuse (bad JSON, a
/// bad expression, an unknown function, a `copy` count over 800, a circular
/// `dependsOn`, an undeclared parameter) is an `Err` located at the
/// offending text; values unknown before deployment are never an error.
#[allow(clippy::result_large_err)]
pub fn read_template(
    path: &str,
    text: &str,
    opts: &TemplateOptions,
) -> Result<ArmOutput, InputError> {
    // ARM reads comments in templates; blanked, so offsets stay those of `text`.
    let json = without_comments(text);
    let tpl: Json = serde_json::from_str(&json)
        .map_err(|e| InputError::json(path, text, &e, "ARM template"))?;
    if !tpl.is_object() {
        return Err(InputError::new(path, "an ARM template is a JSON object"));
    }
    let given = match opts.parameters {
        Some(p) => params::parse_file(p.text)
            .map_err(|m| InputError::new(p.path, format!("parameters file: {m}")))?,
        None => Map::new(),
    };
    let mut out = Out::default();
    let cx = root_context(&tpl, given, opts, &mut out).map_err(|f| located(path, text, f, opts))?;
    expand::expand(&tpl, &cx, &mut out).map_err(|f| located(path, text, f, opts))?;
    link_references(&mut out.docs);
    let (mut resources, errors) = arm::model_documents_to_resources(Some(path), out.docs);
    on_declaration_lines(&mut resources, &lines::DeclarationLines::of(&json));
    in_linked_files(&mut resources, &out.linked);
    let mut notes: Vec<String> = out
        .notes
        .into_iter()
        .map(|n| format!("{path}: {n}"))
        .collect();
    let ignores = super::declared::inline_ignores(&resources, &mut notes);
    Ok(ArmOutput {
        resources,
        errors: errors
            .into_iter()
            .map(|e| InputError::new(path, e.message))
            .collect(),
        snapshot: None,
        notes,
        ignores,
    })
}

/// The file's own template: its scope, parameters, variables and functions.
fn root_context(
    tpl: &Json,
    given: Map,
    opts: &TemplateOptions,
    out: &mut Out,
) -> Result<TemplateCx, Failed> {
    let level = Level::of_schema(tpl.get("$schema").and_then(Json::as_str).unwrap_or(""));
    let deployment = Rc::new(deployment_of(opts.subscription, level));
    let place = deployments::Declared {
        level,
        depth: 0,
        file: opts
            .file
            .map(|f| linked::TemplateFile::root(f.disk, f.shown)),
    };
    let (cx, unset) = own_scope(tpl, deployment, given, String::new(), place)?;
    if !unset.is_empty() {
        out.notes.push(format!(
            "parameters without a value are unknown (give them with --parameters FILE): {}",
            unset.join(", ")
        ));
    }
    Ok(cx)
}

/// A template with its own scope (the file's, or a nested deployment's with
/// `inner` evaluation): its variables, functions and parameters, given ones
/// first, then defaults. Also says which parameters have no value.
fn own_scope(
    tpl: &Json,
    deployment: Rc<Deployment>,
    given: Map,
    at: String,
    place: deployments::Declared,
) -> Result<(TemplateCx, Vec<String>), Failed> {
    let vars = Rc::new(Variables::new(
        tpl.get("variables")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default(),
    ));
    let functions = Rc::new(user_functions(tpl));
    let empty = Map::new();
    let scope = Scope::new(&deployment, &empty, &vars, &functions);
    let mut unset = Vec::new();
    let p = params::resolve(tpl.get("parameters"), given, &scope, &mut unset)?;
    let modules = Rc::new(outputs::Modules::of(
        tpl,
        place.clone(),
        &Scope::new(&deployment, &p, &vars, &functions),
    ));
    let cx = TemplateCx {
        deployment,
        params: Rc::new(p),
        vars,
        functions,
        level: place.level,
        at,
        depth: place.depth,
        modules,
        file: place.file,
    };
    Ok((cx, unset))
}

/// What the deployment is known to be before it runs: the subscription when
/// given, nothing else.
fn deployment_of(subscription: Option<&str>, level: Level) -> Deployment {
    let mut d = Deployment::unknown();
    let sub = subscription.map(Value::from).unwrap_or_else(|| {
        Unknown::because("subscription().subscriptionId (give it with --subscription)")
    });
    d.subscription = deployments::subscription_value(&sub);
    if level == Level::ResourceGroup {
        let mut rg = Map::new();
        let name = Unknown::because("resourceGroup().name (known at deployment)");
        let id = Partial::build(
            crate::policy::functions::resource_id_parts(&sub, &name),
            None,
        );
        rg.insert("id".into(), id);
        rg.insert("name".into(), name);
        rg.insert(
            "location".into(),
            Unknown::because("resourceGroup().location (known at deployment)"),
        );
        rg.insert(
            "type".into(),
            Value::from("Microsoft.Resources/resourceGroups"),
        );
        d.resource_group = Value::Object(rg);
    }
    d.deployment = json!({"properties": {}}).into();
    if let Value::Object(m) = &mut d.deployment {
        m.insert(
            "name".into(),
            Unknown::because("deployment().name (known at deployment)"),
        );
    }
    d
}

/// The template's `functions` section: `namespace.member` → definition.
fn user_functions(tpl: &Json) -> HashMap<String, UserFunction> {
    let mut out = HashMap::new();
    for ns in tpl
        .get("functions")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let Some(prefix) = ns.get("namespace").and_then(Json::as_str) else {
            continue;
        };
        for (name, f) in ns
            .get("members")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
        {
            let params = f
                .get("parameters")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("name").and_then(Json::as_str).map(str::to_string))
                .collect();
            let output = f.pointer("/output/value").cloned().unwrap_or(Json::Null);
            out.insert(
                format!("{prefix}.{name}").to_ascii_lowercase(),
                UserFunction { params, output },
            );
        }
    }
    out
}

/// A partly known id that is the id of a resource of the template refers to
/// it ([`Partial::of`]), so `->` and the joins find it as they find a
/// Terraform reference's.
fn link_references(docs: &mut [ModelDoc]) {
    // An id whose names are partly known and that reads alike for two
    // resources refers to neither.
    let mut ids: HashMap<String, Option<String>> = HashMap::new();
    let mut add = |v: Option<&Value>| {
        if let Some(Value::Partial(p)) = v {
            let shown = p.to_string();
            let alike = !arm::names_known(&shown);
            ids.entry(shown.to_ascii_lowercase())
                .and_modify(|a| {
                    if alike {
                        *a = None
                    }
                })
                .or_insert(Some(shown));
        }
    };
    for d in docs.iter() {
        add(d.doc.get("id"));
        // Inline children become resources of their own (see `arm`).
        for (_, _, list) in arm::NESTED {
            let items = d.doc.get("properties").and_then(|p| p.get(list));
            for item in items.and_then(Value::as_array).into_iter().flatten() {
                add(item.get("id"));
            }
        }
    }
    let ids: HashMap<String, String> = ids
        .into_iter()
        .filter_map(|(k, a)| a.map(|a| (k, a)))
        .collect();
    if ids.is_empty() {
        return;
    }
    for d in docs.iter_mut() {
        link(&mut d.doc, &ids);
    }
}

fn link(v: &mut Value, ids: &HashMap<String, String>) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| link(x, ids)),
        Value::Object(m) => m.values_mut().for_each(|x| link(x, ids)),
        Value::Partial(p) if p.of.is_none() => {
            if let Some(addr) = ids.get(&p.to_string().trim_end_matches('/').to_ascii_lowercase()) {
                *v = Value::Partial(Arc::new(Partial {
                    parts: p.parts.clone(),
                    of: Some(addr.clone()),
                }));
            }
        }
        _ => {}
    }
}

/// The text with `//` and `/* */` comments outside strings replaced by
/// spaces (newlines kept), as ARM accepts them.
fn without_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("//") && !text.contains("/*") {
        return std::borrow::Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let (mut i, mut in_str) = (0, false);
    while i < b.len() {
        match (in_str, b[i]) {
            (true, b'\\') => i += 1,
            (_, b'"') => in_str = !in_str,
            (false, b'/') if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
                continue;
            }
            (false, b'/') if b.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                for c in &mut out[i..end] {
                    if *c != b'\n' {
                        *c = b' ';
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes outside strings were replaced, by ASCII spaces.
    std::borrow::Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| text.to_string()))
}

/// Each resource on the line of its declaration.
fn on_declaration_lines(
    resources: &mut [crate::inventory::Resource],
    lines: &lines::DeclarationLines,
) {
    for r in resources {
        r.origin.line = r.origin.detail.as_deref().and_then(|d| lines.line(d));
    }
}

/// Resources of linked templates name the linked file, their JSON path in it
/// (the innermost link whose path theirs starts with) and their line there.
fn in_linked_files(
    resources: &mut [crate::inventory::Resource],
    linked: &[(String, Rc<linked::Source>)],
) {
    let mut by_file: HashMap<&str, lines::DeclarationLines> = HashMap::new();
    for r in resources {
        let Some(detail) = r.origin.detail.as_deref() else {
            continue;
        };
        let inner = linked
            .iter()
            .filter(|(prefix, _)| detail.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len());
        if let Some((prefix, src)) = inner {
            let rest = detail[prefix.len()..].to_string();
            let lines = by_file
                .entry(src.shown.as_str())
                .or_insert_with(|| lines::DeclarationLines::of(&without_comments(&src.text)));
            r.origin.line = lines.line(&rest);
            r.origin.detail = Some(rest);
            r.origin.file = Some(src.shown.clone());
        }
    }
}

/// A failure as a diagnostic at the template text it is about: the scanned
/// file's, or the linked template's it happened in.
fn located(path: &str, text: &str, f: Failed, _opts: &TemplateOptions) -> InputError {
    let (path, text) = match &f.file {
        Some(src) => (src.shown.as_str(), src.text.as_str()),
        None => (path, text),
    };
    let err = InputError::new(path, f.message);
    let Some(needle) = f.at else { return err };
    let quoted = serde_json::to_string(&needle).unwrap_or_default();
    match text.find(&quoted) {
        Some(off) => err.at_span(text, off, quoted.len(), "here"),
        None => err,
    }
}
