//! Baselines: today's failures, recorded so that only new ones fail the build.
//!
//! A baseline file is JSON:
//!
//! ```json
//! {
//!   "schema": "mcpguard/baseline/v1",
//!   "entries": [
//!     { "rule_id": "MCP004", "address": "azurerm_container_group.legacy", "fingerprint": "…", "root": "infra" }
//!   ]
//! }
//! ```
//!
//! Entries name a failure by rule, resource address and fingerprint (which
//! ignores line numbers), so edits that move a block do not resurrect it, and
//! by the Terraform root module it was found in (`root`, for source input),
//! so the same address in `envs/dev` and `envs/prod` are two entries. An
//! entry without `root` matches in every root.
//! [`apply`] turns matching failures into `suppressed` findings, reports an
//! entry whose resource is no longer in the scan as a stale-entry warning, and
//! notes an entry whose resource no longer fails that way.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::findings::{Renames, Report, Status, Suppression, Warning};
use crate::input::InputError;

pub const BASELINE_SCHEMA: &str = "mcpguard/baseline/v1";

/// The suppression kind and justification a baselined finding carries.
pub const BASELINE_KIND: &str = "baseline";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema: String,
    pub entries: Vec<BaselineEntry>,
    /// The file it was read from, for warnings and suppression sources.
    #[serde(skip)]
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub rule_id: String,
    pub address: String,
    pub fingerprint: String,
    /// The Terraform root module of the failure, when it came from source:
    /// two roots may hold the same address. An entry without one (written
    /// before roots were recorded, or from a plan) matches in any root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
}

/// The baseline of `report`: its failures (and those a baseline already
/// suppresses, so rewriting a baseline under `--baseline` keeps them), sorted
/// and without duplicates.
pub fn write(report: &Report) -> String {
    let entries: BTreeSet<BaselineEntry> = report
        .findings
        .iter()
        .filter(|f| {
            f.status == Status::Fail
                || (f.status == Status::Suppressed
                    && f.suppression
                        .as_ref()
                        .is_some_and(|s| s.kind == BASELINE_KIND))
        })
        .map(|f| BaselineEntry {
            rule_id: f.rule_id.clone(),
            address: f.resource.address.clone(),
            fingerprint: f.fingerprint.clone(),
            root: f.root.clone(),
        })
        .collect();
    let baseline = Baseline {
        schema: BASELINE_SCHEMA.to_string(),
        entries: entries.into_iter().collect(),
        path: String::new(),
    };
    let mut text = serde_json::to_string_pretty(&baseline).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a baseline file. Anything else — not JSON, another JSON document
/// (a report, a plan), another schema version, a malformed entry — is a
/// diagnostic pointing at the spot.
// InputError carries its source text for miette; it is the crate's one input
// diagnostic, so its size is accepted here as in `load`.
#[allow(clippy::result_large_err)]
pub fn parse(path: &str, text: &str) -> Result<Baseline, InputError> {
    let help = "create a baseline with `mcpguard baseline write FILE`";
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| InputError::json(path, text, &e, "baseline").with_help(help))?;
    let Some(obj) = value.as_object() else {
        return Err(
            InputError::new(path, "not an mcpguard baseline: expected a JSON object")
                .at(text, 1, 1, "here")
                .with_help(help),
        );
    };
    match obj.get("schema").and_then(|s| s.as_str()) {
        Some(BASELINE_SCHEMA) => {}
        Some(other) => {
            let what = if other.starts_with("mcpguard/report/") {
                "this is an mcpguard report, not a baseline".to_string()
            } else {
                format!("unsupported baseline schema `{other}` (this mcpguard reads `{BASELINE_SCHEMA}`)")
            };
            let err = InputError::new(path, what);
            let err = match find_string_value(text, other) {
                Some(start) => err.at_span(text, start, other.len() + 2, "schema"),
                None => err,
            };
            return Err(err.with_help(help));
        }
        None => {
            return Err(InputError::new(
                path,
                format!("not an mcpguard baseline: no `\"schema\": \"{BASELINE_SCHEMA}\"` key"),
            )
            .at(text, 1, 1, "this document")
            .with_help(help));
        }
    }
    let mut baseline: Baseline = serde_json::from_str(text)
        .map_err(|e| InputError::json(path, text, &e, "baseline").with_help(help))?;
    baseline.path = path.to_string();
    Ok(baseline)
}

impl Baseline {
    /// Renames entries that name a renamed rule by its former id, so they keep
    /// matching its findings; one warning per former id says to rewrite the
    /// baseline (`mcpguard baseline write` writes current ids).
    pub fn rename(&mut self, renames: &Renames) -> Vec<Warning> {
        let mut warned = BTreeSet::new();
        let mut warnings = Vec::new();
        for e in &mut self.entries {
            let Some(current) = renames.current(&e.rule_id) else {
                continue;
            };
            if warned.insert(e.rule_id.to_ascii_uppercase()) {
                warnings.extend(renames.warning(&e.rule_id, &self.path));
            }
            e.rule_id = current.to_string();
        }
        warnings
    }
}

