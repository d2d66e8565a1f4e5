//! Rule documentation from one source, the rule's metadata: the
//! `rules list` table, and the Markdown page that `rules show ID` prints and
//! `docs/rules/<ID>.md` checks in (a test regenerates the pages and diffs them).

use comfy_table::presets::UTF8_FULL;
use comfy_table::{ContentArrangement, Table};

use super::{help_uri, is_builtin_id, RenderOptions};
use crate::findings::RuleMeta;
use crate::input::InputKind;

/// `rules list`: id, severity, title and the inputs each rule applies to,
/// most severe first, then by id.
pub fn list(rules: &[RuleMeta], opts: &RenderOptions) -> String {
    let mut sorted: Vec<&RuleMeta> = rules.iter().collect();
    sorted.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(160)
        .set_header(vec!["id", "severity", "title", "inputs"]);
    if opts.color {
        table.enforce_styling();
    }
    for r in sorted {
        table.add_row(vec![
            r.id.clone(),
            r.severity.as_str().to_string(),
            r.title.clone(),
            inputs(&r.applies_to, ", "),
        ]);
    }
    format!("{table}\n{}\n", super::plural(rules.len(), "rule"))
}

fn inputs(kinds: &[InputKind], sep: &str) -> String {
    if kinds.is_empty() {
        return "all".to_string();
    }
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(sep)
}

/// The Markdown page of one rule. The description already carries the fixed
/// sections (What it checks / Why it matters / Example / Remediation / Known
/// gaps / References); remediation and references are added only when the
/// description lacks them.
pub fn page(meta: &RuleMeta, version: &str) -> String {
    let mut out = String::new();
    if is_builtin_id(&meta.id) {
        out.push_str(&format!(
            "<!-- Generated from rules/{}.json: edit the rule, then regenerate this page. -->\n\n",
            meta.id
        ));
    }
    out.push_str(&format!("# {}: {}\n\n", meta.id, meta.title));
    out.push_str(&format!("- Severity: **{}**\n", meta.severity.as_str()));
    out.push_str(&format!("- Inputs: {}\n", inputs(&meta.applies_to, ", ")));
    if !meta.tags.is_empty() {
        out.push_str(&format!("- Tags: {}\n", meta.tags.join(", ")));
    }
    // A built-in rule's own page is the docs link; only custom links are shown.
    if let Some(uri) = help_uri(meta, version).filter(|_| !is_builtin_id(&meta.id)) {
        out.push_str(&format!("- Documentation: <{uri}>\n"));
    }
    out.push('\n');
    let description = meta.description.trim();
    if !description.is_empty() {
        out.push_str(description);
        out.push_str("\n\n");
    }
    if !has_section(description, "Remediation") && !meta.remediation.trim().is_empty() {
        out.push_str("## Remediation\n\n");
        out.push_str(meta.remediation.trim());
        out.push_str("\n\n");
    }
    if !has_section(description, "References") && !meta.references.is_empty() {
        out.push_str("## References\n\n");
        for r in &meta.references {
            out.push_str(&format!("- <{r}>\n"));
        }
        out.push('\n');
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

fn has_section(markdown: &str, name: &str) -> bool {
    markdown
        .lines()
        .any(|l| l.trim_start_matches('#').trim().eq_ignore_ascii_case(name) && l.starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;

    fn meta(id: &str, description: &str) -> RuleMeta {
        RuleMeta {
            id: id.into(),
            severity: Severity::High,
            title: "MCP subnet open to Internet egress".into(),
            description: description.into(),
            remediation: "Add a deny rule.".into(),
            message: None,
            references: vec!["https://learn.microsoft.com/x".into()],
            applies_to: vec![InputKind::Plan, InputKind::Terraform],
            help_uri: None,
            tags: vec![],
        }
    }

    #[test]
    fn page_adds_only_missing_sections() {
        let p = page(
            &meta(
                "MCP004",
                "## What it checks\n\nEgress.\n\n## Remediation\n\nDeny it.",
            ),
            "1.0.0",
        );
        assert!(p.starts_with("<!-- Generated from rules/MCP004.json"));
        assert!(p.contains("# MCP004: MCP subnet open to Internet egress\n"));
        assert!(p.contains("- Inputs: plan, terraform\n"));
        assert_eq!(p.matches("## Remediation").count(), 1);
        assert!(p.contains("## References\n\n- <https://learn.microsoft.com/x>\n"));
        assert!(p.ends_with(">\n"));
        let custom = page(&meta("no-public-ip", "Text."), "1.0.0");
        assert!(!custom.contains("Generated from"));
        assert!(custom.contains("## Remediation\n\nAdd a deny rule.\n"));
    }

    #[test]
    fn list_sorts_by_severity_then_id() {
        let mut low = meta("MCP003", "");
        low.severity = Severity::Medium;
        low.applies_to = vec![];
        let out = list(
            &[low, meta("MCP004", ""), meta("MCP001", "")],
            &RenderOptions::default(),
        );
        let (a, b, c) = (out.find("MCP001"), out.find("MCP004"), out.find("MCP003"));
        assert!(a < b && b < c, "{out}");
        assert!(out.contains("all"));
        assert!(out.ends_with("3 rules\n"));
    }
}
