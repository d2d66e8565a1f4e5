//! The differential oracle: every Azure built-in policy definition that both
//! mcpguard and regorus (Microsoft's engine, feature `azure_policy`) evaluate
//! is run on resources generated from the definition's own conditions (values
//! that satisfy and that violate each leaf), and both verdicts must agree.
//!
//! Both engines read the same alias file (`aliases/azure-aliases.json`, ARM
//! provider-alias format). Known disagreements are listed, with their reason,
//! in `oracle/disagreements.md` (one `- <definition file> :: <case>` line
//! each); any other disagreement fails the test. Generated resources hold no
//! unknown value; a case mcpguard still reports `unknown` (an alias outside
//! the table) is counted apart, never compared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mcpguard::findings::SkippedRule;
use mcpguard::inventory::{InputKind, Inventory, Resource};
use mcpguard::policy::{self, Effect, Rule, Tri};
use regorus::languages::azure_policy::aliases::{normalizer, AliasRegistry};
use regorus::languages::azure_policy::{compiler, parser};
use regorus::rvm::RegoVM;
use regorus::{Rc, Source};
use serde_json::{json, Value};

/// At most this many generated resources per definition, and this much time
/// in all: the oracle stays well under a minute on 2 cores.
const MAX_CASES: usize = 24;
const BUDGET: Duration = Duration::from_secs(40);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> Option<PathBuf> {
    let p = root().join("../shared/corpus/azure-policy-builtin");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

/// Alias name (lower-case) → ARM default path, from the provider-alias file.
fn alias_paths(text: &str) -> BTreeMap<String, String> {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let providers = v.get("value").cloned().unwrap_or(v);
    let mut out = BTreeMap::new();
    for p in providers.as_array().into_iter().flatten() {
        for t in p["resourceTypes"].as_array().into_iter().flatten() {
            for a in t["aliases"].as_array().into_iter().flatten() {
                if let (Some(n), Some(d)) = (a["name"].as_str(), a["defaultPath"].as_str()) {
                    out.insert(n.to_ascii_lowercase(), d.to_string());
                }
            }
        }
    }
    out
}

/// Sets `value` at an ARM path (`properties.a[*].b`), creating what is
/// missing; `[*]` makes (or reuses) a one-member array.
fn set_path(doc: &mut Value, path: &str, value: Value) {
    let mut cur = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (key, star) = match part.strip_suffix("[*]") {
            Some(k) => (k, true),
            None => (*part, false),
        };
        if !cur.is_object() {
            *cur = json!({});
        }
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        let slot = obj.entry(key.to_string()).or_insert(Value::Null);
        if star {
            if !slot.is_array() || slot.as_array().is_some_and(Vec::is_empty) {
                *slot = json!([{}]);
            }
            let Some(first) = slot.as_array_mut().and_then(|a| a.first_mut()) else {
                return;
            };
            if last {
                *first = value;
                return;
            }
            cur = first;
        } else if last {
            *slot = value;
            return;
        } else {
            cur = slot;
        }
    }
}

/// Leaves `(field, operator, literal value)` of a policy rule's `if`.
fn leaves(cond: &Value, out: &mut Vec<(String, String, Value)>) {
    match cond {
        Value::Object(m) => {
            if let Some(f) = m.get("field").and_then(Value::as_str) {
                for (k, v) in m {
                    if k != "field" {
                        out.push((f.to_string(), k.to_ascii_lowercase(), v.clone()));
                    }
                }
            }
            for v in m.values() {
                leaves(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| leaves(v, out)),
        _ => {}
    }
}

/// A value that satisfies / violates a leaf, for literal operands.
fn sample(op: &str, v: &Value) -> Vec<Value> {
    let v = match v {
        Value::String(s) if s.starts_with('[') && !s.starts_with("[[") => return vec![],
        v => v.clone(),
    };
    let first = v
        .as_array()
        .and_then(|a| a.first().cloned())
        .unwrap_or(v.clone());
    let mut out = vec![first.clone()];
    match &first {
        Value::String(s) => {
            out.push(json!(s.replace(['*', '?', '#'], "x")));
            out.push(json!(format!("{s}-other")));
        }
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            out.push(json!(f + 1.0));
            out.push(json!(f - 1.0));
        }
        Value::Bool(b) => out.push(json!(!b)),
        _ => {}
    }
    if op == "exists" {
        out = vec![json!("present")];
    }
    out
}

/// Resources generated from a definition: a base of its type plus, per leaf,
/// documents that satisfy and violate it and one without the field.
fn generate(def: &Value, arm_type: &str, aliases: &BTreeMap<String, String>) -> Vec<Value> {
    let base = json!({
        "id": format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/{arm_type}/res1"),
        "name": "res1", "type": arm_type, "location": "westeurope", "tags": {}, "properties": {}
    });
    let mut ls = Vec::new();
    leaves(&def["properties"]["policyRule"]["if"], &mut ls);
    let mut docs = vec![base.clone()];
    let mut all = base.clone();
    for (field, op, v) in ls {
        let path = match aliases.get(&field.to_ascii_lowercase()) {
            Some(p) => p.clone(),
            None if ["location", "kind", "name"].contains(&field.as_str()) => field.clone(),
            None => continue,
        };
        for s in sample(&op, &v) {
            let mut d = base.clone();
            set_path(&mut d, &path, s.clone());
            docs.push(d);
            set_path(&mut all, &path, s);
        }
    }
    docs.push(all);
    docs.truncate(MAX_CASES);
    docs
}

/// ARM documents of every `arm.json` fixture (deployed form: no unknowns).
fn fixture_docs() -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![root().join("fixtures")];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "arm.json") {
                let v: Value = std::fs::read_to_string(&p)
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok())
                    .unwrap_or(Value::Null);
                out.extend(v["value"].as_array().cloned().unwrap_or_default());
            }
        }
    }
    out
}

