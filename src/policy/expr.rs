//! Template expressions: `"[concat('tags[', parameters('tagName'), ']')]"`.
//!
//! A JSON string that starts with `[` and ends with `]` is an expression;
//! `[[` escapes a literal leading bracket. Function names are
//! case-insensitive; string literals use single quotes, `''` inside them is a
//! quote. Results can be indexed (`split(x, '/')[2]`) and have properties read
//! (`resourceGroup().name`). Expressions are parsed once, when a rule loads; an
//! unknown function is a load error.

use serde_json::{json, Value};

use super::functions::{self, Deployment};
use crate::inventory::Value as Model;

/// A value in evaluation: known, or unknown until apply (with the path).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Known(Value),
    Unknown(String),
}

impl Val {
    pub fn known(&self) -> Option<&Value> {
        match self {
            Val::Known(v) => Some(v),
            Val::Unknown(_) => None,
        }
    }
}

/// What expressions can ask the evaluator.
pub trait Env {
    fn parameter(&self, name: &str) -> Result<Value, String>;
    /// `field('alias')`: the raw value (an array for `[*]` aliases, `""` when missing).
    fn field(&self, name: &str) -> Val;
    /// `current('name')` / `current()`.
    fn current(&self, name: Option<&str>) -> Result<Val, String>;
    fn resource_id(&self) -> String;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Value),
    Call(String, Vec<Expr>),
    Prop(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
}

/// A string from a rule file: a literal or a parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    Lit(Value),
    Expr(Expr),
}

/// Whether a rule may call `name`: a function of the shared table that Azure
/// Policy offers ([`functions::FUNCTIONS`]); any other name is a load error.
fn policy_function(name: &str) -> bool {
    functions::lookup(name).is_some_and(|f| f.policy)
}

/// Deepest nesting of calls, indexes and properties in one expression. The
/// deepest in the corpus (Azure's built-ins, the AVM templates) is 12; the
/// parser and the evaluator recurse once per level, so a hostile rule nested
/// thousands deep must stop here, not overflow the stack.
pub const MAX_EXPR_DEPTH: usize = 64;

/// Parses a rule string: an expression if bracketed, else a literal.
pub fn parse_template(s: &str) -> Result<Template, String> {
    parse_with(s, &policy_function)
}

/// Parses a string of the expression language, accepting the calls `accepts`
/// says the language has (a template accepts more than a policy rule, and
/// its own `namespace.function` names).
pub fn parse_with(s: &str, accepts: &dyn Fn(&str) -> bool) -> Result<Template, String> {
    if let Some(rest) = s.strip_prefix("[[") {
        return Ok(Template::Lit(Value::String(format!("[{rest}"))));
    }
    if s.starts_with('[') && s.ends_with(']') && s.len() >= 2 {
        let mut p = Parser {
            s: &s[1..s.len() - 1],
            i: 0,
            depth: 0,
            accepts,
        };
        let e = p.expr()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!(
                "unexpected `{}` in expression `{}`",
                short(&p.s[p.i..]),
                short(s)
            ));
        }
        return Ok(Template::Expr(e));
    }
    Ok(Template::Lit(Value::String(s.to_string())))
}

