//! Rules × resources → findings.
//!
//! Rules are indexed by the ARM types their `if` can match, so a rule is
//! evaluated only on resources it can apply to: the cost is linear in
//! resources × applicable rules. Evaluation is pure: the same inventory, rules
//! and parameters give the same findings in the same order.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::findings::{
    Evidence, Finding, Location, Pass, ReportError, ResourceRef, Severity, Status,
};
use crate::inventory::{Inventory, Resource};
use crate::policy::{Effect, Params, Rule, Tri};

/// The resources a rule is limited to. The engine only asks; whoever builds
/// the rule decides (`preflight` for a policy assignment's scope), so the
/// engine knows nothing of scopes.
pub trait Coverage: std::fmt::Debug + Send + Sync {
    /// Whether the rule applies to `r`; unknown while `r`'s id is not known
    /// well enough to tell (a failure is then unknown too).
    fn covers(&self, r: &Resource) -> Tri;
}

/// A rule ready to run: its parameters resolved and its effect decided.
#[derive(Debug, Clone)]
pub struct ActiveRule {
    pub rule: Rule,
    pub params: Params,
    pub effect: Effect,
    /// preflight: a policy assignment's scope; `None` = every resource.
    pub scope: Option<Arc<dyn Coverage>>,
}

impl ActiveRule {
    pub fn id(&self) -> &str {
        &self.rule.meta.id
    }
}

/// What one engine run produced.
#[derive(Debug, Default)]
pub struct EngineOutput {
    pub findings: Vec<Finding>,
    pub passes: Vec<Pass>,
    pub errors: Vec<ReportError>,
}

/// The resource part of a finding.
pub fn resource_ref(r: &Resource) -> ResourceRef {
    ResourceRef {
        address: r.address.clone(),
        tf_type: r
            .tf_type
            .clone()
            .unwrap_or_else(|| r.arm_type().to_string()),
        arm_type: r.arm_type().to_string(),
        id: r.display_id(),
    }
}

/// Where a finding points: the input file, and the line of the deciding
/// attribute (or of the resource block) where the input has lines.
pub fn location(r: &Resource, path: Option<&str>) -> Option<Location> {
    let line = r.line_for(path);
    r.origin.file.as_ref().map(|f| Location {
        file: f.clone(),
        line,
        block: r.origin.line.filter(|b| Some(*b) != line),
    })
}

