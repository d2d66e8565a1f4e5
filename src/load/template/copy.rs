//! `copy` loops: of properties and variables (here), and the count every loop
//! shares, with ARM's limit of 800 iterations (resource loops are expanded by
//! [`super::expand`]).

use serde_json::Value as Json;

use super::eval::{eval_json, eval_str, key, object_with_unknown_key, Failed, Scope};
use crate::inventory::value::Map;
use crate::inventory::{Unknown, Value};

/// ARM's limit on one `copy` loop.
pub const MAX_COPY: i64 = 800;

/// A loop's count: `None` while it is not known before deployment. Over 800,
/// or negative, is an error ARM gives too.
pub fn count(raw: Option<&Json>, scope: &Scope, loop_name: &str) -> Result<Option<usize>, Failed> {
    let raw = raw.ok_or_else(|| Failed::from(format!("copy loop `{loop_name}` has no `count`")))?;
    let v = eval_json(raw, scope)?;
    if v.has_unknown() {
        return Ok(None);
    }
    let n = crate::policy::functions::call("int", &[v], scope.deployment)
        .map_err(|e| Failed::from(format!("copy loop `{loop_name}`: {e}")))?
        .as_i64()
        .unwrap_or(-1);
    let at = |m: String| match raw {
        Json::String(s) => Failed::from(m).at(s),
        _ => Failed::from(m),
    };
    if n > MAX_COPY {
        return Err(at(format!(
            "copy loop `{loop_name}` has count {n}: ARM allows at most {MAX_COPY}"
        )));
    }
    usize::try_from(n).map(Some).map_err(|_| {
        at(format!(
            "copy loop `{loop_name}` has a negative count ({n})"
        ))
    })
}

/// The name of a loop, which must be a known string.
pub fn loop_name(l: &Json, scope: &Scope) -> Result<String, Failed> {
    match l.get("name") {
        Some(Json::String(s)) => match eval_str(s, scope)? {
            Value::String(n) => Ok(n),
            _ => Err(Failed::from(format!(
                "copy loop name `{s}` is not known before deployment"
            ))
            .at(s)),
        },
        _ => Err("a copy loop needs a `name`".into()),
    }
}

/// Evaluates a value whose objects may hold property loops
/// (`"copy": [{"name", "count", "input"}]`), which become arrays.
pub fn eval_with_loops(v: &Json, scope: &Scope) -> Result<Value, Failed> {
    match v {
        Json::Object(m) if matches!(m.get("copy"), Some(Json::Array(_))) => {
            let mut out = Map::new();
            for (k, x) in m.iter().filter(|(k, _)| k.as_str() != "copy") {
                let Some(k) = key(k, scope)? else {
                    return Ok(object_with_unknown_key(k));
                };
                out.insert(k, eval_with_loops(x, scope)?);
            }
            for l in m["copy"].as_array().into_iter().flatten() {
                let name = loop_name(l, scope)?;
                let input = l
                    .get("input")
                    .ok_or_else(|| Failed::from(format!("copy loop `{name}` has no `input`")))?;
                let items = iterate(l, &name, input, scope)?;
                out.insert(name, items);
            }
            Ok(Value::Object(out))
        }
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let Some(k) = key(k, scope)? else {
                    return Ok(object_with_unknown_key(k));
                };
                out.insert(k, eval_with_loops(x, scope)?);
            }
            Ok(Value::Object(out))
        }
        Json::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(|x| eval_with_loops(x, scope))
                .collect::<Result<_, _>>()?,
        )),
        other => eval_json(other, scope),
    }
}

/// One loop's items: `input` evaluated for each index.
fn iterate(l: &Json, name: &str, input: &Json, scope: &Scope) -> Result<Value, Failed> {
    match count(l.get("count"), scope, name)? {
        None => Ok(Unknown::because(format!(
            "copy loop `{name}` (its count is known at deployment)"
        ))),
        Some(n) => (0..n)
            .map(|i| {
                let inner = scope.with(
                    Some((name.to_string(), Value::from(serde_json::json!(i)))),
                    vec![],
                );
                eval_with_loops(input, &inner)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
    }
}

/// A variable defined by the variables section's own `copy` loops.
pub fn variable_loop(n: &str, scope: &Scope) -> Result<Option<Value>, Failed> {
    let Some(Json::Array(loops)) = scope.vars.loops() else {
        return Ok(None);
    };
    for l in loops {
        let name = loop_name(l, scope)?;
        if name.eq_ignore_ascii_case(n) {
            let input = l
                .get("input")
                .ok_or_else(|| Failed::from(format!("copy loop `{name}` has no `input`")))?;
            return iterate(l, &name, input, scope).map(Some);
        }
    }
    Ok(None)
}
