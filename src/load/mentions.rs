//! What a Terraform directory's text declares, found without the source
//! reader: the labels of its `resource`, `data` and `module` blocks. Choosing
//! which root module a plan came from (`load::source_map`) reads only the
//! roots whose text could hold the most of the plan's resources, since
//! reading a root in full costs as much as the root is large.
//!
//! Every count here is an upper bound on what the source reader would match:
//! labels are found by their block keyword, not parsed, so a keyword inside
//! a string or comment adds a label, and a file the parser rejects still
//! counts. A label is never missed: the address a source resource gets is
//! built from exactly these labels.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::load::azurerm::address;
use crate::load::roots;

/// A declaration an address needs in the source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mention {
    /// A `resource` or `data` block: type and name.
    Block(String, String),
    /// A `module` call's name.
    Module(String),
}

/// The declaration a source must have for a plan address to be found in it:
/// an address inside a module needs that module's call in the root (every
/// look-up of `SourceMap::origin` starts with the outermost call), one at
/// the root needs its block. `None` when the address has no such shape.
pub fn needed(addr: &str) -> Option<Mention> {
    let segs = address::split(addr);
    let names: Vec<&str> = segs.iter().map(|s| s.name).collect();
    match names.as_slice() {
        ["module", call, ..] if segs[0].key.is_none() => Some(Mention::Module(call.to_string())),
        ["data", ty, name, ..] | [ty, name, ..] => {
            Some(Mention::Block(ty.to_string(), name.to_string()))
        }
        _ => None,
    }
}

/// The plan's addresses by the declaration each needs.
#[derive(Debug, Default)]
pub struct Wanted {
    by_mention: HashMap<Mention, usize>,
    /// Addresses with no shape [`needed`] knows: any root may hold them.
    anywhere: usize,
}

impl Wanted {
    pub fn new(addresses: &[&str]) -> Wanted {
        let mut w = Wanted::default();
        for a in addresses {
            match needed(a) {
                Some(m) => *w.by_mention.entry(m).or_default() += 1,
                None => w.anywhere += 1,
            }
        }
        w
    }
}

/// The declarations of directories, each read once however many roots use it.
#[derive(Debug, Default)]
pub struct Dirs {
    by_dir: HashMap<PathBuf, HashSet<Mention>>,
}

impl Dirs {
    /// At most how many of the plan's addresses the source reader can find
    /// in `root`: counted over the declarations of every directory the root
    /// uses (itself and the modules it calls, as `roots::used_by` finds them).
    pub fn bound(&mut self, root: &Path, wanted: &Wanted) -> usize {
        let used: BTreeSet<PathBuf> = roots::used_by(root);
        if used.is_empty() {
            return usize::MAX; // not even found: let the source reader say why
        }
        let mut seen: HashSet<&Mention> = HashSet::new();
        for d in &used {
            if !self.by_dir.contains_key(d) {
                self.by_dir.insert(d.clone(), of_dir(d));
            }
        }
        for d in &used {
            seen.extend(&self.by_dir[d]);
        }
        let found: usize = seen.iter().filter_map(|m| wanted.by_mention.get(*m)).sum();
        wanted.anywhere + found
    }
}

/// The declarations of one directory's `.tf` and `.tf.json` files.
fn of_dir(dir: &Path) -> HashSet<Mention> {
    let mut out = HashSet::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !roots::is_config_file(&name) {
            continue;
        }
        // The source reader cannot read what this cannot: nothing is lost.
        let Ok(text) = crate::input::read_text(&e.path()) else {
            continue;
        };
        if name.ends_with(".json") {
            json_mentions(&text, &mut out);
        } else {
            hcl_mentions(&text, &mut out);
        }
    }
    out
}

/// Block labels in HCL text, found after each `resource`, `data` and
/// `module` keyword.
fn hcl_mentions(text: &str, out: &mut HashSet<Mention>) {
    for kw in ["resource", "data", "module"] {
        for (at, _) in text.match_indices(kw) {
            if at > 0 && is_label_byte(text.as_bytes()[at - 1]) {
                continue; // part of a longer word
            }
            let rest = &text[at + kw.len()..];
            if rest.bytes().next().is_some_and(is_label_byte) {
                continue;
            }
            let Some((first, rest)) = label(rest) else {
                continue;
            };
            if kw == "module" {
                out.insert(Mention::Module(first.into_owned()));
            } else if let Some((second, _)) = label(rest) {
                out.insert(Mention::Block(first.into_owned(), second.into_owned()));
            }
        }
    }
}

