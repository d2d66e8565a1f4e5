//! The Azure Developer CLI's parameters files: azd writes
//! `"value": "${AZURE_LOCATION}"` (or `${NAME=default}`) into
//! `main.parameters.json` and substitutes its environment before it deploys.
//! mcpguard substitutes from the process environment, where `azd env
//! get-values` exports them and azd's hooks and pipelines have them; a name
//! set nowhere is unknown (with its name), never the literal `${…}` text,
//! which ARM never sees.

use serde_json::Value as Json;

use crate::inventory::value::Map;
use crate::inventory::{Part, Partial, Unknown, Value};

/// A parameters file value with azd's `${NAME}` substituted by `env`.
pub fn substitute(v: &Json, env: &dyn Fn(&str) -> Option<String>) -> Value {
    match v {
        Json::String(s) if s.contains("${") => string(s, env),
        Json::Array(items) => Value::Array(items.iter().map(|x| substitute(x, env)).collect()),
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                out.insert(k.clone(), substitute(x, env));
            }
            Value::Object(out)
        }
        other => other.into(),
    }
}

/// One string: its literal text, each placeholder's value (or its
/// default), a gap where the environment sets none.
fn string(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Value {
    let mut parts = Vec::new();
    let mut unset = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        let Some(end) = rest[at..].find('}') else {
            break;
        };
        parts.push(Part::Lit(rest[..at].to_string()));
        let inner = &rest[at + 2..at + end];
        let (name, default) = match inner.split_once('=') {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match env(name).or_else(|| default.map(str::to_string)) {
            Some(v) => parts.push(Part::Lit(v)),
            None => {
                parts.push(Part::Gap);
                unset.push(name.to_string());
            }
        }
        rest = &rest[at + end + 1..];
    }
    parts.push(Part::Lit(rest.to_string()));
    let only_gap = parts
        .iter()
        .all(|p| matches!(p, Part::Gap) || matches!(p, Part::Lit(l) if l.is_empty()));
    if only_gap && !unset.is_empty() {
        return Unknown::because(format!(
            "`${{{}}}`, which azd sets from its environment (not set here)",
            unset.join("}`, `${")
        ));
    }
    Partial::build(parts, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(n: &str) -> Option<String> {
        (n == "AZURE_LOCATION").then(|| "westeurope".to_string())
    }

    #[test]
    fn placeholders() {
        let v = |s: &str| substitute(&Json::from(s), &env);
        assert_eq!(v("${AZURE_LOCATION}"), Value::from("westeurope"));
        assert_eq!(v("rg-${AZURE_LOCATION}"), Value::from("rg-westeurope"));
        assert_eq!(v("${VNET_ENABLED=true}"), Value::from("true"));
        assert!(v("${AZURE_ENV_NAME}").is_unknown());
        let p = v("rg-${AZURE_ENV_NAME}");
        assert_eq!(p.as_partial().unwrap().to_string(), "rg-{unknown}");
        assert_eq!(v("no placeholder"), Value::from("no placeholder"));
    }
}
