//! The Terraform functions real modules use for these resources. `try` and
//! `can` need unevaluated arguments and live in the evaluator.
//!
//! Unknowns: an argument that is itself unknown makes the result unknown.
//! Functions that look inside their arguments' contents (formatting,
//! encoding, set building) are unknown when anything inside is unknown;
//! structural ones (`length`, `merge`, `concat`, `keys`, `lookup`…) keep
//! unknown elements in place, as Terraform does.

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
    "jsondecode",
    "cidrsubnet",
    "cidrhost",
    "contains",
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
    "chomp",
    "strrev",
    "base64encode",
    "base64decode",
    "index",
    "sum",
    "min",
    "max",
    "abs",
    "ceil",
    "floor",
    "range",
    "alltrue",
    "anytrue",
    "compact",
    "coalescelist",
    "setunion",
    "regex",
    "can",
    "tomap_keys",
    "zipmap",
];

/// Every name [`call`] knows, for the "unknown function" diagnostic.
pub const NAMES: &[&str] = &[
    "abs",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "ceil",
    "chomp",
    "cidrhost",
    "cidrsubnet",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "distinct",
    "element",
    "endswith",
    "file",
    "flatten",
    "floor",
    "format",
    "formatlist",
    "index",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "lookup",
    "lower",
    "max",
    "merge",
    "min",
    "one",
    "range",
    "replace",
    "reverse",
    "setunion",
    "slice",
    "sort",
    "split",
    "startswith",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "timestamp",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "upper",
    "uuid",
    "values",
    "zipmap",
];

