//! The gateway's audit trail: whether every MCP tool call that API Management
//! logs reaches a Log Analytics workspace, and whether the case study's three
//! detections run there as alerts that page someone.
//!
//! Fact `mcpguard.audit` on every API Management service:
//!
//! | field | meaning |
//! |---|---|
//! | `loggerIds[*]` | `logger-id`s of the `log-to-eventhub` policies that run on every call (from `mcpguard.gateway`) |
//! | `missingLoggers[*]` | those that name no Event Hub logger (`service/loggers`, `loggerType: azureEventHub`) of this service |
//! | `workspaces[*]` | workspaces the service's diagnostic settings send its gateway logs to (`GatewayLogs`, or the `allLogs`/`audit` groups) |
//! | `reachesWorkspace` | `true` with such a setting; unknown when the calls go to an Event Hub only (what reads the hub is not configuration); `false` otherwise |
//! | `offHoursWrites[*]`, `fileReads[*]`, `forbidden[*]` | one element per scheduled query alert ([`detection`](super::detection)) recognised as that detection, see [`Alert::to_json`] |
//!
//! The alerts that count are those scoped to one of `workspaces`, or, when the
//! service has none, to any workspace (MCP020 then reports the missing path).
//! An alert whose query cannot be read, or is unknown before apply, is an
//! unknown element of all three lists, so no detection passes on it.

use std::collections::BTreeSet;

use serde_json::json;

use super::detection::{recognise, Reading};
use super::{id_key, kql, types, Inventory, Resource, Unknown, Value};

const FACT: &str = "audit";

/// One scheduled query rule, as the detections need it.
struct Alert {
    address: String,
    enabled: bool,
    action_group: bool,
    scopes: Vec<String>,
    fires_on_row: bool,
    query: Result<Reading, String>,
}

impl Alert {
    /// `{alert, enabled, actionGroup, firesOnRow, table, windowMinutes, reads,
    /// directories, failures, businessHours}`.
    fn to_json(&self, r: &Reading) -> Value {
        json!({
            "alert": self.address,
            "enabled": self.enabled,
            "actionGroup": self.action_group,
            "firesOnRow": self.fires_on_row,
            "table": r.table,
            "windowMinutes": r.window_minutes,
            "reads": r.reads,
            "directories": r.directories,
            "failures": r.failures,
            "businessHours": r.business_hours.map(|(a, b)| json!([a, b])),
        })
        .into()
    }
}

/// `PT1H`, `PT10M`, `P1D`, `PT30S` → minutes.
pub fn iso_minutes(s: &str) -> Option<f64> {
    let rest = s.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = 0.0;
    for (part, units) in [
        (date, &[('D', 1440.0), ('W', 10080.0)][..]),
        (time, &[('H', 60.0), ('M', 1.0), ('S', 1.0 / 60.0)][..]),
    ] {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                num.push(c);
            } else {
                let (_, m) = units.iter().find(|(u, _)| *u == c)?;
                total += num.parse::<f64>().ok()? * m;
                num.clear();
            }
        }
        if !num.is_empty() {
            return None;
        }
    }
    Some(total)
}

fn str_at<'a>(r: &'a Resource, ptr: &str) -> Option<&'a str> {
    r.doc.pointer(ptr).and_then(Value::as_str)
}

/// The ids in an id list (`scopes`, `actionGroups`), as keys.
fn id_keys(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_key)
        .map(|k| id_key(&k))
        .collect()
}

/// An action group counts when it is named, and is not a disabled one of the input.
fn has_action_group(inv: &Inventory, r: &Resource) -> bool {
    let groups = id_keys(r.doc.pointer("/properties/actions/actionGroups"));
    !groups.is_empty()
        && groups.iter().all(|g| {
            inv.by_id(g).is_none_or(|a| {
                a.doc
                    .pointer("/properties/enabled")
                    .and_then(Value::as_bool)
                    != Some(false)
            })
        })
}

/// Whether the single criterion fires as soon as the query returns a row
/// (`Count` `GreaterThan 0`, or `>= 1`); a metric column's threshold is read
/// as one more filter after the query's own.
fn read_alert(inv: &Inventory, r: &Resource) -> Alert {
    let criteria = r
        .doc
        .pointer("/properties/criteria/allOf")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let window = str_at(r, "/properties/windowSize").and_then(iso_minutes);
    let mut fires_on_row = false;
    let query = match criteria.as_slice() {
        [c] => match c.get("query") {
            Some(Value::String(q)) => {
                let op = c.get("operator").and_then(Value::as_str).unwrap_or("");
                let threshold = c.get("threshold").and_then(Value::as_f64);
                let column = c
                    .get("metricMeasureColumn")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty());
                let row = match (op, threshold) {
                    ("GreaterThan", Some(t)) => Some(t),
                    ("GreaterThanOrEqual", Some(t)) => Some(t - 1.0),
                    _ => None,
                };
                kql::parse(q).map_err(|e| e.to_string()).map(|mut parsed| {
                    match (column, row) {
                        (Some(col), Some(t)) => {
                            fires_on_row = true;
                            parsed.ops.push(kql::Op::Where(kql::Expr::Binary(
                                ">".into(),
                                Box::new(kql::Expr::Name(col.to_string())),
                                Box::new(kql::Expr::Num(t)),
                            )));
                        }
                        (None, Some(t)) => fires_on_row = t < 1.0,
                        _ => {}
                    }
                    recognise(&parsed, window)
                })
            }
            Some(v) if v.is_unknown() => Err("its query is not known before apply".to_string()),
            _ => Err("it has no query".to_string()),
        },
        [] => Err("it has no criteria".to_string()),
        _ => Err("it has several criteria".to_string()),
    };
    Alert {
        address: r.address.clone(),
        enabled: r
            .doc
            .pointer("/properties/enabled")
            .and_then(Value::as_bool)
            != Some(false),
        action_group: has_action_group(inv, r),
        scopes: id_keys(r.doc.pointer("/properties/scopes")),
        fires_on_row,
        query,
    }
}

