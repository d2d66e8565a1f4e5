//! What-if results into the Inventory: the Bicep and ARM "plan".
//!
//! `az deployment group|sub|mg|tenant what-if --result-format
//! FullResourcePayloads --no-pretty-print` prints the deployment's predicted
//! changes as JSON. It is read as a Terraform plan is: what the resources
//! will be after the deployment.
//!
//! Shapes accepted (the first is what the CLI prints; the REST API wraps the
//! same list in `properties`, and the REST specification's examples wrap the
//! response in `responses.200.body`):
//!
//! ```json
//! {"status": "Succeeded", "error": null,
//!  "changes": [{"resourceId": "/subscriptions/…", "changeType": "Create",
//!               "before": null, "after": {ARM document}, "delta": []}]}
//! ```
//!
//! Per `changeType` (Azure's `WhatIfChange.changeType`):
//! - `Create`, `Modify`, `Deploy`, `NoChange`: the `after` document is the
//!   resource, and goes through the ARM documents' one path
//!   ([`arm::documents_to_resources`]: canonical keys, children folded).
//! - `Delete`: gone after the deployment; not scanned.
//! - `Ignore` (in the resource group, not in the template, or beyond what
//!   what-if expands) and `Unsupported` (what-if cannot predict it): the
//!   resource exists but its state after the deployment is not predicted.
//!   Its id, type and name are known and everything else is unknown, naming
//!   the change type (and `unsupportedReason`), so a rule on it is `unknown`.
//! - A scanned change without `after` (`--result-format ResourceIdOnly`) is
//!   unknown the same way, and the help says to use `FullResourcePayloads`.
//!
//! What what-if cannot evaluate before deployment it leaves as the template
//! expression (`"[reference('vnet').outputs.subnetId.value]"`): such a string
//! is unknown, never compared as a fact.
//!
//! Each resource's origin is the what-if file, the line of its `after`, and
//! the JSON path (`changes[3].after`).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use regex::Regex;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

use super::arm::{self, ArmOutput, RawDoc};
use super::InputError;
use crate::input::lines::Lines;
use crate::inventory::{Resource, Unknown, Value};

/// Whether `text` is a what-if result: textually first (cheap, and most
/// inputs are not), then by shape, so an ARM document that merely has a
/// `changes` property (Resource Graph's `resourcechanges`) is not taken.
pub fn looks_like_whatif(text: &str) -> bool {
    if !(text.contains("\"changes\"")
        && (text.contains("\"changeType\"") || text.contains("\"status\"")))
    {
        return false;
    }
    match serde_json::from_str::<Map<String, Json>>(text.trim_start_matches('\u{feff}')) {
        Ok(top) => find_changes(&top).is_some(),
        Err(_) => false,
    }
}

/// The `changes` array and its JSON path, in any accepted wrapping.
fn find_changes(top: &Map<String, Json>) -> Option<(&Vec<Json>, String)> {
    // Every change has a `changeType`; an empty list is a what-if's only
    // beside the `status` of the operation.
    let is_changes = |v: &Json, at: &Map<String, Json>| {
        v.as_array().is_some_and(|a| {
            (!a.is_empty() || at.contains_key("status"))
                && a.iter()
                    .all(|c| c.get("changeType").is_some_and(Json::is_string))
        })
    };
    let mut at = top;
    let mut path = String::new();
    for wrapper in [None, Some("responses.200.body")] {
        if let Some(w) = wrapper {
            let mut cur = top;
            for k in w.split('.') {
                cur = cur.get(k)?.as_object()?;
            }
            at = cur;
            path = format!("{w}.");
        }
        if let Some(c) = at.get("changes").filter(|c| is_changes(c, at)) {
            return c.as_array().map(|a| (a, format!("{path}changes")));
        }
        if let Some(c) = at
            .get("properties")
            .and_then(|p| p.get("changes"))
            .filter(|c| is_changes(c, at))
        {
            return c
                .as_array()
                .map(|a| (a, format!("{path}properties.changes")));
        }
    }
    None
}