pub fn call(name: &str, args: Vec<Val>) -> R {
    if !NAMES.contains(&name) {
        return Err(format!("unknown function `{name}`"));
    }
    let deep = DEEP.contains(&name);
    let mut origins = Vec::new();
    for a in &args {
        if a.is_unknown() || (deep && a.has_unknown()) {
            a.unknown_origins(&mut origins);
            return Ok(Val::Unknown(origins.into_iter().next()));
        }
    }
    let n = args.len();
    let arity = |lo: usize, hi: usize| -> Result<(), String> {
        if n < lo || n > hi {
            Err(if lo == hi {
                format!("takes {lo} argument(s), got {n}")
            } else {
                format!("takes {lo} to {hi} arguments, got {n}")
            })
        } else {
            Ok(())
        }
    };
    let a = &args;
    match name {
        "length" => {
            arity(1, 1)?;
            Ok(Val::Num(match &a[0] {
                Val::Str(s) => s.chars().count(),
                Val::List(l) => l.len(),
                Val::Map(m) | Val::Res(m, _) => m.len(),
                v => return Err(format!("cannot take the length of a {}", v.type_name())),
            } as f64))
        }
        "lower" | "upper" | "title" | "trimspace" | "chomp" | "strrev" => {
            arity(1, 1)?;
            let s = string(&a[0])?;
            Ok(Val::Str(match name {
                "lower" => s.to_lowercase(),
                "upper" => s.to_uppercase(),
                "trimspace" => s.trim().to_string(),
                "chomp" => s.trim_end_matches(['\n', '\r']).to_string(),
                "strrev" => s.chars().rev().collect(),
                _ => s
                    .split(' ')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_uppercase().chain(c).collect())
                            .unwrap_or_default()
                    })
                    .collect::<Vec<String>>()
                    .join(" "),
            }))
        }
        "trim" | "trimprefix" | "trimsuffix" | "startswith" | "endswith" => {
            arity(2, 2)?;
            let (s, t) = (string(&a[0])?, string(&a[1])?);
            Ok(match name {
                "trim" => Val::Str(s.trim_matches(|c| t.contains(c)).to_string()),
                "trimprefix" => Val::Str(s.strip_prefix(t.as_str()).unwrap_or(&s).to_string()),
                "trimsuffix" => Val::Str(s.strip_suffix(t.as_str()).unwrap_or(&s).to_string()),
                "startswith" => Val::Bool(s.starts_with(&t)),
                _ => Val::Bool(s.ends_with(&t)),
            })
        }
        "substr" => {
            arity(3, 3)?;
            let s: Vec<char> = string(&a[0])?.chars().collect();
            let off = int(&a[1])?;
            let len = int(&a[2])?;
            let start = if off < 0 {
                (s.len() as i64 + off).max(0)
            } else {
                off.min(s.len() as i64)
            } as usize;
            let end = if len < 0 {
                s.len()
            } else {
                (start + len as usize).min(s.len())
            };
            Ok(Val::Str(s[start..end].iter().collect()))
        }
        "replace" => {
            arity(3, 3)?;
            let (s, from, to) = (string(&a[0])?, string(&a[1])?, string(&a[2])?);
            if from.len() > 2 && from.starts_with('/') && from.ends_with('/') {
                return Err("regular-expression replace is not supported".into());
            }
            Ok(Val::Str(s.replace(&from, &to)))
        }
        "split" => {
            arity(2, 2)?;
            let (sep, s) = (string(&a[0])?, string(&a[1])?);
            if s.is_empty() {
                return Ok(Val::List(vec![Val::str("")]));
            }
            Ok(Val::List(s.split(sep.as_str()).map(Val::str).collect()))
        }
        "join" => {
            if n < 2 {
                return Err(format!("takes at least 2 arguments, got {n}"));
            }
            let sep = string(&a[0])?;
            let mut parts = Vec::new();
            for l in &a[1..] {
                for v in list(l)? {
                    parts.push(string(&v)?);
                }
            }
            Ok(Val::Str(parts.join(&sep)))
        }
        "format" => {
            if n < 1 {
                return Err("takes at least 1 argument".into());
            }
            format(&string(&a[0])?, &a[1..]).map(Val::Str)
        }
        "formatlist" => {
            if n < 1 {
                return Err("takes at least 1 argument".into());
            }
            let spec = string(&a[0])?;
            let len = a[1..]
                .iter()
                .filter_map(|v| {
                    if let Val::List(l) = v {
                        Some(l.len())
                    } else {
                        None
                    }
                })
                .max();
            let Some(len) = len else {
                return format(&spec, &a[1..]).map(|s| Val::List(vec![Val::Str(s)]));
            };
            let mut out = Vec::new();
            for i in 0..len {
                let row: Vec<Val> = a[1..]
                    .iter()
                    .map(|v| match v {
                        Val::List(l) => l
                            .get(i)
                            .cloned()
                            .ok_or_else(|| "lists of different lengths".to_string()),
                        v => Ok(v.clone()),
                    })
                    .collect::<Result<_, _>>()?;
                out.push(Val::Str(format(&spec, &row)?));
            }
            Ok(Val::List(out))
        }
        "tostring" => {
            arity(1, 1)?;
            match &a[0] {
                Val::Null => Ok(Val::Null),
                v => v
                    .to_str()
                    .map(Val::Str)
                    .ok_or_else(|| format!("cannot convert a {} to string", v.type_name())),
            }
        }
        "tonumber" => {
            arity(1, 1)?;
            match &a[0] {
                Val::Null => Ok(Val::Null),
                v => v
                    .as_num()
                    .map(Val::Num)
                    .ok_or_else(|| format!("cannot convert {} to number", show(v))),
            }
        }
        "tobool" => {
            arity(1, 1)?;
            match &a[0] {
                Val::Null => Ok(Val::Null),
                v => v
                    .as_bool()
                    .map(Val::Bool)
                    .ok_or_else(|| format!("cannot convert {} to bool", show(v))),
            }
        }
        "tolist" => {
            arity(1, 1)?;
            Ok(Val::List(list(&a[0])?))
        }
        "toset" => {
            arity(1, 1)?;
            Ok(set(list(&a[0])?))
        }
        "distinct" => {
            arity(1, 1)?;
            let mut out: Vec<Val> = Vec::new();
            for v in list(&a[0])? {
                if !out.iter().any(|o| equal(o, &v)) {
                    out.push(v);
                }
            }
            Ok(Val::List(out))
        }
        "sort" => {
            arity(1, 1)?;
            let mut s: Vec<String> = list(&a[0])?.iter().map(string).collect::<Result<_, _>>()?;
            s.sort();
            Ok(Val::List(s.into_iter().map(Val::Str).collect()))
        }
        "reverse" => {
            arity(1, 1)?;
            let mut l = list(&a[0])?;
            l.reverse();
            Ok(Val::List(l))
        }
        "setunion" => {
            let mut all = Vec::new();
            for v in a {
                all.extend(list(v)?);
            }
            Ok(set(all))
        }
        "tomap" => {
            arity(1, 1)?;
            match &a[0] {
                Val::Map(m) | Val::Res(m, _) => Ok(Val::Map(m.clone())),
                Val::Null => Ok(Val::Null),
                v => Err(format!("cannot convert a {} to map", v.type_name())),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for v in a {
                out.extend(list(v)?);
            }
            Ok(Val::List(out))
        }
        "flatten" => {
            arity(1, 1)?;
            let mut out = Vec::new();
            flatten(&a[0], &mut out)?;
            // An unknown element may itself be a list: the result is unknown.
            match out.iter().find(|v| v.is_unknown()) {
                Some(u) => Ok(u.clone()),
                None => Ok(Val::List(out)),
            }
        }
        "merge" => {
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
        "keys" | "values" => {
            arity(1, 1)?;
            let m = map(&a[0])?;
            Ok(Val::List(if name == "keys" {
                m.keys().map(|k| Val::str(k.as_str())).collect()
            } else {
                m.values().cloned().collect()
            }))
        }
        "lookup" => {
            arity(2, 3)?;
            let m = map(&a[0])?;
            let k = string(&a[1])?;
            match (m.get(&k), a.get(2)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(d)) => Ok(d.clone()),
                (None, None) => Err(format!("no key `{k}` and no default")),
            }
        }
        "zipmap" => {
            arity(2, 2)?;
            let (ks, vs) = (list(&a[0])?, list(&a[1])?);
            if ks.len() != vs.len() {
                return Err("the key and value lists differ in length".into());
            }
            let mut out = BTreeMap::new();
            for (k, v) in ks.iter().zip(vs) {
                out.insert(string(k)?, v);
            }
            Ok(Val::Map(out))
        }
        "contains" => {
            arity(2, 2)?;
            Ok(Val::Bool(list(&a[0])?.iter().any(|v| equal(v, &a[1]))))
        }
        "index" => {
            arity(2, 2)?;
            list(&a[0])?
                .iter()
                .position(|v| equal(v, &a[1]))
                .map(|i| Val::Num(i as f64))
                .ok_or_else(|| "item not found".to_string())
        }
        "element" => {
            arity(2, 2)?;
            let l = list(&a[0])?;
            if l.is_empty() {
                return Err("cannot use element on an empty list".into());
            }
            let i = int(&a[1])?;
            if i < 0 {
                return Err("index must not be negative".into());
            }
            Ok(l[i as usize % l.len()].clone())
        }
        "slice" => {
            arity(3, 3)?;
            let l = list(&a[0])?;
            let (s, e) = (int(&a[1])?, int(&a[2])?);
            if s < 0 || e < s || e as usize > l.len() {
                return Err(format!("invalid range {s}..{e} for a list of {}", l.len()));
            }
            Ok(Val::List(l[s as usize..e as usize].to_vec()))
        }
        "one" => {
            arity(1, 1)?;
            let l = list(&a[0])?;
            match l.len() {
                0 => Ok(Val::Null),
                1 => Ok(l[0].clone()),
                k => Err(format!(
                    "must be given a list of zero or one element, got {k}"
                )),
            }
        }
        "compact" => {
            arity(1, 1)?;
            Ok(Val::List(
                list(&a[0])?
                    .into_iter()
                    .filter(|v| !matches!(v, Val::Null) && v != &Val::str(""))
                    .collect(),
            ))
        }
        "coalesce" => {
            for v in a {
                match v {
                    Val::Unknown(o) => return Ok(Val::Unknown(o.clone())),
                    Val::Null => {}
                    Val::Str(s) if s.is_empty() => {}
                    v => return Ok(v.clone()),
                }
            }
            Err("no non-null, non-empty argument".into())
        }
        "coalescelist" => {
            for v in a {
                let l = list(v)?;
                if !l.is_empty() {
                    return Ok(Val::List(l));
                }
            }
            Ok(Val::List(Vec::new()))
        }
        "jsonencode" => {
            arity(1, 1)?;
            serde_json::to_string(&a[0].to_json())
                .map(Val::Str)
                .map_err(|e| e.to_string())
        }
        "jsondecode" => {
            arity(1, 1)?;
            let s = string(&a[0])?;
            serde_json::from_str::<serde_json::Value>(&s)
                .map(|v| Val::from_json(&v))
                .map_err(|e| format!("invalid JSON: {e}"))
        }
        "base64encode" => {
            arity(1, 1)?;
            Ok(Val::Str(b64_encode(string(&a[0])?.as_bytes())))
        }
        "base64decode" => {
            arity(1, 1)?;
            let bytes = b64_decode(&string(&a[0])?).ok_or("invalid base64")?;
            String::from_utf8(bytes)
                .map(Val::Str)
                .map_err(|_| "the decoded bytes are not UTF-8".into())
        }
        "cidrsubnet" => {
            arity(3, 3)?;
            cidr::subnet(&string(&a[0])?, int(&a[1])?, int(&a[2])?).map(Val::Str)
        }
        "cidrhost" => {
            arity(2, 2)?;
            cidr::host(&string(&a[0])?, int(&a[1])?).map(Val::Str)
        }
        "abs" | "ceil" | "floor" => {
            arity(1, 1)?;
            let x = num(&a[0])?;
            Ok(Val::Num(match name {
                "abs" => x.abs(),
                "ceil" => x.ceil(),
                _ => x.floor(),
            }))
        }
        "min" | "max" => {
            let xs: Vec<f64> = a.iter().map(num).collect::<Result<_, _>>()?;
            let r = if name == "min" {
                xs.iter().cloned().reduce(f64::min)
            } else {
                xs.iter().cloned().reduce(f64::max)
            };
            r.map(Val::Num)
                .ok_or_else(|| "takes at least 1 argument".into())
        }
        "sum" => {
            arity(1, 1)?;
            let l = list(&a[0])?;
            if l.is_empty() {
                return Err("cannot sum an empty list".into());
            }
            Ok(Val::Num(l.iter().map(num).sum::<Result<f64, _>>()?))
        }
        "range" => {
            arity(1, 3)?;
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
                out.push(Val::Num(x));
                x += step;
                if out.len() > 1024 {
                    return Err("range too long (over 1024 elements)".into());
                }
            }
            Ok(Val::List(out))
        }
        "alltrue" | "anytrue" => {
            arity(1, 1)?;
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
        }
        // Decided at apply time.
        "timestamp" | "uuid" => Ok(Val::unknown()),
        _ => Err(format!("unknown function `{name}`")),
    }
}

