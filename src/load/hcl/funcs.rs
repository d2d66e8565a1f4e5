//! Terraform's built-in functions (every one of Terraform 1.x: [`NAMES`]),
//! with Terraform's results and error cases. Those that need unevaluated
//! arguments or the machine (`try`, `can`, `convert`, `templatestring`,
//! `issensitive`, the `file*` family, `templatefile`, `abspath`,
//! `pathexpand`) live in the evaluator; the rest are here, grouped by kind
//! in the submodules.
//!
//! Unknowns, as in Terraform: a wholly unknown argument makes the result
//! unknown. Functions that look inside their arguments' contents
//! (formatting, encoding, hashing, set building, [`DEEP`]) are unknown when
//! anything inside is unknown; structural ones (`length`, `merge`, `concat`,
//! `keys`, `lookup`…) keep unknown elements in place. Functions whose value
//! is decided at apply time or depends on the machine running Terraform
//! (`timestamp`, `uuid`, `bcrypt`, `plantimestamp`…) are unknown.

mod dates;
pub(super) mod encoding;
mod net;
mod regexp;

use std::collections::BTreeMap;

use super::eval::equal;
use super::value::{fmt_num, Val};

type R = Result<Val, String>;

/// Functions whose result depends on every nested value.
const DEEP: &[&str] = &[
    "format",
    "formatlist",
    "join",
    "split",
    "lower",
    "upper",
    "title",
    "replace",
    "jsonencode",
    "yamlencode",
    "cidrsubnet",
    "cidrsubnets",
    "cidrhost",
    "cidrnetmask",
    "toset",
    "distinct",
    "sort",
    "tostring",
    "tonumber",
    "tobool",
    "substr",
    "trimspace",
    "trim",
    "trimprefix",
    "trimsuffix",
    "startswith",
    "endswith",
    "strcontains",
    "chomp",
    "strrev",
    "indent",
    "index",
    "sum",
    "min",
    "max",
    "range",
    "alltrue",
    "anytrue",
    "compact",
    "setunion",
    "setintersection",
    "setsubtract",
    "setproduct",
    "matchkeys",
    "transpose",
    "regex",
    "regexall",
    "formatdate",
    "timeadd",
    "timecmp",
    "parseint",
    "basename",
    "dirname",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "base64encode",
    "base64decode",
    "base64sha256",
    "base64sha512",
    "textencodebase64",
    "textdecodebase64",
    "urlencode",
    "uuidv5",
];

/// Every built-in function of Terraform 1.x (as listed in Terraform's own
/// function table, `internal/lang/functions.go`), each also callable as
/// `core::NAME`. `type` is left out: Terraform offers it only in `terraform
/// console`. `list` and `map` are listed because Terraform still knows them,
/// to reject them (they were removed in 0.12).
pub const NAMES: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "base64gzip",
    "base64sha256",
    "base64sha512",
    "basename",
    "bcrypt",
    "can",
    "ceil",
    "chomp",
    "chunklist",
    "cidrhost",
    "cidrnetmask",
    "cidrsubnet",
    "cidrsubnets",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "convert",
    "csvdecode",
    "dirname",
    "distinct",
    "element",
    "endswith",
    "ephemeralasnull",
    "file",
    "filebase64",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
    "filemd5",
    "fileset",
    "filesha1",
    "filesha256",
    "filesha512",
    "flatten",
    "floor",
    "format",
    "formatdate",
    "formatlist",
    "indent",
    "index",
    "issensitive",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "list",
    "log",
    "lookup",
    "lower",
    "map",
    "matchkeys",
    "max",
    "md5",
    "merge",
    "min",
    "nonsensitive",
    "one",
    "parseint",
    "pathexpand",
    "plantimestamp",
    "pow",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "rsadecrypt",
    "sensitive",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "sha1",
    "sha256",
    "sha512",
    "signum",
    "slice",
    "sort",
    "split",
    "startswith",
    "strcontains",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "templatestring",
    "textdecodebase64",
    "textencodebase64",
    "timeadd",
    "timecmp",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "transpose",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "urlencode",
    "uuid",
    "uuidv5",
    "values",
    "yamldecode",
    "yamlencode",
    "zipmap",
];

/// Functions whose value Terraform decides at apply time, or from the machine
/// or randomness: unknown before apply, whatever the arguments.
const UNPREDICTABLE: &[&str] = &[
    "timestamp",
    "plantimestamp",
    "uuid",
    "bcrypt",
    // Go's gzip stream is not reproduced byte for byte.
    "base64gzip",
    // Decrypting needs the private key's value, a secret.
    "rsadecrypt",
];

/// The longest string a function may build (`format` widths, `indent`…):
/// far above any real value, small enough that hostile input cannot exhaust
/// memory.
pub const MAX_STRING_BYTES: usize = 16 << 20;

/// A name without its `core::` namespace, which Terraform accepts on every
/// built-in function.
pub fn builtin_name(name: &str) -> &str {
    name.strip_prefix("core::").unwrap_or(name)
}

pub fn call(name: &str, args: Vec<Val>) -> R {
    let name = builtin_name(name);
    if !NAMES.contains(&name) {
        return Err(format!("unknown function `{name}`"));
    }
    if name == "list" || name == "map" {
        return Err(format!(
            "the `{name}` function was removed in Terraform 0.12; write a literal \
             ({}) instead",
            if name == "list" {
                "`[...]` or tolist([...])"
            } else {
                "`{...}` or tomap({...})"
            }
        ));
    }
    if UNPREDICTABLE.contains(&name) {
        return Ok(Val::unknown());
    }
    let deep = DEEP.contains(&name);
    for a in &args {
        if a.is_unknown() || (deep && a.has_unknown()) {
            let mut origins = Vec::new();
            a.unknown_origins(&mut origins);
            return Ok(Val::Unknown(origins.into_iter().next()));
        }
    }
    let out = strings(name, &args)
        .or_else(|| collections(name, &args))
        .or_else(|| sets(name, &args))
        .or_else(|| numbers(name, &args))
        .or_else(|| encoding::call(name, &args))
        .or_else(|| net::call(name, &args))
        .or_else(|| dates::call(name, &args))
        .or_else(|| regexp::call(name, &args))
        .unwrap_or_else(|| Err(format!("`{name}` cannot be called here")))?;
    if let Val::Str(s) = &out {
        if s.len() > MAX_STRING_BYTES {
            return Err(format!(
                "the result is {} MiB, over the {} MiB string cap (MAX_STRING_BYTES)",
                s.len() >> 20,
                MAX_STRING_BYTES >> 20
            ));
        }
    }
    Ok(out)
}

