//! Issue 9, item 8: the model on inputs shaped like real Terraform output
//! (`fixtures/model/`, written by `fixtures/generate.py`, checked against the
//! plans in `../shared/corpus/plans`). Each case is a plan and, where it
//! applies, the source of the same scenario; each test states the verdicts a
//! user relies on, as (rule, address, status), for both inputs, and where the
//! plan and the source know the same facts, that they agree.
//!
//! Where they cannot agree the test says so: a plan holds values read from
//! Azure at plan time that a source scan cannot know, and Terraform writes a
//! template with an unknown part as wholly unknown, where the source still has
//! the literal parts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mcpguard::config::Config;
use mcpguard::findings::{Report, Status};
use mcpguard::policy::RuleMeta;
use mcpguard::report::{render, Format, RenderOptions};
use mcpguard::scan::{self, ScanOptions};

/// The rules that judge a container group.
const GROUP_RULES: &[&str] = &[
    "MCP001", "MCP002", "MCP003", "MCP004", "MCP005", "MCP007", "MCP008", "MCP009", "MCP014",
];

/// The value of the sensitive variable in `secret_env_from_variable` (fixtures/generate.py FAKE_TOKEN).
const FAKE_TOKEN: &str = "ghp_FIXTUREonlyNotARealToken0123456789abcd";
/// The Log Analytics key every model plan carries as a sensitive variable.
const WORKSPACE_KEY: &str = "fixture-workspace-key-not-real";

#[derive(Clone, Copy, Debug)]
enum Input {
    Plan,
    Source,
}

fn case_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/model")
        .join(case)
}

/// Scans one case with one of its config files and `--var` values.
fn scan_with(
    case: &str,
    input: Input,
    config: &str,
    vars: &[(&str, &str)],
) -> (Report, Vec<RuleMeta>) {
    let dir = case_dir(case);
    let opts = ScanOptions {
        config: Config::load(&dir.join(config)).expect("fixture config loads"),
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        today: Some(time::macros::date!(2026 - 11 - 23)),
        ..ScanOptions::default()
    };
    let rules = scan::load_rules(&opts).expect("built-in rules load");
    let path = match input {
        Input::Plan => dir.join("plan.json"),
        Input::Source => dir.clone(),
    };
    let loaded = scan::load_inputs(std::slice::from_ref(&path), &opts);
    let (report, _) = scan::evaluate(&rules, loaded, &opts);
    assert!(
        report.errors.is_empty(),
        "{}: input errors {:?}",
        path.display(),
        report.errors
    );
    let metas = rules.active.iter().map(|a| a.rule.meta.clone()).collect();
    (report, metas)
}

fn scan(case: &str, input: Input) -> Report {
    scan_with(case, input, ".mcpguard.hcl", &[]).0
}

type Verdicts = BTreeMap<(String, String), &'static str>;

/// Every (rule, address) the scan evaluated, with `pass` for the ones that passed.
fn verdicts(r: &Report) -> Verdicts {
    let mut v = Verdicts::new();
    for p in &r.passes {
        v.insert((p.rule_id.clone(), p.resource.address.clone()), "pass");
    }
    for f in &r.findings {
        let s = match f.status {
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Suppressed => "suppressed",
        };
        v.insert((f.rule_id.clone(), f.resource.address.clone()), s);
    }
    v
}

/// The mismatches between what a scan gave and what the case wants.
fn check(what: &str, got: &Verdicts, want: &[(&str, &str, &str)]) -> Vec<String> {
    want.iter()
        .filter_map(|(rule, addr, status)| {
            let g = got
                .get(&(rule.to_string(), addr.to_string()))
                .copied()
                .unwrap_or("not evaluated");
            (g != *status).then(|| format!("{what}: {rule} {addr}: want {status}, got {g}"))
        })
        .collect()
}

/// Every group rule on `group` passes, except the ones listed.
fn group(
    group: &'static str,
    except: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str, &'static str)> {
    GROUP_RULES
        .iter()
        .map(|rule| {
            let status = except
                .iter()
                .find(|(r, _)| r == rule)
                .map_or("pass", |(_, s)| *s);
            (*rule, group, status)
        })
        .collect()
}