fn show(v: &Val) -> String {
    v.to_str()
        .map(|s| format!("`{s}`"))
        .unwrap_or_else(|| format!("a {}", v.type_name()))
}

fn string(v: &Val) -> Result<String, String> {
    v.to_str()
        .ok_or_else(|| format!("expected a string, got a {}", v.type_name()))
}

fn num(v: &Val) -> Result<f64, String> {
    v.as_num()
        .ok_or_else(|| format!("expected a number, got {}", show(v)))
}

fn int(v: &Val) -> Result<i64, String> {
    let n = num(v)?;
    if n.fract() != 0.0 {
        return Err(format!("expected a whole number, got {}", fmt_num(n)));
    }
    Ok(n as i64)
}

fn list(v: &Val) -> Result<Vec<Val>, String> {
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

/// Terraform's `format` verbs: %s %d %f %q %v %t %%, with width/precision.
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
            if d.is_ascii_digit() || d == '.' || d == '-' || d == '+' || d == '#' || d == ' ' {
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
        let (width, prec) = match flags
            .trim_start_matches(['-', '+', '#', ' '])
            .split_once('.')
        {
            Some((w, p)) => (w.parse::<usize>().ok(), p.parse::<usize>().ok()),
            None => (
                flags
                    .trim_start_matches(['-', '+', '#', ' '])
                    .parse::<usize>()
                    .ok(),
                None,
            ),
        };
        let s = match verb {
            's' | 'v' => match arg {
                Val::List(_) | Val::Map(_) | Val::Res(..) if verb == 'v' => {
                    serde_json::to_string(&arg.to_json()).map_err(|e| e.to_string())?
                }
                _ => string(arg)?,
            },
            'q' => serde_json::to_string(&string(arg)?).map_err(|e| e.to_string())?,
            'd' => format!("{}", int(arg)?),
            'f' => format!("{:.*}", prec.unwrap_or(6), num(arg)?),
            't' => arg.as_bool().ok_or("%t needs a bool")?.to_string(),
            'x' => format!("{:x}", int(arg)?),
            'X' => format!("{:X}", int(arg)?),
            'o' => format!("{:o}", int(arg)?),
            'b' => format!("{:b}", int(arg)?),
            other => return Err(format!("unsupported format verb `%{other}`")),
        };
        let pad = width.unwrap_or(0).saturating_sub(s.chars().count());
        if flags.starts_with('-') {
            out.push_str(&s);
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            let fill = if flags.starts_with('0') && matches!(verb, 'd' | 'f') {
                '0'
            } else {
                ' '
            };
            out.extend(std::iter::repeat_n(fill, pad));
            out.push_str(&s);
        }
    }
    Ok(out)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_encode(b: &[u8]) -> String {
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for ch in s.trim_end_matches('=').bytes() {
        let v = B64.iter().position(|&c| c == ch)? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits & 0xFF) as u8);
        }
    }
    Some(out)
}

