//! The human report: one table per severity (critical first), then a one-line
//! summary, then errors, warnings, notes and the count of skipped rules.
//!
//! ```text
//! high (2)
//! ┌────────┬────────┬───────────────────────────────┬─────────────┬──────────────────────────────┐
//! │ status ┆ rule   ┆ resource                      ┆ location    ┆ message                      │
//! ╞════════╪════════╪═══════════════════════════════╪═════════════╪══════════════════════════════╡
//! │ fail   ┆ MCP004 ┆ azurerm_container_group.mcp   ┆ main.tf:12  ┆ NSG `nsg-mcp` lets …         │
//! └────────┴────────┴───────────────────────────────┴─────────────┴──────────────────────────────┘
//!
//! 12 resources, 10 rules: 3 failed, 1 unknown, 0 suppressed
//! ```
//!
//! The table is never sized from the terminal, so the same report renders to
//! the same bytes everywhere; colour is added only when asked for.

use comfy_table::presets::UTF8_FULL;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};

use super::{by_severity, location_text, plural, status_str, summary_line, RenderOptions};
use crate::findings::{Finding, Report, Severity, Status};

/// Wide enough for a Terraform address and a message side by side; long
/// messages wrap inside their cell.
const TABLE_WIDTH: u16 = 160;

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let paint = Paint { on: opts.color };
    let mut out = String::new();
    let groups = by_severity(report);
    if groups.is_empty() {
        out.push_str("No findings.\n\n");
    }
    for (severity, findings) in groups {
        out.push_str(&paint.severity(
            severity,
            &format!("{} ({})", severity.as_str(), findings.len()),
        ));
        out.push('\n');
        out.push_str(&findings_table(&findings, opts.color).to_string());
        out.push_str("\n\n");
    }
    out.push_str(&paint.bold(&summary_line(report)));
    out.push('\n');
    if opts.errors_on_stderr && !report.errors.is_empty() {
        out.push_str(&format!(
            "{} {} could not be used: the diagnostics are on standard error\n",
            paint.red("error:"),
            plural(report.errors.len(), "input")
        ));
    } else {
        for e in &report.errors {
            out.push_str(&format!(
                "{} {}: {}\n",
                paint.red("error:"),
                e.source,
                e.message
            ));
        }
    }
    for w in &report.warnings {
        out.push_str(&format!(
            "{} {}: {}\n",
            paint.yellow("warning:"),
            w.source,
            w.message
        ));
    }
    for n in &report.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    if !report.rules_skipped.is_empty() {
        out.push_str(&format!(
            "{} not evaluated here (`--format json` lists why)\n",
            plural(report.rules_skipped.len(), "rule")
        ));
    }
    out
}

fn findings_table(findings: &[&Finding], color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(TABLE_WIDTH)
        .set_header(vec!["status", "rule", "resource", "location", "message"]);
    if color {
        table.enforce_styling();
    }
    for f in findings {
        let status = Cell::new(status_str(f.status));
        let status = match f.status {
            Status::Fail => status.fg(Color::Red).add_attribute(Attribute::Bold),
            Status::Unknown => status.fg(Color::Yellow),
            Status::Suppressed => status.fg(Color::DarkGrey),
        };
        table.add_row(vec![
            status,
            Cell::new(&f.rule_id),
            Cell::new(&f.resource.address),
            Cell::new(location_text(f.location.as_ref()).unwrap_or_else(|| "-".to_string())),
            Cell::new(message_cell(f)),
        ]);
    }
    table
}

/// The message, plus why a suppressed finding is not counted.
fn message_cell(f: &Finding) -> String {
    match &f.suppression {
        Some(s) => {
            let mut line = format!("{}\n(suppressed by {}", f.message, s.kind);
            if let Some(reason) = &s.reason {
                line.push_str(&format!(": {reason}"));
            }
            if let Some(expires) = &s.expires {
                line.push_str(&format!(", until {expires}"));
            }
            line.push(')');
            line
        }
        None => f.message.clone(),
    }
}