/// Checks the argument count.
fn arity(a: &[Val], lo: usize, hi: usize) -> Result<(), String> {
    let n = a.len();
    if n >= lo && n <= hi {
        return Ok(());
    }
    Err(if lo == hi {
        format!("takes {lo} argument(s), got {n}")
    } else if hi == usize::MAX {
        format!("takes at least {lo} argument(s), got {n}")
    } else {
        format!("takes {lo} to {hi} arguments, got {n}")
    })
}

const MANY: usize = usize::MAX;

fn strings(name: &str, a: &[Val]) -> Option<R> {
    Some(match name {
        "lower" | "upper" | "title" | "trimspace" | "chomp" | "strrev" => {
            arity(a, 1, 1).and_then(|_| string(&a[0])).map(|s| {
                Val::Str(match name {
                    "lower" => s.to_lowercase(),
                    "upper" => s.to_uppercase(),
                    "trimspace" => s.trim().to_string(),
                    "chomp" => s.trim_end_matches(['\n', '\r']).to_string(),
                    "strrev" => s.chars().rev().collect(),
                    _ => title(&s),
                })
            })
        }
        "trim" | "trimprefix" | "trimsuffix" | "startswith" | "endswith" | "strcontains" => {
            (|| {
                arity(a, 2, 2)?;
                let (s, t) = (string(&a[0])?, string(&a[1])?);
                Ok(match name {
                    "trim" => Val::Str(s.trim_matches(|c| t.contains(c)).to_string()),
                    "trimprefix" => Val::Str(s.strip_prefix(t.as_str()).unwrap_or(&s).to_string()),
                    "trimsuffix" => Val::Str(s.strip_suffix(t.as_str()).unwrap_or(&s).to_string()),
                    "startswith" => Val::Bool(s.starts_with(&t)),
                    "endswith" => Val::Bool(s.ends_with(&t)),
                    _ => Val::Bool(s.contains(&t)),
                })
            })()
        }
        "substr" => (|| {
            arity(a, 3, 3)?;
            let s: Vec<char> = string(&a[0])?.chars().collect();
            let (off, len) = (int(&a[1])?, int(&a[2])?);
            let start = if off < 0 {
                (s.len() as i64 + off).max(0)
            } else {
                off.min(s.len() as i64)
            } as usize;
            let end = if len < 0 {
                s.len()
            } else {
                start.saturating_add(len as usize).min(s.len())
            };
            Ok(Val::Str(s[start..end].iter().collect()))
        })(),
        "replace" => (|| {
            arity(a, 3, 3)?;
            let (s, from, to) = (string(&a[0])?, string(&a[1])?, string(&a[2])?);
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return regexp::replace(&s, &from[1..from.len() - 1], &to);
            }
            Ok(Val::Str(s.replace(&from, &to)))
        })(),
        "split" => (|| {
            arity(a, 2, 2)?;
            let (sep, s) = (string(&a[0])?, string(&a[1])?);
            if s.is_empty() {
                return Ok(Val::List(vec![Val::str("")]));
            }
            if sep.is_empty() {
                return Ok(Val::List(s.chars().map(|c| Val::Str(c.into())).collect()));
            }
            Ok(Val::List(s.split(sep.as_str()).map(Val::str).collect()))
        })(),
        "join" => (|| {
            arity(a, 2, MANY)?;
            let sep = string(&a[0])?;
            let mut parts = Vec::new();
            for l in &a[1..] {
                for v in list(l)? {
                    if v == Val::Null {
                        return Err("a list element is null".into());
                    }
                    parts.push(string(&v)?);
                }
            }
            Ok(Val::Str(parts.join(&sep)))
        })(),
        "format" => arity(a, 1, MANY)
            .and_then(|_| format(&string(&a[0])?, &a[1..]))
            .map(Val::Str),
        "formatlist" => arity(a, 1, MANY).and_then(|_| formatlist(&string(&a[0])?, &a[1..])),
        "indent" => (|| {
            arity(a, 2, 2)?;
            let n = int(&a[0])?;
            if n < 0 || n as usize > MAX_STRING_BYTES {
                return Err(format!("cannot indent by {n} spaces"));
            }
            let pad = " ".repeat(n as usize);
            let s = string(&a[1])?;
            let lines = s.matches('\n').count();
            if lines.saturating_mul(pad.len()) > MAX_STRING_BYTES {
                return Err("the indented string is over the string cap (MAX_STRING_BYTES)".into());
            }
            Ok(Val::Str(s.replace('\n', &format!("\n{pad}"))))
        })(),
        "basename" | "dirname" => arity(a, 1, 1)
            .and_then(|_| string(&a[0]))
            .map(|s| Val::Str(path_part(&s, name == "basename"))),
        _ => return None,
    })
}

/// Go's `strings.Title`: a letter after anything but a letter, digit,
/// underscore or apostrophe is upper-cased.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = !(c.is_alphanumeric() || c == '_' || c == '\'');
    }
    out
}

