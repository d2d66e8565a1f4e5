//! Evaluation: a parsed condition, one resource, three-valued.
//!
//! Field reads walk the ARM document along the field's path. `[*]` selects
//! every element (a collection: conditions hold when every element satisfies
//! them, vacuously on a present but empty array, except `exists: true`; an
//! absent array reads as one missing value, as regorus does); inside a
//! `count.where`, the counted `[*]` is bound to the current member. A value
//! whose path (or an ancestor) is unknown until apply reads as Unknown, and
//! Unknown flows through operators and Kleene logic (false AND unknown =
//! false, true OR unknown = true). A partly known string decides whenever its
//! known parts do ([`super::partial`]); an unknown value the configuration
//! sets decides `exists`. ` -> ` hops follow an id to the resource it names,
//! when that resource has the type the next field expects; an id that is not
//! in the inventory reads as Unknown.
//!
//! Conditions compare real values, sensitive ones included; only what goes
//! into evidence and messages is redacted.

use serde_json::Value;

use super::alias::PSeg;
use super::condition::{self, Cond, FieldPart, FieldRef, FieldSpec, Op, Subject};
use super::expr::{self, Env, Template, Val};
use super::partial::{self as part, Pat};
use super::{Params, Tri};
use crate::findings::Evidence;
use crate::inventory::{self, Inventory, Partial, Path, Resource, Seg, Unknown};

pub const REDACTED: &str = "<redacted>";

/// A value read from a resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    Known(Value),
    Missing,
    /// Not known before apply: the path (or reason) to name, and what is known of it.
    Unknown(String, Unknown),
    /// A partly known string, and the path to name.
    Partial(String, std::sync::Arc<Partial>),
}

impl Got {
    /// An unknown with only a reason.
    fn unknown(why: impl Into<String>) -> Got {
        Got::Unknown(why.into(), Unknown::default())
    }

    /// The path or reason an unknown or partial value is named by.
    pub fn unknown_path(&self) -> Option<&str> {
        match self {
            Got::Unknown(p, _) | Got::Partial(p, _) => Some(p),
            _ => None,
        }
    }

    /// The value as the inventory holds it, for following it to a resource.
    fn as_value(&self) -> Option<inventory::Value> {
        match self {
            Got::Known(v) => Some(inventory::Value::from(v)),
            Got::Unknown(_, u) => Some(inventory::Value::Unknown(u.clone())),
            Got::Partial(_, p) => Some(inventory::Value::Partial(p.clone())),
            Got::Missing => None,
        }
    }
}

/// One selected value and where it came from.
#[derive(Debug, Clone)]
pub struct Item {
    pub got: Got,
    /// Display path, hops joined with ` -> `.
    pub path: String,
    /// Concrete path in the first resource (for count bindings).
    pub at: Option<Path>,
    /// The id values followed by hops, for evidence.
    pub hops: Vec<Evidence>,
    /// The value is sensitive: conditions read it, evidence and messages never show it.
    pub secret: bool,
}

impl Item {
    fn new(got: Got, path: impl Into<String>, at: Option<Path>) -> Item {
        Item {
            got,
            path: path.into(),
            at,
            hops: vec![],
            secret: false,
        }
    }

    /// The value as evidence shows it.
    fn evidence(&self) -> Evidence {
        Evidence {
            path: self.path.clone(),
            value: if self.secret && !matches!(self.got, Got::Missing) {
                Value::String(REDACTED.into())
            } else {
                got_value(&self.got)
            },
        }
    }
}

#[derive(Debug, Clone)]
enum Binding {
    Field {
        pattern: Vec<PSeg>,
        fact: bool,
        at: Path,
    },
    Value {
        name: Option<String>,
        value: Val,
    },
}

/// Members of a `count` that matched, kept so a message can name them.
#[derive(Debug, Clone, Default)]
pub struct Matched {
    pub pattern: Vec<PSeg>,
    pub fact: bool,
    pub members: Vec<Path>,
}

pub struct Ctx<'a> {
    pub res: &'a Resource,
    pub inv: &'a Inventory,
    pub params: &'a Params,
    bindings: Vec<Binding>,
    pub matched: Vec<Matched>,
}

/// The result of a condition: verdict, evidence, unknown paths.
#[derive(Debug, Clone)]
pub struct Res {
    pub tri: Tri,
    pub evidence: Vec<Evidence>,
    pub unknown: Vec<String>,
}