struct Regorus {
    registry: Rc<AliasRegistry>,
}

impl Regorus {
    fn compile(&self, text: &str, file: &str) -> Option<Rc<regorus::rvm::program::Program>> {
        let src = Source::from_contents(file.to_string(), text.to_string()).ok()?;
        let defn = parser::parse_policy_definition(&src).ok()?;
        compiler::compile_policy_definition_with_aliases(&defn, Rc::clone(&self.registry)).ok()
    }

    /// `Some(true)`: the `if` matched (an effect came back); `None`: error.
    fn matches(&self, program: &Rc<regorus::rvm::program::Program>, doc: &Value) -> Option<bool> {
        self.matches_with(program, doc, &json!({}))
    }

    fn matches_with(
        &self,
        program: &Rc<regorus::rvm::program::Program>,
        doc: &Value,
        params: &Value,
    ) -> Option<bool> {
        let raw = regorus::Value::from_json_str(&doc.to_string()).ok()?;
        let mut resource = normalizer::normalize(&raw, Some(&self.registry), None);
        if let Ok(m) = resource.as_object_mut() {
            if let Some(n) = m.get(&regorus::Value::from("name")).cloned() {
                let key = regorus::Value::from("fullname");
                if m.get(&key).is_none() {
                    m.insert(key, n);
                }
            }
        }
        let mut input = regorus::Value::new_object();
        let m = input.as_object_mut().ok()?;
        m.insert(regorus::Value::from("resource"), resource);
        m.insert(
            regorus::Value::from("parameters"),
            regorus::Value::from_json_str(&params.to_string()).ok()?,
        );
        let ctx = regorus::Value::from_json_str(
            // `requestContext().apiVersion`: the API version mcpguard assumes
            // (src/policy/expr.rs), so both engines see the same request.
            r#"{"resourceGroup": {"name": "rg", "location": "westeurope"},
                "subscription": {"subscriptionId": "00000000-0000-0000-0000-000000000000"},
                "requestContext": {"apiVersion": "2025-09-01"}}"#,
        )
        .ok()?;
        let mut vm = RegoVM::new();
        vm.load_program(Rc::clone(program));
        vm.set_input(input);
        vm.set_context(ctx);
        let v = vm.execute_entry_point_by_name("main").ok()?;
        Some(v != regorus::Value::Undefined)
    }
}

