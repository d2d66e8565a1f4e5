//! A small reader of the Kusto Query Language (KQL), for the shapes the
//! case study's detection queries use: a table, then `where`, `extend`,
//! `summarize … by …`, `project`, `order by`, `take`; `let` statements before
//! it. It parses a query into a [`Query`] (the pipeline as data) and knows no
//! input format; [`super::audit`] says which detection a query is.
//!
//! What it does not read is an error, never a guess: an operator it does not
//! know (`join`, `union`, `mv-expand`, `parse`…), a function call it cannot
//! place, a query nested deeper than [`MAX_DEPTH`] or longer than
//! [`MAX_QUERY_BYTES`]. Hostile input cannot make it panic or overflow the
//! stack: every recursion is bounded by the depth limit.

use std::fmt;

/// Deepest expression nesting read (parentheses, calls, operators).
pub const MAX_DEPTH: usize = 64;
/// Longest query read; the case study's are under 1 KiB.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// A literal or a name in an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A column or a `let` name.
    Name(String),
    Str(String),
    Num(f64),
    /// A timespan literal (`1h`, `10m`), in minutes.
    Span(f64),
    Bool(bool),
    /// `f(args)`; names compare lower-cased.
    Call(String, Vec<Expr>),
    /// `l op r`, with `op` lower-cased (`==`, `<`, `and`, `has`, `!startswith`, `in`, `!in`…).
    Binary(String, Box<Expr>, Box<Expr>),
    /// `( a, b, … )`: the right side of `in`.
    List(Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
}

/// One `name = expr` (or a bare `expr`) of `extend`, `project`, `summarize`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assign {
    pub name: Option<String>,
    pub expr: Expr,
}

/// One tabular operator of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Where(Expr),
    Extend(Vec<Assign>),
    Summarize {
        aggs: Vec<Assign>,
        by: Vec<Assign>,
    },
    /// `project`, `order by`, `take`…: they shape rows but drop none a detection counts.
    Shape(String),
}

/// A query: `let` bindings, the source table and its operators, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub lets: Vec<Assign>,
    pub table: String,
    pub ops: Vec<Op>,
}

/// Why a query could not be read, with the byte offset where reading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KqlError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for KqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Span(f64),
    /// Punctuation and operators (`|`, `==`, `(`, `!contains` is two tokens).
    Sym(&'static str),
}

const SYMS: &[&str] = &[
    "==", "!=", "<=", ">=", "=~", "!~", "|", "<", ">", "=", "(", ")", ",", ";", ".", "[", "]", "+",
    "-", "*", "/", "!", "%",
];

/// Minutes in one unit of a timespan literal.
fn span_unit(u: &str) -> Option<f64> {
    Some(match u {
        "d" | "day" | "days" => 1440.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 60.0,
        "m" | "min" | "minute" | "minutes" => 1.0,
        "s" | "sec" | "second" | "seconds" => 1.0 / 60.0,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1.0 / 60_000.0,
        _ => return None,
    })
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, KqlError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |offset, m: &str| KqlError {
        offset,
        message: m.to_string(),
    };
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if src[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"'
            || c == b'\''
            || ((c == b'@' || c == b'h') && matches!(b.get(i + 1), Some(b'"' | b'\'')))
        {
            let start = i;
            let verbatim = c == b'@';
            if c == b'@' || c == b'h' {
                i += 1;
            }
            let q = b[i];
            i += 1;
            let mut s = String::new();
            loop {
                let Some(&ch) = b.get(i) else {
                    return Err(err(start, "unterminated string"));
                };
                if ch == q {
                    i += 1;
                    break;
                }
                if ch == b'\\' && !verbatim {
                    // The escaped character, whole (it may be several bytes).
                    let Some(e) = src[i + 1..].chars().next() else {
                        return Err(err(start, "unterminated string"));
                    };
                    s.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                    i += 1 + e.len_utf8();
                    continue;
                }
                // Copy one UTF-8 character whole.
                let len = src[i..].chars().next().map_or(1, char::len_utf8);
                s.push_str(&src[i..i + len]);
                i += len;
            }
            out.push((Tok::Str(s), start));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let n: f64 = src[start..i]
                .parse()
                .map_err(|_| err(start, "bad number"))?;
            let ustart = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            let unit = src[ustart..i].to_ascii_lowercase();
            if unit.is_empty() {
                out.push((Tok::Num(n), start));
            } else if let Some(m) = span_unit(&unit) {
                out.push((Tok::Span(n * m), start));
            } else {
                return Err(err(
                    start,
                    "a number followed by letters that are no time unit",
                ));
            }
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            // The first character may be one the loop does not take (`$left`).
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric()
                    || b[i] == b'_'
                    || b[i] == b'-' && is_dashed(src, start, i))
            {
                i += 1;
            }
            out.push((Tok::Ident(src[start..i].to_string()), start));
        } else if let Some(s) = SYMS.iter().find(|s| src[i..].starts_with(**s)) {
            out.push((Tok::Sym(s), i));
            i += s.len();
        } else {
            return Err(err(i, "a character KQL does not use here"));
        }
    }
    Ok(out)
}