impl Res {
    fn of(tri: Tri) -> Res {
        Res {
            tri,
            evidence: Vec::new(),
            unknown: Vec::new(),
        }
    }
}

fn key_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn seg_eq(a: &PSeg, b: &PSeg) -> bool {
    match (a, b) {
        (PSeg::Key(x), PSeg::Key(y)) => key_eq(x, y),
        (PSeg::Star, PSeg::Star) => true,
        _ => false,
    }
}

/// The `fullName` of a resource: parent names and its own, from the id.
fn full_name(res: &Resource) -> String {
    let id = res.id();
    match id.rsplit_once("/providers/") {
        Some((_, rest)) => {
            let parts: Vec<&str> = rest.split('/').collect();
            // namespace, type, name, childType, childName, …: names at even positions after the first.
            parts
                .iter()
                .skip(2)
                .step_by(2)
                .copied()
                .collect::<Vec<_>>()
                .join("/")
        }
        None => res.name().to_string(),
    }
}

impl<'a> Ctx<'a> {
    pub fn new(res: &'a Resource, inv: &'a Inventory, params: &'a Params) -> Self {
        Ctx {
            res,
            inv,
            params,
            bindings: Vec::new(),
            matched: Vec::new(),
        }
    }

    /// Reads one field part on `res`; `bind` applies the count bindings (only
    /// on the resource being evaluated, not on dereferenced ones).
    fn walk_part(&self, part: &FieldPart, res: &Resource, bind: bool, out: &mut Vec<Item>) -> bool {
        if part.unknown_alias {
            out.push(Item::new(
                Got::unknown(format!("unknown alias `{}`", part.text)),
                part.text.clone(),
                None,
            ));
            return false;
        }
        if part.full_name {
            out.push(Item::new(
                Got::Known(Value::String(full_name(res))),
                "fullName",
                Some(Path::root()),
            ));
            return false;
        }
        let (root, base) = if part.fact {
            (&res.facts, Path::root().key("mcpguard"))
        } else {
            (&res.doc, Path::root())
        };
        let mut collection = false;
        self.rec(
            Some(root),
            base,
            &part.path,
            0,
            res,
            bind,
            part.fact,
            out,
            &mut collection,
        );
        collection
    }

    #[allow(clippy::too_many_arguments)]
    fn rec(
        &self,
        v: Option<&inventory::Value>,
        path: Path,
        segs: &[PSeg],
        i: usize,
        res: &Resource,
        bind: bool,
        fact: bool,
        out: &mut Vec<Item>,
        collection: &mut bool,
    ) {
        let v = v.filter(|x| !x.is_null());
        let item = |got: Got, path: Path| {
            let mut it = Item::new(got, path.to_string(), Some(path.clone()));
            it.secret = !fact && res.sensitive.touching(&path).is_some();
            it
        };
        // Below an unknown value everything is unknown: read it there.
        if let Some(u) = v.filter(|x| x.is_unknown()) {
            out.push(item(unknown_got(u, &path), path));
            return;
        }
        if i == segs.len() {
            let got = match v {
                None => Got::Missing,
                Some(x) => match x.to_json() {
                    Some(j) => Got::Known(j),
                    None => {
                        let (rel, u) = x.first_unknown().unwrap_or((Path::root(), x));
                        let mut below = path.clone();
                        below.0.extend(rel.0);
                        unknown_got(u, &below)
                    }
                },
            };
            out.push(item(got, path));
            return;
        }
        let Some(v) = v else {
            if segs[i..].contains(&PSeg::Star) {
                // A missing array is an empty collection.
                *collection = true;
                return;
            }
            out.push(item(Got::Missing, path));
            return;
        };
        match &segs[i] {
            PSeg::Key(k) => match v.get_ci(k) {
                Some((real, c)) => self.rec(
                    Some(c),
                    path.key(real.clone()),
                    segs,
                    i + 1,
                    res,
                    bind,
                    fact,
                    out,
                    collection,
                ),
                None => self.rec(
                    None,
                    path.key(k.clone()),
                    segs,
                    i + 1,
                    res,
                    bind,
                    fact,
                    out,
                    collection,
                ),
            },
            PSeg::Star => {
                if let Some(idx) = self.bound_index(&path, segs, i, bind, fact) {
                    let el = v.as_array().and_then(|a| a.get(idx));
                    self.rec(
                        el,
                        path.index(idx),
                        segs,
                        i + 1,
                        res,
                        bind,
                        fact,
                        out,
                        collection,
                    );
                    return;
                }
                *collection = true;
                if let inventory::Value::Array(a) = v {
                    for (j, el) in a.iter().enumerate() {
                        self.rec(
                            Some(el),
                            path.index(j),
                            segs,
                            i + 1,
                            res,
                            bind,
                            fact,
                            out,
                            collection,
                        );
                    }
                }
            }
        }
    }

