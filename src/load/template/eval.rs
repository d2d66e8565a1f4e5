//! Template expressions evaluated in a scope: the shared function table
//! ([`functions`]) for everything it computes, and here what needs the
//! template's own scope: `parameters`, `variables`, `copyIndex`, the lambda
//! functions, user-defined functions, and `if` / `coalesce`, which look only
//! at what they need.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use crate::inventory::value::Map;
use crate::inventory::{Unknown, Value};
use crate::policy::expr::{self, Expr, Template};
use crate::policy::functions::{self, Deployment};

use super::outputs::Modules;

/// Why a template cannot be expanded, and the template string it is about
/// (the innermost expression that failed), so the diagnostic can point at it.
#[derive(Debug, Clone)]
pub struct Failed {
    pub message: String,
    pub at: Option<String>,
    /// The linked template the failure is in (else the scanned file).
    pub file: Option<std::rc::Rc<super::linked::Source>>,
}

impl From<String> for Failed {
    fn from(message: String) -> Self {
        Failed {
            message,
            at: None,
            file: None,
        }
    }
}

impl From<&str> for Failed {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

impl Failed {
    /// Names the template string the failure is about, unless an inner one is named.
    pub fn at(mut self, s: &str) -> Self {
        self.at.get_or_insert_with(|| s.to_string());
        self
    }

    /// Names the linked template the failure is in, unless an inner one is named.
    pub fn in_file(mut self, f: &std::rc::Rc<super::linked::Source>) -> Self {
        self.file.get_or_insert_with(|| f.clone());
        self
    }
}

/// A function of the template's `functions` section.
#[derive(Debug, Clone)]
pub struct UserFunction {
    pub params: Vec<String>,
    pub output: Json,
}

/// The variables of one template, evaluated when first read.
#[derive(Debug, Default)]
pub struct Variables {
    raw: serde_json::Map<String, Json>,
    done: RefCell<HashMap<String, Value>>,
    busy: RefCell<HashSet<String>>,
}

impl Variables {
    pub fn new(raw: serde_json::Map<String, Json>) -> Self {
        Variables {
            raw,
            ..Variables::default()
        }
    }

    /// The raw `copy` array of the variables section, if any.
    pub fn loops(&self) -> Option<&Json> {
        self.raw.get("copy")
    }
}

/// Everything an expression can read.
pub struct Scope<'a> {
    pub deployment: &'a Deployment,
    pub params: &'a Map,
    pub vars: &'a Variables,
    pub functions: &'a HashMap<String, UserFunction>,
    /// Loop name → index, innermost last (`copyIndex()` reads the last).
    pub copy: Vec<(String, Value)>,
    /// Lambda variables, innermost last.
    pub lambda: Vec<(String, Value)>,
    /// The nested deployments whose outputs `reference()` reads.
    pub modules: Option<&'a Modules>,
}

impl<'a> Scope<'a> {
    /// A template's scope outside any loop, lambda or nested deployment.
    pub fn new(
        deployment: &'a Deployment,
        params: &'a Map,
        vars: &'a Variables,
        functions: &'a HashMap<String, UserFunction>,
    ) -> Scope<'a> {
        Scope {
            deployment,
            params,
            vars,
            functions,
            copy: Vec::new(),
            lambda: Vec::new(),
            modules: None,
        }
    }

    /// The same scope inside one more loop iteration or lambda call.
    pub fn with(&self, copy: Option<(String, Value)>, lambda: Vec<(String, Value)>) -> Scope<'_> {
        let mut c = self.copy.clone();
        c.extend(copy);
        let mut l = self.lambda.clone();
        l.extend(lambda);
        Scope {
            deployment: self.deployment,
            params: self.params,
            vars: self.vars,
            functions: self.functions,
            copy: c,
            lambda: l,
            modules: self.modules,
        }
    }
}

/// Whether a template may call `name`: the shared table's template
/// functions, and `namespace.name` user-defined functions.
pub fn template_function(name: &str) -> bool {
    name.contains('.') || functions::lookup(name).is_some_and(|f| f.template)
}

/// A template string as a value: an expression if bracketed, else the text.
pub fn eval_str(s: &str, scope: &Scope) -> Result<Value, Failed> {
    if !s.starts_with('[') {
        return Ok(Value::from(s));
    }
    let parsed = expr::parse_with(s, &template_function).map_err(|e| Failed::from(e).at(s))?;
    match parsed {
        Template::Lit(v) => Ok(v.into()),
        Template::Expr(e) => eval(&e, scope).map_err(|e| Failed::from(e).at(s)),
    }
}

/// A JSON value of the template with every expression in it evaluated.
pub fn eval_json(v: &Json, scope: &Scope) -> Result<Value, Failed> {
    Ok(match v {
        Json::String(s) => eval_str(s, scope)?,
        Json::Array(items) => Value::Array(
            items
                .iter()
                .map(|x| eval_json(x, scope))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let Some(k) = key(k, scope)? else {
                    return Ok(object_with_unknown_key(k));
                };
                out.insert(k, eval_json(x, scope)?);
            }
            Value::Object(out)
        }
        other => other.into(),
    })
}

