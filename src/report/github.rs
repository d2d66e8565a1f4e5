//! `--format github`: GitHub Actions workflow commands, one line per finding,
//! which the runner turns into annotations on the pull request's diff:
//!
//! ```text
//! ::error file=modules/mcp/main.tf,line=12,title=MCP004::module.mcp["github"].azurerm_container_group.this: NSG `nsg-mcp` lets …
//! ```
//!
//! Failures are `error` (critical, high), `warning` (medium) or `notice`
//! (low, info); `unknown` findings are `notice`s; suppressed findings are not
//! annotated. Input errors and warnings are annotated too. A plain summary
//! line and the versions line (report schema, rule pack) end the output.
//!
//! Escaping follows the runner (`toolkit/packages/core/src/command.ts`): in
//! the message `%`, `\r` and `\n` become `%25`, `%0D` and `%0A`; in property
//! values `:` and `,` become `%3A` and `%2C` as well.

use super::{location_text, summary_line, versions_line};
use crate::findings::{Report, Severity, Status};

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match (f.status, f.severity) {
            (Status::Suppressed, _) => continue,
            (Status::Unknown, _) => "notice",
            (Status::Fail, Severity::Critical | Severity::High) => "error",
            (Status::Fail, Severity::Medium) => "warning",
            (Status::Fail, Severity::Low | Severity::Info) => "notice",
        };
        let mut props = Vec::new();
        if let Some(loc) = &f.location {
            props.push(format!("file={}", escape_property(&loc.file)));
            if let Some(line) = loc.line {
                props.push(format!("line={line}"));
            }
        }
        props.push(format!("title={}", escape_property(&f.rule_id)));
        let mut message = format!("{}: {}", f.resource.address, f.message);
        if f.status == Status::Unknown {
            message.push_str(" (not known before apply)");
        }
        out.push_str(&command(level, &props, &message));
    }
    for e in &report.errors {
        let props = [format!("title={}", escape_property("mcpguard input error"))];
        out.push_str(&command(
            "error",
            &props,
            &format!("{}: {}", e.source, e.message),
        ));
    }
    for w in &report.warnings {
        out.push_str(&command(
            "warning",
            &["title=mcpguard".to_string()],
            &format!("{}: {}", w.source, w.message),
        ));
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out.push_str(&versions_line(report));
    out.push('\n');
    // Where suppressed findings went, so a reviewer can find them in the log.
    for f in report
        .findings
        .iter()
        .filter(|f| f.status == Status::Suppressed)
    {
        let loc = location_text(f.location.as_ref())
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let kind = f
            .suppression
            .as_ref()
            .map_or("suppression", |s| s.kind.as_str());
        out.push_str(&format!(
            "suppressed by {kind}: {} {}{}\n",
            f.rule_id,
            escape_data(&f.resource.address),
            escape_data(&loc)
        ));
    }
    out
}

fn command(level: &str, props: &[String], message: &str) -> String {
    format!("::{level} {}::{}\n", props.join(","), escape_data(message))
}

/// Escapes a command's message.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (`file`, `title`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(
            escape_data("100% of a\r\nb: c, d"),
            "100%25 of a%0D%0Ab: c, d"
        );
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        // `%` first, so an escape is never escaped twice.
        assert_eq!(escape_data("%0A"), "%250A");
    }
}