/// Go's `filepath.Base` / `filepath.Dir` with `/` separators.
fn path_part(p: &str, base: bool) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    let (dir, file) = match trimmed.rfind('/') {
        Some(i) => (&trimmed[..i + 1], &trimmed[i + 1..]),
        None => ("", trimmed),
    };
    if base {
        return file.to_string();
    }
    // Dir cleans the path: no trailing slash, `.` for none.
    let d = dir.trim_end_matches('/');
    match (dir.is_empty(), d.is_empty()) {
        (true, _) => ".".into(),
        (false, true) => "/".into(),
        _ => d.to_string(),
    }
}

fn formatlist(spec: &str, rest: &[Val]) -> R {
    let lens: Vec<usize> = rest
        .iter()
        .filter_map(|v| match v {
            Val::List(l) => Some(l.len()),
            _ => None,
        })
        .collect();
    let Some(&len) = lens.first() else {
        return format(spec, rest).map(|s| Val::List(vec![Val::Str(s)]));
    };
    if lens.iter().any(|&l| l != len) {
        return Err("all list arguments must have the same length".into());
    }
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let row: Vec<Val> = rest
            .iter()
            .map(|v| match v {
                Val::List(l) => l[i].clone(),
                v => v.clone(),
            })
            .collect();
        out.push(Val::Str(format(spec, &row)?));
    }
    Ok(Val::List(out))
}

fn collections(name: &str, a: &[Val]) -> Option<R> {
    Some(match name {
        "length" => arity(a, 1, 1).and_then(|_| {
            Ok(Val::Num(match &a[0] {
                Val::Str(s) => s.chars().count(),
                Val::List(l) => l.len(),
                Val::Map(m) | Val::Res(m, _) => m.len(),
                v => return Err(format!("cannot take the length of a {}", v.type_name())),
            } as f64))
        }),
        "tolist" => arity(a, 1, 1).and_then(|_| match &a[0] {
            Val::Null => Ok(Val::Null),
            v => list(v).map(Val::List),
        }),
        "toset" => arity(a, 1, 1).and_then(|_| match &a[0] {
            Val::Null => Ok(Val::Null),
            v => list(v).map(set),
        }),
        "tomap" => arity(a, 1, 1).and_then(|_| match &a[0] {
            Val::Map(m) | Val::Res(m, _) => Ok(Val::Map(m.clone())),
            Val::Null => Ok(Val::Null),
            v => Err(format!("cannot convert a {} to map", v.type_name())),
        }),
        "tostring" | "tonumber" | "tobool" => {
            arity(a, 1, 1).and_then(|_| convert_prim(name, &a[0]))
        }
        "distinct" => arity(a, 1, 1).and_then(|_| {
            let mut out: Vec<Val> = Vec::new();
            for v in list(&a[0])? {
                if !out.iter().any(|o| equal(o, &v)) {
                    out.push(v);
                }
            }
            Ok(Val::List(out))
        }),
        "sort" => arity(a, 1, 1).and_then(|_| {
            let mut s: Vec<String> = list(&a[0])?.iter().map(string).collect::<Result<_, _>>()?;
            s.sort();
            Ok(Val::List(s.into_iter().map(Val::Str).collect()))
        }),
        "reverse" => arity(a, 1, 1).and_then(|_| {
            let mut l = list(&a[0])?;
            l.reverse();
            Ok(Val::List(l))
        }),
        "concat" => (|| {
            let mut out = Vec::new();
            for v in a {
                out.extend(list(v)?);
            }
            Ok(Val::List(out))
        })(),
        "flatten" => arity(a, 1, 1).and_then(|_| {
            let mut out = Vec::new();
            flatten(&a[0], &mut out)?;
            // An unknown element may itself be a list: the result is unknown.
            Ok(match out.iter().find(|v| v.is_unknown()) {
                Some(u) => u.clone(),
                None => Val::List(out),
            })
        }),
        "merge" => merge(a),
        "keys" | "values" => arity(a, 1, 1).and_then(|_| {
            let m = map(&a[0])?;
            Ok(Val::List(if name == "keys" {
                m.keys().map(|k| Val::str(k.as_str())).collect()
            } else {
                m.values().cloned().collect()
            }))
        }),
        "lookup" => arity(a, 2, 3).and_then(|_| {
            let m = map(&a[0])?;
            let k = string(&a[1])?;
            match (m.get(&k), a.get(2)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(d)) => Ok(d.clone()),
                (None, None) => Err(format!("the given map has no key `{k}` and no default")),
            }
        }),
        "zipmap" => arity(a, 2, 2).and_then(|_| {
            let (ks, vs) = (list(&a[0])?, list(&a[1])?);
            if let Some(u) = ks.iter().find(|k| k.has_unknown()) {
                return Ok(u.clone());
            }
            if ks.len() != vs.len() {
                return Err("the key and value lists differ in length".into());
            }
            let mut out = BTreeMap::new();
            for (k, v) in ks.iter().zip(vs) {
                out.insert(string(k)?, v);
            }
            Ok(Val::Map(out))
        }),
        "contains" => arity(a, 2, 2).and_then(|_| contains(&list(&a[0])?, &a[1])),
        "index" => arity(a, 2, 2).and_then(|_| {
            list(&a[0])?
                .iter()
                .position(|v| equal(v, &a[1]))
                .map(|i| Val::Num(i as f64))
                .ok_or_else(|| "item not found".to_string())
        }),
        "element" => arity(a, 2, 2).and_then(|_| {
            let l = list(&a[0])?;
            if l.is_empty() {
                return Err("cannot use element function with an empty list".into());
            }
            let i = int(&a[1])?;
            if i < 0 {
                return Err("cannot use element function with a negative index".into());
            }
            Ok(l[i as usize % l.len()].clone())
        }),
        "slice" => arity(a, 3, 3).and_then(|_| {
            let l = list(&a[0])?;
            let (s, e) = (int(&a[1])?, int(&a[2])?);
            if s < 0 || e < s || e as usize > l.len() {
                return Err(format!("invalid range {s}..{e} for a list of {}", l.len()));
            }
            Ok(Val::List(l[s as usize..e as usize].to_vec()))
        }),
        "chunklist" => arity(a, 2, 2).and_then(|_| {
            let l = list(&a[0])?;
            let size = int(&a[1])?;
            if size < 0 {
                return Err("the size argument must be positive".into());
            }
            if l.is_empty() {
                return Ok(Val::List(Vec::new()));
            }
            if size == 0 {
                return Ok(Val::List(vec![Val::List(l)]));
            }
            Ok(Val::List(
                l.chunks(size as usize)
                    .map(|c| Val::List(c.to_vec()))
                    .collect(),
            ))
        }),
        "one" => arity(a, 1, 1).and_then(|_| {
            let l = list(&a[0])?;
            match l.len() {
                0 => Ok(Val::Null),
                1 => Ok(l[0].clone()),
                k => Err(format!(
                    "must be given a list of zero or one element, got {k}"
                )),
            }
        }),
        "compact" => arity(a, 1, 1).and_then(|_| {
            Ok(Val::List(
                list(&a[0])?
                    .into_iter()
                    .filter(|v| !matches!(v, Val::Null) && v != &Val::str(""))
                    .collect(),
            ))
        }),
        "coalesce" => coalesce(a),
        "coalescelist" => (|| {
            for v in a {
                if let Val::Unknown(o) = v {
                    return Ok(Val::Unknown(o.clone()));
                }
                let l = list(v)?;
                if !l.is_empty() {
                    return Ok(Val::List(l));
                }
            }
            Ok(Val::List(Vec::new()))
        })(),
        "matchkeys" => arity(a, 3, 3).and_then(|_| {
            let (vals, keys, search) = (list(&a[0])?, list(&a[1])?, list(&a[2])?);
            if vals.len() != keys.len() {
                return Err("length of keys and values should be equal".into());
            }
            Ok(Val::List(
                vals.into_iter()
                    .zip(keys)
                    .filter(|(_, k)| search.iter().any(|s| equal(s, k)))
                    .map(|(v, _)| v)
                    .collect(),
            ))
        }),
        "transpose" => arity(a, 1, 1).and_then(|_| {
            let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (k, vs) in map(&a[0])? {
                for v in list(vs)? {
                    out.entry(string(&v)?).or_default().push(k.clone());
                }
            }
            Ok(Val::Map(
                out.into_iter()
                    .map(|(k, v)| (k, Val::List(v.into_iter().map(Val::Str).collect())))
                    .collect(),
            ))
        }),
        "alltrue" | "anytrue" => arity(a, 1, 1).and_then(|_| {
            let bs: Vec<bool> = list(&a[0])?
                .iter()
                .map(|v| {
                    v.as_bool()
                        .ok_or_else(|| format!("elements must be bools, got {}", v.type_name()))
                })
                .collect::<Result<_, _>>()?;
            Ok(Val::Bool(if name == "alltrue" {
                bs.iter().all(|b| *b)
            } else {
                bs.iter().any(|b| *b)
            }))
        }),
        // Sensitivity is tracked by the evaluator from names, not on values;
        // ephemeral values are unknown here already, so keeping them is sound.
        "sensitive" | "nonsensitive" | "ephemeralasnull" => arity(a, 1, 1).map(|_| a[0].clone()),
        "jsonencode" => arity(a, 1, 1).map(|_| Val::Str(encoding::json(&a[0]))),
        "jsondecode" => arity(a, 1, 1).and_then(|_| {
            let s = string(&a[0])?;
            serde_json::from_str::<serde_json::Value>(&s)
                .map(|v| Val::from_json(&v))
                .map_err(|e| format!("invalid JSON: {e}"))
        }),
        _ => return None,
    })
}

