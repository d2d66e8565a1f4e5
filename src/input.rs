//! What every stage may know of an input, whatever reads it: its kind, its
//! text (the one place bytes become text: UTF-8, UTF-8 with BOM, and UTF-16
//! with BOM as PowerShell's `>` writes it), the error that points into it, and
//! the inline ignore comments written in it. Every layer may import this
//! module, and it imports none (`tests/architecture.rs`).

use std::path::Path as FsPath;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Serialize;

/// Which of the three kinds of input a resource was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// `terraform show -json` output.
    Plan,
    /// `.tf` / `.tf.json` source.
    Terraform,
    /// ARM documents: a snapshot file or a live sweep.
    Arm,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Plan => "plan",
            InputKind::Terraform => "terraform",
            InputKind::Arm => "arm",
        }
    }
}

/// Inputs larger than this are refused before they are read: a plan of
/// 100,000 resources is about 250 MB.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

/// An input that could not be used. Rendered by miette with the file name and,
/// where there is one, the line, column and offending snippet.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{path}: {message}")]
#[diagnostic(code(mcpguard::input))]
pub struct InputError {
    pub path: String,
    pub message: String,
    #[source_code]
    pub src: Option<NamedSource<String>>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

impl InputError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            path: path.into(),
            message: message.into(),
            src: None,
            span: None,
            label: String::new(),
            help: None,
        }
    }

    /// Points the error at a 1-based line and column of `text`.
    pub fn at(mut self, text: &str, line: usize, column: usize, label: impl Into<String>) -> Self {
        let offset = offset_of(text, line, column);
        self.src = Some(NamedSource::new(self.path.clone(), text.to_string()));
        self.span = Some(SourceSpan::new(offset.into(), 0));
        self.label = label.into();
        self
    }

    /// Points the error at a byte range of `text`.
    pub fn at_span(
        mut self,
        text: &str,
        start: usize,
        len: usize,
        label: impl Into<String>,
    ) -> Self {
        self.src = Some(NamedSource::new(self.path.clone(), text.to_string()));
        self.span = Some(SourceSpan::new(start.min(text.len()).into(), len));
        self.label = label.into();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Builds the error for a serde_json failure, with its line and column.
    pub fn json(path: &str, text: &str, e: &serde_json::Error, what: &str) -> Self {
        let msg = if e.is_eof() {
            format!("{what} is truncated: {e}")
        } else {
            format!("{what} is not valid JSON: {e}")
        };
        InputError::new(path, msg).at(text, e.line(), e.column(), "here")
    }
}

/// Byte offset of a 1-based line/column (clamped to the text).
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            return (off + column.saturating_sub(1))
                .min(off + l.len())
                .min(text.len());
        }
        off += l.len();
    }
    text.len()
}

/// Reads a file as text, refusing oversized files and decoding BOMs.
pub fn read_text(path: &FsPath) -> Result<String, InputError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| {
        InputError::new(
            &shown,
            format!("cannot read: {}", e.to_string().to_lowercase()),
        )
    })?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(InputError::new(
            &shown,
            format!(
                "file is {} MiB, over the {} MiB input limit",
                meta.len() >> 20,
                MAX_INPUT_BYTES >> 20
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        InputError::new(
            &shown,
            format!("cannot read: {}", e.to_string().to_lowercase()),
        )
    })?;
    decode(&shown, bytes)
}

/// Bytes to text: UTF-8 (a BOM is dropped) or UTF-16 LE/BE with a BOM.
pub fn decode(shown: &str, bytes: Vec<u8>) -> Result<String, InputError> {
    let utf16 = |b: &[u8], le: bool| -> Result<String, InputError> {
        let units = b.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| {
                InputError::new(
                    shown,
                    "file has a UTF-16 byte order mark but is not valid UTF-16",
                )
            })
    };
    match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec())
            .map_err(|e| InputError::new(shown, format!("file is not valid UTF-8: {e}"))),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => String::from_utf8(bytes).map_err(|e| {
            InputError::new(
                shown,
                format!(
                    "file is not text (not valid UTF-8 at byte {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        }),
    }
}

/// The candidate nearest to a misspelt `word`, for a "did you mean" help:
/// case-insensitive edit distance, at most a third of the word's length (at
/// least one edit), so an unrelated word suggests nothing.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    let limit = (w.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(&w, &c.to_ascii_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `did you mean `x`?` for [`nearest`], else `None`.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    nearest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Levenshtein distance, with a transposition counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// An inline `# mcpguard:ignore MCP002,MCP004 reason="…" expires=2027-01-31`
/// comment, as the HCL reader found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineIgnore {
    /// The file, relative to the scanned root.
    pub file: String,
    /// 1-based line of the comment.
    pub line: u32,
    /// Rule ids it names.
    pub rules: Vec<String>,
    pub reason: Option<String>,
    /// `YYYY-MM-DD` as written; validated by the suppression stage.
    pub expires: Option<String>,
    /// Terraform address (without instance key) of the resource whose block
    /// the comment precedes or sits inside.
    pub resource: String,
    /// The attribute the comment precedes, if it precedes an attribute.
    pub attribute: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf16_with_bom_and_crlf() {
        let text = "{\r\n\"a\": 1\r\n}";
        let mut bytes = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        assert_eq!(decode("x", bytes).unwrap(), text);
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            be.extend(u.to_be_bytes());
        }
        assert_eq!(decode("x", be).unwrap(), text);
        assert_eq!(decode("x", b"\xEF\xBB\xBF{}".to_vec()).unwrap(), "{}");
        assert!(decode("x", vec![0xC3, 0x28]).is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(nearest("enabeld", &["enabled", "reason"]), Some("enabled"));
        assert_eq!(nearest("failon", &["fail_on", "unknown"]), Some("fail_on"));
        assert_eq!(nearest("MCP0004", &["MCP004", "MCP014"]), Some("MCP004"));
        assert_eq!(nearest("mcp04", &["MCP004", "MCP014"]), Some("MCP004"));
        assert_eq!(nearest("colour", &["fail_on", "unknown"]), None);
        assert_eq!(
            did_you_mean("reasn", &["resource", "reason", "expires"]).as_deref(),
            Some("did you mean `reason`?")
        );
    }

    #[test]
    fn offsets() {
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
        assert_eq!(offset_of("ab", 9, 1), 2);
    }
}
