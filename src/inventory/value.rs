//! The Inventory's values: known, unknown, or partly known, each carried by
//! the value itself.
//!
//! A document is a tree of [`Value`]s shaped like ARM JSON. Where a reader
//! cannot know a value before apply, the tree holds [`Value::Unknown`] at that
//! spot; where it knows only some parts of a string (an image
//! `"${acr.login_server}/mcp-server:${var.tag}"`, an id whose subscription is not
//! given), it holds [`Value::Partial`]. Both may name the resource whose
//! attribute they will be ([`Unknown::of`]), so a reference still leads to
//! the resource it names. There is no side table to fall out of step with the
//! document, and no placeholder that could pass for a fact: anything that
//! reads a value sees what is known about it.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::path::{Path, Seg};

pub type Map = BTreeMap<String, Value>;

/// One value of a resource document.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Value>),
    Object(Map),
    /// Not known before apply.
    Unknown(Unknown),
    /// A string of which some parts are known (shared: conditions read it often).
    Partial(std::sync::Arc<Partial>),
}

/// What is known about a value that is not. Most unknowns say only whether
/// they are present, and take no allocation (a plan has many).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unknown {
    /// The configuration sets the attribute, so after apply it is present
    /// (`exists` decides on it).
    pub present: bool,
    detail: Option<Box<Detail>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Detail {
    /// The Terraform address of the resource whose attribute this value will
    /// be, when it comes from a reference.
    of: Option<String>,
    /// The input value that made a derived value unknown, for messages
    /// (`properties.containers[0].properties.image` behind `mcpguard.mcpServer`).
    because: Option<String>,
}

/// A string with known and unknown parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partial {
    pub parts: Vec<Part>,
    /// As [`Unknown::of`]: the resource whose id (or attribute) this is.
    pub of: Option<String>,
}

/// One part of a [`Partial`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    /// Any string, not known before apply.
    Gap,
    /// One path segment of an id (no `/`), not known before apply: the
    /// subscription of an id built from names.
    Segment,
}

impl Unknown {
    /// An unknown value the configuration sets.
    pub fn present() -> Value {
        Value::Unknown(Unknown {
            present: true,
            detail: None,
        })
    }

    /// An unknown value nothing more is known about (a computed attribute).
    pub fn computed() -> Value {
        Value::Unknown(Unknown::default())
    }

    /// The value the attribute of resource `address` will have.
    pub fn of(address: impl Into<String>) -> Value {
        let mut u = Unknown {
            present: true,
            detail: None,
        };
        u.set_refers_to(address.into());
        Value::Unknown(u)
    }

    /// A derived value, unknown because the input value at `because` is.
    pub fn because(because: impl Into<String>) -> Value {
        Value::Unknown(Unknown {
            present: true,
            detail: Some(Box::new(Detail {
                of: None,
                because: Some(because.into()),
            })),
        })
    }

    /// The resource whose attribute this value will be.
    pub fn refers_to(&self) -> Option<&str> {
        self.detail.as_ref()?.of.as_deref()
    }

    /// Says whose attribute this value will be.
    pub fn set_refers_to(&mut self, address: String) {
        self.detail.get_or_insert_with(Box::default).of = Some(address);
    }

    /// The input value behind a derived unknown.
    pub fn cause(&self) -> Option<&str> {
        self.detail.as_ref()?.because.as_deref()
    }
}

impl Partial {
    /// Builds a string from parts: adjacent literals merge, and a string with
    /// no gap is simply known.
    pub fn build(parts: Vec<Part>, of: Option<String>) -> Value {
        let mut out: Vec<Part> = Vec::with_capacity(parts.len());
        for p in parts {
            match (out.last_mut(), p) {
                (_, Part::Lit(s)) if s.is_empty() => {}
                (Some(Part::Lit(a)), Part::Lit(b)) => a.push_str(&b),
                (Some(Part::Gap), Part::Gap | Part::Segment) => {}
                (Some(last @ Part::Segment), Part::Gap) => *last = Part::Gap,
                (_, p) => out.push(p),
            }
        }
        if out.iter().all(|p| matches!(p, Part::Lit(_))) {
            let s = match out.pop() {
                Some(Part::Lit(s)) => s,
                _ => String::new(),
            };
            return Value::String(s);
        }
        Value::Partial(std::sync::Arc::new(Partial { parts: out, of }))
    }

