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

#[test]
fn table_snapshot() {
    let out = render(
        Format::Table,
        &pinned(),
        &sample_rules(),
        &RenderOptions { color: false },
    );
    insta::assert_snapshot!("table_sample", out);
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
