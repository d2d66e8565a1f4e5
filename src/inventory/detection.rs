//! Which of the case study's three detections a KQL query is, judged by what
//! it does, not by its text: the filters before `summarize` (which calls it
//! keeps), the grouping (per caller, per time bin) and the filters after it
//! (the thresholds).
//!
//! - **off-hours writes**: a filter on the hour of `TimeGenerated`
//!   (`hourofday()`, `datetime_part("hour", …)`, directly or through an
//!   `extend`ed or `let` name) that keeps hours outside a business window; a
//!   filter that keeps write tools only (every alternative names a tool or
//!   scope with `create`, `update`, `delete`, `write`…); a filter that keeps
//!   human callers (`isnotempty(<a UPN column>)`, or a caller type `== "user"`);
//! - **file-system reads**: a filter that keeps file-system calls (a server or
//!   tool compared with names of files or directories), `summarize count()`
//!   and `dcount(<resource>)` by a caller column and `bin(TimeGenerated, W)`,
//!   then `count > N or dcount > M`;
//! - **repeated 403s**: a filter `<status column> == 403` (or `in (…, 403, …)`),
//!   `summarize count()` by a caller column and a time bin, then `count > N`.
//!
//! Thresholds are normalised to "more than N": `> N` is N, `>= N` is N − 1.
//! Without a time bin the window is the alert's own (`window`).

use std::collections::HashMap;

use super::kql::{Assign, Expr, Op, Query};

/// What a query was recognised as, with its thresholds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reading {
    pub table: String,
    pub off_hours_writes: bool,
    /// `(first business hour, last business hour)` of an off-hours filter.
    pub business_hours: Option<(f64, f64)>,
    pub file_reads: bool,
    /// "more than N" reads / distinct resources per window.
    pub reads: Option<f64>,
    pub directories: Option<f64>,
    pub forbidden: bool,
    pub failures: Option<f64>,
    /// Minutes of the time bin counted over (or the alert's window).
    pub window_minutes: Option<f64>,
}

const WRITE_WORDS: &[&str] = &[
    "create", "update", "delete", "write", "put", "post", "patch", "remove", "set_",
];
const FILE_WORDS: &[&str] = &["file", "director", "folder", "path"];
const CALLER_WORDS: &[&str] = &[
    "caller",
    "oid",
    "upn",
    "principal",
    "user",
    "identity",
    "appid",
    "subject",
];
const STATUS_WORDS: &[&str] = &["status", "code", "result"];

fn has_any(s: &str, words: &[&str]) -> bool {
    let l = s.to_ascii_lowercase();
    words.iter().any(|w| l.contains(w))
}

/// `let` and `extend` names, so a filter on `Hour` sees `hourofday(TimeGenerated)`.
struct Names<'q> {
    map: HashMap<String, &'q Expr>,
}

impl<'q> Names<'q> {
    fn resolve<'e>(&self, mut e: &'e Expr) -> &'e Expr
    where
        'q: 'e,
    {
        // Bounded: a name bound to itself (`extend a = a`) stops.
        for _ in 0..16 {
            match e.as_name().and_then(|n| self.map.get(n)) {
                Some(next) if *next != e => e = next,
                _ => break,
            }
        }
        e
    }

    fn add(&mut self, a: &'q [Assign]) {
        for x in a {
            if let Some(n) = &x.name {
                self.map.insert(n.clone(), &x.expr);
            }
        }
    }
}

fn is_time(e: &Expr) -> bool {
    e.as_name().is_some_and(|n| {
        n.eq_ignore_ascii_case("TimeGenerated") || n.eq_ignore_ascii_case("timestamp")
    })
}

fn is_hour_of_time(names: &Names, e: &Expr) -> bool {
    match names.resolve(e) {
        Expr::Call(f, a) if f == "hourofday" => a.len() == 1 && is_time(names.resolve(&a[0])),
        Expr::Call(f, a) if f == "datetime_part" => {
            a.len() == 2
                && a[0]
                    .as_str()
                    .is_some_and(|p| p.eq_ignore_ascii_case("hour"))
                && is_time(names.resolve(&a[1]))
        }
        _ => false,
    }
}

