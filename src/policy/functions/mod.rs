//! The functions of the ARM template expression language, written once for
//! both languages that use it: Azure Policy rules (`src/policy/expr.rs`) and
//! deployment templates (`src/load/template/`).
//!
//! [`FUNCTIONS`] is the table: every function of Azure's template function
//! list, with what it is. A *pure* function is computed here from its
//! arguments; a *scope* function reads the [`Deployment`] its caller passes
//! (subscription, resource group, deployment, tenant, management group,
//! environment, the time), where a value not given is unknown; a
//! *deployment-time* function's result exists only once ARM deploys
//! (`reference`, `list*`, `newGuid`) and is unknown, never guessed; an
//! *evaluator* function needs the caller's scope (`parameters`, `variables`,
//! `copyIndex`, the lambdas, `if` and `coalesce`, which evaluate lazily) and
//! is implemented by each evaluator. This module knows no input format.
//!
//! Values are the model's ([`Value`]): an argument not known makes the result
//! unknown, except where known parts still decide it (`concat` and `format`
//! build partly known strings, the `*ResourceId` functions partly known ids).

mod cidr;
mod dates;
mod ids;
mod strings;
mod values;

use crate::inventory::{Unknown, Value};

pub use ids::resource_id_parts;
pub use values::{as_i64, canonical, compare, loose_eq, truthy};

/// What a function of the table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Computed from its arguments.
    Pure,
    /// Reads the [`Deployment`] context (unknown where it is not given).
    Scope,
    /// Its result exists only at deployment: unknown.
    DeploymentTime,
    /// Needs the evaluator's own scope or lazy arguments.
    Evaluator,
    /// Computed by ARM with a hash of its own that mcpguard does not
    /// reproduce (`uniqueString`, `guid`): unknown, never a made-up value.
    Opaque,
}

/// One function of the table.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// Lower case, as calls are matched.
    pub name: &'static str,
    pub kind: Kind,
    /// Available in Azure Policy rules (Azure Policy excludes some template
    /// functions, and adds `field`, `current`, `policy`, `requestContext`,
    /// `ipRangeContains`, `addDays`).
    pub policy: bool,
    /// Available in deployment templates.
    pub template: bool,
}

const fn f(name: &'static str, kind: Kind, policy: bool, template: bool) -> Function {
    Function {
        name,
        kind,
        policy,
        template,
    }
}

use Kind::{DeploymentTime as D, Evaluator as E, Opaque as O, Pure as P, Scope as S};

