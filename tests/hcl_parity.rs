//! Parity (issue 3, item 8) at the model level: for every rule fixture with
//! both `main.tf` and `plan.json`, the source reader gives the same resource
//! addresses and references as the plan reader, every value it knows equals
//! the plan's, and every value the plan has that the source lacks is unknown
//! in the source (apply-time data) or empty. Skips while the fixtures or the
//! plan reader are not in this build.
//!
//! Only what the configuration sets is compared: a real plan also holds every
//! provider default and `null` for every unset argument, which no source has.

use std::path::{Path, PathBuf};

use mcpguard::inventory::Value;
use mcpguard::load::hcl::{load, HclOptions};
use mcpguard::load::terraform::TfResource;
use serde_json::Value as Json;

fn pairs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    entries.sort();
    for d in entries {
        if d.join("main.tf").is_file() && d.join("plan.json").is_file() {
            out.push(d.clone());
        }
        pairs(&d, out);
    }
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Whether a plan value and a source value agree: the same known value, or
/// a value the plan does not know that the source knows as little of, or
/// (a partly known string) more.
fn agree(plan: &Value, src: &Value) -> bool {
    match (plan, src) {
        (Value::Unknown(_), s) => s.is_unknown(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| agree(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| agree(x, y)))
        }
        (p, s) => p.to_json().is_some() && p.to_json() == s.to_json(),
    }
}

/// A plan value cut down to what the configuration sets: `expressions` is the
/// resource's `configuration` entry (nested blocks are lists of expression maps).
fn configured(value: &Value, expressions: &Json) -> Value {
    match (value, expressions) {
        (Value::Object(v), Json::Object(e))
            if !e.contains_key("references") && !e.contains_key("constant_value") =>
        {
            Value::Object(
                v.iter()
                    .filter_map(|(k, x)| Some((k.clone(), configured(x, e.get(k)?))))
                    .collect(),
            )
        }
        (Value::Array(v), Json::Array(e)) if v.len() == e.len() => {
            Value::Array(v.iter().zip(e).map(|(x, y)| configured(x, y)).collect())
        }
        _ => value.clone(),
    }
}

/// Address → `expressions` of every root-module resource in the plan's configuration.
fn configuration(plan: &str) -> std::collections::HashMap<String, Json> {
    let v: Json = serde_json::from_str(plan).unwrap_or(Json::Null);
    v.pointer("/configuration/root_module/resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                r.get("address")?.as_str()?.to_string(),
                r.get("expressions")?.clone(),
            ))
        })
        .collect()
}

/// Compares one resource's values; returns the differences.
fn compare(addr: &str, plan: &TfResource, src: &TfResource) -> Vec<String> {
    let mut diffs = Vec::new();
    let (Some(p), Some(s)) = (plan.values.as_object(), src.values.as_object()) else {
        return vec![format!("{addr}: values are not objects")];
    };
    for (k, sv) in s {
        match p.get(k) {
            Some(pv) if agree(pv, sv) => {}
            None if empty(sv) => {}
            // Computed by the provider (`id`): the plan's configuration does not set it either.
            None if sv.as_unknown().is_some_and(|u| !u.present) => {}
            other => diffs.push(format!("{addr}.{k}: source {sv}, plan {other:?}")),
        }
    }
    for (k, pv) in p {
        // An attribute the provider computes (the configuration does not set it).
        let computed = pv.as_unknown().is_some_and(|u| !u.present);
        if !s.contains_key(k) && !empty(pv) && !computed {
            diffs.push(format!(
                "{addr}.{k}: plan has {pv}, source neither knows nor marks it unknown"
            ));
        }
    }
    if plan.references != src.references {
        diffs.push(format!(
            "{addr}: references differ: plan {:?}, source {:?}",
            plan.references, src.references
        ));
    }
    diffs
}

#[test]
fn source_and_plan_of_each_rule_fixture_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let mut dirs = Vec::new();
    pairs(&root, &mut dirs);
    if dirs.is_empty() {
        eprintln!("no fixtures/rules/*/{{main.tf,plan.json}} in this build; skipping");
        return;
    }
    let mut diffs = Vec::new();
    let mut compared = 0;
    for d in &dirs {
        let text = std::fs::read_to_string(d.join("plan.json")).expect("plan.json readable");
        let plan = match mcpguard::load::plan::load("plan.json", &text) {
            Ok(p) => p,
            Err(e) if e.message.contains("not built yet") => {
                eprintln!("the plan reader is not in this build; skipping");
                return;
            }
            Err(e) => panic!("{}: {}", d.display(), e.message),
        };
        let src = load(d, &HclOptions::default());
        let shown = d.strip_prefix(&root).unwrap_or(d).display().to_string();
        for e in &src.errors {
            diffs.push(format!("{shown}: source error: {}", e.message));
        }
        let mut p: Vec<&TfResource> = plan.resources.iter().collect();
        p.sort_by(|a, b| a.address.cmp(&b.address));
        let pa: Vec<&str> = p.iter().map(|r| r.address.as_str()).collect();
        let sa: Vec<&str> = src
            .model
            .resources
            .iter()
            .map(|r| r.address.as_str())
            .collect();
        if pa != sa {
            diffs.push(format!(
                "{shown}: addresses differ: plan {pa:?}, source {sa:?}"
            ));
            continue;
        }
        let conf = configuration(&text);
        for (pr, sr) in p.iter().zip(&src.model.resources) {
            compared += 1;
            let mut pr = (*pr).clone();
            if let Some(e) = conf.get(&pr.address) {
                pr.values = configured(&pr.values, e);
            }
            diffs.extend(compare(&format!("{shown} {}", pr.address), &pr, sr));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    eprintln!("{} fixture pairs, {compared} resources agree", dirs.len());
}
