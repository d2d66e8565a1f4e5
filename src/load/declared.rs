//! Inline ignores of sources whose resources are known by the line that
//! declares them rather than by an address: Bicep files (a `resource` or
//! `module` declaration) and ARM template JSON (a resource object; ARM reads
//! comments in templates). The comments are found by [`crate::input::ignore`],
//! as in Terraform source.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::input::InlineIgnore;
use crate::inventory::Resource;

/// The `// mcpguard:ignore MCP014 reason="…"` comments of the files the
/// resources are declared in, each tied to the declaration it precedes
/// (Bicep decorators such as `@description(…)` may stand between), so it
/// covers every finding located there. One that precedes no declaration is a
/// note, as in Terraform source.
pub fn inline_ignores(resources: &[Resource], notes: &mut Vec<String>) -> Vec<InlineIgnore> {
    let mut lines_by_file: BTreeMap<&str, HashSet<u32>> = BTreeMap::new();
    for r in resources {
        if let (Some(f), Some(l)) = (r.origin.file.as_deref(), r.origin.line) {
            lines_by_file.entry(f).or_default().insert(l);
        }
    }
    let mut out = Vec::new();
    for (file, declared) in lines_by_file {
        let Ok(text) = crate::input::read_text(Path::new(file)) else {
            continue;
        };
        if !text.contains("mcpguard:ignore") {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        let (directives, problems) = crate::input::ignore::scan(&text);
        notes.extend(
            problems
                .into_iter()
                .map(|(l, m)| format!("{file}:{l}: {m}")),
        );
        for d in directives {
            let target = past_decorators(&lines, d.target);
            if !declared.contains(&target) {
                notes.push(format!(
                    "{file}:{}: `mcpguard:ignore` is not above a resource declaration; it is not applied",
                    d.line
                ));
                continue;
            }
            out.push(InlineIgnore {
                file: file.to_string(),
                line: d.line,
                rules: d.rules,
                reason: d.reason,
                expires: d.expires,
                resource: String::new(),
                attribute: None,
                declaration_line: Some(target),
            });
        }
    }
    out
}

/// The first line at or after `line` (1-based) that is not a decorator,
/// blank or a comment: where a `resource` or `module` keyword stands.
fn past_decorators(lines: &[&str], line: u32) -> u32 {
    let start = line.saturating_sub(1) as usize;
    lines
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, l)| {
            let t = l.trim_start();
            !(t.is_empty() || t.starts_with('@') || t.starts_with("//"))
        })
        .map_or(line, |(i, _)| i as u32 + 1)
}