    /// The member index a `count` binds the `[*]` at `segs[i]` to, if any.
    fn bound_index(
        &self,
        path: &Path,
        segs: &[PSeg],
        i: usize,
        bind: bool,
        fact: bool,
    ) -> Option<usize> {
        if !bind {
            return None;
        }
        for b in self.bindings.iter().rev() {
            if let Binding::Field {
                pattern,
                fact: bf,
                at,
            } = b
            {
                if *bf == fact
                    && pattern.len() > i
                    && pattern[..=i]
                        .iter()
                        .zip(&segs[..=i])
                        .all(|(a, b)| seg_eq(a, b))
                    && path.is_prefix_of(at)
                {
                    if let Some(Seg::Index(n)) = at.0.get(path.0.len()) {
                        return Some(*n);
                    }
                }
            }
        }
        None
    }

    /// Whether the array under the field's first `[*]` is present (maybe empty).
    fn outer_array_present(&self, f: &FieldRef) -> bool {
        let first = &f.hops[0];
        let Some(k) = first.path.iter().position(|s| *s == PSeg::Star) else {
            return false;
        };
        let prefix = FieldRef {
            text: String::new(),
            hops: vec![FieldPart {
                path: first.path[..k].to_vec(),
                ..first.clone()
            }],
        };
        let (items, _) = self.select(&prefix);
        matches!(
            items.first().map(|i| &i.got),
            Some(Got::Known(Value::Array(_)))
        )
    }

    /// Whether a counted item is a member that is there, known itself though
    /// parts of it may not be (`{"id": <unknown>}` in `subnetIds`).
    fn known_member(&self, field: &FieldRef, it: &Item) -> bool {
        let (Some(at), [part]) = (&it.at, field.hops.as_slice()) else {
            return false;
        };
        let root = if part.fact {
            &self.res.facts
        } else {
            &self.res.doc
        };
        // Facts paths carry their `mcpguard` prefix; the facts object does not.
        let rel = match (part.fact, at.0.first()) {
            (true, Some(Seg::Key(k))) if k == "mcpguard" => Path(at.0[1..].to_vec()),
            _ => at.clone(),
        };
        root.at(&rel)
            .is_some_and(|v| (v.is_object() || v.is_array()) && !v.is_unknown())
    }

    /// Selects a field: its items and whether it is a collection.
    pub fn select(&self, f: &FieldRef) -> (Vec<Item>, bool) {
        let mut items = Vec::new();
        let mut collection = self.walk_part(&f.hops[0], self.res, true, &mut items);
        for part in &f.hops[1..] {
            let mut next = Vec::new();
            for it in items {
                let target = it.got.as_value().and_then(|v| self.inv.deref(&v));
                let onward = |got: Got| Item {
                    got,
                    path: format!("{} -> {}", it.path, part.text),
                    at: it.at.clone(),
                    hops: it.hops.clone(),
                    secret: false,
                };
                match (target, &it.got) {
                    (Some(t), _) if !part.accepts(t.arm_type()) => {
                        next.push(onward(Got::unknown(format!(
                            "{}: `{}` names a `{}`, not a `{}`",
                            it.path,
                            t.display_id(),
                            t.arm_type(),
                            part.resource_type().unwrap_or_default()
                        ))))
                    }
                    (Some(t), _) => {
                        let mut got = Vec::new();
                        collection |= self.walk_part(part, t, false, &mut got);
                        let mut hops = it.hops.clone();
                        hops.push(Evidence {
                            path: it.path.clone(),
                            value: match &it.got {
                                Got::Known(v) => v.clone(),
                                _ => Value::String(t.display_id()),
                            },
                        });
                        for g in got {
                            next.push(Item {
                                path: format!("{} -> {}", it.path, g.path),
                                at: it.at.clone(),
                                hops: hops.clone(),
                                ..g
                            });
                        }
                    }
                    (None, Got::Known(v)) => next.push(onward(Got::unknown(format!(
                        "{}: `{}` is not among the scanned resources",
                        it.path,
                        expr::canonical(v)
                    )))),
                    (None, g) => next.push(onward(g.clone())),
                }
            }
            items = next;
        }
        (items, collection)
    }

