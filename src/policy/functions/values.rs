//! Comparison, logical, numeric, array and object functions, and the value
//! rules they share (ARM compares strings case-insensitively).

use std::cmp::Ordering;

use serde_json::json;

use super::{arg, arg_str};
use crate::inventory::value::Map;
use crate::inventory::Value;

/// The string form Azure compares with: bool → `true`/`false`, numbers as written.
pub fn canonical(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other
            .to_json()
            .map(|j| j.to_string())
            .unwrap_or_else(|| other.to_string()),
    }
}

pub fn truthy(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(format!("expected a boolean, got `{}`", canonical(other))),
    }
}

pub fn as_i64(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or("bad number".into()),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an integer")),
        other => Err(format!("expected an integer, got `{}`", canonical(other))),
    }
}

/// Case-insensitive equality as Azure's `equals` does it.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| loose_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| k.eq_ignore_ascii_case(k2) && loose_eq(v, v2))
                })
        }
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => false,
        _ => canonical(a).eq_ignore_ascii_case(&canonical(b)),
    }
}

/// Orders numbers, strings (case-insensitively) and numbers written as strings.
pub fn compare(a: &Value, b: &Value) -> Result<Ordering, String> {
    let num = |v: &Value| -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    match (a, b) {
        (Value::String(x), Value::String(y)) => {
            Ok(x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()))
        }
        (Value::Number(_), _) | (_, Value::Number(_)) => match (num(a), num(b)) {
            (Some(x), Some(y)) => x
                .partial_cmp(&y)
                .ok_or_else(|| "numbers cannot be compared".to_string()),
            _ => Err(format!(
                "cannot compare `{}` with `{}`",
                canonical(a),
                canonical(b)
            )),
        },
        _ => Err(format!(
            "cannot compare `{}` with `{}`",
            canonical(a),
            canonical(b)
        )),
    }
}

fn j(v: serde_json::Value) -> Value {
    v.into()
}

/// The functions of this group; `None` when `name` is not one of them.
pub(super) fn call(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    let out = match name {
        "and" | "or" => logical(name, args),
        "not" => arg(name, args, 0).and_then(truthy).map(|b| j(json!(!b))),
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "null" => Ok(Value::Null),
        "bool" => arg(name, args, 0).and_then(truthy).map(Value::Bool),
        "equals" => two(name, args).map(|(a, b)| Value::Bool(loose_eq(a, b))),
        "less" | "lessorequals" | "greater" | "greaterorequals" => ordered(name, args),
        "add" | "sub" | "mul" | "div" | "mod" => arithmetic(name, args),
        "int" => arg(name, args, 0).and_then(as_i64).map(|n| j(json!(n))),
        "float" => arg_str(name, args, 0).and_then(|s| {
            s.trim()
                .parse::<f64>()
                .map_err(|e| e.to_string())
                .map(|f| j(json!(f)))
        }),
        "min" | "max" => min_max(name, args),
        "range" => range(name, args),
        "array" => arg(name, args, 0).map(|v| match v {
            Value::Array(_) => v.clone(),
            other => Value::Array(vec![other.clone()]),
        }),
        "createarray" => Ok(Value::Array(args.to_vec())),
        "createobject" => create_object(args),
        "first" | "last" => ends(name, args),
        "length" => arg(name, args, 0).map(|v| {
            j(json!(match v {
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                Value::Null => 0,
                v => canonical(v).chars().count(),
            }))
        }),
        "empty" => arg(name, args, 0).map(|v| {
            Value::Bool(match v {
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                Value::Null => true,
                v => canonical(v).is_empty(),
            })
        }),
        "contains" => contains(name, args),
        "take" | "skip" => take_skip(name, args),
        "union" => Ok(union(args)),
        "intersection" => Ok(intersection(args)),
        "flatten" => arg(name, args, 0).map(|v| {
            Value::Array(
                v.as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|x| match x {
                        Value::Array(a) => a.clone(),
                        other => vec![other.clone()],
                    })
                    .collect(),
            )
        }),
        "indexfromend" | "tryindexfromend" => from_end(name, args),
        "items" => arg(name, args, 0).map(|v| {
            Value::Array(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| {
                        let mut m = Map::new();
                        m.insert("key".into(), Value::from(k.as_str()));
                        m.insert("value".into(), v.clone());
                        Value::Object(m)
                    })
                    .collect(),
            )
        }),
        "objectkeys" => arg(name, args, 0).map(|v| {
            Value::Array(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| Value::from(k.as_str()))
                    .collect(),
            )
        }),
        "shallowmerge" => arg(name, args, 0).map(|v| {
            let mut m = Map::new();
            for o in v.as_array().into_iter().flatten() {
                if let Some(o) = o.as_object() {
                    m.extend(o.clone());
                }
            }
            Value::Object(m)
        }),
        "json" => arg_str(name, args, 0).and_then(|s| {
            serde_json::from_str::<serde_json::Value>(&s)
                .map(Value::from)
                .map_err(|e| format!("json(): {e}"))
        }),
        "any" => arg(name, args, 0).cloned(),
        _ => return None,
    };
    Some(out)
}

fn two<'a>(name: &str, args: &'a [Value]) -> Result<(&'a Value, &'a Value), String> {
    Ok((arg(name, args, 0)?, arg(name, args, 1)?))
}

fn logical(name: &str, args: &[Value]) -> Result<Value, String> {
    let bs = args.iter().map(truthy).collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Bool(if name == "and" {
        bs.into_iter().all(|b| b)
    } else {
        bs.into_iter().any(|b| b)
    }))
}

