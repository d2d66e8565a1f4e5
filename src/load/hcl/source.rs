//! Reading a module directory: every `*.tf` (HCL) and `*.tf.json` (Terraform's
//! JSON syntax) file, parsed with spans. JSON files are rewritten into the
//! equivalent HCL so that one evaluator serves both; their lines map back to
//! the JSON key that each HCL line came from.

use std::ops::Range;
use std::path::Path;

use hcl::edit::structure::Body;
use serde_json::Value;

use crate::load::{read_text, InputError};

/// One parsed file.
pub struct SourceFile {
    /// Path relative to the scanned root, with `/` separators.
    pub rel: String,
    /// Path shown in diagnostics (the scanned root as given, joined with `rel`).
    pub shown: String,
    /// The text the spans point into (for JSON files, the HCL rewrite).
    pub text: String,
    /// The original text, for JSON files.
    pub json_text: Option<String>,
    /// For JSON files: original line of each rewritten line.
    line_map: Vec<u32>,
    line_starts: Vec<usize>,
    pub body: Body,
}

impl SourceFile {
    /// Parses one file's text. `json` selects Terraform's JSON syntax.
    #[allow(clippy::result_large_err)] // InputError is the loaders' error type.
    pub fn parse(
        rel: String,
        shown: String,
        text: String,
        json: bool,
    ) -> Result<SourceFile, InputError> {
        let (hcl_text, json_text, line_map) = if json {
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| InputError::json(&shown, &text, &e, "Terraform JSON file"))?;
            let (out, map) = json_to_hcl(&v, &text).map_err(|m| InputError::new(&shown, m))?;
            (out, Some(text), map)
        } else {
            (text, None, Vec::new())
        };
        let body = match hcl::edit::parser::parse_body(&hcl_text) {
            Ok(b) => b,
            Err(e) => {
                let loc = e.location();
                let msg = first_line(e.message());
                let err = InputError::new(&shown, format!("syntax error: {msg}"));
                return Err(match &json_text {
                    Some(orig) => {
                        let line = line_map
                            .get(loc.line().saturating_sub(1))
                            .copied()
                            .unwrap_or(1);
                        err.at(orig, line as usize, 1, "here")
                    }
                    None => err.at(&hcl_text, loc.line(), loc.column(), msg),
                });
            }
        };
        let line_starts = std::iter::once(0)
            .chain(hcl_text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Ok(SourceFile {
            rel,
            shown,
            text: hcl_text,
            json_text,
            line_map,
            line_starts,
            body,
        })
    }

    /// Reads and parses a file.
    #[allow(clippy::result_large_err)]
    pub fn read(path: &Path, rel: String, shown: String) -> Result<SourceFile, InputError> {
        let text = read_text(path).map_err(|mut e| {
            e.path = shown.clone();
            e
        })?;
        let json = rel.ends_with(".json");
        SourceFile::parse(rel, shown, text, json)
    }

    /// 1-based line (in the original file) of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        let l = match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        if self.json_text.is_some() {
            self.line_map.get(l.saturating_sub(1)).copied().unwrap_or(1)
        } else {
            l as u32
        }
    }

    pub fn span_line(&self, span: Option<Range<usize>>) -> u32 {
        span.map_or(1, |s| self.line(s.start))
    }

    /// A diagnostic pointing at a span of this file.
    pub fn error(
        &self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        label: &str,
    ) -> InputError {
        let e = InputError::new(&self.shown, message);
        match (&self.json_text, span) {
            (Some(orig), Some(s)) => e.at(orig, self.line(s.start) as usize, 1, label),
            (None, Some(s)) => e.at_span(&self.text, s.start, s.end.saturating_sub(s.start), label),
            (_, None) => e,
        }
    }
}

/// Terraform skips editor and hidden files in a module directory: names
/// starting with `.`, ending with `~`, or `#…#` (Emacs).
pub fn ignored_by_terraform(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'))
}

