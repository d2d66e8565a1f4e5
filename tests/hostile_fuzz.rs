//! Issue 10, item 9: one property-based fuzz target per loader (plan, ARM,
//! HCL source, config, rules). Each mutates real inputs (the fixtures and,
//! when present, `../shared/corpus`) with hostile edits and checks that the
//! loader
//! - returns (no panic, no stack overflow) within a time bound;
//! - renders any diagnostic it gives, every line narrow;
//! - never shows a secret planted at a sensitive key.
//!
//! CI runs a short campaign (`FUZZ_CASES` per target, 48 by default). A long
//! one: `FUZZ_CASES=20000 cargo test --release --test hostile_fuzz` (README,
//! "Fuzzing"). A failure prints the minimal input: save it under
//! `fixtures/crashers/<loader>/` and `tests/hostile_crashers.rs` replays it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SECRET: &str = "PLANTEDSECRET";
/// Debug builds on a shared 2-core machine: generous, but a hang fails.
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// Seeds larger than this are skipped (a mutation of a large plan is slow in
/// a debug build and finds nothing a small one does not).
const MAX_SEED_BYTES: u64 = 400_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// Files under `dir` (recursively) whose name satisfies `keep`, sorted.
fn files(dir: &Path, keep: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if p.is_dir() {
                stack.push(p);
            } else if keep(&name) && e.metadata().is_ok_and(|m| m.len() <= MAX_SEED_BYTES) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Seed texts from the fixtures and from the corpus directories (skipped with
/// a note when the corpus is absent), at most `max` files per source.
fn seeds(
    fixtures: &[&str],
    corpus: &[&str],
    keep: &dyn Fn(&str) -> bool,
    max: usize,
) -> Vec<String> {
    let mut paths = Vec::new();
    for f in fixtures {
        paths.extend(files(&root().join(f), keep).into_iter().take(max));
    }
    for c in corpus {
        let d = root().join("../shared/corpus").join(c);
        if d.is_dir() {
            paths.extend(files(&d, keep).into_iter().take(max));
        } else {
            eprintln!("seeds: {} is absent, fixtures only", d.display());
        }
    }
    let texts: Vec<String> = paths
        .iter()
        .filter_map(|p| mcpguard::load::read_text(p).ok())
        .collect();
    assert!(!texts.is_empty(), "no seeds");
    texts
}

/// JSON seeds twice: pretty and compact (one line, as `terraform show -json`
/// writes it), with a secret planted at a sensitive key in the first objects.
fn json_seeds(texts: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for t in texts {
        let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&t) else {
            out.push(t);
            continue;
        };
        plant_json(&mut v, &mut 0);
        out.push(serde_json::to_string_pretty(&v).unwrap());
        out.push(v.to_string());
    }
    out
}

/// Plants into attribute maps only (a plan's `values`/`after`, an ARM
/// document's `properties`), where any key is allowed: elsewhere the typed
/// readers would reject the seed before any mutation.
fn plant_json(v: &mut serde_json::Value, planted: &mut usize) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let attrs = matches!(k.as_str(), "values" | "after" | "properties");
                if let (true, serde_json::Value::Object(o)) = (attrs && *planted < 3, &mut *x) {
                    *planted += 1;
                    o.insert("admin_password".into(), format!("{SECRET}{planted}").into());
                }
                plant_json(x, planted);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| plant_json(x, planted)),
        _ => {}
    }
}

/// HCL seeds with `password = "<secret>"` after the first block opening.
fn hcl_seeds(texts: Vec<String>) -> Vec<String> {
    texts
        .into_iter()
        .map(|t| match t.find("{\n") {
            Some(i) => format!("{}\n  password = \"{SECRET}1\"{}", &t[..i + 1], &t[i + 1..]),
            None => format!("password = \"{SECRET}1\"\n{t}"),
        })
        .collect()
}