/// The table. `list*` functions (`listKeys`, `listSecrets`, any `list…`) are
/// matched by prefix ([`lookup`]).
#[rustfmt::skip]
pub const FUNCTIONS: &[Function] = &[
    // array
    f("array", P, true, true), f("concat", P, true, true), f("contains", P, true, true),
    f("createarray", P, true, true), f("empty", P, true, true), f("first", P, true, true),
    f("flatten", P, true, true), f("indexfromend", P, true, true), f("indexof", P, true, true),
    f("intersection", P, true, true), f("last", P, true, true), f("lastindexof", P, true, true),
    f("length", P, true, true), f("max", P, true, true), f("min", P, true, true),
    f("range", P, true, true), f("skip", P, true, true), f("take", P, true, true),
    f("tryget", E, true, true), f("tryindexfromend", P, true, true), f("union", P, true, true),
    // cidr
    f("parsecidr", P, true, true), f("cidrsubnet", P, true, true), f("cidrhost", P, true, true),
    // comparison
    f("coalesce", E, true, true), f("equals", P, true, true), f("greater", P, true, true),
    f("greaterorequals", P, true, true), f("less", P, true, true), f("lessorequals", P, true, true),
    // date
    f("datetimeadd", P, false, true), f("datetimefromepoch", P, false, true),
    f("datetimetoepoch", P, false, true), f("utcnow", S, true, true), f("adddays", P, true, false),
    // deployment
    f("deployment", S, false, true), f("environment", S, false, true),
    f("parameters", E, true, true), f("variables", E, false, true),
    // lambda
    f("filter", E, false, true), f("groupby", E, false, true), f("lambda", E, false, true),
    f("lambdavariables", E, false, true), f("map", E, false, true), f("mapvalues", E, false, true),
    f("reduce", E, false, true), f("sort", E, false, true), f("toobject", E, false, true),
    // logical
    f("and", P, true, true), f("bool", P, true, true), f("false", P, true, true),
    f("if", E, true, true), f("not", P, true, true), f("or", P, true, true),
    f("true", P, true, true),
    // numeric
    f("add", P, true, true), f("copyindex", E, false, true), f("div", P, true, true),
    f("float", P, true, true), f("int", P, true, true), f("mod", P, true, true),
    f("mul", P, true, true), f("sub", P, true, true),
    // object
    f("createobject", P, true, true), f("items", P, true, true), f("json", P, true, true),
    f("null", P, true, true), f("objectkeys", P, true, true), f("shallowmerge", P, true, true),
    // resource
    f("extensionresourceid", S, false, true), f("listaccountsas", D, false, true),
    f("listkeys", D, false, true), f("listsecrets", D, false, true), f("list", D, false, true),
    f("managementgroupresourceid", S, false, true), f("pickzones", D, false, true),
    f("providers", D, false, true), f("reference", D, false, true), f("references", D, false, true),
    f("resourceid", S, false, true), f("subscriptionresourceid", S, false, true),
    f("tenantresourceid", S, false, true),
    // scope
    f("managementgroup", S, false, true), f("resourcegroup", S, true, true),
    f("subscription", S, true, true), f("tenant", S, false, true),
    // string
    f("base64", P, true, true), f("base64tojson", P, true, true), f("base64tostring", P, true, true),
    f("datauri", P, true, true), f("datauritostring", P, true, true), f("endswith", P, true, true),
    f("format", P, true, true), f("guid", O, true, true), f("newguid", D, false, true),
    f("padleft", P, true, true), f("replace", P, true, true), f("split", P, true, true),
    f("startswith", P, true, true), f("string", P, true, true), f("substring", P, true, true),
    f("tolower", P, true, true), f("toupper", P, true, true), f("trim", P, true, true),
    f("uniquestring", O, true, true), f("uri", P, true, true), f("uricomponent", P, true, true),
    f("uricomponenttostring", P, true, true), f("join", P, true, true), f("any", P, false, true),
    // Azure Policy's own
    f("field", E, true, false), f("current", E, true, false), f("policy", E, true, false),
    f("requestcontext", E, true, false), f("iprangecontains", P, true, false),
];

/// The table's entry for a call name (case-insensitive). Any `list…` name is
/// a `list*` function.
pub fn lookup(name: &str) -> Option<&'static Function> {
    let l = name.to_ascii_lowercase();
    FUNCTIONS.iter().find(|f| f.name == l).or_else(|| {
        l.starts_with("list")
            .then(|| FUNCTIONS.iter().find(|f| f.name == "list"))
            .flatten()
    })
}

/// What the scope functions read: where the deployment goes and when. A
/// value not given is unknown ([`Deployment::unknown`]); the policy
/// evaluator passes what the resource's id says and the time of the scan.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// `subscription()`: `{id, subscriptionId, tenantId, displayName}`.
    pub subscription: Value,
    /// `resourceGroup()`: `{id, name, type, location, properties, …}`.
    pub resource_group: Value,
    /// `deployment()`.
    pub deployment: Value,
    /// `tenant()`.
    pub tenant: Value,
    /// `managementGroup()`.
    pub management_group: Value,
    /// `environment()`.
    pub environment: Value,
    /// `utcNow()`: the time, where the caller's language evaluates it now
    /// (a policy rule at evaluation); `None` at a deployment not yet run.
    pub now: Option<time::OffsetDateTime>,
}

impl Deployment {
    /// A deployment nothing is known of yet: every scope value is unknown.
    pub fn unknown() -> Deployment {
        let u = |what: &str| Unknown::because(format!("{what} (known at deployment)"));
        Deployment {
            subscription: u("subscription()"),
            resource_group: u("resourceGroup()"),
            deployment: u("deployment()"),
            tenant: u("tenant()"),
            management_group: u("managementGroup()"),
            environment: u("environment()"),
            now: None,
        }
    }

    /// The subscription id (`subscription().subscriptionId`), maybe unknown.
    pub fn subscription_id(&self) -> Value {
        member(&self.subscription, "subscriptionId")
    }