/// One predicted change, as Azure's `WhatIfChange` defines it.
#[derive(Deserialize)]
struct Change<'a> {
    #[serde(rename = "resourceId", default)]
    resource_id: Option<String>,
    #[serde(rename = "changeType")]
    change_type: String,
    #[serde(rename = "unsupportedReason", default)]
    unsupported_reason: Option<String>,
    #[serde(borrow, default)]
    after: Option<&'a RawValue>,
}

/// What to do with one change.
enum Verdict {
    /// Scanned: the `after` document.
    Scan,
    /// Not there after the deployment.
    Skip,
    /// There, but not predicted: unknown, for this reason.
    Unknown(String),
}

fn verdict(c: &Change) -> Result<Verdict, String> {
    let scanned = |c: &Change| {
        if c.after.is_some_and(|a| a.get() != "null") {
            Verdict::Scan
        } else {
            Verdict::Unknown(format!(
                "what-if `{}` without `after` (run what-if with --result-format FullResourcePayloads)",
                c.change_type
            ))
        }
    };
    Ok(match c.change_type.to_ascii_lowercase().as_str() {
        "create" | "modify" | "deploy" | "nochange" => scanned(c),
        "delete" => Verdict::Skip,
        "ignore" => Verdict::Unknown("what-if `Ignore`: not predicted by this deployment".into()),
        "unsupported" => Verdict::Unknown(match &c.unsupported_reason {
            Some(r) => format!("what-if `Unsupported`: {r}"),
            None => "what-if `Unsupported`".to_string(),
        }),
        other => {
            return Err(format!(
                "unknown what-if changeType `{other}` (expected Create, Modify, Deploy, NoChange, Delete, Ignore or Unsupported)"
            ))
        }
    })
}

/// Reads one what-if result. Fatal when the file as a whole is unusable:
/// not JSON, no `changes`, or a what-if that did not succeed.
#[allow(clippy::result_large_err)] // see arm::load
pub fn load(path: &str, text: &str) -> Result<ArmOutput, InputError> {
    let body = text.trim_start_matches('\u{feff}');
    let top: Map<String, Json> = serde_json::from_str(body)
        .map_err(|e| InputError::json(path, text, &e, "what-if result"))?;
    failed(path, &top)?;
    let Some((_, at)) = find_changes(&top) else {
        return Err(InputError::new(
            path,
            "what-if result has no `changes` list",
        ));
    };
    // Parsed again as raw slices: each `after`'s place in the text gives
    // its line, as a plan's resources have theirs.
    let json_err = |e: serde_json::Error| InputError::json(path, text, &e, "what-if result");
    let changes = raw_changes(body, &at).map_err(json_err)?;
    // Beside `changes`, newer API versions list `potentialChanges`: what the
    // deployment may change. Whether it will is not known, so each is
    // unknown (after the same resource in `changes`, which wins).
    let potential_at = format!("{}potentialChanges", at.trim_end_matches("changes"));
    let potential = raw_changes(body, &potential_at).map_err(json_err)?;
    let all = changes
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("{at}[{i}]"), *s, false))
        .chain(
            potential
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("{potential_at}[{i}]"), *s, true)),
        );
    let mut raw = Vec::new();
    let lines = Lines::new(text);
    // Change path → its line; and → why, for the unknown ones.
    let mut at_line: HashMap<String, u32> = HashMap::new();
    let mut unknown: HashMap<String, String> = HashMap::new();
    let mut skipped = 0usize;
    let mut errors = Vec::new();
    for (detail, slice, potential) in all {
        let change: Change = match serde_json::from_str(slice.get()) {
            Ok(c) => c,
            Err(e) => {
                errors.push(change_error(path, text, slice, &detail, &e.to_string()));
                continue;
            }
        };
        let verdict = match verdict(&change) {
            Ok(Verdict::Scan) if potential => Ok(Verdict::Unknown(format!(
                "what-if lists `{}` only as a potential change",
                change.change_type
            ))),
            v => v,
        };
        match verdict {
            Ok(Verdict::Skip) => skipped += 1,
            Ok(Verdict::Scan) => {
                let Some(after) = change.after else { continue };
                match serde_json::from_str::<Json>(after.get()) {
                    Ok(doc) => {
                        let detail = format!("{detail}.after");
                        at_line.insert(detail.clone(), lines.of(after.get()));
                        raw.push(RawDoc { doc, detail });
                    }
                    Err(e) => errors.push(change_error(path, text, slice, &detail, &e.to_string())),
                }
            }
            Ok(Verdict::Unknown(why)) => match change.resource_id.filter(|id| !id.is_empty()) {
                Some(id) => {
                    at_line.insert(detail.clone(), lines.of(slice.get()));
                    raw.push(RawDoc {
                        doc: id_only(&id),
                        detail: detail.clone(),
                    });
                    unknown.insert(detail, why);
                }
                None => errors.push(change_error(
                    path,
                    text,
                    slice,
                    &detail,
                    "has no `resourceId`",
                )),
            },
            Err(m) => errors.push(change_error(path, text, slice, &detail, &m)),
        }
    }
    let (mut resources, doc_errors) = arm::documents_to_resources(Some(path), raw);
    errors.extend(arm::located_errors(path, text, doc_errors));
    for r in &mut resources {
        let detail = r.origin.detail.clone().unwrap_or_default();
        // A child unfolded from its parent (`….after.properties.subnets[0]`)
        // is on its parent's line.
        let change = detail
            .find(".after")
            .map_or(detail.as_str(), |i| &detail[..i + ".after".len()]);
        r.origin.line = at_line.get(change).copied();
        match unknown.get(&detail) {
            Some(why) => unknown_state(r, why),
            None => unevaluated_to_unknown(&mut r.doc),
        }
    }
    let mut notes = diagnostics(path, &top, &at);
    if skipped > 0 {
        notes.push(format!(
            "{path}: {skipped} resource(s) the deployment deletes (what-if `Delete`) are not scanned"
        ));
    }
    if !unknown.is_empty() {
        notes.push(format!(
            "{path}: {} resource(s) whose state what-if does not predict (`Ignore`, `Unsupported`) are unknown",
            unknown.len()
        ));
    }
    Ok(ArmOutput {
        resources,
        errors,
        snapshot: None,
        notes,
        ignores: Vec::new(),
    })
}