/// A property name: an expression must give a string. A partly known one
/// (`userAssignedIdentities` keyed by an id whose subscription is not
/// given) is keyed by what is known of it, as the model keys such objects.
/// `None` when the name is known only at deployment: the object holding it
/// is then unknown ([`object_with_unknown_key`]), never keyed by a guess.
pub fn key(k: &str, scope: &Scope) -> Result<Option<String>, Failed> {
    match eval_str(k, scope)? {
        Value::String(s) => Ok(Some(s)),
        Value::Partial(p) => Ok(Some(p.to_string())),
        v if v.is_unknown() => Ok(None),
        other => Err(Failed::from(format!(
            "property name `{k}` is not a string ({})",
            other.to_display_json()
        ))
        .at(k)),
    }
}

/// An object one of whose property names is known only at deployment.
pub fn object_with_unknown_key(k: &str) -> Value {
    Unknown::because(format!(
        "an object whose property name `{k}` is known only at deployment"
    ))
}

pub fn eval(e: &Expr, scope: &Scope) -> Result<Value, String> {
    match e {
        Expr::Lit(v) => Ok(v.into()),
        Expr::Prop(base, name) => functions::property(&eval(base, scope)?, name),
        Expr::Index(base, i) => functions::index(&eval(base, scope)?, &eval(i, scope)?),
        Expr::Call(name, args) => call(name, args, scope),
    }
}

/// A call's first argument as a known name.
pub fn name_arg(name: &str, args: &[Expr], scope: &Scope) -> Result<String, String> {
    let first = args
        .first()
        .ok_or_else(|| format!("`{name}` needs an argument"))?;
    match eval(first, scope)? {
        Value::String(s) => Ok(s),
        other => Err(format!(
            "`{name}` needs a known name, got {}",
            other.to_display_json()
        )),
    }
}

fn call(name: &str, args: &[Expr], scope: &Scope) -> Result<Value, String> {
    match name {
        "parameters" => {
            let n = name_arg(name, args, scope)?;
            lookup(scope.params, &n).ok_or_else(|| format!("parameter `{n}` is not declared"))
        }
        "variables" => variable(&name_arg(name, args, scope)?, scope),
        "copyindex" => copy_index(args, scope),
        "if" => if_(args, scope),
        "and" | "or" if args.len() >= 2 => logical(name, args, scope),
        "coalesce" => coalesce(args, scope),
        "tryget" => try_get(args, scope),
        "reference" => reference(args, scope),
        "lambda" => Err(
            "`lambda` is only an argument of map, filter, reduce, sort, toObject, groupBy or mapValues"
                .into(),
        ),
        "lambdavariables" => {
            let n = name_arg(name, args, scope)?;
            scope
                .lambda
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(&n))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| format!("lambda variable `{n}` is not defined"))
        }
        "map" | "filter" | "reduce" | "sort" | "toobject" | "groupby" | "mapvalues" => {
            super::lambdas::call(name, args, scope)
        }
        n if n.contains('.') => user_function(n, args, scope),
        _ => {
            let vals = args
                .iter()
                .map(|a| eval(a, scope))
                .collect::<Result<Vec<_>, _>>()?;
            functions::call(name, &vals, scope.deployment)
        }
    }
}

/// `reference()`: a nested deployment's outputs where the template holds
/// them ([`Modules`]), else what the shared table says (unknown).
fn reference(args: &[Expr], scope: &Scope) -> Result<Value, String> {
    let vals = args
        .iter()
        .map(|a| eval(a, scope))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(m) = scope.modules {
        if let Some(v) = m.reference(&vals, scope)? {
            return Ok(v);
        }
    }
    // Which resource's state it is, so an unknown says what it waits for.
    match vals.first() {
        Some(Value::String(s)) => Ok(Unknown::because(format!(
            "reference('{s}') (known once it is deployed)"
        ))),
        Some(Value::Partial(p)) => Ok(Unknown::because(format!(
            "reference('{p}') (known once it is deployed)"
        ))),
        _ => functions::call("reference", &vals, scope.deployment),
    }
}

fn lookup(m: &Map, name: &str) -> Option<Value> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn variable(n: &str, scope: &Scope) -> Result<Value, String> {
    let key = n.to_ascii_lowercase();
    if let Some(v) = scope.vars.done.borrow().get(&key) {
        return Ok(v.clone());
    }
    let raw = scope
        .vars
        .raw
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(n) && k.as_str() != "copy")
        .map(|(_, v)| v.clone());
    if !scope.vars.busy.borrow_mut().insert(key.clone()) {
        return Err(format!("variable `{n}` refers to itself"));
    }
    // A variable sees neither loops nor lambdas of the expression reading it.
    let inner = Scope {
        modules: scope.modules,
        ..Scope::new(scope.deployment, scope.params, scope.vars, scope.functions)
    };
    let v = match raw {
        Some(raw) => super::copy::eval_with_loops(&raw, &inner).map_err(|f| f.message),
        None => super::copy::variable_loop(n, &inner)
            .map_err(|f| f.message)
            .and_then(|v| v.ok_or_else(|| format!("variable `{n}` is not declared"))),
    };
    scope.vars.busy.borrow_mut().remove(&key);
    let v = v?;
    scope.vars.done.borrow_mut().insert(key, v.clone());
    Ok(v)
}

