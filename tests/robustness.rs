//! Property tests: arbitrary and mutated JSON fed to the plan reader, the ARM
//! reader, the rule loader and the evaluator never panics; each gives a result
//! or a diagnostic. Bounded for CI (PROPTEST_CASES overrides the case count;
//! `PROPTEST_CASES=5000 cargo test --release --test robustness` is the long run).

use proptest::prelude::*;
use serde_json::{json, Value};

use mcpguard::inventory::{facts::Detection, InputKind, Inventory, Resource};
use mcpguard::policy;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z*\\[\\]'()/._-]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "Microsoft.ContainerInstance/containerGroups",
            "Microsoft.Network/networkSecurityGroups",
            "[parameters('x')]",
            "[concat('a', field('type'))]",
            "UserAssigned",
            "Private",
            "*",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "type",
                    "id",
                    "name",
                    "properties",
                    "tags",
                    "identity",
                    "subnetIds",
                    "containers",
                    "securityRules",
                    "if",
                    "then",
                    "allOf",
                    "anyOf",
                    "not",
                    "field",
                    "value",
                    "count",
                    "where",
                    "equals",
                    "in",
                    "like",
                    "exists",
                    "effect",
                    "policyRule",
                    "parameters",
                    "resource_changes",
                    "planned_values",
                    "format_version",
                    "change",
                    "after",
                    "value",
                ])
                .prop_map(str::to_string),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    // 256 cases in CI; PROPTEST_CASES sets more for a long run.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn rule_loader_never_panics(v in arb_json()) {
        let _ = policy::load_rule_text("arbitrary.json", &v.to_string(), false);
        let wrapped = json!({"id": "X1", "severity": "low", "title": "t", "policyRule": {"if": v, "then": {"effect": "deny"}}});
        let _ = policy::load_rule_text("wrapped.json", &wrapped.to_string(), false);
    }

    #[test]
    fn plan_and_arm_readers_never_panic(v in arb_json()) {
        let text = v.to_string();
        if let Ok(model) = mcpguard::load::plan::load("arbitrary.json", &text) {
            let _ = mcpguard::load::azurerm::translate(model, InputKind::Plan);
        }
        let _ = mcpguard::load::arm::load("arbitrary.json", &text);
        let plan = json!({"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": v});
        if let Ok(model) = mcpguard::load::plan::load("plan.json", &plan.to_string()) {
            let _ = mcpguard::load::azurerm::translate(model, InputKind::Plan);
        }
    }

    #[test]
    fn evaluator_never_panics_on_odd_resources(props in arb_json(), tags in arb_json(), identity in arb_json()) {
        let rules = policy::builtin_rules().expect("built-in rules");
        let mut inv = Inventory::new();
        for t in ["Microsoft.ContainerInstance/containerGroups", "Microsoft.Network/networkSecurityGroups",
                  "Microsoft.Network/virtualNetworks/subnets", "Microsoft.Authorization/roleAssignments",
                  "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"] {
            let doc = json!({"id": format!("/subscriptions/s/x/{t}"), "type": t, "name": "n",
                             "properties": props.clone(), "tags": tags.clone(), "identity": identity.clone()});
            inv.push(Resource::new(t, InputKind::Arm, doc));
        }
        inv.compute_facts(&Detection::default());
        for rule in &rules {
            let params = rule.resolve_params(&Default::default()).expect("defaults resolve");
            for r in inv.resources() {
                let _ = rule.evaluate(r, &inv, &params);
            }
        }
    }
}

/// Mutated copies of the fixture plans and of every corpus plan: values
/// swapped for other JSON types, keys dropped, arrays emptied.
#[test]
fn mutated_plans_never_panic() {
    let mut plans = vec![
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/seed/hardened/plan.json"),
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/seed/before-incident/plan.json"),
    ];
    let corpus =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/plans");
    match std::fs::read_dir(&corpus) {
        Ok(rd) => plans.extend(
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json")),
        ),
        Err(_) => eprintln!("skipping corpus plans: {} is absent", corpus.display()),
    }
    for p in plans {
        let text = mcpguard::load::read_text(&p).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let mut seed = 0u64;
        for round in 0..12 {
            let mut m = v.clone();
            mutate(&mut m, &mut seed, round);
            if let Ok(model) = mcpguard::load::plan::load("mutated.json", &m.to_string()) {
                let (rs, _) = mcpguard::load::azurerm::translate(model, InputKind::Plan);
                let inv = Inventory::from_resources(rs, &Detection::default());
                let rules = policy::builtin_rules().unwrap();
                for rule in &rules {
                    let params = rule.resolve_params(&Default::default()).unwrap();
                    for r in inv.resources() {
                        let _ = rule.evaluate(r, &inv, &params);
                    }
                }
            }
        }
    }
}

/// Deterministic pseudo-random mutation (no RNG dependency): walks the value
/// and, at roughly one node in seven, replaces, drops or empties it.
fn mutate(v: &mut Value, seed: &mut u64, round: u64) {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407 ^ round);
    let pick = (*seed >> 33) % 7;
    match v {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                match (*seed >> 33) % 11 {
                    0 => {
                        m.remove(&k);
                    }
                    1 => {
                        m.insert(k, json!("swapped"));
                    }
                    2 => {
                        m.insert(k, json!(42));
                    }
                    3 => {
                        m.insert(k, json!([[[[{"deep": [[[]]]}]]]]));
                    }
                    _ => {
                        if let Some(x) = m.get_mut(&k) {
                            mutate(x, seed, round);
                        }
                    }
                }
            }
        }
        Value::Array(a) => {
            if pick == 0 {
                a.clear();
            } else {
                for x in a.iter_mut() {
                    mutate(x, seed, round);
                }
            }
        }
        _ => {
            if pick == 1 {
                *v = json!({"unexpected": true});
            }
        }
    }
}