/// The (rule, address) pairs on which plan and source differ, outside `expected`.
fn disagreements(plan: &Verdicts, source: &Verdicts, expected: &[(&str, &str)]) -> Vec<String> {
    let mut keys: Vec<&(String, String)> = plan.keys().chain(source.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|(r, a)| !expected.iter().any(|(er, ea)| er == r && ea == a))
        .filter_map(|k| {
            let (p, s) = (plan.get(k), source.get(k));
            (p != s).then(|| {
                format!(
                    "plan and source disagree on {} {}: plan {}, source {}",
                    k.0,
                    k.1,
                    p.unwrap_or(&"not evaluated"),
                    s.unwrap_or(&"not evaluated")
                )
            })
        })
        .collect()
}

fn no_fail_or_unknown(what: &str, r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.status != Status::Suppressed)
        .map(|f| {
            format!(
                "{what}: unexpected {:?} {} {}: {}",
                f.status, f.rule_id, f.resource.address, f.message
            )
        })
        .collect()
}

fn assert_none(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn mcp_servers_from_a_for_each_module_pass_in_the_one_subnet_the_network_module_outputs() {
    // modules/network has four outputs; the group gets `module.network.subnet_id`,
    // which Terraform lists as ["module.network.subnet_id", "module.network"].
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for input in [Input::Plan, Input::Source] {
        let r = scan("for_each_module", input);
        let v = verdicts(&r);
        let what = format!("for_each_module {input:?}");
        for g in [
            r#"module.mcp["github"].azurerm_container_group.this"#,
            r#"module.mcp["files"].azurerm_container_group.this"#,
        ] {
            problems.extend(check(&what, &v, &group(g, &[])));
        }
        problems.extend(no_fail_or_unknown(&what, &r));
        seen.push(v);
    }
    problems.extend(disagreements(&seen[0], &seen[1], &[]));
    assert_none(problems);
}

#[test]
fn a_subnet_output_passed_through_a_second_module_leads_to_that_subnet() {
    // module.platform.subnet_id = module.network.subnet_id; module.platform also
    // outputs the NSG and VNet ids, which must not be taken for subnets.
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for input in [Input::Plan, Input::Source] {
        let r = scan("output_through_module", input);
        let v = verdicts(&r);
        let what = format!("output_through_module {input:?}");
        problems.extend(check(
            &what,
            &v,
            &group("module.github.azurerm_container_group.this", &[]),
        ));
        problems.extend(no_fail_or_unknown(&what, &r));
        seen.push(v);
    }
    problems.extend(disagreements(&seen[0], &seen[1], &[]));
    assert_none(problems);
}

#[test]
fn an_nsg_read_at_apply_leaves_egress_and_ingress_unknown_not_failed() {
    // `data.azurerm_network_security_group.shared` waits for apply (depends_on):
    // its rules are unknown, so the subnet associated with it is judged `unknown`.
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for input in [Input::Plan, Input::Source] {
        let v = verdicts(&scan("deferred_reads", input));
        problems.extend(check(
            &format!("deferred_reads {input:?}"),
            &v,
            &group(
                "azurerm_container_group.mcp_github",
                &[("MCP004", "unknown"), ("MCP005", "unknown")],
            ),
        ));
        seen.push(v);
    }
    problems.extend(disagreements(&seen[0], &seen[1], &[]));
    assert_none(problems);
}

#[test]
fn a_subnet_read_at_apply_leaves_its_nsg_unknown_and_is_approved_by_its_address() {
    let mut problems = Vec::new();
    for input in [Input::Plan, Input::Source] {
        let v = verdicts(&scan("deferred_reads", input));
        problems.extend(check(
            &format!("deferred_reads {input:?}"),
            &v,
            &group(
                "azurerm_container_group.mcp_files",
                &[("MCP004", "unknown"), ("MCP005", "unknown")],
            ),
        ));
    }
    assert_none(problems);
}

#[test]
fn nsgs_and_subnets_read_at_plan_time_are_judged_by_the_values_read() {
    // The plan's prior_state holds what the reads returned: `nsg-mcp-locked`
    // denies egress, `nsg-mcp-open` lets HTTPS out before its deny, and
    // `snet-mcp-existing` is associated with the locked one. A source scan reads
    // nothing from Azure: there the same verdicts are `unknown`.
    let plan = verdicts(&scan("completed_reads", Input::Plan));
    let source = verdicts(&scan("completed_reads", Input::Source));
    let mut problems = Vec::new();
    let groups = [
        ("azurerm_container_group.mcp_github", "pass"),
        ("azurerm_container_group.mcp_files", "fail"),
        ("azurerm_container_group.mcp_search", "pass"),
    ];
    let mut read_dependent = Vec::new();
    for (g, egress) in groups {
        problems.extend(check(
            "completed_reads Plan",
            &plan,
            &group(g, &[("MCP004", egress), ("MCP005", "pass")]),
        ));
        problems.extend(check(
            "completed_reads Source",
            &source,
            &group(g, &[("MCP004", "unknown"), ("MCP005", "unknown")]),
        ));
        read_dependent.extend([("MCP004", g), ("MCP005", g)]);
    }
    problems.extend(disagreements(&plan, &source, &read_dependent));
    assert_none(problems);
}

/// MCP002 on the group in a data subnet, per `approved_subnet_ids` form.
fn data_subnet_verdicts(input: Input) -> BTreeMap<&'static str, &'static str> {
    ["exact", "pattern", "address", "other"]
        .into_iter()
        .map(|form| {
            let (r, _) = scan_with(
                "data_subnet_approved",
                input,
                &format!("{form}.mcpguard.hcl"),
                &[],
            );
            let v = verdicts(&r);
            let got = v
                .get(&(
                    "MCP002".to_string(),
                    "azurerm_container_group.mcp_github".to_string(),
                ))
                .copied()
                .unwrap_or("not evaluated");
            (form, got)
        })
        .collect()
}

#[test]
fn approved_subnet_ids_decide_a_data_subnet_by_pattern_and_address_when_no_subscription_is_known() {
    // The provider block names no subscription: the data subnet's id is known
    // except for its subscription. An exact ARM id cannot be matched against it;
    // a `/subscriptions/*/...` pattern and the Terraform address can, and a
    // pattern whose known parts differ decides too.
    if std::env::var_os("ARM_SUBSCRIPTION_ID").is_some() {
        eprintln!("ARM_SUBSCRIPTION_ID is set, so the source knows a subscription; skipping");
        return;
    }
    let got = data_subnet_verdicts(Input::Source);
    let want = BTreeMap::from([
        ("exact", "unknown"),
        ("pattern", "pass"),
        ("address", "pass"),
        ("other", "fail"),
    ]);
    assert_eq!(
        got, want,
        "MCP002 on the source, per approved_subnet_ids form"
    );
}

#[test]
fn a_subscription_given_on_the_command_line_lets_an_exact_approved_id_decide_in_source() {
    // `--subscription` says where the configuration deploys: the data subnet's id is known.
    let dir = case_dir("data_subnet_approved");
    let verdict = |subscription: &str| {
        let opts = ScanOptions {
            config: Config::load(&dir.join("exact.mcpguard.hcl")).expect("fixture config loads"),
            subscription: Some(subscription.to_string()),
            today: Some(time::macros::date!(2026 - 11 - 23)),
            ..ScanOptions::default()
        };
        let rules = scan::load_rules(&opts).expect("built-in rules load");
        let loaded = scan::load_inputs(std::slice::from_ref(&dir), &opts);
        let (report, _) = scan::evaluate(&rules, loaded, &opts);
        verdicts(&report)
            .get(&(
                "MCP002".to_string(),
                "azurerm_container_group.mcp_github".to_string(),
            ))
            .copied()
    };
    if std::env::var_os("ARM_SUBSCRIPTION_ID").is_some() {
        eprintln!("ARM_SUBSCRIPTION_ID is set and wins over --subscription; skipping");
        return;
    }
    assert_eq!(
        verdict("99999999-8888-7777-6666-555555555555"),
        Some("pass")
    );
    assert_eq!(
        verdict("11111111-2222-3333-4444-555555555555"),
        Some("fail")
    );
}

#[test]
fn approved_subnet_ids_decide_a_data_subnet_read_at_plan_time_in_every_form() {
    // The read returned the subnet's real id, subscription included.
    let got = data_subnet_verdicts(Input::Plan);
    let want = BTreeMap::from([
        ("exact", "pass"),
        ("pattern", "pass"),
        ("address", "pass"),
        ("other", "fail"),
    ]);
    assert_eq!(
        got, want,
        "MCP002 on the plan, per approved_subnet_ids form"
    );
}

#[test]
fn an_image_whose_repository_is_literally_mcp_server_makes_an_mcp_server_in_source() {
    // image = "${azurerm_container_registry.acr.login_server}/mcp-server:${var.tag}",
    // no MCPServer tag, no identity. The source keeps the literal `/mcp-server:`,
    // so the group is an MCP server and MCP001 and MCP003 fail on it. The plan
    // writes the whole image as unknown (the registry is new), so there the
    // honest verdict is `unknown`.
    let g = "azurerm_container_group.tools";
    let source = verdicts(&scan("partly_known_strings", Input::Source));
    let plan = verdicts(&scan("partly_known_strings", Input::Plan));
    let mut problems = check(
        "partly_known_strings Source",
        &source,
        &group(g, &[("MCP001", "fail"), ("MCP003", "fail")]),
    );
    problems.extend(check(
        "partly_known_strings Plan",
        &plan,
        &group(g, &[("MCP001", "unknown"), ("MCP003", "unknown")]),
    ));
    problems.extend(disagreements(
        &plan,
        &source,
        &[("MCP001", g), ("MCP003", g)],
    ));
    assert_none(problems);
}

#[test]
fn an_environment_subject_built_from_variables_fails_mcp006_under_the_default_environments() {
    // subject = "repo:${var.org}/${var.repo}:environment:${var.env}": the literal
    // `:environment:` decides, and `allowed_environments` is empty by default.
    let fic = "azurerm_federated_identity_credential.deploy";
    let mut problems = Vec::new();
    for input in [Input::Plan, Input::Source] {
        let v = verdicts(&scan("partly_known_strings", input));
        problems.extend(check(
            &format!("partly_known_strings {input:?}"),
            &v,
            &[("MCP006", fic, "fail")],
        ));
    }
    assert_none(problems);
}

#[test]
fn a_secret_named_env_var_fails_mcp008_whatever_its_value() {
    // GITHUB_TOKEN = var.github_token (sensitive): the plan knows the value and
    // marks it sensitive; the source has no value (no tfvars), or one from --var.
    // AZURE_STORAGE_CONNECTION_STRING = a storage account's computed attribute:
    // the source still has the name; the plan writes the whole map as unknown
    // (the provider makes a map with an unknown value unknown), so names and all
    // are unknown there.
    let github = "azurerm_container_group.mcp_github";
    let files = "azurerm_container_group.mcp_files";
    let mut problems = Vec::new();
    let plan = verdicts(&scan("secret_env_from_variable", Input::Plan));
    problems.extend(check(
        "secret_env_from_variable Plan",
        &plan,
        &[("MCP008", github, "fail"), ("MCP008", files, "unknown")],
    ));
    for vars in [&[][..], &[("github_token", FAKE_TOKEN)][..]] {
        let (r, _) = scan_with(
            "secret_env_from_variable",
            Input::Source,
            ".mcpguard.hcl",
            vars,
        );
        let v = verdicts(&r);
        let what = format!("secret_env_from_variable Source with {} --var", vars.len());
        problems.extend(check(
            &what,
            &v,
            &[("MCP008", github, "fail"), ("MCP008", files, "fail")],
        ));
        problems.extend(disagreements(&plan, &v, &[("MCP008", files)]));
    }
    assert_none(problems);
}

#[test]
fn a_secret_from_a_sensitive_variable_never_appears_in_any_report_format() {
    // The plan carries the token in clear twice (`variables` and the container's
    // `after`), as `terraform show -json` does; a source scan given `--var` knows it too.
    let scans = [
        (
            "plan",
            scan_with(
                "secret_env_from_variable",
                Input::Plan,
                ".mcpguard.hcl",
                &[],
            ),
        ),
        (
            "source with --var",
            scan_with(
                "secret_env_from_variable",
                Input::Source,
                ".mcpguard.hcl",
                &[
                    ("github_token", FAKE_TOKEN),
                    ("workspace_key", WORKSPACE_KEY),
                ],
            ),
        ),
    ];
    let plan_text = std::fs::read_to_string(case_dir("secret_env_from_variable").join("plan.json"))
        .expect("plan readable");
    assert!(
        plan_text.contains(FAKE_TOKEN) && plan_text.contains(WORKSPACE_KEY),
        "the fixture must hold the secrets for this test to mean anything"
    );
    let mut problems = Vec::new();
    for (what, (report, metas)) in &scans {
        assert!(
            report.findings.iter().any(|f| f.rule_id == "MCP008"),
            "{what}: MCP008 did not run on the secret"
        );
        for format in [
            Format::Json,
            Format::Sarif,
            Format::Table,
            Format::Junit,
            Format::Github,
            Format::Markdown,
            Format::Html,
        ] {
            let out = render(format, report, metas, &RenderOptions::default());
            for secret in [FAKE_TOKEN, WORKSPACE_KEY] {
                if out.contains(secret) {
                    problems.push(format!("{what}: {format:?} output contains `{secret}`"));
                }
            }
        }
    }
    assert_none(problems);
}

#[test]
fn a_registry_credential_whose_identity_is_read_at_apply_still_uses_an_identity() {
    // user_assigned_identity_id = data.azurerm_user_assigned_identity.acr_pull.id,
    // a read deferred to apply: the id is unknown, but the credential is set and
    // uses an identity, not a password, so MCP009 decides.
    let g = "azurerm_container_group.mcp_github";
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for input in [Input::Plan, Input::Source] {
        let r = scan("registry_identity_unknown", input);
        let v = verdicts(&r);
        let what = format!("registry_identity_unknown {input:?}");
        problems.extend(check(&what, &v, &group(g, &[])));
        problems.extend(no_fail_or_unknown(&what, &r));
        seen.push(v);
    }
    problems.extend(disagreements(&seen[0], &seen[1], &[]));
    assert_none(problems);
}

#[test]
fn every_model_case_has_a_plan_and_a_source() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/model");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/model")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "{} cases", cases.len());
    for c in cases {
        for f in ["plan.json", "main.tf"] {
            assert!(c.join(f).is_file(), "{}: no {f}", c.display());
        }
    }
}

