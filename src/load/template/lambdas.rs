//! The lambda functions: `map`, `filter`, `reduce`, `sort`, `toObject`,
//! `groupBy`, `mapValues`, each taking `lambda('x', …, body)`.

use crate::inventory::value::Map;
use crate::inventory::{Unknown, Value};
use crate::policy::expr::Expr;
use crate::policy::functions::{self, canonical};

use super::eval::{eval, Scope};

/// A `lambda(...)` argument: its variable names and its body.
struct Lambda<'e> {
    vars: Vec<String>,
    body: &'e Expr,
}

fn lambda<'e>(e: Option<&'e Expr>, scope: &Scope) -> Result<Lambda<'e>, String> {
    let Some(Expr::Call(n, args)) = e else {
        return Err("expected a `lambda(...)` argument".into());
    };
    if n != "lambda" || args.is_empty() {
        return Err("expected a `lambda(...)` argument".into());
    }
    let (body, names) = args.split_last().expect("not empty");
    let vars = names
        .iter()
        .map(|a| match eval(a, scope)? {
            Value::String(s) => Ok(s),
            _ => Err("a lambda variable name must be a string".to_string()),
        })
        .collect::<Result<_, String>>()?;
    Ok(Lambda { vars, body })
}

impl Lambda<'_> {
    fn apply(&self, scope: &Scope, vals: &[Value]) -> Result<Value, String> {
        let bound = self
            .vars
            .iter()
            .cloned()
            .zip(vals.iter().cloned())
            .collect();
        eval(self.body, &scope.with(None, bound))
    }
}

pub fn call(name: &str, args: &[Expr], scope: &Scope) -> Result<Value, String> {
    let input = eval(
        args.first()
            .ok_or_else(|| format!("`{name}` needs arguments"))?,
        scope,
    )?;
    if input.is_unknown() {
        return Ok(Unknown::because(format!(
            "{name}() input (known at deployment)"
        )));
    }
    if name == "mapvalues" {
        let f = lambda(args.get(1), scope)?;
        let mut out = Map::new();
        for (k, v) in input.as_object().ok_or("mapValues needs an object")? {
            out.insert(k.clone(), f.apply(scope, std::slice::from_ref(v))?);
        }
        return Ok(Value::Object(out));
    }
    let items = input
        .as_array()
        .ok_or_else(|| format!("`{name}` needs an array"))?
        .clone();
    match name {
        "map" => {
            let f = lambda(args.get(1), scope)?;
            let out = items
                .iter()
                .enumerate()
                .map(|(i, x)| f.apply(scope, &[x.clone(), index(i)]))
                .collect::<Result<_, _>>()?;
            Ok(Value::Array(out))
        }
        "filter" => {
            let f = lambda(args.get(1), scope)?;
            let mut out = Vec::new();
            for (i, x) in items.iter().enumerate() {
                let keep = f.apply(scope, &[x.clone(), index(i)])?;
                if keep.has_unknown() {
                    return Ok(Unknown::because("filter() predicate (known at deployment)"));
                }
                if functions::truthy(&keep)? {
                    out.push(x.clone());
                }
            }
            Ok(Value::Array(out))
        }
        "reduce" => {
            let mut acc = eval(args.get(1).ok_or("`reduce` needs an initial value")?, scope)?;
            let f = lambda(args.get(2), scope)?;
            for (i, x) in items.iter().enumerate() {
                acc = f.apply(scope, &[acc, x.clone(), index(i)])?;
            }
            Ok(acc)
        }
        "sort" => sort(items, args, scope),
        "toobject" => {
            let key = lambda(args.get(1), scope)?;
            let val = args.get(2).map(|a| lambda(Some(a), scope)).transpose()?;
            let mut out = Map::new();
            for x in &items {
                let k = key.apply(scope, std::slice::from_ref(x))?;
                if k.has_unknown() {
                    return Ok(Unknown::because("toObject() key (known at deployment)"));
                }
                let v = match &val {
                    Some(f) => f.apply(scope, std::slice::from_ref(x))?,
                    None => x.clone(),
                };
                out.insert(canonical(&k), v);
            }
            Ok(Value::Object(out))
        }
        _ => {
            // groupBy
            let key = lambda(args.get(1), scope)?;
            let mut out = Map::new();
            for x in &items {
                let k = key.apply(scope, std::slice::from_ref(x))?;
                if k.has_unknown() {
                    return Ok(Unknown::because("groupBy() key (known at deployment)"));
                }
                match out
                    .entry(canonical(&k))
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    Value::Array(a) => a.push(x.clone()),
                    _ => unreachable!("inserted an array"),
                }
            }
            Ok(Value::Object(out))
        }
    }
}

fn index(i: usize) -> Value {
    Value::from(serde_json::json!(i))
}

/// `sort(array, lambda('a', 'b', less))`: a stable insertion sort, so that an
/// unknown comparison stops it as unknown instead of ordering at random.
fn sort(mut items: Vec<Value>, args: &[Expr], scope: &Scope) -> Result<Value, String> {
    let f = lambda(args.get(1), scope)?;
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 {
            let less = f.apply(scope, &[items[j].clone(), items[j - 1].clone()])?;
            if less.has_unknown() {
                return Ok(Unknown::because("sort() comparison (known at deployment)"));
            }
            if !functions::truthy(&less)? {
                break;
            }
            items.swap(j, j - 1);
            j -= 1;
        }
    }
    Ok(Value::Array(items))
}
