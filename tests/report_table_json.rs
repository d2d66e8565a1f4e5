//! The table and JSON reports of the shared sample, as reviewed snapshots:
//! the table is what people read, the JSON is a contract.

mod report_common;

use mcpguard::findings::Report;
use mcpguard::report::{render, Format, RenderOptions};
use report_common::*;

fn pinned() -> Report {
    let mut r = sample_report();
    r.tool.version = "0.0.0-test".into();
    r
}

/// The table at 80 columns (the location under the resource, addresses and
/// paths wrapped at `.`, `[` and `/`) and at 200 (a column each, no wrap).
#[test]
fn table_snapshots_at_80_and_200_columns() {
    for width in [80u16, 200] {
        let out = render(
            Format::Table,
            &pinned(),
            &sample_rules(),
            &RenderOptions {
                width: Some(width),
                ..RenderOptions::default()
            },
        );
        let rows = out
            .lines()
            .filter(|l| l.starts_with(['│', '┌', '╞', '├', '└']));
        for line in rows {
            assert!(
                line.chars().count() <= usize::from(width),
                "{width}: {line}"
            );
        }
        insta::assert_snapshot!(format!("table_sample_{width}"), out);
    }
}

#[test]
fn json_snapshot() {
    let out = render(
        Format::Json,
        &pinned(),
        &sample_rules(),
        &RenderOptions::default(),
    );
    insta::assert_snapshot!("json_sample", out);
}

#[test]
fn every_format_renders_the_same_report_deterministically() {
    use clap::ValueEnum;
    let report = sample_report();
    for format in Format::value_variants() {
        if *format == Format::Html {
            continue; // carries the time it was written
        }
        let a = render(*format, &report, &sample_rules(), &RenderOptions::default());
        let b = render(*format, &report, &sample_rules(), &RenderOptions::default());
        assert_eq!(a, b, "{format:?}");
        assert!(a.ends_with('\n'), "{format:?} ends with a newline");
    }
}

#[test]
fn ten_thousand_findings_render_in_every_format() {
    use clap::ValueEnum;
    let base = sample_report();
    let mut big = Report::new();
    big.findings = (0..10_000)
        .map(|i| {
            let mut f = base.findings[i % base.findings.len()].clone();
            f.resource.address = format!("module.m[{i}].azurerm_container_group.this");
            f.fingerprint = format!("fp-{i}");
            f
        })
        .collect();
    big.finish();
    for format in Format::value_variants() {
        let start = std::time::Instant::now();
        let out = render(*format, &big, &sample_rules(), &RenderOptions::default());
        let took = start.elapsed();
        eprintln!("{format:?}: {} KiB in {took:?}", out.len() / 1024);
        assert!(out.len() > 10_000);
        assert!(
            took < std::time::Duration::from_secs(30),
            "{format:?} took {took:?}"
        );
    }
}
