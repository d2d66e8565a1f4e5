//! Terraform addresses and references, split the way Terraform prints them:
//! `module.mcp["github"].azurerm_container_group.this[0]`.
//!
//! Keys are kept raw (`"github"` with its quotes, `0`), so an address rebuilt
//! from its segments is byte-identical to the one Terraform printed.

/// One dot-separated step of an address: a name and an optional raw instance key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seg<'a> {
    pub name: &'a str,
    pub key: Option<&'a str>,
}

/// Splits on `.` outside brackets and quoted strings.
pub fn split(addr: &str) -> Vec<Seg<'_>> {
    let b = addr.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut depth, mut quoted, mut i) = (0usize, 0usize, false, 0usize);
    while i < b.len() {
        match b[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'[' if !quoted => depth += 1,
            b']' if !quoted => depth = depth.saturating_sub(1),
            b'.' if !quoted && depth == 0 => {
                out.push(seg(&addr[start..i]));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(seg(&addr[start.min(addr.len())..]));
    out
}

fn seg(s: &str) -> Seg<'_> {
    // The first `[` outside quotes starts the key; names never contain quotes.
    match s.find('[') {
        Some(open) if s.ends_with(']') && open + 1 < s.len() => Seg {
            name: &s[..open],
            key: Some(&s[open + 1..s.len() - 1]),
        },
        _ => Seg { name: s, key: None },
    }
}

/// Rebuilds an address from segments.
pub fn join(segs: &[Seg<'_>]) -> String {
    let mut s = String::new();
    for (n, g) in segs.iter().enumerate() {
        if n > 0 {
            s.push('.');
        }
        s.push_str(g.name);
        if let Some(k) = g.key {
            s.push('[');
            s.push_str(k);
            s.push(']');
        }
    }
    s
}

/// Number of leading segments that form the module path (`module.a[0].module.b` = 4).
fn module_len(segs: &[Seg<'_>]) -> usize {
    let mut n = 0;
    while n + 1 < segs.len() && segs[n].name == "module" && segs[n].key.is_none() {
        n += 2;
    }
    n
}

/// The module instance part of a resource address (`module.mcp["github"]`), `""` at the root.
pub fn module_prefix(addr: &str) -> String {
    let segs = split(addr);
    join(&segs[..module_len(&segs)])
}

/// The module names of an address's module path, keys dropped (`["mcp"]`).
pub fn module_path(addr: &str) -> Vec<String> {
    let segs = split(addr);
    segs[..module_len(&segs)]
        .chunks(2)
        .filter_map(|c| c.get(1).map(|s| s.name.to_string()))
        .collect()
}

/// The address with every instance key dropped: the configuration block it comes from.
pub fn config_address(addr: &str) -> String {
    if !addr.contains('[') {
        return addr.to_string();
    }
    let segs: Vec<Seg<'_>> = split(addr)
        .into_iter()
        .map(|s| Seg {
            name: s.name,
            key: None,
        })
        .collect();
    join(&segs)
}

/// The instance keys of an address, in order (`module.a["x"].t.n[0]` → `["\"x\"", "0"]`).
pub fn keys(addr: &str) -> Vec<String> {
    split(addr)
        .iter()
        .filter_map(|s| s.key.map(str::to_string))
        .collect()
}

/// Prefixes a module-relative address with a module instance path.
pub fn absolute(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_string()
    } else {
        format!("{prefix}.{rel}")
    }
}

/// Drops instance keys that are expressions (`[count.index]`, `[each.key]`):
/// the translation then picks the instance matching the referring resource.
fn literal_keys<'a>(segs: &[Seg<'a>]) -> Vec<Seg<'a>> {
    segs.iter()
        .map(|s| Seg {
            name: s.name,
            key: s.key.filter(|k| {
                k.starts_with('"') || (!k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
            }),
        })
        .collect()
}

/// What a configuration `references` entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// A resource or data source, module-relative (`azurerm_subnet.x`, `data.a.b[0]`).
    Resource(String),
    /// `var.<name>`
    Var(String),
    /// `module.<call>[key].<output>`; `output` is `None` when the whole module is referenced.
    Module {
        call: String,
        key: Option<String>,
        output: Option<String>,
    },
    /// `local.*`, `each.*`, `count.*`, `path.*`, `terraform.*`, `self.*`.
    Other,
}

/// Classifies a reference string as Terraform writes it in `references`.
pub fn parse_ref(r: &str) -> Ref {
    let segs = split(r);
    let first = segs[0];
    let name = |n: usize| segs.get(n).map(|s| s.name.to_string());
    match first.name {
        "var" => name(1).map(Ref::Var).unwrap_or(Ref::Other),
        "local" | "each" | "count" | "path" | "terraform" | "self" => Ref::Other,
        "module" => match segs.get(1) {
            Some(call) => Ref::Module {
                call: call.name.to_string(),
                key: call.key.map(str::to_string),
                output: name(2),
            },
            None => Ref::Other,
        },
        "data" if segs.len() >= 3 => Ref::Resource(join(&literal_keys(&segs[..3]))),
        _ if segs.len() >= 2 && first.key.is_none() && !first.name.is_empty() => {
            Ref::Resource(join(&literal_keys(&segs[..2])))
        }
        _ => Ref::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_with_quoted_keys() {
        let a = r#"module.mcp["git.hub"].module.x[0].azurerm_container_group.this["a]b"]"#;
        let s = split(a);
        assert_eq!(s.len(), 6);
        assert_eq!(s[1].key, Some(r#""git.hub""#));
        assert_eq!(join(&s), a);
        assert_eq!(module_prefix(a), r#"module.mcp["git.hub"].module.x[0]"#);
        assert_eq!(module_path(a), vec!["mcp", "x"]);
        assert_eq!(
            config_address(a),
            "module.mcp.module.x.azurerm_container_group.this"
        );
        assert_eq!(keys(a), vec![r#""git.hub""#, "0", r#""a]b""#]);
        assert_eq!(module_prefix("azurerm_subnet.a"), "");
    }

    #[test]
    fn classifies_references() {
        assert_eq!(
            parse_ref("azurerm_subnet.x.id"),
            Ref::Resource("azurerm_subnet.x".into())
        );
        assert_eq!(
            parse_ref("azurerm_subnet.x[0].id"),
            Ref::Resource("azurerm_subnet.x[0]".into())
        );
        assert_eq!(
            parse_ref("data.azurerm_client_config.c.tenant_id"),
            Ref::Resource("data.azurerm_client_config.c".into())
        );
        assert_eq!(parse_ref("var.subnet_id"), Ref::Var("subnet_id".into()));
        assert_eq!(
            parse_ref(r#"module.net["a"].subnet_id"#),
            Ref::Module {
                call: "net".into(),
                key: Some(r#""a""#.into()),
                output: Some("subnet_id".into())
            }
        );
        assert_eq!(
            parse_ref("azurerm_subnet.x[count.index].id"),
            Ref::Resource("azurerm_subnet.x".into())
        );
        assert_eq!(parse_ref("each.value"), Ref::Other);
        assert_eq!(parse_ref("local.x"), Ref::Other);
    }
}
