//! Reading inputs into the Inventory. Each reader has one module; [`detect`]
//! decides which one a path is for, and [`read_text`] is the one place bytes
//! become text (UTF-8, UTF-8 with BOM, and UTF-16 with BOM as PowerShell's `>`
//! writes it).

pub mod arm;
#[cfg(feature = "azure")]
pub mod azure;
pub mod azurerm;
pub mod bicep;
mod declared;
pub mod hcl;
pub mod mentions;
pub mod plan;
pub mod roots;
pub mod snapshot;
pub mod source_map;
pub mod template;
pub mod terraform;
pub mod whatif;
pub mod workflow;

use std::path::Path as FsPath;

// The readers' shared text and error handling lives in the neutral `input`
// module, which every layer may use; re-exported here for the readers.
pub use crate::input::{
    decode, offset_of, read_bounded, read_text, regular_file, Excerpt, InputError, Masking,
    MAX_INPUT_BYTES, MAX_LOCATED_PER_INPUT,
};

/// Which reader an input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// `terraform show -json` output.
    Plan,
    /// A directory of `.tf` files, or one `.tf` / `.tf.json` file.
    Terraform,
    /// ARM documents: a GET or list response, an array, Resource Graph output,
    /// or an mcpguard snapshot.
    Arm,
    /// A GitHub Actions workflow (`*.yml`, `*.yaml`).
    Workflow,
    /// `az deployment … what-if` output (JSON).
    WhatIf,
    /// An ARM deployment template (`$schema …/deploymentTemplate.json#`).
    Template,
    /// A `.bicep` or `.bicepparam` file, compiled by the Bicep CLI.
    Bicep,
}

/// Decides the reader from the path and, for JSON, the top-level keys.
pub fn detect(path: &FsPath, text: Option<&str>) -> Detected {
    if path.is_dir() {
        return Detected::Terraform;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if name.ends_with(".tf") || name.ends_with(".tf.json") || name.ends_with(".tfvars") {
        return Detected::Terraform;
    }
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".yml") || lower.ends_with(".yaml") {
        return Detected::Workflow;
    }
    if bicep::is_bicep_file(path) {
        return Detected::Bicep;
    }
    match text {
        Some(t) if looks_like_plan(t) => Detected::Plan,
        Some(t) if template::is_template(t) => Detected::Template,
        Some(t) if whatif::looks_like_whatif(t) => Detected::WhatIf,
        _ => Detected::Arm,
    }
}

/// A plan has `format_version` and one of `planned_values`, `resource_changes`,
/// `terraform_version` near the top. Looked for textually so that detection
/// does not parse the file twice.
fn looks_like_plan(text: &str) -> bool {
    let head = text.trim_start();
    if !head.starts_with('{') {
        return false;
    }
    text.contains("\"format_version\"")
        && (text.contains("\"planned_values\"")
            || text.contains("\"resource_changes\"")
            || text.contains("\"terraform_version\""))
}