fn number(names: &Names, e: &Expr) -> Option<f64> {
    names.resolve(e).as_num()
}

/// `hour < a or hour > b` (any order, `<=`/`>=`), `not(hour between (a .. b))`,
/// `hour !between (a .. b)`: the business hours `(a, b)` it leaves out.
fn off_hours(names: &Names, e: &Expr) -> Option<(f64, f64)> {
    let between = |op: &str, l: &Expr, r: &Expr| -> Option<(f64, f64)> {
        match (op, r) {
            ("!between", Expr::List(v)) if v.len() == 2 && is_hour_of_time(names, l) => {
                Some((number(names, &v[0])?, number(names, &v[1])?))
            }
            _ => None,
        }
    };
    match e {
        Expr::Binary(op, l, r) if op == "!between" => return between(op, l, r),
        Expr::Not(inner) => {
            if let Expr::Binary(op, l, r) = &**inner {
                if op == "between" {
                    return between("!between", l, r);
                }
            }
            return None;
        }
        _ => {}
    }
    let mut low = None;
    let mut high = None;
    for d in e.disjuncts() {
        let Expr::Binary(op, l, r) = d else {
            return None;
        };
        if !is_hour_of_time(names, l) {
            return None;
        }
        let n = number(names, r)?;
        match op.as_str() {
            "<" => low = Some(n),
            "<=" => low = Some(n + 1.0),
            ">" => high = Some(n),
            ">=" => high = Some(n - 1.0),
            _ => return None,
        }
    }
    let (a, b) = (low?, high?);
    (a <= b).then_some((a, b))
}

/// The strings a comparison keeps, when every alternative of `e` compares one
/// column with strings (`==`, `=~`, `startswith`, `has`, `contains`, `in`).
fn kept_strings(e: &Expr) -> Option<(Vec<&str>, &str)> {
    let mut out = Vec::new();
    let mut column = None;
    for d in e.disjuncts() {
        let Expr::Binary(op, l, r) = d else {
            return None;
        };
        let col = l.as_name()?;
        if column.is_some_and(|c| c != col) {
            return None;
        }
        column = Some(col);
        let positive = [
            "==",
            "=~",
            "startswith",
            "has",
            "contains",
            "startswith_cs",
            "has_cs",
            "contains_cs",
            "endswith",
            "in",
            "has_any",
        ];
        if !positive.contains(&op.as_str()) {
            return None;
        }
        match &**r {
            Expr::Str(s) => out.push(s.as_str()),
            Expr::List(items) => {
                for i in items {
                    out.push(i.as_str()?);
                }
            }
            _ => return None,
        }
    }
    Some((out, column?))
}

fn keeps_writes(e: &Expr) -> bool {
    kept_strings(e).is_some_and(|(v, _)| !v.is_empty() && v.iter().all(|s| has_any(s, WRITE_WORDS)))
}

fn keeps_files(e: &Expr) -> bool {
    kept_strings(e).is_some_and(|(v, _)| !v.is_empty() && v.iter().all(|s| has_any(s, FILE_WORDS)))
}

fn keeps_humans(e: &Expr) -> bool {
    match e {
        Expr::Call(f, a) if f == "isnotempty" || f == "isnotnull" => {
            a.len() == 1
                && a[0]
                    .as_name()
                    .is_some_and(|n| n.to_ascii_lowercase().contains("upn"))
        }
        Expr::Binary(op, l, r) if op == "==" || op == "=~" => {
            l.as_name().is_some_and(|n| has_any(n, &["type", "kind"]))
                && r.as_str().is_some_and(|s| s.eq_ignore_ascii_case("user"))
        }
        _ => false,
    }
}

