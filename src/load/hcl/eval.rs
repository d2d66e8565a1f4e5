//! Expression evaluation over `hcl::edit` syntax trees (which keep spans),
//! with unknown as a value and the resource references of each expression
//! recorded as it is evaluated.

use std::collections::BTreeMap;
use std::ops::Range;

use hcl::edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl::edit::template::{Directive, Element, Template};
use hcl::edit::{Decorated, Span};

use super::fs::Fs;
use super::funcs::{self, encoding};
use super::types;
use super::value::{Rendered, Val};

/// An evaluation failure, pointing at the expression that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

impl EvalError {
    pub fn new(message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        EvalError {
            message: message.into(),
            span,
        }
    }

    /// The same error, its message prefixed by a function name.
    fn prefixed(mut self, name: &str) -> Self {
        self.message = format!("{name}(): {}", self.message);
        self
    }
}

const NESTED_TEMPLATE: &str =
    "cannot be called from inside a template (Terraform forbids rendering templates recursively)";

/// The functions that read the machine running Terraform.
const MACHINE: &[&str] = &[
    "file",
    "filebase64",
    "fileexists",
    "fileset",
    "filemd5",
    "filesha1",
    "filesha256",
    "filesha512",
    "filebase64sha256",
    "filebase64sha512",
    "abspath",
    "pathexpand",
];

type R<T> = Result<T, EvalError>;

/// What a root name (`var`, `local`, `azurerm_subnet`, …) resolves to.
pub struct Root {
    pub val: Val,
    /// How many of the following `.attr` steps the scope consumed.
    pub consumed: usize,
    /// The resource block address, when the root names a resource block.
    pub block: Option<String>,
}

/// Resolves the root of a traversal. `attrs` are the names of the `.attr`
/// steps that follow it (as many as are plain attribute accesses).
pub trait Scope {
    fn root(&self, name: &str, attrs: &[&str]) -> Result<Option<Root>, String>;

    /// The machine, for the file functions; `None` where files may not be read.
    fn fs(&self) -> Option<&Fs> {
        None
    }

    /// Whether an expression reads a value marked sensitive (`issensitive`).
    fn is_sensitive(&self, _e: &Expression) -> bool {
        false
    }
}

/// A scope where nothing is defined: tfvars, `--var` values and type
/// defaults are constants.
pub struct NoScope;

impl Scope for NoScope {
    fn root(&self, name: &str, _: &[&str]) -> Result<Option<Root>, String> {
        Err(format!("variables may not be used here (`{name}`)"))
    }
}

/// One evaluation: a scope, the local names of `for` expressions and
/// `dynamic` iterators, and the references met so far.
pub struct Eval<'a> {
    scope: &'a dyn Scope,
    locals: Vec<(String, Val)>,
    /// Absolute addresses of the resource instances referred to.
    pub refs: Vec<String>,
    /// Inside `templatefile` / `templatestring`, which Terraform forbids
    /// calling again (so a template cannot include itself).
    in_template: bool,
    /// The expression being evaluated is a stored value (an attribute, a
    /// local, an output, a module input), which may keep a partly known
    /// string; every other use settles it to unknown.
    keep_partial: bool,
    /// `for` iterations so far in this evaluation ([`MAX_FOR_STEPS`]).
    steps: usize,
}

/// The most `for` iterations one expression may run: nested `for`s over
/// `range(1024)` would otherwise build a billion elements.
pub const MAX_FOR_STEPS: usize = 1 << 22;

impl<'a> Eval<'a> {
    pub fn new(scope: &'a dyn Scope) -> Self {
        Eval {
            scope,
            locals: Vec::new(),
            refs: Vec::new(),
            in_template: false,
            keep_partial: false,
            steps: 0,
        }
    }

    /// Binds a local name (a `dynamic` block iterator) for later evaluations.
    pub fn push_local(&mut self, name: &str, val: Val) {
        self.locals.push((name.to_string(), val));
    }

    pub fn pop_local(&mut self) {
        self.locals.pop();
    }

    fn add_ref(&mut self, addr: &str) {
        if !self.refs.iter().any(|r| r == addr) {
            self.refs.push(addr.to_string());
        }
    }

    /// Evaluates an expression whose value is computed with (a `count`, a
    /// module `source`): partly known strings in it are unknown. The
    /// addresses of unknowns in the result are added to the references too.
    pub fn eval(&mut self, e: &Expression) -> R<Val> {
        self.eval_stored(e).map(Val::settled)
    }

    /// Evaluates the expression of a stored value (an attribute, a local, an
    /// output, a module input): a string template with unknown parts stays
    /// partly known (`"${acr.login_server}/mcp-server:${var.tag}"`).
    pub fn eval_stored(&mut self, e: &Expression) -> R<Val> {
        self.keep_partial = true;
        let v = self.expr(e)?;
        let mut origins = Vec::new();
        v.unknown_origins(&mut origins);
        // An unknown that comes from an unset variable (`var.x`) names no resource.
        for o in origins.iter().filter(|o| !o.starts_with("var.")) {
            self.add_ref(o);
        }
        Ok(v)
    }