/// Whether a diagnostic setting sends the calls the gateway handles.
fn sends_gateway_logs(d: &Resource) -> bool {
    d.doc
        .pointer("/properties/logs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|l| l.get("enabled").and_then(Value::as_bool) != Some(false))
        .any(|l| {
            let cat = l.get("category").and_then(Value::as_str).unwrap_or("");
            let group = l.get("categoryGroup").and_then(Value::as_str).unwrap_or("");
            cat.eq_ignore_ascii_case("GatewayLogs")
                || group.eq_ignore_ascii_case("allLogs")
                || group.eq_ignore_ascii_case("audit")
        })
}

/// The names of the Event Hub loggers of each service (lower-cased service id → names).
fn eventhub_loggers(inv: &Inventory, services: &[String]) -> Vec<(String, String)> {
    inv.of_type(types::APIM_LOGGER)
        .filter(|l| {
            str_at(l, "/properties/loggerType")
                .is_some_and(|t| t.eq_ignore_ascii_case("azureEventHub"))
        })
        .filter_map(|l| {
            Some((
                super::gateway::owner(inv, services, l)?,
                l.name().to_ascii_lowercase(),
            ))
        })
        .collect()
}

/// Computes `mcpguard.audit` on every API Management service. Call after the gateway facts.
pub fn compute(inv: &mut Inventory) {
    let services: Vec<usize> = inv.indices_of_type(types::API_MANAGEMENT).to_vec();
    if services.is_empty() {
        return;
    }
    let service_ids: Vec<String> = services
        .iter()
        .map(|&n| id_key(&inv.get(n).key()))
        .collect();
    let loggers = eventhub_loggers(inv, &service_ids);
    let diagnostics: Vec<(String, String)> = inv
        .of_type(types::DIAGNOSTIC_SETTING)
        .filter(|d| sends_gateway_logs(d))
        .filter_map(|d| {
            let target =
                super::hosts::parent_key(d, "/providers/microsoft.insights/diagnosticsettings/")?;
            let ws = d
                .doc
                .pointer("/properties/workspaceId")
                .and_then(Value::as_key)?;
            Some((target, id_key(&ws)))
        })
        .collect();
    let alerts: Vec<Alert> = inv
        .of_type(types::SCHEDULED_QUERY_RULE)
        .map(|r| read_alert(inv, r))
        .collect();
    for (n, svc) in services.into_iter().zip(service_ids) {
        let gateway = inv.get(n).fact("gateway").cloned().unwrap_or(Value::Null);
        let logger_ids: BTreeSet<String> = gateway
            .get("loggerIds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let missing: Vec<&String> = logger_ids
            .iter()
            .filter(|id| {
                !loggers
                    .iter()
                    .any(|(s, name)| *s == svc && *name == id.to_ascii_lowercase())
            })
            .collect();
        let workspaces: BTreeSet<&String> = diagnostics
            .iter()
            .filter(|(t, _)| *t == svc)
            .map(|(_, w)| w)
            .collect();
        let reaches: Value = if !workspaces.is_empty() {
            Value::Bool(true)
        } else if !logger_ids.is_empty() && missing.is_empty() {
            Unknown::because(
                "the gateway logs to an Event Hub only, and what reads the Event Hub into Log Analytics is not configuration mcpguard reads",
            )
        } else {
            Value::Bool(false)
        };
        let mut fact: Value = json!({
            "loggerIds": logger_ids,
            "missingLoggers": missing,
            "workspaces": workspaces,
        })
        .into();
        let mut lists: [(&str, Vec<Value>); 3] = [
            ("offHoursWrites", vec![]),
            ("fileReads", vec![]),
            ("forbidden", vec![]),
        ];
        for a in &alerts {
            let on_workspace = if workspaces.is_empty() {
                !a.scopes.is_empty()
            } else {
                a.scopes.iter().any(|s| workspaces.contains(s))
            };
            if !on_workspace {
                continue;
            }
            match &a.query {
                Ok(r) => {
                    for (kind, list) in lists.iter_mut() {
                        let is = match *kind {
                            "offHoursWrites" => r.off_hours_writes,
                            "fileReads" => r.file_reads,
                            _ => r.forbidden,
                        };
                        if is {
                            list.push(a.to_json(r));
                        }
                    }
                }
                // A query that cannot be read could be any detection: unknown
                // wherever it would otherwise count.
                Err(e) if a.enabled && a.action_group => {
                    for (_, list) in lists.iter_mut() {
                        list.push(Unknown::because(format!(
                            "the query of alert `{}` cannot be read: {e}",
                            a.address
                        )));
                    }
                }
                Err(_) => {}
            }
        }
        if let Some(m) = fact.as_object_mut() {
            m.insert("reachesWorkspace".into(), reaches);
            for (kind, list) in lists {
                m.insert(kind.into(), Value::Array(list));
            }
        }
        inv.resources_mut()[n].set_fact(FACT, fact);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(iso_minutes("PT1H"), Some(60.0));
        assert_eq!(iso_minutes("PT10M"), Some(10.0));
        assert_eq!(iso_minutes("P1D"), Some(1440.0));
        assert_eq!(iso_minutes("PT1H30M"), Some(90.0));
        assert_eq!(iso_minutes("1h"), None);
        assert_eq!(iso_minutes("PT5"), None);
    }
}
