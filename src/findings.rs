//! Findings and the report they make up: what the engine produces, what the
//! suppression stage edits, and all the report formats read, together with the
//! metadata of the rules behind them ([`RuleMeta`]: title, severity, help URI,
//! description), which travels with the findings so that the reports never
//! import the policy language. Nothing here knows about inputs or rules beyond
//! that.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::input::InputKind;

/// Rule severity, ordered: `low < medium < high < critical`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// A rule's metadata: mcpguard's fields beside `policyRule` (or those of a
/// plain Azure definition), read by `policy` and printed by the reports.
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

/// What a finding says about its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule's condition holds: the resource is non-compliant.
    Fail,
    /// The verdict depends on a value not known before apply (or not readable).
    Unknown,
    /// A failure hidden by an inline ignore, a config `ignore` or a baseline.
    Suppressed,
}

/// The resource a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// Terraform address for Terraform input, the ARM id for ARM input.
    pub address: String,
    /// Terraform type (`azurerm_container_group`) or, for ARM input, the ARM type.
    #[serde(rename = "type")]
    pub tf_type: String,
    pub arm_type: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    /// The line of the attribute that decided the finding, else of the
    /// resource's block.
    pub line: Option<u32>,
    /// The first line of the resource's block, when `line` is an attribute
    /// inside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u32>,
}

/// One value that decided a verdict. Sensitive values are replaced by
/// `"<redacted>"` before a finding is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub path: String,
    pub value: serde_json::Value,
}

/// Why a failure is not counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `inline`, `config` or `baseline`.
    pub kind: String,
    pub reason: Option<String>,
    pub expires: Option<String>,
    /// Where the suppression was written (`main.tf:12`, `.mcpguard.hcl:7`).
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub status: Status,
    pub message: String,
    pub resource: ResourceRef,
    pub location: Option<Location>,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub suppression: Option<Suppression>,
    /// Stable across runs and line moves: rule, address and the deciding paths.
    pub fingerprint: String,
    /// The Terraform root module the finding came from (its directory,
    /// relative to the repository root), for source input: two roots may
    /// hold the same address.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub root: Option<String>,
    /// Where the plan holds the resource, when `location` points at the `.tf`
    /// source the plan was made from (`--source`); `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub plan: Option<Location>,
}

/// A (rule, resource) pair that was evaluated and passed: the evidence that a
/// rule was checked and held. JUnit lists them as passing cases, the HTML
/// report counts them, and the JSON report lists them with `--include-passed`
/// (and counts them per rule always).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pass {
    pub rule_id: String,
    pub resource: ResourceRef,
    pub location: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputInfo {
    pub path: String,
    /// `plan`, `terraform`, `arm` or `workflow`.
    pub kind: String,
    /// SHA-256 (hex) of what was read: a file's bytes; for a Terraform root
    /// module, of the names and contents of its `.tf`, `.tf.json` and
    /// `.tfvars` files. `None` for standard input and a live sweep.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha256: Option<String>,
}

impl InputInfo {
    pub fn new(path: impl Into<String>, kind: InputKind) -> Self {
        InputInfo {
            path: path.into(),
            kind: kind.as_str().to_string(),
            sha256: None,
        }
    }
}

/// The rules a scan ran, for the record an auditor signs: the built-in pack
/// is the one this mcpguard version embeds; extra rule directories are
/// identified by a digest of their files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulePack {
    /// The mcpguard version whose built-in rules ran (`None`: none of them).
    pub builtin: Option<String>,
    /// Rules evaluated (the built-in ones enabled, plus `--rules` ones).
    pub rules: usize,
    /// `--rules DIR`s.
    #[serde(default)]
    pub dirs: Vec<RuleDir>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDir {
    pub path: String,
    /// Rule files read in it (loaded or skipped).
    pub files: usize,
    /// SHA-256 over the files' paths and contents, in path order.
    pub sha256: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub resources: usize,
    pub rules: usize,
    pub fail: usize,
    pub unknown: usize,
    pub suppressed: usize,
    /// Evaluated (rule, resource) pairs that passed.
    #[serde(default)]
    pub passed: usize,
}

/// An input, rule or config problem: something was not read or not evaluated.
/// Any error makes the exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportError {
    /// The file, resource or subscription the problem is about.
    pub source: String,
    pub message: String,
}

/// A non-fatal remark (an ignore without a reason, an expired ignore, a stale
/// baseline entry, an unset parameter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub source: String,
    pub message: String,
}

/// A rule file that was loaded but cannot be evaluated here, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRule {
    pub rule: String,
    pub file: String,
    pub reason: String,
}

