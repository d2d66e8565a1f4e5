//! Issue 10, items 6 and 7: a bad rule file is caught when it loads, with a
//! diagnostic that points at the fault, and deep nesting is a located error,
//! never a stack overflow.

use mcpguard::policy::{self, RuleError};

fn rule(policy_rule: &str, parameters: &str) -> String {
    format!(
        r#"{{"properties": {{"mode": "All", "parameters": {parameters}, "policyRule": {policy_rule}}}}}"#
    )
}

/// Loads `text`, expects an error whose message contains `message` and whose
/// span covers `at`.
fn rejected(text: &str, message: &str, at: &str) -> RuleError {
    let e = policy::load_rule_text("r.json", text, false).expect_err("the rule is rejected");
    assert!(e.message.contains(message), "message: {}", e.message);
    let (src, span) = (e.src.as_ref().expect("excerpt"), e.span.expect("span"));
    let pointed = &src.text()[span.offset()..span.offset() + span.len()];
    assert!(pointed.contains(at), "points at `{pointed}`, not `{at}`");
    e
}

#[test]
fn an_effect_outside_azure_policys_list_is_a_load_error() {
    let text = rule(
        r#"{"if": {"field": "type", "equals": "x"}, "then": {"effect": "Dney"}}"#,
        "{}",
    );
    rejected(&text, "effect `Dney` is not an Azure Policy effect", "Dney");
    // Through a parameter: its default and allowed values are checked.
    let text = rule(
        r#"{"if": {"field": "type", "equals": "x"}, "then": {"effect": "[parameters('effect')]"}}"#,
        r#"{"effect": {"type": "String", "allowedValues": ["Audit", "Blokc"], "defaultValue": "Audit"}}"#,
    );
    rejected(&text, "parameter `effect` allows `\"Blokc\"`", "Blokc");
    for ok in ["Audit", "deny", "AuditIfNotExists", "Disabled", "Modify"] {
        let text = rule(
            &format!(
                r#"{{"if": {{"field": "type", "equals": "x"}}, "then": {{"effect": "{ok}"}}}}"#
            ),
            "{}",
        );
        assert!(
            policy::load_rule_text("r.json", &text, false).is_ok(),
            "{ok}"
        );
    }
}

#[test]
fn a_parameter_the_rule_does_not_declare_is_a_load_error() {
    let text = rule(
        r#"{"if": {"allOf": [{"field": "type", "equals": "x"}, {"field": "location", "in": "[parameters('allowedLocations')]"}]}, "then": {"effect": "audit"}}"#,
        r#"{"allowedLocation": {"type": "Array", "defaultValue": []}}"#,
    );
    let e = rejected(
        &text,
        "names parameter `allowedLocations`",
        "[parameters('allowedLocations')]",
    );
    assert!(
        e.message.contains("declared: allowedLocation"),
        "{}",
        e.message
    );
    // Nested inside another function, and case-insensitively declared.
    let text = rule(
        r#"{"if": {"value": "[concat('a', parameters('Nope'))]", "equals": "a"}, "then": {"effect": "audit"}}"#,
        "{}",
    );
    rejected(&text, "names parameter `Nope`", "parameters('Nope')");
    let text = rule(
        r#"{"if": {"field": "location", "in": "[parameters('LOCS')]"}, "then": {"effect": "audit"}}"#,
        r#"{"locs": {"type": "Array", "defaultValue": []}}"#,
    );
    assert!(policy::load_rule_text("r.json", &text, false).is_ok());
}

#[test]
fn current_outside_a_count_is_a_load_error() {
    let text = rule(
        r#"{"if": {"value": "[current('x')]", "equals": "a"}, "then": {"effect": "audit"}}"#,
        "{}",
    );
    rejected(
        &text,
        "calls current() outside the `where` of a `count`",
        "[current('x')]",
    );
    // The count's own `value` is outside its `where`, too.
    let text = rule(
        r#"{"if": {"count": {"value": "[current()]", "where": {"value": "[current()]", "equals": 1}}, "greater": 0}, "then": {"effect": "audit"}}"#,
        "{}",
    );
    rejected(&text, "current()", "[current()]");
    let text = rule(
        r#"{"if": {"count": {"value": ["a", "b"], "name": "n", "where": {"value": "[current('n')]", "equals": "a"}}, "greater": 0}, "then": {"effect": "audit"}}"#,
        "{}",
    );
    assert!(policy::load_rule_text("r.json", &text, false).is_ok());
}

#[test]
fn an_effect_set_by_the_config_is_checked_too() {
    let text = rule(
        r#"{"if": {"field": "type", "equals": "x"}, "then": {"effect": "[parameters('effect')]"}}"#,
        r#"{"effect": {"type": "String", "defaultValue": "Audit"}}"#,
    );
    let r = policy::load_rule_text("r.json", &text, false).unwrap();
    let over =
        std::collections::BTreeMap::from([("effect".to_string(), serde_json::json!("Dney"))]);
    let params = r.resolve_params(&over).unwrap();
    let e = r.effect(&params).expect_err("not an effect");
    assert!(e.0.contains("`dney` is not an Azure Policy effect"), "{e}");
}

fn value_rule(value: &str) -> String {
    rule(
        &format!(
            r#"{{"if": {{"value": "{value}", "equals": "a"}}, "then": {{"effect": "audit"}}}}"#
        ),
        r#"{"p": {"type": "Array", "defaultValue": []}}"#,
    )
}

