//! Terraform's module manifest, `.terraform/modules/modules.json`, written by
//! `terraform init`: where each registry or git module call was installed.
//! mcpguard reads it as tflint does (read-only, never downloading), under
//! `TF_DATA_DIR` when that is set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::load::InputError;

#[derive(Debug, Deserialize)]
struct File {
    #[serde(rename = "Modules", default)]
    modules: Vec<Record>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    /// The call path: `""` for the root, `a.b` for `module.a.module.b`.
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Source", default)]
    pub source: String,
    #[serde(rename = "Version", default)]
    pub version: Option<String>,
    /// The installed directory, relative to the root module's directory.
    #[serde(rename = "Dir")]
    pub dir: String,
}

/// The manifest of one root module.
#[derive(Debug)]
pub struct Manifest {
    /// The manifest file, for messages.
    pub path: PathBuf,
    records: BTreeMap<String, Record>,
}

impl Manifest {
    /// Reads `<TF_DATA_DIR or .terraform>/modules/modules.json` of a root
    /// module directory; `None` when there is none (not initialised).
    pub fn read(root: &Path) -> Result<Option<Manifest>, InputError> {
        let path = root.join(relative_path());
        if !path.is_file() {
            return Ok(None);
        }
        let shown = path.display().to_string();
        let text = crate::load::read_text(&path)?;
        let f: File = serde_json::from_str(&text)
            .map_err(|e| InputError::json(&shown, &text, &e, "Terraform module manifest"))?;
        Ok(Some(Manifest {
            path,
            records: f.modules.into_iter().map(|r| (r.key.clone(), r)).collect(),
        }))
    }

    pub fn get(&self, key: &str) -> Option<&Record> {
        self.records.get(key)
    }
}

/// Where `terraform init` writes the manifest, relative to the root module:
/// `.terraform/modules/modules.json`, or under `TF_DATA_DIR`.
pub fn relative_path() -> PathBuf {
    let data_dir =
        std::env::var_os("TF_DATA_DIR").map_or_else(|| PathBuf::from(".terraform"), PathBuf::from);
    data_dir.join("modules").join("modules.json")
}

/// Whether the manifest's source is the call's: the registry host Terraform
/// adds (`registry.terraform.io/`) is not in the call.
pub fn same_source(call: &str, recorded: &str) -> bool {
    let norm = |s: &str| {
        s.strip_prefix("registry.terraform.io/")
            .unwrap_or(s)
            .to_ascii_lowercase()
    };
    norm(call) == norm(recorded)
}

/// The manifest key of a module path: `module.a["x"].module.b` → `a.b`.
pub fn key_of(generic: &str) -> String {
    let parts: Vec<&str> = generic.split('.').collect();
    parts
        .chunks(2)
        .filter_map(|c| match c {
            ["module", name] => Some(*name),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_sources() {
        assert_eq!(key_of(""), "");
        assert_eq!(key_of("module.a"), "a");
        assert_eq!(key_of("module.a.module.b"), "a.b");
        assert!(same_source(
            "Azure/naming/azurerm",
            "registry.terraform.io/Azure/naming/azurerm"
        ));
        assert!(!same_source("Azure/naming/azurerm", "Azure/other/azurerm"));
    }
}
