//! The case study's hardening checklist: one table (`mcpguard::docs::CHECKLIST`)
//! that `rules list --checklist` prints and the README carries, and the
//! README's rule table. Regenerate the README's checklist with
//! `MCPGUARD_BLESS=1 cargo test --test checklist`.

use std::path::PathBuf;

const BEGIN: &str = "<!-- checklist:begin -->\n";
const END: &str = "<!-- checklist:end -->";

fn readme_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")
}

#[test]
fn readme_checklist_is_the_generated_table() {
    let text = std::fs::read_to_string(readme_path()).unwrap();
    let start = text.find(BEGIN).expect("README has the checklist markers") + BEGIN.len();
    let end = start
        + text[start..]
            .find(END)
            .expect("README closes the checklist");
    let want = mcpguard::docs::checklist_table();
    if std::env::var_os("MCPGUARD_BLESS").is_some() {
        let new = format!("{}{want}{}", &text[..start], &text[end..]);
        std::fs::write(readme_path(), new).unwrap();
        return;
    }
    assert_eq!(
        &text[start..end],
        want,
        "the README's checklist differs from `rules list --checklist` (run MCPGUARD_BLESS=1 cargo test --test checklist)"
    );
}

#[test]
fn the_checklist_has_every_item_of_the_case_study() {
    let items = mcpguard::docs::CHECKLIST;
    assert_eq!(items.len(), 16);
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/seed/mcp-server-hardening-case-study.txt");
    let Ok(study) = std::fs::read_to_string(&seed) else {
        eprintln!("skipped: {} is absent", seed.display());
        return;
    };
    let listed: Vec<&str> = study
        .lines()
        .filter_map(|l| l.strip_prefix("- [ ] "))
        .map(str::trim)
        .collect();
    let ours: Vec<&str> = items.iter().map(|i| i.item).collect();
    assert_eq!(
        ours, listed,
        "one row per checklist item, in the case study's order"
    );
}

/// The rules a row names exist.
#[test]
fn every_rule_the_checklist_names_exists() {
    let rules = mcpguard::policy::builtin_rules().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r.meta.id.as_str()).collect();
    for item in mcpguard::docs::CHECKLIST {
        for r in item.rules {
            assert!(ids.contains(r), "{}: no rule {r}", item.item);
        }
        assert!(
            !item.rules.is_empty() || item.how.starts_with("Outside configuration"),
            "{}: a row without rules says why",
            item.item
        );
    }
}

#[test]
fn readme_rule_table_lists_every_rule() {
    let text = std::fs::read_to_string(readme_path()).unwrap();
    for r in mcpguard::policy::builtin_rules().unwrap() {
        let row = format!(
            "| {} | {} | {} |",
            r.meta.id,
            r.meta.severity.as_str(),
            r.meta.title
        );
        assert!(text.contains(&row), "README lacks the row {row}");
    }
}