/// Byte offset of the quoted string `"value"` in `text` (for pointing at it).
fn find_string_value(text: &str, value: &str) -> Option<usize> {
    let quoted = serde_json::to_string(value).ok()?;
    text.find(&quoted)
}

/// Suppresses the failures `baseline` records and reports what it no longer
/// matches; recounts the summary.
pub fn apply(baseline: &Baseline, report: &mut Report) {
    // Indexed, so a baseline of thousands of entries stays linear-ish.
    type Key<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);
    let index: BTreeMap<Key, usize> = baseline
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            (
                (
                    e.rule_id.as_str(),
                    e.address.as_str(),
                    e.fingerprint.as_str(),
                    e.root.as_deref(),
                ),
                i,
            )
        })
        .collect();
    let mut used = vec![false; baseline.entries.len()];
    for f in report.findings.iter_mut() {
        let key = |root| {
            (
                f.rule_id.as_str(),
                f.resource.address.as_str(),
                f.fingerprint.as_str(),
                root,
            )
        };
        // This root's entry, else one written without a root.
        let hit = index
            .get(&key(f.root.as_deref()))
            .or_else(|| index.get(&key(None)));
        let Some(&i) = hit else {
            continue;
        };
        used[i] = true;
        if f.status == Status::Fail {
            f.status = Status::Suppressed;
            f.suppression = Some(Suppression {
                kind: BASELINE_KIND.to_string(),
                reason: Some(BASELINE_KIND.to_string()),
                expires: None,
                source: Some(baseline.path.clone()),
            });
        }
    }
    let evaluated: BTreeSet<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule_id.as_str(), f.resource.address.as_str()))
        .chain(
            report
                .passes
                .iter()
                .map(|p| (p.rule_id.as_str(), p.resource.address.as_str())),
        )
        .collect();
    let addresses: BTreeSet<&str> = evaluated.iter().map(|(_, a)| *a).collect();
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    for (entry, _) in baseline.entries.iter().zip(&used).filter(|(_, u)| !**u) {
        if !addresses.contains(entry.address.as_str()) {
            warnings.push(Warning {
                source: baseline.path.clone(),
                message: format!(
                    "stale baseline entry {} on `{}`: the resource is no longer in the scan",
                    entry.rule_id, entry.address
                ),
            });
        } else if evaluated.contains(&(entry.rule_id.as_str(), entry.address.as_str())) {
            notes.push(format!(
                "{}: baseline entry {} on `{}` no longer matches a failure; `mcpguard baseline write` drops it",
                baseline.path, entry.rule_id, entry.address
            ));
        }
    }
    report.warnings.extend(warnings);
    report.notes.extend(notes);
    report.finish();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Finding, Pass, ResourceRef, Severity};

    fn res(address: &str) -> ResourceRef {
        ResourceRef {
            address: address.into(),
            tf_type: "azurerm_container_group".into(),
            arm_type: "Microsoft.ContainerInstance/containerGroups".into(),
            id: format!("/x/{address}"),
        }
    }

    fn fail(rule: &str, address: &str, fp: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            severity: Severity::High,
            status: Status::Fail,
            message: "m".into(),
            resource: res(address),
            location: None,
            evidence: vec![],
            suppression: None,
            fingerprint: fp.into(),
            root: None,
            plan: None,
        }
    }

    fn report(findings: Vec<Finding>, passes: Vec<(&str, &str)>) -> Report {
        let mut r = Report::new();
        r.findings = findings;
        r.passes = passes
            .into_iter()
            .map(|(rule, a)| Pass {
                rule_id: rule.into(),
                resource: res(a),
                location: None,
            })
            .collect();
        r.finish();
        r
    }

    #[test]
    fn write_keeps_failures_only_sorted_and_unique() {
        let mut unknown = fail("MCP003", "a", "f3");
        unknown.status = Status::Unknown;
        let r = report(
            vec![
                fail("MCP004", "b", "f2"),
                fail("MCP001", "a", "f1"),
                fail("MCP001", "a", "f1"),
                unknown,
            ],
            vec![],
        );
        let text = write(&r);
        let b = parse("b.json", &text).expect("own output parses");
        let ids: Vec<(&str, &str)> = b
            .entries
            .iter()
            .map(|e| (e.rule_id.as_str(), e.address.as_str()))
            .collect();
        assert_eq!(ids, vec![("MCP001", "a"), ("MCP004", "b")]);
        assert!(text.starts_with("{\n  \"schema\": \"mcpguard/baseline/v1\""));
    }

    #[test]
    fn apply_suppresses_matches_and_reports_stale_entries() {
        let mut r = report(
            vec![fail("MCP001", "a", "f1"), fail("MCP004", "b", "f2-new")],
            vec![("MCP002", "c"), ("MCP004", "a")],
        );
        let b = Baseline {
            schema: BASELINE_SCHEMA.into(),
            path: "mcpguard-baseline.json".into(),
            entries: vec![
                BaselineEntry {
                    rule_id: "MCP001".into(),
                    address: "a".into(),
                    fingerprint: "f1".into(),
                    root: None,
                },
                BaselineEntry {
                    rule_id: "MCP004".into(),
                    address: "b".into(),
                    fingerprint: "f2-old".into(),
                    root: None,
                },
                BaselineEntry {
                    rule_id: "MCP002".into(),
                    address: "c".into(),
                    fingerprint: "f9".into(),
                    root: None,
                },
                BaselineEntry {
                    rule_id: "MCP001".into(),
                    address: "gone".into(),
                    fingerprint: "f0".into(),
                    root: None,
                },
                BaselineEntry {
                    rule_id: "MCP009".into(),
                    address: "a".into(),
                    fingerprint: "f5".into(),
                    root: None,
                },
            ],
        };
        apply(&b, &mut r);
        let a = &r.findings[0];
        assert_eq!(a.status, Status::Suppressed);
        let s = a.suppression.as_ref().expect("suppression");
        assert_eq!(
            (s.kind.as_str(), s.reason.as_deref()),
            ("baseline", Some("baseline"))
        );
        assert_eq!(
            r.findings[1].status,
            Status::Fail,
            "a changed failure is new"
        );
        assert_eq!((r.summary.fail, r.summary.suppressed), (1, 1));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0]
            .message
            .contains("stale baseline entry MCP001 on `gone`"));
        assert_eq!(r.warnings[0].source, "mcpguard-baseline.json");
        // Fixed (pass) and changed (other fingerprint) entries are noted; an
        // entry for a rule that did not run on the resource is left alone.
        assert_eq!(r.notes.len(), 2, "{:?}", r.notes);
    }

    /// The same address in two roots: an entry for one root does not hide
    /// the other's failure; an entry without a root (an old baseline) hides both.
    #[test]
    fn entries_match_within_their_root() {
        let in_root = |root: &str| Finding {
            root: Some(root.into()),
            ..fail("MCP003", "azurerm_container_group.fs", "f1")
        };
        let mut r = report(vec![in_root("envs/dev"), in_root("envs/prod")], vec![]);
        let text = write(&report(vec![in_root("envs/dev")], vec![]));
        assert!(text.contains("\"root\": \"envs/dev\""), "{text}");
        apply(&parse("b.json", &text).unwrap(), &mut r);
        let status: Vec<(Option<&str>, Status)> = r
            .findings
            .iter()
            .map(|f| (f.root.as_deref(), f.status))
            .collect();
        assert_eq!(
            status,
            vec![
                (Some("envs/dev"), Status::Suppressed),
                (Some("envs/prod"), Status::Fail)
            ]
        );
        let mut r = report(vec![in_root("envs/dev"), in_root("envs/prod")], vec![]);
        let old = write(&report(
            vec![fail("MCP003", "azurerm_container_group.fs", "f1")],
            vec![],
        ));
        assert!(!old.contains("root"), "{old}");
        apply(&parse("b.json", &old).unwrap(), &mut r);
        assert_eq!(r.summary.suppressed, 2);
    }

    #[test]
    fn rejects_what_is_not_a_baseline() {
        // A report as `--format json` writes it (that renderer is a layer
        // above; tests/report_baseline.rs checks its own output is refused).
        let report_json = serde_json::to_string_pretty(&Report::new()).unwrap();
        let e = parse("r.json", &report_json).expect_err("a report");
        assert!(
            e.message.contains("report, not a baseline"),
            "{}",
            e.message
        );
        assert!(e.span.is_some(), "points at the schema value");
        let e = parse("p.json", "{\"format_version\": \"1.2\"}").expect_err("a plan");
        assert!(e.message.contains("no `\"schema\""));
        let e = parse("x.json", "[1]").expect_err("an array");
        assert!(e.message.contains("expected a JSON object"));
        let e = parse(
            "t.json",
            "{\"schema\": \"mcpguard/baseline/v1\", \"entries\": [",
        )
        .expect_err("truncated");
        assert!(e.message.contains("truncated"), "{}", e.message);
        let e = parse(
            "v.json",
            "{\"schema\": \"mcpguard/baseline/v9\", \"entries\": []}",
        )
        .expect_err("version");
        assert!(e
            .message
            .contains("unsupported baseline schema `mcpguard/baseline/v9`"));
        let bad_entry = "{\"schema\": \"mcpguard/baseline/v1\",\n \"entries\": [{\"rule_id\": \"MCP001\", \"adress\": \"a\", \"fingerprint\": \"f\"}]}";
        let e = parse("e.json", bad_entry).expect_err("misspelt key");
        assert!(e.message.contains("adress"), "{}", e.message);
        assert!(e.span.is_some());
    }
}
