//! String functions, and the two that build partly known strings.

use base64::Engine as _;
use serde_json::json;

use super::values::{as_i64, canonical};
use super::{arg, arg_str};
use crate::inventory::{Part, Partial, Value};

/// `concat` and `format` over arguments some of which are not known: a partly
/// known string (`img:{unknown}`). `None` when the ordinary path applies.
pub(super) fn partial_call(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    let partly = args
        .iter()
        .any(|a| matches!(a, Value::Unknown(_) | Value::Partial(_)));
    if !partly {
        return None;
    }
    match name {
        "concat" if !args.iter().any(Value::is_array) => Some(Ok(Partial::build(
            args.iter().flat_map(parts).collect(),
            None,
        ))),
        // A string with a known character in it is not empty, whatever its gaps hold.
        "empty" => match args.first() {
            Some(Value::Partial(p))
                if p.parts
                    .iter()
                    .any(|x| matches!(x, Part::Lit(l) if !l.is_empty())) =>
            {
                Some(Ok(Value::Bool(false)))
            }
            _ => None,
        },
        "format" => match args.first() {
            Some(Value::String(f)) => Some(format_parts(f, &args[1..])),
            _ => None,
        },
        _ => None,
    }
}

/// A value as parts of a string: a known value as text, an unknown as a gap.
pub(super) fn parts(v: &Value) -> Vec<Part> {
    match v {
        Value::Partial(p) => p.parts.clone(),
        Value::Unknown(_) => vec![Part::Gap],
        other => vec![Part::Lit(canonical(other))],
    }
}

/// `format('{0}-{1}', …)` as parts; `{{` and `}}` are literal braces.
fn format_parts(f: &str, args: &[Value]) -> Result<Value, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                lit.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                lit.push('}');
            }
            '{' => {
                let spec: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let n: usize = spec
                    .split([':', ','])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .parse()
                    .map_err(|_| format!("format(): `{{{spec}}}` is not a placeholder"))?;
                let v = args
                    .get(n)
                    .ok_or_else(|| format!("format(): no argument {n} for `{{{spec}}}`"))?;
                out.push(Part::Lit(std::mem::take(&mut lit)));
                out.extend(parts(v));
            }
            c => lit.push(c),
        }
    }
    out.push(Part::Lit(lit));
    Ok(Partial::build(out, None))
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

/// The functions of this group; `None` when `name` is not one of them.
pub(super) fn call(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    let a = |n: usize| arg_str(name, args, n);
    let out = match name {
        "concat" => Ok(concat(args)),
        "format" => a(0).and_then(|f| format_parts(&f, &args[1..])),
        "tolower" => a(0).map(|x| s(x.to_lowercase())),
        "toupper" => a(0).map(|x| s(x.to_uppercase())),
        "trim" => a(0).map(|x| s(x.trim())),
        "replace" => (|| Ok(s(a(0)?.replace(&a(1)?, &a(2)?))))(),
        "split" => split(name, args),
        "startswith" => (|| {
            Ok(Value::Bool(
                a(0)?.to_lowercase().starts_with(&a(1)?.to_lowercase()),
            ))
        })(),
        "endswith" => (|| {
            Ok(Value::Bool(
                a(0)?.to_lowercase().ends_with(&a(1)?.to_lowercase()),
            ))
        })(),
        "indexof" | "lastindexof" => index_of(name, args),
        "substring" => substring(name, args),
        "padleft" => pad_left(name, args),
        "join" => (|| {
            let items = arg(name, args, 0)?.as_array().cloned().unwrap_or_default();
            Ok(s(items
                .iter()
                .map(canonical)
                .collect::<Vec<_>>()
                .join(&a(1)?)))
        })(),
        "string" => arg(name, args, 0).map(|v| s(canonical(v))),
        "base64" => a(0).map(|x| s(base64::engine::general_purpose::STANDARD.encode(x))),
        "base64tostring" => a(0).and_then(|x| decode64(&x)).map(s),
        "base64tojson" => a(0)
            .and_then(|x| decode64(&x))
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string()))
            .map(Value::from),
        "datauri" => a(0).map(|x| {
            s(format!(
                "data:text/plain;charset=utf8;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(x)
            ))
        }),
        "datauritostring" => a(0).and_then(|x| {
            let (_, data) = x
                .split_once(";base64,")
                .ok_or_else(|| format!("dataUriToString: `{x}` is not a base64 data URI"))?;
            decode64(data).map(s)
        }),
        "uricomponent" => a(0).map(|x| s(percent_encode(&x))),
        "uricomponenttostring" => a(0).and_then(|x| percent_decode(&x)).map(s),
        "uri" => (|| Ok(s(uri(&a(0)?, &a(1)?))))(),
        _ => return None,
    };
    Some(out)
}