fn ordered(name: &str, args: &[Value]) -> Result<Value, String> {
    let (a, b) = two(name, args)?;
    let o = compare(a, b)?;
    Ok(Value::Bool(match name {
        "less" => o.is_lt(),
        "lessorequals" => o.is_le(),
        "greater" => o.is_gt(),
        _ => o.is_ge(),
    }))
}

fn arithmetic(name: &str, args: &[Value]) -> Result<Value, String> {
    let (a, b) = (as_i64(arg(name, args, 0)?)?, as_i64(arg(name, args, 1)?)?);
    let r = match name {
        "add" => a.checked_add(b),
        "sub" => a.checked_sub(b),
        "mul" => a.checked_mul(b),
        "div" => a.checked_div(b),
        _ => a.checked_rem(b),
    };
    r.map(|n| j(json!(n)))
        .ok_or_else(|| format!("{name}({a}, {b}) overflows or divides by zero"))
}

fn min_max(name: &str, args: &[Value]) -> Result<Value, String> {
    let nums: Vec<i64> = match args {
        [Value::Array(a)] => a.iter().map(as_i64).collect::<Result<_, _>>()?,
        vs => vs.iter().map(as_i64).collect::<Result<_, _>>()?,
    };
    let r = if name == "min" {
        nums.iter().min()
    } else {
        nums.iter().max()
    };
    Ok(j(json!(r)))
}

/// `range(start, count)`: ARM limits the count to 10,000.
fn range(name: &str, args: &[Value]) -> Result<Value, String> {
    let (a, n) = (as_i64(arg(name, args, 0)?)?, as_i64(arg(name, args, 1)?)?);
    if !(0..=10_000).contains(&n) {
        return Err(format!(
            "range(): count {n} is outside 0..10000 (ARM's limit)"
        ));
    }
    Ok(Value::Array((a..a + n).map(|x| j(json!(x))).collect()))
}

fn create_object(args: &[Value]) -> Result<Value, String> {
    if !args.len().is_multiple_of(2) {
        return Err("createObject takes key, value pairs".into());
    }
    let mut m = Map::new();
    for pair in args.chunks(2) {
        m.insert(canonical(&pair[0]), pair[1].clone());
    }
    Ok(Value::Object(m))
}

fn ends(name: &str, args: &[Value]) -> Result<Value, String> {
    Ok(match arg(name, args, 0)? {
        Value::Array(a) => if name == "first" { a.first() } else { a.last() }
            .cloned()
            .unwrap_or(Value::Null),
        v => {
            let s = canonical(v);
            let c = if name == "first" {
                s.chars().next()
            } else {
                s.chars().last()
            };
            Value::from(c.map(String::from).unwrap_or_default())
        }
    })
}

fn contains(name: &str, args: &[Value]) -> Result<Value, String> {
    let (hay, needle) = two(name, args)?;
    let n = canonical(needle);
    Ok(Value::Bool(match hay {
        Value::Array(a) => a.iter().any(|x| loose_eq(x, needle)),
        Value::Object(o) => o.keys().any(|k| k.eq_ignore_ascii_case(&n)),
        v => canonical(v).to_lowercase().contains(&n.to_lowercase()),
    }))
}

fn take_skip(name: &str, args: &[Value]) -> Result<Value, String> {
    let n = usize::try_from(as_i64(arg(name, args, 1)?)?.max(0)).unwrap_or(0);
    let take = name == "take";
    Ok(match arg(name, args, 0)? {
        Value::Array(a) => Value::Array(if take {
            a.iter().take(n).cloned().collect()
        } else {
            a.iter().skip(n).cloned().collect()
        }),
        v => {
            let c = canonical(v);
            Value::from(if take {
                c.chars().take(n).collect::<String>()
            } else {
                c.chars().skip(n).collect()
            })
        }
    })
}

fn union(args: &[Value]) -> Value {
    if args.iter().all(Value::is_object) {
        let mut m = Map::new();
        for v in args {
            if let Value::Object(o) = v {
                m.extend(o.clone());
            }
        }
        return Value::Object(m);
    }
    let mut out: Vec<Value> = Vec::new();
    for x in args
        .iter()
        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
    {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    Value::Array(out)
}

fn intersection(args: &[Value]) -> Value {
    if args.iter().all(Value::is_object) {
        let Some(Value::Object(first)) = args.first() else {
            return Value::Object(Map::new());
        };
        let m = first
            .iter()
            .filter(|(k, v)| {
                args[1..]
                    .iter()
                    .all(|o| o.get(k).is_some_and(|w| loose_eq(v, w)))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        return Value::Object(m);
    }
    let first = args
        .first()
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Value::Array(
        first
            .into_iter()
            .filter(|x| {
                args[1..]
                    .iter()
                    .all(|v| v.as_array().is_some_and(|a| a.contains(x)))
            })
            .collect(),
    )
}

/// `indexFromEnd(array, n)`: the n-th element from the end (1 is the last);
/// `tryIndexFromEnd` gives null where the other is an error.
fn from_end(name: &str, args: &[Value]) -> Result<Value, String> {
    let (a, n) = two(name, args)?;
    let n = as_i64(n)?;
    let items = a.as_array().ok_or("indexFromEnd needs an array")?;
    let found = usize::try_from(n)
        .ok()
        .filter(|&n| n >= 1 && n <= items.len())
        .map(|n| items[items.len() - n].clone());
    match (found, name) {
        (Some(v), _) => Ok(v),
        (None, "tryindexfromend") => Ok(Value::Null),
        (None, _) => Err(format!("indexFromEnd: {n} is out of range")),
    }
}