/// `contains`: true on a known match, unknown when an unknown element might
/// match, else false.
fn contains(l: &[Val], x: &Val) -> R {
    if x.has_unknown() {
        return Ok(Val::unknown());
    }
    let mut unknown = None;
    for v in l {
        if v.has_unknown() {
            unknown.get_or_insert_with(|| {
                let mut o = Vec::new();
                v.unknown_origins(&mut o);
                Val::Unknown(o.into_iter().next())
            });
        } else if equal(v, x) {
            return Ok(Val::Bool(true));
        }
    }
    Ok(unknown.unwrap_or(Val::Bool(false)))
}

fn merge(a: &[Val]) -> R {
    let mut out = BTreeMap::new();
    for v in a {
        match v {
            Val::Null => {}
            Val::Map(m) | Val::Res(m, _) => {
                out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())))
            }
            v => {
                return Err(format!(
                    "arguments must be maps or objects, got a {}",
                    v.type_name()
                ))
            }
        }
    }
    Ok(Val::Map(out))
}

fn coalesce(a: &[Val]) -> R {
    for v in a {
        match v {
            Val::Unknown(o) => return Ok(Val::Unknown(o.clone())),
            Val::Null => {}
            Val::Str(s) if s.is_empty() => {}
            v => return Ok(v.clone()),
        }
    }
    Err("no non-null, non-empty-string arguments".into())
}

fn convert_prim(name: &str, v: &Val) -> R {
    if *v == Val::Null {
        return Ok(Val::Null);
    }
    let got = match name {
        "tostring" => v.to_str().map(Val::Str),
        "tonumber" => v.as_num().map(Val::Num),
        _ => v.as_bool().map(Val::Bool),
    };
    got.ok_or_else(|| format!("cannot convert {} to {}", show(v), &name[2..]))
}