/// The whole result of a scan; `report::json` documents its wire format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub inputs: Vec<InputInfo>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub errors: Vec<ReportError>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub rules_skipped: Vec<SkippedRule>,
    /// Rule id → (rule, resource) pairs that passed, for every rule that ran.
    #[serde(default)]
    pub passed: BTreeMap<String, usize>,
    /// ARM type → resources of that type scanned: with the findings and
    /// passes, what each rule did not apply to.
    #[serde(default)]
    pub resource_types: BTreeMap<String, usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_pack: Option<RulePack>,
    /// Listed in JSON only with `--include-passed` (the JSON renderer adds them).
    #[serde(skip)]
    pub passes: Vec<Pass>,
}

pub const REPORT_SCHEMA: &str = "mcpguard/report/v1";

/// The project's home: Cargo.toml's `repository`, the one place the address is
/// written. Rule-doc links, SARIF's `informationUri`, `--version --verbose`
/// and the install script's default (checked by `tests/home.rs`) derive from it.
pub const HOME: &str = env!("CARGO_PKG_REPOSITORY");

/// The version of the built-in rule pack: the pack ships inside the binary,
/// so it is the binary's version.
pub const RULE_PACK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The page documenting built-in rule `id`, as of release `version`.
pub fn rule_doc_url(id: &str, version: &str) -> String {
    format!("{HOME}/blob/v{version}/docs/rules/{id}.md")
}

/// `X.Y.Z` as numbers; a pre-release or build suffix (`-rc.1`, `+g1a2b`) is
/// ignored.
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// A rule's former id: after a rename the old id keeps working in baselines,
/// inline and config ignores, `--only`/`--skip` and config rule blocks for one
/// minor version, until `until` (the first version that no longer reads it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormerId {
    pub id: String,
    pub until: String,
}

/// Former rule id → current id, for every rule loaded. Lookups ignore ASCII
/// case, as rule ids do everywhere else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames(BTreeMap<String, (String, String)>);

impl Renames {
    /// From `(current id, its former ids)` pairs.
    pub fn new<'a>(rules: impl IntoIterator<Item = (&'a str, &'a [FormerId])>) -> Renames {
        let mut map = BTreeMap::new();
        for (current, former) in rules {
            for f in former {
                map.insert(
                    f.id.to_ascii_uppercase(),
                    (current.to_string(), f.until.clone()),
                );
            }
        }
        Renames(map)
    }

    /// The current id of `id` when `id` is a former one.
    pub fn current(&self, id: &str) -> Option<&str> {
        self.0
            .get(&id.to_ascii_uppercase())
            .map(|(current, _)| current.as_str())
    }

    /// `id`, or the id it was renamed to.
    pub fn resolve<'a>(&'a self, id: &'a str) -> &'a str {
        self.current(id).unwrap_or(id)
    }

    /// The warning a use of former id `id` (written at `source`) earns.
    pub fn warning(&self, id: &str, source: &str) -> Option<Warning> {
        let (current, until) = self.0.get(&id.to_ascii_uppercase())?;
        Some(Warning {
            source: source.to_string(),
            message: format!(
                "rule {id} is now {current}; the old id is read until mcpguard {until}: write {current}"
            ),
        })
    }

    /// Every former id, in order.
    pub fn former_ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl Report {
    pub fn new() -> Self {
        Report {
            schema: REPORT_SCHEMA.to_string(),
            tool: Tool {
                name: "mcpguard".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            inputs: Vec::new(),
            summary: Summary::default(),
            findings: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
            rules_skipped: Vec::new(),
            passed: BTreeMap::new(),
            resource_types: BTreeMap::new(),
            rule_pack: None,
            passes: Vec::new(),
        }
    }

    /// Sorts findings by (rule_id, address) and recounts the summary.
    pub fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            (
                a.rule_id.as_str(),
                a.resource.address.as_str(),
                &a.fingerprint,
            )
                .cmp(&(
                    b.rule_id.as_str(),
                    b.resource.address.as_str(),
                    &b.fingerprint,
                ))
        });
        self.passes.sort_by(|a, b| {
            (a.rule_id.as_str(), a.resource.address.as_str())
                .cmp(&(b.rule_id.as_str(), b.resource.address.as_str()))
        });
        self.summary.fail = self.count(Status::Fail);
        self.summary.unknown = self.count(Status::Unknown);
        self.summary.suppressed = self.count(Status::Suppressed);
        self.summary.passed = self.passes.len();
        // Every rule already listed keeps its entry (0 when nothing passed).
        for n in self.passed.values_mut() {
            *n = 0;
        }
        for p in &self.passes {
            *self.passed.entry(p.rule_id.clone()).or_default() += 1;
        }
    }

    fn count(&self, s: Status) -> usize {
        self.findings.iter().filter(|f| f.status == s).count()
    }
}

impl Default for Report {
    fn default() -> Self {
        Self::new()
    }
}
