//! Parameters: the values a parameters file (`azuredeploy.parameters.json`)
//! or a nested deployment gives, else the declared `defaultValue`, else
//! unknown (a note lists them). A Key Vault reference is unknown, present.

use serde_json::Value as Json;

use super::eval::{eval_json, Failed, Scope};
use crate::inventory::value::Map;
use crate::inventory::{Unknown, Value};

/// The values of a parameters file, by name; azd's `${NAME}` placeholders
/// substituted ([`super::azd`]).
pub fn parse_file(text: &str) -> Result<Map, String> {
    let v: Json = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let params = v.get("parameters").and_then(Json::as_object).ok_or(
        "a parameters file has a `parameters` object (the azuredeploy.parameters.json shape)",
    )?;
    let mut out = Map::new();
    let env = |n: &str| std::env::var(n).ok();
    for (name, p) in params {
        let v = match p.get("value") {
            Some(v) => super::azd::substitute(v, &env),
            None => given_value(name, p)?,
        };
        out.insert(name.clone(), v);
    }
    Ok(out)
}

/// One `{"value": …}` or `{"reference": …}` entry.
pub fn given_value(name: &str, p: &Json) -> Result<Value, String> {
    if let Some(v) = p.get("value") {
        return Ok(v.into());
    }
    if p.get("reference").is_some() {
        return Ok(Unknown::because(format!(
            "parameter `{name}` (a Key Vault reference, read at deployment)"
        )));
    }
    Err(format!(
        "parameter `{name}` has neither `value` nor `reference`"
    ))
}

/// The template's parameters with their values. `given` are already
/// evaluated; defaults are evaluated here, in an order where each default
/// may read the parameters before it (ARM allows any order without cycles).
pub fn resolve(
    declared: Option<&Json>,
    mut given: Map,
    scope: &Scope,
    unset: &mut Vec<String>,
) -> Result<Map, Failed> {
    let declared = declared
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(extra) = given
        .keys()
        .find(|k| !declared.keys().any(|d| d.eq_ignore_ascii_case(k)))
    {
        return Err(
            format!("parameter `{extra}` is given but the template does not declare it").into(),
        );
    }
    let mut out = Map::new();
    let mut pending: Vec<(&String, &Json)> = Vec::new();
    for (name, decl) in &declared {
        match given
            .keys()
            .find(|k| k.eq_ignore_ascii_case(name))
            .cloned()
            .and_then(|k| given.remove(&k))
        {
            Some(v) => {
                out.insert(name.clone(), v);
            }
            None => match decl.get("defaultValue") {
                Some(d) => pending.push((name, d)),
                None => {
                    unset.push(name.clone());
                    out.insert(
                        name.clone(),
                        Unknown::because(format!("parameter `{name}` (no value given)")),
                    );
                }
            },
        }
    }
    // Defaults reading later parameters: evaluate in passes until none is left.
    while !pending.is_empty() {
        let before = pending.len();
        let mut last_err = Failed::from("");
        let mut still = Vec::new();
        for (name, d) in pending {
            let inner = Scope::new(scope.deployment, &out, scope.vars, scope.functions);
            match eval_json(d, &inner) {
                Ok(v) => {
                    out.insert(name.clone(), v);
                }
                Err(e) => {
                    last_err = Failed {
                        message: format!("default of parameter `{name}`: {}", e.message),
                        at: e.at,
                        file: e.file,
                    };
                    still.push((name, d));
                }
            }
        }
        if still.len() == before {
            return Err(last_err);
        }
        pending = still;
    }
    withhold_secure(&declared, &mut out);
    Ok(out)
}

/// A `securestring` or `secureObject` parameter's value is never carried into
/// the model: whatever it flows into is unknown but present, so a finding's
/// evidence cannot show it (ARM itself never returns these values).
fn withhold_secure(declared: &serde_json::Map<String, Json>, values: &mut Map) {
    for (name, decl) in declared {
        let secure = decl.get("type").and_then(Json::as_str).is_some_and(|t| {
            t.eq_ignore_ascii_case("securestring") || t.eq_ignore_ascii_case("secureobject")
        });
        if !secure {
            continue;
        }
        if let Some(v) = values.get_mut(name) {
            if !v.is_unknown() && !v.is_null() {
                *v = Unknown::because(format!(
                    "parameter `{name}` is secure: its value is not read"
                ));
            }
        }
    }
}