/// Shapes every real `terraform show -json` plan has (checked on the corpus
/// below): an unknown value is absent from `after`; `after_unknown` and
/// `after_sensitive` leave known leaves out of objects and mirror every known
/// list and map; a resource in a module names its `module_address`; a read
/// deferred to apply says why.
fn shape_violations(plan: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    fn unknown_absent(u: &Value, a: Option<&Value>, at: &str, out: &mut Vec<String>) {
        match u {
            Value::Bool(true) if a.is_some_and(|a| !a.is_null()) => {
                out.push(format!("{at}: unknown, yet `after` has a value"))
            }
            Value::Object(m) => {
                for (k, x) in m {
                    if x == &Value::Bool(false) {
                        out.push(format!("{at}.{k}: `false` in an after_unknown object"));
                    }
                    unknown_absent(x, a.and_then(|a| a.get(k)), &format!("{at}.{k}"), out);
                }
            }
            Value::Array(l) => {
                for (i, x) in l.iter().enumerate() {
                    unknown_absent(x, a.and_then(|a| a.get(i)), &format!("{at}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    fn no_false(s: &Value, at: &str, out: &mut Vec<String>) {
        match s {
            Value::Object(m) => {
                for (k, x) in m {
                    if x == &Value::Bool(false) {
                        out.push(format!("{at}.{k}: `false` in an after_sensitive object"));
                    }
                    no_false(x, &format!("{at}.{k}"), out);
                }
            }
            Value::Array(l) => l.iter().for_each(|x| no_false(x, at, out)),
            _ => {}
        }
    }
    /// Every known list or map in `after` is a list (as long) or an object in `mirror`.
    fn mirrors(a: &Value, m: Option<&Value>, at: &str, what: &str, out: &mut Vec<String>) {
        let children: Vec<(String, &Value, Option<&Value>)> = match a {
            Value::Object(o) => o
                .iter()
                .map(|(k, x)| (format!("{at}.{k}"), x, m.and_then(|m| m.get(k))))
                .collect(),
            Value::Array(l) => l
                .iter()
                .enumerate()
                .map(|(i, x)| (format!("{at}[{i}]"), x, m.and_then(|m| m.get(i))))
                .collect(),
            _ => return,
        };
        for (at, x, mx) in children {
            let ok = match (x, mx) {
                (Value::Array(_) | Value::Object(_), Some(Value::Bool(true))) => continue,
                (Value::Array(l), Some(Value::Array(ml))) => {
                    what != "after_unknown" || l.len() == ml.len()
                }
                (Value::Object(_), Some(Value::Object(_))) => true,
                (Value::Array(_) | Value::Object(_), _) => false,
                _ => continue,
            };
            if !ok {
                out.push(format!(
                    "{at}: a known collection that {what} does not mirror"
                ));
                continue;
            }
            mirrors(x, mx, &at, what, out);
        }
    }
    let mut out = Vec::new();
    let empty = Value::Object(Default::default());
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        let addr = rc["address"].as_str().unwrap_or("?");
        let ch = &rc["change"];
        let actions: Vec<&str> = ch["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if actions == ["create"] || actions == ["read"] {
            let after = ch.get("after").unwrap_or(&empty);
            let unknown = ch.get("after_unknown").unwrap_or(&empty);
            unknown_absent(unknown, Some(after), addr, &mut out);
            mirrors(after, Some(unknown), addr, "after_unknown", &mut out);
            if let Some(s) = ch.get("after_sensitive") {
                no_false(s, addr, &mut out);
                mirrors(after, Some(s), addr, "after_sensitive", &mut out);
            }
        }
        if actions == ["read"]
            && plan["format_version"] == "1.2"
            && rc.get("action_reason").is_none()
        {
            out.push(format!("{addr}: a deferred read without `action_reason`"));
        }
        let module = rc.get("module_address").and_then(Value::as_str);
        match module {
            Some(m) if !addr.starts_with(&format!("{m}.")) => {
                out.push(format!("{addr}: module_address `{m}` is not its module"))
            }
            None if addr.starts_with("module.") => out.push(format!("{addr}: no module_address")),
            _ => {}
        }
    }
    out
}

fn plan_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            plan_files(&p, out);
        } else if p.file_name().is_some_and(|n| n == "plan.json") {
            out.push(p);
        }
    }
}

#[test]
fn generated_plans_have_the_shapes_real_terraform_plans_have() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    let corpus = root.join("../shared/corpus/plans");
    match std::fs::read_dir(&corpus) {
        Err(_) => eprintln!("{} is absent; checking the fixtures only", corpus.display()),
        Ok(rd) => {
            let mut n = 0;
            for p in rd.filter_map(|e| e.ok().map(|e| e.path())) {
                if p.extension().is_some_and(|e| e == "json") {
                    let v: serde_json::Value =
                        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                    n += 1;
                    problems.extend(
                        shape_violations(&v)
                            .into_iter()
                            .map(|s| format!("corpus {}: {s}", p.display())),
                    );
                }
            }
            assert!(n >= 20, "only {n} corpus plans");
        }
    }
    // Every plan fixtures/generate.py writes (fixtures/plans/ is written by hand).
    let mut plans = Vec::new();
    for d in ["rules", "seed", "preflight", "model"] {
        plan_files(&root.join("fixtures").join(d), &mut plans);
    }
    assert!(plans.len() >= 39, "only {} generated plans", plans.len());
    for p in plans {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        problems.extend(
            shape_violations(&v)
                .into_iter()
                .map(|s| format!("{}: {s}", p.strip_prefix(root).unwrap_or(&p).display())),
        );
    }
    assert_none(problems);
}