/// The entries of `dir` whose names `want` picks, sorted. An entry that has
/// such a name but cannot be read as a regular file (a dangling symlink, a
/// symlink loop, a directory, a FIFO, a socket) is an error naming it: input
/// that is silently skipped would make the scan look clean.
pub fn config_entries(
    dir: &Path,
    shown_dir: &Path,
    want: impl Fn(&str) -> bool,
    errors: &mut Vec<InputError>,
) -> Result<Vec<std::path::PathBuf>, std::io::Error> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)?.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !want(&name) || ignored_by_terraform(&name) {
            continue;
        }
        let p = e.path();
        let shown = shown_dir.join(&name).display().to_string();
        // One check for every input path (`input::regular_file`): the same words everywhere.
        match crate::input::regular_file(&p) {
            Ok(_) => out.push(p),
            Err(e) => errors.push(InputError::new(shown, e.message)),
        }
    }
    out.sort();
    Ok(out)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

/// Object attributes that are maps, not nested blocks, in Terraform JSON
/// bodies (JSON cannot tell them apart without the provider schema).
const MAP_ATTRIBUTES: &[&str] = &[
    "tags",
    "environment_variables",
    "secure_environment_variables",
    "labels",
    "app_settings",
    "metadata",
    "parameters",
    "settings",
    "protected_settings",
    "default",
    "value",
    "triggers",
    "dimensions",
    "properties",
    "body",
    "providers",
    "headers",
];

/// Rewrites a Terraform JSON document as HCL text. Returns the text and, for
/// each of its lines, the line of the original JSON key it came from.
fn json_to_hcl(v: &Value, orig: &str) -> Result<(String, Vec<u32>), String> {
    let top = v
        .as_object()
        .ok_or("a Terraform JSON file must be an object")?;
    let mut w = Writer {
        out: String::new(),
        map: Vec::new(),
        orig,
    };
    for (kind, content) in top {
        let kpos = w.find(kind, 0);
        match kind.as_str() {
            "resource" | "data" => {
                for (ty, names) in obj(content, kind)? {
                    let tpos = w.find(ty, kpos);
                    for (name, body) in obj(names, ty)? {
                        let npos = w.find(name, tpos);
                        for b in one_or_many(body) {
                            w.line(npos, &format!("{kind} {} {} {{", quote(ty), quote(name)));
                            w.body(b, npos, Ctx::Resource)?;
                            w.line(npos, "}");
                        }
                    }
                }
            }
            "module" | "variable" | "output" | "provider" => {
                for (name, body) in obj(content, kind)? {
                    let npos = w.find(name, kpos);
                    for b in one_or_many(body) {
                        w.line(npos, &format!("{kind} {} {{", quote(name)));
                        let ctx = if kind == "variable" {
                            Ctx::Variable
                        } else {
                            Ctx::Attributes
                        };
                        w.body(b, npos, ctx)?;
                        w.line(npos, "}");
                    }
                }
            }
            "locals" => {
                for b in one_or_many(content) {
                    w.line(kpos, "locals {");
                    w.body(b, kpos, Ctx::Attributes)?;
                    w.line(kpos, "}");
                }
            }
            // `terraform`, `moved`, `import`, comments: nothing to evaluate.
            _ => {}
        }
    }
    Ok((w.out, w.map))
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    /// Object values are nested blocks unless known to be maps.
    Resource,
    /// Object values are attributes (module inputs, locals, outputs).
    Attributes,
    /// `default` is a literal, `type` an expression.
    Variable,
}

struct Writer<'a> {
    out: String,
    map: Vec<u32>,
    orig: &'a str,
}

