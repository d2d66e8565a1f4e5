//! Bad plans are one InputError naming the file, never a panic; and mutated
//! copies of a fixture never make load + translate panic.

use mcpguard::inventory::InputKind;
use mcpguard::load::azurerm::translate;
use mcpguard::load::plan::load;
use proptest::prelude::*;
use serde_json::Value;

fn err(text: &str) -> String {
    match load("bad-plan.json", text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => {
            let s = e.to_string();
            assert!(s.starts_with("bad-plan.json: "), "{s}");
            s
        }
    }
}

#[test]
fn not_json() {
    assert!(err("this is not json").contains("not valid JSON"));
}

#[test]
fn truncated_has_line_and_column() {
    let e = load(
        "bad-plan.json",
        "{\n \"format_version\": \"1.2\",\n \"resource_changes\": [",
    )
    .unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    assert!(e.span.is_some(), "points into the file");
}

#[test]
fn json_that_is_not_a_plan() {
    assert!(err("[1, 2, 3]").contains("not a Terraform plan"));
    assert!(err(r#"{"resources": []}"#).contains("format_version"));
}

#[test]
fn unknown_format_version() {
    assert!(err(r#"{"format_version": "2.0", "planned_values": {}}"#)
        .contains("unsupported plan format_version 2.0"));
}

#[test]
fn wrong_types() {
    assert!(
        err(r#"{"format_version": "1.2", "resource_changes": "oops"}"#)
            .contains("not a Terraform plan")
    );
    assert!(
        err(r#"{"format_version": "1.2", "resource_changes": [{"address": 3}]}"#)
            .contains("not a Terraform plan")
    );
    assert!(err(r#"{"format_version": 1}"#).contains("not a Terraform plan"));
}

#[test]
fn odd_but_valid_shapes_translate() {
    // `after` of the wrong JSON type, empty blocks, unknown trees of other shapes.
    let text = r#"{"format_version":"1.0","resource_changes":[
      {"address":"azurerm_container_group.a","type":"azurerm_container_group","name":"a","change":{"actions":["create"],"after":"x","after_unknown":[true]}},
      {"address":"azurerm_subnet.b","type":"azurerm_subnet","name":"b","change":{"actions":["update"],"after":{"name":7,"address_prefixes":"10.0.0.0/24"},"after_unknown":true}},
      {"address":"azurerm_network_security_group.c","type":"azurerm_network_security_group","name":"c","change":{"actions":["no-op"],"after":{"security_rule":[null,1,{"name":{}}]},"after_sensitive":true}}
    ]}"#;
    let model = load("odd.json", text).expect("loads");
    let (res, _) = translate(model, InputKind::Plan);
    assert_eq!(res.len(), 3);
}

/// Mutates a JSON value deterministically from a seed: swaps values for other
/// types, drops keys, empties arrays, nests deeply.
fn mutate(v: &mut Value, seed: &mut u64, depth: usize) {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let roll = next() % 100;
    if depth > 2 && roll < 3 {
        *v = match next() % 6 {
            0 => Value::Null,
            1 => Value::Bool(true),
            2 => Value::from(42),
            3 => Value::from("s"),
            4 => serde_json::json!([[[[[[[[{"a": [true]}]]]]]]]]),
            _ => serde_json::json!({}),
        };
        return;
    }
    match v {
        Value::Object(m) => {
            if roll < 8 && !m.is_empty() {
                let k = m.keys().nth((next() as usize) % m.len()).cloned();
                if let Some(k) = k {
                    m.remove(&k);
                }
            }
            for (_, x) in m.iter_mut() {
                mutate(x, seed, depth + 1);
            }
        }
        Value::Array(a) => {
            if roll < 5 {
                a.clear();
            }
            for x in a.iter_mut() {
                mutate(x, seed, depth + 1);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn mutated_plans_never_panic(seed in 1u64..u64::MAX) {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/plans/modules.json");
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
        let mut s = seed;
        mutate(&mut v, &mut s, 0);
        if let Some(m) = v.as_object_mut() {
            m.insert("format_version".into(), Value::from("1.2"));
        }
        let text = serde_json::to_string(&v).expect("serialises");
        if let Ok(model) = load("mutated.json", &text) {
            let (res, _) = translate(model, InputKind::Plan);
            for r in &res {
                // Every resource has an id value: known, partly known, or
                // unknown but naming the resource.
                prop_assert!(r.doc.get("id").and_then(|v| v.as_key()).is_some());
            }
        }
    }
}
