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
//! The table is as wide as the terminal (or `COLUMNS`; 100 columns when the
//! output is not a terminal, so a file or a pipe gets the same bytes every
//! time). Columns are sized here, not by the table library, and cells are
//! wrapped here: an address or a path breaks before `.` and `[` and after
//! `/`, never inside a name or a quoted key, and a message at spaces. Below
//! 120 columns the location moves under the resource, so at 80 columns a
//! row still reads as status, rule, what and where, and why.

use comfy_table::presets::UTF8_FULL;
use comfy_table::{Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};

use super::{
    by_severity, location_text, plural, status_str, summary_line, versions_line, RenderOptions,
};
use crate::findings::{Finding, Report, Severity, Status};

/// The width when nothing says otherwise (not a terminal, no `COLUMNS`).
pub const DEFAULT_WIDTH: u16 = 100;

/// Narrowest table laid out; a narrower terminal gets this width and wraps.
const MIN_WIDTH: usize = 60;

/// From this width on, the location has its own column.
const WIDE: usize = 120;

/// The width of the terminal standard output is, if it is one.
pub fn terminal_width() -> Option<u16> {
    Table::new().width()
}

pub fn render(report: &Report, opts: &RenderOptions) -> String {
    let paint = Paint { on: opts.color };
    let mut out = String::new();
    let groups = by_severity(report);
    if groups.is_empty() {
        out.push_str("No findings.\n\n");
    }
    // One set of column widths for every severity's table, so they line up.
    let all: Vec<&Finding> = report.findings.iter().collect();
    let width = usize::from(opts.width.unwrap_or(DEFAULT_WIDTH)).max(MIN_WIDTH);
    let widths = column_widths(&all, width);
    for (severity, findings) in groups {
        out.push_str(&paint.severity(
            severity,
            &format!("{} ({})", severity.as_str(), findings.len()),
        ));
        out.push('\n');
        out.push_str(&findings_table(&findings, opts.color, &widths).to_string());
        out.push_str("\n\n");
    }
    out.push_str(&paint.bold(&summary_line(report)));
    out.push('\n');
    out.push_str(&versions_line(report));
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

/// Column content widths for a table `width` columns wide: status, rule,
/// resource (with the location under it when narrow), location (when wide),
/// message.
fn column_widths(findings: &[&Finding], width: usize) -> Vec<usize> {
    let longest = |f: &dyn Fn(&Finding) -> usize, header: &str| {
        findings
            .iter()
            .map(|x| f(x))
            .max()
            .unwrap_or(0)
            .max(header.len())
    };
    let status = longest(&|f| status_str(f.status).len(), "status");
    let rule = longest(&|f| f.rule_id.chars().count(), "rule");
    let address = longest(&|f| f.resource.address.chars().count(), "resource");
    let location = longest(&|f| location_cell(f).chars().count(), "location");
    let message = longest(
        &|f| {
            message_cell(f)
                .lines()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0)
        },
        "message",
    );
    // A name is never cut while its column can hold it: the longest piece
    // an address or a path breaks into is the resource column's floor.
    let piece = findings
        .iter()
        .flat_map(|f| {
            let loc = location_cell(f);
            let mut p = pieces(&f.resource.address);
            p.extend(pieces(&loc));
            p
        })
        .map(|p| p.chars().count())
        .max()
        .unwrap_or(0);
    let wide = width >= WIDE;
    let columns = if wide { 5 } else { 4 };
    // Each column has a border on its left and a space either side of it.
    let chrome = columns * 3 + 1;
    let room = width.saturating_sub(chrome + status + rule);
    let mut what = if wide { address } else { address.max(location) };
    let place = if wide {
        location.min((room / 4).max(12))
    } else {
        0
    };
    let mut why = message;
    let left = room.saturating_sub(place);
    if what + why > left {
        // The message gets the larger share: it is the sentence to read.
        // An address cannot wrap at spaces as a message can: it gets its
        // longest piece, up to half the room.
        what = what.min((left * 2 / 5).max(piece.min(left / 2)).max(10));
        why = left.saturating_sub(what).max(10);
    }
    let mut w = vec![status, rule, what];
    if wide {
        w.push(place);
    }
    w.push(why);
    w
}

fn findings_table(findings: &[&Finding], color: bool, widths: &[usize]) -> Table {
    let wide = widths.len() == 5;
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL)
        .force_no_tty()
        // The cells arrive wrapped to their column: the library only draws,
        // at the widths computed for every table of the report alike.
        .set_content_arrangement(ContentArrangement::Disabled);
    if wide {
        table.set_header(vec!["status", "rule", "resource", "location", "message"]);
    } else {
        // The location is the second line of the resource cell.
        table.set_header(vec!["status", "rule", "resource", "message"]);
    }
    // After the header: constraints apply to the columns it created.
    table.set_constraints(widths.iter().map(|w| {
        let padded = u16::try_from(w + 2).unwrap_or(u16::MAX);
        ColumnConstraint::Absolute(Width::Fixed(padded))
    }));
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
        let address = wrap_path(&f.resource.address, widths[2]).join("\n");
        let location = wrap_path(&location_cell(f), if wide { widths[3] } else { widths[2] });
        let mut row = vec![
            status,
            Cell::new(wrap_path(&f.rule_id, widths[1]).join("\n")),
        ];
        if wide {
            row.push(Cell::new(address));
            row.push(Cell::new(location.join("\n")));
        } else if f.location.is_some() {
            row.push(Cell::new(format!("{address}\n{}", location.join("\n"))));
        } else {
            row.push(Cell::new(address));
        }
        row.push(Cell::new(
            wrap_text(&message_cell(f), widths[widths.len() - 1]).join("\n"),
        ));
        table.add_row(row);
    }
    table
}