/// A what-if that failed (`status` other than `Succeeded`, or an `error`)
/// predicts nothing: scanning it must not look clean.
#[allow(clippy::result_large_err)]
fn failed(path: &str, top: &Map<String, Json>) -> Result<(), InputError> {
    let body = top
        .get("responses")
        .and_then(|r| r.get("200"))
        .and_then(|r| r.get("body"))
        .and_then(Json::as_object)
        .unwrap_or(top);
    let status = body.get("status").and_then(Json::as_str).unwrap_or("");
    let error = body.get("error").filter(|e| !e.is_null());
    if error.is_none() && (status.is_empty() || status.eq_ignore_ascii_case("succeeded")) {
        return Ok(());
    }
    // ARM's error: a code, a message, and inner errors that say what was wrong.
    fn describe(e: &Json, out: &mut Vec<String>) {
        let code = e.get("code").and_then(Json::as_str).unwrap_or("");
        let msg = e.get("message").and_then(Json::as_str).unwrap_or("");
        out.push(format!("{code}: {msg}"));
        for d in e
            .get("details")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            describe(d, out);
        }
    }
    let mut what = Vec::new();
    if let Some(e) = error {
        describe(e, &mut what);
    }
    let what = what.join("; ");
    Err(InputError::new(
        path,
        format!("the what-if did not succeed (status `{status}`) {what}")
            .trim_end()
            .to_string(),
    )
    .with_help("fix the deployment and run what-if again; a failed what-if predicts no resources"))
}

/// What-if's own diagnostics (a nested deployment it did not expand, a
/// resource it could not read), as notes: they say what the prediction may
/// lack.
fn diagnostics(path: &str, top: &Map<String, Json>, at: &str) -> Vec<String> {
    let mut cur = Some(top);
    let parent = at.trim_end_matches("changes").trim_end_matches('.');
    for k in parent.split('.').filter(|k| !k.is_empty()) {
        cur = cur.and_then(|c| c.get(k)).and_then(Json::as_object);
    }
    let list = cur
        .and_then(|c| c.get("diagnostics"))
        .and_then(Json::as_array);
    let field = |d: &Json, k: &str| d.get(k).and_then(Json::as_str).unwrap_or("").to_string();
    list.into_iter()
        .flatten()
        .map(|d| {
            format!(
                "{path}: what-if {} {}: {} ({})",
                field(d, "level"),
                field(d, "code"),
                field(d, "message"),
                field(d, "target")
            )
        })
        .collect()
}