fn copy_index(args: &[Expr], scope: &Scope) -> Result<Value, String> {
    let mut loop_name = None;
    let mut offset = Value::from(serde_json::json!(0));
    for a in args {
        match eval(a, scope)? {
            Value::String(s) => loop_name = Some(s),
            other => offset = other,
        }
    }
    let found = match &loop_name {
        Some(n) => scope
            .copy
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(n)),
        None => scope.copy.last(),
    };
    let (_, i) = found.ok_or_else(|| match &loop_name {
        Some(n) => format!("copyIndex('{n}') outside the copy loop `{n}`"),
        None => "copyIndex() outside a copy loop".to_string(),
    })?;
    functions::call("add", &[i.clone(), offset], scope.deployment)
}

/// ARM evaluates only the branch the condition takes, so a branch that
/// fails where the condition is false is not an error (`split(id, '/')[8]`
/// of an id that is empty unless given). Where the condition is unknown, a
/// branch that fails is not the one a deployment that succeeds takes: the
/// other is the value (a template that fails deploys nothing to scan).
fn if_(args: &[Expr], scope: &Scope) -> Result<Value, String> {
    let [c, a, b] = args else {
        return Err("`if` takes 3 arguments".into());
    };
    match eval(c, scope)? {
        v if v.has_unknown() => {
            let (x, y) = (eval(a, scope), eval(b, scope));
            Ok(match (x, y) {
                // Both branches alike: the condition does not matter.
                (Ok(x), Ok(y)) if x == y && !x.has_unknown() => x,
                (Ok(x), Err(_)) | (Err(_), Ok(x)) if !x.has_unknown() => x,
                _ => Unknown::because(format!("if() on a condition not known: {}", cause(&v))),
            })
        }
        v => eval(if functions::truthy(&v)? { a } else { b }, scope),
    }
}

/// Why a value is not wholly known, in words (its first unknown spot).
fn cause(v: &Value) -> String {
    match v.first_unknown().map(|(_, u)| u) {
        Some(Value::Partial(p)) => format!("`{p}` is known only in part"),
        Some(Value::Unknown(u)) => u.cause().unwrap_or("known at deployment").to_string(),
        _ => "known at deployment".into(),
    }
}

/// `and` / `or`, left to right, stopping at the first argument that
/// decides (ARM short-circuits them: compiled Bicep such as the corpus's
/// foundry lab writes `and(passedIn, equals(…, split(id, '/')[8]))` with an
/// empty id when nothing is passed in).
/// After an unknown argument, one that fails may never be evaluated by ARM:
/// the result is unknown.
fn logical(name: &str, args: &[Expr], scope: &Scope) -> Result<Value, String> {
    let decides = name == "or";
    let mut unknown = None;
    for a in args {
        match eval(a, scope) {
            Ok(v) if v.has_unknown() => unknown = unknown.or(Some(v)),
            Ok(v) if functions::truthy(&v)? == decides => return Ok(Value::Bool(decides)),
            Ok(_) => {}
            Err(e) if unknown.is_none() => return Err(e),
            Err(_) => {}
        }
    }
    Ok(match unknown {
        Some(u) => functions::first_unknown(&[u]).unwrap_or_else(Unknown::present),
        None => Value::Bool(!decides),
    })
}

fn coalesce(args: &[Expr], scope: &Scope) -> Result<Value, String> {
    for a in args {
        match eval(a, scope)? {
            Value::Null => continue,
            other => return Ok(other),
        }
    }
    Ok(Value::Null)
}

fn try_get(args: &[Expr], scope: &Scope) -> Result<Value, String> {
    let mut v = eval(args.first().ok_or("`tryGet` needs arguments")?, scope)?;
    for a in &args[1..] {
        let k = eval(a, scope)?;
        if v.is_unknown() || k.has_unknown() {
            return Ok(Unknown::because("tryGet() (known at deployment)"));
        }
        v = functions::index(&v, &k).unwrap_or(Value::Null);
    }
    Ok(v)
}

fn user_function(name: &str, args: &[Expr], scope: &Scope) -> Result<Value, String> {
    let f = scope
        .functions
        .get(name)
        .ok_or_else(|| format!("unknown function `{name}`"))?;
    if f.params.len() != args.len() {
        return Err(format!(
            "`{name}` takes {} argument(s), {} given",
            f.params.len(),
            args.len()
        ));
    }
    let mut params = Map::new();
    for (p, a) in f.params.iter().zip(args) {
        params.insert(p.clone(), eval(a, scope)?);
    }
    // A user-defined function sees its own parameters only (ARM's rule).
    let vars = Variables::default();
    let none = HashMap::new();
    let inner = Scope::new(scope.deployment, &params, &vars, &none);
    eval_json(&f.output, &inner).map_err(|f| f.message)
}