    /// The known literal parts, in order.
    pub fn literals(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Lit(s) => Some(s.as_str()),
            Part::Gap | Part::Segment => None,
        })
    }
}

impl fmt::Display for Partial {
    /// `/subscriptions/{unknown}/resourceGroups/rg/...`: what a person can check.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            match p {
                Part::Lit(s) => f.write_str(s)?,
                Part::Gap | Part::Segment => f.write_str("{unknown}")?,
            }
        }
        Ok(())
    }
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    /// Wholly or partly unknown (this value itself, not what is inside it).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_) | Value::Partial(_))
    }

    /// A known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_unknown(&self) -> Option<&Unknown> {
        match self {
            Value::Unknown(u) => Some(u),
            _ => None,
        }
    }
    pub fn as_partial(&self) -> Option<&Partial> {
        match self {
            Value::Partial(p) => Some(p),
            _ => None,
        }
    }

    /// The resource this value refers to while it is not (wholly) known.
    pub fn refers_to(&self) -> Option<&str> {
        match self {
            Value::Unknown(u) => u.refers_to(),
            Value::Partial(p) => p.of.as_deref(),
            _ => None,
        }
    }

    /// The string that stands for an id where only a string can (object keys,
    /// inventory keys): the id when known, what is known of it otherwise, or
    /// the address of the resource it is the id of. Never compared as a value.
    pub fn as_key(&self) -> Option<String> {
        match self {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Partial(p) => Some(p.to_string()),
            Value::Unknown(u) => u.refers_to().map(unknown_id_key),
            _ => None,
        }
    }

    /// Every resource address that values in or below this one refer to.
    pub fn references(&self) -> Vec<&str> {
        fn walk<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
            match v {
                Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                Value::Object(m) => m.values().for_each(|x| walk(x, out)),
                other => out.extend(other.refers_to()),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// An object member (exact key).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// An object member, matching the key case-insensitively as ARM does.
    pub fn get_ci(&self, key: &str) -> Option<(&String, &Value)> {
        let m = self.as_object()?;
        m.get_key_value(key)
            .or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
    }

    /// A JSON-pointer look-up (`/properties/subnetIds/0/id`).
    pub fn pointer(&self, ptr: &str) -> Option<&Value> {
        if ptr.is_empty() {
            return Some(self);
        }
        let mut v = self;
        for tok in ptr.strip_prefix('/')?.split('/') {
            let tok = tok.replace("~1", "/").replace("~0", "~");
            v = match v {
                Value::Object(m) => m.get(&tok)?,
                Value::Array(a) => a.get(tok.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// Looks a [`Path`] up.
    pub fn at(&self, path: &Path) -> Option<&Value> {
        let mut v = self;
        for s in &path.0 {
            v = match (s, v) {
                (Seg::Key(k), Value::Object(m)) => m.get(k)?,
                (Seg::Index(i), Value::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// The first unknown spot in or below this value, as a path relative to it.
    pub fn first_unknown(&self) -> Option<(Path, &Value)> {
        let mut at = Vec::new();
        self.find_unknown(&mut at).map(|v| (Path(at), v))
    }

    fn find_unknown(&self, at: &mut Vec<Seg>) -> Option<&Value> {
        match self {
            Value::Unknown(_) | Value::Partial(_) => Some(self),
            Value::Array(a) => a.iter().enumerate().find_map(|(i, x)| {
                at.push(Seg::Index(i));
                let r = x.find_unknown(at);
                if r.is_none() {
                    at.pop();
                }
                r
            }),
            Value::Object(m) => m.iter().find_map(|(k, x)| {
                at.push(Seg::Key(k.clone()));
                let r = x.find_unknown(at);
                if r.is_none() {
                    at.pop();
                }
                r
            }),
            _ => None,
        }
    }

    /// Whether anything in or below this value is not known.
    pub fn has_unknown(&self) -> bool {
        self.first_unknown().is_some()
    }

    /// The JSON of a wholly known value; `None` when anything in it is unknown.
    pub fn to_json(&self) -> Option<Json> {
        Some(match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s.clone()),
            Value::Array(a) => Json::Array(a.iter().map(Value::to_json).collect::<Option<_>>()?),
            Value::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| Some((k.clone(), v.to_json()?)))
                    .collect::<Option<_>>()?,
            ),
            Value::Unknown(_) | Value::Partial(_) => return None,
        })
    }

    /// JSON for people: unknown values shown as [`KNOWN_AFTER_APPLY`], and
    /// partial strings with `{unknown}` parts. For
    /// messages, snapshots of what was seen, and debugging; never fed back.
    pub fn to_display_json(&self) -> Json {
        match self {
            Value::Unknown(_) => Json::String(KNOWN_AFTER_APPLY.into()),
            Value::Partial(p) => Json::String(p.to_string()),
            Value::Array(a) => Json::Array(a.iter().map(Value::to_display_json).collect()),
            Value::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.to_display_json()))
                    .collect(),
            ),
            other => other.to_json().unwrap_or(Json::Null),
        }
    }

    /// Sets the value at `path`, creating objects and arrays on the way and
    /// replacing values of the wrong shape.
    pub fn put(&mut self, path: &Path, v: Value) {
        let mut cur = self;
        for s in &path.0 {
            cur = cur.step(s);
        }
        *cur = v;
    }

    /// The slot at `path`, created as `Null` when absent.
    pub fn slot(&mut self, path: &Path) -> &mut Value {
        let mut cur = self;
        for s in &path.0 {
            cur = cur.step(s);
        }
        cur
    }

    fn step(&mut self, s: &Seg) -> &mut Value {
        match s {
            Seg::Key(k) => {
                if !self.is_object() {
                    *self = Value::Object(Map::new());
                }
                let Value::Object(m) = self else {
                    unreachable!("made an object above")
                };
                m.entry(k.clone()).or_insert(Value::Null)
            }
            Seg::Index(i) => {
                if !self.is_array() {
                    *self = Value::Array(Vec::new());
                }
                let Value::Array(a) = self else {
                    unreachable!("made an array above")
                };
                if a.len() <= *i {
                    a.resize(*i + 1, Value::Null);
                }
                &mut a[*i]
            }
        }
    }

    /// Removes and returns the value at `path`.
    pub fn take(&mut self, path: &Path) -> Option<Value> {
        let (last, parents) = path.0.split_last()?;
        let mut cur = self;
        for s in parents {
            cur = match (s, cur) {
                (Seg::Key(k), Value::Object(m)) => m.get_mut(k)?,
                (Seg::Index(i), Value::Array(a)) => a.get_mut(*i)?,
                _ => return None,
            };
        }
        match (last, cur) {
            (Seg::Key(k), Value::Object(m)) => m.remove(k),
            (Seg::Index(i), Value::Array(a)) if *i < a.len() => Some(std::mem::take(&mut a[*i])),
            _ => None,
        }
    }
}

/// The key of a resource whose id nothing is known of (see [`Value::as_key`]).
pub fn unknown_id_key(address: &str) -> String {
    format!("{{unknown id of {address}}}")
}

/// How an unknown value is shown to people.
pub const KNOWN_AFTER_APPLY: &str = "<unknown until apply>";

impl From<Json> for Value {
    fn from(j: Json) -> Value {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => Value::Number(n),
            Json::String(s) => Value::String(s),
            Json::Array(a) => Value::Array(a.into_iter().map(Value::from).collect()),
            Json::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect()),
        }
    }
}