/// At most 80 characters of rule text in a message.
fn short(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
    depth: usize,
    accepts: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s[self.i..].starts_with(char::is_whitespace) {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }
    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return Err(format!(
                "expression nested deeper than {MAX_EXPR_DEPTH} levels (the limit; README, Limits)"
            ));
        }
        let e = self.expr_inner();
        self.depth -= 1;
        e
    }

    fn expr_inner(&mut self) -> Result<Expr, String> {
        self.ws();
        let mut e = match self.peek() {
            Some('\'') => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    match self.peek() {
                        None => return Err(format!("unterminated string in `{}`", short(self.s))),
                        Some('\'') => {
                            self.i += 1;
                            if self.peek() == Some('\'') {
                                out.push('\'');
                                self.i += 1;
                            } else {
                                break;
                            }
                        }
                        Some(c) => {
                            out.push(c);
                            self.i += c.len_utf8();
                        }
                    }
                }
                Expr::Lit(Value::String(out))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let start = self.i;
                self.i += 1;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
                    self.i += 1;
                }
                let t = &self.s[start..self.i];
                let v: Value = serde_json::from_str(t).map_err(|_| format!("bad number `{t}`"))?;
                Expr::Lit(v)
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.i += 1;
                }
                // A user-defined function of a template: `namespace.name(`.
                let rest = &self.s[self.i..];
                if let Some(after) = rest.strip_prefix('.') {
                    let n = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    if n > 0 && after[n..].trim_start().starts_with('(') {
                        self.i += 1 + n;
                    }
                }
                let name = self.s[start..self.i].to_string();
                if !self.eat('(') {
                    match name.to_ascii_lowercase().as_str() {
                        "true" => Expr::Lit(Value::Bool(true)),
                        "false" => Expr::Lit(Value::Bool(false)),
                        "null" => Expr::Lit(Value::Null),
                        _ => return Err(format!("expected `(` after `{name}`")),
                    }
                } else {
                    if !(self.accepts)(&name) {
                        return Err(format!("unknown function `{name}`"));
                    }
                    let mut args = Vec::new();
                    if !self.eat(')') {
                        loop {
                            args.push(self.expr()?);
                            if self.eat(')') {
                                break;
                            }
                            if !self.eat(',') {
                                return Err(format!("expected `,` or `)` in call to `{name}`"));
                            }
                        }
                    }
                    Expr::Call(name.to_ascii_lowercase(), args)
                }
            }
            Some(c) => {
                return Err(format!(
                    "unexpected `{c}` in expression `[{}]`",
                    short(self.s)
                ))
            }
            None => return Err(format!("expression `[{}]` ends too early", short(self.s))),
        };
        // `a.b[0].c…`: each step nests the tree one level deeper, too.
        let mut chain = 0;
        loop {
            chain += 1;
            if self.depth + chain > MAX_EXPR_DEPTH + 1 {
                return Err(format!(
                    "expression nested deeper than {MAX_EXPR_DEPTH} levels (the limit; README, Limits)"
                ));
            }
            if self.eat('.') {
                self.ws();
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.i += 1;
                }
                if start == self.i {
                    return Err("expected a property name after `.`".to_string());
                }
                e = Expr::Prop(Box::new(e), self.s[start..self.i].to_string());
            } else if self.eat('[') {
                let idx = self.expr()?;
                if !self.eat(']') {
                    return Err("expected `]`".to_string());
                }
                e = Expr::Index(Box::new(e), Box::new(idx));
            } else {
                return Ok(e);
            }
        }
    }
}

/// The string form Azure compares with: bool → `true`/`false`, numbers as written.
pub fn canonical(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn as_str(v: &Value) -> String {
    canonical(v)
}

fn truthy(v: &Value) -> Result<bool, String> {
    functions::truthy(&Model::from(v))
}

fn as_i64(v: &Value) -> Result<i64, String> {
    functions::as_i64(&Model::from(v))
}

/// Case-insensitive equality as Azure's `equals` does it (the shared table's).
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // The common case, without building model values.
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => functions::loose_eq(&Model::from(a), &Model::from(b)),
    }
}

pub fn compare_values(a: &Value, b: &Value) -> Result<std::cmp::Ordering, String> {
    functions::compare(&Model::from(a), &Model::from(b))
}

/// Evaluates an expression. Any unknown operand makes the result unknown
/// (`coalesce` and `if` only look at what they need).
pub fn eval(e: &Expr, env: &dyn Env) -> Result<Val, String> {
    match e {
        Expr::Lit(v) => Ok(Val::Known(v.clone())),
        Expr::Prop(base, name) => Ok(match eval(base, env)? {
            Val::Known(v) => Val::Known(
                v.as_object()
                    .and_then(|m| {
                        m.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.clone())
                    })
                    .ok_or_else(|| format!("the value has no property `{name}`"))?,
            ),
            u => u,
        }),
        Expr::Index(base, idx) => {
            let (b, i) = (eval(base, env)?, eval(idx, env)?);
            match (b, i) {
                (Val::Known(b), Val::Known(i)) => Ok(Val::Known(match (&b, &i) {
                    (Value::Array(a), _) => {
                        let n = as_i64(&i)?;
                        a.get(usize::try_from(n).map_err(|_| "negative index".to_string())?)
                            .cloned()
                            .ok_or_else(|| format!("index {n} is out of range"))?
                    }
                    (Value::Object(m), Value::String(k)) => m
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v.clone())
                        .ok_or_else(|| format!("the value has no property `{k}`"))?,
                    _ => return Err(format!("cannot index `{b}` with `{i}`")),
                })),
                (Val::Unknown(p), _) | (_, Val::Unknown(p)) => Ok(Val::Unknown(p)),
            }
        }
        Expr::Call(name, args) => call(name, args, env),
    }
}

