//! Suppression: inline `# mcpguard:ignore` comments, config `ignore` blocks and
//! baselines turn failures into `suppressed` findings.

use crate::config::{parse_date, Config, DEFAULT_FILE};
use crate::findings::{Finding, Renames, Report, Status, Suppression, Warning};
use crate::input::InlineIgnore;

/// `*` matches any run of characters; everything else literally. Addresses are
/// full of `[`, `]` and `"`, which a shell-style glob would misread.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// The address with every instance key removed: `module.m["a"].x.y[0]` → `module.m.x.y`.
fn block_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut in_str = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => in_str = !in_str,
            '[' if !in_str => depth += 1,
            ']' if !in_str => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether an ignore naming `rules` covers rule `id`; a renamed rule's former
/// id still names it.
fn rule_named(rules: &[String], id: &str, renames: &Renames) -> bool {
    rules
        .iter()
        .any(|r| r == "*" || renames.resolve(r).eq_ignore_ascii_case(id))
}

fn expired(expires: Option<&str>, today: time::Date) -> bool {
    expires.and_then(parse_date).is_some_and(|d| d < today)
}

/// Applies inline and config ignores to the failures of a report. Expired
/// ignores do not suppress and say so; ignores without a reason suppress and
/// warn; ignores that match nothing warn. An inline ignore naming a renamed
/// rule by its former id works and warns (config ignores warn with the rules).
pub fn apply(
    report: &mut Report,
    inline: &[InlineIgnore],
    config: &Config,
    today: time::Date,
    renames: &Renames,
) {
    let cfg_name = config
        .path
        .clone()
        .unwrap_or_else(|| DEFAULT_FILE.to_string());
    let mut warnings: Vec<Warning> = inline
        .iter()
        .flat_map(|ig| {
            let at = format!("{}:{}", ig.file, ig.line);
            ig.rules
                .iter()
                .filter_map(|r| renames.warning(r, &at))
                .collect::<Vec<_>>()
        })
        .collect();

    let mut inline_used = vec![false; inline.len()];
    let mut config_used = vec![false; config.ignores.len()];
    for f in report.findings.iter_mut() {
        if f.status == Status::Suppressed {
            continue;
        }
        let blk = block_address(&f.resource.address);
        let file = f.location.as_ref().map(|l| l.file.as_str());
        let line = f.location.as_ref().and_then(|l| l.line);
        let hit = inline.iter().enumerate().find(|(_, ig)| {
            let target = match ig.declaration_line {
                Some(at) => line == Some(at) && file.is_some(),
                None => blk == ig.resource || blk.ends_with(&format!(".{}", ig.resource)),
            };
            rule_named(&ig.rules, &f.rule_id, renames)
                && target
                && file.is_none_or(|file| file == ig.file)
        });
        if let Some((n, ig)) = hit {
            inline_used[n] = true;
            let at = format!("{}:{}", ig.file, ig.line);
            suppress_or_warn(
                f,
                "inline",
                ig.reason.as_deref(),
                ig.expires.as_deref(),
                at,
                today,
                &mut warnings,
            );
            continue;
        }
        let hit = config.ignores.iter().enumerate().find(|(_, ig)| {
            rule_named(&ig.rules, &f.rule_id, renames)
                && ig.resource.as_deref().is_none_or(|g| {
                    glob_match(g, &f.resource.address)
                        || glob_match(g, &blk)
                        || glob_match(g, &f.resource.id)
                })
        });
        if let Some((n, ig)) = hit {
            config_used[n] = true;
            let at = format!("{cfg_name}:{}", ig.line);
            suppress_or_warn(
                f,
                "config",
                ig.reason.as_deref(),
                ig.expires.as_deref(),
                at,
                today,
                &mut warnings,
            );
        }
    }
    for (ig, used) in inline.iter().zip(&inline_used) {
        if !used {
            warnings.push(Warning {
                source: format!("{}:{}", ig.file, ig.line),
                message: format!("mcpguard:ignore {} matches no finding", ig.rules.join(",")),
            });
        }
    }
    for (ig, used) in config.ignores.iter().zip(&config_used) {
        if !used {
            warnings.push(Warning {
                source: format!("{cfg_name}:{}", ig.line),
                message: format!("ignore \"{}\" matches no finding", ig.rules.join(",")),
            });
        }
    }
    report.warnings.extend(warnings);
}

fn suppress_or_warn(
    f: &mut Finding,
    kind: &str,
    reason: Option<&str>,
    expires: Option<&str>,
    at: String,
    today: time::Date,
    warnings: &mut Vec<Warning>,
) {
    if expired(expires, today) {
        warnings.push(Warning {
            source: at,
            message: format!(
                "ignore of {} on `{}` expired on {}; the finding counts again",
                f.rule_id,
                f.resource.address,
                expires.unwrap_or_default()
            ),
        });
        return;
    }
    if reason.is_none() {
        warnings.push(Warning {
            source: at.clone(),
            message: format!(
                "ignore of {} on `{}` has no reason",
                f.rule_id, f.resource.address
            ),
        });
    }
    f.status = Status::Suppressed;
    f.suppression = Some(Suppression {
        kind: kind.to_string(),
        reason: reason.map(str::to_string),
        expires: expires.map(str::to_string),
        source: Some(at),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "azurerm_container_group.legacy*",
            "azurerm_container_group.legacy[\"a\"]"
        ));
        assert!(glob_match("*", "x"));
        assert!(glob_match(
            "module.*.azurerm_subnet.*",
            "module.net.azurerm_subnet.mcp"
        ));
        assert!(!glob_match("azurerm_subnet.a", "azurerm_subnet.ab"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(glob_match("a*b*c", "aXbYc"));
    }

    #[test]
    fn block_addresses() {
        assert_eq!(block_address("module.m[\"a[1]\"].x.y[0]"), "module.m.x.y");
        assert_eq!(block_address("x.y"), "x.y");
    }
}