impl From<&Json> for Value {
    fn from(j: &Json) -> Value {
        Value::from(j.clone())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl fmt::Display for Value {
    /// As JSON, with unknown parts shown as people read them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_display_json())
    }
}

impl PartialEq<Json> for Value {
    fn eq(&self, other: &Json) -> bool {
        self.to_json().as_ref() == Some(other)
    }
}

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

macro_rules! eq_int {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for Value {
            fn eq(&self, other: &$t) -> bool {
                self.as_f64() == Some(*other as f64)
            }
        }
    )*};
}
eq_int!(i32, i64, u32, u64);

impl std::ops::Index<&str> for Value {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;
    fn index(&self, i: usize) -> &Value {
        static NULL: Value = Value::Null;
        self.as_array().and_then(|a| a.get(i)).unwrap_or(&NULL)
    }
}

impl std::ops::IndexMut<&str> for Value {
    fn index_mut(&mut self, key: &str) -> &mut Value {
        self.step(&Seg::Key(key.to_string()))
    }
}

impl std::ops::IndexMut<usize> for Value {
    fn index_mut(&mut self, i: usize) -> &mut Value {
        self.step(&Seg::Index(i))
    }
}

/// Reads JSON straight into a [`Value`] (every value known), without a
/// `serde_json::Value` in between: the plan reader's hot path.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
                Ok(Value::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
                Ok(Value::Number(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
                Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Value, E> {
                Ok(Value::String(s))
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
                serde::Deserialize::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut v = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Value::Array(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let mut m = Map::new();
                while let Some((k, v)) = a.next_entry::<String, Value>()? {
                    m.insert(k, v);
                }
                Ok(Value::Object(m))
            }
        }
        d.deserialize_any(V)
    }
}

/// `{"a": 1}`-style literals in tests and tables: JSON in, [`Value`] out.
#[macro_export]
macro_rules! val {
    ($($j:tt)+) => {
        $crate::inventory::Value::from(::serde_json::json!($($j)+))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partial_strings_merge_and_collapse() {
        let v = Partial::build(
            vec![
                Part::Lit("a".into()),
                Part::Lit("b".into()),
                Part::Gap,
                Part::Gap,
                Part::Lit("".into()),
            ],
            None,
        );
        let p = v.as_partial().unwrap();
        assert_eq!(p.parts, vec![Part::Lit("ab".into()), Part::Gap]);
        assert_eq!(p.to_string(), "ab{unknown}");
        assert_eq!(
            Partial::build(vec![Part::Lit("x".into())], None),
            Value::String("x".into())
        );
    }

    #[test]
    fn deserialises_straight_from_json_text() {
        let text = r#"{"a": [1, -2, 2.5, "x", null, true], "b": {}}"#;
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v, Value::from(serde_json::from_str::<Json>(text).unwrap()));
    }

    #[test]
    fn json_round_trip_and_unknowns() {
        let mut v = Value::from(json!({"a": [1, {"b": "c"}]}));
        assert_eq!(v.to_json(), Some(json!({"a": [1, {"b": "c"}]})));
        v.put(&Path::parse("a[1].d"), Unknown::present());
        assert!(v.to_json().is_none());
        let (p, u) = v.first_unknown().unwrap();
        assert_eq!(p.to_string(), "a[1].d");
        assert!(u.as_unknown().unwrap().present);
        assert_eq!(std::mem::size_of::<Value>(), 32, "as small as a JSON value");
        assert_eq!(
            v.to_display_json(),
            json!({"a": [1, {"b": "c", "d": KNOWN_AFTER_APPLY}]})
        );
        assert_eq!(v.pointer("/a/1/b"), Some(&Value::from("c")));
        assert_eq!(v.take(&Path::parse("a[1].d")), Some(Unknown::present()));
        assert!(!v.has_unknown());
    }
}