fn sets(name: &str, a: &[Val]) -> Option<R> {
    let lists = || a.iter().map(list).collect::<Result<Vec<_>, _>>();
    Some(match name {
        "setunion" => lists().map(|ls| set(ls.into_iter().flatten().collect())),
        "setintersection" => arity(a, 1, MANY).and_then(|_| {
            let ls = lists()?;
            let first = set(ls[0].clone());
            let Val::List(first) = first else {
                return Ok(first);
            };
            Ok(Val::List(
                first
                    .into_iter()
                    .filter(|x| ls[1..].iter().all(|l| l.iter().any(|y| equal(x, y))))
                    .collect(),
            ))
        }),
        "setsubtract" => arity(a, 2, 2).and_then(|_| {
            let ls = lists()?;
            let Val::List(first) = set(ls[0].clone()) else {
                return Ok(Val::List(Vec::new()));
            };
            Ok(Val::List(
                first
                    .into_iter()
                    .filter(|x| !ls[1].iter().any(|y| equal(x, y)))
                    .collect(),
            ))
        }),
        "setproduct" => arity(a, 1, MANY).and_then(|_| {
            let ls = lists()?;
            let total = ls.iter().try_fold(1usize, |n, l| n.checked_mul(l.len()));
            if total.is_none_or(|t| t > MAX_PRODUCT) {
                return Err(format!(
                    "the product has over {MAX_PRODUCT} elements (MAX_PRODUCT)"
                ));
            }
            let mut out: Vec<Vec<Val>> = vec![Vec::new()];
            for l in &ls {
                out = out
                    .into_iter()
                    .flat_map(|row| {
                        l.iter().map(move |x| {
                            let mut r = row.clone();
                            r.push(x.clone());
                            r
                        })
                    })
                    .collect();
            }
            Ok(Val::List(out.into_iter().map(Val::List).collect()))
        }),
        _ => return None,
    })
}

/// The most elements `setproduct` may build.
const MAX_PRODUCT: usize = 1 << 20;

fn numbers(name: &str, a: &[Val]) -> Option<R> {
    Some(match name {
        "abs" | "ceil" | "floor" | "signum" => arity(a, 1, 1).and_then(|_| {
            let x = num(&a[0])?;
            Ok(Val::Num(match name {
                "abs" => x.abs(),
                "ceil" => x.ceil(),
                "floor" => x.floor(),
                _ if x == 0.0 => 0.0,
                _ => x.signum(),
            }))
        }),
        "log" | "pow" => arity(a, 2, 2).and_then(|_| {
            let (x, y) = (num(&a[0])?, num(&a[1])?);
            let r = if name == "log" {
                x.ln() / y.ln()
            } else {
                x.powf(y)
            };
            if r.is_nan() {
                return Err("the result is not a number".into());
            }
            Ok(Val::Num(r))
        }),
        "min" | "max" => arity(a, 1, MANY).and_then(|_| {
            let xs: Vec<f64> = a.iter().map(num).collect::<Result<_, _>>()?;
            let r = if name == "min" {
                xs.iter().cloned().fold(f64::INFINITY, f64::min)
            } else {
                xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            };
            Ok(Val::Num(r))
        }),
        "sum" => arity(a, 1, 1).and_then(|_| {
            let l = list(&a[0])?;
            if l.is_empty() {
                return Err("cannot sum an empty list".into());
            }
            Ok(Val::Num(l.iter().map(num).sum::<Result<f64, _>>()?))
        }),
        "parseint" => arity(a, 2, 2).and_then(|_| parseint(&string(&a[0])?, int(&a[1])?)),
        "range" => arity(a, 1, 3).and_then(|_| range(a)),
        _ => return None,
    })
}

fn parseint(s: &str, base: i64) -> R {
    if !(2..=62).contains(&base) {
        return Err("base must be a whole number between 2 and 62 inclusive".into());
    }
    let bad = || format!("cannot parse `{s}` as a base {base} integer");
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut n: f64 = 0.0;
    for c in digits.chars() {
        // Go's big.Int: 0-9, then a-z, then A-Z for bases over 36 (else
        // letters of either case).
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            'a'..='z' => c as i64 - 'a' as i64 + 10,
            'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
            'A'..='Z' => c as i64 - 'A' as i64 + 36,
            _ => return Err(bad()),
        };
        if d >= base {
            return Err(bad());
        }
        n = n * base as f64 + d as f64;
    }
    Ok(Val::Num(if neg { -n } else { n }))
}

/// Terraform's `range`, with its own limit of 1024 elements.
fn range(a: &[Val]) -> R {
    let xs: Vec<f64> = a.iter().map(num).collect::<Result<_, _>>()?;
    let (start, end, step) = match xs.as_slice() {
        [e] => (0.0, *e, 1.0),
        [s, e] => (*s, *e, if e >= s { 1.0 } else { -1.0 }),
        [s, e, st] => (*s, *e, *st),
        _ => return Err("takes 1 to 3 arguments".into()),
    };
    if step == 0.0 {
        return Err("step must not be zero".into());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        if out.len() == 1024 {
            return Err(
                "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step"
                    .into(),
            );
        }
        out.push(Val::Num(x));
        x += step;
    }
    Ok(Val::List(out))
}

pub(super) fn show(v: &Val) -> String {
    v.to_str()
        .map(|s| format!("`{s}`"))
        .unwrap_or_else(|| format!("a {}", v.type_name()))
}

pub(super) fn string(v: &Val) -> Result<String, String> {
    match v {
        Val::Null => Err("argument must not be null".into()),
        v => v
            .to_str()
            .ok_or_else(|| format!("expected a string, got a {}", v.type_name())),
    }
}

fn num(v: &Val) -> Result<f64, String> {
    v.as_num()
        .ok_or_else(|| format!("expected a number, got {}", show(v)))
}

pub(super) fn int(v: &Val) -> Result<i64, String> {
    let n = num(v)?;
    if n.fract() != 0.0 {
        return Err(format!("expected a whole number, got {}", fmt_num(n)));
    }
    if n.abs() > 9.0e15 {
        return Err(format!("{} is too large", fmt_num(n)));
    }
    Ok(n as i64)
}

