//! Rule documentation: the page `rules show ID` prints and `docs/rules/<ID>.md`
//! checks in (a test fails when they drift). The body comes from the rule's
//! metadata (`report::rules::page`); this adds what only the parsed rule knows:
//! its parameters and the fields and aliases it reads.

use crate::policy::Rule;
use crate::report::rules::page;

/// One rule's page.
pub fn rule_page(rule: &Rule) -> String {
    let mut s = page(&rule.meta, env!("CARGO_PKG_VERSION"));
    if !rule.parameters.is_empty() {
        s.push_str(
            "\n## Parameters\n\n| name | type | default | description |\n|---|---|---|---|\n",
        );
        for (name, p) in &rule.parameters {
            let default = p
                .default
                .as_ref()
                .map(|d| format!("`{d}`"))
                .unwrap_or_else(|| "(unset)".to_string());
            s.push_str(&format!(
                "| `{name}` | {} | {default} | {} |\n",
                p.kind,
                p.description.as_deref().unwrap_or("").replace('|', "\\|")
            ));
        }
        s.push_str(&format!(
            "\nSet them in `.mcpguard.hcl`: `rule \"{}\" {{ {} = ... }}`.\n",
            rule.meta.id,
            rule.parameters
                .keys()
                .next()
                .map(String::as_str)
                .unwrap_or("name")
        ));
    }
    let aliases = rule.aliases();
    if !aliases.is_empty() {
        s.push_str("\n## Fields and aliases read\n\n");
        for a in aliases {
            s.push_str(&format!("- `{a}`\n"));
        }
    }
    s
}
