//! mcpguard's own snapshot format: what a sweep read, saved so that it can be
//! scanned again offline and give the same findings.
//!
//! ```json
//! {
//!   "schema": "mcpguard/snapshot/v1",
//!   "taken_at": "2026-11-23T21:00:00Z",
//!   "tool": {"name": "mcpguard", "version": "0.1.0"},
//!   "mode": "arm",
//!   "arm_endpoint": "https://management.azure.com",
//!   "subscriptions": ["00000000-0000-0000-0000-000000000000"],
//!   "resource_groups": [],
//!   "types": ["Microsoft.Network/networkSecurityGroups"],
//!   "api_versions": {"Microsoft.Network/networkSecurityGroups": "2024-07-01"},
//!   "errors": [{"source": "subscription 1111…", "message": "403 Forbidden: AuthorizationFailed"}],
//!   "resources": [ {ARM documents exactly as ARM or Resource Graph returned them} ]
//! }
//! ```
//!
//! - `schema` is required and versioned; another version is refused rather
//!   than half read.
//! - `resources` holds the documents as read, before any normalisation, sorted
//!   by id: a re-scan normalises them with the same code as the sweep did.
//! - `errors` lists what the sweep could not read. A re-scan reports them
//!   again, so a snapshot of an incomplete sweep never scans clean (exit 2).
//! - No credential is ever written: ARM never returns secure values, and the
//!   sweep adds nothing but the fields above.
//!
//! `docs/snapshot.md` is the user-facing copy of this contract.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::findings::ReportError;
use crate::inventory::id_key;

/// The `schema` value of the format this build reads and writes.
pub const SCHEMA_V1: &str = "mcpguard/snapshot/v1";
const SCHEMA_PREFIX: &str = "mcpguard/snapshot/";

/// Everything in a snapshot but its resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    pub schema: String,
    /// RFC 3339 time the sweep started.
    #[serde(default)]
    pub taken_at: String,
    #[serde(default)]
    pub tool: Value,
    /// `arm` (REST list GETs) or `graph` (Azure Resource Graph).
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub arm_endpoint: String,
    #[serde(default)]
    pub subscriptions: Vec<String>,
    #[serde(default)]
    pub resource_groups: Vec<String>,
    /// The ARM types the sweep was asked to read.
    #[serde(default)]
    pub types: Vec<String>,
    /// ARM type → api-version used to read it.
    #[serde(default)]
    pub api_versions: BTreeMap<String, String>,
    /// What the sweep could not read; re-reported by every scan of the file.
    #[serde(default)]
    pub errors: Vec<ReportError>,
}

impl SnapshotMeta {
    /// Metadata for a snapshot taken now by this build.
    pub fn new(mode: &str) -> Self {
        let taken_at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        SnapshotMeta {
            schema: SCHEMA_V1.to_string(),
            taken_at,
            tool: serde_json::json!({"name": "mcpguard", "version": env!("CARGO_PKG_VERSION")}),
            mode: mode.to_string(),
            ..SnapshotMeta::default()
        }
    }
}

/// Whether a parsed JSON document is an mcpguard snapshot (of any version).
pub fn is_snapshot(v: &Value) -> bool {
    v.get("schema")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with(SCHEMA_PREFIX))
}

/// Splits a snapshot into its metadata and its resource documents. Errors are
/// plain messages; the caller adds the file name.
pub fn parse(v: Value) -> Result<(SnapshotMeta, Vec<Value>), String> {
    let Value::Object(mut obj) = v else {
        return Err("snapshot is not a JSON object".to_string());
    };
    let schema = obj
        .get("schema")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if schema != SCHEMA_V1 {
        return Err(format!(
            "snapshot schema `{schema}` is not supported (this build reads `{SCHEMA_V1}`)"
        ));
    }
    let resources = match obj.remove("resources") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            return Err(format!(
                "snapshot `resources` is {}, expected an array",
                kind_name(&other)
            ))
        }
        None => return Err("snapshot has no `resources` array".to_string()),
    };
    let meta: SnapshotMeta = serde_json::from_value(Value::Object(obj))
        .map_err(|e| format!("snapshot metadata is malformed: {e}"))?;
    if time::OffsetDateTime::parse(
        &meta.taken_at,
        &time::format_description::well_known::Rfc3339,
    )
    .is_err()
    {
        return Err(format!(
            "snapshot `taken_at` `{}` is not an RFC 3339 time",
            meta.taken_at
        ));
    }
    Ok((meta, resources))
}

/// Builds the snapshot document: metadata plus the documents as read, sorted
/// by id (then by content, for documents without one) so the file is stable.
pub fn build(meta: &SnapshotMeta, mut resources: Vec<Value>) -> Value {
    resources.sort_by_cached_key(|r| {
        let id = r
            .get("id")
            .and_then(Value::as_str)
            .map(id_key)
            .unwrap_or_default();
        (id, r.to_string())
    });
    let mut errors = meta.errors.clone();
    errors.sort_by(|a, b| (&a.source, &a.message).cmp(&(&b.source, &b.message)));
    errors.dedup();
    let mut out = match serde_json::to_value(SnapshotMeta {
        errors,
        ..meta.clone()
    }) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    out.insert("resources".to_string(), Value::Array(resources));
    Value::Object(out)
}

/// `a string`, `an object`…: the JSON kind of a value, for messages.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn build_then_parse_round_trips_and_sorts() {
        let mut meta = SnapshotMeta::new("arm");
        meta.subscriptions = vec!["s1".into()];
        meta.errors = vec![
            ReportError {
                source: "b".into(),
                message: "m".into(),
            },
            ReportError {
                source: "a".into(),
                message: "m".into(),
            },
        ];
        let snap = build(&meta, vec![json!({"id": "/B"}), json!({"id": "/a"})]);
        assert_eq!(snap["resources"][0]["id"], "/a");
        assert_eq!(snap["errors"][0]["source"], "a");
        let (back, res) = parse(snap).unwrap();
        assert_eq!(res.len(), 2);
        assert_eq!(back.subscriptions, vec!["s1".to_string()]);
        assert_eq!(back.errors.len(), 2);
        assert!(is_snapshot(&json!({"schema": "mcpguard/snapshot/v9"})));
    }

    #[test]
    fn refuses_other_versions_and_missing_parts() {
        let e = parse(json!({"schema": "mcpguard/snapshot/v9", "resources": []})).unwrap_err();
        assert!(e.contains("not supported"), "{e}");
        let e =
            parse(json!({"schema": SCHEMA_V1, "taken_at": "2026-01-01T00:00:00Z"})).unwrap_err();
        assert!(e.contains("no `resources`"), "{e}");
        let e = parse(json!({"schema": SCHEMA_V1, "taken_at": "yesterday", "resources": []}))
            .unwrap_err();
        assert!(e.contains("RFC 3339"), "{e}");
        let e = parse(json!({"schema": SCHEMA_V1, "resources": {}})).unwrap_err();
        assert!(e.contains("an object"), "{e}");
    }
}