    /// The resource group name (`resourceGroup().name`), maybe unknown.
    pub fn resource_group_name(&self) -> Value {
        member(&self.resource_group, "name")
    }
}

/// `value.name` (case-insensitive); unknown when the value is; an error when a
/// known object has no such member, as ARM's is.
pub fn property(v: &Value, name: &str) -> Result<Value, String> {
    match v {
        Value::Object(m) => m
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("the value has no property `{name}`")),
        Value::Unknown(_) => Ok(unknown_like(v)),
        Value::Partial(_) => Ok(Unknown::because(v.to_string())),
        other => Err(format!(
            "cannot read property `{name}` of `{}`",
            canonical(other)
        )),
    }
}

/// `value[index]`: an array element or an object member.
/// An element known only in part is still that element.
pub fn index(v: &Value, i: &Value) -> Result<Value, String> {
    if matches!(v, Value::Unknown(_) | Value::Partial(_)) || i.has_unknown() {
        return Ok(first_unknown(&[v.clone(), i.clone()]).unwrap_or_else(Unknown::present));
    }
    match (v, i) {
        (Value::Array(a), _) => {
            let n = values::as_i64(i)?;
            usize::try_from(n)
                .ok()
                .and_then(|n| a.get(n))
                .cloned()
                .ok_or_else(|| format!("index {n} is out of range (length {})", a.len()))
        }
        (Value::Object(_), Value::String(k)) => property(v, k),
        _ => Err(format!(
            "cannot index `{}` with `{}`",
            canonical(v),
            canonical(i)
        )),
    }
}

fn member(v: &Value, name: &str) -> Value {
    property(v, name).unwrap_or_else(|_| Unknown::because(format!("{name} (not given)")))
}

/// An unknown derived from `v` that keeps its cause.
fn unknown_like(v: &Value) -> Value {
    match v {
        Value::Unknown(u) => match u.cause() {
            Some(c) => Unknown::because(c.to_string()),
            None => Unknown::present(),
        },
        other => Unknown::because(other.to_string()),
    }
}

/// The first argument not wholly known, as the unknown a result becomes.
pub fn first_unknown(args: &[Value]) -> Option<Value> {
    args.iter().find(|a| a.has_unknown()).map(|a| match a {
        Value::Unknown(_) | Value::Partial(_) => unknown_like(a),
        inner => inner
            .first_unknown()
            .map(|(_, u)| unknown_like(u))
            .unwrap_or_else(Unknown::present),
    })
}

/// Calls a pure, scope or deployment-time function with evaluated arguments.
/// Evaluator functions are the caller's ([`Kind::Evaluator`]); calling one
/// here is an error naming it.
pub fn call(name: &str, args: &[Value], d: &Deployment) -> Result<Value, String> {
    let Some(func) = lookup(name) else {
        return Err(format!("unknown function `{name}`"));
    };
    match func.kind {
        Kind::DeploymentTime => Ok(Unknown::because(format!("{name}() (known at deployment)"))),
        Kind::Scope => ids::scope_call(func.name, args, d),
        Kind::Evaluator => Err(format!("`{name}` is evaluated by the expression evaluator")),
        Kind::Opaque => Ok(first_unknown(args).unwrap_or_else(|| {
            Unknown::because(format!("{name}() (ARM's own hash, not reproduced)"))
        })),
        Kind::Pure => {
            // The functions that build strings keep what is known of them.
            if let Some(v) = strings::partial_call(func.name, args) {
                return v;
            }
            if shape_call(func.name, args) {
                return pure(func.name, args);
            }
            if let Some(u) = first_unknown(args) {
                return Ok(u);
            }
            pure(func.name, args)
        }
    }
}

/// Functions whose result is the shape of a collection (its length, its
/// ends, a slice, its keys), not the values of its elements.
const SHAPE_FUNCTIONS: &[&str] = &[
    "array",
    "concat",
    "createarray",
    "createobject",
    "empty",
    "first",
    "flatten",
    "indexfromend",
    "items",
    "last",
    "length",
    "objectkeys",
    "skip",
    "take",
    "tryindexfromend",
];