fn location_cell(f: &Finding) -> String {
    location_text(f.location.as_ref()).unwrap_or_else(|| "-".to_string())
}

/// Splits an address or a path into lines of at most `width` characters,
/// breaking before `.` and `[` and after `/` (outside quoted keys); a piece
/// longer than a line is cut as a last resort.
pub fn wrap_path(s: &str, width: usize) -> Vec<String> {
    fill(pieces(s), width.max(1), "")
}

/// The pieces an address or a path may break between.
fn pieces(s: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    // A path (or an ARM id) breaks after its `/`s only: `main.tf` and
    // `Microsoft.Network` stay whole.
    let path = s.contains('/');
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && !path && (c == '.' || c == '[') && !cur.is_empty() {
            pieces.push(std::mem::take(&mut cur));
        }
        cur.push(c);
        if !quoted && c == '/' {
            pieces.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    pieces
}

/// Wraps text at spaces into lines of at most `width` characters; a word too
/// long for a line (an address in backticks) is broken as a path is.
pub fn wrap_text(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for para in s.split('\n') {
        let mut words: Vec<String> = Vec::new();
        for w in para.split(' ').filter(|w| !w.is_empty()) {
            if w.chars().count() > width {
                words.extend(wrap_path(w, width));
            } else {
                words.push(w.to_string());
            }
        }
        if words.is_empty() {
            out.push(String::new());
            continue;
        }
        out.extend(fill(words, width, " "));
    }
    out
}

/// Greedy line filling: pieces joined by `sep` while they fit.
fn fill(pieces: Vec<String>, width: usize, sep: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for p in pieces {
        let needed = if line.is_empty() { 0 } else { sep.len() } + p.chars().count();
        if !line.is_empty() && line.chars().count() + needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str(sep);
        }
        line.push_str(&p);
        // A piece longer than a line: cut it after the last `-`, `_` or `.`
        // past its first third (a GUID, a long name,
        // `Microsoft.ContainerInstance`), else at the width.
        while line.chars().count() > width {
            let chars: Vec<char> = line.chars().collect();
            let at = (width / 3 + 1..width)
                .rev()
                .find(|&i| matches!(chars[i - 1], '-' | '_' | '.'))
                .unwrap_or(width);
            lines.push(chars[..at].iter().collect());
            line = chars[at..].iter().collect();
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
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
                block: None,
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
        let wide = RenderOptions {
            width: Some(200),
            ..RenderOptions::default()
        };
        let out = render(&report(), &wide);
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
            format!(
                "No findings.\n\n3 resources, 1 rule: 0 failed, 0 unknown, 0 suppressed\n\
                 mcpguard {} · report mcpguard/report/v1\n",
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[test]
    fn addresses_wrap_at_boundaries_not_inside_names() {
        let a = "module.mcp[\"git.hub\"].azurerm_container_group.this[0]";
        assert_eq!(
            wrap_path(a, 26),
            vec![
                "module.mcp[\"git.hub\"]",
                ".azurerm_container_group",
                ".this[0]"
            ]
        );
        assert_eq!(
            wrap_path("envs/prod/modules/mcp/main.tf:12", 16),
            vec!["envs/prod/", "modules/mcp/", "main.tf:12"]
        );
        // Every line fits, and nothing is lost.
        for w in [8, 12, 20, 40] {
            let lines = wrap_path(a, w);
            assert!(
                lines.iter().all(|l| l.chars().count() <= w),
                "{w}: {lines:?}"
            );
            assert_eq!(lines.concat(), a);
        }
        assert_eq!(wrap_path("short", 30), vec!["short"]);
        assert_eq!(
            wrap_text("NSG `nsg-mcp` lets traffic out to the Internet", 20),
            vec!["NSG `nsg-mcp` lets", "traffic out to the", "Internet"]
        );
        assert_eq!(wrap_text("a\n\nb", 5), vec!["a", "", "b"]);
    }

    #[test]
    fn rows_fit_the_width() {
        let r = report();
        for width in [60u16, 80, 100, 120, 200] {
            let out = render(
                &r,
                &RenderOptions {
                    width: Some(width),
                    ..RenderOptions::default()
                },
            );
            for line in out
                .lines()
                .filter(|l| l.starts_with(['│', '┌', '╞', '└', '├']))
            {
                assert!(
                    line.chars().count() <= usize::from(width),
                    "{width}: {line}"
                );
            }
        }
        let narrow = render(
            &r,
            &RenderOptions {
                width: Some(80),
                ..RenderOptions::default()
            },
        );
        assert!(!narrow.contains("┆ location "), "{narrow}");
        assert!(
            narrow.contains("main.tf:12"),
            "the location is under the resource"
        );
        let wide = render(
            &r,
            &RenderOptions {
                width: Some(200),
                ..RenderOptions::default()
            },
        );
        assert!(wide.contains("┆ location "), "{wide}");
    }

    #[test]
    fn same_report_same_bytes() {
        let r = report();
        let o = RenderOptions::default();
        assert_eq!(render(&r, &o), render(&r, &o));
    }
}
