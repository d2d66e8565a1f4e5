//! Module evaluation: declarations of one module directory, evaluated in
//! dependency order for one module instance, with count/for_each expansion
//! and local child modules loaded recursively.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use hcl::edit::expr::{Expression, TraversalOperator};
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use hcl::edit::visit::{self, Visit};
use hcl::edit::Span;
use serde_json::Value;

use super::eval::{iter_items, Eval, EvalError, Root, Scope};
use super::ignore;
use super::source::SourceFile;
use super::types;
use super::value::Val;
use crate::inventory::Origin;
use crate::load::terraform::{Mode, TfResource};
use crate::load::InputError;
use crate::suppress::InlineIgnore;

/// A declaration with the file it is in.
struct Decl<T> {
    file: usize,
    item: T,
}

struct VarDecl {
    block: Block,
}

struct ResDecl {
    block: Block,
    mode: Mode,
    tf_type: String,
    name: String,
}

/// One module directory, parsed and indexed.
pub struct ModuleDef {
    /// Directory relative to the scanned root (`""` for the root, `modules/mcp`).
    pub rel_dir: String,
    pub dir: PathBuf,
    pub files: Vec<SourceFile>,
    vars: BTreeMap<String, Decl<VarDecl>>,
    locals: BTreeMap<String, Decl<Attribute>>,
    /// Keyed `type.name` or `data.type.name`.
    resources: BTreeMap<String, Decl<ResDecl>>,
    calls: BTreeMap<String, Decl<Block>>,
    outputs: BTreeMap<String, Decl<Block>>,
    providers: Vec<Decl<Block>>,
}

impl ModuleDef {
    /// Indexes the blocks of parsed files; duplicate names are errors.
    pub fn new(
        rel_dir: String,
        dir: PathBuf,
        files: Vec<SourceFile>,
        errors: &mut Vec<InputError>,
    ) -> ModuleDef {
        let mut m = ModuleDef {
            rel_dir,
            dir,
            files: Vec::new(),
            vars: BTreeMap::new(),
            locals: BTreeMap::new(),
            resources: BTreeMap::new(),
            calls: BTreeMap::new(),
            outputs: BTreeMap::new(),
            providers: Vec::new(),
        };
        for (fi, f) in files.iter().enumerate() {
            for s in f.body.iter() {
                let b = match s {
                    Structure::Block(b) => b,
                    Structure::Attribute(a) => {
                        errors.push(f.error(
                            a.span(),
                            format!("unexpected argument `{}` outside any block", a.key.as_str()),
                            "not allowed here",
                        ));
                        continue;
                    }
                };
                let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
                let kind = b.ident.as_str();
                let dup = |what: String| {
                    f.error(b.span(), format!("duplicate {what}"), "declared again here")
                };
                let want = |n: usize| -> Result<(), Box<InputError>> {
                    if labels.len() == n {
                        Ok(())
                    } else {
                        Err(Box::new(f.error(
                            b.span(),
                            format!("a `{kind}` block needs {n} label(s)"),
                            "here",
                        )))
                    }
                };
                match kind {
                    "variable" | "module" | "output" => {
                        if let Err(e) = want(1) {
                            errors.push(*e);
                            continue;
                        }
                        let name = labels[0].to_string();
                        let taken = match kind {
                            "variable" => m
                                .vars
                                .insert(
                                    name.clone(),
                                    Decl {
                                        file: fi,
                                        item: VarDecl { block: b.clone() },
                                    },
                                )
                                .is_some(),
                            "module" => m
                                .calls
                                .insert(
                                    name.clone(),
                                    Decl {
                                        file: fi,
                                        item: b.clone(),
                                    },
                                )
                                .is_some(),
                            _ => m
                                .outputs
                                .insert(
                                    name.clone(),
                                    Decl {
                                        file: fi,
                                        item: b.clone(),
                                    },
                                )
                                .is_some(),
                        };
                        if taken {
                            errors.push(dup(format!("{kind} `{name}`")));
                        }
                    }
                    "resource" | "data" => {
                        if let Err(e) = want(2) {
                            errors.push(*e);
                            continue;
                        }
                        let mode = if kind == "data" {
                            Mode::Data
                        } else {
                            Mode::Managed
                        };
                        let key = match mode {
                            Mode::Data => format!("data.{}.{}", labels[0], labels[1]),
                            Mode::Managed => format!("{}.{}", labels[0], labels[1]),
                        };
                        let r = ResDecl {
                            block: b.clone(),
                            mode,
                            tf_type: labels[0].into(),
                            name: labels[1].into(),
                        };
                        if m.resources
                            .insert(key.clone(), Decl { file: fi, item: r })
                            .is_some()
                        {
                            errors.push(dup(format!("resource `{key}`")));
                        }
                    }
                    "locals" => {
                        for a in b.body.attributes() {
                            let name = a.key.as_str().to_string();
                            if m.locals
                                .insert(
                                    name.clone(),
                                    Decl {
                                        file: fi,
                                        item: a.clone(),
                                    },
                                )
                                .is_some()
                            {
                                errors.push(f.error(
                                    a.span(),
                                    format!("duplicate local value `{name}`"),
                                    "declared again here",
                                ));
                            }
                        }
                    }
                    "provider" => m.providers.push(Decl {
                        file: fi,
                        item: b.clone(),
                    }),
                    // Nothing in these decides a resource's configuration.
                    "terraform" | "moved" | "import" | "removed" | "check" => {}
                    other => errors.push(
                        f.error(b.ident.span(), format!("unsupported block type `{other}`"), "here")
                            .with_help("top-level blocks are resource, data, module, variable, locals, output, provider and terraform"),
                    ),
                }
            }
        }
        m.files = files;
        m
    }
}

/// What a module instance evaluates in: one per `module` call instance.
pub struct Instance<'a> {
    /// `module.a["k"].module.b`, `""` at the root.
    pub prefix: String,
    /// The same without instance keys, for ignores.
    pub generic: String,
    pub inputs: BTreeMap<String, Val>,
    /// Inputs whose values are sensitive in the caller.
    pub sensitive_inputs: BTreeSet<String>,
    pub is_root: bool,
    pub def: &'a ModuleDef,
}