    fn expr(&mut self, e: &Expression) -> R<Val> {
        // Only the outermost expression of a stored value keeps partly known strings.
        let keep = std::mem::take(&mut self.keep_partial);
        let settle = |v: R<Val>| if keep { v } else { v.map(Val::settled) };
        match e {
            Expression::Null(_) => Ok(Val::Null),
            Expression::Bool(b) => Ok(Val::Bool(*b.value())),
            Expression::Number(n) => Ok(Val::Num(n.value().as_f64().unwrap_or(0.0))),
            Expression::String(s) => Ok(Val::Str(s.value().clone())),
            Expression::Array(a) => {
                Ok(Val::List(a.iter().map(|x| self.expr(x)).collect::<R<_>>()?))
            }
            Expression::Object(o) => {
                let mut m = BTreeMap::new();
                let mut unknown = None;
                for (okey, v) in o.iter() {
                    let key = match okey {
                        ObjectKey::Ident(i) => Val::str(i.as_str()),
                        // A bare name as a key is the name itself, as in Terraform.
                        ObjectKey::Expression(Expression::Variable(i)) => Val::str(i.as_str()),
                        ObjectKey::Expression(x) => self.expr(x)?,
                    };
                    let val = self.expr(v.expr())?;
                    match key {
                        Val::Unknown(o) => unknown = Some(Val::Unknown(o)),
                        k => {
                            let ks = k.to_str().ok_or_else(|| {
                                EvalError::new(
                                    format!("object key must be a string, not {}", k.type_name()),
                                    okey.span(),
                                )
                            })?;
                            m.insert(ks, val);
                        }
                    }
                }
                Ok(unknown.unwrap_or(Val::Map(m)))
            }
            Expression::StringTemplate(t) => settle(self.template(t, keep)),
            Expression::HeredocTemplate(h) => settle(self.template(&h.template, keep)),
            Expression::Parenthesis(p) => {
                self.keep_partial = keep;
                self.expr(p.inner())
            }
            Expression::Variable(v) => settle(self.traversal(e, v, &[])),
            Expression::Conditional(c) => {
                let cond = self.expr(&c.cond_expr)?;
                match cond {
                    Val::Unknown(o) => {
                        // Both branches are evaluated for their references; as in
                        // HCL, their errors do not count while the condition is
                        // unknown (either branch may be the one never taken).
                        let _ = self.expr(&c.true_expr);
                        let _ = self.expr(&c.false_expr);
                        Ok(Val::Unknown(o))
                    }
                    v => match v.as_bool() {
                        Some(true) => self.expr(&c.true_expr),
                        Some(false) => self.expr(&c.false_expr),
                        None => Err(EvalError::new(
                            format!("condition must be a bool, not {}", v.type_name()),
                            c.cond_expr.span(),
                        )),
                    },
                }
            }
            Expression::FuncCall(f) => self.func_call(f),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => settle(self.traversal(e, v, &t.operators)),
                other => {
                    let base = self.expr(other)?;
                    self.apply_ops(base, &t.operators, e)
                }
            },
            Expression::UnaryOp(u) => {
                let v = self.expr(&u.expr)?;
                match (u.operator.value(), v) {
                    (_, Val::Unknown(o)) => Ok(Val::Unknown(o)),
                    (UnaryOperator::Neg, v) => match v.as_num() {
                        Some(n) => Ok(Val::Num(-n)),
                        None => Err(EvalError::new(
                            format!("cannot negate a {}", v.type_name()),
                            e.span(),
                        )),
                    },
                    (UnaryOperator::Not, v) => match v.as_bool() {
                        Some(b) => Ok(Val::Bool(!b)),
                        None => Err(EvalError::new(
                            format!("cannot apply `!` to a {}", v.type_name()),
                            e.span(),
                        )),
                    },
                }
            }
            Expression::BinaryOp(b)
                if matches!(b.operator.value(), BinaryOperator::And | BinaryOperator::Or) =>
            {
                self.logical(b, e)
            }
            Expression::BinaryOp(b) => {
                let l = self.expr(&b.lhs_expr)?;
                let r = self.expr(&b.rhs_expr)?;
                binary(*b.operator.value(), l, r).map_err(|m| EvalError::new(m, e.span()))
            }
            Expression::ForExpr(f) => self.for_expr(f, e),
        }
    }

    /// A function call. Most functions take evaluated arguments ([`funcs`]);
    /// the ones here need an argument unevaluated, the machine, or the
    /// evaluator itself.
    fn func_call(&mut self, f: &hcl::edit::expr::FuncCall) -> R<Val> {
        let ns: Vec<&str> = f.name.namespace.iter().map(|n| n.as_str()).collect();
        let full = if ns.is_empty() {
            f.name.name.as_str().to_string()
        } else {
            format!("{}::{}", ns.join("::"), f.name.name.as_str())
        };
        let err = |m: String| EvalError::new(format!("{full}(): {m}"), f.span());
        if ns.first() == Some(&"provider") {
            // Provider-defined functions run in the provider: unknown here.
            for a in f.args.iter() {
                self.expr(a)?;
            }
            return Ok(Val::unknown());
        }
        let name = funcs::builtin_name(&full);
        match name {
            "try" => self.try_call(f),
            "can" => match f.args.get(0) {
                Some(a) if f.args.len() == 1 => match self.expr(a) {
                    Ok(v) if v.has_unknown() => Ok(Val::unknown()),
                    Ok(_) => Ok(Val::Bool(true)),
                    Err(_) => Ok(Val::Bool(false)),
                },
                _ => Err(err("takes 1 argument(s)".into())),
            },
            "convert" => {
                let (Some(v), Some(ty), 2) = (f.args.get(0), f.args.get(1), f.args.len()) else {
                    return Err(err("takes 2 argument(s): a value and a type".into()));
                };
                let v = self.expr(v)?;
                types::convert(v, ty).map_err(err)
            }
            "issensitive" => match f.args.get(0) {
                Some(a) if f.args.len() == 1 => self.is_sensitive_call(a),
                _ => Err(err("takes 1 argument(s)".into())),
            },
            "templatestring" => self.templatestring(f).map_err(|e| e.prefixed(&full)),
            "templatefile" => self.templatefile(f).map_err(|e| e.prefixed(&full)),
            n if MACHINE.contains(&n) => {
                let args = self.args(f)?;
                self.machine(n, &args).map_err(err)
            }
            _ => {
                let args = self.args(f)?;
                if let Some(Val::Unknown(o)) = f.args.expand_final().then(|| args.last()).flatten()
                {
                    return Ok(Val::Unknown(o.clone()));
                }
                funcs::call(&full, args).map_err(err)
            }
        }
    }

    /// `&&` and `||` as HCL evaluates them: both sides are evaluated, and a
    /// side that decides the result (`false &&`, `true ||`, on either side)
    /// drops the other side's errors, so `x != null && length(x) > 0` holds
    /// for a null `x`. An unknown left side also drops the right's errors.
    fn logical(&mut self, b: &hcl::edit::expr::BinaryOp, e: &Expression) -> R<Val> {
        let op = *b.operator.value();
        let decides = matches!(op, BinaryOperator::Or);
        let l = self.expr(&b.lhs_expr);
        let r = self.expr(&b.rhs_expr);
        let known = |v: &R<Val>| match v {
            Ok(Val::Unknown(_)) | Err(_) => None,
            Ok(v) => Some(v.as_bool()),
        };
        let (lk, rk) = (known(&l), known(&r));
        if lk == Some(Some(decides)) || rk == Some(Some(decides)) {
            return Ok(Val::Bool(decides));
        }
        match (lk, rk) {
            // Neither side is known: the left one speaks.
            (None, None) => match l {
                Err(err) => Err(err),
                Ok(v) => Ok(v),
            },
            (None, Some(_)) => l,
            (Some(_), None) => r,
            (Some(_), Some(_)) => binary(op, l?, r?).map_err(|m| EvalError::new(m, e.span())),
        }
    }

    /// Evaluated arguments, a final `...` argument spread.
    fn args(&mut self, f: &hcl::edit::expr::FuncCall) -> R<Vec<Val>> {
        let mut args = Vec::with_capacity(f.args.len());
        for a in f.args.iter() {
            args.push(self.expr(a)?);
        }
        if f.args.expand_final() {
            match args.pop() {
                Some(Val::List(l)) => args.extend(l),
                Some(u @ Val::Unknown(_)) => args.push(u),
                Some(v) => {
                    return Err(EvalError::new(
                        format!("`...` needs a list, not {}", v.type_name()),
                        f.span(),
                    ))
                }
                None => {}
            }
        }
        Ok(args)
    }

    /// `try`: the first argument that evaluates, unknown when that one is
    /// not wholly known (it might still fail at apply).
    fn try_call(&mut self, f: &hcl::edit::expr::FuncCall) -> R<Val> {
        let mut last = None;
        for a in f.args.iter() {
            match self.expr(a) {
                Ok(v) if v.has_unknown() => {
                    let mut o = Vec::new();
                    v.unknown_origins(&mut o);
                    return Ok(Val::Unknown(o.into_iter().next()));
                }
                Ok(v) => return Ok(v),
                Err(err) => last = Some(err),
            }
        }
        Err(last.unwrap_or_else(|| EvalError::new("try needs at least one argument", f.span())))
    }

    /// `issensitive(x)`: true when `x` reads a sensitive variable or local or
    /// is built by `sensitive()`; unknown when it depends on values a
    /// provider might mark sensitive; else false.
    fn is_sensitive_call(&mut self, a: &Expression) -> R<Val> {
        let v = self.expr(a)?;
        let marked = match a {
            Expression::FuncCall(c) => match funcs::builtin_name(c.name.name.as_str()) {
                "sensitive" => Some(true),
                "nonsensitive" => Some(false),
                _ => None,
            },
            _ => None,
        };
        Ok(match marked {
            Some(b) => Val::Bool(b),
            None if self.scope.is_sensitive(a) => Val::Bool(true),
            None if v.has_unknown() => Val::unknown(),
            None => Val::Bool(false),
        })
    }

    /// `templatestring(ref, vars)`: the template must come from a reference
    /// (a literal would already have been rendered), as Terraform requires.
    fn templatestring(&mut self, f: &hcl::edit::expr::FuncCall) -> R<Val> {
        let (Some(t), Some(vars), 2) = (f.args.get(0), f.args.get(1), f.args.len()) else {
            return Err(EvalError::new("takes 2 argument(s)", f.span()));
        };
        if matches!(
            t,
            Expression::String(_) | Expression::StringTemplate(_) | Expression::HeredocTemplate(_)
        ) {
            return Err(EvalError::new(
                "invalid template expression: the template must be given by a reference to a string, such as a local value or a data source's attribute",
                t.span(),
            ));
        }
        let text = self.expr(t)?;
        let vars = self.expr(vars)?;
        self.render(text, vars, "the template", f.span())
    }

    /// `templatefile(path, vars)`: a file read like `file()`, rendered.
    fn templatefile(&mut self, f: &hcl::edit::expr::FuncCall) -> R<Val> {
        let args = self.args(f)?;
        if args.len() != 2 {
            return Err(EvalError::new(
                format!("takes 2 argument(s), got {}", args.len()),
                f.span(),
            ));
        }
        if self.in_template {
            return Err(EvalError::new(NESTED_TEMPLATE, f.span()));
        }
        let text = self
            .machine("file", &args[..1])
            .map_err(|m| EvalError::new(m, f.span()))?;
        let shown = args[0].to_str().unwrap_or_default();
        self.render(text, args[1].clone(), &format!("`{shown}`"), f.span())
    }

    /// Renders template text with only the given variables in scope.
    fn render(&mut self, text: Val, vars: Val, what: &str, span: Option<Range<usize>>) -> R<Val> {
        if self.in_template {
            return Err(EvalError::new(NESTED_TEMPLATE, span));
        }
        if text.has_unknown() || vars.has_unknown() {
            let mut o = Vec::new();
            text.unknown_origins(&mut o);
            vars.unknown_origins(&mut o);
            return Ok(Val::Unknown(o.into_iter().next()));
        }
        let text = text
            .to_str()
            .ok_or_else(|| EvalError::new("the template must be a string", span.clone()))?;
        let vars = vars.as_map().cloned().ok_or_else(|| {
            EvalError::new("the template variables must be an object", span.clone())
        })?;
        let t = hcl::edit::parser::parse_template(&text)
            .map_err(|e| EvalError::new(format!("{what}: {}", e.message()), span.clone()))?;
        // A template sees only the variables it is given.
        let saved = std::mem::replace(&mut self.locals, vars.into_iter().collect());
        self.in_template = true;
        let r = self.template(&t, false);
        self.in_template = false;
        self.locals = saved;
        r.map_err(|e| EvalError::new(format!("{what}: {}", e.message), span))
    }

    /// The functions that read the machine. What cannot be read (outside
    /// the project, missing, not a regular file) is unknown, with a note.
    fn machine(&mut self, name: &str, args: &[Val]) -> Result<Val, String> {
        let want = if name == "fileset" { 2 } else { 1 };
        if args.len() != want {
            return Err(format!("takes {want} argument(s), got {}", args.len()));
        }
        if let Some(u) = args.iter().find(|a| a.has_unknown()) {
            let mut o = Vec::new();
            u.unknown_origins(&mut o);
            return Ok(Val::Unknown(o.into_iter().next()));
        }
        let path = funcs::string(&args[0])?;
        if name == "pathexpand" && !path.starts_with('~') {
            return Ok(Val::Str(path));
        }
        let Some(fs) = self.scope.fs() else {
            return Err("files cannot be read here".into());
        };
        let unknown = |why: String| {
            fs.note(format!(
                "{name}(\"{path}\") is unknown: {why}; the values built from it are unknown"
            ));
            Ok(Val::unknown())
        };
        match name {
            "abspath" => Ok(Val::Str(fs.abspath(&path))),
            "pathexpand" => unknown("it depends on the home directory of the machine running Terraform".into()),
            "fileexists" => match fs.exists(&path) {
                Ok(b) => Ok(Val::Bool(b)),
                Err(why) => unknown(why),
            },
            "fileset" => match fs.fileset(&path, &funcs::string(&args[1])?) {
                Ok(l) => Ok(Val::List(l.into_iter().map(Val::Str).collect())),
                Err(why) => unknown(why),
            },
            _ => match fs.read(&path) {
                Err(why) => unknown(why),
                Ok(bytes) if name == "file" => String::from_utf8(bytes).map(Val::Str).map_err(|_| {
                    format!("the contents of `{path}` are not valid UTF-8; use filebase64 for binary files")
                }),
                Ok(bytes) => Ok(Val::Str(
                    encoding::digest(name, &bytes).ok_or_else(|| format!("unknown function `{name}`"))?,
                )),
            },
        }
    }

    fn lookup_local(&self, name: &str) -> Option<&Val> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn traversal(
        &mut self,
        whole: &Expression,
        var: &Decorated<hcl::edit::Ident>,
        ops: &[Decorated<TraversalOperator>],
    ) -> R<Val> {
        let name = var.as_str();
        if let Some(v) = self.lookup_local(name) {
            let v = v.clone();
            return self.apply_ops(v, ops, whole);
        }
        let attrs: Vec<&str> = ops
            .iter()
            .map_while(|o| match o.value() {
                TraversalOperator::GetAttr(a) => Some(a.as_str()),
                _ => None,
            })
            .collect();
        let root = self
            .scope
            .root(name, &attrs)
            .map_err(|m| EvalError::new(m, whole.span()))?
            .ok_or_else(|| {
                EvalError::new(
                    format!("unknown name `{name}`"),
                    var.span().or_else(|| whole.span()),
                )
            })?;
        let rest = &ops[root.consumed.min(ops.len())..];
        if let Some(block) = &root.block {
            // A reference to a whole expanded block (or through a splat or an
            // unknown key) refers to every instance of it.
            let instances: Vec<String> = match &root.val {
                Val::List(l) => l.iter().filter_map(res_addr).collect(),
                Val::Map(m) => m.values().filter_map(res_addr).collect(),
                Val::Res(_, Some(a)) => vec![a.clone()],
                _ => vec![block.clone()],
            };
            let precise = matches!(
                rest.first().map(|o| o.value()),
                Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_))
            ) && !matches!(root.val, Val::Unknown(_));
            if !precise {
                for a in instances {
                    self.add_ref(&a);
                }
            }
        }
        self.apply_ops(root.val, rest, whole)
    }

    fn apply_ops(
        &mut self,
        mut v: Val,
        ops: &[Decorated<TraversalOperator>],
        whole: &Expression,
    ) -> R<Val> {
        for (n, op) in ops.iter().enumerate() {
            if let Val::Res(_, Some(a)) = &v {
                let a = a.clone();
                self.add_ref(&a);
            }
            v = match op.value() {
                TraversalOperator::GetAttr(a) => get_attr(v, a.as_str())
                    .map_err(|m| EvalError::new(m, op.span().or_else(|| whole.span())))?,
                TraversalOperator::LegacyIndex(i) => index(v, &Val::Num(*i.value() as f64))
                    .map_err(|m| EvalError::new(m, op.span().or_else(|| whole.span())))?,
                TraversalOperator::Index(ix) => {
                    let k = self.expr(ix)?;
                    index(v, &k)
                        .map_err(|m| EvalError::new(m, ix.span().or_else(|| whole.span())))?
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let rest = &ops[n + 1..];
                    return match v {
                        Val::Unknown(o) => Ok(Val::Unknown(o)),
                        Val::Null => Ok(Val::List(Vec::new())),
                        Val::List(items) => {
                            let mut out = Vec::with_capacity(items.len());
                            for it in items {
                                out.push(self.apply_ops(it, rest, whole)?);
                            }
                            Ok(Val::List(out))
                        }
                        other => Ok(Val::List(vec![self.apply_ops(other, rest, whole)?])),
                    };
                }
            };
        }
        if let Val::Res(_, Some(a)) = &v {
            let a = a.clone();
            self.add_ref(&a);
        }
        Ok(v)
    }

    /// A string template: known, partly known (an interpolation is unknown,
    /// the text around it known), or unknown (a directive's condition or
    /// collection is). `keep`: a stored value, whose interpolations may
    /// splice in partly known strings.
    fn template(&mut self, t: &Template, keep: bool) -> R<Val> {
        let elems: Vec<&Element> = t.iter().collect();
        // `"${x}"` is x itself, unconverted, as in Terraform.
        if let [Element::Interpolation(i)] = elems.as_slice() {
            self.keep_partial = keep;
            return self.expr(&i.expr);
        }
        let mut out = Rendered::default();
        let mut unknown: Option<Val> = None;
        self.template_into(t, (false, false), keep, &mut out, &mut unknown)?;
        Ok(unknown.unwrap_or_else(|| out.finish()))
    }

    /// Renders a template. `edges` says whether the first literal's leading
    /// and the last literal's trailing whitespace are stripped by the `~` of
    /// the enclosing directive.
    fn template_into(
        &mut self,
        t: &Template,
        edges: (bool, bool),
        keep: bool,
        out: &mut Rendered,
        unknown: &mut Option<Val>,
    ) -> R<()> {
        let elems: Vec<&Element> = t.iter().collect();
        for (i, el) in elems.iter().enumerate() {
            match el {
                Element::Literal(s) => {
                    let mut lit: &str = s.value();
                    let prev_strips = i.checked_sub(1).map_or(edges.0, |p| strips(elems[p]).1);
                    let next_strips = elems.get(i + 1).map_or(edges.1, |n| strips(n).0);
                    if prev_strips {
                        lit = lit.trim_start();
                    }
                    if next_strips {
                        lit = lit.trim_end();
                    }
                    out.push_str(lit)
                }
                Element::Interpolation(i) => {
                    self.keep_partial = keep;
                    let v = self.expr(&i.expr)?;
                    match v {
                        Val::Unknown(o) => out.gap(o),
                        Val::Partial(parts, o) => out.splice(&parts, o),
                        v => match v.to_str() {
                            Some(s) => out.push_str(&s),
                            None if v == Val::Null => {
                                return Err(EvalError::new(
                                    "cannot include a null value in a string template",
                                    i.expr.span(),
                                ))
                            }
                            None => {
                                return Err(EvalError::new(
                                    format!(
                                        "cannot include a {} in a string template",
                                        v.type_name()
                                    ),
                                    i.expr.span(),
                                ))
                            }
                        },
                    }
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => {
                        let c = self.expr(&ifd.if_expr.cond_expr)?;
                        match c {
                            Val::Unknown(o) => {
                                unknown.get_or_insert(Val::Unknown(o));
                            }
                            c => match c.as_bool() {
                                Some(true) => {
                                    let trail = match &ifd.else_expr {
                                        Some(e) => e.strip.strip_start(),
                                        None => ifd.endif_expr.strip.strip_start(),
                                    };
                                    let edges = (ifd.if_expr.strip.strip_end(), trail);
                                    self.template_into(
                                        &ifd.if_expr.template,
                                        edges,
                                        keep,
                                        out,
                                        unknown,
                                    )?
                                }
                                Some(false) => {
                                    if let Some(e) = &ifd.else_expr {
                                        let edges = (
                                            e.strip.strip_end(),
                                            ifd.endif_expr.strip.strip_start(),
                                        );
                                        self.template_into(&e.template, edges, keep, out, unknown)?
                                    }
                                }
                                None => {
                                    return Err(EvalError::new(
                                        "template condition must be a bool",
                                        ifd.if_expr.cond_expr.span(),
                                    ))
                                }
                            },
                        }
                    }
                    Directive::For(fd) => {
                        let f = &fd.for_expr;
                        let coll = self.expr(&f.collection_expr)?;
                        let items = match iter_items(coll) {
                            Ok(Some(items)) => items,
                            Ok(None) => {
                                unknown.get_or_insert(Val::unknown());
                                continue;
                            }
                            Err(m) => return Err(EvalError::new(m, f.collection_expr.span())),
                        };
                        for (k, v) in items {
                            let pushed = self.bind(
                                f.key_var.as_ref().map(|k| k.as_str()),
                                f.value_var.as_str(),
                                k,
                                v,
                            );
                            let edges = (f.strip.strip_end(), fd.endfor_expr.strip.strip_start());
                            let r = self.template_into(&f.template, edges, keep, out, unknown);
                            self.locals.truncate(self.locals.len() - pushed);
                            r?;
                        }
                    }
                },
            }
        }
        Ok(())
    }

    fn bind(&mut self, key_var: Option<&str>, value_var: &str, k: Val, v: Val) -> usize {
        let mut n = 0;
        if let Some(kv) = key_var {
            self.locals.push((kv.to_string(), k));
            n += 1;
        }
        self.locals.push((value_var.to_string(), v));
        n + 1
    }

    fn for_expr(&mut self, f: &hcl::edit::expr::ForExpr, whole: &Expression) -> R<Val> {
        let coll = self.expr(&f.intro.collection_expr)?;
        let items = match iter_items(coll)
            .map_err(|m| EvalError::new(m, f.intro.collection_expr.span()))?
        {
            Some(items) => items,
            None => return Ok(Val::unknown()),
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str());
        let value_var = f.intro.value_var.as_str();
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Val> = BTreeMap::new();
        let mut unknown = None;
        self.steps += items.len();
        if self.steps > MAX_FOR_STEPS {
            return Err(EvalError::new(
                format!(
                    "`for` expressions here run over {MAX_FOR_STEPS} iterations (MAX_FOR_STEPS)"
                ),
                whole.span(),
            ));
        }
        for (k, v) in items {
            let pushed = self.bind(key_var, value_var, k, v);
            let r = self.for_item(f, &mut list, &mut map, &mut unknown);
            self.locals.truncate(self.locals.len() - pushed);
            r.map_err(|mut e| {
                if e.span.is_none() {
                    e.span = whole.span();
                }
                e
            })?;
        }
        if let Some(u) = unknown {
            return Ok(u);
        }
        Ok(if f.key_expr.is_some() {
            Val::Map(map)
        } else {
            Val::List(list)
        })
    }

    fn for_item(
        &mut self,
        f: &hcl::edit::expr::ForExpr,
        list: &mut Vec<Val>,
        map: &mut BTreeMap<String, Val>,
        unknown: &mut Option<Val>,
    ) -> R<()> {
        if let Some(c) = &f.cond {
            match self.expr(&c.expr)? {
                Val::Unknown(o) => {
                    *unknown = Some(Val::Unknown(o));
                    return Ok(());
                }
                v => match v.as_bool() {
                    Some(true) => {}
                    Some(false) => return Ok(()),
                    None => {
                        return Err(EvalError::new(
                            "`for` condition must be a bool",
                            c.expr.span(),
                        ))
                    }
                },
            }
        }
        let val = self.expr(&f.value_expr)?;
        match &f.key_expr {
            None => list.push(val),
            Some(ke) => {
                let k = self.expr(ke)?;
                if let Val::Unknown(o) = k {
                    *unknown = Some(Val::Unknown(o));
                    return Ok(());
                }
                let ks = k.to_str().ok_or_else(|| {
                    EvalError::new(
                        format!("`for` key must be a string, not {}", k.type_name()),
                        ke.span(),
                    )
                })?;
                if f.grouping {
                    if let Val::List(l) = map.entry(ks).or_insert_with(|| Val::List(Vec::new())) {
                        l.push(val);
                    }
                } else if map.insert(ks.clone(), val).is_some() {
                    return Err(EvalError::new(
                        format!("duplicate key `{ks}` in `for` expression (use `...` to group)"),
                        ke.span(),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether an element strips the whitespace of the literal before it and
/// of the literal after it (`${~ x ~}`, `%{~ if … ~}`).
fn strips(el: &Element) -> (bool, bool) {
    match el {
        Element::Literal(_) => (false, false),
        Element::Interpolation(i) => (i.strip.strip_start(), i.strip.strip_end()),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(ifd) => (
                ifd.if_expr.strip.strip_start(),
                ifd.endif_expr.strip.strip_end(),
            ),
            Directive::For(fd) => (
                fd.for_expr.strip.strip_start(),
                fd.endfor_expr.strip.strip_end(),
            ),
        },
    }
}

fn res_addr(v: &Val) -> Option<String> {
    match v {
        Val::Res(_, a) => a.clone(),
        _ => None,
    }
}

/// Key/value pairs of a collection for `for` and `dynamic`; `None` when unknown.
pub fn iter_items(coll: Val) -> Result<Option<Vec<(Val, Val)>>, String> {
    match coll {
        Val::Unknown(_) => Ok(None),
        Val::List(l) => Ok(Some(
            l.into_iter()
                .enumerate()
                .map(|(i, v)| (Val::Num(i as f64), v))
                .collect(),
        )),
        Val::Map(m) | Val::Res(m, _) => {
            Ok(Some(m.into_iter().map(|(k, v)| (Val::Str(k), v)).collect()))
        }
        Val::Null => Err("cannot iterate over a null value".into()),
        v => Err(format!("cannot iterate over a {}", v.type_name())),
    }
}

pub fn get_attr(v: Val, name: &str) -> Result<Val, String> {
    match v {
        Val::Unknown(o) => Ok(Val::Unknown(o)),
        Val::Res(mut m, addr) => Ok(m.remove(name).unwrap_or(Val::Unknown(addr))),
        Val::Map(mut m) => m
            .remove(name)
            .ok_or_else(|| format!("object has no attribute `{name}`")),
        Val::Null => Err(format!("cannot read attribute `{name}` of a null value")),
        other => Err(format!(
            "cannot read attribute `{name}` of a {}",
            other.type_name()
        )),
    }
}

pub fn index(v: Val, k: &Val) -> Result<Val, String> {
    if let Val::Unknown(o) = k {
        return Ok(Val::Unknown(o.clone()));
    }
    match v {
        Val::Unknown(o) => Ok(Val::Unknown(o)),
        Val::List(mut l) => {
            let n = k
                .as_num()
                .ok_or_else(|| format!("list index must be a number, not {}", k.type_name()))?;
            if n < 0.0 || n.fract() != 0.0 || n as usize >= l.len() {
                return Err(format!(
                    "index {} out of range for a list of {} elements",
                    super::value::fmt_num(n),
                    l.len()
                ));
            }
            Ok(l.swap_remove(n as usize))
        }
        Val::Map(mut m) | Val::Res(mut m, _) => {
            let ks = k
                .to_str()
                .ok_or_else(|| format!("map key must be a string, not {}", k.type_name()))?;
            m.remove(&ks)
                .ok_or_else(|| format!("no element with key `{ks}`"))
        }
        Val::Null => Err("cannot index a null value".into()),
        other => Err(format!("cannot index a {}", other.type_name())),
    }
}

fn binary(op: BinaryOperator, l: Val, r: Val) -> Result<Val, String> {
    use BinaryOperator::*;
    match op {
        And | Or => {
            let (lb, rb) = (l.as_bool(), r.as_bool());
            let short = matches!(op, Or);
            if lb == Some(short) || rb == Some(short) {
                return Ok(Val::Bool(short));
            }
            match (&l, &r) {
                (Val::Unknown(o), _) | (_, Val::Unknown(o)) => Ok(Val::Unknown(o.clone())),
                _ => match (lb, rb) {
                    (Some(a), Some(b)) => Ok(Val::Bool(if short { a || b } else { a && b })),
                    _ => Err(format!(
                        "`{}` needs bools, not {} and {}",
                        op.as_str(),
                        l.type_name(),
                        r.type_name()
                    )),
                },
            }
        }
        Eq | NotEq => {
            // Against null only null-ness counts: a list, map or object is not
            // null whatever its elements hold (Terraform decides `v != null` so).
            let known_container = |v: &Val| matches!(v, Val::List(_) | Val::Map(_) | Val::Res(..));
            if (matches!(l, Val::Null) && known_container(&r))
                || (matches!(r, Val::Null) && known_container(&l))
            {
                return Ok(Val::Bool(matches!(op, NotEq)));
            }
            if l.has_unknown() || r.has_unknown() {
                return Ok(first_unknown(&l, &r));
            }
            let same = equal(&l, &r);
            Ok(Val::Bool(if matches!(op, Eq) { same } else { !same }))
        }
        _ => {
            if let Val::Unknown(o) = &l {
                return Ok(Val::Unknown(o.clone()));
            }
            if let Val::Unknown(o) = &r {
                return Ok(Val::Unknown(o.clone()));
            }
            let (a, b) = match (l.as_num(), r.as_num()) {
                (Some(a), Some(b)) => (a, b),
                _ => {
                    return Err(format!(
                        "`{}` needs numbers, not {} and {}",
                        op.as_str(),
                        l.type_name(),
                        r.type_name()
                    ))
                }
            };
            Ok(match op {
                Plus => Val::Num(a + b),
                Minus => Val::Num(a - b),
                Mul => Val::Num(a * b),
                Div => {
                    if b == 0.0 {
                        return Err("division by zero".into());
                    }
                    Val::Num(a / b)
                }
                Mod => {
                    if b == 0.0 {
                        return Err("modulo by zero".into());
                    }
                    Val::Num(a % b)
                }
                Less => Val::Bool(a < b),
                LessEq => Val::Bool(a <= b),
                Greater => Val::Bool(a > b),
                GreaterEq => Val::Bool(a >= b),
                _ => return Err(format!("unsupported operator `{}`", op.as_str())),
            })
        }
    }
}

fn first_unknown(l: &Val, r: &Val) -> Val {
    let mut o = Vec::new();
    l.unknown_origins(&mut o);
    r.unknown_origins(&mut o);
    Val::Unknown(o.into_iter().next())
}

/// Terraform equality: numbers by value, objects and lists deeply.
pub fn equal(l: &Val, r: &Val) -> bool {
    match (l, r) {
        (Val::Num(a), Val::Num(b)) => a == b,
        (Val::List(a), Val::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equal(x, y))
        }
        (Val::Map(a) | Val::Res(a, _), Val::Map(b) | Val::Res(b, _)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && equal(va, vb))
        }
        _ => l == r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_str(src: &str) -> Result<Val, EvalError> {
        let e =
            hcl::edit::parser::parse_expr(src).map_err(|e| EvalError::new(e.to_string(), None))?;
        Eval::new(&NoScope).eval(&e)
    }

    #[test]
    fn templates_strip_and_directives() {
        let cases = [
            (r#""a ${~ "b" ~} c""#, "abc"),
            (r#""%{ for x in ["a", "b"] ~} ${x} %{~ endfor ~} !""#, "ab!"),
            (
                r#""x %{~ if true ~} y %{~ else ~} n %{~ endif ~} z""#,
                "xyz",
            ),
            (r#""${1 + 1}-${true}""#, "2-true"),
        ];
        for (src, want) in cases {
            assert_eq!(eval_str(src), Ok(Val::str(want)), "{src}");
        }
        // A lone interpolation is its value, unconverted.
        assert_eq!(eval_str(r#""${[1]}""#), Ok(Val::List(vec![Val::Num(1.0)])));
        assert!(eval_str(r#""a${[1]}""#)
            .unwrap_err()
            .message
            .contains("cannot include a list"));
    }

    /// HCL's logical operators: a deciding side drops the other's errors.
    #[test]
    fn logical_operators_drop_errors_of_the_undeciding_side() {
        assert_eq!(
            eval_str("null != null && length(null) > 0"),
            Ok(Val::Bool(false))
        );
        assert_eq!(eval_str("length(null) > 0 && false"), Ok(Val::Bool(false)));
        assert_eq!(eval_str("true || length(null) > 0"), Ok(Val::Bool(true)));
        assert!(eval_str("true && length(null) > 0").is_err());
        assert!(eval_str("false || length(null) > 0").is_err());
        // An untaken branch of a known condition is not evaluated for errors.
        assert_eq!(eval_str("false ? length(null) : 1"), Ok(Val::Num(1.0)));
    }

    /// `{ for k, v in {...} : k => v if v != null }` (the azapi body idiom):
    /// a collection is not null even when an element is unknown.
    #[test]
    fn a_collection_with_unknown_elements_is_not_null() {
        let l = Val::List(vec![Val::unknown()]);
        let m = Val::Map([("a".to_string(), Val::unknown())].into());
        for v in [l, m] {
            assert_eq!(
                binary(BinaryOperator::NotEq, v.clone(), Val::Null),
                Ok(Val::Bool(true))
            );
            assert_eq!(
                binary(BinaryOperator::Eq, Val::Null, v),
                Ok(Val::Bool(false))
            );
        }
        assert_eq!(
            binary(BinaryOperator::NotEq, Val::unknown(), Val::Null),
            Ok(Val::unknown())
        );
    }

    #[test]
    fn unknown_propagates_and_logic_short_circuits() {
        struct U;
        impl Scope for U {
            fn root(&self, name: &str, _: &[&str]) -> Result<Option<Root>, String> {
                Ok((name == "u").then(|| Root {
                    val: Val::Unknown(Some("x.y".into())),
                    consumed: 0,
                    block: None,
                }))
            }
        }
        let ev = |src: &str| Eval::new(&U).eval(&hcl::edit::parser::parse_expr(src).unwrap());
        assert_eq!(ev("u + 1"), Ok(Val::Unknown(Some("x.y".into()))));
        assert_eq!(ev("\"p-${u}\""), Ok(Val::Unknown(Some("x.y".into()))));
        assert_eq!(ev("false && u"), Ok(Val::Bool(false)));
        assert_eq!(ev("true || u"), Ok(Val::Bool(true)));
        assert_eq!(ev("u ? 1 : 2"), Ok(Val::Unknown(Some("x.y".into()))));
        assert_eq!(ev("[for x in u : x]"), Ok(Val::unknown()));
        assert_eq!(ev("length([u, 1])"), Ok(Val::Num(2.0)));
        assert_eq!(ev("try(u, 1)"), Ok(Val::Unknown(Some("x.y".into()))));
        assert_eq!(ev("can(u)"), Ok(Val::unknown()));
        assert_eq!(ev("can(nope)"), Ok(Val::Bool(false)));
        assert!(ev("nope")
            .unwrap_err()
            .message
            .contains("unknown name `nope`"));
        assert!(ev("1 / 0")
            .unwrap_err()
            .message
            .contains("division by zero"));
    }

    #[test]
    fn stored_templates_keep_their_literal_parts() {
        struct U;
        impl Scope for U {
            fn root(&self, name: &str, _: &[&str]) -> Result<Option<Root>, String> {
                let val = match name {
                    "u" => Val::Unknown(Some("acr.a".into())),
                    // A local that holds a partly known string.
                    "p" => {
                        Val::Partial(vec![None, Some("/mcp:".into()), None], Some("acr.a".into()))
                    }
                    _ => return Ok(None),
                };
                Ok(Some(Root {
                    val,
                    consumed: 0,
                    block: None,
                }))
            }
        }
        let stored =
            |src: &str| Eval::new(&U).eval_stored(&hcl::edit::parser::parse_expr(src).unwrap());
        let partial = |parts: &[Option<&str>]| {
            Val::Partial(
                parts.iter().map(|p| p.map(str::to_string)).collect(),
                Some("acr.a".into()),
            )
        };
        assert_eq!(
            stored("\"${u}/mcp-server:${u}\""),
            Ok(partial(&[None, Some("/mcp-server:"), None]))
        );
        // A stored partly known string read whole, or spliced into a template.
        assert_eq!(stored("p"), Ok(partial(&[None, Some("/mcp:"), None])));
        assert_eq!(
            stored("\"img=${p}\""),
            Ok(partial(&[Some("img="), None, Some("/mcp:"), None]))
        );
        // Computed with, it is unknown: a function, an operator, a condition.
        let unknown = Ok(Val::Unknown(Some("acr.a".into())));
        assert_eq!(stored("upper(p)"), unknown);
        assert_eq!(stored("p == \"x\""), unknown);
        assert_eq!(
            stored("[p]"),
            Ok(Val::List(vec![Val::Unknown(Some("acr.a".into()))]))
        );
        // Where a value is computed with (`count`, a module source), it is unknown.
        let settled = Eval::new(&U).eval(&hcl::edit::parser::parse_expr("p").unwrap());
        assert_eq!(settled, unknown);
    }
}