fn concat(args: &[Value]) -> Value {
    if args.iter().all(Value::is_array) {
        Value::Array(
            args.iter()
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                .collect(),
        )
    } else {
        s(args.iter().map(canonical).collect::<String>())
    }
}

fn split(name: &str, args: &[Value]) -> Result<Value, String> {
    let text = arg_str(name, args, 0)?;
    let seps: Vec<String> = match arg(name, args, 1)? {
        Value::Array(a) => a.iter().map(canonical).collect(),
        v => vec![canonical(v)],
    };
    let mut pieces = vec![text];
    for sep in seps.iter().filter(|s| !s.is_empty()) {
        pieces = pieces
            .iter()
            .flat_map(|p| {
                p.split(sep.as_str())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    Ok(Value::Array(pieces.into_iter().map(s).collect()))
}

fn index_of(name: &str, args: &[Value]) -> Result<Value, String> {
    let hay = arg(name, args, 0)?;
    let needle = arg(name, args, 1)?;
    let found = match hay {
        Value::Array(a) => {
            let mut it = a
                .iter()
                .enumerate()
                .filter(|(_, x)| super::loose_eq(x, needle));
            if name == "indexof" {
                it.next()
            } else {
                it.next_back()
            }
            .map(|(i, _)| i)
        }
        v => {
            let (h, n) = (
                canonical(v).to_lowercase(),
                canonical(needle).to_lowercase(),
            );
            let byte = if name == "indexof" {
                h.find(&n)
            } else {
                h.rfind(&n)
            };
            byte.map(|b| h[..b].chars().count())
        }
    };
    Ok(json!(found.map(|i| i as i64).unwrap_or(-1)).into())
}

fn substring(name: &str, args: &[Value]) -> Result<Value, String> {
    let text: Vec<char> = arg_str(name, args, 0)?.chars().collect();
    let start = usize::try_from(as_i64(arg(name, args, 1)?)?).map_err(|_| "negative start")?;
    let len = match args.get(2) {
        Some(v) => usize::try_from(as_i64(v)?).map_err(|_| "negative length")?,
        None => text.len().saturating_sub(start),
    };
    if start + len > text.len() {
        return Err(format!("substring({start}, {len}) is out of range"));
    }
    Ok(s(text[start..start + len].iter().collect::<String>()))
}

fn pad_left(name: &str, args: &[Value]) -> Result<Value, String> {
    let text = arg_str(name, args, 0)?;
    let width = usize::try_from(as_i64(arg(name, args, 1)?)?).unwrap_or(0);
    if width > 16_384 {
        return Err(format!(
            "padLeft: width {width} is over 16384 (ARM's limit)"
        ));
    }
    let pad = args
        .get(2)
        .map(canonical)
        .and_then(|p| p.chars().next())
        .unwrap_or(' ');
    let n = width.saturating_sub(text.chars().count());
    Ok(s(format!("{}{text}", pad.to_string().repeat(n))))
}

fn decode64(x: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(x.trim())
        .map_err(|e| format!("`{x}` is not base64: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "the decoded text is not UTF-8".to_string())
}

/// RFC 3986: everything but the unreserved characters is escaped.
fn percent_encode(x: &str) -> String {
    let mut out = String::new();
    for b in x.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(x: &str) -> Result<String, String> {
    let bytes = x.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = x
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("`{x}` has a bad escape"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the decoded text is not UTF-8".to_string())
}

/// `uri(base, relative)`: an absolute relative URI wins; otherwise it
/// replaces what follows the base's last `/`.
fn uri(base: &str, rel: &str) -> String {
    if rel.contains("://") {
        return rel.to_string();
    }
    if let Some(path) = rel.strip_prefix('/') {
        let origin_end = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
            .unwrap_or(base.len());
        return format!("{}/{path}", &base[..origin_end]);
    }
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") || !base.contains("://") => {
            format!("{}/{rel}", &base[..i])
        }
        _ => format!("{base}/{rel}"),
    }
}