/// Hostile fragments: what the mutation campaign of issue 10 used.
fn payloads() -> Vec<String> {
    let mut p: Vec<String> = [
        "\"",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "=",
        "\n",
        "\r\n",
        "\\",
        "\\u",
        "${",
        "%{",
        "<<EOT\n",
        "#",
        "//",
        "/*",
        "\u{0}",
        "\u{1b}[2J",
        "\u{202e}",
        "\u{feff}",
        "é",
        "😀",
        "1e400",
        "18446744073709551616",
        "-0",
        "null",
        "true",
        "\"\"",
        "[concat(concat(concat('a')))]",
        "[parameters('nope')]",
        "[current()]",
        "\"Dney\"",
        "count = 1e19",
        "for_each = {}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    p.push("[".repeat(300));
    p.push("{\"a\":".repeat(300));
    p.push("x".repeat(70_000));
    p.push(format!("[{}'a'{}]", "concat(".repeat(500), ")".repeat(500)));
    p
}

/// Valid JSON that loaders must survive in any position: wrong types, edge
/// numbers, deep (but parseable) nesting, long and odd strings, templates.
fn hostile_values() -> Vec<serde_json::Value> {
    use serde_json::json;
    let mut deep = json!(1);
    for _ in 0..100 {
        deep = json!({ "a": [deep] });
    }
    vec![
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(""),
        json!("x".repeat(100_000)),
        json!("\u{0}\u{1b}[2J\u{202e}"),
        json!("[concat(field('type'), parameters('nope'))]"),
        json!("[current()]"),
        json!("${var.x}"),
        json!("/subscriptions/../../etc/passwd"),
        json!([]),
        json!({}),
        json!([[[[[[]]]]]]),
        json!({"type": "Microsoft.Network/networkSecurityGroups", "properties": null}),
        deep,
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Truncate(f64),
    Delete(f64, usize),
    Insert(f64, usize),
    Duplicate(f64, usize),
    /// JSON only: the node at this fraction of a pre-order walk becomes a
    /// hostile value; the text stays valid JSON, so the loader goes deep.
    Node(f64, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = payloads().len();
    let v = hostile_values().len();
    prop_oneof![
        1 => (0.0..1.0f64).prop_map(Edit::Truncate),
        1 => (0.0..1.0f64, 1usize..64).prop_map(|(a, b)| Edit::Delete(a, b)),
        2 => (0.0..1.0f64, 0..n).prop_map(|(a, b)| Edit::Insert(a, b)),
        1 => (0.0..1.0f64, 1usize..200).prop_map(|(a, b)| Edit::Duplicate(a, b)),
        4 => (0.0..1.0f64, 0..v).prop_map(|(a, b)| Edit::Node(a, b)),
    ]
}

fn count_nodes(v: &serde_json::Value) -> usize {
    1 + match v {
        serde_json::Value::Array(a) => a.iter().map(count_nodes).sum(),
        serde_json::Value::Object(m) => m.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Replaces the `n`-th node (pre-order) of `v`; returns how many it passed.
fn replace_node(v: &mut serde_json::Value, n: usize, with: &serde_json::Value) -> usize {
    if n == 0 {
        *v = with.clone();
        return usize::MAX;
    }
    let mut seen = 1;
    let kids: Vec<&mut serde_json::Value> = match v {
        serde_json::Value::Array(a) => a.iter_mut().collect(),
        serde_json::Value::Object(m) => m.values_mut().collect(),
        _ => Vec::new(),
    };
    for k in kids {
        let r = replace_node(k, n - seen, with);
        if r == usize::MAX {
            return r;
        }
        seen += r;
    }
    seen
}

fn at(text: &str, f: f64) -> usize {
    let mut i = ((text.len() as f64) * f) as usize;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let payloads = payloads();
    let mut t = text.to_string();
    for e in edits {
        match *e {
            Edit::Truncate(f) => t.truncate(at(&t, f)),
            Edit::Delete(f, n) => {
                let s = at(&t, f);
                let mut e = (s + n).min(t.len());
                while !t.is_char_boundary(e) {
                    e += 1;
                }
                t.replace_range(s..e, "");
            }
            Edit::Insert(f, k) => {
                let s = at(&t, f);
                t.insert_str(s, &payloads[k]);
            }
            Edit::Node(f, k) => {
                // Kept compact or pretty as the text was.
                if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&t) {
                    let at = ((count_nodes(&v) as f64) * f) as usize;
                    replace_node(&mut v, at, &hostile_values()[k]);
                    t = if t.contains('\n') {
                        serde_json::to_string_pretty(&v).unwrap()
                    } else {
                        v.to_string()
                    };
                }
            }
            Edit::Duplicate(f, n) => {
                let s = at(&t, f);
                let mut e = (s + n).min(t.len());
                while !t.is_char_boundary(e) {
                    e += 1;
                }
                let copy = t[s..e].to_string();
                t.insert_str(e, &copy);
            }
        }
    }
    t
}

/// Renders a diagnostic as `main` does (no colour).
fn render(e: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, e)
        .expect("a diagnostic renders");
    out
}

/// The checks every target shares. `secret_pair` is how the planted secret
/// appears with its key intact: only then must it be masked (an edit that
/// cut the key may leave a plain value behind, which is shown).
fn check_diagnostic(
    e: &dyn miette::Diagnostic,
    text: &str,
    secret_pair: Option<&str>,
) -> Result<(), TestCaseError> {
    let shown = render(e);
    for line in shown.lines() {
        prop_assert!(
            line.chars().count() <= 240,
            "a {}-char line:\n{}",
            line.chars().count(),
            shown
        );
    }
    if let Some(pair) = secret_pair {
        let planted = text.matches(SECRET).count();
        let keyed = text.matches(pair).count();
        if planted == keyed {
            prop_assert!(
                !shown.contains(SECRET),
                "a planted secret is shown:\n{}",
                shown
            );
        }
    }
    Ok(())
}

/// Runs `target` on mutations of `seeds`, each case within [`TIME_LIMIT`].
/// `target` says whether the loader accepted the input (the report counts
/// how many cases went past the parser).
fn campaign(name: &str, seeds: Vec<String>, target: &dyn Fn(&str) -> Result<bool, TestCaseError>) {
    let accepted = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let n = seeds.len();
    let strategy = (0..n, prop::collection::vec(edit(), 1..4));
    let result = runner.run(&strategy, |(i, edits)| {
        let text = apply(&seeds[i], &edits);
        let start = Instant::now();
        accepted.set(accepted.get() + u32::from(target(&text)?));
        prop_assert!(start.elapsed() < TIME_LIMIT, "took {:?}", start.elapsed());
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    eprintln!(
        "{name}: {} cases over {n} seeds ({} accepted by the loader), no failure",
        cases(),
        accepted.get()
    );
}

fn rules() -> Vec<mcpguard::policy::Rule> {
    mcpguard::policy::builtin_rules().expect("built-in rules")
}

/// Evaluates every built-in rule on every resource (results are not checked:
/// only that evaluation returns).
fn evaluate(resources: Vec<mcpguard::inventory::Resource>) {
    let inv = mcpguard::inventory::Inventory::from_resources(resources, &Default::default());
    for rule in &rules() {
        let params = rule.resolve_params(&Default::default()).expect("defaults");
        for r in inv.resources() {
            let _ = rule.evaluate(r, &inv, &params);
        }
    }
}

#[test]
fn fuzz_plan_loader() {
    let keep = |n: &str| n.ends_with(".json");
    let s = seeds(
        &["fixtures/seed", "fixtures/plans", "fixtures/rules"],
        &["plans"],
        &|n| keep(n) && !n.contains("arm"),
        40,
    );
    let pair = format!("\"admin_password\": \"{SECRET}");
    let compact = format!("\"admin_password\":\"{SECRET}");
    campaign(
        "plan",
        json_seeds(s),
        &|text| match mcpguard::load::plan::load("plan.json", text) {
            Ok(model) => {
                evaluate(
                    mcpguard::load::azurerm::translate(model, mcpguard::inventory::InputKind::Plan)
                        .0,
                );
                Ok(true)
            }
            Err(e) => {
                let p = if text.contains(&compact) {
                    &compact
                } else {
                    &pair
                };
                check_diagnostic(&e, text, Some(p))?;
                Ok(false)
            }
        },
    );
}

#[test]
fn fuzz_arm_loader() {
    let s = seeds(
        &["fixtures/arm", "fixtures/rules"],
        &["arm-examples", "arm-resources"],
        &|n| n.ends_with(".json") && (n.contains("arm") || !n.contains("plan")),
        40,
    );
    let pair = format!("\"admin_password\": \"{SECRET}");
    let compact = format!("\"admin_password\":\"{SECRET}");
    campaign(
        "arm",
        json_seeds(s),
        &|text| match mcpguard::load::arm::load("snapshot.json", text) {
            Ok(o) => {
                for e in &o.errors {
                    check_diagnostic(e, text, Some(&pair))?;
                }
                evaluate(o.resources);
                Ok(true)
            }
            Err(e) => {
                let p = if text.contains(&compact) {
                    &compact
                } else {
                    &pair
                };
                check_diagnostic(&e, text, Some(p))?;
                Ok(false)
            }
        },
    );
}

/// A scratch directory per target, reused across cases.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn fuzz_hcl_source_loader() {
    let s = seeds(
        &["fixtures/hcl", "fixtures/rules", "fixtures/seed"],
        &["terraform-sources"],
        &|n| n.ends_with(".tf"),
        60,
    );
    let dir = scratch("hcl");
    let pair = format!("password = \"{SECRET}");
    campaign("hcl", hcl_seeds(s), &|text| {
        std::fs::write(dir.join("main.tf"), text).unwrap();
        let o = mcpguard::load::hcl::load(&dir, &Default::default());
        for e in &o.errors {
            check_diagnostic(e, text, Some(&pair))?;
        }
        let ok = o.errors.is_empty();
        evaluate(
            mcpguard::load::azurerm::translate(o.model, mcpguard::inventory::InputKind::Terraform)
                .0,
        );
        Ok(ok)
    });
}

#[test]
fn fuzz_tfvars_loader() {
    let dir = scratch("tfvars");
    std::fs::write(
        dir.join("main.tf"),
        "variable \"a\" {}\nvariable \"db_password\" {\n  sensitive = true\n}\n",
    )
    .unwrap();
    let s = vec![
        format!("a = \"x\"\ndb_password = \"{SECRET}1\"\n"),
        format!("a = [1, 2, {{ b = \"c\" }}]\ndb_password = \"{SECRET}1\"\n"),
    ];
    campaign("tfvars", s, &|text| {
        std::fs::write(dir.join("terraform.tfvars"), text).unwrap();
        let o = mcpguard::load::hcl::load(&dir, &Default::default());
        for e in &o.errors {
            // Every value of a .tfvars file is masked, keyed or not.
            check_diagnostic(e, text, Some(SECRET))?;
        }
        Ok(o.errors.is_empty())
    });
}

#[test]
fn fuzz_config_loader() {
    let mut s = seeds(&["fixtures"], &[], &|n| n == ".mcpguard.hcl", 100);
    s.push(format!(
        "fail_on = \"high\"\nrule \"MCP002\" {{\n  token = \"{SECRET}1\"\n}}\n"
    ));
    let pair = format!("token = \"{SECRET}");
    campaign(
        "config",
        hcl_seeds(s),
        &|text| match mcpguard::config::Config::parse(".mcpguard.hcl", text) {
            Ok(_) => Ok(true),
            Err(e) => {
                let p = if text.contains(&pair) {
                    pair.as_str()
                } else {
                    "password = \"PLANTEDSECRET"
                };
                check_diagnostic(&e, text, Some(p))?;
                Ok(false)
            }
        },
    );
}

#[test]
fn fuzz_rule_loader() {
    let s = seeds(
        &["rules"],
        &["azure-policy-builtin", "azure-policy-selected"],
        &|n| n.ends_with(".json"),
        60,
    );
    campaign(
        "rules",
        s,
        &|text| match mcpguard::policy::load_rule_text("rule.json", text, false) {
            Ok(rule) => {
                let t = "Microsoft.ContainerInstance/containerGroups";
                let doc = serde_json::json!({"id": "/subscriptions/s/x", "type": t, "name": "x",
                    "properties": {"containers": [{"name": "c", "properties": {"image": "mcp/x"}}]}});
                let mut inv = mcpguard::inventory::Inventory::new();
                inv.push(mcpguard::inventory::Resource::new(
                    "x",
                    mcpguard::inventory::InputKind::Arm,
                    doc,
                ));
                if let Ok(params) = rule.resolve_params(&Default::default()) {
                    let _ = rule.effect(&params);
                    let _ = rule.evaluate(&inv.resources()[0], &inv, &params);
                }
                Ok(true)
            }
            Err(e) => {
                check_diagnostic(&e, text, None)?;
                Ok(false)
            }
        },
    );
}

#[test]
fn fuzz_workflow_loader() {
    let keep = |n: &str| n.ends_with(".yml") || n.ends_with(".yaml");
    let mut s = seeds(
        &["fixtures/workflows", "fixtures/seed"],
        &["workflows"],
        &keep,
        40,
    );
    // A secret written inline into a step's environment: every YAML value is masked.
    for t in &mut s {
        t.push_str(&format!(
            "\n  planted:\n    steps:\n      - env:\n          TOKEN: {SECRET}1\n        run: x\n"
        ));
    }
    campaign("workflow", s, &|text| {
        let r = mcpguard::load::workflow::load(".github/workflows/w.yml", text);
        if let Err(e) = &r {
            check_diagnostic(e, text, Some(&format!(": {SECRET}")))?;
        }
        if let Ok(resources) = r {
            evaluate(resources);
            return Ok(true);
        }
        Ok(false)
    });
}
