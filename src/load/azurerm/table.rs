//! The field-map machinery: a [`Spec`] per `azurerm_*` type lists [`Field`]s
//! (Terraform attribute → ARM path, with a [`Conv`]), and [`Builder`] applies
//! them to one resource, carrying unknown and sensitive marks, resolved
//! references and source lines from the Terraform path to the ARM path.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::inventory::path::{Path, Seg};
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
    Custom(fn(&Builder<'_>) -> Option<String>),
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
    Unknown,
    Known(Vec<String>),
}

/// Builds one resource's ARM document.
pub struct Builder<'a> {
    pub tf: &'a TfResource,
    pub(super) cx: &'a Cx,
    pub(super) me: usize,
    /// The resource's id (real or synthetic); empty while ids are computed.
    pub id: String,
    pub doc: Map<String, Value>,
    pub unknown: BTreeSet<Path>,
    pub sensitive: BTreeSet<Path>,
    pub links: BTreeMap<String, String>,
    pub lines: BTreeMap<String, u32>,
    pub notes: Vec<String>,
}

/// Looks a dotted Terraform path up (`container.0.image`).
fn lookup<'v>(mut v: &'v Value, tf: &str) -> Option<&'v Value> {
    if tf.is_empty() {
        return Some(v);
    }
    for s in tf.split('.') {
        v = match v {
            Value::Object(m) => m.get(s)?,
            Value::Array(a) => a.get(s.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The mark tree at a dotted path: `Err(())` when an ancestor (or the node) is `true`.
fn mark_node<'v>(mut v: &'v Value, tf: &str) -> Result<Option<&'v Value>, ()> {
    if v == &Value::Bool(true) {
        return Err(());
    }
    if tf.is_empty() {
        return Ok(Some(v));
    }
    for s in tf.split('.') {
        v = match v {
            Value::Object(m) => match m.get(s) {
                Some(x) => x,
                None => return Ok(None),
            },
            Value::Array(a) => match s.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(x) => x,
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        if v == &Value::Bool(true) {
            return Err(());
        }
    }
    Ok(Some(v))
}

/// Whether a mark tree holds a `true` anywhere.
fn has_mark(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Object(m) => m.values().any(has_mark),
        Value::Array(a) => a.iter().any(has_mark),
        _ => false,
    }
}

/// Relative paths of every `true` below a mark tree.
fn marks_below(v: &Value, at: &mut Vec<Seg>, out: &mut Vec<Path>) {
    match v {
        Value::Bool(true) => out.push(Path(at.clone())),
        Value::Object(m) => {
            for (k, x) in m {
                at.push(Seg::Key(k.clone()));
                marks_below(x, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
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
    fn segs(&self) -> impl Iterator<Item = &Seg> {
        self.base.0.iter().chain(self.rel.0.iter())
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

impl<'a> Builder<'a> {
    pub(super) fn new(tf: &'a TfResource, cx: &'a Cx, me: usize) -> Self {
        Builder {
            tf,
            cx,
            me,
            id: String::new(),
            doc: Map::new(),
            unknown: BTreeSet::new(),
            sensitive: BTreeSet::new(),
            links: BTreeMap::new(),
            lines: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// The value at a dotted Terraform path; `None` when absent or null.
    pub fn get(&self, tf: &str) -> Option<&'a Value> {
        lookup(&self.tf.values, tf).filter(|v| !v.is_null())
    }

    /// A known, non-empty string at a dotted Terraform path.
    pub fn str(&self, tf: &str) -> Option<&'a str> {
        if self.is_unknown(tf) {
            return None;
        }
        self.get(tf)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Whether the value at `tf` is unknown, wholly or in part.
    pub fn is_unknown(&self, tf: &str) -> bool {
        match mark_node(&self.tf.unknown, tf) {
            Err(()) => true,
            Ok(Some(v)) => has_mark(v),
            Ok(None) => false,
        }
    }

    fn is_fully_unknown(&self, tf: &str) -> bool {
        mark_node(&self.tf.unknown, tf).is_err()
    }

    /// The subscription that synthetic ids use.
    pub fn subscription(&self) -> &str {
        &self.cx.sub
    }

    /// Ids of the resources the attribute at `tf` refers to, as (id, synthetic).
    fn referenced(&self, tf: &str) -> Vec<(String, bool)> {
        let mut out: Vec<(String, bool)> = Vec::new();
        for t in self.tf.references.get(tf).into_iter().flatten() {
            if let Some(n) = self.cx.resolve(t, self.me) {
                if let Some(id) = &self.cx.ids[n] {
                    if !out.iter().any(|(o, _)| o == id) {
                        out.push((id.clone(), self.cx.synthetic[n]));
                    }
                }
            }
        }
        out
    }

    /// The id(s) an id-valued attribute holds, following references: a
    /// referenced resource with a synthetic id wins over a known value, and a
    /// referenced id replaces an unknown one.
    pub fn ids(&self, tf: &str) -> Ids {
        let refs = self.referenced(tf);
        if refs.iter().any(|(_, s)| *s) {
            return Ids::Known(refs.into_iter().map(|(id, _)| id).collect());
        }
        let unknown = self.is_unknown(tf);
        if !unknown {
            let known: Vec<String> = match self.get(tf) {
                Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            if !known.is_empty() {
                return Ids::Known(known);
            }
        }
        if !refs.is_empty() {
            return Ids::Known(refs.into_iter().map(|(id, _)| id).collect());
        }
        if unknown {
            Ids::Unknown
        } else {
            Ids::Absent
        }
    }

    /// The first id of an id-valued attribute, if known.
    pub fn id_of(&self, tf: &str) -> Option<String> {
        match self.ids(tf) {
            Ids::Known(v) => v.into_iter().next(),
            _ => None,
        }
    }

    /// Sets a value, creating the objects and arrays on the way.
    pub fn put(&mut self, path: &Path, v: Value) {
        let root = Path::root();
        self.put_at(
            Arm {
                base: &root,
                rel: path,
            },
            v,
        );
    }

    fn put_at(&mut self, arm: Arm<'_>, v: Value) {
        let mut segs = arm.segs();
        let mut cur: &mut Value = match segs.next() {
            Some(Seg::Key(k)) => {
                if !self.doc.contains_key(k) {
                    self.doc.insert(k.clone(), Value::Null);
                }
                match self.doc.get_mut(k) {
                    Some(x) => x,
                    None => return,
                }
            }
            _ => return,
        };
        for s in segs {
            cur = step(cur, s);
        }
        *cur = v;
    }

    /// The value at an ARM path of the document being built.
    pub fn at(&self, path: &Path) -> Option<&Value> {
        let (first, rest) = path.0.split_first()?;
        let Seg::Key(k) = first else { return None };
        Path(rest.to_vec()).get(self.doc.get(k)?)
    }

    pub fn remove_top(&mut self, key: &str) {
        self.doc.remove(key);
        self.unknown
            .retain(|p| p.0.first() != Some(&Seg::Key(key.to_string())));
    }

    pub fn mark_unknown(&mut self, p: Path) {
        self.unknown.insert(p);
    }

    pub fn mark_sensitive(&mut self, p: Path) {
        self.sensitive.insert(p);
    }

    fn line(&mut self, tf: &str, arm: Arm<'_>) {
        if let Some(l) = self.tf.origin.attribute_lines.get(tf) {
            self.lines.insert(arm.full().to_string(), *l);
        }
    }

    /// Copies the unknown and sensitive marks below `tf` to below `arm`.
    fn carry_marks(&mut self, tf: &str, arm: Arm<'_>) {
        for (tree, unknown) in [(&self.tf.unknown, true), (&self.tf.sensitive, false)] {
            let mut rel = Vec::new();
            match mark_node(tree, tf) {
                Err(()) => rel.push(Path::root()),
                Ok(Some(v)) => marks_below(v, &mut Vec::new(), &mut rel),
                Ok(None) => {}
            }
            for r in rel {
                let p = concat(&arm.full(), &r);
                if unknown {
                    self.unknown.insert(p);
                } else {
                    self.sensitive.insert(p);
                }
            }
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
        let fully_unknown = self.is_fully_unknown(tf);
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
                        let norm: String = s
                            .chars()
                            .filter(|c| !c.is_whitespace())
                            .flat_map(char::to_lowercase)
                            .collect();
                        self.put_at(arm, Value::String(norm));
                    }
                    (Some(x), _) => self.put_at(arm, x.clone()),
                    (None, _) if fully_unknown => {}
                    (None, Conv::DefaultStr(d)) => self.put_at(arm, Value::String(d.to_string())),
                    (None, Conv::DefaultBool(d)) => self.put_at(arm, Value::Bool(d)),
                    (None, Conv::Plural) => self.put_at(arm, Value::Array(Vec::new())),
                    (None, _) => {}
                }
                if matches!(conv, Conv::Secret)
                    && (present.is_some() || fully_unknown || self.sensitive_at(tf))
                {
                    self.sensitive.insert(arm.full());
                }
                self.carry_marks(tf, arm);
            }
            Conv::Choice(yes, no, default) => {
                let b = if fully_unknown {
                    None
                } else {
                    v.and_then(Value::as_bool).or(default)
                };
                if let Some(b) = b {
                    self.put_at(arm, Value::String(if b { yes } else { no }.to_string()));
                }
                if fully_unknown {
                    self.unknown.insert(arm.full());
                }
            }
            Conv::Id | Conv::IdObj | Conv::IdObjs | Conv::IdKeys => match self.ids(tf) {
                Ids::Known(ids) => {
                    let val = match conv {
                        Conv::Id => Value::String(ids[0].clone()),
                        Conv::IdObj => serde_json::json!({ "id": ids[0] }),
                        Conv::IdObjs => Value::Array(
                            ids.into_iter()
                                .map(|i| serde_json::json!({ "id": i }))
                                .collect(),
                        ),
                        _ => Value::Object(
                            ids.into_iter()
                                .map(|i| (i, Value::Object(Map::new())))
                                .collect(),
                        ),
                    };
                    self.put_at(arm, val);
                }
                Ids::Unknown => {
                    let p = if matches!(conv, Conv::IdObj) {
                        arm.full().key("id")
                    } else {
                        arm.full()
                    };
                    self.unknown.insert(p);
                }
                Ids::Absent => {}
            },
            Conv::Principal => {
                if let Some((id, _)) = self.referenced(tf).into_iter().next() {
                    self.links.insert(arm.full().to_string(), id);
                }
                if let Some(x) = v.filter(|_| !fully_unknown) {
                    self.put_at(arm, x.clone());
                }
                self.carry_marks(tf, arm);
            }
            Conv::Json => {
                if fully_unknown {
                    self.unknown.insert(arm.full());
                } else if let Some(s) = v.and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
                    match serde_json::from_str::<Value>(s) {
                        Ok(j) => self.put_at(arm, j),
                        Err(e) => {
                            self.notes.push(format!(
                                "{}: `{tf}` is not valid JSON ({e}); kept as a string",
                                self.tf.address
                            ));
                            self.put_at(arm, Value::String(s.to_string()));
                        }
                    }
                } else if let Some(x) = v.filter(|x| x.is_object()) {
                    self.put_at(arm, x.clone());
                }
            }
            Conv::Join => {
                if fully_unknown {
                    self.unknown.insert(arm.full());
                } else if let Some(Value::Array(a)) = v {
                    let parts: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                    if !parts.is_empty() {
                        self.put_at(arm, Value::String(parts.join(" ")));
                    }
                }
            }
            Conv::NameValue(key) => {
                if fully_unknown {
                    self.unknown.insert(arm.full());
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
                    arr.push(serde_json::json!({ "name": k, key: x }));
                    if secret || self.sensitive_at(&format!("{tf}.{k}")) {
                        self.sensitive.insert(full.index(n).key(key));
                    }
                    if mark_node(&self.tf.unknown, &format!("{tf}.{k}")).is_err() {
                        self.unknown.insert(full.index(n).key(key));
                    }
                }
                self.put_at(arm, Value::Array(arr));
            }
            Conv::Blocks(sub) => {
                if fully_unknown {
                    self.unknown.insert(arm.full());
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
                    self.put(&armi, Value::Object(Map::new()));
                    self.apply(sub, &tfi, &armi);
                }
            }
        }
    }
}

/// The value as an object, replacing a value of another shape.
pub fn ensure_object(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
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

/// One step down, replacing a value of the wrong shape.
fn step<'v>(cur: &'v mut Value, s: &Seg) -> &'v mut Value {
    match s {
        Seg::Key(k) => {
            let m = ensure_object(cur);
            if !m.contains_key(k) {
                m.insert(k.clone(), Value::Null);
            }
            m.get_mut(k)
                .unwrap_or_else(|| unreachable!("inserted above"))
        }
        Seg::Index(i) => {
            let a = ensure_array(cur);
            if a.len() <= *i {
                a.resize(*i + 1, Value::Null);
            }
            &mut a[*i]
        }
    }
}