fn keeps_403(e: &Expr) -> bool {
    let Expr::Binary(op, l, r) = e else {
        return false;
    };
    let col = l.as_name().is_some_and(|n| has_any(n, STATUS_WORDS));
    let is_403 = |x: &Expr| x.as_num() == Some(403.0) || x.as_str() == Some("403");
    col && match (op.as_str(), &**r) {
        ("==", x) => is_403(x),
        ("in", Expr::List(items)) => items.iter().all(is_403),
        _ => false,
    }
}

/// The aggregates of a `summarize` by alias: `count()` → `count_` unless named.
struct Summary {
    counts: Vec<String>,
    dcounts: Vec<String>,
    per_caller: bool,
    bin_minutes: Option<f64>,
}

fn summary(aggs: &[Assign], by: &[Assign]) -> Summary {
    let mut s = Summary {
        counts: Vec::new(),
        dcounts: Vec::new(),
        per_caller: false,
        bin_minutes: None,
    };
    for a in aggs {
        match &a.expr {
            Expr::Call(f, args) if f == "count" && args.is_empty() => s
                .counts
                .push(a.name.clone().unwrap_or_else(|| "count_".into())),
            Expr::Call(f, args) if f == "dcount" && !args.is_empty() => {
                let default = args[0]
                    .as_name()
                    .map(|n| format!("dcount_{n}"))
                    .unwrap_or_default();
                s.dcounts.push(a.name.clone().unwrap_or(default))
            }
            _ => {}
        }
    }
    for b in by {
        match &b.expr {
            Expr::Call(f, args)
                if (f == "bin" || f == "floor") && args.len() == 2 && is_time(&args[0]) =>
            {
                if let Expr::Span(m) = args[1] {
                    s.bin_minutes = Some(m);
                }
            }
            Expr::Name(n) if has_any(n, CALLER_WORDS) => s.per_caller = true,
            _ => {}
        }
    }
    s
}

/// "More than N" of `alias > N` / `alias >= N` among the alternatives of `e`.
fn more_than(e: &Expr, alias: &str) -> Option<f64> {
    e.disjuncts().into_iter().find_map(|d| match d {
        Expr::Binary(op, l, r) if l.as_name() == Some(alias) => match op.as_str() {
            ">" => r.as_num(),
            ">=" => r.as_num().map(|n| n - 1.0),
            _ => None,
        },
        _ => None,
    })
}