pub(super) fn list(v: &Val) -> Result<Vec<Val>, String> {
    match v {
        Val::List(l) => Ok(l.clone()),
        Val::Null => Err("expected a list, got null".into()),
        v => Err(format!("expected a list, got a {}", v.type_name())),
    }
}

fn map(v: &Val) -> Result<&BTreeMap<String, Val>, String> {
    v.as_map()
        .ok_or_else(|| format!("expected a map, got a {}", v.type_name()))
}

/// Sets are sorted and deduplicated, so output is deterministic.
fn set(items: Vec<Val>) -> Val {
    let mut out: Vec<Val> = Vec::new();
    for v in items {
        if !out.iter().any(|o| equal(o, &v)) {
            out.push(v);
        }
    }
    if out.iter().all(|v| matches!(v, Val::Str(_))) {
        out.sort_by_key(|v| v.to_str());
    }
    Val::List(out)
}

fn flatten(v: &Val, out: &mut Vec<Val>) -> Result<(), String> {
    match v {
        Val::List(l) => {
            for x in l {
                match x {
                    Val::List(_) => flatten(x, out)?,
                    x => out.push(x.clone()),
                }
            }
            Ok(())
        }
        v => Err(format!("expected a list, got a {}", v.type_name())),
    }
}

/// The widest `format` field: far above any real layout, small enough that
/// `%999999999d` cannot exhaust memory.
pub const MAX_FORMAT_WIDTH: usize = 1 << 16;

/// Terraform's `format` verbs: %s %d %f %e %g %q %v %t %x %X %o %b %%, with
/// flags, width and precision.
fn format(spec: &str, args: &[Val]) -> Result<String, String> {
    let mut out = String::new();
    let mut it = spec.chars().peekable();
    let mut next = 0;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&d) = it.peek() {
            if d.is_ascii_digit() || matches!(d, '.' | '-' | '+' | '#' | ' ') {
                flags.push(d);
                it.next();
            } else {
                break;
            }
        }
        let verb = it.next().ok_or("format ends in `%`")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .get(next)
            .ok_or_else(|| format!("not enough arguments for `{spec}`"))?;
        next += 1;
        let (width, prec) = widths(&flags)?;
        let s = verb_text(verb, arg, prec)?;
        let pad = width.unwrap_or(0).saturating_sub(s.chars().count());
        if flags.starts_with('-') {
            out.push_str(&s);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            let zero = flags.trim_start_matches(['+', ' ', '#']).starts_with('0');
            let fill = if zero && matches!(verb, 'd' | 'f' | 'e' | 'g') {
                '0'
            } else {
                ' '
            };
            out.extend(std::iter::repeat_n(fill, pad));
            out.push_str(&s);
        }
        if out.len() > MAX_STRING_BYTES {
            return Err("the result is over the string cap (MAX_STRING_BYTES)".into());
        }
    }
    if next < args.len() {
        return Err(format!(
            "too many arguments; only {next} used by format string"
        ));
    }
    Ok(out)
}

/// Width and precision of a verb's flags, each capped at [`MAX_FORMAT_WIDTH`].
fn widths(flags: &str) -> Result<(Option<usize>, Option<usize>), String> {
    let digits = flags.trim_start_matches(['-', '+', '#', ' ', '0']);
    let (w, p) = match digits.split_once('.') {
        Some((w, p)) => (w, Some(p)),
        None => (digits, None),
    };
    let parse = |s: &str| -> Result<Option<usize>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        match s.parse::<usize>() {
            Ok(n) if n <= MAX_FORMAT_WIDTH => Ok(Some(n)),
            _ => Err(format!(
                "format width `{s}` is over the cap of {MAX_FORMAT_WIDTH} (MAX_FORMAT_WIDTH)"
            )),
        }
    };
    Ok((
        parse(w)?,
        p.map(|p| parse(p).map(|x| x.unwrap_or(0))).transpose()?,
    ))
}