    /// The field a condition reads: `Err(path)` when its name is built from a
    /// value not known before apply.
    fn field_ref(&self, spec: &FieldSpec) -> Result<Result<FieldRef, String>, String> {
        match spec {
            FieldSpec::Static(f) => Ok(Ok(f.clone())),
            FieldSpec::Dynamic(e) => match expr::eval(e, self)? {
                Val::Known(v) => Ok(Ok(condition::parse_field(&expr::canonical(&v)))),
                Val::Unknown(p) => Ok(Err(p)),
            },
        }
    }

    fn template(&self, t: &Template) -> Result<Val, String> {
        match t {
            Template::Lit(v) => Ok(Val::Known(v.clone())),
            Template::Expr(e) => expr::eval(e, self),
        }
    }

    pub fn eval(&mut self, c: &Cond) -> Result<Res, String> {
        match c {
            Cond::AllOf(kids) => {
                let mut acc = Res::of(Tri::True);
                for k in kids {
                    let r = self.eval(k)?;
                    match r.tri {
                        Tri::False => return Ok(Res::of(Tri::False)),
                        Tri::Unknown => {
                            acc.tri = Tri::Unknown;
                            acc.unknown.extend(r.unknown);
                        }
                        Tri::True => acc.evidence.extend(r.evidence),
                    }
                }
                Ok(acc)
            }
            Cond::AnyOf(kids) => {
                let mut acc = Res::of(Tri::False);
                let mut evidence = Vec::new();
                for k in kids {
                    let r = self.eval(k)?;
                    match r.tri {
                        Tri::True => {
                            acc.tri = Tri::True;
                            evidence.extend(r.evidence);
                        }
                        Tri::Unknown => {
                            if acc.tri == Tri::False {
                                acc.tri = Tri::Unknown;
                            }
                            acc.unknown.extend(r.unknown);
                        }
                        Tri::False => {}
                    }
                }
                if acc.tri == Tri::True {
                    acc.unknown.clear();
                    acc.evidence = evidence;
                }
                Ok(acc)
            }
            Cond::Not(k) => {
                // Members matched under a `not` are the opposite of what a message names.
                let saved = self.matched.len();
                let r = self.eval(k)?;
                self.matched.truncate(saved);
                Ok(match r.tri {
                    Tri::True => Res::of(Tri::False),
                    Tri::False => Res {
                        tri: Tri::True,
                        evidence: r.evidence,
                        unknown: vec![],
                    },
                    Tri::Unknown => Res {
                        tri: Tri::Unknown,
                        evidence: vec![],
                        unknown: r.unknown,
                    },
                })
            }
            Cond::Leaf {
                subject,
                op,
                operand,
            } => self.leaf(subject, *op, operand),
        }
    }

