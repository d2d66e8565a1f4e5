//! Azure Policy aliases → ARM property paths. The table is data
//! (`aliases/azure-aliases.json`, in the format `az provider list --expand
//! "resourceTypes/aliases"` prints), embedded in the binary; `--aliases FILE`
//! adds a user's full export. Alias names compare case-insensitively.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// One step of an alias's ARM path: a key, or `[*]` (every array element).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PSeg {
    Key(String),
    Star,
}

/// Parses `properties.subnetIds[*].id` (also `tags['a.b']`) into segments,
/// with the one path syntax the inventory uses (`Path::parse`); `[*]` is the
/// only addition.
pub fn parse_path(s: &str) -> Vec<PSeg> {
    use crate::inventory::{Path, Seg};
    Path::parse(s)
        .0
        .into_iter()
        .map(|seg| match seg {
            Seg::Key(k) if k == "*" => PSeg::Star,
            Seg::Key(k) => PSeg::Key(k),
            Seg::Index(n) => PSeg::Key(n.to_string()),
        })
        .collect()
}

/// Alias name (lower-case) → ARM path.
#[derive(Debug, Default, Clone)]
pub struct AliasTable {
    map: HashMap<String, Vec<PSeg>>,
}

impl AliasTable {
    /// Reads the provider-alias format: an array of namespaces (or one
    /// namespace object, or `{"value": [...]}` as the REST API returns it).
    pub fn add_json(&mut self, v: &Value) -> Result<usize, String> {
        let namespaces: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            Value::Object(o) if o.contains_key("value") => o["value"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            Value::Object(_) => vec![v],
            _ => return Err("expected an array of provider namespaces".to_string()),
        };
        let mut n = 0;
        for ns in namespaces {
            let types = ns
                .get("resourceTypes")
                .and_then(Value::as_array)
                .ok_or("a namespace has no `resourceTypes` array")?;
            for rt in types {
                for a in rt
                    .get("aliases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = a
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or("an alias has no `name`")?;
                    let path = a
                        .get("defaultPath")
                        .and_then(Value::as_str)
                        .or_else(|| {
                            a.get("paths")
                                .and_then(Value::as_array)
                                .and_then(|p| p.last())
                                .and_then(|p| p.get("path"))
                                .and_then(Value::as_str)
                        })
                        .ok_or_else(|| format!("alias `{name}` has no path"))?;
                    self.map.insert(name.to_ascii_lowercase(), parse_path(path));
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    pub fn get(&self, name: &str) -> Option<&Vec<PSeg>> {
        self.map.get(&name.to_ascii_lowercase())
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The embedded table.
pub const EMBEDDED: &str = include_str!("../../aliases/azure-aliases.json");

static TABLE: OnceLock<AliasTable> = OnceLock::new();
static EXTRA: OnceLock<AliasTable> = OnceLock::new();

/// Adds a user's alias export (`--aliases FILE`); call before loading rules.
pub fn load_alias_file(path: &std::path::Path) -> Result<usize, crate::input::InputError> {
    let text = crate::input::read_text(path)?;
    let shown = path.display().to_string();
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| crate::input::InputError::json(&shown, &text, &e, "alias file"))?;
    let mut t = AliasTable::default();
    let n = t
        .add_json(&v)
        .map_err(|e| crate::input::InputError::new(&shown, format!("not an alias export: {e}")))?;
    let _ = EXTRA.set(t);
    Ok(n)
}

/// Looks an alias up: the user's export first, then the embedded table.
pub fn lookup(name: &str) -> Option<Vec<PSeg>> {
    if let Some(p) = EXTRA.get().and_then(|t| t.get(name)) {
        return Some(p.clone());
    }
    TABLE
        .get_or_init(|| {
            let mut t = AliasTable::default();
            // The embedded file is checked by a test; a broken one is a build bug.
            if let Ok(v) = serde_json::from_str::<Value>(EMBEDDED) {
                let _ = t.add_json(&v);
            }
            t
        })
        .get(name)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_loads_and_covers_the_rules() {
        let v: Value = serde_json::from_str(EMBEDDED).unwrap();
        let mut t = AliasTable::default();
        assert!(t.add_json(&v).unwrap() > 100);
        assert_eq!(
            lookup("microsoft.containerinstance/containergroups/subnetIds[*].id"),
            Some(parse_path("properties.subnetIds[*].id"))
        );
        assert_eq!(
            lookup("Microsoft.Network/networkSecurityGroups/securityRules[*].access"),
            Some(parse_path("properties.securityRules[*].properties.access"))
        );
    }

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("tags['a.b'].c[*]"),
            vec![
                PSeg::Key("tags".into()),
                PSeg::Key("a.b".into()),
                PSeg::Key("c".into()),
                PSeg::Star
            ]
        );
        assert_eq!(
            parse_path("tags[x y]"),
            vec![PSeg::Key("tags".into()), PSeg::Key("x y".into())]
        );
    }
}