fn verb_text(verb: char, arg: &Val, prec: Option<usize>) -> Result<String, String> {
    Ok(match verb {
        's' | 'v' => match arg {
            Val::List(_) | Val::Map(_) | Val::Res(..) if verb == 'v' => encoding::json(arg),
            Val::Null if verb == 'v' => "null".into(),
            _ => {
                let s = string(arg)?;
                match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
        },
        'q' => encoding::json(&Val::Str(string(arg)?)),
        'd' => format!("{}", int(arg)?),
        'f' => format!("{:.*}", prec.unwrap_or(6), num(arg)?),
        'e' => go_exp(num(arg)?, prec.unwrap_or(6)),
        'g' => fmt_num(num(arg)?),
        't' => arg.as_bool().ok_or("%t needs a bool")?.to_string(),
        'x' => format!("{:x}", int(arg)?),
        'X' => format!("{:X}", int(arg)?),
        'o' => format!("{:o}", int(arg)?),
        'b' => format!("{:b}", int(arg)?),
        other => return Err(format!("unsupported format verb `%{other}`")),
    })
}

/// Go's `%e`: a two-digit signed exponent (`1.500000e+00`).
fn go_exp(x: f64, prec: usize) -> String {
    let s = format!("{x:.prec$e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val {
        Val::str(x)
    }
    fn l(x: &[Val]) -> Val {
        Val::List(x.to_vec())
    }
    fn m(x: &[(&str, Val)]) -> Val {
        Val::Map(x.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }
    fn n(x: f64) -> Val {
        Val::Num(x)
    }

    /// One row per case: name, arguments, expected result (Err = message part).
    /// Expected values are Terraform's, as its documentation shows them.
    #[test]
    fn function_table() {
        let u = Val::unknown();
        let cases: Vec<(&str, Vec<Val>, Result<Val, &str>)> = vec![
            (
                "merge",
                vec![m(&[("a", s("1"))]), m(&[("b", s("2")), ("a", s("3"))])],
                Ok(m(&[("a", s("3")), ("b", s("2"))])),
            ),
            (
                "merge",
                vec![m(&[("a", u.clone())]), Val::Null],
                Ok(m(&[("a", u.clone())])),
            ),
            ("merge", vec![s("x")], Err("maps or objects")),
            (
                "concat",
                vec![l(&[s("a")]), l(&[u.clone(), s("b")])],
                Ok(l(&[s("a"), u.clone(), s("b")])),
            ),
            ("lookup", vec![m(&[("a", s("1"))]), s("a")], Ok(s("1"))),
            (
                "lookup",
                vec![m(&[("a", s("1"))]), s("b"), s("d")],
                Ok(s("d")),
            ),
            ("lookup", vec![m(&[("a", s("1"))]), s("b")], Err("no key")),
            ("coalesce", vec![Val::Null, s(""), s("x")], Ok(s("x"))),
            ("coalesce", vec![u.clone(), s("x")], Ok(u.clone())),
            ("coalesce", vec![Val::Null], Err("no non-null")),
            ("tolist", vec![l(&[s("a")])], Ok(l(&[s("a")]))),
            (
                "toset",
                vec![l(&[s("b"), s("a"), s("b")])],
                Ok(l(&[s("a"), s("b")])),
            ),
            ("toset", vec![l(std::slice::from_ref(&u))], Ok(u.clone())),
            ("tomap", vec![m(&[("a", s("1"))])], Ok(m(&[("a", s("1"))]))),
            ("tomap", vec![s("x")], Err("cannot convert")),
            (
                "flatten",
                vec![l(&[l(&[s("a")]), l(&[l(&[s("b")])]), s("c")])],
                Ok(l(&[s("a"), s("b"), s("c")])),
            ),
            (
                "keys",
                vec![m(&[("b", s("1")), ("a", s("2"))])],
                Ok(l(&[s("a"), s("b")])),
            ),
            (
                "values",
                vec![m(&[("b", s("1")), ("a", s("2"))])],
                Ok(l(&[s("2"), s("1")])),
            ),
            ("length", vec![l(&[u.clone(), s("a")])], Ok(n(2.0))),
            ("length", vec![s("héllo")], Ok(n(5.0))),
            ("length", vec![n(1.0)], Err("length")),
            (
                "contains",
                vec![l(&[s("a"), s("b")]), s("b")],
                Ok(Val::Bool(true)),
            ),
            ("contains", vec![l(&[n(1.0)]), n(2.0)], Ok(Val::Bool(false))),
            (
                "contains",
                vec![l(std::slice::from_ref(&u)), s("a")],
                Ok(u.clone()),
            ),
            (
                "contains",
                vec![l(&[u.clone(), s("a")]), s("a")],
                Ok(Val::Bool(true)),
            ),
            (
                "format",
                vec![s("%s-%03d-%.1f %q %%"), s("a"), n(7.0), n(2.25), s("q")],
                Ok(s("a-007-2.2 \"q\" %")),
            ),
            ("format", vec![s("%s")], Err("not enough")),
            ("format", vec![s("%s"), s("a"), s("b")], Err("too many")),
            ("format", vec![s("%-5s|"), s("ab")], Ok(s("ab   |"))),
            ("format", vec![s("%e"), n(1.5)], Ok(s("1.500000e+00"))),
            (
                "format",
                vec![s("%999999999d"), n(1.0)],
                Err("MAX_FORMAT_WIDTH"),
            ),
            ("join", vec![s(","), l(&[s("a"), s("b")])], Ok(s("a,b"))),
            ("join", vec![s(",")], Err("at least 2")),
            ("split", vec![s(","), s("a,b")], Ok(l(&[s("a"), s("b")]))),
            ("split", vec![s("/"), Val::Null], Err("must not be null")),
            ("lower", vec![s("AbC")], Ok(s("abc"))),
            ("upper", vec![s("AbC")], Ok(s("ABC"))),
            (
                "title",
                vec![s("hello world-x_y")],
                Ok(s("Hello World-X_y")),
            ),
            ("replace", vec![s("a-b-c"), s("-"), s("_")], Ok(s("a_b_c"))),
            (
                "replace",
                vec![s("hello world"), s("/w.*d/"), s("everybody")],
                Ok(s("hello everybody")),
            ),
            (
                "replace",
                vec![s("a1b22"), s("/([a-z])(\\d+)/"), s("$2$1")],
                Ok(s("1a22b")),
            ),
            (
                "strcontains",
                vec![s("hello world"), s("wor")],
                Ok(Val::Bool(true)),
            ),
            (
                "strcontains",
                vec![s("hello world"), s("wod")],
                Ok(Val::Bool(false)),
            ),
            ("strcontains", vec![u.clone(), s("x")], Ok(u.clone())),
            (
                "jsonencode",
                vec![m(&[("b", l(&[n(1.0), Val::Bool(true)])), ("a", Val::Null)])],
                Ok(s("{\"a\":null,\"b\":[1,true]}")),
            ),
            (
                "jsonencode",
                vec![s("<a&b>")],
                Ok(s("\"\\u003ca\\u0026b\\u003e\"")),
            ),
            ("jsonencode", vec![m(&[("a", u.clone())])], Ok(u.clone())),
            (
                "jsondecode",
                vec![s("{\"a\":[1,\"x\"]}")],
                Ok(m(&[("a", l(&[n(1.0), s("x")]))])),
            ),
            ("jsondecode", vec![s("{")], Err("invalid JSON")),
            ("element", vec![l(&[s("a"), s("b")]), n(3.0)], Ok(s("b"))),
            ("element", vec![l(&[]), n(0.0)], Err("empty")),
            ("one", vec![l(&[s("a")])], Ok(s("a"))),
            ("one", vec![l(&[])], Ok(Val::Null)),
            ("one", vec![l(&[s("a"), s("b")])], Err("zero or one")),
            (
                "distinct",
                vec![l(&[s("b"), s("a"), s("b")])],
                Ok(l(&[s("b"), s("a")])),
            ),
            (
                "zipmap",
                vec![l(&[s("a")]), l(&[n(1.0)])],
                Ok(m(&[("a", n(1.0))])),
            ),
            (
                "zipmap",
                vec![l(&[s("a")]), l(std::slice::from_ref(&u))],
                Ok(m(&[("a", u.clone())])),
            ),
            (
                "compact",
                vec![l(&[s("a"), s(""), Val::Null])],
                Ok(l(&[s("a")])),
            ),
            (
                "substr",
                vec![s("hello world"), n(1.0), n(4.0)],
                Ok(s("ello")),
            ),
            (
                "substr",
                vec![s("hello world"), n(-5.0), n(-1.0)],
                Ok(s("world")),
            ),
            ("range", vec![n(3.0)], Ok(l(&[n(0.0), n(1.0), n(2.0)]))),
            (
                "range",
                vec![n(1.0), n(4.0), n(2.0)],
                Ok(l(&[n(1.0), n(3.0)])),
            ),
            ("range", vec![n(5000.0)], Err("more than 1024")),
            ("max", vec![n(3.0), n(9.0)], Ok(n(9.0))),
            ("min", vec![n(3.0), n(9.0)], Ok(n(3.0))),
            ("trimprefix", vec![s("mcp-x"), s("mcp-")], Ok(s("x"))),
            (
                "formatlist",
                vec![s("%s!"), l(&[s("a"), s("b")])],
                Ok(l(&[s("a!"), s("b!")])),
            ),
            (
                "formatlist",
                vec![s("%s=%s"), l(&[s("a")]), l(&[s("b"), s("c")])],
                Err("same length"),
            ),
            ("tostring", vec![n(5.0)], Ok(s("5"))),
            ("tonumber", vec![s("5")], Ok(n(5.0))),
            ("tobool", vec![s("yes")], Err("cannot convert")),
            ("timestamp", vec![], Ok(u.clone())),
            ("plantimestamp", vec![], Ok(u.clone())),
            ("uuid", vec![], Ok(u.clone())),
            ("bcrypt", vec![s("x")], Ok(u.clone())),
            ("core::upper", vec![s("a")], Ok(s("A"))),
            ("list", vec![s("a")], Err("removed in Terraform 0.12")),
            (
                "map",
                vec![s("a"), s("b")],
                Err("removed in Terraform 0.12"),
            ),
            ("nosuch", vec![], Err("unknown function")),
            (
                "chunklist",
                vec![l(&[s("a"), s("b"), s("c")]), n(2.0)],
                Ok(l(&[l(&[s("a"), s("b")]), l(&[s("c")])])),
            ),
            (
                "chunklist",
                vec![l(&[s("a")]), n(0.0)],
                Ok(l(&[l(&[s("a")])])),
            ),
            ("indent", vec![n(2.0), s("a\nb\n")], Ok(s("a\n  b\n  "))),
            ("basename", vec![s("foo/bar/baz.txt")], Ok(s("baz.txt"))),
            ("dirname", vec![s("foo/bar/baz.txt")], Ok(s("foo/bar"))),
            ("dirname", vec![s("baz.txt")], Ok(s("."))),
            ("dirname", vec![s("/baz.txt")], Ok(s("/"))),
            ("log", vec![n(16.0), n(2.0)], Ok(n(4.0))),
            ("pow", vec![n(3.0), n(2.0)], Ok(n(9.0))),
            ("signum", vec![n(-4.0)], Ok(n(-1.0))),
            ("parseint", vec![s("FF"), n(16.0)], Ok(n(255.0))),
            ("parseint", vec![s("-10"), n(2.0)], Ok(n(-2.0))),
            ("parseint", vec![s("12"), n(2.0)], Err("cannot parse")),
            (
                "matchkeys",
                vec![
                    l(&[s("i-1"), s("i-2"), s("i-3")]),
                    l(&[s("a"), s("b"), s("a")]),
                    l(&[s("a")]),
                ],
                Ok(l(&[s("i-1"), s("i-3")])),
            ),
            (
                "transpose",
                vec![m(&[("a", l(&[s("1"), s("2")])), ("b", l(&[s("2")]))])],
                Ok(m(&[("1", l(&[s("a")])), ("2", l(&[s("a"), s("b")]))])),
            ),
            (
                "setintersection",
                vec![l(&[s("a"), s("b")]), l(&[s("b"), s("c")])],
                Ok(l(&[s("b")])),
            ),
            (
                "setsubtract",
                vec![l(&[s("a"), s("b")]), l(&[s("b")])],
                Ok(l(&[s("a")])),
            ),
            (
                "setproduct",
                vec![l(&[s("a"), s("b")]), l(&[s("x")])],
                Ok(l(&[l(&[s("a"), s("x")]), l(&[s("b"), s("x")])])),
            ),
            (
                "alltrue",
                vec![l(&[Val::Bool(true), s("true")])],
                Ok(Val::Bool(true)),
            ),
            ("anytrue", vec![l(&[])], Ok(Val::Bool(false))),
            ("sensitive", vec![s("x")], Ok(s("x"))),
            ("ephemeralasnull", vec![s("x")], Ok(s("x"))),
        ];
        for (name, args, want) in cases {
            let got = call(name, args.clone());
            match want {
                Ok(w) => assert_eq!(got, Ok(w), "{name}({args:?})"),
                Err(part) => {
                    let e = got.expect_err(name);
                    assert!(e.contains(part), "{name}: `{e}` lacks `{part}`");
                }
            }
        }
    }
}
