//! `--format markdown`: a pull-request comment or `$GITHUB_STEP_SUMMARY`
//! (GitHub-flavoured Markdown; Azure DevOps and GitLab render it too).
//!
//! A headline with the verdict, counts by severity and status, a table of
//! failures (then of unknowns), one collapsed `<details>` per rule with its
//! remediation and resources, suppressed findings with their reasons, and the
//! scan's errors and warnings. Text from findings is escaped for table cells
//! and inline HTML; tables are cut at [`MAX_ROWS`] rows and per-rule lists
//! at [`MAX_PER_RULE`] so a large scan stays under GitHub's 65,536-character
//! comment limit (and the 1 MiB step-summary limit).

use std::fmt::Write as _;

use super::{by_severity, help_uri, location_text, rule_meta, summary_line, SEVERITIES_DESC};
use crate::findings::{Finding, Report, RuleMeta, Status};

/// Rows per findings table before it is cut short.
pub const MAX_ROWS: usize = 50;

/// Resources listed under each rule before the list is cut short.
pub const MAX_PER_RULE: usize = 10;

pub fn render(report: &Report, rules: &[RuleMeta]) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let verdict = if !report.errors.is_empty() {
        "❌ scan incomplete"
    } else if s.fail > 0 {
        "❌ failed"
    } else {
        "✅ passed"
    };
    let _ = writeln!(out, "## mcpguard: {verdict}\n");
    let _ = writeln!(out, "{}\n", summary_line(report));

    let groups = by_severity(report);
    if !groups.is_empty() {
        out.push_str("| severity | failed | unknown | suppressed |\n|---|---:|---:|---:|\n");
        for (sev, fs) in &groups {
            let n = |st: Status| fs.iter().filter(|f| f.status == st).count();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                sev.as_str(),
                n(Status::Fail),
                n(Status::Unknown),
                n(Status::Suppressed)
            );
        }
        out.push('\n');
    }

    let ordered: Vec<&Finding> = groups
        .iter()
        .flat_map(|(_, fs)| fs.iter().copied())
        .collect();
    table(
        &mut out,
        "Failures",
        &ordered,
        Status::Fail,
        rules,
        &report.tool.version,
    );
    table(
        &mut out,
        "Unknown before apply",
        &ordered,
        Status::Unknown,
        rules,
        &report.tool.version,
    );

    // One collapsed section per rule that has something to fix.
    let mut rule_ids: Vec<&str> = Vec::new();
    for sev in SEVERITIES_DESC {
        for f in ordered
            .iter()
            .filter(|f| f.severity == sev && f.status != Status::Suppressed)
        {
            if !rule_ids.contains(&f.rule_id.as_str()) {
                rule_ids.push(&f.rule_id);
            }
        }
    }
    if !rule_ids.is_empty() {
        out.push_str("### Rules\n\n");
    }
    for id in rule_ids {
        let meta = rule_meta(rules, id);
        let fs: Vec<&&Finding> = ordered
            .iter()
            .filter(|f| f.rule_id == id && f.status != Status::Suppressed)
            .collect();
        let title = meta
            .map(|m| format!(": {}", inline(&m.title)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<details>\n<summary><b>{}</b>{title} ({})</summary>\n",
            inline(id),
            super::plural(fs.len(), "finding")
        );
        if let Some(m) = meta {
            let _ = writeln!(out, "Severity: **{}**\n", m.severity.as_str());
            if !m.remediation.trim().is_empty() {
                let _ = writeln!(out, "**Remediation.** {}\n", m.remediation.trim());
            }
            if let Some(uri) = help_uri(m, &report.tool.version) {
                let _ = writeln!(out, "[Rule documentation]({uri})\n");
            }
        }
        for f in fs.iter().take(MAX_PER_RULE) {
            let _ = writeln!(
                out,
                "- {} `{}`: {}",
                status_label(f.status),
                code(&f.resource.address),
                inline(&f.message)
            );
        }
        more(&mut out, fs.len(), MAX_PER_RULE);
        out.push_str("\n</details>\n\n");
    }

    let suppressed: Vec<&&Finding> = ordered
        .iter()
        .filter(|f| f.status == Status::Suppressed)
        .collect();
    if !suppressed.is_empty() {
        let _ = writeln!(
            out,
            "<details>\n<summary>Suppressed ({})</summary>\n",
            suppressed.len()
        );
        for f in suppressed.iter().take(MAX_ROWS) {
            let (kind, reason) =
                f.suppression
                    .as_ref()
                    .map_or(("unknown", "no reason given"), |s| {
                        (
                            s.kind.as_str(),
                            s.reason.as_deref().unwrap_or("no reason given"),
                        )
                    });
            let expires = f
                .suppression
                .as_ref()
                .and_then(|s| s.expires.as_deref())
                .map(|e| format!(", until {e}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- **{}** `{}` by {kind}{expires}: {}",
                inline(&f.rule_id),
                code(&f.resource.address),
                inline(reason)
            );
        }
        more(&mut out, suppressed.len(), MAX_ROWS);
        out.push_str("\n</details>\n\n");
    }

    if !report.errors.is_empty() {
        out.push_str("### Errors\n\n");
        for e in &report.errors {
            let _ = writeln!(out, "- `{}`: {}", code(&e.source), inline(&e.message));
        }
        out.push('\n');
    }
    if !report.warnings.is_empty() {
        out.push_str("### Warnings\n\n");
        for w in &report.warnings {
            let _ = writeln!(out, "- `{}`: {}", code(&w.source), inline(&w.message));
        }
        out.push('\n');
    }
    if !report.notes.is_empty() || !report.rules_skipped.is_empty() {
        out.push_str("### Notes\n\n");
        for n in &report.notes {
            let _ = writeln!(out, "- {}", inline(n));
        }
        if !report.rules_skipped.is_empty() {
            let _ = writeln!(
                out,
                "- {} not evaluated here (see the JSON report)",
                super::plural(report.rules_skipped.len(), "rule")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n<sub>{}</sub>",
        inline(&super::versions_line(report))
    );
    out
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Fail => "**fail**",
        Status::Unknown => "_unknown_",
        Status::Suppressed => "suppressed",
    }
}

fn table(
    out: &mut String,
    heading: &str,
    findings: &[&Finding],
    status: Status,
    rules: &[RuleMeta],
    version: &str,
) {
    let rows: Vec<&&Finding> = findings.iter().filter(|f| f.status == status).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "### {heading} ({})\n", rows.len());
    out.push_str("| severity | rule | resource | location | message |\n|---|---|---|---|---|\n");
    for f in rows.iter().take(MAX_ROWS) {
        let rule = match rule_meta(rules, &f.rule_id).and_then(|m| help_uri(m, version)) {
            Some(uri) => format!("[{}]({uri})", cell(&f.rule_id)),
            None => cell(&f.rule_id),
        };
        let loc = location_text(f.location.as_ref())
            .map_or_else(|| "-".to_string(), |l| format!("`{}`", code(&l)));
        let _ = writeln!(
            out,
            "| {} | {rule} | `{}` | {loc} | {} |",
            f.severity.as_str(),
            code(&f.resource.address),
            cell(&f.message)
        );
    }
    if rows.len() > MAX_ROWS {
        out.push('\n');
        more(out, rows.len(), MAX_ROWS);
    }
    out.push('\n');
}

/// The line that says a list was cut short.
fn more(out: &mut String, total: usize, shown: usize) {
    if total > shown {
        let _ = writeln!(out, "- … and {} more (see the full report)", total - shown);
    }
}

/// Text inside a code span in a table: only `|` and newlines need care.
fn code(s: &str) -> String {
    s.replace('|', "\\|")
        .replace(['\r', '\n'], " ")
        .replace('`', "'")
}

/// Finding text on one line: HTML-escaped outside its `code` spans (so
/// `<value redacted>` is shown, not swallowed as a tag), `|` escaped,
/// newlines as `<br>`.
fn cell(s: &str) -> String {
    inline(s).replace('|', "\\|")
}

fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, part) in s.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(&part.replace(['\r', '\n'], " "));
        } else {
            let escaped = part
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            out.push_str(
                &escaped
                    .replace("\r\n", "<br>")
                    .replace(['\n', '\r'], "<br>"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_html_pipes_and_newlines() {
        assert_eq!(cell("a <b> & c|d\ne"), "a &lt;b&gt; &amp; c\\|d<br>e");
        // Inside code spans, entities would show literally: left alone.
        assert_eq!(cell("x `<a|b>` y"), "x `<a\\|b>` y");
        assert_eq!(code("a|b\nc`d"), "a\\|b c'd");
    }
}