/// Everything the loader accumulates across modules.
pub struct Loader {
    pub root_canon: PathBuf,
    pub root_shown: PathBuf,
    pub errors: Vec<InputError>,
    pub notes: Vec<String>,
    pub resources: Vec<TfResource>,
    pub ignores: Vec<InlineIgnore>,
    pub subscription_id: Option<String>,
    /// Root variable values from tfvars and the command line.
    pub root_vars: BTreeMap<String, Val>,
    cache: BTreeMap<PathBuf, Rc<ModuleDef>>,
    stack: Vec<PathBuf>,
    ignored_files: BTreeSet<(String, String)>,
    /// Sensitive names of the module instance being evaluated.
    cur_sensitive: BTreeSet<String>,
}

/// The dependency graph nodes of a module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Local(String),
    Res(String),
    Call(String),
    Output(String),
}

impl Node {
    fn show(&self) -> String {
        match self {
            Node::Local(n) => format!("local.{n}"),
            Node::Res(n) => n.clone(),
            Node::Call(n) => format!("module.{n}"),
            Node::Output(n) => format!("output.{n}"),
        }
    }
}

/// Collects `root.a.b` name chains of traversals, for dependencies.
#[derive(Default)]
struct Refs(Vec<Vec<String>>);

impl Visit for Refs {
    fn visit_expr(&mut self, e: &Expression) {
        match e {
            Expression::Variable(v) => self.0.push(vec![v.as_str().to_string()]),
            Expression::Traversal(t) => {
                if let Expression::Variable(v) = &t.expr {
                    let mut chain = vec![v.as_str().to_string()];
                    for op in &t.operators {
                        match op.value() {
                            TraversalOperator::GetAttr(a) if chain.len() < 3 => {
                                chain.push(a.as_str().to_string())
                            }
                            _ => break,
                        }
                    }
                    self.0.push(chain);
                }
                visit::visit_traversal(self, t);
            }
            _ => visit::visit_expr(self, e),
        }
    }
}

/// Scope of one evaluation inside a module instance.
struct ModScope<'a> {
    def: &'a ModuleDef,
    vars: &'a BTreeMap<String, Val>,
    locals: &'a BTreeMap<String, Val>,
    res: &'a BTreeMap<String, Val>,
    mods: &'a BTreeMap<String, Val>,
    prefix: &'a str,
    each: Option<(Val, Val)>,
    count: Option<Val>,
    /// The scanned root: `file()` reads only inside it.
    root: &'a Path,
    /// `var.x` / `local.y` names whose values are sensitive.
    sensitive: &'a BTreeSet<String>,
}

impl Scope for ModScope<'_> {
    fn file(&self, path: &str) -> Result<String, String> {
        let p = self.root.join(path);
        let canon = std::fs::canonicalize(&p).map_err(|_| format!("file `{path}` not found"))?;
        if !canon.starts_with(self.root) {
            return Err(format!("file `{path}` is outside the scanned root"));
        }
        crate::load::read_text(&canon).map_err(|e| e.message)
    }

    fn root(&self, name: &str, attrs: &[&str]) -> Result<Option<Root>, String> {
        let plain = |val: Val, consumed: usize| {
            Ok(Some(Root {
                val,
                consumed,
                block: None,
            }))
        };
        let need = |what: &str| format!("`{name}` must be followed by a {what} name");
        match name {
            "var" => {
                let n = attrs.first().ok_or_else(|| need("variable"))?;
                match self.vars.get(*n) {
                    Some(v) => plain(v.clone(), 1),
                    None => Err(format!("reference to undeclared input variable `var.{n}`")),
                }
            }
            "local" => {
                let n = attrs.first().ok_or_else(|| need("local value"))?;
                match self.locals.get(*n) {
                    Some(v) => plain(v.clone(), 1),
                    None if self.def.locals.contains_key(*n) => plain(Val::unknown(), 1),
                    None => Err(format!("reference to undeclared local value `local.{n}`")),
                }
            }
            "each" => match &self.each {
                Some((k, v)) => plain(obj([("key", k.clone()), ("value", v.clone())]), 0),
                None => Err("`each` can only be used in a block that has `for_each`".into()),
            },
            "count" => match &self.count {
                Some(i) => plain(obj([("index", i.clone())]), 0),
                None => Err("`count.index` can only be used in a block that has `count`".into()),
            },
            "path" => plain(
                obj([
                    (
                        "module",
                        Val::str(if self.def.rel_dir.is_empty() {
                            "."
                        } else {
                            &self.def.rel_dir
                        }),
                    ),
                    ("root", Val::str(".")),
                    ("cwd", Val::str(".")),
                ]),
                0,
            ),
            "terraform" => plain(obj([("workspace", Val::str("default"))]), 0),
            "self" => plain(Val::unknown(), 0),
            "module" => {
                let n = attrs.first().ok_or_else(|| need("module"))?;
                match self.mods.get(*n) {
                    Some(v) => plain(v.clone(), 1),
                    None if self.def.calls.contains_key(*n) => plain(Val::unknown(), 1),
                    None => Err(format!("reference to undeclared module `module.{n}`")),
                }
            }
            "data" => {
                let (Some(t), Some(n)) = (attrs.first(), attrs.get(1)) else {
                    return Err("`data` must be followed by a data source type and name".into());
                };
                self.resource(&format!("data.{t}.{n}"), 2)
            }
            _ => match attrs.first() {
                Some(n) => {
                    let key = format!("{name}.{n}");
                    if self.def.resources.contains_key(&key) {
                        self.resource(&key, 1)
                    } else if name.contains('_') {
                        Err(format!("reference to undeclared resource `{key}`"))
                    } else {
                        Ok(None)
                    }
                }
                None => Ok(None),
            },
        }
    }
}

