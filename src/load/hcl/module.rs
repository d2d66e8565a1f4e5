//! Module evaluation: declarations of one module directory, evaluated in
//! dependency order for one module instance, with count/for_each expansion
//! and local child modules loaded recursively.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use hcl::edit::expr::Expression;
use hcl::edit::structure::{Attribute, Block, Body, Structure};
use hcl::edit::Span;
use serde_json::Value;

use super::eval::{iter_items, Eval, EvalError, Root, Scope};
use super::fs::Fs;
use super::graph::{self, mentions, Node, OutDeps, Step};
use super::manifest;
use super::source::{self, SourceFile};
use super::types;
use super::value::Val;
use crate::input::ignore;
use crate::input::InlineIgnore;
use crate::inventory::Origin;
use crate::load::terraform::{Mode, TfResource};
use crate::load::InputError;

/// A declaration with the file it is in.
pub(super) struct Decl<T> {
    pub file: usize,
    pub item: T,
}

pub(super) struct VarDecl {
    pub block: Block,
}

pub(super) struct ResDecl {
    pub block: Block,
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
    pub(super) vars: BTreeMap<String, Decl<VarDecl>>,
    pub(super) locals: BTreeMap<String, Decl<Attribute>>,
    /// Keyed `type.name` or `data.type.name`.
    pub(super) resources: BTreeMap<String, Decl<ResDecl>>,
    pub(super) calls: BTreeMap<String, Decl<Block>>,
    pub(super) outputs: BTreeMap<String, Decl<Block>>,
    providers: Vec<Decl<Block>>,
    /// `ephemeral` blocks, `type.name`.
    ephemerals: BTreeSet<String>,
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
            ephemerals: BTreeSet::new(),
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
                    // Ephemeral resources (Terraform 1.10) are opened during the
                    // run and never stored: what they give is unknown here.
                    "ephemeral" => {
                        if let Err(e) = want(2) {
                            errors.push(*e);
                            continue;
                        }
                        if !m.ephemerals.insert(format!("{}.{}", labels[0], labels[1])) {
                            errors.push(dup(format!("ephemeral resource `{}.{}`", labels[0], labels[1])));
                        }
                    }
                    // Nothing in these decides a resource's configuration
                    // (`action` blocks, Terraform 1.14, run only when triggered).
                    "terraform" | "moved" | "import" | "removed" | "check" | "action" => {}
                    other => errors.push(
                        f.error(b.ident.span(), format!("unsupported block type `{other}`"), "here")
                            .with_help("top-level blocks are resource, data, ephemeral, action, module, variable, locals, output, provider, terraform, moved, import, removed and check"),
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

/// The values of one module instance as they are evaluated.
#[derive(Default)]
struct State {
    locals: BTreeMap<String, Val>,
    res: BTreeMap<String, Val>,
    mods: BTreeMap<String, Val>,
    outputs: BTreeMap<String, Val>,
    /// `var.x` / `local.y` names whose values are sensitive.
    sensitive: BTreeSet<String>,
}

impl State {
    /// The scope that evaluates in this state.
    fn scope<'a>(
        &'a self,
        def: &'a ModuleDef,
        vars: &'a BTreeMap<String, Val>,
        prefix: &'a str,
        fs: &'a Fs,
    ) -> ModScope<'a> {
        ModScope {
            def,
            vars,
            locals: &self.locals,
            res: &self.res,
            mods: &self.mods,
            prefix,
            each: None,
            count: None,
            fs,
            sensitive: &self.sensitive,
        }
    }

    fn values_of(&self, nodes: &[Node]) -> Vec<Option<Val>> {
        nodes
            .iter()
            .map(|n| {
                match n {
                    Node::Local(k) => self.locals.get(k),
                    Node::Res(k) => self.res.get(k),
                    Node::Call(k) => self.mods.get(k),
                    Node::Output(k) => self.outputs.get(k),
                }
                .cloned()
            })
            .collect()
    }
}