/// The changes as raw slices of `text`, at the path `at` found.
fn raw_changes<'a>(text: &'a str, at: &str) -> Result<Vec<&'a RawValue>, serde_json::Error> {
    let mut cur: &RawValue = serde_json::from_str(text)?;
    for k in at.split('.') {
        let obj: BTreeMap<String, &RawValue> = serde_json::from_str(cur.get())?;
        match obj.get(k) {
            Some(v) => cur = v,
            None => return Ok(Vec::new()),
        }
    }
    serde_json::from_str(cur.get())
}

fn change_error(path: &str, text: &str, slice: &RawValue, detail: &str, msg: &str) -> InputError {
    let start = (slice.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    InputError::new(path, format!("`{detail}`: {msg}")).at_span(text, start, 1, "this change")
}

/// The document of a resource known only by its id.
fn id_only(id: &str) -> Json {
    let name = id.rsplit('/').next().unwrap_or_default();
    let mut doc = Map::new();
    doc.insert("id".into(), Json::String(id.to_string()));
    doc.insert("name".into(), Json::String(name.to_string()));
    if let Some(t) = arm::type_from_id(id) {
        doc.insert("type".into(), Json::String(t));
    }
    Json::Object(doc)
}

/// Everything of the resource but its id, name and type is unknown, because
/// what-if does not say what it will be.
fn unknown_state(r: &mut Resource, why: &str) {
    let Some(doc) = r.doc.as_object_mut() else {
        return;
    };
    for key in ["location", "kind", "tags", "sku", "identity", "properties"] {
        // Not even whether it is set is known: `exists` cannot decide on it.
        let mut v = Unknown::because(format!("{key} ({why})"));
        if let Value::Unknown(u) = &mut v {
            u.present = false;
        }
        doc.insert(key.to_string(), v);
    }
}

/// A template expression what-if left unevaluated is unknown.
fn unevaluated_to_unknown(v: &mut Value) {
    match v {
        Value::String(s) if is_expression(s) => *v = Unknown::present(),
        Value::Array(items) => items.iter_mut().for_each(unevaluated_to_unknown),
        Value::Object(map) => map.values_mut().for_each(unevaluated_to_unknown),
        _ => {}
    }
}

/// What-if evaluates every template function but those that read the
/// deployment's results (`reference`, `list*`): a string that is still such
/// an expression is one it could not evaluate. Any other `[...]` string is a
/// value: a policy definition's rule is written in expressions
/// (`[parameters('effect')]`) that only Azure Policy evaluates.
fn is_expression(s: &str) -> bool {
    static RUNTIME: OnceLock<Regex> = OnceLock::new();
    let runtime = RUNTIME
        .get_or_init(|| Regex::new(r"(?i)\b(reference|list[a-z]*)\s*\(").expect("a valid pattern"));
    s.starts_with('[') && !s.starts_with("[[") && s.ends_with(']') && runtime.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_and_escapes() {
        assert!(is_expression("[reference('x').outputs.id.value]"));
        assert!(is_expression(
            "[listKeys(variables('acr'), '2023-07-01').passwords[0].value]"
        ));
        assert!(!is_expression("[[reference('escaped')]"));
        assert!(
            !is_expression("[parameters('effect')]"),
            "a policy rule's expression"
        );
        assert!(!is_expression("plain"));
    }

    #[test]
    fn resource_changes_of_resource_graph_are_not_what_if() {
        let rg = r#"{"data":[{"properties":{"changeType":"Update","changes":{}}}]}"#;
        assert!(!looks_like_whatif(rg));
        let cli = r#"{"status":"Succeeded","changes":[{"resourceId":"/x","changeType":"Create"}]}"#;
        assert!(looks_like_whatif(cli));
    }
}