/// `cidrsubnet` and `cidrhost` for IPv4 and IPv6.
mod cidr {
    use std::net::IpAddr;

    fn parse(prefix: &str) -> Result<(u128, u32, bool), String> {
        let (ip, len) = prefix
            .split_once('/')
            .ok_or_else(|| format!("`{prefix}` is not a CIDR prefix"))?;
        let ip: IpAddr = ip
            .parse()
            .map_err(|_| format!("`{prefix}` is not a CIDR prefix"))?;
        let len: u32 = len
            .parse()
            .map_err(|_| format!("`{prefix}` is not a CIDR prefix"))?;
        let (bits, v4, max) = match ip {
            IpAddr::V4(a) => (u32::from(a) as u128, true, 32),
            IpAddr::V6(a) => (u128::from(a), false, 128),
        };
        if len > max {
            return Err(format!("`{prefix}` has a prefix length over {max}"));
        }
        let width = if v4 { 32 } else { 128 };
        let host_bits = width - len;
        let all: u128 = if v4 { 0xFFFF_FFFF } else { u128::MAX };
        let mask = if host_bits >= 128 {
            0
        } else {
            (u128::MAX << host_bits) & all
        };
        Ok((bits & mask, len, v4))
    }

    fn show(addr: u128, v4: bool) -> String {
        if v4 {
            std::net::Ipv4Addr::from(addr as u32).to_string()
        } else {
            std::net::Ipv6Addr::from(addr).to_string()
        }
    }