/// How much a loader had produced at some point ([`Loader::mark`]).
struct Mark {
    resources: usize,
    errors: usize,
    notes: usize,
    ignores: usize,
    ignored_files: BTreeSet<(String, String)>,
    fs_notes: usize,
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
    /// The machine, for file functions.
    pub fs: Rc<Fs>,
    /// Problems found reading module directories: kept when a pass is undone.
    pub def_errors: Vec<InputError>,
    /// Resource and module instances made so far.
    instances: usize,
    /// Root variables with no value (no default, no tfvars, no `--var`).
    pub unset_vars: BTreeSet<String>,
    /// `--root`: the only tree modules are read from.
    pub root_limit: Option<PathBuf>,
    /// `.terraform/modules/modules.json`, when the root was initialised.
    pub manifest: Option<manifest::Manifest>,
    /// Module directories read outside the scanned one, relative to it.
    pub outside: BTreeSet<String>,
    /// Output dependencies per module directory, and the ones being worked out.
    deps_cache: BTreeMap<PathBuf, Rc<BTreeMap<String, BTreeSet<String>>>>,
    analyzing: Vec<PathBuf>,
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
    /// The machine, for file functions.
    fs: &'a Fs,
    /// `var.x` / `local.y` names whose values are sensitive.
    sensitive: &'a BTreeSet<String>,
}