impl Writer<'_> {
    /// Byte offset of the first `"key"` at or after `from` in the original.
    fn find(&self, key: &str, from: usize) -> usize {
        let needle = serde_json::to_string(key).unwrap_or_default();
        self.orig
            .get(from..)
            .and_then(|s| s.find(&needle))
            .map_or(from, |i| from + i)
    }

    fn line(&mut self, pos: usize, text: &str) {
        let line = self.orig[..pos.min(self.orig.len())].matches('\n').count() as u32 + 1;
        self.out.push_str(text);
        self.out.push('\n');
        self.map.push(line);
    }

    fn body(&mut self, b: &Value, at: usize, ctx: Ctx) -> Result<(), String> {
        let o = b.as_object().ok_or("a block body must be a JSON object")?;
        for (k, v) in o {
            if k == "//" {
                continue;
            }
            let pos = self.find(k, at);
            if ctx == Ctx::Resource && k == "dynamic" {
                for (label, d) in obj(v, k)? {
                    let dpos = self.find(label, pos);
                    self.line(dpos, &format!("dynamic {} {{", quote(label)));
                    let d = d.as_object().ok_or("a dynamic block must be an object")?;
                    for (dk, dv) in d {
                        if dk == "content" {
                            let cpos = self.find("content", dpos);
                            self.line(cpos, "content {");
                            self.body(dv, cpos, Ctx::Resource)?;
                            self.line(cpos, "}");
                        } else if dk == "iterator" {
                            self.line(dpos, &format!("iterator = {}", dv.as_str().unwrap_or("")));
                        } else {
                            self.line(dpos, &format!("{dk} = {}", expr(dv)));
                        }
                    }
                    self.line(dpos, "}");
                }
                continue;
            }
            let is_block = ctx == Ctx::Resource
                && !MAP_ATTRIBUTES.contains(&k.as_str())
                && match v {
                    Value::Object(_) => true,
                    Value::Array(a) => !a.is_empty() && a.iter().all(Value::is_object),
                    _ => false,
                };
            if is_block {
                for b in one_or_many(v) {
                    self.line(pos, &format!("{k} {{"));
                    self.body(b, pos, Ctx::Resource)?;
                    self.line(pos, "}");
                }
            } else if ctx == Ctx::Variable && k == "type" {
                self.line(pos, &format!("type = {}", v.as_str().unwrap_or("any")));
            } else if ctx == Ctx::Variable && k != "validation" {
                self.line(pos, &format!("{k} = {}", literal(v)));
            } else {
                self.line(pos, &format!("{} = {}", ident_or_quoted(k), expr(v)));
            }
        }
        Ok(())
    }
}

fn obj<'v>(v: &'v Value, what: &str) -> Result<&'v serde_json::Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("`{what}` must be a JSON object"))
}

fn one_or_many(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn ident_or_quoted(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        quote(k)
    }
}

/// A JSON value as an HCL expression: strings are templates.
fn expr(v: &Value) -> String {
    match v {
        Value::String(s) => template(s),
        Value::Array(a) => format!("[{}]", a.iter().map(expr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{ {} }}",
            o.iter()
                .map(|(k, v)| format!("{} = {}", quote(k), expr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A JSON value as an HCL literal: `${` is not interpolated.
fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s).replace("${", "$${").replace("%{", "%%{"),
        Value::Array(a) => format!("[{}]", a.iter().map(literal).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{ {} }}",
            o.iter()
                .map(|(k, v)| format!("{} = {}", quote(k), literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A JSON string as an HCL quoted template: escapes quotes, backslashes and
/// control characters but keeps `${…}` and `%{…}`.
fn template(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rewrite_keeps_templates_and_lines() {
        let src = r#"{
  "resource": {
    "azurerm_subnet": {
      "s": {
        "name": "snet-${var.env}",
        "tags": {"a": "b"},
        "delegation": {"name": "d"}
      }
    }
  },
  "variable": {"env": {"default": "${literal}"}}
}"#;
        let f =
            SourceFile::parse("a.tf.json".into(), "a.tf.json".into(), src.into(), true).unwrap();
        assert!(f.text.contains("name = \"snet-${var.env}\""), "{}", f.text);
        assert!(f.text.contains("delegation {"), "{}", f.text);
        assert!(f.text.contains("tags = {"), "{}", f.text);
        assert!(f.text.contains("default = \"$${literal}\""), "{}", f.text);
        let name_at = f.text.find("name = \"snet").unwrap();
        assert_eq!(f.line(f.text.find("name = \"d\"").unwrap()), 7);
        assert_eq!(f.line(name_at), 5);
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = SourceFile::parse(
            "x.tf".into(),
            "dir/x.tf".into(),
            "a = 1\nb = \n".into(),
            false,
        )
        .err()
        .unwrap();
        assert_eq!(e.path, "dir/x.tf");
        assert!(e.message.starts_with("syntax error"), "{}", e.message);
        assert!(e.span.is_some());
    }
}
