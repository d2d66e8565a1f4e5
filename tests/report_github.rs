//! GitHub Actions annotations: every line is a well-formed workflow command
//! whose properties and message decode back to the original text.

mod report_common;

use mcpguard::findings::{Report, ReportError, Status};
use mcpguard::report::{render, Format, RenderOptions};
use report_common::*;

/// One parsed `::level k=v,k=v::message` line, decoded as the runner does.
#[derive(Debug)]
struct Command {
    level: String,
    props: Vec<(String, String)>,
    message: String,
}

fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

fn parse(line: &str) -> Option<Command> {
    let rest = line.strip_prefix("::")?;
    let (head, message) = rest.split_once("::")?;
    let (level, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            assert!(
                !v.contains(':') && !v.contains(','),
                "unescaped property {p:?}"
            );
            (k.to_string(), unescape(v))
        })
        .collect();
    assert!(!message.contains('\n') && !message.contains('\r'));
    Some(Command {
        level: level.to_string(),
        props,
        message: unescape(message),
    })
}

fn prop<'a>(c: &'a Command, k: &str) -> Option<&'a str> {
    c.props
        .iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}

fn commands(report: &Report) -> (Vec<Command>, Vec<String>) {
    let out = render(
        Format::Github,
        report,
        &sample_rules(),
        &RenderOptions::default(),
    );
    let mut cmds = Vec::new();
    let mut plain = Vec::new();
    for line in out.lines() {
        match parse(line) {
            Some(c) => cmds.push(c),
            None => plain.push(line.to_string()),
        }
    }
    (cmds, plain)
}

#[test]
fn one_annotation_per_unsuppressed_finding() {
    let report = sample_report();
    let (cmds, plain) = commands(&report);
    let expected = report
        .findings
        .iter()
        .filter(|f| f.status != Status::Suppressed)
        .count()
        + report.warnings.len();
    assert_eq!(cmds.len(), expected);
    assert!(
        plain
            .iter()
            .any(|l| l.contains("6 failed, 1 unknown, 2 suppressed")),
        "{plain:?}"
    );
    assert!(plain
        .iter()
        .any(|l| l.starts_with("suppressed by inline: MCP009 ")));

    let mcp004 = cmds
        .iter()
        .find(|c| prop(c, "title") == Some("MCP004"))
        .expect("MCP004");
    assert_eq!(mcp004.level, "error");
    assert_eq!(prop(mcp004, "file"), Some("modules/mcp/main.tf"));
    assert_eq!(prop(mcp004, "line"), Some("12"));
    let f = report
        .findings
        .iter()
        .find(|f| f.rule_id == "MCP004")
        .expect("finding");
    // Newline, `%`, `:` and `,` round-trip through the escaping.
    assert_eq!(
        mcp004.message,
        format!("{}: {}", f.resource.address, f.message)
    );

    let unknown = cmds
        .iter()
        .find(|c| prop(c, "title") == Some("MCP003"))
        .expect("MCP003");
    assert_eq!(unknown.level, "notice");
    assert_eq!(
        prop(unknown, "line"),
        None,
        "no line when only the file is known"
    );
    let arm = cmds
        .iter()
        .find(|c| prop(c, "title") == Some("MCP002"))
        .expect("MCP002");
    assert_eq!(prop(arm, "file"), None, "ARM findings have no file");
    assert_eq!(
        cmds.iter()
            .find(|c| prop(c, "title") == Some("tag-owner"))
            .map(|c| c.level.as_str()),
        Some("notice")
    );
    assert_eq!(
        cmds.iter()
            .find(|c| prop(c, "title") == Some("no-public-ip"))
            .map(|c| c.level.as_str()),
        Some("error")
    );
    let pct = cmds
        .iter()
        .find(|c| prop(c, "title") == Some("no-public-ip"))
        .expect("critical");
    assert!(pct.message.ends_with("100%% exposed"));
}

#[test]
fn properties_with_colons_and_commas_are_escaped() {
    let mut report = sample_report();
    report.findings[0].location = Some(mcpguard::findings::Location {
        file: "C:\\a,b\\main.tf".into(),
        line: Some(3),
        block: None,
    });
    report.findings[0].rule_id = "x:y,z".into();
    let (cmds, _) = commands(&report);
    let c = cmds
        .iter()
        .find(|c| prop(c, "title") == Some("x:y,z"))
        .expect("escaped title round-trips");
    assert_eq!(prop(c, "file"), Some("C:\\a,b\\main.tf"));
}

#[test]
fn input_errors_are_annotated() {
    let mut report = sample_report();
    report.errors.push(ReportError {
        source: "plans/bad.json".into(),
        message: "line 3, column 7: expected `,`\nor `}`".into(),
    });
    let (cmds, _) = commands(&report);
    let e = cmds
        .iter()
        .find(|c| prop(c, "title") == Some("mcpguard input error"))
        .expect("error annotation");
    assert_eq!(e.level, "error");
    assert_eq!(
        e.message,
        "plans/bad.json: line 3, column 7: expected `,`\nor `}`"
    );
}