impl Scope for ModScope<'_> {
    fn fs(&self) -> Option<&Fs> {
        Some(self.fs)
    }

    fn is_sensitive(&self, e: &Expression) -> bool {
        mentions(e, self.sensitive)
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
            "ephemeral" => {
                let (Some(t), Some(n)) = (attrs.first(), attrs.get(1)) else {
                    return Err("`ephemeral` must be followed by a resource type and name".into());
                };
                if self.def.ephemerals.contains(&format!("{t}.{n}")) {
                    plain(Val::unknown(), 2)
                } else {
                    Err(format!(
                        "reference to undeclared ephemeral resource `ephemeral.{t}.{n}`"
                    ))
                }
            }
            // `resource.TYPE.NAME` is Terraform's explicit form of `TYPE.NAME`.
            "resource" => {
                let (Some(t), Some(n)) = (attrs.first(), attrs.get(1)) else {
                    return Err("`resource` must be followed by a resource type and name".into());
                };
                self.resource(&format!("{t}.{n}"), 2)
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

/// The instance key part of an address: `[0]`, `["key"]`, or `[*]` when
/// the key is not known.
fn key_suffix(k: &Val) -> String {
    match k {
        Val::Unknown(_) => "[*]".to_string(),
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
    Count(usize),
    ForEach(Vec<(Val, Val)>),
    /// `count` / `for_each` (the flag) not known before apply: one instance
    /// whose key is unknown (`[*]`, as Terraform prints an unknown key).
    Unknown(Option<String>, bool),
}

/// One instance of a repeated block: its key and, for for_each, `each`.
type InstanceKey = (Option<Val>, Option<(Val, Val)>);

/// The most instances one `count` / `for_each` may make: far above real
/// configurations (the largest real plans have a few thousand resources in
/// all), low enough that `count = 1e19` is a diagnostic, not an abort.
pub const MAX_BLOCK_INSTANCES: usize = 100_000;
/// The most resource and module instances one scan may make.
pub const MAX_SCAN_INSTANCES: usize = 200_000;

impl Expansion {
    fn len(&self) -> usize {
        match self {
            Expansion::Single | Expansion::Unknown(..) => 1,
            Expansion::Count(n) => *n,
            Expansion::ForEach(kv) => kv.len(),
        }
    }

    fn keys(self) -> Vec<InstanceKey> {
        match self {
            Expansion::Single => vec![(None, None)],
            Expansion::Count(n) => (0..n).map(|i| (Some(Val::Num(i as f64)), None)).collect(),
            Expansion::ForEach(kv) => kv
                .into_iter()
                .map(|(k, v)| (Some(k.clone()), Some((k, v))))
                .collect(),
            Expansion::Unknown(o, for_each) => {
                let u = Val::Unknown(o);
                let each = for_each.then(|| (u.clone(), u.clone()));
                vec![(Some(u), each)]
            }
        }
    }

    fn is_unknown(&self) -> bool {
        matches!(self, Expansion::Unknown(..))
    }
}

/// The largest value a local or an output may hold, in elements and in
/// bytes of text: real configurations stay far below (the largest real
/// `jsondecode` of an OpenAPI document has tens of thousands of elements).
pub const MAX_VALUE_NODES: usize = 1 << 20;
pub const MAX_VALUE_BYTES: usize = 64 << 20;
/// The deepest module nesting: real configurations nest a few levels.
pub const MAX_MODULE_DEPTH: usize = 64;

/// The deepest nesting of a value (lists in lists…): real JSON documents
/// nest a few dozen levels at most.
pub const MAX_VALUE_DEPTH: usize = 256;

/// Counts a value's elements and text, stopping as soon as a cap is passed.
fn within_caps(v: &Val, nodes: &mut usize, bytes: &mut usize) -> bool {
    fn walk(v: &Val, depth: usize, nodes: &mut usize, bytes: &mut usize) -> bool {
        *nodes += 1;
        if *nodes > MAX_VALUE_NODES || *bytes > MAX_VALUE_BYTES || depth > MAX_VALUE_DEPTH {
            return false;
        }
        match v {
            Val::Str(s) => {
                *bytes += s.len();
                *bytes <= MAX_VALUE_BYTES
            }
            Val::List(l) => l.iter().all(|x| walk(x, depth + 1, nodes, bytes)),
            Val::Map(m) | Val::Res(m, _) => m.iter().all(|(k, x)| {
                *bytes += k.len();
                walk(x, depth + 1, nodes, bytes)
            }),
            _ => true,
        }
    }
    walk(v, 0, nodes, bytes)
}

/// `count`'s value as an expansion.
fn count_expansion(v: Val) -> Result<Expansion, String> {
    if let Val::Unknown(o) = v {
        return Ok(Expansion::Unknown(o, false));
    }
    match v.as_num() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 => {
            if n > MAX_BLOCK_INSTANCES as f64 {
                return Err(format!(
                    "is {}, over the cap of {MAX_BLOCK_INSTANCES} instances (MAX_BLOCK_INSTANCES)",
                    super::value::fmt_num(n)
                ));
            }
            Ok(Expansion::Count(n as usize))
        }
        _ => Err(format!(
            "must be a whole number, not {}",
            super::funcs::show(&v)
        )),
    }
}

/// `for_each`'s value as an expansion: a map, or a set of strings.
fn for_each_expansion(v: Val) -> Result<Expansion, String> {
    match v {
        Val::Unknown(o) => Ok(Expansion::Unknown(o, true)),
        Val::Map(m) | Val::Res(m, _) => Ok(Expansion::ForEach(
            m.into_iter().map(|(k, v)| (Val::Str(k), v)).collect(),
        )),
        Val::List(l) => {
            let mut items = BTreeMap::new();
            for x in l {
                match x {
                    Val::Str(s) => {
                        items.insert(s.clone(), Val::Str(s));
                    }
                    Val::Unknown(o) => return Ok(Expansion::Unknown(o, true)),
                    other => {
                        return Err(format!(
                            "needs a map or a set of strings; it has a {}",
                            other.type_name()
                        ))
                    }
                }
            }
            Ok(Expansion::ForEach(
                items.into_iter().map(|(k, v)| (Val::Str(k), v)).collect(),
            ))
        }
        Val::Null => Err("must not be null".into()),
        other => Err(format!(
            "needs a map or a set of strings, not {}",
            other.type_name()
        )),
    }
}

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
    pub fn new(
        root_canon: PathBuf,
        root_shown: PathBuf,
        root_vars: BTreeMap<String, Val>,
        fs: Fs,
    ) -> Self {
        Loader {
            fs: Rc::new(fs),
            def_errors: Vec::new(),
            instances: 0,
            unset_vars: BTreeSet::new(),
            root_limit: None,
            manifest: None,
            outside: BTreeSet::new(),
            deps_cache: BTreeMap::new(),
            analyzing: Vec::new(),
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
        self.fs.allow(canon);
        let shown_dir = super::fs::clean(&self.root_shown.join(&rel_dir));
        let is_config = |n: &str| n.ends_with(".tf") || n.ends_with(".tf.json");
        let entries = match source::config_entries(dir, &shown_dir, is_config, &mut self.def_errors)
        {
            Ok(e) => e,
            Err(e) => {
                self.def_errors.push(InputError::new(
                    dir.display().to_string(),
                    format!("cannot read directory: {}", e.to_string().to_lowercase()),
                ));
                Vec::new()
            }
        };
        if entries.is_empty() {
            // Scanning nothing must not look like a clean scan.
            let shown = self.root_shown.join(&rel_dir).display().to_string();
            self.def_errors.push(InputError::new(
                shown,
                "no .tf or .tf.json files in this directory",
            ));
        }
        let files = self.read_files(&entries, &rel_dir);
        let def = Rc::new(ModuleDef::new(
            rel_dir,
            canon.to_path_buf(),
            files,
            &mut self.def_errors,
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
                Err(e) => self.def_errors.push(e),
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
        let (steps, cycles) = self.plan(def, &manifest::key_of(&inst.generic));
        for c in cycles {
            self.errors.push(def.files[c.file].error(
                c.span,
                format!("dependency cycle: {}", c.names.join(" → ")),
                "part of the cycle",
            ));
        }
        let mut st = State {
            sensitive: inst.sensitive_inputs.clone(),
            ..State::default()
        };
        for (name, d) in &def.vars {
            if let Some(a) = d.item.block.body.get_attribute("sensitive") {
                if a.value.as_bool() == Some(true) {
                    st.sensitive.insert(format!("var.{name}"));
                }
            }
        }
        for step in steps {
            match step {
                Step::One(n) => self.eval_node(def, &inst, &vars, &mut st, &n),
                Step::Group(nodes) => self.eval_group(def, &inst, &vars, &mut st, &nodes),
            }
        }
        if inst.is_root {
            self.root_provider(def, &vars, &st);
        }
        self.stack.pop();
        st.outputs
    }

    /// The evaluation plan of a module: its graph, per output and input of
    /// the modules it calls.
    fn plan(&mut self, def: &ModuleDef, key: &str) -> (Vec<Step>, Vec<graph::Cycle>) {
        let calls = self.call_deps(def, key);
        graph::build(def, &calls).plan()
    }

    /// `key` is the module's manifest key (`a.b`, `""` at the root).
    fn call_deps(&mut self, def: &ModuleDef, key: &str) -> BTreeMap<String, OutDeps> {
        let names: Vec<String> = def.calls.keys().cloned().collect();
        names
            .into_iter()
            .map(|n| {
                let d = self.call_out_deps(def, &n, &child_key(key, &n));
                (n, d)
            })
            .collect()
    }

    /// What each output of a called module depends on, when the module can
    /// be read (memoised per directory).
    fn call_out_deps(&mut self, def: &ModuleDef, name: &str, key: &str) -> OutDeps {
        let child = self.locate(def, name, key).ok()?;
        if let Some(d) = self.deps_cache.get(&child.dir) {
            return Some(d.clone());
        }
        if self.analyzing.contains(&child.dir) {
            return None;
        }
        self.analyzing.push(child.dir.clone());
        let calls = self.call_deps(&child, key);
        let deps = Rc::new(graph::build(&child, &calls).out_deps());
        self.analyzing.pop();
        self.deps_cache.insert(child.dir.clone(), deps.clone());
        Some(deps)
    }

    /// The module a call reads: a local directory, or a registry or git
    /// module installed by `terraform init`. `key` is the call's manifest key.
    fn locate(&mut self, def: &ModuleDef, name: &str, key: &str) -> Result<Rc<ModuleDef>, String> {
        let d = def.calls.get(name).ok_or("no such call")?;
        let source = match d.item.body.get_attribute("source").map(|a| &a.value) {
            Some(Expression::String(s)) => s.value().to_string(),
            _ => return Err("module `source` must be a literal string".into()),
        };
        if source.starts_with("./") || source.starts_with("../") {
            return self.resolve_local(def, &source);
        }
        let version = match d.item.body.get_attribute("version").map(|a| &a.value) {
            Some(Expression::String(s)) => Some(s.value().to_string()),
            _ => None,
        };
        self.resolve_installed(key, &source, version.as_deref())
    }

    /// A registry or git module, from Terraform's manifest.
    fn resolve_installed(
        &mut self,
        key: &str,
        source: &str,
        version: Option<&str>,
    ) -> Result<Rc<ModuleDef>, String> {
        let Some(m) = &self.manifest else {
            return Err(format!(
                "the configuration is not initialised (no {}); run `terraform init` in `{}`, or scan the plan",
                manifest::relative_path().display(),
                self.root_shown.display()
            ));
        };
        let Some(rec) = m.get(key).cloned() else {
            return Err(format!(
                "{} has no module `{key}`; run `terraform init` again, or scan the plan",
                m.path.display()
            ));
        };
        if !manifest::same_source(source, &rec.source) {
            return Err(format!(
                "{} installed `{}` for it, not `{source}`; run `terraform init` again, or scan the plan",
                m.path.display(),
                rec.source
            ));
        }
        if let (Some(want), Some(got)) = (version, &rec.version) {
            let exact = want.trim_start_matches('=').trim();
            if exact.chars().all(|c| c.is_ascii_digit() || c == '.') && exact != got {
                return Err(format!(
                    "{} installed version {got}, not {exact}; run `terraform init` again, or scan the plan",
                    m.path.display()
                ));
            }
        }
        let dir = self.root_canon.join(&rec.dir);
        let canon = std::fs::canonicalize(&dir).map_err(|_| {
            format!(
                "its directory `{}` from {} is missing; run `terraform init` again",
                rec.dir,
                m.path.display()
            )
        })?;
        self.admit(&canon, &rec.dir)?;
        Ok(self.module_def(&dir, &canon))
    }

    /// Checks a module directory against `--root` and records one outside
    /// the scanned directory.
    fn admit(&mut self, canon: &Path, source: &str) -> Result<(), String> {
        if let Some(lim) = &self.root_limit {
            if !canon.starts_with(lim) {
                return Err(format!(
                    "source `{source}` is `{}`, outside --root `{}`",
                    canon.display(),
                    lim.display()
                ));
            }
        }
        if !canon.starts_with(&self.root_canon) {
            self.outside.insert(rel_path(&self.root_canon, canon));
        }
        Ok(())
    }

    /// Evaluates one unit (a local, a resource, a module call, an output).
    fn eval_node(
        &mut self,
        def: &ModuleDef,
        inst: &Instance<'_>,
        vars: &BTreeMap<String, Val>,
        st: &mut State,
        node: &Node,
    ) {
        let fs = self.fs.clone();
        let scope = st.scope(def, vars, &inst.prefix, &fs);
        match node {
            Node::Local(n) => {
                let Some(d) = def.locals.get(n) else { return };
                let v = Eval::new(&scope)
                    .eval_stored(&d.item.value)
                    .unwrap_or_else(|e| {
                        self.errors.push(eval_error(&def.files[d.file], e));
                        Val::unknown()
                    });
                if mentions(&d.item.value, &st.sensitive) {
                    st.sensitive.insert(format!("local.{n}"));
                }
                let v = self.capped(v, &def.files[d.file], d.item.span(), &format!("local.{n}"));
                st.locals.insert(n.clone(), v);
            }
            Node::Res(k) => {
                let v = self.eval_resource(def, k, &scope);
                st.res.insert(k.clone(), v);
            }
            Node::Call(n) => {
                let v = self.eval_call(def, n, &scope, inst);
                st.mods.insert(n.clone(), v);
            }
            Node::Output(n) => {
                let Some(d) = def.outputs.get(n) else { return };
                let f = &def.files[d.file];
                let v = match d.item.body.get_attribute("value") {
                    Some(a) => Eval::new(&scope).eval_stored(&a.value).unwrap_or_else(|e| {
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
                let v = self.capped(v, f, d.item.span(), &format!("output.{n}"));
                st.outputs.insert(n.clone(), v);
            }
        }
    }

    /// A named value within the size caps, else a located diagnostic and an
    /// unknown (so `l1 = [l0, l0]`, `l2 = [l1, l1]`… stops at the cap
    /// instead of doubling until memory runs out).
    fn capped(
        &mut self,
        v: Val,
        f: &SourceFile,
        span: Option<std::ops::Range<usize>>,
        what: &str,
    ) -> Val {
        let (mut nodes, mut bytes) = (0usize, 0usize);
        if within_caps(&v, &mut nodes, &mut bytes) {
            return v;
        }
        self.errors.push(f.error(
            span,
            format!(
                "`{what}` is over the value size cap ({MAX_VALUE_NODES} elements, {} MiB of text or {MAX_VALUE_DEPTH} levels: MAX_VALUE_NODES, MAX_VALUE_BYTES, MAX_VALUE_DEPTH)",
                MAX_VALUE_BYTES >> 20
            ),
            "this value",
        ));
        Val::unknown()
    }

    /// Module calls that feed each other through different inputs and
    /// outputs: evaluated again until their values settle (each pass makes
    /// one more link known), only the last pass kept.
    fn eval_group(
        &mut self,
        def: &ModuleDef,
        inst: &Instance<'_>,
        vars: &BTreeMap<String, Val>,
        st: &mut State,
        nodes: &[Node],
    ) {
        let mut last = st.values_of(nodes);
        for pass in 0..=nodes.len() {
            let mark = self.mark();
            for n in nodes {
                self.eval_node(def, inst, vars, st, n);
            }
            let now = st.values_of(nodes);
            if now == last || pass == nodes.len() {
                return;
            }
            self.rollback(mark);
            last = now;
        }
    }

    /// What evaluation has produced so far, to undo a pass.
    fn mark(&self) -> Mark {
        Mark {
            resources: self.resources.len(),
            errors: self.errors.len(),
            notes: self.notes.len(),
            ignores: self.ignores.len(),
            ignored_files: self.ignored_files.clone(),
            fs_notes: self.fs.notes_len(),
        }
    }

    fn rollback(&mut self, m: Mark) {
        self.resources.truncate(m.resources);
        self.errors.truncate(m.errors);
        self.notes.truncate(m.notes);
        self.ignores.truncate(m.ignores);
        self.ignored_files = m.ignored_files;
        self.fs.truncate_notes(m.fs_notes);
    }

    /// The subscription id of the root module's azurerm provider block.
    fn root_provider(&mut self, def: &ModuleDef, vars: &BTreeMap<String, Val>, st: &State) {
        let fs = self.fs.clone();
        let scope = st.scope(def, vars, "", &fs);
        for p in &def.providers {
            let is_azurerm = p.item.labels.first().map(|l| l.as_str()) == Some("azurerm");
            if let (true, Some(a)) = (is_azurerm, p.item.body.get_attribute("subscription_id")) {
                if let Ok(Val::Str(s)) = Eval::new(&scope).eval(&a.value) {
                    self.subscription_id.get_or_insert(s);
                }
            }
        }
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
            fs: &self.fs.clone(),
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
                (None, Some(a)) => Eval::new(&scope).eval_stored(&a.value).unwrap_or_else(|e| {
                    self.errors.push(eval_error(f, e));
                    Val::unknown()
                }),
                // An unset root variable is what Terraform would prompt for: an
                // unknown that names the variable it comes from.
                (None, None) if inst.is_root => {
                    self.unset_vars.insert(name.clone());
                    Val::Unknown(Some(format!("var.{name}")))
                }
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

    /// Evaluates `count` / `for_each` of a block.
    fn expansion(
        &mut self,
        f: &SourceFile,
        body: &Body,
        scope: &ModScope<'_>,
        addr: &str,
    ) -> Option<Expansion> {
        let count = body.get_attribute("count");
        let for_each = body.get_attribute("for_each");
        let (meta, a) = match (count, for_each) {
            (Some(c), Some(_)) => {
                self.errors.push(f.error(
                    c.span(),
                    "`count` and `for_each` cannot be used together",
                    "here",
                ));
                return None;
            }
            (Some(c), None) => ("count", c),
            (None, Some(fe)) => ("for_each", fe),
            (None, None) => return Some(Expansion::Single),
        };
        let v = match Eval::new(scope).eval(&a.value) {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(eval_error(f, e));
                return None;
            }
        };
        let shaped = if meta == "count" {
            count_expansion(v)
        } else {
            for_each_expansion(v)
        };
        let exp = match shaped {
            Ok(e) => e,
            Err(m) => {
                self.errors
                    .push(f.error(a.value.span(), format!("`{meta}` {m}"), "here"));
                return None;
            }
        };
        let n = exp.len();
        if self.instances > MAX_SCAN_INSTANCES {
            // Already reported once: stop making instances.
            return None;
        }
        self.instances += n;
        if n > MAX_BLOCK_INSTANCES || self.instances > MAX_SCAN_INSTANCES {
            let (cap, name) = if n > MAX_BLOCK_INSTANCES {
                (MAX_BLOCK_INSTANCES, "MAX_BLOCK_INSTANCES")
            } else {
                (MAX_SCAN_INSTANCES, "MAX_SCAN_INSTANCES")
            };
            self.errors.push(f.error(
                a.value.span(),
                format!("`{meta}` makes {n} instances of `{addr}`, over the cap of {cap} ({name})"),
                "here",
            ));
            return None;
        }
        if let Expansion::Unknown(origin, _) = &exp {
            self.notes.push(format!(
                "{addr}: `{meta}` is not known before apply ({}); its instances are evaluated once, as `{addr}[*]`, and what depends on them is unknown",
                match origin.as_deref() {
                    Some(o) if o.starts_with("var.") => format!("it depends on `{o}`, which has no value"),
                    Some(o) => format!("it depends on `{o}`"),
                    None => "it depends on values mcpguard cannot evaluate".to_string(),
                }
            ));
        }
        Some(exp)
    }

    fn eval_resource(&mut self, def: &ModuleDef, key: &str, scope: &ModScope<'_>) -> Val {
        let Some(d) = def.resources.get(key) else {
            return Val::unknown();
        };
        let f = &def.files[d.file];
        let r = &d.item;
        let block_addr = join(scope.prefix, key);
        let Some(exp) = self.expansion(f, &r.block.body, scope, &block_addr) else {
            return Val::Unknown(Some(block_addr));
        };
        let wildcard = exp.is_unknown();
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
            // What the provider computes is unknown here, as in a plan: one
            // table for both readers (`azurerm::computed`).
            let mut values = val.plan_shape().to_value();
            crate::load::azurerm::computed::mark_source_unknowns(r.mode, &r.tf_type, &mut values);
            self.resources.push(TfResource {
                address: addr.clone(),
                module: scope.prefix.to_string(),
                mode: r.mode,
                tf_type: r.tf_type.clone(),
                name: r.name.clone(),
                index: index.as_ref().filter(|i| !i.is_unknown()).map(Val::to_json),
                values,
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
        if wildcard {
            // Which keys exist is not known: every reference is unknown.
            Val::Unknown(Some(block_addr))
        } else if !map.is_empty() || (repeated && r.block.body.has_attribute("for_each")) {
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
                    let v = ev.eval_stored(&a.value).unwrap_or_else(|e| {
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
        if self.stack.len() >= MAX_MODULE_DEPTH {
            self.errors.push(f.error(
                b.span(),
                format!(
                    "module `{name}` nests modules over {MAX_MODULE_DEPTH} deep (MAX_MODULE_DEPTH)"
                ),
                "here",
            ));
            return Val::unknown();
        }
        let Some(exp) = self.expansion(f, &b.body, scope, &call_addr) else {
            return Val::unknown();
        };
        let wildcard = exp.is_unknown();
        let local = source.starts_with("./") || source.starts_with("../");
        let key = child_key(&manifest::key_of(&parent.generic), name);
        let child = match self.locate(def, name, &key) {
            Ok(c) => Some(c),
            Err(m) if local => {
                self.errors
                    .push(f.error(src_span, format!("module `{name}`: {m}"), "this source"));
                return Val::unknown();
            }
            Err(why) => {
                self.unread_module(f, b, &call_addr, scope.prefix, name, &source, &why);
                None
            }
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
        if wildcard {
            Val::unknown()
        } else if for_each {
            Val::Map(map)
        } else if count {
            Val::List(list)
        } else {
            list.pop().unwrap_or_else(Val::unknown)
        }
    }

    /// A registry or git module that could not be read: a note, and an
    /// entry for the call itself, which rule MCP015 reports as unknown in
    /// every format (a note alone would leave the run looking clean). The
    /// entry is a Terraform resource of type `module`, as any type without a
    /// translation (ARM type `terraform:module`).
    #[allow(clippy::too_many_arguments)]
    fn unread_module(
        &mut self,
        f: &SourceFile,
        b: &Block,
        call_addr: &str,
        prefix: &str,
        name: &str,
        source: &str,
        why: &str,
    ) {
        self.notes.push(format!(
            "{call_addr}: module `{source}` was not read: {why}; its resources are not checked and its outputs are unknown"
        ));
        let version = b
            .body
            .get_attribute("version")
            .and_then(|a| match &a.value {
                Expression::String(s) => Some(s.value().to_string()),
                _ => None,
            });
        let mut tags = serde_json::Map::new();
        tags.insert("source".into(), Value::String(source.into()));
        if let Some(v) = version {
            tags.insert("version".into(), Value::String(v));
        }
        let mut lines = BTreeMap::new();
        if let Some(a) = b.body.get_attribute("source") {
            lines.insert("source".to_string(), f.span_line(a.span()));
        }
        self.resources.push(TfResource {
            address: call_addr.to_string(),
            module: prefix.to_string(),
            mode: Mode::Managed,
            tf_type: "module".into(),
            name: name.to_string(),
            index: None,
            values: {
                let mut v = crate::inventory::Value::from(
                    serde_json::json!({ "name": name, "tags": tags }),
                );
                v["tags"]["contents"] = crate::inventory::Unknown::computed();
                v
            },
            sensitive: Value::Object(Default::default()),
            references: BTreeMap::new(),
            origin: Origin {
                file: Some(f.rel.clone()),
                line: Some(f.span_line(b.span())),
                detail: None,
                attribute_lines: lines,
            },
        });
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
        let mut inputs = BTreeMap::new();
        let mut sensitive = BTreeSet::new();
        let mut ev = Eval::new(scope);
        for a in b.body.attributes() {
            let k = a.key.as_str();
            if graph::CALL_META.contains(&k) {
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
            let v = ev.eval_stored(&a.value).unwrap_or_else(|e| {
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
        if !canon.is_dir() {
            return Err(format!("source `{source}` is not a directory"));
        }
        if self.stack.contains(&canon) {
            return Err(format!("source `{source}` includes itself (module loop)"));
        }
        self.admit(&canon, source)?;
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
                        declaration_line: None,
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

/// `p` relative to `root`, with `..` where it lies outside, `/` separated
/// (as Terraform shows `path.module`).
pub fn rel_path(root: &Path, p: &Path) -> String {
    let r: Vec<_> = root.components().collect();
    let q: Vec<_> = p.components().collect();
    let common = r.iter().zip(&q).take_while(|(a, b)| a == b).count();
    let ups = std::iter::repeat_n("..".to_string(), r.len() - common);
    let rest = q[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().to_string());
    ups.chain(rest).collect::<Vec<_>>().join("/")
}

/// The manifest key of a call inside the module of key `parent`.
fn child_key(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

fn eval_error(f: &SourceFile, e: EvalError) -> InputError {
    f.error(e.span, e.message, "here")
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
