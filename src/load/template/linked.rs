//! Linked templates: a deployment's `templateLink`. A `relativePath` is read
//! from the disk, relative to the template that links it, as `az deployment
//! … --template-file` packs it for ARM; its resources are then scanned as a
//! nested deployment's with `inner` scope (a linked template has its own
//! parameters), and their findings name the linked file. A `uri` (mcpguard
//! reads no network) or a template spec `id` is not read: a note says so
//! and its resources are not scanned, never guessed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use serde_json::Value as Json;

use super::eval::{eval_json, Failed, Scope};
use crate::inventory::Value;

/// At most this many distinct linked files are read for one template.
pub const MAX_LINKED_FILES: usize = 1_000;

/// A template read from a file: where it is and how it is shown.
pub struct TemplateFile {
    pub disk: PathBuf,
    pub shown: String,
    /// The files that link to it, outermost first (a circle is refused).
    chain: Vec<PathBuf>,
    /// Linked files read so far for the whole scan of one template.
    cache: Rc<RefCell<HashMap<PathBuf, Rc<Loaded>>>>,
}

/// One linked file, parsed.
pub struct Loaded {
    pub json: Json,
    pub source: Rc<Source>,
    pub file: Rc<TemplateFile>,
}

/// A linked file's text, so a diagnostic can point into it.
#[derive(Debug)]
pub struct Source {
    pub shown: String,
    pub text: String,
}

impl TemplateFile {
    /// The file a scan was given.
    pub fn root(disk: &Path, shown: &str) -> Rc<TemplateFile> {
        Rc::new(TemplateFile {
            disk: disk.to_path_buf(),
            shown: shown.to_string(),
            chain: Vec::new(),
            cache: Rc::default(),
        })
    }
}

/// What a `templateLink` gives: the linked template, or why it is not read.
pub enum Link {
    Read(Rc<Loaded>),
    NotRead(String),
}

/// Follows one `templateLink` of a template read from `from` (`None`: it was
/// not read from a file, e.g. stdin or a compiled Bicep file).
pub fn follow(link: &Json, from: Option<&Rc<TemplateFile>>, scope: &Scope) -> Result<Link, Failed> {
    let Some(rel) = link.get("relativePath") else {
        let what = ["uri", "id"]
            .iter()
            .find_map(|k| link.get(*k).map(|v| (*k, v)));
        return Ok(Link::NotRead(match what {
            Some(("id", _)) => "a template spec (`templateLink.id`) is not read".into(),
            Some((_, v)) => format!(
                "linked template `{}` is not read (mcpguard reads no network)",
                shown_value(v, scope)
            ),
            None => "a `templateLink` with neither `relativePath`, `uri` nor `id`".into(),
        }));
    };
    let rel = match eval_json(rel, scope)? {
        Value::String(s) => s,
        _ => {
            return Ok(Link::NotRead(
                "linked template whose `relativePath` is known only at deployment".into(),
            ))
        }
    };
    let Some(from) = from else {
        return Ok(Link::NotRead(format!(
            "linked template `{rel}` is not read: the linking template was not read from a file"
        )));
    };
    let located = |f: Failed| match link.get("relativePath") {
        Some(Json::String(raw)) => f.at(raw),
        _ => f,
    };
    read(&rel, from).map(Link::Read).map_err(located)
}

fn shown_value(v: &Json, scope: &Scope) -> String {
    match v {
        Json::String(s) => match eval_json(v, scope) {
            Ok(Value::String(t)) => t,
            Ok(Value::Partial(p)) => p.to_string(),
            _ => s.clone(),
        },
        _ => "(not a string)".into(),
    }
}

/// Reads `rel`, relative to the directory of `from`.
fn read(rel: &str, from: &Rc<TemplateFile>) -> Result<Rc<Loaded>, Failed> {
    let disk = lexical(&from.disk.parent().unwrap_or(Path::new("")).join(rel));
    let shown = shown_path(&from.shown, rel);
    if disk == from.disk || from.chain.contains(&disk) {
        return Err(format!(
            "linked template `{shown}` links back to a template that links it: ARM would never finish"
        )
        .into());
    }
    if let Some(l) = from.cache.borrow().get(&disk) {
        return Ok(l.clone());
    }
    if from.cache.borrow().len() >= MAX_LINKED_FILES {
        return Err(format!("over {MAX_LINKED_FILES} linked templates (MAX_LINKED_FILES)").into());
    }
    let text = crate::input::read_text(&disk)
        .map_err(|e| Failed::from(format!("linked template `{shown}`: {}", e.message)))?;
    let json: Json = serde_json::from_str(&super::without_comments(&text))
        .map_err(|e| Failed::from(format!("linked template `{shown}` is not valid JSON: {e}")))?;
    if !super::is_template(&text) {
        return Err(format!(
            "linked template `{shown}` is not a deployment template (its `$schema` names none)"
        )
        .into());
    }
    let mut chain = from.chain.clone();
    chain.push(from.disk.clone());
    let file = Rc::new(TemplateFile {
        disk: disk.clone(),
        shown: shown.clone(),
        chain,
        cache: from.cache.clone(),
    });
    let source = Rc::new(Source { shown, text });
    let loaded = Rc::new(Loaded { json, source, file });
    from.cache.borrow_mut().insert(disk, loaded.clone());
    Ok(loaded)
}

/// `a/b/../c` as `a/c`, without asking the file system (a path through a
/// symlink is read where it points; only the name is normalised).
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The linked file as findings show it: beside the linking file's shown path.
fn shown_path(from: &str, rel: &str) -> String {
    let dir = Path::new(from).parent().unwrap_or(Path::new(""));
    lexical(&dir.join(rel)).to_string_lossy().replace('\\', "/")
}