/// Whether a shape function's arguments are known as far as its result
/// needs: collections may hold elements known only in part (a list of ids
/// whose subscription is not given still has a length and a first element);
/// every other argument is known whole. `createArray` needs nothing known,
/// `createObject` its keys.
fn shape_call(name: &str, args: &[Value]) -> bool {
    if !SHAPE_FUNCTIONS.contains(&name) {
        return false;
    }
    let known = |a: &Value| matches!(a, Value::Array(_) | Value::Object(_)) || !a.has_unknown();
    match name {
        "createarray" => true,
        "createobject" => args.iter().step_by(2).all(|k| !k.has_unknown()),
        "concat" => args.iter().all(Value::is_array),
        _ => args.iter().all(known),
    }
}

fn pure(name: &str, args: &[Value]) -> Result<Value, String> {
    let out = strings::call(name, args)
        .or_else(|| values::call(name, args))
        .or_else(|| dates::call(name, args))
        .or_else(|| cidr::call(name, args));
    out.unwrap_or_else(|| Err(format!("function `{name}` has no implementation")))
}

/// Argument `n` of a call, or an error naming the function.
fn arg<'a>(name: &str, args: &'a [Value], n: usize) -> Result<&'a Value, String> {
    args.get(n)
        .ok_or_else(|| format!("`{name}` needs argument {}", n + 1))
}

/// Argument `n` as a string (numbers and booleans as ARM writes them).
fn arg_str(name: &str, args: &[Value], n: usize) -> Result<String, String> {
    arg(name, args, n).map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(name: &str, args: serde_json::Value) -> Value {
        let args: Vec<Value> = args.as_array().unwrap().iter().map(Value::from).collect();
        call(name, &args, &Deployment::unknown()).unwrap()
    }

    #[test]
    fn every_name_is_lower_case_and_once() {
        let mut seen = std::collections::BTreeSet::new();
        for f in FUNCTIONS {
            assert_eq!(f.name, f.name.to_ascii_lowercase());
            assert!(seen.insert(f.name), "{} twice", f.name);
        }
        assert_eq!(lookup("listConnectionStrings").unwrap().name, "list");
    }

    /// A partly known string with a known character is not empty; a list
    /// whose elements are partly known has a length and elements.
    #[test]
    fn partly_known_values_that_still_decide() {
        use crate::inventory::{Part, Partial};
        let id = Partial::build(
            vec![
                Part::Lit("/subscriptions/".into()),
                Part::Segment,
                Part::Lit("/x".into()),
            ],
            None,
        );
        let d = Deployment::unknown();
        assert_eq!(
            call("empty", std::slice::from_ref(&id), &d).unwrap(),
            Value::Bool(false)
        );
        let gap = Partial::build(vec![Part::Gap, Part::Gap], None);
        assert!(call("empty", &[gap], &d).unwrap().is_unknown());
        let list = Value::Array(vec![id.clone(), Value::from("b")]);
        assert_eq!(
            call("length", std::slice::from_ref(&list), &d).unwrap(),
            Value::from(json!(2))
        );
        assert_eq!(call("first", std::slice::from_ref(&list), &d).unwrap(), id);
        assert_eq!(
            index(&list, &Value::from(json!(1))).unwrap(),
            Value::from("b")
        );
        // Equality needs the elements: still unknown.
        assert!(call("contains", &[list, Value::from("c")], &d)
            .unwrap()
            .is_unknown());
    }

    #[test]
    fn pure_functions() {
        assert_eq!(ev("concat", json!(["a", "b"])), "ab");
        assert_eq!(ev("format", json!(["{0}-{1}", "a", 2])), "a-2");
        assert_eq!(ev("base64", json!(["hi"])), "aGk=");
        assert_eq!(
            ev("objectkeys", json!([{"b": 1, "a": 2}])),
            json!(["a", "b"])
        );
    }

    #[test]
    fn unknown_arguments() {
        let args = vec![Value::from("img:"), Unknown::present()];
        let v = call("concat", &args, &Deployment::unknown()).unwrap();
        assert_eq!(v.as_partial().unwrap().to_string(), "img:{unknown}");
        let v = call("tolower", &[Unknown::present()], &Deployment::unknown()).unwrap();
        assert!(v.is_unknown());
        let v = call("reference", &[Value::from("x")], &Deployment::unknown()).unwrap();
        assert!(v.is_unknown());
    }
}