/// A call. An argument unknown before apply makes the result unknown (a
/// value, never an error): `concat`, `split`, `parameters(field(…))` alike.
fn call(name: &str, args: &[Expr], env: &dyn Env) -> Result<Val, String> {
    match call_known(name, args, env) {
        Err(e) => match e.strip_prefix(UNKNOWN_ARG) {
            Some(path) => Ok(Val::Unknown(path.to_string())),
            None => Err(e),
        },
        ok => ok,
    }
}

/// Marks an argument unknown inside [`call_known`]'s string-argument helper,
/// which [`call`] turns back into an unknown value.
const UNKNOWN_ARG: &str = "\u{0}";

fn call_known(name: &str, args: &[Expr], env: &dyn Env) -> Result<Val, String> {
    let arg_str = |n: usize| -> Result<String, String> {
        match args.get(n) {
            Some(Expr::Lit(Value::String(s))) => Ok(s.clone()),
            Some(e) => match eval(e, env)? {
                Val::Known(v) => Ok(as_str(&v)),
                Val::Unknown(p) => Err(format!("{UNKNOWN_ARG}{p}")),
            },
            None => Err(format!("`{name}` needs argument {}", n + 1)),
        }
    };
    match name {
        "parameters" => return Ok(Val::Known(env.parameter(&arg_str(0)?)?)),
        "field" => return Ok(env.field(&arg_str(0)?)),
        "current" => {
            let n = if args.is_empty() {
                None
            } else {
                Some(args_name(args, env)?)
            };
            return env.current(n.as_deref());
        }
        "if" => {
            if args.len() != 3 {
                return Err("`if` takes 3 arguments".into());
            }
            return match eval(&args[0], env)? {
                Val::Known(c) => eval(if truthy(&c)? { &args[1] } else { &args[2] }, env),
                u => Ok(u),
            };
        }
        "coalesce" => {
            for a in args {
                match eval(a, env)? {
                    Val::Known(Value::Null) => continue,
                    other => return Ok(other),
                }
            }
            return Ok(Val::Known(Value::Null));
        }
        "tryget" => {
            let mut v = match eval(args.first().ok_or("`tryGet` needs arguments")?, env)? {
                Val::Known(v) => v,
                u => return Ok(u),
            };
            for a in &args[1..] {
                let k = match eval(a, env)? {
                    Val::Known(k) => k,
                    u => return Ok(u),
                };
                v = match (&v, &k) {
                    (Value::Object(m), _) => m
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(&as_str(&k)))
                        .map(|(_, x)| x.clone())
                        .unwrap_or(Value::Null),
                    (Value::Array(a), _) => as_i64(&k)
                        .ok()
                        .and_then(|i| usize::try_from(i).ok())
                        .and_then(|i| a.get(i).cloned())
                        .unwrap_or(Value::Null),
                    _ => Value::Null,
                };
            }
            return Ok(Val::Known(v));
        }
        _ => {}
    }
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        match eval(a, env)? {
            Val::Known(v) => vals.push(Model::from(v)),
            u => return Ok(u),
        }
    }
    let out = match name {
        "requestcontext" => json!({"apiVersion": "2025-09-01"}),
        "policy" => {
            json!({"assignmentId": "", "definitionId": "", "setDefinitionId": "", "definitionReferenceId": ""})
        }
        _ => {
            let v = functions::call(name, &vals, &deployment_of(&env.resource_id()))?;
            match v.to_json() {
                Some(j) => j,
                None => {
                    return Ok(Val::Unknown(
                        v.as_unknown()
                            .and_then(|u| u.cause())
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{name}()")),
                    ))
                }
            }
        }
    };
    Ok(Val::Known(out))
}

/// What a policy rule's `subscription()` and `resourceGroup()` see: the
/// scope in the evaluated resource's id; `utcNow()` is the time of the scan.
fn deployment_of(id: &str) -> Deployment {
    let parts: Vec<&str> = id.split('/').collect();
    let rg = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("resourceGroups"))
        .and_then(|i| parts.get(i + 1))
        .copied()
        .unwrap_or("");
    let sub = parts.get(2).copied().unwrap_or("");
    Deployment {
        subscription: json!({"subscriptionId": sub, "id": format!("/subscriptions/{sub}")}).into(),
        resource_group: json!({"name": rg, "id": id.split("/providers/").next().unwrap_or("")})
            .into(),
        now: Some(time::OffsetDateTime::now_utc()),
        ..Deployment::unknown()
    }
}

