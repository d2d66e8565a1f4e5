//! Rule documentation, generated from each rule's own metadata: `rules list`,
//! `rules show ID`, and the checked-in `docs/rules/<ID>.md` pages (a test fails
//! when those drift from the rules).

use comfy_table::{presets::UTF8_FULL, ContentArrangement, Table};

use crate::engine::ActiveRule;
use crate::policy::Rule;

/// `mcpguard rules list`: id, severity, title, inputs, unset parameters.
pub fn rules_table(rules: &[ActiveRule]) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL)
        .force_no_tty()
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "id",
            "severity",
            "title",
            "inputs",
            "unset parameters",
        ]);
    for ar in rules {
        let m = &ar.rule.meta;
        let inputs = if m.applies_to.is_empty() {
            "plan, terraform, arm".to_string()
        } else {
            m.applies_to
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let unset: Vec<&str> = ar
            .rule
            .parameters
            .keys()
            .filter(|k| {
                ar.params
                    .0
                    .get(*k)
                    .is_none_or(|v| v.is_null() || v.as_array().is_some_and(|a| a.is_empty()))
            })
            .map(String::as_str)
            .collect();
        t.add_row(vec![
            m.id.clone(),
            m.severity.as_str().to_string(),
            m.title.clone(),
            inputs,
            unset.join(", "),
        ]);
    }
    format!("{t}\n")
}

/// One rule's page: title, severity, parameters, aliases, then the rule's own
/// description (What it checks / Why it matters / Example / Remediation /
/// Known gaps / References).
pub fn rule_page(rule: &Rule) -> String {
    let m = &rule.meta;
    let mut s = format!("# {}: {}\n\n", m.id, m.title);
    s.push_str(&format!("Severity: **{}**", m.severity.as_str()));
    if !m.applies_to.is_empty() {
        let k: Vec<&str> = m.applies_to.iter().map(|k| k.as_str()).collect();
        s.push_str(&format!(" · Inputs: {}", k.join(", ")));
    }
    s.push_str("\n\n");
    if !rule.parameters.is_empty() {
        s.push_str("## Parameters\n\n| name | type | default | description |\n|---|---|---|---|\n");
        for (name, p) in &rule.parameters {
            let default = p
                .default
                .as_ref()
                .map(|d| format!("`{d}`"))
                .unwrap_or_else(|| "(unset)".to_string());
            s.push_str(&format!(
                "| `{name}` | {} | {default} | {} |\n",
                p.kind,
                p.description.as_deref().unwrap_or("")
            ));
        }
        s.push_str(&format!(
            "\nSet them in `.mcpguard.hcl`: `rule \"{}\" {{ {} = ... }}`.\n\n",
            m.id,
            rule.parameters
                .keys()
                .next()
                .map(String::as_str)
                .unwrap_or("name")
        ));
    }
    let aliases = rule.aliases();
    if !aliases.is_empty() {
        s.push_str("## Fields read\n\n");
        for a in aliases {
            s.push_str(&format!("- `{a}`\n"));
        }
        s.push('\n');
    }
    s.push_str(m.description.trim_end());
    s.push('\n');
    s
}