/// ANSI styling for the lines outside the table; a no-op without colour.
struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(&self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn red(&self, t: &str) -> String {
        self.wrap("1;31", t)
    }
    fn yellow(&self, t: &str) -> String {
        self.wrap("33", t)
    }
    fn severity(&self, s: Severity, t: &str) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "1;33",
            Severity::Low => "1;34",
            Severity::Info => "1",
        };
        self.wrap(code, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Location, ReportError, ResourceRef, SkippedRule, Suppression, Warning};

    fn finding(rule: &str, sev: Severity, status: Status, addr: &str) -> Finding {
        Finding {
            rule_id: rule.into(),
            severity: sev,
            status,
            message: format!("`{addr}` is wrong"),
            resource: ResourceRef {
                address: addr.into(),
                tf_type: "azurerm_container_group".into(),
                arm_type: "Microsoft.ContainerInstance/containerGroups".into(),
                id: format!("/x/{addr}"),
            },
            location: Some(Location {
                file: "main.tf".into(),
                line: Some(12),
            }),
            evidence: vec![],
            suppression: None,
            fingerprint: format!("{rule}:{addr}"),
            root: None,
            plan: None,
        }
    }

    fn report() -> Report {
        let mut r = Report::new();
        r.summary.resources = 12;
        r.summary.rules = 10;
        r.findings = vec![
            finding(
                "MCP003",
                Severity::Medium,
                Status::Unknown,
                "azurerm_container_group.b",
            ),
            finding(
                "MCP004",
                Severity::High,
                Status::Fail,
                "azurerm_container_group.a",
            ),
            Finding {
                suppression: Some(Suppression {
                    kind: "inline".into(),
                    reason: Some("legacy, OPS-112".into()),
                    expires: Some("2027-01-31".into()),
                    source: Some("main.tf:11".into()),
                }),
                ..finding(
                    "MCP009",
                    Severity::Critical,
                    Status::Suppressed,
                    "azurerm_container_group.c",
                )
            },
        ];
        r.finish();
        r.errors.push(ReportError {
            source: "bad.json".into(),
            message: "not valid JSON".into(),
        });
        r.warnings.push(Warning {
            source: ".mcpguard.hcl:7".into(),
            message: "ignore has no reason".into(),
        });
        r.notes.push("MCP002: approved_subnet_ids is unset".into());
        r.rules_skipped.push(SkippedRule {
            rule: "x".into(),
            file: "x.json".into(),
            reason: "effect deployIfNotExists".into(),
        });
        r
    }

    #[test]
    fn groups_by_severity_then_summarises() {
        let out = render(&report(), &RenderOptions::default());
        let crit = out.find("critical (1)").expect("critical group");
        let high = out.find("high (1)").expect("high group");
        let med = out.find("medium (1)").expect("medium group");
        assert!(crit < high && high < med, "{out}");
        assert!(out.contains("12 resources, 10 rules: 1 failed, 1 unknown, 1 suppressed\n"));
        assert!(out.contains("main.tf:12"));
        assert!(out.contains("(suppressed by inline: legacy, OPS-112, until 2027-01-31)"));
        assert!(out.contains("error: bad.json: not valid JSON\n"));
        assert!(out.contains("warning: .mcpguard.hcl:7: ignore has no reason\n"));
        assert!(out.contains("note: MCP002: approved_subnet_ids is unset\n"));
        assert!(out.contains("1 rule not evaluated here"));
        assert!(!out.contains('\x1b'), "no colour unless asked");
        // The summary comes after every table.
        assert!(out.find("12 resources").unwrap_or(0) > med);
    }

    #[test]
    fn colour_only_when_asked() {
        let out = render(
            &report(),
            &RenderOptions {
                color: true,
                ..RenderOptions::default()
            },
        );
        assert!(out.contains("\x1b["));
    }

    #[test]
    fn errors_already_on_stderr_are_counted_not_repeated() {
        let opts = RenderOptions {
            errors_on_stderr: true,
            ..RenderOptions::default()
        };
        let out = render(&report(), &opts);
        assert!(!out.contains("not valid JSON"), "{out}");
        assert!(
            out.contains(
                "error: 1 input could not be used: the diagnostics are on standard error\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn empty_report_says_so() {
        let mut r = Report::new();
        r.summary.resources = 3;
        r.summary.rules = 1;
        let out = render(&r, &RenderOptions::default());
        assert_eq!(
            out,
            "No findings.\n\n3 resources, 1 rule: 0 failed, 0 unknown, 0 suppressed\n"
        );
    }

    #[test]
    fn same_report_same_bytes() {
        let r = report();
        let o = RenderOptions::default();
        assert_eq!(render(&r, &o), render(&r, &o));
    }
}