fn args_name(args: &[Expr], env: &dyn Env) -> Result<String, String> {
    match eval(&args[0], env)? {
        Val::Known(v) => Ok(as_str(&v)),
        Val::Unknown(p) => Err(format!("current(): unknown name at {p}")),
    }
}

/// Whether an expression calls `field`/`current`/`parameters` anywhere, and
/// the field names it reads (for docs).
pub fn fields_read(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Call(n, args) => {
            if n == "field" && matches!(args.first(), Some(Expr::Lit(Value::String(_)))) {
                if let Some(Expr::Lit(Value::String(s))) = args.first() {
                    out.push(s.clone());
                }
            }
            for a in args {
                fields_read(a, out);
            }
        }
        Expr::Prop(b, _) => fields_read(b, out),
        Expr::Index(b, i) => {
            fields_read(b, out);
            fields_read(i, out);
        }
        Expr::Lit(_) => {}
    }
}

/// Calls to `name` anywhere in an expression, with their arguments.
pub fn calls_to<'a>(e: &'a Expr, name: &str, out: &mut Vec<&'a [Expr]>) {
    match e {
        Expr::Call(n, args) => {
            if n == name {
                out.push(args);
            }
            for a in args {
                calls_to(a, name, out);
            }
        }
        Expr::Prop(b, _) => calls_to(b, name, out),
        Expr::Index(b, i) => {
            calls_to(b, name, out);
            calls_to(i, name, out);
        }
        Expr::Lit(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoEnv;
    impl Env for NoEnv {
        fn parameter(&self, name: &str) -> Result<Value, String> {
            match name {
                "list" => Ok(json!(["a", "b"])),
                _ => Err(format!("no parameter `{name}`")),
            }
        }
        fn field(&self, _: &str) -> Val {
            Val::Known(json!(""))
        }
        fn current(&self, _: Option<&str>) -> Result<Val, String> {
            Err("no current".into())
        }
        fn resource_id(&self) -> String {
            "/subscriptions/s1/resourceGroups/rg1/providers/X/y/z".into()
        }
    }

    fn ev(s: &str) -> Value {
        match parse_template(s).unwrap() {
            Template::Lit(v) => v,
            Template::Expr(e) => eval(&e, &NoEnv).unwrap().known().cloned().unwrap(),
        }
    }

    #[test]
    fn functions() {
        assert_eq!(ev("[concat('a', 'b', 'c')]"), json!("abc"));
        assert_eq!(ev("[toLower('AbC')]"), json!("abc"));
        assert_eq!(ev("[split('a/b/c', '/')[2]]"), json!("c"));
        assert_eq!(ev("[length(parameters('list'))]"), json!(2));
        assert_eq!(ev("[if(equals(1, 1), 'y', 'n')]"), json!("y"));
        assert_eq!(ev("[resourceGroup().name]"), json!("rg1"));
        assert_eq!(ev("[substring('abcdef', 1, 3)]"), json!("bcd"));
        assert_eq!(
            ev("[ipRangeContains('10.0.0.0/8', '10.1.2.0/24')]"),
            json!(true)
        );
        assert_eq!(
            ev("[ipRangeContains('10.0.0.0/8', '11.1.2.0/24')]"),
            json!(false)
        );
        assert_eq!(ev("[contains(parameters('list'), 'B')]"), json!(true));
        assert_eq!(ev("[[not an expression]"), json!("[not an expression]"));
        assert_eq!(ev("[concat('it''s')]"), json!("it's"));
        assert_eq!(ev("plain"), json!("plain"));
        assert_eq!(ev("[first(createArray(3, 4))]"), json!(3));
        assert_eq!(ev("[mul(add(1, 2), sub(10, 4))]"), json!(18));
        assert_eq!(ev("[mod(div(9, 2), 3)]"), json!(1));
        assert_eq!(
            ev("[union(createArray('a'), createArray('a', 'b'))]"),
            json!(["a", "b"])
        );
    }

    #[test]
    fn parse_errors() {
        assert!(parse_template("[concat(]").is_err());
        // Not bracketed at both ends: a literal, as ARM reads it.
        assert!(matches!(parse_template("[concat("), Ok(Template::Lit(_))));
        assert!(parse_template("[nosuchfunction(1)]")
            .unwrap_err()
            .contains("unknown function"));
        assert!(parse_template("[concat('a') extra]").is_err());
    }
}