    fn leaf(&mut self, subject: &Subject, op: Op, operand: &Template) -> Result<Res, String> {
        let rhs = match self.template(operand)? {
            Val::Known(v) => v,
            Val::Unknown(p) => {
                return Ok(Res {
                    tri: Tri::Unknown,
                    evidence: vec![],
                    unknown: vec![p],
                })
            }
        };
        match subject {
            Subject::Field(spec) => {
                let f = match self.field_ref(spec)? {
                    Ok(f) => f,
                    Err(p) => {
                        return Ok(Res {
                            tri: Tri::Unknown,
                            evidence: vec![],
                            unknown: vec![p],
                        })
                    }
                };
                let location = f.hops.len() == 1 && f.text.eq_ignore_ascii_case("location");
                let (items, collection) = self.select(&f);
                if collection && items.is_empty() {
                    // An empty selection. When the outermost `[*]` array is absent,
                    // it is evaluated once as a single missing value (negated
                    // operators and `exists: false` hold, positive ones do not);
                    // when the array is present but empty (or only an inner array
                    // is), the all-of holds vacuously, except `exists: true`. The
                    // reference leaves this open; regorus (the tie-breaker the core
                    // issue names) behaves so, and fixtures/policy checks it.
                    if !self.outer_array_present(&f) {
                        return Ok(Res::of(apply(op, &Got::Missing, &rhs, false)?));
                    }
                    let tri = if op == Op::Exists && exists_wanted(&rhs)? {
                        Tri::False
                    } else {
                        Tri::True
                    };
                    return Ok(Res::of(tri));
                }
                let mut acc = Res::of(Tri::True);
                for it in &items {
                    let t = apply(op, &it.got, &rhs, location)?;
                    match t {
                        Tri::False => return Ok(Res::of(Tri::False)),
                        Tri::Unknown => {
                            acc.tri = Tri::Unknown;
                            if let Some(p) = it.got.unknown_path() {
                                acc.unknown.push(p.to_string());
                            }
                        }
                        Tri::True => {
                            acc.evidence.extend(it.hops.iter().cloned());
                            acc.evidence.push(it.evidence());
                        }
                    }
                }
                if acc.tri == Tri::Unknown {
                    acc.evidence.clear();
                }
                Ok(acc)
            }
            Subject::Value(t) => match self.template(t)? {
                Val::Unknown(p) => Ok(Res {
                    tri: Tri::Unknown,
                    evidence: vec![],
                    unknown: vec![p],
                }),
                Val::Known(v) => Ok(Res::of(apply(op, &Got::Known(v), &rhs, false)?)),
            },
            Subject::FieldCount { field, where_ } => {
                let (items, _) = self.select(field);
                let pattern = field.hops[0].path.clone();
                let fact = field.hops[0].fact;
                let (mut yes, mut maybe) = (0i64, 0i64);
                let mut evidence = Vec::new();
                let mut unknown = Vec::new();
                let mut members = Vec::new();
                for it in &items {
                    // The array itself (or a member) is unknown: the count is. A
                    // member that is known but holds unknown parts is a member.
                    if let (Got::Unknown(p, _), false) = (&it.got, self.known_member(field, it)) {
                        maybe += 1;
                        unknown.push(p.clone());
                        continue;
                    }
                    let r = match (where_, &it.at) {
                        (None, _) => Res::of(Tri::True),
                        (Some(w), Some(at)) => {
                            self.bindings.push(Binding::Field {
                                pattern: pattern.clone(),
                                fact,
                                at: at.clone(),
                            });
                            let r = self.eval(w);
                            self.bindings.pop();
                            r?
                        }
                        (Some(_), None) => Res::of(Tri::Unknown),
                    };
                    match r.tri {
                        Tri::True => {
                            yes += 1;
                            // The member itself, then what decided it.
                            evidence.push(it.evidence());
                            evidence.extend(r.evidence);
                            if let Some(at) = &it.at {
                                members.push(at.clone());
                            }
                        }
                        Tri::Unknown => {
                            maybe += 1;
                            unknown.extend(r.unknown);
                        }
                        Tri::False => {}
                    }
                }
                let tri = count_verdict(op, yes, maybe, &rhs)?;
                if tri == Tri::True && where_.is_some() {
                    self.matched.push(Matched {
                        pattern,
                        fact,
                        members,
                    });
                }
                Ok(finish(tri, evidence, unknown))
            }
            Subject::ValueCount {
                value,
                name,
                where_,
            } => {
                let arr = match self.template(value)? {
                    Val::Known(Value::Array(a)) => a,
                    Val::Known(other) => {
                        return Err(format!("`count.value` must be an array, got `{other}`"))
                    }
                    Val::Unknown(p) => {
                        return Ok(Res {
                            tri: Tri::Unknown,
                            evidence: vec![],
                            unknown: vec![p],
                        })
                    }
                };
                let (mut yes, mut maybe) = (0i64, 0i64);
                let mut evidence = Vec::new();
                let mut unknown = Vec::new();
                for el in arr {
                    let r = match where_ {
                        None => Res::of(Tri::True),
                        Some(w) => {
                            self.bindings.push(Binding::Value {
                                name: name.clone(),
                                value: Val::Known(el),
                            });
                            let r = self.eval(w);
                            self.bindings.pop();
                            r?
                        }
                    };
                    match r.tri {
                        Tri::True => {
                            yes += 1;
                            evidence.extend(r.evidence);
                        }
                        Tri::Unknown => {
                            maybe += 1;
                            unknown.extend(r.unknown);
                        }
                        Tri::False => {}
                    }
                }
                Ok(finish(
                    count_verdict(op, yes, maybe, &rhs)?,
                    evidence,
                    unknown,
                ))
            }
        }
    }
}

fn finish(tri: Tri, evidence: Vec<Evidence>, unknown: Vec<String>) -> Res {
    match tri {
        Tri::True => Res {
            tri,
            evidence,
            unknown: vec![],
        },
        Tri::False => Res::of(tri),
        Tri::Unknown => Res {
            tri,
            evidence: vec![],
            unknown,
        },
    }
}