impl ModScope<'_> {
    fn resource(&self, key: &str, consumed: usize) -> Result<Option<Root>, String> {
        if !self.def.resources.contains_key(key) {
            return Err(format!("reference to undeclared resource `{key}`"));
        }
        let block = join(self.prefix, key);
        let val = self
            .res
            .get(key)
            .cloned()
            .unwrap_or(Val::Unknown(Some(block.clone())));
        Ok(Some(Root {
            val,
            consumed,
            block: Some(block),
        }))
    }
}

fn obj<const N: usize>(kv: [(&str, Val); N]) -> Val {
    Val::Map(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn join(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_string()
    } else {
        format!("{prefix}.{rest}")
    }
}

/// The instance key part of an address: `[0]` or `["key"]`.
fn key_suffix(k: &Val) -> String {
    match k {
        Val::Num(n) => format!("[{}]", super::value::fmt_num(*n)),
        other => format!(
            "[{}]",
            serde_json::to_string(&other.to_str().unwrap_or_default()).unwrap_or_default()
        ),
    }
}

/// How a block repeats.
enum Expansion {
    Single,
    Count(Vec<Val>),
    ForEach(Vec<(Val, Val)>),
}

/// One instance of a repeated block: its key and, for for_each, `each`.
type InstanceKey = (Option<Val>, Option<(Val, Val)>);

impl Expansion {
    fn keys(self) -> Vec<InstanceKey> {
        match self {
            Expansion::Single => vec![(None, None)],
            Expansion::Count(ix) => ix.into_iter().map(|i| (Some(i), None)).collect(),
            Expansion::ForEach(kv) => kv
                .into_iter()
                .map(|(k, v)| (Some(k.clone()), Some((k, v))))
                .collect(),
        }
    }
}

/// A graph node's file, span and dependencies.
type NodeInfo = (usize, Option<std::ops::Range<usize>>, BTreeSet<Node>);

/// Provider-computed attributes (besides `id`) of the types rules look at.
const COMPUTED: &[(&str, &[&str])] = &[(
    "azurerm_user_assigned_identity",
    &["client_id", "principal_id", "tenant_id"],
)];

/// Meta-arguments that are not resource attributes.
const META: &[&str] = &[
    "count",
    "for_each",
    "provider",
    "depends_on",
    "lifecycle",
    "provisioner",
    "connection",
];

/// The result of evaluating a block body.
#[derive(Default)]
struct BodyOut {
    values: BTreeMap<String, Val>,
    refs: BTreeMap<String, Vec<String>>,
    lines: BTreeMap<String, u32>,
    sensitive: Vec<String>,
}

impl Loader {
    pub fn new(root_canon: PathBuf, root_shown: PathBuf, root_vars: BTreeMap<String, Val>) -> Self {
        Loader {
            root_canon,
            root_shown,
            errors: Vec::new(),
            notes: Vec::new(),
            resources: Vec::new(),
            ignores: Vec::new(),
            subscription_id: None,
            root_vars,
            cache: BTreeMap::new(),
            stack: Vec::new(),
            ignored_files: BTreeSet::new(),
            cur_sensitive: BTreeSet::new(),
        }
    }

    /// Reads a module directory (cached by canonical path).
    pub fn module_def(&mut self, dir: &Path, canon: &Path) -> Rc<ModuleDef> {
        if let Some(d) = self.cache.get(canon) {
            return d.clone();
        }
        let rel_dir = rel_path(&self.root_canon, canon);
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let n = p
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default();
                    // Not filtered on `is_file()`: an entry that cannot be
                    // read (a dangling symlink, a FIFO, a directory) is an
                    // error from `read_files`, not silently lost input.
                    n.ends_with(".tf") || n.ends_with(".tf.json")
                })
                .collect(),
            Err(e) => {
                self.errors.push(InputError::new(
                    dir.display().to_string(),
                    format!("cannot read directory: {}", e.to_string().to_lowercase()),
                ));
                Vec::new()
            }
        };
        entries.sort();
        if entries.is_empty() {
            // Scanning nothing must not look like a clean scan.
            let shown = self.root_shown.join(&rel_dir).display().to_string();
            self.errors.push(InputError::new(
                shown,
                "no .tf or .tf.json files in this directory",
            ));
        }
        let files = self.read_files(&entries, &rel_dir);
        let def = Rc::new(ModuleDef::new(
            rel_dir,
            canon.to_path_buf(),
            files,
            &mut self.errors,
        ));
        self.cache.insert(canon.to_path_buf(), def.clone());
        def
    }

    /// Parses files; syntax errors are collected and the other files kept.
    pub fn read_files(&mut self, paths: &[PathBuf], rel_dir: &str) -> Vec<SourceFile> {
        let mut files = Vec::new();
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let rel = if rel_dir.is_empty() {
                name
            } else {
                format!("{rel_dir}/{name}")
            };
            let shown = self.root_shown.join(&rel).display().to_string();
            match SourceFile::read(p, rel, shown) {
                Ok(f) => files.push(f),
                Err(e) => self.errors.push(e),
            }
        }
        files
    }

    /// Evaluates one module instance; returns its outputs.
    pub fn eval_module(&mut self, inst: Instance<'_>) -> BTreeMap<String, Val> {
        let def = inst.def;
        self.stack.push(def.dir.clone());
        self.collect_ignores(def, &inst.generic);
        let vars = self.variables(&inst);
        let order = self.order(def);
        let root = self.root_canon.clone();
        let mut sensitive: BTreeSet<String> = inst.sensitive_inputs.clone();
        for (name, d) in &def.vars {
            if let Some(a) = d.item.block.body.get_attribute("sensitive") {
                if a.value.as_bool() == Some(true) {
                    sensitive.insert(format!("var.{name}"));
                }
            }
        }
        let mut locals = BTreeMap::new();
        let mut res = BTreeMap::new();
        let mut mods = BTreeMap::new();
        let mut outputs = BTreeMap::new();
        for node in order {
            let scope = ModScope {
                def,
                vars: &vars,
                locals: &locals,
                res: &res,
                mods: &mods,
                prefix: &inst.prefix,
                each: None,
                count: None,
                root: &root,
                sensitive: &sensitive,
            };
            match node {
                Node::Local(n) => {
                    let Some(d) = def.locals.get(&n) else {
                        continue;
                    };
                    let mut ev = Eval::new(&scope);
                    let v = match ev.eval(&d.item.value) {
                        Ok(v) => v,
                        Err(e) => {
                            self.errors.push(eval_error(&def.files[d.file], e));
                            Val::unknown()
                        }
                    };
                    if mentions(&d.item.value, &sensitive) {
                        sensitive.insert(format!("local.{n}"));
                    }
                    locals.insert(n, v);
                }
                Node::Res(k) => {
                    let v = self.eval_resource(def, &k, &scope);
                    res.insert(k, v);
                }
                Node::Call(n) => {
                    let v = self.eval_call(def, &n, &scope, &inst);
                    mods.insert(n, v);
                }
                Node::Output(n) => {
                    let Some(d) = def.outputs.get(&n) else {
                        continue;
                    };
                    let f = &def.files[d.file];
                    let v = match d.item.body.get_attribute("value") {
                        Some(a) => Eval::new(&scope).eval(&a.value).unwrap_or_else(|e| {
                            self.errors.push(eval_error(f, e));
                            Val::unknown()
                        }),
                        None => {
                            self.errors.push(f.error(
                                d.item.span(),
                                format!("output `{n}` has no `value`"),
                                "here",
                            ));
                            Val::unknown()
                        }
                    };
                    outputs.insert(n, v);
                }
            }
        }
        if inst.is_root {
            let scope = ModScope {
                def,
                vars: &vars,
                locals: &locals,
                res: &res,
                mods: &mods,
                prefix: "",
                each: None,
                count: None,
                root: &root,
                sensitive: &sensitive,
            };
            for p in &def.providers {
                let is_azurerm = p.item.labels.first().map(|l| l.as_str()) == Some("azurerm");
                if let (true, Some(a)) = (is_azurerm, p.item.body.get_attribute("subscription_id"))
                {
                    if let Ok(Val::Str(s)) = Eval::new(&scope).eval(&a.value) {
                        self.subscription_id.get_or_insert(s);
                    }
                }
            }
        }
        self.stack.pop();
        outputs
    }

    /// Variable values for an instance: defaults, then (root) tfvars and the
    /// command line, or (child) the caller's inputs.
    fn variables(&mut self, inst: &Instance<'_>) -> BTreeMap<String, Val> {
        let def = inst.def;
        let mut vars = BTreeMap::new();
        let empty = BTreeMap::new();
        let scope = ModScope {
            def,
            vars: &empty,
            locals: &empty,
            res: &empty,
            mods: &empty,
            prefix: "",
            each: None,
            count: None,
            root: &self.root_canon.clone(),
            sensitive: &BTreeSet::new(),
        };
        if inst.is_root {
            for k in self.root_vars.keys().filter(|k| !def.vars.contains_key(*k)) {
                self.notes.push(format!(
                    "a value is given for `{k}`, but no variable of that name is declared"
                ));
            }
        }
        for (name, d) in &def.vars {
            let f = &def.files[d.file];
            let b = &d.item.block;
            let given = if inst.is_root {
                self.root_vars.get(name)
            } else {
                inst.inputs.get(name)
            };
            let v = match (given, b.body.get_attribute("default")) {
                (Some(v), _) => v.clone(),
                (None, Some(a)) => Eval::new(&scope).eval(&a.value).unwrap_or_else(|e| {
                    self.errors.push(eval_error(f, e));
                    Val::unknown()
                }),
                // Unset root variables are decided at apply time (or by a prompt).
                (None, None) => Val::unknown(),
            };
            let v = match b.body.get_attribute("type") {
                Some(ty) => types::convert(v.clone(), &ty.value).unwrap_or_else(|m| {
                    self.errors.push(f.error(
                        b.span(),
                        format!("variable `{name}`: {m}"),
                        "declared here",
                    ));
                    v
                }),
                None => v,
            };
            vars.insert(name.clone(), v);
        }
        vars
    }

    /// Topological order of a module's nodes; cycles are reported and their
    /// nodes left out (they evaluate to unknown).
    fn order(&mut self, def: &ModuleDef) -> Vec<Node> {
        let mut deps: BTreeMap<Node, NodeInfo> = BTreeMap::new();
        let node_deps = |body_or_expr: &dyn Fn(&mut Refs)| -> BTreeSet<Node> {
            let mut r = Refs::default();
            body_or_expr(&mut r);
            r.0.into_iter()
                .filter_map(|c| {
                    let a = |i: usize| c.get(i).cloned();
                    match c[0].as_str() {
                        "local" => a(1).map(Node::Local),
                        "module" => a(1).map(Node::Call),
                        "data" => Some(Node::Res(format!("data.{}.{}", a(1)?, a(2)?))),
                        "var" | "each" | "count" | "path" | "terraform" | "self" => None,
                        t => Some(Node::Res(format!("{t}.{}", a(1)?))),
                    }
                })
                .collect()
        };
        for (n, d) in &def.locals {
            let e = &d.item.value;
            deps.insert(
                Node::Local(n.clone()),
                (d.file, d.item.span(), node_deps(&|r| r.visit_expr(e))),
            );
        }
        for (k, d) in &def.resources {
            let b = &d.item.block.body;
            deps.insert(
                Node::Res(k.clone()),
                (d.file, d.item.block.span(), node_deps(&|r| r.visit_body(b))),
            );
        }
        for (n, d) in &def.calls {
            let b = &d.item.body;
            deps.insert(
                Node::Call(n.clone()),
                (d.file, d.item.span(), node_deps(&|r| r.visit_body(b))),
            );
        }
        for (n, d) in &def.outputs {
            let b = &d.item.body;
            deps.insert(
                Node::Output(n.clone()),
                (d.file, d.item.span(), node_deps(&|r| r.visit_body(b))),
            );
        }
        // Depth-first, in name order, so the order is deterministic.
        let mut state: BTreeMap<Node, u8> = BTreeMap::new(); // 1 = on stack, 2 = done
        let mut out = Vec::new();
        let mut in_cycle = BTreeSet::new();
        let keys: Vec<Node> = deps.keys().cloned().collect();
        for start in keys {
            let mut stack: Vec<(Node, Vec<Node>)> = Vec::new();
            if state.contains_key(&start) {
                continue;
            }
            let succ = |n: &Node| -> Vec<Node> {
                deps.get(n)
                    .map(|d| {
                        d.2.iter()
                            .filter(|x| deps.contains_key(*x))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default()
            };
            state.insert(start.clone(), 1);
            stack.push((start.clone(), succ(&start)));
            while let Some((node, pending)) = stack.last_mut() {
                match pending.pop() {
                    Some(next) => match state.get(&next) {
                        None => {
                            state.insert(next.clone(), 1);
                            let s = succ(&next);
                            stack.push((next, s));
                        }
                        Some(1) => {
                            let pos = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                            let cycle: Vec<Node> =
                                stack[pos..].iter().map(|(n, _)| n.clone()).collect();
                            if cycle.iter().all(|n| !in_cycle.contains(n)) {
                                let mut names: Vec<String> = cycle.iter().map(Node::show).collect();
                                names.push(next.show());
                                if let Some((file, span, _)) = deps.get(&next) {
                                    self.errors.push(def.files[*file].error(
                                        span.clone(),
                                        format!("dependency cycle: {}", names.join(" → ")),
                                        "part of the cycle",
                                    ));
                                }
                            }
                            in_cycle.extend(cycle);
                        }
                        _ => {}
                    },
                    None => {
                        let node = node.clone();
                        state.insert(node.clone(), 2);
                        stack.pop();
                        if !in_cycle.contains(&node) {
                            out.push(node);
                        }
                    }
                }
            }
        }
        out
    }

    /// Evaluates `count` / `for_each` of a block.
    fn expansion(
        &mut self,
        f: &SourceFile,
        body: &Body,
        scope: &ModScope<'_>,
    ) -> Option<Expansion> {
        let count = body.get_attribute("count");
        let for_each = body.get_attribute("for_each");
        match (count, for_each) {
            (Some(c), Some(_)) => {
                self.errors.push(f.error(
                    c.span(),
                    "`count` and `for_each` cannot be used together",
                    "here",
                ));
                None
            }
            (Some(c), None) => match Eval::new(scope).eval(&c.value) {
                Err(e) => {
                    self.errors.push(eval_error(f, e));
                    None
                }
                Ok(Val::Unknown(_)) => {
                    self.errors.push(f.error(
                        c.value.span(),
                        "`count` depends on values known only after apply",
                        "not known before apply",
                    ));
                    None
                }
                Ok(v) => match v.as_num() {
                    Some(n) if n >= 0.0 && n.fract() == 0.0 => Some(Expansion::Count(
                        (0..n as usize).map(|i| Val::Num(i as f64)).collect(),
                    )),
                    _ => {
                        self.errors.push(f.error(
                            c.value.span(),
                            format!("`count` must be a whole number, not {}", v.type_name()),
                            "here",
                        ));
                        None
                    }
                },
            },
            (None, Some(fe)) => {
                let v = match Eval::new(scope).eval(&fe.value) {
                    Ok(v) => v,
                    Err(e) => {
                        self.errors.push(eval_error(f, e));
                        return None;
                    }
                };
                let bad = |m: &str| f.error(fe.value.span(), m.to_string(), "here");
                match v {
                    Val::Unknown(_) => {
                        self.errors
                            .push(bad("`for_each` depends on values known only after apply"));
                        None
                    }
                    Val::Map(m) | Val::Res(m, _) => Some(Expansion::ForEach(
                        m.into_iter().map(|(k, v)| (Val::Str(k), v)).collect(),
                    )),
                    Val::List(l) => {
                        let mut items = BTreeMap::new();
                        for x in l {
                            match x {
                                Val::Str(s) => {
                                    items.insert(s.clone(), Val::Str(s));
                                }
                                Val::Unknown(_) => {
                                    self.errors.push(bad(
                                        "`for_each` set contains values known only after apply",
                                    ));
                                    return None;
                                }
                                other => {
                                    self.errors.push(bad(&format!(
                                        "`for_each` needs a map or a set of strings; it has a {}",
                                        other.type_name()
                                    )));
                                    return None;
                                }
                            }
                        }
                        Some(Expansion::ForEach(
                            items.into_iter().map(|(k, v)| (Val::Str(k), v)).collect(),
                        ))
                    }
                    other => {
                        self.errors.push(bad(&format!(
                            "`for_each` needs a map or a set of strings, not {}",
                            other.type_name()
                        )));
                        None
                    }
                }
            }
            (None, None) => Some(Expansion::Single),
        }
    }

    fn eval_resource(&mut self, def: &ModuleDef, key: &str, scope: &ModScope<'_>) -> Val {
        let Some(d) = def.resources.get(key) else {
            return Val::unknown();
        };
        let f = &def.files[d.file];
        let r = &d.item;
        let block_addr = join(scope.prefix, key);
        let Some(exp) = self.expansion(f, &r.block.body, scope) else {
            return Val::Unknown(Some(block_addr));
        };
        let instances = exp.keys();
        let repeated = instances.first().is_some_and(|(k, _)| k.is_some())
            || r.block.body.has_attribute("count")
            || r.block.body.has_attribute("for_each");
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
        for (index, each) in instances {
            let addr = match &index {
                Some(k) => format!("{block_addr}{}", key_suffix(k)),
                None => block_addr.clone(),
            };
            let inst_scope = ModScope {
                each: each.clone(),
                count: if each.is_none() { index.clone() } else { None },
                ..*scope
            };
            let mut out = BodyOut::default();
            self.cur_sensitive = scope.sensitive.clone();
            self.eval_body(f, &r.block.body, &inst_scope, &addr, "", true, &mut out);
            let val = Val::Res(out.values, Some(addr.clone()));
            let mut refs = out.refs;
            for v in refs.values_mut() {
                v.retain(|a| a != &addr);
            }
            refs.retain(|_, v| !v.is_empty());
            let shaped = val.plan_shape();
            let mut unknown = shaped.unknown_json();
            // The id of a managed resource is always computed by the provider,
            // and so are a few attributes rules read (plans show them unknown).
            if let (Mode::Managed, Value::Object(u)) = (r.mode, &mut unknown) {
                let computed = COMPUTED
                    .iter()
                    .find(|(t, _)| *t == r.tf_type)
                    .map_or(&[][..], |(_, attrs)| *attrs);
                for a in std::iter::once(&"id").chain(computed) {
                    if shaped.as_map().is_none_or(|m| !m.contains_key(*a)) {
                        u.insert(a.to_string(), Value::Bool(true));
                    }
                }
            }
            self.resources.push(TfResource {
                address: addr.clone(),
                module: scope.prefix.to_string(),
                mode: r.mode,
                tf_type: r.tf_type.clone(),
                name: r.name.clone(),
                index: index.as_ref().map(Val::to_json),
                values: shaped.to_json(),
                unknown,
                sensitive: sensitive_json(&out.sensitive),
                references: refs,
                origin: Origin {
                    file: Some(f.rel.clone()),
                    line: Some(f.span_line(r.block.span())),
                    detail: None,
                    attribute_lines: out.lines,
                },
            });
            match &index {
                Some(Val::Str(k)) => {
                    map.insert(k.clone(), val);
                }
                _ => list.push(val),
            }
        }
        if !map.is_empty() || (repeated && r.block.body.has_attribute("for_each")) {
            Val::Map(map)
        } else if repeated {
            Val::List(list)
        } else {
            list.pop().unwrap_or(Val::Unknown(Some(block_addr)))
        }
    }

    /// Evaluates a block body into attribute values (nested blocks as lists
    /// of objects), their references and their lines.
    #[allow(clippy::too_many_arguments)]
    fn eval_body(
        &mut self,
        f: &SourceFile,
        body: &Body,
        scope: &ModScope<'_>,
        addr: &str,
        path: &str,
        top: bool,
        out: &mut BodyOut,
    ) {
        let mut ev = Eval::new(scope);
        self.eval_body_with(&mut ev, f, body, addr, path, top, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_body_with(
        &mut self,
        ev: &mut Eval<'_>,
        f: &SourceFile,
        body: &Body,
        addr: &str,
        path: &str,
        top: bool,
        out: &mut BodyOut,
    ) {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut unknown_blocks: BTreeMap<String, Option<String>> = BTreeMap::new();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let k = a.key.as_str();
                    if top && META.contains(&k) {
                        continue;
                    }
                    ev.refs.clear();
                    let v = ev.eval(&a.value).unwrap_or_else(|e| {
                        self.errors.push(eval_error(f, e));
                        Val::unknown()
                    });
                    let p = format!("{path}{k}");
                    if mentions(&a.value, &self.cur_sensitive) {
                        out.sensitive.push(p.clone());
                    }
                    if !ev.refs.is_empty() {
                        out.refs.insert(p.clone(), std::mem::take(&mut ev.refs));
                    }
                    out.lines.insert(p, f.span_line(a.span()));
                    out.values.insert(k.to_string(), v);
                }
                Structure::Block(b) => {
                    let k = b.ident.as_str();
                    if top && META.contains(&k) {
                        continue;
                    }
                    if k == "dynamic" {
                        self.eval_dynamic(
                            ev,
                            f,
                            b,
                            addr,
                            path,
                            &mut counts,
                            &mut unknown_blocks,
                            out,
                        );
                        continue;
                    }
                    self.nested_block(ev, f, &b.body, k, b.span(), addr, path, &mut counts, out);
                }
            }
        }
        for (k, origin) in unknown_blocks {
            out.values.insert(k, Val::Unknown(origin));
        }
    }

    /// Appends one nested block instance `name.N` to the body output.
    #[allow(clippy::too_many_arguments)]
    fn nested_block(
        &mut self,
        ev: &mut Eval<'_>,
        f: &SourceFile,
        body: &Body,
        name: &str,
        span: Option<std::ops::Range<usize>>,
        addr: &str,
        path: &str,
        counts: &mut BTreeMap<String, usize>,
        out: &mut BodyOut,
    ) {
        let n = counts.entry(name.to_string()).or_insert(0);
        let idx = *n;
        *n += 1;
        let sub = format!("{path}{name}.{idx}.");
        let line = f.span_line(span);
        out.lines.entry(format!("{path}{name}")).or_insert(line);
        out.lines.insert(format!("{path}{name}.{idx}"), line);
        let mut inner = BodyOut::default();
        self.eval_body_with(ev, f, body, addr, &sub, false, &mut inner);
        out.refs.extend(inner.refs);
        out.sensitive.extend(inner.sensitive);
        out.lines.extend(inner.lines);
        let v = Val::Res(inner.values, Some(addr.to_string()));
        match out
            .values
            .entry(name.to_string())
            .or_insert_with(|| Val::List(Vec::new()))
        {
            Val::List(l) => l.push(v),
            other => *other = Val::List(vec![v]),
        }
    }

    /// `dynamic "name" { for_each = …, iterator = it, content { … } }`.
    #[allow(clippy::too_many_arguments)]
    fn eval_dynamic(
        &mut self,
        ev: &mut Eval<'_>,
        f: &SourceFile,
        b: &Block,
        addr: &str,
        path: &str,
        counts: &mut BTreeMap<String, usize>,
        unknown_blocks: &mut BTreeMap<String, Option<String>>,
        out: &mut BodyOut,
    ) {
        let Some(name) = b.labels.first().map(|l| l.as_str().to_string()) else {
            self.errors.push(f.error(
                b.span(),
                "a `dynamic` block needs a label (the block type)",
                "here",
            ));
            return;
        };
        let iter_name = match b.body.get_attribute("iterator") {
            Some(a) => match &a.value {
                Expression::Variable(v) => v.as_str().to_string(),
                _ => {
                    self.errors
                        .push(f.error(a.span(), "`iterator` must be a bare name", "here"));
                    return;
                }
            },
            None => name.clone(),
        };
        let Some(fe) = b.body.get_attribute("for_each") else {
            self.errors.push(f.error(
                b.span(),
                format!("`dynamic \"{name}\"` has no `for_each`"),
                "here",
            ));
            return;
        };
        let Some(content) = b.body.blocks().find(|c| c.ident.as_str() == "content") else {
            self.errors.push(f.error(
                b.span(),
                format!("`dynamic \"{name}\"` has no `content` block"),
                "here",
            ));
            return;
        };
        ev.refs.clear();
        let coll = ev.eval(&fe.value).unwrap_or_else(|e| {
            self.errors.push(eval_error(f, e));
            Val::unknown()
        });
        let items = match iter_items(coll.clone()) {
            Ok(Some(items)) => items,
            Ok(None) => {
                // How many blocks there will be is decided at apply time.
                let origin = match coll {
                    Val::Unknown(o) => o,
                    _ => None,
                };
                unknown_blocks.insert(name.clone(), origin);
                out.lines
                    .entry(format!("{path}{name}"))
                    .or_insert(f.span_line(b.span()));
                return;
            }
            Err(m) => {
                self.errors.push(f.error(
                    fe.value.span(),
                    format!("`dynamic \"{name}\"` for_each: {m}"),
                    "here",
                ));
                return;
            }
        };
        for (k, v) in items {
            ev.push_local(&iter_name, obj([("key", k), ("value", v)]));
            self.nested_block(
                ev,
                f,
                &content.body,
                &name,
                b.span(),
                addr,
                path,
                counts,
                out,
            );
            ev.pop_local();
        }
        if !out.values.contains_key(&name) {
            out.values.insert(name.clone(), Val::List(Vec::new()));
        }
    }

    /// A `module` call: local sources are loaded and evaluated per instance;
    /// registry and git sources are noted and their outputs are unknown.
    fn eval_call(
        &mut self,
        def: &ModuleDef,
        name: &str,
        scope: &ModScope<'_>,
        parent: &Instance<'_>,
    ) -> Val {
        let Some(d) = def.calls.get(name) else {
            return Val::unknown();
        };
        let f = &def.files[d.file];
        let b = &d.item;
        let call_addr = join(scope.prefix, &format!("module.{name}"));
        let source = match b.body.get_attribute("source") {
            Some(a) => match Eval::new(scope).eval(&a.value) {
                Ok(Val::Str(s)) => Some((s, a.span())),
                _ => {
                    self.errors.push(f.error(
                        a.span(),
                        "module `source` must be a literal string",
                        "here",
                    ));
                    None
                }
            },
            None => {
                self.errors.push(f.error(
                    b.span(),
                    format!("module `{name}` has no `source`"),
                    "here",
                ));
                None
            }
        };
        let Some((source, src_span)) = source else {
            return Val::unknown();
        };
        let Some(exp) = self.expansion(f, &b.body, scope) else {
            return Val::unknown();
        };
        let local = source.starts_with("./") || source.starts_with("../");
        let child = if local {
            match self.resolve_local(def, &source) {
                Ok(c) => Some(c),
                Err(m) => {
                    self.errors.push(f.error(
                        src_span,
                        format!("module `{name}`: {m}"),
                        "this source",
                    ));
                    return Val::unknown();
                }
            }
        } else {
            self.notes.push(format!(
                "{call_addr}: module source `{source}` is not fetched (registry or remote module); its resources are not scanned and its outputs are unknown"
            ));
            None
        };
        let keyed = exp.keys();
        let for_each = b.body.has_attribute("for_each");
        let count = b.body.has_attribute("count");
        let mut list = Vec::new();
        let mut map = BTreeMap::new();
        for (index, each) in keyed {
            let inst_addr = match &index {
                Some(k) => format!("{call_addr}{}", key_suffix(k)),
                None => call_addr.clone(),
            };
            let val = match &child {
                None => Val::Res(BTreeMap::new(), None),
                Some(child_def) => {
                    let inst_scope = ModScope {
                        each: each.clone(),
                        count: if each.is_none() { index.clone() } else { None },
                        ..*scope
                    };
                    let (inputs, sensitive_inputs) =
                        self.call_inputs(f, b, name, child_def, &inst_scope);
                    let outputs = self.eval_module(Instance {
                        prefix: inst_addr.clone(),
                        generic: join(&parent.generic, &format!("module.{name}")),
                        inputs,
                        sensitive_inputs,
                        is_root: false,
                        def: child_def,
                    });
                    Val::Map(outputs)
                }
            };
            match &index {
                Some(Val::Str(k)) => {
                    map.insert(k.clone(), val);
                }
                _ => list.push(val),
            }
        }
        if for_each {
            Val::Map(map)
        } else if count {
            Val::List(list)
        } else {
            list.pop().unwrap_or_else(Val::unknown)
        }
    }

    /// The input values of a module call, checked against the child's variables.
    fn call_inputs(
        &mut self,
        f: &SourceFile,
        b: &Block,
        name: &str,
        child: &ModuleDef,
        scope: &ModScope<'_>,
    ) -> (BTreeMap<String, Val>, BTreeSet<String>) {
        const CALL_META: &[&str] = &[
            "source",
            "version",
            "count",
            "for_each",
            "providers",
            "depends_on",
        ];
        let mut inputs = BTreeMap::new();
        let mut sensitive = BTreeSet::new();
        let mut ev = Eval::new(scope);
        for a in b.body.attributes() {
            let k = a.key.as_str();
            if CALL_META.contains(&k) {
                continue;
            }
            if !child.vars.contains_key(k) {
                self.errors.push(f.error(
                    a.span(),
                    format!("module `{name}` has no variable `{k}`"),
                    "unexpected argument",
                ));
                continue;
            }
            let v = ev.eval(&a.value).unwrap_or_else(|e| {
                self.errors.push(eval_error(f, e));
                Val::unknown()
            });
            if mentions(&a.value, scope.sensitive) {
                sensitive.insert(format!("var.{k}"));
            }
            inputs.insert(k.to_string(), v);
        }
        for (k, d) in &child.vars {
            if !inputs.contains_key(k) && !d.item.block.body.has_attribute("default") {
                self.errors.push(f.error(
                    b.span(),
                    format!("module `{name}` needs a value for variable `{k}`"),
                    "missing argument",
                ));
            }
        }
        (inputs, sensitive)
    }

    /// Resolves a local module source, refusing escapes and loops.
    fn resolve_local(&mut self, def: &ModuleDef, source: &str) -> Result<Rc<ModuleDef>, String> {
        let dir = def.dir.join(source);
        let canon = std::fs::canonicalize(&dir).map_err(|e| {
            if e.raw_os_error() == Some(40) {
                format!("`{source}` is a symlink loop")
            } else {
                format!("module directory `{source}` not found")
            }
        })?;
        if !canon.starts_with(&self.root_canon) {
            return Err(format!(
                "source `{source}` escapes the scanned root; scan a directory that contains it"
            ));
        }
        if !canon.is_dir() {
            return Err(format!("source `{source}` is not a directory"));
        }
        if self.stack.contains(&canon) {
            return Err(format!("source `{source}` includes itself (module loop)"));
        }
        Ok(self.module_def(&dir, &canon))
    }

    /// Ties the ignore comments of a module's files to its resources, once
    /// per module path.
    fn collect_ignores(&mut self, def: &ModuleDef, generic: &str) {
        for f in &def.files {
            if !self
                .ignored_files
                .insert((f.rel.clone(), generic.to_string()))
            {
                continue;
            }
            let text = f.json_text.as_deref().unwrap_or(&f.text);
            let (dirs, problems) = ignore::scan(text);
            for (line, m) in problems {
                self.notes.push(format!("{}:{line}: {m}", f.rel));
            }
            for d in dirs {
                let hit = def.resources.iter().find_map(|(key, r)| {
                    if def.files[r.file].rel != f.rel {
                        return None;
                    }
                    let span = r.item.block.span()?;
                    let (start, end) = (f.line(span.start), f.line(span.end.saturating_sub(1)));
                    if d.target == start {
                        Some((key.clone(), None))
                    } else if d.target > start && d.target <= end {
                        Some((
                            key.clone(),
                            attribute_at(f, &r.item.block.body, d.target, ""),
                        ))
                    } else {
                        None
                    }
                });
                match hit {
                    Some((key, attribute)) => self.ignores.push(InlineIgnore {
                        file: f.rel.clone(),
                        line: d.line,
                        rules: d.rules,
                        reason: d.reason,
                        expires: d.expires,
                        resource: join(generic, &key),
                        attribute,
                    }),
                    None => self.notes.push(format!(
                        "{}:{}: `mcpguard:ignore` is not above a resource block or an attribute inside one; it is not applied",
                        f.rel, d.line
                    )),
                }
            }
        }
    }
}

