//! Policy-language semantics as data (`fixtures/policy/operators.json`): each
//! case is a condition, a resource and the expected verdict. Every case runs
//! in mcpguard and, as a differential check, in Microsoft's regorus engine
//! (its `azure_policy` language, fed the same alias table): the two must agree
//! with each other and with the case.

use regorus::languages::azure_policy::aliases::{normalizer, AliasRegistry};
use regorus::languages::azure_policy::{compiler, parser};
use regorus::rvm::RegoVM;
use regorus::{Rc, Source};
use serde_json::{json, Value};

use mcpguard::inventory::{facts::Detection, InputKind, Inventory, Resource};
use mcpguard::policy::{self, Tri};

fn cases() -> Vec<Value> {
    let text = include_str!("../fixtures/policy/operators.json");
    let v: Value = serde_json::from_str(text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn definition(cond: &Value) -> String {
    json!({"properties": {"mode": "All", "policyRule": {"if": cond, "then": {"effect": "deny"}}}})
        .to_string()
}

fn mcpguard_verdict(cond: &Value, doc: &Value) -> String {
    let rule = policy::load_rule_text("case.json", &definition(cond), false).expect("case loads");
    let inv = Inventory::from_resources(
        vec![Resource::new("r", InputKind::Arm, doc.clone())],
        &Detection::default(),
    );
    let params = rule.resolve_params(&Default::default()).unwrap();
    match rule
        .evaluate(inv.get(0), &inv, &params)
        .expect("case evaluates")
        .verdict
    {
        Tri::True => "true",
        Tri::False => "false",
        Tri::Unknown => "unknown",
    }
    .to_string()
}

fn regorus_verdict(registry: &Rc<AliasRegistry>, cond: &Value, doc: &Value) -> Option<String> {
    let src = Source::from_contents("case.json".to_string(), definition(cond)).ok()?;
    let defn = parser::parse_policy_definition(&src).ok()?;
    let program =
        compiler::compile_policy_definition_with_aliases(&defn, Rc::clone(registry)).ok()?;
    let raw = regorus::Value::from_json_str(&doc.to_string()).ok()?;
    let mut resource = normalizer::normalize(&raw, Some(registry), None);
    // The harness supplies `fullName` (a top-level resource's is its name), as ARM does.
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
        regorus::Value::new_object(),
    );
    let mut vm = RegoVM::new();
    vm.load_program(program);
    vm.set_input(input);
    let v = vm.execute_entry_point_by_name("main").ok()?;
    Some(
        if v != regorus::Value::Undefined {
            "true"
        } else {
            "false"
        }
        .to_string(),
    )
}

/// Cases where mcpguard follows Azure's documentation and regorus differs.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[(
    "location is normalised",
    "Azure's policy-rule docs say location values are normalised before comparison \
     (`West Europe` equals `westeurope`); regorus 0.14 compares them as written",
)];

#[test]
fn operator_cases_match_expectations_and_regorus() {
    let mut registry = AliasRegistry::new();
    registry
        .load_from_json(mcpguard::policy::alias::EMBEDDED)
        .expect("regorus reads the alias table");
    let registry = Rc::new(registry);
    let mut failures = Vec::new();
    let (mut compared, mut regorus_errors) = (0, 0);
    for case in cases() {
        let note = case["note"].as_str().unwrap();
        let want = case["want"].as_str().unwrap();
        let got = mcpguard_verdict(&case["condition"], &case["resource"]);
        if got != want {
            failures.push(format!("{note}: mcpguard says {got}, the case says {want}"));
        }
        match regorus_verdict(&registry, &case["condition"], &case["resource"]) {
            Some(r) => {
                compared += 1;
                if r != got && !KNOWN_DISAGREEMENTS.iter().any(|(n, _)| *n == note) {
                    failures.push(format!("{note}: regorus says {r}, mcpguard says {got}"));
                }
            }
            None => regorus_errors += 1,
        }
    }
    eprintln!(
        "policy cases: {} compared with regorus, {regorus_errors} regorus could not run",
        compared
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