/// A count with `yes` certain members and `maybe` undecided ones: the verdict
/// holds only if it is the same for every possible total.
fn count_verdict(op: Op, yes: i64, maybe: i64, rhs: &Value) -> Result<Tri, String> {
    let mut seen: Option<Tri> = None;
    for n in yes..=yes + maybe.min(10_000) {
        let t = apply(op, &Got::Known(Value::from(n)), rhs, false)?;
        match seen {
            None => seen = Some(t),
            Some(s) if s != t => return Ok(Tri::Unknown),
            _ => {}
        }
    }
    Ok(seen.unwrap_or(Tri::False))
}

fn got_value(g: &Got) -> Value {
    match g {
        Got::Known(v) => v.clone(),
        Got::Missing => Value::Null,
        Got::Unknown(..) => Value::String(inventory::value::KNOWN_AFTER_APPLY.into()),
        Got::Partial(_, p) => Value::String(p.to_string()),
    }
}

/// What reading an unknown or partly known value at `path` gives.
fn unknown_got(v: &inventory::Value, path: &Path) -> Got {
    match v {
        inventory::Value::Partial(p) => Got::Partial(path.to_string(), p.clone()),
        inventory::Value::Unknown(u) => {
            let why = u.cause().map_or_else(|| path.to_string(), str::to_string);
            Got::Unknown(why, u.clone())
        }
        _ => Got::unknown(path.to_string()),
    }
}

fn exists_wanted(rhs: &Value) -> Result<bool, String> {
    match rhs {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(format!("`exists` takes true or false, got `{other}`")),
    }
}

fn norm_location(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.to_lowercase().replace(' ', "")),
        other => other.clone(),
    }
}

/// One operator on one value (reference §4).
pub fn apply(op: Op, got: &Got, rhs: &Value, location: bool) -> Result<Tri, String> {
    let v = match got {
        Got::Unknown(_, u) => return apply_unknown(op, u, rhs),
        Got::Partial(_, p) => return apply_partial(op, p, rhs),
        Got::Missing => {
            return Ok(if op == Op::Exists {
                if exists_wanted(rhs)? {
                    Tri::False
                } else {
                    Tri::True
                }
            } else if op.negated() {
                Tri::True
            } else {
                Tri::False
            })
        }
        Got::Known(Value::Null) => return apply(op, &Got::Missing, rhs, location),
        Got::Known(v) => v,
    };
    let (v, rhs) = if location {
        (norm_location(v), norm_location(rhs))
    } else {
        (v.clone(), rhs.clone())
    };
    let b = |x: bool| if x { Tri::True } else { Tri::False };
    let s = expr::canonical(&v);
    let r = expr::canonical(&rhs);
    let in_list = |list: &Value| -> Result<bool, String> {
        match list {
            Value::Array(a) => Ok(a.iter().any(|x| expr::loose_eq(&v, x))),
            other => Err(format!("`in`/`notIn` need an array, got `{other}`")),
        }
    };
    Ok(match op {
        Op::Exists => b(exists_wanted(&rhs)?),
        Op::Equals => b(expr::loose_eq(&v, &rhs)),
        Op::NotEquals => b(!expr::loose_eq(&v, &rhs)),
        Op::Like => b(v.is_string() && condition::like(&r, &s)),
        Op::NotLike => b(!(v.is_string() && condition::like(&r, &s))),
        Op::Match => b(condition::pattern_match(&r, &s, false)),
        Op::NotMatch => b(!condition::pattern_match(&r, &s, false)),
        Op::MatchInsensitively => b(condition::pattern_match(&r, &s, true)),
        Op::NotMatchInsensitively => b(!condition::pattern_match(&r, &s, true)),
        Op::Contains | Op::NotContains => {
            let hit = match &v {
                Value::Array(a) => a.iter().any(|x| expr::loose_eq(x, &rhs)),
                Value::Object(_) => false,
                _ => s.to_lowercase().contains(&r.to_lowercase()),
            };
            b(hit == (op == Op::Contains))
        }
        Op::In => b(in_list(&rhs)?),
        Op::NotIn => b(!in_list(&rhs)?),
        Op::ContainsKey | Op::NotContainsKey => {
            let hit = v
                .as_object()
                .is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(&r)));
            b(hit == (op == Op::ContainsKey))
        }
        Op::Less => b(expr::compare_values(&v, &rhs)?.is_lt()),
        Op::LessOrEquals => b(expr::compare_values(&v, &rhs)?.is_le()),
        Op::Greater => b(expr::compare_values(&v, &rhs)?.is_gt()),
        Op::GreaterOrEquals => b(expr::compare_values(&v, &rhs)?.is_ge()),
    })
}