/// Recognises the detections of one query; `window` is the alert's window in minutes.
pub fn recognise(q: &Query, window: Option<f64>) -> Reading {
    let mut names = Names {
        map: HashMap::new(),
    };
    names.add(&q.lets);
    let mut before: Vec<&Expr> = Vec::new();
    let mut after: Vec<&Expr> = Vec::new();
    let mut sum: Option<Summary> = None;
    for op in &q.ops {
        match op {
            Op::Where(e) if sum.is_none() => before.extend(e.conjuncts()),
            Op::Where(e) => after.extend(e.conjuncts()),
            Op::Extend(a) => names.add(a),
            // A second summarize regroups what the first counted: not read.
            Op::Summarize { .. } if sum.is_some() => return Reading::default(),
            Op::Summarize { aggs, by } => sum = Some(summary(aggs, by)),
            Op::Shape(_) => {}
        }
    }
    let mut r = Reading {
        table: q.table.clone(),
        ..Reading::default()
    };
    let hours = before.iter().find_map(|e| off_hours(&names, e));
    if let Some(h) = hours {
        if before.iter().any(|e| keeps_writes(e)) && before.iter().any(|e| keeps_humans(e)) {
            r.off_hours_writes = true;
            r.business_hours = Some(h);
        }
    }
    let Some(s) = sum.filter(|s| s.per_caller) else {
        return r;
    };
    let threshold = |aliases: &[String]| {
        aliases
            .iter()
            .find_map(|a| after.iter().find_map(|e| more_than(e, a)))
    };
    let counts = threshold(&s.counts);
    let window_minutes = s.bin_minutes.or(window);
    if before.iter().any(|e| keeps_files(e)) && counts.is_some() {
        r.file_reads = true;
        r.reads = counts;
        r.directories = threshold(&s.dcounts);
        r.window_minutes = window_minutes;
    }
    if before.iter().any(|e| keeps_403(e)) && counts.is_some() {
        r.forbidden = true;
        r.failures = counts;
        r.window_minutes = window_minutes;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::super::kql::parse;
    use super::*;

    fn read(q: &str) -> Reading {
        recognise(&parse(q).unwrap(), None)
    }

    #[test]
    fn the_case_study_queries() {
        let off = read(
            "MCPAuditLog_CL | where TimeGenerated > ago(24h) | extend Hour = datetime_part(\"hour\", TimeGenerated)\n\
             | where Hour < 7 or Hour > 20\n\
             | where tool_name_s startswith \"create_\" or tool_name_s startswith \"update_\" or tool_name_s startswith \"delete_\"\n\
             | where isnotempty(caller_upn_s) | project TimeGenerated, caller_upn_s | order by TimeGenerated desc",
        );
        assert!(off.off_hours_writes && !off.file_reads && !off.forbidden);
        assert_eq!(off.business_hours, Some((7.0, 20.0)));
        let files = read(
            "MCPAuditLog_CL | where mcp_server_s == \"filesystem\" | where tool_name_s in (\"read_file\", \"list_directory\", \"search_files\")\n\
             | summarize FilesAccessed = count(), UniqueDirectories = dcount(resource_accessed_s) by caller_oid_s, caller_upn_s, bin(TimeGenerated, 1h)\n\
             | where FilesAccessed > 100 or UniqueDirectories > 20 | order by FilesAccessed desc",
        );
        assert!(files.file_reads);
        assert_eq!(
            (files.reads, files.directories, files.window_minutes),
            (Some(100.0), Some(20.0), Some(60.0))
        );
        let denied = read(
            "MCPAuditLog_CL | where response_status_d == 403 | summarize FailedAttempts = count() by caller_upn_s, tool_name_s, bin(TimeGenerated, 10m)\n\
             | where FailedAttempts > 5",
        );
        assert!(denied.forbidden && !denied.file_reads);
        assert_eq!(
            (denied.failures, denied.window_minutes),
            (Some(5.0), Some(10.0))
        );
    }

    #[test]
    fn what_the_query_does_decides_not_its_words() {
        // Mentions every word, filters nothing: no detection.
        let r = read("MCPAuditLog_CL | where caller_upn_s has \"hour\" | project tool_name_s, response_status_d");
        assert!(!r.off_hours_writes && !r.file_reads && !r.forbidden);
        // Hours kept are business hours: not off-hours.
        let r = read("T | where hourofday(TimeGenerated) > 7 and hourofday(TimeGenerated) < 20 | where tool_name_s startswith \"create_\" | where isnotempty(caller_upn_s)");
        assert!(!r.off_hours_writes);
        // Reads and writes mixed: not a write filter.
        let r = read("T | where hourofday(TimeGenerated) !between (7 .. 20) | where tool_name_s in (\"create_pr\", \"read_file\") | where isnotempty(caller_upn_s)");
        assert!(!r.off_hours_writes);
        let r = read("T | where hourofday(TimeGenerated) !between (7 .. 20) | where tool_name_s in (\"create_pr\", \"delete_branch\") | where isnotempty(caller_upn_s)");
        assert_eq!(r.business_hours, Some((7.0, 20.0)));
        // Not per caller: a burst from many callers is not one caller probing.
        let r = read("T | where ResponseCode == 403 | summarize n = count() by bin(TimeGenerated, 10m) | where n > 5");
        assert!(!r.forbidden);
        // `>=` is normalised; the alert window stands in for a missing bin.
        let r = recognise(&parse("T | where ResponseCode == 403 | summarize count() by CallerObjectId | where count_ >= 6").unwrap(), Some(15.0));
        assert_eq!(
            (r.forbidden, r.failures, r.window_minutes),
            (true, Some(5.0), Some(15.0))
        );
    }
}