/// One block label after spaces and `/* */` comments (what HCL allows
/// between a block's labels): a quoted string's raw content or an
/// identifier, and the text after it.
fn label(text: &str) -> Option<(Cow<'_, str>, &str)> {
    let mut rest = text.trim_start_matches([' ', '\t']);
    while let Some(c) = rest.strip_prefix("/*") {
        rest = c.split_once("*/")?.1.trim_start_matches([' ', '\t']);
    }
    if let Some(q) = rest.strip_prefix('"') {
        let b = q.as_bytes();
        let mut i = 0;
        while i < b.len() && b[i] != b'"' {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        let end = i.min(b.len());
        return Some((unescape(&q[..end]), q.get(end + 1..).unwrap_or("")));
    }
    let end = rest
        .bytes()
        .position(|c| !is_label_byte(c))
        .unwrap_or(rest.len());
    (end > 0).then(|| (Cow::Borrowed(&rest[..end]), &rest[end..]))
}

/// A quoted label's text. HCL's escapes are JSON's but for `\U…`, which
/// leaves the label as written (no resource name has one).
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    serde_json::from_str::<String>(&format!("\"{raw}\"")).map_or(Cow::Borrowed(raw), Cow::Owned)
}

/// A byte of an HCL identifier (non-ASCII bytes too: they are letters).
fn is_label_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80
}

/// Block labels in Terraform's JSON syntax, as the source reader takes them:
/// `{"resource": {"type": {"name": …}}}`, `{"module": {"name": …}}`.
fn json_mentions(text: &str, out: &mut HashSet<Mention>) {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return; // the source reader refuses the file too
    };
    let Some(top) = v.as_object() else { return };
    for (kind, content) in top {
        let Some(content) = content.as_object() else {
            continue;
        };
        match kind.as_str() {
            "resource" | "data" => {
                for (ty, names) in content {
                    for name in names.as_object().into_iter().flat_map(|n| n.keys()) {
                        out.insert(Mention::Block(ty.clone(), name.clone()));
                    }
                }
            }
            "module" => out.extend(content.keys().map(|n| Mention::Module(n.clone()))),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mentions(text: &str) -> HashSet<Mention> {
        let mut out = HashSet::new();
        hcl_mentions(text, &mut out);
        out
    }

    #[test]
    fn hcl_labels_quoted_bare_and_after_comments() {
        let got = mentions(
            "resource \"azurerm_x\" \"a\" {\n  data = 1\n}\ndata azurerm_y b {}\n\
             module /* why */ \"m\" {}\nresource\"t\"\"q\\u0078\"{}\nresources \"no\" \"pe\" {}\n",
        );
        let block = |t: &str, n: &str| Mention::Block(t.into(), n.into());
        let want = HashSet::from([
            block("azurerm_x", "a"),
            block("azurerm_y", "b"),
            Mention::Module("m".into()),
            block("t", "qx"),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn json_labels() {
        let mut out = HashSet::new();
        json_mentions(
            r#"{"resource": {"azurerm_x": {"a": {}}}, "data": {"t": {"d": {}}}, "module": {"m": {"source": "./m"}}}"#,
            &mut out,
        );
        assert!(out.contains(&Mention::Block("azurerm_x".into(), "a".into())));
        assert!(out.contains(&Mention::Block("t".into(), "d".into())));
        assert!(out.contains(&Mention::Module("m".into())));
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn what_an_address_needs() {
        let block = |t: &str, n: &str| Some(Mention::Block(t.into(), n.into()));
        assert_eq!(needed("azurerm_x.a[\"k\"]"), block("azurerm_x", "a"));
        assert_eq!(needed("data.azurerm_x.a"), block("azurerm_x", "a"));
        assert_eq!(
            needed("azurerm_web.a[0].auth_settings_v2"),
            block("azurerm_web", "a")
        );
        assert_eq!(
            needed("module.m[\"a.b\"].module.n.azurerm_x.a"),
            Some(Mention::Module("m".into()))
        );
        assert_eq!(needed("odd"), None);
    }
}