/// Operator names with a dash (`project-away`, `mv-expand`): the dash joins
/// them only when the word before it is one of these.
fn is_dashed(src: &str, start: usize, at: usize) -> bool {
    let word = &src[start..at];
    ["project", "mv", "make", "top", "order", "parse"].contains(&word)
        && src[at + 1..].starts_with(|c: char| c.is_ascii_alphabetic())
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    depth: usize,
    end: usize,
}

/// Binary string operators, as KQL spells them (each also with `!`, and `_cs`).
const STRING_OPS: &[&str] = &[
    "has",
    "contains",
    "startswith",
    "endswith",
    "has_cs",
    "contains_cs",
    "startswith_cs",
    "endswith_cs",
    "has_any",
    "has_all",
    "in~",
    "matches",
];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|(t, _)| t)
    }

    fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |(_, o)| *o)
    }

    fn fail<T>(&self, m: impl Into<String>) -> Result<T, KqlError> {
        Err(KqlError {
            offset: self.offset(),
            message: m.into(),
        })
    }

    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|(t, _)| t.clone());
        self.pos += 1;
        t
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x.eq_ignore_ascii_case(w))
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), KqlError> {
        if self.is_sym(s) {
            self.pos += 1;
            Ok(())
        } else {
            self.fail(format!("expected `{s}`"))
        }
    }

    fn ident(&mut self) -> Result<String, KqlError> {
        match self.bump() {
            Some(Tok::Ident(s)) => Ok(s),
            _ => {
                self.pos -= 1;
                self.fail("expected a name")
            }
        }
    }

    fn enter(&mut self) -> Result<(), KqlError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    fn query(&mut self) -> Result<Query, KqlError> {
        let mut lets = Vec::new();
        while self.is_word("let") {
            self.pos += 1;
            let name = self.ident()?;
            self.expect_sym("=")?;
            let expr = self.expr()?;
            self.expect_sym(";")?;
            lets.push(Assign {
                name: Some(name),
                expr,
            });
        }
        let table = self.ident()?;
        let mut ops = Vec::new();
        while self.is_sym("|") {
            self.pos += 1;
            ops.push(self.operator()?);
        }
        if self.is_sym(";") {
            self.pos += 1;
        }
        if self.peek().is_some() {
            return self.fail("more after the query than mcpguard reads");
        }
        Ok(Query { lets, table, ops })
    }

    fn operator(&mut self) -> Result<Op, KqlError> {
        let word = self.ident()?.to_ascii_lowercase();
        match word.as_str() {
            "where" | "filter" => Ok(Op::Where(self.expr()?)),
            "extend" => Ok(Op::Extend(self.assigns()?)),
            "summarize" => {
                let aggs = if self.is_word("by") {
                    Vec::new()
                } else {
                    self.assigns()?
                };
                let by = if self.is_word("by") {
                    self.pos += 1;
                    self.assigns()?
                } else {
                    Vec::new()
                };
                Ok(Op::Summarize { aggs, by })
            }
            "project" | "project-away" | "project-keep" | "project-rename" | "project-reorder" => {
                self.assigns()?;
                Ok(Op::Shape(word))
            }
            "order" | "sort" => {
                if !self.is_word("by") {
                    return self.fail("expected `by`");
                }
                self.pos += 1;
                self.sort_keys()?;
                Ok(Op::Shape(word))
            }
            "take" | "limit" => {
                self.expr()?;
                Ok(Op::Shape(word))
            }
            "top" => {
                self.expr()?;
                if !self.is_word("by") {
                    return self.fail("expected `by`");
                }
                self.pos += 1;
                self.sort_keys()?;
                Ok(Op::Shape(word))
            }
            other => self.fail(format!("the `{other}` operator is not read")),
        }
    }

    fn sort_keys(&mut self) -> Result<(), KqlError> {
        loop {
            self.expr()?;
            for w in ["asc", "desc"] {
                if self.is_word(w) {
                    self.pos += 1;
                }
            }
            if self.is_word("nulls") {
                self.pos += 1;
                self.ident()?;
            }
            if !self.is_sym(",") {
                return Ok(());
            }
            self.pos += 1;
        }
    }

    fn assigns(&mut self) -> Result<Vec<Assign>, KqlError> {
        let mut out = Vec::new();
        loop {
            let named = matches!(self.peek(), Some(Tok::Ident(_)))
                && matches!(self.peek_at(1), Some(Tok::Sym("=")));
            let name = if named {
                let n = self.ident()?;
                self.pos += 1;
                Some(n)
            } else {
                None
            };
            out.push(Assign {
                name,
                expr: self.expr()?,
            });
            if !self.is_sym(",") {
                return Ok(out);
            }
            self.pos += 1;
        }
    }

    fn expr(&mut self) -> Result<Expr, KqlError> {
        self.enter()?;
        let r = self.or();
        self.depth -= 1;
        r
    }

    /// A left-associative chain `next (op next)*`; each operator counts as a
    /// level of nesting, so a chain of thousands is an error rather than a
    /// tree too deep to walk or drop.
    fn chain(
        &mut self,
        ops: &[&'static str],
        next: fn(&mut Self) -> Result<Expr, KqlError>,
    ) -> Result<Expr, KqlError> {
        let mut l = next(self)?;
        let mut levels = 0;
        while let Some(op) = ops.iter().copied().find(|o| {
            if o.starts_with(|c: char| c.is_ascii_alphabetic()) {
                self.is_word(o)
            } else {
                self.is_sym(o)
            }
        }) {
            self.pos += 1;
            self.enter()?;
            levels += 1;
            let r = next(self)?;
            l = Expr::Binary(op.into(), Box::new(l), Box::new(r));
        }
        self.depth -= levels;
        Ok(l)
    }

    fn or(&mut self) -> Result<Expr, KqlError> {
        self.chain(&["or"], Self::and)
    }

    fn and(&mut self) -> Result<Expr, KqlError> {
        self.chain(&["and"], Self::comparison)
    }

    /// The comparison or string operator at the cursor, consumed.
    fn comparison_op(&mut self) -> Option<String> {
        for s in ["==", "!=", "<=", ">=", "=~", "!~", "<", ">"] {
            if self.is_sym(s) {
                self.pos += 1;
                return Some(s.to_string());
            }
        }
        let negated = self.is_sym("!") && matches!(self.peek_at(1), Some(Tok::Ident(_)));
        let word = match self.peek_at(usize::from(negated)) {
            Some(Tok::Ident(w)) => w.to_ascii_lowercase(),
            _ => return None,
        };
        // `in~` lexes as `in`, `~`… KQL has no `~` token alone; read `in` only.
        let known = word == "in" || word == "between" || STRING_OPS.contains(&word.as_str());
        if !known {
            return None;
        }
        self.pos += 1 + usize::from(negated);
        Some(if negated { format!("!{word}") } else { word })
    }

    fn comparison(&mut self) -> Result<Expr, KqlError> {
        let l = self.additive()?;
        let Some(op) = self.comparison_op() else {
            return Ok(l);
        };
        let r = if op.ends_with("in")
            || op.ends_with("between")
            || op.ends_with("has_any")
            || op.ends_with("has_all")
        {
            self.list()?
        } else {
            self.additive()?
        };
        Ok(Expr::Binary(op, Box::new(l), Box::new(r)))
    }

    /// `( e, e, … )`, or `(a .. b)` for `between`.
    fn list(&mut self) -> Result<Expr, KqlError> {
        self.expect_sym("(")?;
        self.enter()?;
        let mut items = Vec::new();
        if !self.is_sym(")") {
            loop {
                items.push(self.additive()?);
                if self.is_sym(".") && matches!(self.peek_at(1), Some(Tok::Sym("."))) {
                    self.pos += 2;
                    continue;
                }
                if !self.is_sym(",") {
                    break;
                }
                self.pos += 1;
            }
        }
        self.depth -= 1;
        self.expect_sym(")")?;
        Ok(Expr::List(items))
    }

    fn additive(&mut self) -> Result<Expr, KqlError> {
        self.chain(&["+", "-"], Self::multiplicative)
    }

    fn multiplicative(&mut self) -> Result<Expr, KqlError> {
        self.chain(&["*", "/", "%"], Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, KqlError> {
        if self.is_sym("-") {
            self.pos += 1;
            self.enter()?;
            let e = self.unary();
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(e?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, KqlError> {
        match self.bump() {
            Some(Tok::Str(s)) => Ok(Expr::Str(s)),
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::Span(m)) => Ok(Expr::Span(m)),
            Some(Tok::Sym("(")) => {
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Some(Tok::Ident(name)) => {
                let lower = name.to_ascii_lowercase();
                match lower.as_str() {
                    "true" => return Ok(Expr::Bool(true)),
                    "false" => return Ok(Expr::Bool(false)),
                    _ => {}
                }
                if self.is_sym("(") {
                    self.pos += 1;
                    self.enter()?;
                    let mut args = Vec::new();
                    if !self.is_sym(")") {
                        loop {
                            args.push(self.expr()?);
                            if !self.is_sym(",") {
                                break;
                            }
                            self.pos += 1;
                        }
                    }
                    self.depth -= 1;
                    self.expect_sym(")")?;
                    if lower == "not" {
                        return match <[Expr; 1]>::try_from(args) {
                            Ok([e]) => Ok(Expr::Not(Box::new(e))),
                            Err(_) => self.fail("`not` takes one argument"),
                        };
                    }
                    return Ok(Expr::Call(lower, args));
                }
                // `column.field` or `column['x']` (dynamic access) is a name of its own.
                let mut full = name;
                while self.is_sym(".") && matches!(self.peek_at(1), Some(Tok::Ident(_))) {
                    self.pos += 1;
                    full.push('.');
                    full.push_str(&self.ident()?);
                }
                Ok(Expr::Name(full))
            }
            _ => {
                self.pos = self.pos.saturating_sub(1);
                self.fail("expected a value, a name or `(`")
            }
        }
    }
}

/// Parses one query. Anything outside the shapes above is an error.
pub fn parse(src: &str) -> Result<Query, KqlError> {
    if src.len() > MAX_QUERY_BYTES {
        return Err(KqlError {
            offset: MAX_QUERY_BYTES,
            message: format!("query longer than {MAX_QUERY_BYTES} bytes"),
        });
    }
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        end: src.len(),
    };
    p.query()
}

impl Expr {
    /// The operands of a chain of `op` (`and`, `or`), walked without recursion.
    fn operands(&self, op: &str) -> Vec<&Expr> {
        let mut out = Vec::new();
        let mut todo = vec![self];
        while let Some(e) = todo.pop() {
            match e {
                Expr::Binary(o, l, r) if o == op => {
                    todo.push(r);
                    todo.push(l);
                }
                other => out.push(other),
            }
        }
        out
    }

    /// The conjuncts of a filter: `a and (b and c)` → `[a, b, c]`.
    pub fn conjuncts(&self) -> Vec<&Expr> {
        self.operands("and")
    }

    /// The disjuncts: `a or b or c` → `[a, b, c]`.
    pub fn disjuncts(&self) -> Vec<&Expr> {
        self.operands("or")
    }

    pub fn as_name(&self) -> Option<&str> {
        match self {
            Expr::Name(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match self {
            Expr::Num(n) => Some(*n),
            Expr::Neg(e) => e.as_num().map(|n| -n),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::Str(s) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF_HOURS: &str = r#"MCPAuditLog_CL
| where TimeGenerated > ago(24h)
| extend Hour = datetime_part("hour", TimeGenerated)
| where Hour < 7 or Hour > 20
| where tool_name_s startswith "create_"
    or tool_name_s startswith "update_"
    or tool_name_s startswith "delete_"
| where isnotempty(caller_upn_s) // human user, not service principal
| project TimeGenerated, caller_upn_s, mcp_server_s, tool_name_s,
    resource_accessed_s, Hour
| order by TimeGenerated desc"#;

    #[test]
    fn reads_the_case_study_query() {
        let q = parse(OFF_HOURS).unwrap();
        assert_eq!(q.table, "MCPAuditLog_CL");
        assert_eq!(q.ops.len(), 7);
        let Op::Where(w) = &q.ops[2] else { panic!() };
        assert_eq!(w.disjuncts().len(), 2);
        let Op::Where(w) = &q.ops[3] else { panic!() };
        assert_eq!(w.disjuncts().len(), 3);
        assert!(
            matches!(&q.ops[0], Op::Where(Expr::Binary(op, _, r)) if op == ">" && matches!(&**r, Expr::Call(f, a) if f == "ago" && a == &[Expr::Span(1440.0)]))
        );
    }

    #[test]
    fn summarize_by_bin_and_in_lists() {
        let q = parse(
            "let n = 5;\nT | where tool_name_s in (\"read_file\", 'list_directory') and response_status_d == 403\n\
             | summarize FilesAccessed = count(), UniqueDirectories = dcount(resource_accessed_s) by caller_oid_s, bin(TimeGenerated, 1h)\n\
             | where FilesAccessed > 100 or UniqueDirectories > 20",
        )
        .unwrap();
        assert_eq!(q.lets.len(), 1);
        let Op::Summarize { aggs, by } = &q.ops[1] else {
            panic!()
        };
        assert_eq!(aggs[0].name.as_deref(), Some("FilesAccessed"));
        assert_eq!(
            by[1].expr,
            Expr::Call(
                "bin".into(),
                vec![Expr::Name("TimeGenerated".into()), Expr::Span(60.0)]
            )
        );
        let Op::Where(w) = &q.ops[0] else { panic!() };
        assert_eq!(w.conjuncts().len(), 2);
    }

    #[test]
    fn what_it_does_not_read_is_an_error() {
        for bad in [
            "T | join (U) on x",
            "T | where",
            "T | where a == \"x",
            "T | where a ==",
            "T | summarize count() by",
            "T | where 1x > 2",
            "",
            "T | where a == 1 extra",
            "T | where a ^ b",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    const SOUP: &[&str] = &[
        "T",
        "|",
        "where",
        "summarize",
        "by",
        "count()",
        "dcount(x)",
        "(",
        ")",
        "==",
        "!=",
        "403",
        "\"x\"",
        "'y'",
        "and",
        "or",
        "in",
        "!in",
        "has",
        "!has",
        "bin(TimeGenerated, 1h)",
        ",",
        "let",
        "=",
        ";",
        "$x",
        "-",
        "!",
        "..",
        "between",
        "extend",
        "project",
        "order",
        "sort",
        "asc",
        "take",
        "top",
        "10m",
        "not",
        "//",
        "\n",
        "@\"v\"",
        "h'z'",
        "[",
        "]",
        ".",
        "project-away",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any text reads or is an error: no panic, no endless loop.
        #[test]
        fn any_text_reads_or_errs(s in "[ -~\n\u{e9}]{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn any_token_soup_reads_or_errs(parts in proptest::collection::vec(proptest::sample::select(SOUP), 0..80)) {
            let _ = parse(&parts.join(" "));
        }
    }

    #[test]
    fn hostile_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("T | where {}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).unwrap_err().message.contains("nested deeper"));
        let neg = format!("T | where a == {}1", "-".repeat(50_000));
        assert!(parse(&neg).is_err());
        let calls = format!("T | where {}1{}", "f(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&calls).is_err());
        assert!(parse(&"x".repeat(MAX_QUERY_BYTES + 1)).is_err());
        let chain = format!("T | where a{}", " and a".repeat(10_000));
        assert!(parse(&chain).unwrap_err().message.contains("nested deeper"));
        assert!(parse(&format!("T | where 1{}", "+1".repeat(30_000))).is_err());
        assert!(parse("T | where s == 'é' and t has \"\\\"q\"").is_ok());
        // Every character the lexer starts a token with makes progress.
        for c in (0u8..=127).map(char::from).chain(['é', '€', '\u{10348}']) {
            let _ = parse(&format!("T | where a == b {c}{c} {c}"));
        }
        assert!(parse("T | join requests on $left.operation_Id == $right.operation_Id").is_err());
    }
}