/// The attribute path (`identity.0.type`) of the structure starting at `line`.
fn attribute_at(f: &SourceFile, body: &Body, line: u32, path: &str) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in body.iter() {
        let (name, span) = match s {
            Structure::Attribute(a) => (a.key.as_str(), a.span()),
            // A dynamic block stands for the blocks it generates.
            Structure::Block(b) if b.ident.as_str() == "dynamic" => {
                (b.labels.first().map_or("dynamic", |l| l.as_str()), b.span())
            }
            Structure::Block(b) => (b.ident.as_str(), b.span()),
        };
        let span = span?;
        let (start, end) = (f.line(span.start), f.line(span.end.saturating_sub(1)));
        let idx = {
            let c = counts.entry(name).or_insert(0);
            *c += 1;
            *c - 1
        };
        if line == start {
            return Some(format!("{path}{name}"));
        }
        if let Structure::Block(b) = s {
            if line > start && line <= end {
                return attribute_at(f, &b.body, line, &format!("{path}{name}.{idx}."));
            }
        }
    }
    None
}

fn rel_path(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .map(|r| {
            r.components()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default()
}

fn eval_error(f: &SourceFile, e: EvalError) -> InputError {
    f.error(e.span, e.message, "here")
}

/// Whether an expression reads any of the given `var.x` / `local.y` names.
fn mentions(e: &Expression, names: &BTreeSet<String>) -> bool {
    if names.is_empty() {
        return false;
    }
    let mut r = Refs::default();
    r.visit_expr(e);
    r.0.iter()
        .any(|c| c.len() >= 2 && names.contains(&format!("{}.{}", c[0], c[1])))
}

/// Plan-style `after_sensitive` from attribute paths (`container.0.x`).
fn sensitive_json(paths: &[String]) -> Value {
    let mut root = Value::Object(Default::default());
    for p in paths {
        let segs: Vec<&str> = p.split('.').collect();
        let mut cur = &mut root;
        for (i, seg) in segs.iter().enumerate() {
            let last = i + 1 == segs.len();
            let next_is_index = segs.get(i + 1).is_some_and(|n| n.parse::<usize>().is_ok());
            let fresh = || {
                if last {
                    Value::Bool(true)
                } else if next_is_index {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(Default::default())
                }
            };
            cur = match (cur, seg.parse::<usize>()) {
                (Value::Array(a), Ok(ix)) => {
                    while a.len() <= ix {
                        a.push(Value::Bool(false));
                    }
                    if a[ix] == Value::Bool(false) {
                        a[ix] = fresh();
                    }
                    &mut a[ix]
                }
                (Value::Object(o), _) => o.entry(seg.to_string()).or_insert_with(fresh),
                // Already marked whole: nothing finer to add.
                (other, _) => other,
            };
            if *cur == Value::Bool(true) {
                break;
            }
        }
    }
    root
}