/// An operator on a value not known before apply: it decides only where no
/// value could change the answer (`exists` on a value the configuration sets,
/// `in []`), or where the value is the id of the resource an entry names
/// by its Terraform address.
fn apply_unknown(op: Op, u: &Unknown, rhs: &Value) -> Result<Tri, String> {
    if op == Op::Exists && u.present {
        return Ok(if exists_wanted(rhs)? {
            Tri::True
        } else {
            Tri::False
        });
    }
    let named = |r: &Value| u.refers_to().is_some_and(|a| names_address(r, a));
    let empty_list = rhs.as_array().is_some_and(Vec::is_empty);
    Ok(match op {
        Op::In | Op::NotIn if empty_list => Tri::from(op == Op::NotIn),
        Op::Equals | Op::Like if named(rhs) => Tri::True,
        Op::NotEquals | Op::NotLike if named(rhs) => Tri::False,
        Op::In | Op::NotIn if rhs.as_array().is_some_and(|a| a.iter().any(named)) => {
            Tri::from(op == Op::In)
        }
        _ => Tri::Unknown,
    })
}

/// Whether a parameter entry names the resource at `address` by its
/// Terraform address (instance keys may be left out).
fn names_address(entry: &Value, address: &str) -> bool {
    match entry.as_str() {
        // ARM ids and their patterns start with `/`; addresses never do.
        Some(e) if !e.starts_with('/') => {
            e.eq_ignore_ascii_case(address) || without_keys(address).eq(e.chars())
        }
        _ => false,
    }
}

/// `module.net["a"].azurerm_subnet.s[0]` → `module.net.azurerm_subnet.s`,
/// as characters (compared case-sensitively: addresses are).
fn without_keys(address: &str) -> impl Iterator<Item = char> + '_ {
    let mut depth = 0usize;
    let mut quoted = false;
    address.chars().filter(move |&c| match c {
        '"' if depth > 0 => {
            quoted = !quoted;
            false
        }
        '[' if !quoted => {
            depth += 1;
            false
        }
        ']' if !quoted => {
            depth = depth.saturating_sub(1);
            false
        }
        _ => depth == 0,
    })
}

/// An operator on a partly known string (see [`super::partial`]).
fn apply_partial(op: Op, p: &Partial, rhs: &Value) -> Result<Tri, String> {
    if op == Op::Exists {
        return Ok(if exists_wanted(rhs)? {
            Tri::True
        } else {
            Tri::False
        });
    }
    let named = |r: &Value| p.of.as_deref().is_some_and(|a| names_address(r, a));
    let on = |pat: Vec<Pat>, insensitive: bool| part::holds(&pat, p, insensitive);
    let equals = |r: &Value| -> Tri {
        match r {
            _ if named(r) => Tri::True,
            Value::String(s) => on(part::literal(s), true),
            // A string never equals a number, object or array in ARM's terms.
            _ => Tri::Unknown,
        }
    };
    let text = expr::canonical(rhs);
    Ok(match op {
        Op::Equals => equals(rhs),
        Op::NotEquals => equals(rhs).not(),
        Op::Like if named(rhs) => Tri::True,
        Op::Like => on(part::like_pattern(&text), true),
        Op::NotLike if named(rhs) => Tri::False,
        Op::NotLike => on(part::like_pattern(&text), true).not(),
        Op::Match => on(part::match_pattern(&text), false),
        Op::NotMatch => on(part::match_pattern(&text), false).not(),
        Op::MatchInsensitively => on(part::match_pattern(&text), true),
        Op::NotMatchInsensitively => on(part::match_pattern(&text), true).not(),
        Op::Contains => on(part::containing(&text), true),
        Op::NotContains => on(part::containing(&text), true).not(),
        Op::In | Op::NotIn => {
            let list = rhs
                .as_array()
                .ok_or_else(|| format!("`in`/`notIn` need an array, got `{rhs}`"))?;
            let any = list.iter().map(equals).fold(Tri::False, Tri::or);
            if op == Op::In {
                any
            } else {
                any.not()
            }
        }
        _ => Tri::Unknown,
    })
}