#[test]
fn template_functions_nested_thousands_deep_are_a_located_error() {
    let limit = policy::expr::MAX_EXPR_DEPTH;
    for value in [
        format!("[{}'a'{}]", "concat(".repeat(20_000), ")".repeat(20_000)),
        format!("[parameters('p'){}]", "[0]".repeat(20_000)),
        format!("[field('type'){}]", ".a".repeat(20_000)),
        format!("[{}true{}]", "not(".repeat(5_000), ")".repeat(5_000)),
    ] {
        let e = rejected(
            &value_rule(&value),
            &format!("nested deeper than {limit} levels"),
            "[",
        );
        assert!(e.message.len() < 300, "a bounded message: {}", e.message);
    }
    // Deep, but within the limit: loads.
    let ok = format!(
        "[{}'a'{}]",
        "concat(".repeat(limit - 2),
        ")".repeat(limit - 2)
    );
    assert!(policy::load_rule_text("r.json", &value_rule(&ok), false).is_ok());
}

/// JSON nested `depth` levels (objects) around `leaf`.
fn nested(depth: usize, leaf: &str) -> String {
    format!("{}{leaf}{}", "{\"a\": ".repeat(depth), "}".repeat(depth))
}

#[test]
fn deep_json_in_rules_and_inputs_is_a_located_error() {
    // serde_json stops at 128 levels (mcpguard does not enable unbounded_depth).
    let deep = nested(100_000, "1");
    let e = policy::load_rule_text("r.json", &deep, false).expect_err("rejected");
    assert!(
        e.message.contains("recursion limit exceeded"),
        "{}",
        e.message
    );
    assert!(e.span.is_some());
    let Err(e) = mcpguard::load::arm::load("s.json", &format!("[{deep}]")) else {
        panic!("deep ARM input accepted");
    };
    assert!(
        e.message.contains("recursion limit exceeded") && e.span.is_some(),
        "{}",
        e.message
    );
    let plan = format!(
        r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[{{"address":"azurerm_container_group.b","mode":"managed","type":"azurerm_container_group","name":"b","values":{{"tags":{deep}}}}}]}}}}}}"#
    );
    let Err(e) = mcpguard::load::plan::load("p.json", &plan) else {
        panic!("deep plan accepted");
    };
    assert!(
        e.message.contains("recursion limit exceeded") && e.span.is_some(),
        "{}",
        e.message
    );
    // Located in the deep part of the file, not at its start.
    let (line, column) = e.src.as_ref().unwrap().location();
    let deep_from = plan.find(r#""tags":"#).unwrap();
    assert!(
        line == 1 && column > deep_from && column < deep_from + 129 * 6,
        "{column}"
    );
}

#[test]
fn the_deepest_json_a_rule_may_have_loads_and_evaluates_on_a_small_stack() {
    // A test thread has 2 MiB of stack, a quarter of the main thread's.
    let mut c =
        r#"{"field": "type", "equals": "Microsoft.ContainerInstance/containerGroups"}"#.to_string();
    for _ in 0..60 {
        c = format!(r#"{{"allOf": [{c}]}}"#);
    }
    let text = rule(
        &format!(r#"{{"if": {c}, "then": {{"effect": "audit"}}}}"#),
        "{}",
    );
    let r = policy::load_rule_text("r.json", &text, false).expect("loads at depth 125");
    let t = "Microsoft.ContainerInstance/containerGroups";
    let doc = serde_json::json!({"id": "/subscriptions/s/x", "type": t, "name": "x"});
    let mut inv = mcpguard::inventory::Inventory::new();
    inv.push(mcpguard::inventory::Resource::new(
        "x",
        mcpguard::inventory::InputKind::Arm,
        doc,
    ));
    let params = r.resolve_params(&Default::default()).unwrap();
    let res = inv.resources().first().expect("one resource");
    assert_eq!(
        r.evaluate(res, &inv, &params).unwrap().verdict,
        policy::Tri::True
    );
}

/// Every `[...]` expression and every JSON document in the real corpus sits
/// well inside the limits (half of each, for headroom).
#[test]
fn limits_are_far_above_the_deepest_real_inputs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        eprintln!("skipped: {} is absent", root.display());
        return;
    }
    let (mut expr_max, mut json_max, mut files) = (0, 0, 0);
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Some(v) = std::fs::read_to_string(&p)
                .ok()
                .filter(|_| p.extension().is_some_and(|x| x == "json"))
                .and_then(|t| {
                    serde_json::from_str::<serde_json::Value>(t.trim_start_matches('\u{feff}')).ok()
                })
            else {
                continue;
            };
            files += 1;
            json_max = json_max.max(json_depth(&v));
            expr_max = expr_max.max(deepest_expr(&v));
        }
    }
    eprintln!("{files} corpus JSON files: deepest document {json_max} levels, deepest expression {expr_max}");
    assert!(
        json_max <= 64,
        "JSON depth {json_max} is near serde_json's 128"
    );
    assert!(
        expr_max <= policy::expr::MAX_EXPR_DEPTH / 2,
        "expression depth {expr_max}"
    );
}

fn json_depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => 1 + a.iter().map(json_depth).max().unwrap_or(0),
        serde_json::Value::Object(m) => 1 + m.values().map(json_depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Bracket depth of the deepest template string (calls and indexes).
fn deepest_expr(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::String(s) if s.starts_with('[') && !s.starts_with("[[") => {
            let (mut d, mut max, mut quoted) = (0usize, 0, false);
            for c in s.chars() {
                match c {
                    '\'' => quoted = !quoted,
                    '(' | '[' if !quoted => {
                        d += 1;
                        max = max.max(d);
                    }
                    ')' | ']' if !quoted => d = d.saturating_sub(1),
                    _ => {}
                }
            }
            max
        }
        serde_json::Value::Array(a) => a.iter().map(deepest_expr).max().unwrap_or(0),
        serde_json::Value::Object(m) => m.values().map(deepest_expr).max().unwrap_or(0),
        _ => 0,
    }
}
