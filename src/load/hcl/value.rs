//! The evaluator's values. Unknown is a first-class value, as in Terraform:
//! anything computed from an unknown is unknown, and it is never guessed.

use std::collections::BTreeMap;

use serde_json::Value;

/// A Terraform value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// Lists, tuples and sets (sets are kept sorted and deduplicated).
    List(Vec<Val>),
    /// Maps and objects.
    Map(BTreeMap<String, Val>),
    /// A resource, data source or nested block instance: an attribute that
    /// the configuration does not set is computed by the provider, so reading
    /// it gives unknown instead of an error.
    Res(BTreeMap<String, Val>, Option<String>),
    /// Not known before apply. Carries the address of the resource instance
    /// it comes from, when it comes from one, so that references survive
    /// locals, variables and module boundaries.
    Unknown(Option<String>),
    /// A string template with unknown parts (`None`) between known ones,
    /// and the address the first unknown part comes from. Only stored values
    /// (attributes, locals, outputs, module inputs) hold one: anything that
    /// computes with it sees it [`settled`](Val::settled) to unknown.
    Partial(Vec<Option<String>>, Option<String>),
}

impl Val {
    pub fn unknown() -> Val {
        Val::Unknown(None)
    }

    pub fn str(s: impl Into<String>) -> Val {
        Val::Str(s.into())
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Val::Unknown(_) | Val::Partial(..))
    }

    /// The value with every partly known string made unknown, for
    /// computing with it.
    pub fn settled(self) -> Val {
        match self {
            Val::Partial(_, o) => Val::Unknown(o),
            Val::List(l) if l.iter().any(Val::has_partial) => {
                Val::List(l.into_iter().map(Val::settled).collect())
            }
            Val::Map(m) if m.values().any(Val::has_partial) => {
                Val::Map(m.into_iter().map(|(k, v)| (k, v.settled())).collect())
            }
            Val::Res(m, a) if m.values().any(Val::has_partial) => {
                Val::Res(m.into_iter().map(|(k, v)| (k, v.settled())).collect(), a)
            }
            v => v,
        }
    }

    fn has_partial(&self) -> bool {
        match self {
            Val::Partial(..) => true,
            Val::List(l) => l.iter().any(Val::has_partial),
            Val::Map(m) | Val::Res(m, _) => m.values().any(Val::has_partial),
            _ => false,
        }
    }

    /// Whether the value or anything inside it is unknown.
    pub fn has_unknown(&self) -> bool {
        match self {
            Val::Unknown(_) | Val::Partial(..) => true,
            Val::List(l) => l.iter().any(Val::has_unknown),
            Val::Map(m) | Val::Res(m, _) => m.values().any(Val::has_unknown),
            _ => false,
        }
    }

    /// The first resource address an unknown inside this value comes from.
    pub fn unknown_origins(&self, out: &mut Vec<String>) {
        match self {
            Val::Unknown(Some(a)) | Val::Partial(_, Some(a)) if !out.contains(a) => {
                out.push(a.clone())
            }
            Val::List(l) => l.iter().for_each(|v| v.unknown_origins(out)),
            Val::Map(m) | Val::Res(m, _) => m.values().for_each(|v| v.unknown_origins(out)),
            _ => {}
        }
    }

    /// The value as a plan shows it: a list (or set) of values holding an
    /// unknown element is wholly unknown, since most such attributes are sets
    /// in the provider schema and a set with an unknown element is unknown.
    /// Nested block lists keep their shape.
    pub fn plan_shape(&self) -> Val {
        match self {
            Val::List(l) => match l.iter().find(|x| x.is_unknown()) {
                Some(u) => u.clone().settled(),
                None => Val::List(l.iter().map(Val::plan_shape).collect()),
            },
            Val::Map(m) => Val::Map(m.iter().map(|(k, v)| (k.clone(), v.plan_shape())).collect()),
            Val::Res(m, a) => Val::Res(
                m.iter().map(|(k, v)| (k.clone(), v.plan_shape())).collect(),
                a.clone(),
            ),
            v => v.clone(),
        }
    }

    /// Terraform's type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "bool",
            Val::Num(_) => "number",
            Val::Str(_) => "string",
            Val::List(_) => "list",
            Val::Map(_) | Val::Res(..) => "object",
            Val::Unknown(_) => "unknown",
            Val::Partial(..) => "string",
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Val>> {
        match self {
            Val::Map(m) | Val::Res(m, _) => Some(m),
            _ => None,
        }
    }

    /// A string rendering of a primitive, as Terraform converts it to string.
    pub fn to_str(&self) -> Option<String> {
        match self {
            Val::Str(s) => Some(s.clone()),
            Val::Bool(b) => Some(b.to_string()),
            Val::Num(n) => Some(fmt_num(*n)),
            _ => None,
        }
    }

    /// Converts a JSON value (tfvars JSON, jsondecode, `--var`).
    pub fn from_json(v: &Value) -> Val {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(n.as_f64().unwrap_or(0.0)),
            Value::String(s) => Val::Str(s.clone()),
            Value::Array(a) => Val::List(a.iter().map(Val::from_json).collect()),
            Value::Object(o) => Val::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Val::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The value as plan JSON's `after` shows it: unknowns are dropped from
    /// objects and become `null` inside lists.
    pub fn to_json(&self) -> Value {
        match self {
            Val::Null | Val::Unknown(_) | Val::Partial(..) => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => num_json(*n),
            Val::Str(s) => Value::String(s.clone()),
            Val::List(l) => Value::Array(l.iter().map(Val::to_json).collect()),
            Val::Map(m) | Val::Res(m, _) => Value::Object(
                m.iter()
                    .filter(|(_, v)| !v.is_unknown())
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The value as the Inventory holds it: known, unknown (set by the
    /// configuration, so present after apply) or partly known.
    pub fn to_value(&self) -> crate::inventory::Value {
        use crate::inventory::{Unknown, Value as V};
        match self {
            Val::Null => V::Null,
            Val::Unknown(_) => Unknown::present(),
            Val::Partial(parts, _) => crate::inventory::Partial::build(
                parts
                    .iter()
                    .map(|p| match p {
                        Some(s) => crate::inventory::Part::Lit(s.clone()),
                        None => crate::inventory::Part::Gap,
                    })
                    .collect(),
                None,
            ),
            Val::List(l) => V::Array(l.iter().map(Val::to_value).collect()),
            Val::Map(m) | Val::Res(m, _) => {
                V::Object(m.iter().map(|(k, v)| (k.clone(), v.to_value())).collect())
            }
            other => V::from(other.to_json()),
        }
    }

    /// Terraform's truthiness is strict: only bools (and "true"/"false").
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Str(s) if s == "true" => Some(true),
            Val::Str(s) if s == "false" => Some(false),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// A template as it renders: known text, and the unknown parts between.
#[derive(Debug, Default)]
pub struct Rendered {
    parts: Vec<Option<String>>,
    cur: String,
    /// Where the first unknown part comes from.
    origin: Option<String>,
}

impl Rendered {
    pub fn push_str(&mut self, s: &str) {
        self.cur.push_str(s);
    }

    /// An unknown part, coming from `origin`.
    pub fn gap(&mut self, origin: Option<String>) {
        self.parts.push(Some(std::mem::take(&mut self.cur)));
        self.parts.push(None);
        if self.origin.is_none() {
            self.origin = origin;
        }
    }

    /// A partly known string spliced in.
    pub fn splice(&mut self, parts: &[Option<String>], origin: Option<String>) {
        for p in parts {
            match p {
                Some(s) => self.cur.push_str(s),
                None => self.gap(origin.clone()),
            }
        }
    }

    /// The string, partly known when a part is not known.
    pub fn finish(mut self) -> Val {
        if self.parts.is_empty() {
            return Val::Str(self.cur);
        }
        self.parts.push(Some(self.cur));
        self.parts.retain(|p| p.as_deref() != Some(""));
        Val::Partial(self.parts, self.origin)
    }
}

/// Numbers print like Terraform: integers without a fraction.
pub fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn num_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plan_shapes() {
        let mut m = BTreeMap::new();
        m.insert("name".to_string(), Val::str("a"));
        m.insert("id".to_string(), Val::unknown());
        m.insert(
            "ids".to_string(),
            Val::List(vec![Val::unknown(), Val::str("x")]),
        );
        m.insert("n".to_string(), Val::Num(3.0));
        let v = Val::Map(m);
        assert_eq!(
            v.to_json(),
            json!({"name": "a", "ids": [null, "x"], "n": 3})
        );
        let typed = v.to_value();
        assert!(typed["id"].as_unknown().is_some_and(|u| u.present));
        assert!(typed["ids"][0].is_unknown());
        assert_eq!(typed["n"], crate::inventory::Value::from(json!(3)));
        assert!(v.has_unknown());
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(10.0), "10");
    }
}
