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