    pub fn subnet(prefix: &str, newbits: i64, netnum: i64) -> Result<String, String> {
        let (base, len, v4) = parse(prefix)?;
        let width = if v4 { 32 } else { 128 };
        let new_len = len as i64 + newbits;
        if newbits < 0 || new_len > width {
            return Err(format!("cannot extend a /{len} prefix by {newbits} bits"));
        }
        if netnum < 0 || (newbits < 127 && netnum as u128 >= 1u128 << newbits) {
            return Err(format!(
                "network number {netnum} does not fit in {newbits} bits"
            ));
        }
        let shift = (width - new_len) as u32;
        let addr = base | (netnum as u128).checked_shl(shift).unwrap_or(0);
        Ok(format!("{}/{}", show(addr, v4), new_len))
    }

    pub fn host(prefix: &str, hostnum: i64) -> Result<String, String> {
        let (base, len, v4) = parse(prefix)?;
        let width = if v4 { 32 } else { 128 };
        let size = if width - len >= 127 {
            u128::MAX
        } else {
            1u128 << (width - len)
        };
        let h = if hostnum < 0 {
            size.checked_sub(hostnum.unsigned_abs() as u128)
        } else {
            Some(hostnum as u128)
        };
        match h {
            Some(h) if h < size => Ok(show(base | h, v4)),
            _ => Err(format!("host number {hostnum} does not fit in `{prefix}`")),
        }
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

    /// One row per function: name, arguments, expected result (Err = message part).
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
            ("length", vec![l(&[u.clone(), s("a")])], Ok(Val::Num(2.0))),
            ("length", vec![s("héllo")], Ok(Val::Num(5.0))),
            ("length", vec![Val::Num(1.0)], Err("length")),
            (
                "contains",
                vec![l(&[s("a"), s("b")]), s("b")],
                Ok(Val::Bool(true)),
            ),
            (
                "contains",
                vec![l(&[Val::Num(1.0)]), Val::Num(2.0)],
                Ok(Val::Bool(false)),
            ),
            (
                "contains",
                vec![l(std::slice::from_ref(&u)), s("a")],
                Ok(u.clone()),
            ),
            (
                "format",
                vec![
                    s("%s-%03d-%.1f %q %%"),
                    s("a"),
                    Val::Num(7.0),
                    Val::Num(2.25),
                    s("q"),
                ],
                Ok(s("a-007-2.2 \"q\" %")),
            ),
            ("format", vec![s("%s")], Err("not enough")),
            ("join", vec![s(","), l(&[s("a"), s("b")])], Ok(s("a,b"))),
            ("join", vec![s(",")], Err("at least 2")),
            ("split", vec![s(","), s("a,b")], Ok(l(&[s("a"), s("b")]))),
            ("lower", vec![s("AbC")], Ok(s("abc"))),
            ("upper", vec![s("AbC")], Ok(s("ABC"))),
            ("replace", vec![s("a-b-c"), s("-"), s("_")], Ok(s("a_b_c"))),
            (
                "jsonencode",
                vec![m(&[
                    ("b", l(&[Val::Num(1.0), Val::Bool(true)])),
                    ("a", Val::Null),
                ])],
                Ok(s("{\"a\":null,\"b\":[1,true]}")),
            ),
            ("jsonencode", vec![m(&[("a", u.clone())])], Ok(u.clone())),
            (
                "jsondecode",
                vec![s("{\"a\":[1,\"x\"]}")],
                Ok(m(&[("a", l(&[Val::Num(1.0), s("x")]))])),
            ),
            ("jsondecode", vec![s("{")], Err("invalid JSON")),
            (
                "cidrsubnet",
                vec![s("10.0.0.0/16"), Val::Num(8.0), Val::Num(2.0)],
                Ok(s("10.0.2.0/24")),
            ),
            (
                "cidrsubnet",
                vec![s("10.1.2.0/24"), Val::Num(4.0), Val::Num(15.0)],
                Ok(s("10.1.2.240/28")),
            ),
            (
                "cidrsubnet",
                vec![
                    s("fd00:fd12:3456:7890::/56"),
                    Val::Num(16.0),
                    Val::Num(162.0),
                ],
                Ok(s("fd00:fd12:3456:7800:a200::/72")),
            ),
            (
                "cidrsubnet",
                vec![s("10.0.0.0/30"), Val::Num(4.0), Val::Num(0.0)],
                Err("cannot extend"),
            ),
            (
                "cidrsubnet",
                vec![s("10.0.0.0/16"), Val::Num(2.0), Val::Num(4.0)],
                Err("does not fit"),
            ),
            (
                "cidrsubnet",
                vec![s("nope"), Val::Num(2.0), Val::Num(0.0)],
                Err("not a CIDR"),
            ),
            (
                "cidrsubnet",
                vec![s("0.0.0.0/0"), Val::Num(0.0), Val::Num(0.0)],
                Ok(s("0.0.0.0/0")),
            ),
            (
                "cidrsubnet",
                vec![s("::/0"), Val::Num(0.0), Val::Num(0.0)],
                Ok(s("::/0")),
            ),
            (
                "cidrhost",
                vec![s("10.12.112.0/20"), Val::Num(16.0)],
                Ok(s("10.12.112.16")),
            ),
            (
                "element",
                vec![l(&[s("a"), s("b")]), Val::Num(3.0)],
                Ok(s("b")),
            ),
            ("element", vec![l(&[]), Val::Num(0.0)], Err("empty")),
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
                vec![l(&[s("a")]), l(&[Val::Num(1.0)])],
                Ok(m(&[("a", Val::Num(1.0))])),
            ),
            (
                "compact",
                vec![l(&[s("a"), s(""), Val::Null])],
                Ok(l(&[s("a")])),
            ),
            ("base64encode", vec![s("hello")], Ok(s("aGVsbG8="))),
            ("base64decode", vec![s("aGVsbG8=")], Ok(s("hello"))),
            (
                "substr",
                vec![s("hello world"), Val::Num(1.0), Val::Num(4.0)],
                Ok(s("ello")),
            ),
            (
                "range",
                vec![Val::Num(3.0)],
                Ok(l(&[Val::Num(0.0), Val::Num(1.0), Val::Num(2.0)])),
            ),
            ("max", vec![Val::Num(3.0), Val::Num(9.0)], Ok(Val::Num(9.0))),
            ("title", vec![s("hello world")], Ok(s("Hello World"))),
            ("trimprefix", vec![s("mcp-x"), s("mcp-")], Ok(s("x"))),
            (
                "formatlist",
                vec![s("%s!"), l(&[s("a"), s("b")])],
                Ok(l(&[s("a!"), s("b!")])),
            ),
            ("tostring", vec![Val::Num(5.0)], Ok(s("5"))),
            ("tonumber", vec![s("5")], Ok(Val::Num(5.0))),
            ("tobool", vec![s("yes")], Err("cannot convert")),
            ("timestamp", vec![], Ok(u.clone())),
            ("nosuch", vec![], Err("unknown function")),
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