fn known_disagreements() -> BTreeSet<String> {
    std::fs::read_to_string(root().join("oracle/disagreements.md"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .map(|l| l.split(" — ").next().unwrap_or(l).trim().to_string())
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    definitions: usize,
    compared_definitions: usize,
    cases: usize,
    agree: usize,
    mcpguard_unknown: usize,
    regorus_error: usize,
    skipped: BTreeMap<String, usize>,
}

fn evaluable(rule: &Rule) -> Result<(), String> {
    let params = rule.resolve_params(&BTreeMap::new())?;
    match rule.effect(&params) {
        Ok(Effect::Deny | Effect::Audit) => {}
        Ok(e) => return Err(format!("effect {e:?}")),
        Err(e) => return Err(format!("effect: {e}")),
    }
    if rule.arm_types().is_none() {
        return Err("no single resource type to generate".to_string());
    }
    Ok(())
}

#[test]
fn mcpguard_agrees_with_regorus_on_builtins() {
    let Some(dir) = corpus() else { return };
    let alias_file = root().join("aliases/azure-aliases.json");
    let Ok(alias_text) = std::fs::read_to_string(&alias_file) else {
        eprintln!("skipped: {} is absent", alias_file.display());
        return;
    };
    let mut registry = AliasRegistry::new();
    registry
        .load_from_json(&alias_text)
        .expect("regorus reads the alias file");
    let oracle = Regorus {
        registry: Rc::new(registry),
    };
    let aliases = alias_paths(&alias_text);
    let known = known_disagreements();
    let fixtures = fixture_docs();

    let started = Instant::now();
    let (rules, errors, skipped): (Vec<Rule>, _, Vec<SkippedRule>) = policy::load_rules_dir(&dir);
    // Load failures are tests/builtins_corpus.rs's business; here they are
    // simply not compared.
    let mut t = Tally {
        definitions: rules.len() + skipped.len() + errors.len(),
        ..Tally::default()
    };
    *t.skipped.entry("does not load".into()).or_default() += errors.len();
    let mut disagreements = Vec::new();
    for rule in &rules {
        if started.elapsed() > BUDGET {
            *t.skipped.entry("time budget".into()).or_default() += 1;
            continue;
        }
        if let Err(why) = evaluable(rule) {
            *t.skipped
                .entry(why.split(':').next().unwrap_or("").to_string())
                .or_default() += 1;
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&rule.file)
            .or_else(|_| std::fs::read_to_string(dir.join(&rule.file)))
        else {
            *t.skipped.entry("file unreadable".into()).or_default() += 1;
            continue;
        };
        let Some(program) = oracle.compile(&text, &rule.file) else {
            *t.skipped
                .entry("regorus cannot compile".into())
                .or_default() += 1;
            continue;
        };
        let def: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let def = if def.get("properties").is_some() {
            def
        } else {
            json!({"properties": def})
        };
        let params = match rule.resolve_params(&BTreeMap::new()) {
            Ok(p) => p,
            Err(_) => continue,
        };
        let types = rule.arm_types().unwrap_or_default();
        let mut compared = false;
        for arm_type in &types {
            let mut docs = generate(&def, arm_type, &aliases);
            docs.extend(
                fixtures
                    .iter()
                    .filter(|d| {
                        d["type"]
                            .as_str()
                            .is_some_and(|t| t.eq_ignore_ascii_case(arm_type))
                    })
                    .take(MAX_CASES)
                    .cloned(),
            );
            for (n, doc) in docs.into_iter().enumerate() {
                let res = Resource::new(format!("generated[{n}]"), InputKind::Arm, doc.clone());
                let mut inv = Inventory::new();
                inv.push(res);
                let res = inv.get(0);
                if !rule.mode_applies(res) {
                    continue;
                }
                let ours = match rule.evaluate(res, &inv, &params) {
                    Ok(o) if o.verdict == Tri::Unknown => {
                        t.mcpguard_unknown += 1;
                        continue;
                    }
                    Ok(o) => o.verdict == Tri::True,
                    Err(_) => {
                        t.mcpguard_unknown += 1;
                        continue;
                    }
                };
                let Some(theirs) = oracle.matches(&program, &doc) else {
                    t.regorus_error += 1;
                    continue;
                };
                t.cases += 1;
                compared = true;
                if ours == theirs {
                    t.agree += 1;
                } else {
                    let key = format!("{} :: {arm_type} case {n}", rel(&dir, &rule.file));
                    if !known.contains(&key) {
                        disagreements
                            .push(format!("{key} (mcpguard {ours}, regorus {theirs}): {doc}"));
                    }
                }
            }
        }
        if compared {
            t.compared_definitions += 1;
        }
    }
    let rate = if t.cases == 0 {
        100.0
    } else {
        100.0 * t.agree as f64 / t.cases as f64
    };
    eprintln!(
        "oracle: {} definitions, {} compared over {} cases, agreement {rate:.2}% ({} agree); mcpguard unknown {}, regorus errors {}; skipped {:?}; {:.1?}",
        t.definitions, t.compared_definitions, t.cases, t.agree, t.mcpguard_unknown, t.regorus_error, t.skipped, started.elapsed()
    );
    assert!(
        disagreements.is_empty(),
        "{} unlisted disagreements (add a fix or a line in oracle/disagreements.md):\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

fn rel(dir: &Path, file: &str) -> String {
    Path::new(file)
        .strip_prefix(dir)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| file.to_string())
}

/// The seed's own policies (fixtures/preflight/seed, deployed form) with their
/// assignment's parameters, on every fixture container group: both engines
/// give the same verdict, so preflight blocks what ARM blocks.
#[test]
fn seed_policies_agree_with_regorus_on_every_fixture_group() {
    let Ok(alias_text) = std::fs::read_to_string(root().join("aliases/azure-aliases.json")) else {
        eprintln!("skipped: aliases/azure-aliases.json is absent");
        return;
    };
    let mut registry = AliasRegistry::new();
    registry
        .load_from_json(&alias_text)
        .expect("regorus reads the alias file");
    let oracle = Regorus {
        registry: Rc::new(registry),
    };
    let docs = fixture_docs();
    let seed: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/preflight/seed/arm.json"))
            .expect("seed fixture"),
    )
    .expect("seed fixture is JSON");
    let seed = seed["value"].as_array().cloned().unwrap_or_default();
    let of_type = |t: &str| -> Vec<&Value> {
        seed.iter()
            .filter(|d| {
                d["type"]
                    .as_str()
                    .is_some_and(|x| x.eq_ignore_ascii_case(t))
            })
            .collect()
    };
    let groups: Vec<&Value> = docs
        .iter()
        .filter(|d| d["type"] == "Microsoft.ContainerInstance/containerGroups")
        .collect();
    let mut compared = 0;
    let known = known_disagreements();
    let mut unlisted = Vec::new();
    for def in of_type("Microsoft.Authorization/policyDefinitions") {
        let text = json!({"name": def["name"], "properties": def["properties"]}).to_string();
        let rule = policy::load_rule_text("seed.json", &text, false)
            .expect("mcpguard loads the seed policy");
        let program = oracle
            .compile(&text, "seed.json")
            .expect("regorus compiles the seed policy");
        let assignment = of_type("Microsoft.Authorization/policyAssignments")
            .into_iter()
            .find(|a| a["properties"]["policyDefinitionId"] == def["id"])
            .expect("the seed assigns every definition");
        let values: BTreeMap<String, Value> = assignment["properties"]["parameters"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v["value"].clone()))
            .collect();
        let params = rule.resolve_params(&values).expect("assignment parameters");
        for g in &groups {
            let mut inv = Inventory::new();
            inv.push(Resource::new("g", InputKind::Arm, (*g).clone()));
            let ours = rule.evaluate(inv.get(0), &inv, &params).expect("evaluates");
            assert_ne!(ours.verdict, Tri::Unknown, "{g}");
            let theirs = oracle
                .matches_with(&program, g, &json!(values))
                .expect("regorus evaluates");
            let key = format!(
                "seed {} :: {}",
                def["name"].as_str().unwrap_or(""),
                g["name"].as_str().unwrap_or("")
            );
            let listed = known.iter().any(|k| match k.strip_suffix('*') {
                Some(prefix) => key.starts_with(prefix),
                None => *k == key,
            });
            if (ours.verdict == Tri::True) != theirs && !listed {
                unlisted.push(format!(
                    "{key} (mcpguard {:?}, regorus {theirs})",
                    ours.verdict
                ));
            }
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} comparisons");
    assert!(
        unlisted.is_empty(),
        "unlisted disagreements:\n{}",
        unlisted.join("\n")
    );
}

#[test]
fn set_path_builds_nested_arrays() {
    let mut d = json!({});
    set_path(
        &mut d,
        "properties.securityRules[*].properties.access",
        json!("Allow"),
    );
    assert_eq!(
        d,
        json!({"properties": {"securityRules": [{"properties": {"access": "Allow"}}]}})
    );
}

#[test]
fn regorus_denies_what_the_seed_identity_policy_denies() {
    // Independent of mcpguard: the oracle harness itself must work.
    let oracle = Regorus {
        registry: Rc::new(AliasRegistry::new()),
    };
    let def = json!({"properties": {"mode": "All", "policyRule": {
        "if": {"allOf": [
            {"field": "type", "equals": "Microsoft.ContainerInstance/containerGroups"},
            {"field": "tags['MCPServer']", "exists": "true"},
            {"field": "identity.type", "exists": "false"}]},
        "then": {"effect": "deny"}}}});
    let program = oracle
        .compile(&def.to_string(), "seed.json")
        .expect("regorus compiles");
    let bare = json!({"type": "Microsoft.ContainerInstance/containerGroups", "name": "a",
                      "tags": {"MCPServer": "true"}, "properties": {}});
    let mut with_identity = bare.clone();
    with_identity["identity"] = json!({"type": "UserAssigned"});
    assert_eq!(oracle.matches(&program, &bare), Some(true));
    assert_eq!(oracle.matches(&program, &with_identity), Some(false));
}
