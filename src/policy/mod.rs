//! The Azure Policy language: rule files, conditions, fields and aliases,
//! template functions, and mcpguard's three extensions (dereference, computed
//! facts, three-valued results).
//!
//! PUBLIC API CONTRACT (the engine and the reports depend on it; keep it):
//! - [`Rule`] with its metadata [`RuleMeta`], loaded by [`load_rule_text`],
//!   [`builtin_rules`] and [`load_rules_dir`];
//! - [`Rule::evaluate`] → [`Outcome`] with a three-valued [`Tri`] verdict;
//! - [`Params`]: parameter values after config/assignment overrides.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::findings::{Evidence, Severity, SkippedRule};
use crate::inventory::{InputKind, Inventory, Resource};

/// A three-valued truth: a condition over a value unknown before apply is
/// `Unknown`, never silently true or false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

/// The effect a rule's `then` resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Deny,
    Audit,
    Disabled,
    /// Any other effect (`auditIfNotExists`, `modify`, …), lower-cased.
    Other(String),
}

/// mcpguard's metadata beside `policyRule`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMeta {
    /// `MCP004`, or for a plain Azure definition its `name` (else the file stem).
    pub id: String,
    pub severity: Severity,
    /// Names the risk, not the fix.
    pub title: String,
    /// Markdown with fixed sections: What it checks / Why it matters /
    /// Example / Remediation / Known gaps / References.
    pub description: String,
    pub remediation: String,
    /// Message template; `{{ field }}` placeholders (see `policy::message`).
    pub message: Option<String>,
    pub references: Vec<String>,
    pub applies_to: Vec<InputKind>,
    pub help_uri: Option<String>,
    pub tags: Vec<String>,
}

/// One parameter's definition (`parameters.<name>` in the rule file).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    pub kind: String,
    pub default: Option<Value>,
    pub allowed: Option<Vec<Value>>,
    pub description: Option<String>,
}

/// Parameter values after overrides (config `rule` block, policy assignment).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub BTreeMap<String, Value>);

/// The result of evaluating one rule's `if` on one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub verdict: Tri,
    /// Values that decided the verdict (sensitive ones already redacted).
    pub evidence: Vec<Evidence>,
    /// For `Unknown`: the paths whose values were unknown.
    pub unknown: Vec<String>,
    /// The rendered message (for `True` and `Unknown`).
    pub message: String,
    /// The ARM path that decided the verdict, for pointing at a source line.
    pub decisive_path: Option<String>,
}
