//! The field-map machinery: a [`Spec`] per `azurerm_*` type lists [`Field`]s
//! (Terraform attribute → ARM path, with a [`Conv`]), and [`Builder`] applies
//! them to one resource. Values keep what is known about them on the way
//! (an unknown stays unknown, a partly known string stays partly known);
//! references become the referenced resource's id, and sensitive marks and
//! source lines move from the Terraform path to the ARM path.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::inventory::path::{Path, Seg};
use crate::inventory::{Part, Partial, Unknown, Value};
use crate::load::terraform::TfResource;

use super::Cx;

/// How a Terraform value becomes its ARM value.
#[derive(Clone, Copy)]
pub enum Conv {
    /// Copied as is; `null` and `""` are dropped (ARM omits unset singulars).
    Plain,
    /// Like `Plain`, and always sensitive.
    Secret,
    /// Like `Plain`, with the provider's default when unset.
    DefaultStr(&'static str),
    DefaultBool(bool),
    /// A list that ARM always shows, `[]` when unset.
    Plural,
    /// Omitted when null, `""`, `[]` or `{}` (lists azurerm sends only when set).
    NonEmpty,
    /// A bool that ARM spells as one of two strings (`Enabled`/`Disabled`), default when unset.
    Choice(&'static str, &'static str, Option<bool>),
    /// Location, normalised the way azurerm sends it (`West Europe` → `westeurope`).
    Location,
    /// One resource id, resolved through references when unknown or synthetic.
    Id,
    /// One id as `{ "id": … }` at the ARM path.
    IdObj,
    /// A list of ids as `[{ "id": … }]`, omitted when empty.
    IdObjs,
    /// A list of ids as strings (`scopes`, `actionGroups`), omitted when empty.
    Ids,
    /// A list of ids as an object keyed by id (`identity.userAssignedIdentities`).
    IdKeys,
    /// A value that comes from another resource (`principal_id`): kept as it is,
    /// and linked to the referenced resource's id so joins work while it is unknown.
    Principal,
    /// A JSON document held in a string (`policy_rule`), parsed.
    Json,
    /// A list of strings joined with single spaces.
    Join,
    /// A map appended to the array at the ARM path as `{ "name": k, <key>: v }`.
    NameValue(&'static str),
    /// A list of blocks, each mapped with the given fields into an array element;
    /// omitted when empty.
    Blocks(&'static [Field]),
}

/// One Terraform attribute (dotted, `diagnostics.0.log_analytics.0.workspace_id`)
/// and where it goes in ARM (`properties.diagnostics.logAnalytics.workspaceId`).
#[derive(Clone, Copy)]
pub struct Field {
    pub tf: &'static str,
    pub arm: &'static str,
    pub conv: Conv,
}

pub const fn f(tf: &'static str, arm: &'static str, conv: Conv) -> Field {
    Field { tf, arm, conv }
}

pub const fn plain(tf: &'static str, arm: &'static str) -> Field {
    Field {
        tf,
        arm,
        conv: Conv::Plain,
    }
}

/// How a type's ARM id is built when Terraform does not know it yet.
#[derive(Clone, Copy)]
pub enum IdSpec {
    /// Under `/subscriptions/{sub}/resourceGroups/{resource_group_name}/providers/`;
    /// `{attr}` is replaced by that attribute's known value.
    Group(&'static str),
    /// Under `/subscriptions/{sub}/`.
    Subscription(&'static str),
    /// Built from other resources' ids.
    Custom(fn(&Builder<'_>) -> Option<Value>),
}

/// The translation of one Terraform type.
pub struct Spec {
    pub tf_type: &'static str,
    pub arm_type: &'static str,
    pub id: IdSpec,
    pub fields: &'static [&'static [Field]],
    /// What a table cannot say (defaults that depend on other fields, "None" means absent…).
    pub finish: Option<fn(&mut Builder<'_>)>,
}

/// Name, location and tags: every type reads them when it has them.
pub const COMMON: &[Field] = &[
    plain("name", "name"),
    f("location", "location", Conv::Location),
    plain("tags", "tags"),
];

/// The `identity` block of types with system and user-assigned identities.
pub const IDENTITY: &[Field] = &[
    plain("identity.0.type", "identity.type"),
    f(
        "identity.0.identity_ids",
        "identity.userAssignedIdentities",
        Conv::IdKeys,
    ),
];

/// The value of an id-valued attribute after references are followed.
pub enum Ids {
    Absent,
    /// Unknown, and no reference says whose id it will be.
    Unknown(Value),
    /// Ids: known strings, or (for resources not created yet) what is known
    /// of them, each naming the resource it is the id of.
    Known(Vec<Value>),
}

/// Builds one resource's ARM document.
pub struct Builder<'a> {
    pub tf: &'a TfResource,
    pub(super) cx: &'a Cx,
    pub(super) me: usize,
    /// The resource's id as far as it is known; `Null` while ids are computed.
    pub id: Value,
    pub doc: Value,
    pub sensitive: BTreeSet<Path>,
    pub lines: BTreeMap<String, u32>,
    pub notes: Vec<String>,
    /// Resources ARM keeps apart that the Terraform type holds inline (a
    /// web app's `auth_settings_v2` is the site's `config/authsettingsV2`).
    pub children: Vec<Child>,
}

/// A resource of its own built from part of a Terraform resource.
pub struct Child {
    /// Appended to the parent's address (`.auth_settings_v2`).
    pub address_suffix: &'static str,
    pub doc: Value,
    pub sensitive: BTreeSet<Path>,
    pub lines: BTreeMap<String, u32>,
}

/// Looks a dotted Terraform path up (`container.0.image`). Below an unknown
/// value everything is unknown: the look-up stops there and returns it.
fn lookup<'v>(mut v: &'v Value, tf: &str) -> Option<&'v Value> {
    if tf.is_empty() {
        return Some(v);
    }
    for s in tf.split('.') {
        if v.is_unknown() {
            return Some(v);
        }
        v = match v {
            Value::Object(m) => m.get(s)?,
            Value::Array(a) => a.get(s.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The mark tree at a dotted path: `Err(())` when an ancestor (or the node) is `true`.
fn mark_node<'v>(mut v: &'v Json, tf: &str) -> Result<Option<&'v Json>, ()> {
    if v == &Json::Bool(true) {
        return Err(());
    }
    if tf.is_empty() {
        return Ok(Some(v));
    }
    for s in tf.split('.') {
        v = match v {
            Json::Object(m) => match m.get(s) {
                Some(x) => x,
                None => return Ok(None),
            },
            Json::Array(a) => match s.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(x) => x,
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        if v == &Json::Bool(true) {
            return Err(());
        }
    }
    Ok(Some(v))
}

/// Relative paths of every `true` below a mark tree.
fn marks_below(v: &Json, at: &mut Vec<Seg>, out: &mut Vec<Path>) {
    match v {
        Json::Bool(true) => out.push(Path(at.clone())),
        Json::Object(m) => {
            for (k, x) in m {
                at.push(Seg::Key(k.clone()));
                marks_below(x, at, out);
                at.pop();
            }
        }
        Json::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                at.push(Seg::Index(i));
                marks_below(x, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

thread_local! {
    /// Parsed ARM paths of the tables' `&'static str`s, parsed once per thread.
    static PATHS: std::cell::RefCell<std::collections::HashMap<(usize, usize), &'static Path>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The parsed form of a table's ARM path. The tables are a fixed set of
/// literals, so the few hundred parsed paths are kept for the process.
fn static_path(s: &'static str) -> &'static Path {
    PATHS.with(|m| {
        *m.borrow_mut()
            .entry((s.as_ptr() as usize, s.len()))
            .or_insert_with(|| Box::leak(Box::new(Path::parse(s))))
    })
}

/// An ARM path as a base and a relative part, joined only when a mark needs it.
#[derive(Clone, Copy)]
pub struct Arm<'p> {
    pub base: &'p Path,
    pub rel: &'p Path,
}

impl Arm<'_> {
    pub fn full(&self) -> Path {
        concat(self.base, self.rel)
    }
}

fn join_tf(base: &str, rel: &str) -> String {
    match (base.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}.{rel}"),
    }
}

fn concat(base: &Path, rel: &Path) -> Path {
    let mut p = base.clone();
    p.0.extend(rel.0.iter().cloned());
    p
}

/// An id with a suffix: `…/service/apim` + `/policies/policy`. What is known
/// of the parent stays known; the child is named by `of`.
pub fn id_with_suffix(parent: &Value, suffix: &str, of: &str) -> Option<Value> {
    let parts = match parent {
        Value::String(s) => {
            return Some(Value::String(format!(
                "{}{suffix}",
                s.trim_end_matches('/')
            )))
        }
        Value::Partial(p) => p.parts.clone(),
        Value::Unknown(_) => vec![Part::Gap],
        _ => return None,
    };
    let mut parts = parts;
    parts.push(Part::Lit(suffix.to_string()));
    Some(Partial::build(parts, Some(of.to_string())))
}

/// Normalises a location the way azurerm sends it (`West Europe` → `westeurope`).
fn location(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl<'a> Builder<'a> {
    pub(super) fn new(tf: &'a TfResource, cx: &'a Cx, me: usize) -> Self {
        Builder {
            tf,
            cx,
            me,
            id: Value::Null,
            doc: Value::Object(Default::default()),
            sensitive: BTreeSet::new(),
            lines: BTreeMap::new(),
            notes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Builds a child resource: `build` writes its document (fields applied
    /// inside it land in the child, with their sensitive marks and lines).
    pub fn child(&mut self, address_suffix: &'static str, build: impl FnOnce(&mut Self)) {
        let doc = std::mem::replace(&mut self.doc, Value::Object(Default::default()));
        let sensitive = std::mem::take(&mut self.sensitive);
        let lines = std::mem::take(&mut self.lines);
        build(self);
        let child = Child {
            address_suffix,
            doc: std::mem::replace(&mut self.doc, doc),
            sensitive: std::mem::replace(&mut self.sensitive, sensitive),
            lines: std::mem::replace(&mut self.lines, lines),
        };
        self.children.push(child);
    }

    /// The value at a dotted Terraform path; `None` when absent or null. An
    /// unknown ancestor makes it that unknown value.
    pub fn get(&self, tf: &str) -> Option<&'a Value> {
        lookup(&self.tf.values, tf).filter(|v| !v.is_null())
    }

    /// A known, non-empty string at a dotted Terraform path.
    pub fn str(&self, tf: &str) -> Option<&'a str> {
        self.get(tf)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Whether the value at `tf` is unknown, wholly or in part.
    pub fn is_unknown(&self, tf: &str) -> bool {
        self.get(tf).is_some_and(Value::has_unknown)
    }

    /// The subscription ids are built under, when it is known.
    pub fn subscription(&self) -> Option<&str> {
        self.cx.sub.as_deref()
    }

    /// `parent` + `suffix` as this resource's id (see [`id_with_suffix`]).
    pub fn child_id(&self, parent: &Value, suffix: &str) -> Option<Value> {
        id_with_suffix(parent, suffix, &self.tf.address)
    }

    /// `/subscriptions/{sub}{rest}` as this resource's id, partly known
    /// while the subscription is not given.
    pub fn subscription_id(&self, rest: &str) -> Value {
        super::under_subscription(self.cx, rest, &self.tf.address)
    }

    /// The ids of the resources the attribute at `tf` refers to.
    fn referenced(&self, tf: &str) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for t in self.tf.references.get(tf).into_iter().flatten() {
            if let Some(n) = self.cx.resolve(t, self.me) {
                if let Some(id) = &self.cx.ids[n] {
                    if !out.contains(id) {
                        out.push(id.clone());
                    }
                }
            }
        }
        out
    }

    /// The resource addresses the attribute at `tf` refers to, resolved to instances.
    pub fn referenced_addresses(&self, tf: &str) -> Vec<&str> {
        self.tf
            .references
            .get(tf)
            .into_iter()
            .flatten()
            .filter_map(|t| self.cx.resolve(t, self.me))
            .map(|n| self.cx.addrs[n].as_str())
            .collect()
    }

    /// The id(s) an id-valued attribute holds, following references: a
    /// referenced resource whose id is not known yet wins over a value (it
    /// says whose id the value will be), and a referenced id replaces an
    /// unknown value.
    pub fn ids(&self, tf: &str) -> Ids {
        let refs = self.referenced(tf);
        if refs.iter().any(|v| !v.is_string()) {
            return Ids::Known(refs);
        }
        let v = self.get(tf);
        if let Some(u) = v.filter(|v| v.has_unknown()) {
            if refs.is_empty() {
                return Ids::Unknown(u.clone());
            }
            return Ids::Known(refs);
        }
        let known: Vec<Value> = match v {
            Some(Value::String(s)) if !s.is_empty() => vec![Value::String(s.clone())],
            Some(Value::Array(a)) => a
                .iter()
                .filter(|s| s.as_str().is_some_and(|s| !s.is_empty()))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        if !known.is_empty() {
            return Ids::Known(known);
        }
        if !refs.is_empty() {
            return Ids::Known(refs);
        }
        Ids::Absent
    }

    /// The first id of an id-valued attribute, as far as it is known.
    pub fn id_of(&self, tf: &str) -> Option<Value> {
        match self.ids(tf) {
            Ids::Known(v) => v.into_iter().next(),
            _ => None,
        }
    }

    /// Sets a value, creating the objects and arrays on the way.
    pub fn put(&mut self, path: &Path, v: impl Into<Value>) {
        self.doc.put(path, v.into());
    }

    fn put_at(&mut self, arm: Arm<'_>, v: Value) {
        let slot = self.doc.slot(arm.base);
        slot.put(arm.rel, v);
    }

    /// The value at an ARM path of the document being built.
    pub fn at(&self, path: &Path) -> Option<&Value> {
        self.doc.at(path)
    }

    pub fn remove_top(&mut self, key: &str) {
        if let Some(m) = self.doc.as_object_mut() {
            m.remove(key);
        }
    }

    /// Marks the value at `p` as set by the configuration but unknown until apply.
    pub fn mark_unknown(&mut self, p: Path) {
        self.doc.put(&p, Unknown::present());
    }

    pub fn mark_sensitive(&mut self, p: Path) {
        self.sensitive.insert(p);
    }

    fn line(&mut self, tf: &str, arm: Arm<'_>) {
        if let Some(l) = self.tf.origin.attribute_lines.get(tf) {
            self.lines.insert(arm.full().to_string(), *l);
        }
    }

    /// Copies the sensitive marks below `tf` to below `arm`.
    fn carry_sensitive(&mut self, tf: &str, arm: Arm<'_>) {
        let mut rel = Vec::new();
        match mark_node(&self.tf.sensitive, tf) {
            Err(()) => rel.push(Path::root()),
            Ok(Some(v)) => marks_below(v, &mut Vec::new(), &mut rel),
            Ok(None) => {}
        }
        for r in rel {
            self.sensitive.insert(concat(&arm.full(), &r));
        }
    }

    fn sensitive_at(&self, tf: &str) -> bool {
        matches!(mark_node(&self.tf.sensitive, tf), Err(()))
    }

    /// Applies a field table with Terraform paths under `tf_base` and ARM paths under `arm_base`.
    pub fn apply(&mut self, fields: &[Field], tf_base: &str, arm_base: &Path) {
        for fl in fields {
            let tf = join_tf(tf_base, fl.tf);
            let arm = Arm {
                base: arm_base,
                rel: static_path(fl.arm),
            };
            self.line(&tf, arm);
            self.field(fl.conv, &tf, arm);
        }
    }

    fn field(&mut self, conv: Conv, tf: &str, arm: Arm<'_>) {
        let v = self.get(tf);
        let unknown = v.filter(|v| v.is_unknown()).cloned();
        match conv {
            Conv::Plain
            | Conv::Secret
            | Conv::DefaultStr(_)
            | Conv::DefaultBool(_)
            | Conv::Plural
            | Conv::NonEmpty
            | Conv::Location => {
                let present = match v {
                    Some(Value::String(s)) if s.is_empty() => None,
                    Some(Value::Array(a)) if a.is_empty() && matches!(conv, Conv::NonEmpty) => None,
                    Some(Value::Object(m)) if m.is_empty() && matches!(conv, Conv::NonEmpty) => {
                        None
                    }
                    other => other,
                };
                match (present, conv) {
                    (Some(Value::String(s)), Conv::Location) => {
                        self.put_at(arm, Value::String(location(s)))
                    }
                    (Some(x), _) => self.put_at(arm, x.clone()),
                    (None, Conv::DefaultStr(d)) => self.put_at(arm, Value::from(d)),
                    (None, Conv::DefaultBool(d)) => self.put_at(arm, Value::Bool(d)),
                    (None, Conv::Plural) => self.put_at(arm, Value::Array(Vec::new())),
                    (None, _) => {}
                }
                if matches!(conv, Conv::Secret) && (present.is_some() || self.sensitive_at(tf)) {
                    self.sensitive.insert(arm.full());
                }
                self.carry_sensitive(tf, arm);
            }
            Conv::Choice(yes, no, default) => {
                if let Some(u) = unknown {
                    self.put_at(arm, u);
                } else if let Some(b) = v.and_then(Value::as_bool).or(default) {
                    self.put_at(arm, Value::from(if b { yes } else { no }));
                }
            }
            Conv::Id | Conv::IdObj | Conv::IdObjs | Conv::Ids | Conv::IdKeys => {
                self.id_field(conv, tf, arm)
            }
            Conv::Principal => {
                match (unknown, self.referenced_addresses(tf).first()) {
                    (Some(Value::Unknown(mut u)), Some(of)) => {
                        u.set_refers_to(of.to_string());
                        self.put_at(arm, Value::Unknown(u));
                    }
                    (_, _) => {
                        if let Some(x) = v {
                            self.put_at(arm, x.clone());
                        }
                    }
                }
                self.carry_sensitive(tf, arm);
            }
            Conv::Json => {
                if let Some(u) = unknown {
                    self.put_at(arm, u);
                } else if let Some(s) = v.and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
                    match serde_json::from_str::<Json>(s) {
                        Ok(j) => self.put_at(arm, Value::from(j)),
                        Err(e) => {
                            self.notes.push(format!(
                                "{}: `{tf}` is not valid JSON ({e}); kept as a string",
                                self.tf.address
                            ));
                            self.put_at(arm, Value::from(s));
                        }
                    }
                } else if let Some(x) = v.filter(|x| x.is_object()) {
                    self.put_at(arm, x.clone());
                }
            }
            Conv::Join => {
                if let Some(u) = unknown {
                    self.put_at(arm, u);
                } else if let Some(Value::Array(a)) = v {
                    if a.iter().any(Value::is_unknown) {
                        self.put_at(arm, Unknown::present());
                        return;
                    }
                    let parts: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                    if !parts.is_empty() {
                        self.put_at(arm, Value::String(parts.join(" ")));
                    }
                }
            }
            Conv::NameValue(key) => {
                if let Some(u) = unknown {
                    self.put_at(arm, u);
                    return;
                }
                let Some(Value::Object(m)) = v else { return };
                let full = arm.full();
                let mut arr = match self.at(&full) {
                    Some(Value::Array(a)) => a.clone(),
                    _ => Vec::new(),
                };
                let secret = key == "secureValue";
                for (k, x) in m {
                    let n = arr.len();
                    let mut el = Value::Object(Default::default());
                    el["name"] = Value::from(k.as_str());
                    el[key] = x.clone();
                    arr.push(el);
                    if secret || self.sensitive_at(&format!("{tf}.{k}")) {
                        self.sensitive.insert(full.index(n).key(key));
                    }
                }
                self.put_at(arm, Value::Array(arr));
            }
            Conv::Blocks(sub) => {
                if let Some(u) = unknown {
                    self.put_at(arm, u);
                    return;
                }
                let Some(Value::Array(a)) = v else { return };
                let full = arm.full();
                for i in 0..a.len() {
                    let tfi = format!("{tf}.{i}");
                    let armi = full.index(i);
                    let root = Path::root();
                    self.line(
                        &tfi,
                        Arm {
                            base: &root,
                            rel: &armi,
                        },
                    );
                    self.put(&armi, Value::Object(Default::default()));
                    self.apply(sub, &tfi, &armi);
                }
            }
        }
    }

    /// An id-valued field: the ids it holds, as a string, `{id}`, `[{id}]` or
    /// an object keyed by id.
    fn id_field(&mut self, conv: Conv, tf: &str, arm: Arm<'_>) {
        match self.ids(tf) {
            Ids::Known(ids) => {
                let obj = |id: Value| {
                    let mut o = Value::Object(Default::default());
                    o["id"] = id;
                    o
                };
                let val = match conv {
                    Conv::Id => ids[0].clone(),
                    Conv::IdObj => obj(ids[0].clone()),
                    Conv::IdObjs => Value::Array(ids.into_iter().map(obj).collect()),
                    Conv::Ids => Value::Array(ids),
                    // Object keys are strings: what is known of each id names it.
                    _ => Value::Object(
                        ids.iter()
                            .filter_map(Value::as_key)
                            .map(|k| (k, Value::Object(Default::default())))
                            .collect(),
                    ),
                };
                self.put_at(arm, val);
            }
            Ids::Unknown(u) => {
                let p = if matches!(conv, Conv::IdObj) {
                    arm.full().key("id")
                } else {
                    arm.full()
                };
                self.doc.put(&p, u);
            }
            Ids::Absent => {}
        }
    }
}

/// The value as an object, replacing a value of another shape.
pub fn ensure_object(v: &mut Value) -> &mut crate::inventory::value::Map {
    if !v.is_object() {
        *v = Value::Object(Default::default());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("replaced by an object above"),
    }
}

/// The value as an array, replacing a value of another shape.
pub fn ensure_array(v: &mut Value) -> &mut Vec<Value> {
    if !v.is_array() {
        *v = Value::Array(Vec::new());
    }
    match v {
        Value::Array(a) => a,
        _ => unreachable!("replaced by an array above"),
    }
}

/// Strings joined, as far as they are known: a known part stays literal, an
/// unknown one is a gap (`"DOCKER|" + unknown registry + "/mcp-github:1"`).
/// `None` when a part is absent or not a string.
pub fn join_strings(parts: &[&Value]) -> Option<Value> {
    let mut out: Vec<Part> = Vec::new();
    for p in parts {
        match p {
            Value::String(s) => out.push(Part::Lit(s.clone())),
            Value::Partial(x) => out.extend(x.parts.iter().cloned()),
            Value::Unknown(_) => out.push(Part::Gap),
            _ => return None,
        }
    }
    Some(Partial::build(out, None))
}
