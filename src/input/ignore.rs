//! Inline suppressions: `# mcpguard:ignore MCP002,MCP004 reason="…" expires=2027-01-31`
//! (or `//`) on the line above a resource block or an attribute inside it
//! (Terraform), or above a resource declaration (Bicep). Each source reader
//! ties the comments this finds to its resources.

/// A parsed ignore comment, before it is tied to a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// 1-based line of the comment.
    pub line: u32,
    /// 1-based line of the code it precedes (the next line that is not blank
    /// or a comment).
    pub target: u32,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    pub expires: Option<String>,
}

const MARK: &str = "mcpguard:ignore";

/// Finds the ignore comments of a file. Malformed ones are returned as
/// `(line, message)` problems.
pub fn scan(text: &str) -> (Vec<Directive>, Vec<(u32, String)>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let body = if let Some(r) = t.strip_prefix('#') {
            r
        } else if let Some(r) = t.strip_prefix("//") {
            r
        } else {
            continue;
        };
        let Some(rest) = body.trim_start().strip_prefix(MARK) else {
            continue;
        };
        let line = i as u32 + 1;
        let target = lines
            .iter()
            .enumerate()
            .skip(i + 1)
            .find(|(_, l)| {
                let t = l.trim_start();
                !(t.is_empty() || t.starts_with('#') || t.starts_with("//"))
            })
            .map(|(j, _)| j as u32 + 1);
        let Some(target) = target else {
            problems.push((line, "the ignore comment precedes no code".to_string()));
            continue;
        };
        match parse(rest) {
            Ok((rules, reason, expires)) => out.push(Directive {
                line,
                target,
                rules,
                reason,
                expires,
            }),
            Err(m) => problems.push((line, m)),
        }
    }
    (out, problems)
}

type Parsed = (Vec<String>, Option<String>, Option<String>);

/// `MCP002, MCP004 reason="…" expires=2027-01-31` → rule ids, reason, expiry.
fn parse(rest: &str) -> Result<Parsed, String> {
    if !rest.is_empty() && !rest.starts_with([' ', '\t', ':']) {
        return Err(format!(
            "unrecognised directive `{MARK}{}`",
            rest.split_whitespace().next().unwrap_or("")
        ));
    }
    let rest = rest.trim_start_matches(':').trim();
    // Rule ids run up to the first `key=`.
    let ids_end = rest.find('=').map_or(rest.len(), |eq| {
        rest[..eq].rfind(char::is_whitespace).map_or(0, |sp| sp)
    });
    let rules: Vec<String> = rest[..ids_end]
        .split([',', ' ', '\t'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if rules.is_empty() {
        return Err(
            "the ignore comment names no rule id (e.g. `# mcpguard:ignore MCP002 reason=\"…\"`)"
                .into(),
        );
    }
    let mut reason = None;
    let mut expires = None;
    let mut s = rest[ids_end..].trim_start();
    while !s.is_empty() {
        let eq = s
            .find('=')
            .ok_or_else(|| format!("expected `key=value`, found `{s}`"))?;
        let key = s[..eq].trim();
        let after = &s[eq + 1..];
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q
                .find('"')
                .ok_or_else(|| format!("unterminated quote in `{key}=`"))?;
            (q[..end].to_string(), &q[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        match key {
            "reason" => reason = Some(value).filter(|v| !v.trim().is_empty()),
            "expires" => expires = Some(value),
            other => {
                return Err(format!(
                    "unknown key `{other}` (expected `reason` or `expires`)"
                ))
            }
        }
        s = next.trim_start();
    }
    Ok((rules, reason, expires))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ids_reason_and_expiry() {
        let text = "\n  # mcpguard:ignore MCP002,MCP004 reason=\"migrating in Q1\" expires=2027-01-31\n\n  // another comment\n  subnet_ids = []\n";
        let (d, p) = scan(text);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(
            d,
            vec![Directive {
                line: 2,
                target: 5,
                rules: vec!["MCP002".into(), "MCP004".into()],
                reason: Some("migrating in Q1".into()),
                expires: Some("2027-01-31".into()),
            }]
        );
    }

    #[test]
    fn several_forms() {
        let (d, _) = scan("// mcpguard:ignore MCP001, MCP003\nx = 1\n");
        assert_eq!(d[0].rules, vec!["MCP001", "MCP003"]);
        assert_eq!(d[0].reason, None);
        let (d, _) = scan("#mcpguard:ignore MCP001 reason=short\nx = 1\n");
        assert_eq!(d[0].reason.as_deref(), Some("short"));
    }

    #[test]
    fn malformed_ones_are_problems() {
        let (d, p) = scan("# mcpguard:ignore reason=\"x\"\nx = 1\n# mcpguard:ignore MCP1 colour=red\ny = 2\n# mcpguard:ignore MCP1\n");
        assert!(d.is_empty());
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].1.contains("names no rule"));
        assert!(p[1].1.contains("unknown key `colour`"));
        assert!(p[2].1.contains("precedes no code"));
    }
}