/// A fingerprint stable across runs and line moves: FNV-1a over the rule id,
/// the address and the ARM type.
pub fn fingerprint(rule_id: &str, address: &str, arm_type: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for part in [
        rule_id,
        "\u{1f}",
        address,
        "\u{1f}",
        &arm_type.to_ascii_lowercase(),
    ] {
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

/// Runs every rule on every resource it can apply to.
pub fn run(inv: &Inventory, rules: &[ActiveRule]) -> EngineOutput {
    // ARM type (lower-case) → rules that can match it; rules with no type
    // restriction run everywhere.
    let mut by_type: HashMap<String, Vec<usize>> = HashMap::new();
    let mut any_type: Vec<usize> = Vec::new();
    for (n, ar) in rules.iter().enumerate() {
        // Only deny and audit are verdicts about one resource; other effects
        // (auditIfNotExists, modify, …) are listed as skipped when loaded.
        if !matches!(ar.effect, Effect::Deny | Effect::Audit) {
            continue;
        }
        match ar.rule.arm_types() {
            Some(ts) => {
                for t in ts {
                    by_type.entry(t.to_ascii_lowercase()).or_default().push(n);
                }
            }
            None => any_type.push(n),
        }
    }
    #[allow(clippy::iter_over_hash_type)] // order-independent: each list is sorted in place
    for v in by_type.values_mut() {
        v.sort_unstable();
        v.dedup();
    }

    // Resources are independent: evaluate them in chunks on every core and
    // concatenate the chunks in input order, so the output stays deterministic.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = inv.len().div_ceil(threads).max(256);
    let parts: Vec<EngineOutput> = std::thread::scope(|s| {
        let handles: Vec<_> = inv
            .resources()
            .chunks(chunk)
            .map(|resources| s.spawn(|| run_chunk(inv, resources, rules, &by_type, &any_type)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut out = EngineOutput::default();
    for p in parts {
        out.findings.extend(p.findings);
        out.passes.extend(p.passes);
        out.errors.extend(p.errors);
    }
    out
}

fn run_chunk(
    inv: &Inventory,
    resources: &[Resource],
    rules: &[ActiveRule],
    by_type: &HashMap<String, Vec<usize>>,
    any_type: &[usize],
) -> EngineOutput {
    let mut out = EngineOutput::default();
    let mut candidates: Vec<usize> = Vec::new();
    for r in resources {
        candidates.clear();
        if let Some(v) = by_type.get(&r.arm_type().to_ascii_lowercase()) {
            candidates.extend_from_slice(v);
        }
        candidates.extend_from_slice(any_type);
        for &n in &candidates {
            let ar = &rules[n];
            if !ar.rule.meta.applies_to.is_empty() && !ar.rule.meta.applies_to.contains(&r.kind) {
                continue;
            }
            if !ar.rule.mode_applies(r) {
                continue;
            }
            let in_scope = ar.scope.as_ref().map_or(Tri::True, |s| s.covers(r));
            if in_scope == Tri::False {
                continue;
            }
            evaluate_one(inv, r, ar, in_scope == Tri::Unknown, &mut out);
        }
    }
    out
}

/// Evaluates one rule on one resource. When the resource is only possibly in
/// the rule's scope (its id is partly known), a failure is unknown.
fn evaluate_one(
    inv: &Inventory,
    r: &Resource,
    ar: &ActiveRule,
    scope_unknown: bool,
    out: &mut EngineOutput,
) {
    let id = ar.id();
    let severity = severity_for(ar);
    let finding =
        |status: Status, message: String, evidence: Vec<Evidence>, path: Option<&str>| Finding {
            rule_id: id.to_string(),
            severity,
            status,
            message,
            resource: resource_ref(r),
            location: location(r, path),
            evidence,
            suppression: None,
            fingerprint: fingerprint(id, &r.address, r.arm_type()),
            root: None,
            plan: None,
        };
    match ar.rule.evaluate(r, inv, &ar.params) {
        Ok(o) => match o.verdict {
            Tri::True if scope_unknown => out.findings.push(finding(
                Status::Unknown,
                format!(
                    "cannot decide before {}: whether the assignment's scope covers `{}` is unknown",
                    known_at(r.kind),
                    r.display_id()
                ),
                o.evidence.clone(),
                o.decisive_path.as_deref(),
            )),
            Tri::True => out.findings.push(finding(
                Status::Fail,
                o.message.clone(),
                o.evidence.clone(),
                o.decisive_path.as_deref(),
            )),
            Tri::Unknown => {
                let paths = if o.unknown.is_empty() {
                    "a value".to_string()
                } else {
                    // Name the input value behind a computed fact.
                    let mut names: Vec<String> = o
                        .unknown
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect();
                    names.dedup();
                    names.join(", ")
                };
                let mut evidence = o.evidence.clone();
                for p in &o.unknown {
                    evidence.push(Evidence {
                        path: p.clone(),
                        value: Value::String(format!("<unknown until {}>", known_at(r.kind))),
                    });
                }
                let first = o.unknown.first().map(String::as_str);
                // A `coverage` rule (MCP015) is about input mcpguard could not
                // read, not a value known at apply: its own message says which.
                let message = if ar.rule.meta.tags.iter().any(|t| t == "coverage") {
                    o.message.clone()
                } else if r.kind == crate::input::InputKind::Workflow {
                    // A workflow waits for other inputs, not for an apply.
                    format!("cannot decide: {paths} is unknown")
                } else {
                    format!("cannot decide before {}: {paths} is unknown", known_at(r.kind))
                };
                out.findings
                    .push(finding(Status::Unknown, message, evidence, first));
            }
            Tri::False => out.passes.push(Pass {
                rule_id: id.to_string(),
                resource: resource_ref(r),
                location: location(r, None),
            }),
        },
        Err(e) => {
            // Azure treats a failed evaluation as deny; we cannot claim either
            // verdict, so the finding is unknown and says why.
            out.findings.push(finding(
                Status::Unknown,
                format!("evaluation failed: {e}"),
                Vec::new(),
                None,
            ));
        }
    }
}

/// An `audit` effect does not block in Azure: its findings are reported at
/// `info`, below the default `fail_on = "low"`, so they warn without failing.
fn severity_for(ar: &ActiveRule) -> Severity {
    match ar.effect {
        Effect::Audit => Severity::Info,
        _ => ar.rule.meta.severity,
    }
}

/// When a value unknown now becomes known: Terraform's apply, or the ARM
/// deployment of a template or what-if result (an ARM snapshot holds what
/// was deployed, so what it lacks is known at deployment too).
fn known_at(kind: crate::input::InputKind) -> &'static str {
    match kind {
        crate::input::InputKind::Arm => "deployment",
        _ => "apply",
    }
}