impl Env for Ctx<'_> {
    fn parameter(&self, name: &str) -> Result<Value, String> {
        self.params
            .0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("parameter `{name}` has no value"))
    }

    fn field(&self, name: &str) -> Val {
        let f = condition::parse_field(name);
        let (items, _) = self.select(&f);
        let many = f.is_collection();
        let mut vals = Vec::new();
        for it in items {
            match it.got {
                Got::Unknown(p, _) | Got::Partial(p, _) => return Val::Unknown(p),
                Got::Known(v) => vals.push(v),
                Got::Missing if many => {}
                Got::Missing => vals.push(Value::String(String::new())),
            }
        }
        if many {
            Val::Known(Value::Array(vals))
        } else {
            Val::Known(
                vals.into_iter()
                    .next()
                    .unwrap_or(Value::String(String::new())),
            )
        }
    }

    fn current(&self, name: Option<&str>) -> Result<Val, String> {
        for b in self.bindings.iter().rev() {
            match b {
                Binding::Value { name: n, value } => {
                    if name.is_none()
                        || n.as_deref()
                            .is_some_and(|n| name.is_some_and(|x| x.eq_ignore_ascii_case(n)))
                    {
                        return Ok(value.clone());
                    }
                }
                Binding::Field { pattern, fact, .. } => {
                    let Some(alias) = name else {
                        continue;
                    };
                    // current('alias') names this count only when the alias is
                    // the counted array (or under it); else an outer binding.
                    let part = condition::parse_part(alias);
                    let ours = part.fact == *fact
                        && !part.unknown_alias
                        && part.path.len() >= pattern.len()
                        && pattern.iter().zip(&part.path).all(|(a, b)| seg_eq(a, b));
                    if !ours {
                        continue;
                    }
                    let f = condition::parse_field(alias);
                    let (items, _) = self.select(&f);
                    return Ok(match items.into_iter().next().map(|i| i.got) {
                        Some(Got::Known(v)) => Val::Known(v),
                        Some(Got::Unknown(p, _) | Got::Partial(p, _)) => Val::Unknown(p),
                        _ => Val::Known(Value::Null),
                    });
                }
            }
        }
        Err(format!(
            "current({}) is used outside a count that defines it",
            name.unwrap_or("")
        ))
    }

    fn resource_id(&self) -> String {
        self.res.id().to_string()
    }
}

/// Renders a message template: `{{ field }}`, `{{ field | fallback text }}`
/// and `{{ field ?? other field | fallback text }}`.
/// A field under a `count` that decided the verdict names only the members
/// that matched.
pub fn render(template: &str, ctx: &mut Ctx) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &rest[start + 2..start + end];
        let (fields, fallback) = match inner.split_once('|') {
            Some((f, fb)) => (f.trim(), Some(fb.trim())),
            None => (inner.trim(), None),
        };
        // `{{ a ?? b | text }}`: the first field that has values, else the text.
        let vals = fields
            .split("??")
            .map(|f| placeholder_values(f.trim(), ctx))
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        if vals.is_empty() {
            out.push_str(fallback.unwrap_or(""));
        } else {
            out.push_str(&vals.join(", "));
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn placeholder_values(field: &str, ctx: &mut Ctx) -> Vec<String> {
    let f = condition::parse_field(field);
    let first = &f.hops[0];
    let matched = ctx
        .matched
        .iter()
        .find(|m| {
            m.fact == first.fact
                && m.pattern.len() <= first.path.len()
                && m.pattern.iter().zip(&first.path).all(|(a, b)| seg_eq(a, b))
        })
        .cloned();
    let mut items = Vec::new();
    match matched {
        Some(m) => {
            for member in m.members {
                ctx.bindings.push(Binding::Field {
                    pattern: m.pattern.clone(),
                    fact: m.fact,
                    at: member,
                });
                items.extend(ctx.select(&f).0);
                ctx.bindings.pop();
            }
        }
        None => items = ctx.select(&f).0,
    }
    let mut vals: Vec<String> = Vec::new();
    for it in items {
        let shown = match it.got {
            _ if it.secret => Some(Value::String(REDACTED.into())),
            Got::Known(v) => Some(v),
            // What is known of a value not created yet: `/subscriptions/{unknown}/…`.
            Got::Partial(_, p) => Some(Value::String(p.to_string())),
            _ => None,
        };
        if let Some(v) = shown {
            let s = match v {
                Value::String(s) => s,
                Value::Array(a) if a.is_empty() => continue,
                other => other.to_string(),
            };
            if !s.is_empty() && !vals.contains(&s) {
                vals.push(s);
            }
        }
    }
    vals
}
