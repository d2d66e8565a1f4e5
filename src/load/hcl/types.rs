//! Variable type constraints: values are converted the way Terraform does
//! (`"3"` for a number, sets made unique, `optional()` object attributes
//! filled with their default or null, extra object attributes dropped).

use std::collections::BTreeMap;

use hcl::edit::expr::{Expression, ObjectKey};

use super::eval::{Eval, NoScope};
use super::funcs;
use super::value::Val;

/// Converts `v` to the type `ty`; the message says what did not fit.
pub fn convert(v: Val, ty: &Expression) -> Result<Val, String> {
    // Terraform 0.11 wrote `type = "string"`; Terraform 1.x rejects it.
    if let Expression::String(q) = ty {
        return Err(format!(
            "quoted type constraints are Terraform 0.11 syntax, which Terraform 1.x rejects; write `type = {}`",
            q.value()
        ));
    }
    if matches!(v, Val::Unknown(_) | Val::Null) {
        return Ok(v);
    }
    if matches!(v, Val::Partial(..)) {
        // A partly known string is a string; as any other type it is not known yet.
        let string =
            matches!(ty, Expression::Variable(n) if matches!(n.as_str(), "string" | "any"));
        return Ok(if string { v } else { v.settled() });
    }
    match ty {
        Expression::Parenthesis(p) => convert(v, p.inner()),
        Expression::Variable(name) => match name.as_str() {
            "any" => Ok(v),
            "string" => match &v {
                Val::Str(_) => Ok(v),
                Val::Num(_) | Val::Bool(_) => Ok(Val::Str(v.to_str().unwrap_or_default())),
                other => Err(format!("a string is required, got a {}", other.type_name())),
            },
            "number" => v
                .as_num()
                .map(Val::Num)
                .ok_or_else(|| format!("a number is required, got a {}", v.type_name())),
            "bool" => v
                .as_bool()
                .map(Val::Bool)
                .ok_or_else(|| format!("a bool is required, got a {}", v.type_name())),
            other => Err(format!("unknown type `{other}`")),
        },
        Expression::FuncCall(f) => {
            let arg = f.args.get(0);
            let name = f.name.name.as_str();
            match (name, arg) {
                ("list" | "set", Some(elem)) => {
                    let Val::List(items) = v else {
                        return Err(format!("a {name} is required, got a {}", v.type_name()));
                    };
                    let items = items
                        .into_iter()
                        .enumerate()
                        .map(|(i, x)| convert(x, elem).map_err(|m| format!("element {i}: {m}")))
                        .collect::<Result<Vec<_>, _>>()?;
                    if name == "set" && !items.iter().any(Val::has_unknown) {
                        funcs::call("toset", vec![Val::List(items)])
                    } else {
                        Ok(Val::List(items))
                    }
                }
                ("map", Some(elem)) => match v {
                    Val::Map(m) | Val::Res(m, _) => m
                        .into_iter()
                        .map(|(k, x)| {
                            convert(x, elem)
                                .map(|x| (k.clone(), x))
                                .map_err(|m| format!("key `{k}`: {m}"))
                        })
                        .collect::<Result<BTreeMap<_, _>, _>>()
                        .map(Val::Map),
                    other => Err(format!("a map is required, got a {}", other.type_name())),
                },
                ("tuple", Some(Expression::Array(types))) => match v {
                    Val::List(items) if items.len() == types.len() => items
                        .into_iter()
                        .zip(types.iter())
                        .map(|(x, t)| convert(x, t))
                        .collect::<Result<Vec<_>, _>>()
                        .map(Val::List),
                    other => Err(format!(
                        "a tuple of {} elements is required, got a {}",
                        types.len(),
                        other.type_name()
                    )),
                },
                ("object", Some(Expression::Object(attrs))) => {
                    let mut m = match v {
                        Val::Map(m) | Val::Res(m, _) => m,
                        other => {
                            return Err(format!(
                                "an object is required, got a {}",
                                other.type_name()
                            ))
                        }
                    };
                    let mut out = BTreeMap::new();
                    for (k, t) in attrs.iter() {
                        let key = match k {
                            ObjectKey::Ident(i) => i.as_str().to_string(),
                            ObjectKey::Expression(e) => match e {
                                Expression::Variable(i) => i.as_str().to_string(),
                                Expression::String(s) => s.value().clone(),
                                _ => continue,
                            },
                        };
                        let t = t.expr();
                        let optional = match t {
                            Expression::FuncCall(o) if o.name.name.as_str() == "optional" => {
                                Some(o)
                            }
                            _ => None,
                        };
                        let val = match (m.remove(&key), optional) {
                            (Some(x), Some(o)) if x != Val::Null => convert_opt(x, o)?,
                            (Some(x), None) => {
                                convert(x, t).map_err(|e| format!("attribute `{key}`: {e}"))?
                            }
                            (_, Some(o)) => match o.args.get(1) {
                                Some(d) => {
                                    let d = Eval::new(&NoScope).eval(d).map_err(|e| e.message)?;
                                    convert_opt(d, o)?
                                }
                                None => Val::Null,
                            },
                            (None, None) => return Err(format!("attribute `{key}` is required")),
                        };
                        out.insert(key, val);
                    }
                    Ok(Val::Map(out))
                }
                _ => Err(format!("unsupported type constraint `{name}(…)`")),
            }
        }
        _ => Err("unsupported type constraint".into()),
    }
}

fn convert_opt(v: Val, o: &hcl::edit::expr::FuncCall) -> Result<Val, String> {
    match o.args.get(0) {
        Some(t) => convert(v, t),
        None => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Expression {
        hcl::edit::parser::parse_expr(s).unwrap()
    }

    #[test]
    fn conversions() {
        assert_eq!(convert(Val::Num(3.0), &ty("string")), Ok(Val::str("3")));
        assert_eq!(convert(Val::str("3"), &ty("number")), Ok(Val::Num(3.0)));
        assert!(convert(Val::str("x"), &ty("number")).is_err());
        assert_eq!(
            convert(
                Val::List(vec![Val::str("b"), Val::str("a"), Val::str("b")]),
                &ty("set(string)")
            ),
            Ok(Val::List(vec![Val::str("a"), Val::str("b")]))
        );
        let obj = Val::Map(
            [
                ("image".to_string(), Val::str("i")),
                ("extra".to_string(), Val::Bool(true)),
            ]
            .into(),
        );
        let got = convert(
            Val::Map([("a".to_string(), obj)].into()),
            &ty("map(object({ image = string, port = optional(number, 8080), public = optional(bool) }))"),
        )
        .unwrap();
        assert_eq!(
            got,
            Val::Map(
                [(
                    "a".to_string(),
                    Val::Map(
                        [
                            ("image".to_string(), Val::str("i")),
                            ("port".to_string(), Val::Num(8080.0)),
                            ("public".to_string(), Val::Null),
                        ]
                        .into()
                    )
                )]
                .into()
            )
        );
        let q = convert(Val::unknown(), &ty("\"string\"")).unwrap_err();
        assert!(q.contains("Terraform 0.11 syntax"), "{q}");
        let e = convert(Val::Map(BTreeMap::new()), &ty("object({ image = string })")).unwrap_err();
        assert!(e.contains("attribute `image` is required"), "{e}");
    }
}
