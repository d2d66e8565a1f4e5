//! `docs/rules/<ID>.md` are generated from the rules' own metadata and checked
//! in; this test fails when they drift. Regenerate with
//! `MCPGUARD_BLESS=1 cargo test --test rule_docs`.

use std::path::PathBuf;

#[test]
fn rule_pages_match_the_rules() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let bless = std::env::var_os("MCPGUARD_BLESS").is_some();
    let rules = mcpguard::policy::builtin_rules().expect("built-in rules");
    assert!(!rules.is_empty());
    let mut stale = Vec::new();
    for rule in &rules {
        let page = mcpguard::docs::rule_page(rule);
        let path = dir.join(format!("{}.md", rule.meta.id));
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &page).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(page.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "rule pages out of date (run MCPGUARD_BLESS=1 cargo test --test rule_docs): {stale:?}"
    );
}

#[test]
fn rule_ids_are_unique_and_titles_name_the_risk() {
    let rules = mcpguard::policy::builtin_rules().expect("built-in rules");
    let mut ids: Vec<&str> = rules.iter().map(|r| r.meta.id.as_str()).collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule id");
    for r in &rules {
        let t = &r.meta.title;
        assert!(
            !t.starts_with("Disallow") && !t.starts_with("Ensure"),
            "{}: title names the fix: {t}",
            r.meta.id
        );
        for section in [
            "## What it checks",
            "## Why it matters",
            "## Example",
            "## Remediation",
            "## Known gaps",
            "## References",
        ] {
            assert!(
                r.meta.description.contains(section),
                "{} lacks {section}",
                r.meta.id
            );
        }
        let m = r.meta.message.as_deref().unwrap_or("");
        assert!(
            !m.ends_with('.'),
            "{}: message ends with a period",
            r.meta.id
        );
    }
}
