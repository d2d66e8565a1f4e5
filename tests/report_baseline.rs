//! Baselines end to end: write today's failures, apply them to the next scan,
//! and only new failures remain.

mod report_common;

use mcpguard::baseline;
use mcpguard::findings::Status;
use report_common::*;

#[test]
fn only_new_failures_remain() {
    let today = sample_report();
    let text = baseline::write(&today);
    let b = baseline::parse("mcpguard-baseline.json", &text).expect("baseline parses");
    assert_eq!(
        b.entries.len(),
        today.summary.fail + 1,
        "failures plus the one already baselined"
    );

    // Tomorrow: the same failures, moved by a few lines, plus one new failure.
    let mut tomorrow = sample_report();
    for f in &mut tomorrow.findings {
        if let Some(l) = f.location.as_mut() {
            l.line = l.line.map(|n| n + 3);
        }
    }
    let mut new = tomorrow.findings[0].clone();
    new.resource.address = "azurerm_container_group.new".into();
    new.fingerprint = "MCP002/azurerm_container_group.new".into();
    new.status = Status::Fail;
    new.suppression = None;
    tomorrow.findings.push(new);
    tomorrow.finish();

    baseline::apply(&b, &mut tomorrow);
    assert_eq!(tomorrow.summary.fail, 1);
    let failing: Vec<&str> = tomorrow
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| f.resource.address.as_str())
        .collect();
    assert_eq!(failing, vec!["azurerm_container_group.new"]);
    assert_eq!(tomorrow.summary.unknown, 1, "unknowns are not baselined");
    assert!(tomorrow
        .warnings
        .iter()
        .all(|w| !w.message.contains("stale")));
    // Rewriting under the baseline keeps the baselined failures.
    let again = baseline::parse("b.json", &baseline::write(&tomorrow)).expect("parses");
    assert_eq!(again.entries.len(), b.entries.len() + 1);
}

#[test]
fn a_resource_that_is_gone_makes_its_entry_stale() {
    let b = baseline::parse("base.json", &baseline::write(&sample_report())).expect("parses");
    let mut later = sample_report();
    later.findings.retain(|f| f.resource.address != FED_CRED);
    later.finish();
    baseline::apply(&b, &mut later);
    let stale: Vec<&str> = later
        .warnings
        .iter()
        .filter(|w| w.message.contains("stale"))
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(
        stale,
        vec![format!(
            "stale baseline entry MCP006 on `{FED_CRED}`: the resource is no longer in the scan"
        )
        .as_str()]
    );
}

#[test]
fn a_report_given_as_baseline_is_a_diagnostic_with_the_file_name() {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let json = mcpguard::report::json::render(&sample_report(), false);
    let err = baseline::parse("out/report.json", &json).expect_err("not a baseline");
    let mut shown = String::new();
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_links(false)
        .render_report(&mut shown, &err)
        .expect("renders");
    assert!(shown.contains("out/report.json"), "{shown}");
    assert!(
        shown.contains("this is an mcpguard report, not a baseline"),
        "{shown}"
    );
    assert!(shown.contains("mcpguard baseline write"), "{shown}");
}

#[test]
fn large_baselines_apply_quickly() {
    // 20,000 failures against a 20,000-entry baseline: indexed, not quadratic.
    let template = sample_report().findings[0].clone();
    let mut big = mcpguard::findings::Report::new();
    big.findings = (0..20_000)
        .map(|i| {
            let mut f = template.clone();
            f.resource.address = format!("module.m[{i}].azurerm_container_group.this");
            f.fingerprint = format!("fp-{i}");
            f
        })
        .collect();
    big.finish();
    let start = std::time::Instant::now();
    let b = baseline::parse("b.json", &baseline::write(&big)).expect("parses");
    baseline::apply(&b, &mut big);
    let took = start.elapsed();
    eprintln!("write+parse+apply of 20,000 entries: {took:?}");
    assert_eq!(big.summary.suppressed, 20_000);
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}
