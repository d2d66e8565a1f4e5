//! Which deployment templates a directory scan reads: every `.json` whose
//! `$schema` names a deployment template, except
//! - the compiled output of a Bicep file beside it (`main.json` beside
//!   `main.bicep`): the Bicep file is compiled and scanned, and the JSON may
//!   be stale;
//! - a template another one links by `relativePath`: it is read through the
//!   link, with the parameters the link gives.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use crate::load::roots::files_under;

/// The templates to scan under `dir`, sorted.
pub fn entry_files(dir: &Path) -> Vec<PathBuf> {
    let templates: Vec<PathBuf> = files_under(dir, |p| p.extension().is_some_and(|e| e == "json"))
        .into_iter()
        .filter(|f| head(f).is_some_and(|h| super::is_template(&h)))
        .filter(|f| !f.with_extension("bicep").is_file())
        .collect();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut linked: BTreeSet<PathBuf> = BTreeSet::new();
    for t in &templates {
        let Ok(text) = crate::input::read_text(t) else {
            continue;
        };
        let base = t.parent().unwrap_or(Path::new(""));
        linked.extend(relative_links(&text).map(|r| canon(&base.join(r))));
    }
    templates
        .into_iter()
        .filter(|t| !linked.contains(&canon(t)))
        .collect()
}

/// The files scanning the template `entry` reads (canonical): itself, the
/// `NAME.parameters.json` beside it, and the templates it links by
/// `relativePath`, transitively.
pub fn files_of(entry: &Path) -> BTreeSet<PathBuf> {
    let mut files = crate::load::roots::closure(vec![entry.to_path_buf()], |text| {
        relative_links(text).map(str::to_string).collect()
    });
    if let Some(stem) = entry.file_stem().and_then(|s| s.to_str()) {
        let beside = entry.with_file_name(format!("{stem}.parameters.json"));
        files.insert(std::fs::canonicalize(&beside).unwrap_or(beside));
    }
    files
}

/// The first 4 KiB of a regular file, where a template's `$schema` is.
fn head(p: &Path) -> Option<String> {
    crate::input::regular_file(p).ok()?;
    let mut buf = Vec::new();
    std::fs::File::open(p)
        .ok()?
        .take(4096)
        .read_to_end(&mut buf)
        .ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The literal `relativePath`s of a template's links.
fn relative_links(text: &str) -> impl Iterator<Item = &str> {
    static LINK: OnceLock<Regex> = OnceLock::new();
    LINK.get_or_init(|| {
        Regex::new(r#""relativePath"\s*:\s*"([^"\[][^"]*)""#).expect("a valid pattern")
    })
    .captures_iter(text)
    .filter_map(|c| c.get(1).map(|m| m.as_str()))
}
