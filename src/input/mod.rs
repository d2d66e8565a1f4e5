//! What every stage may know of an input, whatever reads it: its kind, its
//! text (the one place bytes become text: UTF-8, UTF-8 with BOM, and UTF-16
//! with BOM as PowerShell's `>` writes it), the error that points into it, and
//! the inline ignore comments written in it. Every layer may import this
//! module, and it imports none (`tests/architecture.rs`).

use std::path::Path as FsPath;

use miette::{Diagnostic, SourceSpan};
use serde::Serialize;

pub mod ignore;
pub mod lines;
pub mod snippet;

pub use snippet::{Excerpt, Masking};

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
    /// GitHub Actions workflows (`.github/workflows/*.yml`).
    Workflow,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Plan => "plan",
            InputKind::Terraform => "terraform",
            InputKind::Arm => "arm",
            InputKind::Workflow => "workflow",
        }
    }
}

/// Inputs larger than this are refused before they are read. The benchmark's
/// 10,000-resource plan is 33 MiB (191 MiB of memory to scan); 512 MiB is some
/// 150,000 resources and, at that rate, about 3 GB: within a CI runner's memory.
pub const MAX_INPUT_BYTES: u64 = 512 << 20;

/// An input that could not be used. Rendered by miette with the file name and,
/// where there is one, the line, column and a bounded, masked excerpt of the
/// input around it ([`snippet`]).
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{path}: {message}")]
#[diagnostic(code(mcpguard::input))]
pub struct InputError {
    pub path: String,
    pub message: String,
    #[source_code]
    pub src: Option<Excerpt>,
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
            message: redact_quoted_values(message.into()),
            src: None,
            span: None,
            label: String::new(),
            help: None,
        }
    }

    /// Points the error at a 1-based line and column of `text`.
    pub fn at(self, text: &str, line: usize, column: usize, label: impl Into<String>) -> Self {
        let offset = offset_of(text, line, column);
        self.at_span(text, offset, 0, label)
    }

    /// Points the error at a byte range of `text`.
    pub fn at_span(
        mut self,
        text: &str,
        start: usize,
        len: usize,
        label: impl Into<String>,
    ) -> Self {
        if !located_budget(text) {
            return self;
        }
        let masking = Masking::for_path(&self.path);
        let (excerpt, span) = Excerpt::new(&self.path, text, start, len, masking);
        self.src = Some(excerpt);
        self.span = Some(span);
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

/// Located diagnostics (with an excerpt) per input text; later ones keep
/// their message but no excerpt. An excerpt costs a pass over the text up to
/// the error, so a file with 100,000 bad expressions must not cost 100,000
/// passes.
pub const MAX_LOCATED_PER_INPUT: usize = 50;

/// Whether another excerpt of `text` may be built. Texts are told apart by
/// address, length and their first and last bytes (a text mistaken for
/// another only loses its excerpt, it never shows more); the 64 most recent
/// are remembered.
fn located_budget(text: &str) -> bool {
    use std::cell::RefCell;
    use std::hash::{Hash, Hasher};
    type Seen = Vec<((usize, usize, u64), usize)>;
    thread_local! {
        static SEEN: RefCell<Seen> = const { RefCell::new(Vec::new()) };
    }
    let b = text.as_bytes();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b[..b.len().min(64)].hash(&mut h);
    b[b.len().saturating_sub(64)..].hash(&mut h);
    let key = (text.as_ptr() as usize, text.len(), h.finish());
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        match seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => {
                *n += 1;
                *n <= MAX_LOCATED_PER_INPUT
            }
            None => {
                if seen.len() >= 64 {
                    seen.remove(0);
                }
                seen.push((key, 1));
                true
            }
        }
    })
}

/// serde's data errors quote the value at fault (`invalid type: string
/// "hunter2", expected a boolean`, ``unknown variant `hunter2` ``). That value
/// comes from the input and may be a secret: every input error message shows
/// `***` in its place (the excerpt shows where it is).
fn redact_quoted_values(mut m: String) -> String {
    for (open, close) in [("string \"", '"'), ("unknown variant `", '`')] {
        let mut from = 0;
        while let Some(i) = m[from..].find(open).map(|i| i + from + open.len()) {
            let end = closing(&m[i..], close).map_or(m.len(), |e| i + e);
            m.replace_range(i..end, "***");
            from = i + 3;
        }
    }
    // hcl-rs ends an evaluation error with the whole expression, literals
    // included: ``undefined function `f` in expression `"hunter2"[f()]` ``.
    if let Some(i) = m
        .find("in expression `")
        .map(|i| i + "in expression `".len())
    {
        let end = m.rfind('`').filter(|&e| e >= i).unwrap_or(m.len());
        m.replace_range(i..end, "***");
    }
    redact_backticked_values(&m)
}

/// hcl-rs quotes operands in backticks: `` `"hunter2"` and `0` ``, or
/// `` `["a", "hunter2"]` ``. A backticked segment that is one string literal,
/// or a list or object, has its string literals masked; names
/// (`` `dynamic "x"` ``, `` `fail_on` ``) are left alone.
fn redact_backticked_values(m: &str) -> String {
    let mut out = String::with_capacity(m.len());
    let mut parts = m.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (n, part) in parts.enumerate() {
        out.push('`');
        let inside = n % 2 == 0;
        let literal = part.len() >= 2
            && part.starts_with('"')
            && closing(&part[1..], '"') == Some(part.len() - 2);
        if inside && (literal || part.starts_with(['[', '{'])) {
            out.push_str(&mask_literals(part));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Every `"..."` in `s` as `"***"`.
fn mask_literals(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('"') {
        out.push_str(&rest[..=i]);
        let after = &rest[i + 1..];
        match closing(after, '"') {
            Some(e) => {
                out.push_str("***\"");
                rest = &after[e + 1..];
            }
            None => {
                out.push_str("***");
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Offset of the unescaped `close` in `s` (serde writes strings Debug-escaped).
fn closing(s: &str, close: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if close == '"' && !escaped => escaped = true,
            c if c == close && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
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

/// Reads a file as text, refusing anything but a regular file, refusing
/// oversized files, and decoding BOMs.
pub fn read_text(path: &FsPath) -> Result<String, InputError> {
    let shown = path.display().to_string();
    let meta = regular_file(path)?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(over_limit(&shown, meta.len()));
    }
    let cannot = |e: std::io::Error| {
        InputError::new(
            &shown,
            format!("cannot read: {}", e.to_string().to_lowercase()),
        )
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    // Checked again on the open file, and read with a bound, in case the path
    // changed since it was checked or the file grows while it is read.
    if !file.metadata().map_err(cannot)?.is_file() {
        return Err(InputError::new(&shown, "not a regular file"));
    }
    // Sized from the metadata: growing a buffer by doubling would hold twice
    // the file for a moment (a 33 MiB plan cost 60 MiB more at its peak).
    let bytes = read_bounded_sized(file, meta.len()).map_err(cannot)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(over_limit(&shown, bytes.len() as u64));
    }
    decode(&shown, bytes)
}

/// Reads at most one byte past [`MAX_INPUT_BYTES`] (standard input, a file).
pub fn read_bounded(r: impl std::io::Read) -> std::io::Result<Vec<u8>> {
    read_bounded_sized(r, 0)
}

/// [`read_bounded`] into a buffer made for `expected` bytes (a file's size).
fn read_bounded_sized(r: impl std::io::Read, expected: u64) -> std::io::Result<Vec<u8>> {
    // One byte more, so a file that did not grow is read without a reallocation.
    let cap = expected.min(MAX_INPUT_BYTES).saturating_add(1);
    let mut buf = Vec::with_capacity(usize::try_from(cap).unwrap_or(0));
    std::io::Read::read_to_end(&mut r.take(MAX_INPUT_BYTES + 1), &mut buf)?;
    Ok(buf)
}

fn over_limit(shown: &str, len: u64) -> InputError {
    InputError::new(
        shown,
        format!(
            "file is {} MiB, over the {} MiB input limit",
            len >> 20,
            MAX_INPUT_BYTES >> 20
        ),
    )
    .with_help("the limit is MAX_INPUT_BYTES (README, Limits); split the input")
}

/// The metadata of `path` if it is a regular file (or a symlink to one).
/// A FIFO, socket or device would block or never end (`/dev/zero`); a
/// dangling symlink or a loop is named as such.
pub fn regular_file(path: &FsPath) -> Result<std::fs::Metadata, InputError> {
    let shown = path.display().to_string();
    let link = std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false);
    let meta = std::fs::metadata(path).map_err(|e| {
        let why = match e.raw_os_error() {
            Some(n) if n == ELOOP => "a symlink loop".to_string(),
            _ if link && e.kind() == std::io::ErrorKind::NotFound => {
                "a dangling symlink".to_string()
            }
            _ => e.to_string().to_lowercase(),
        };
        InputError::new(&shown, format!("cannot read: {why}"))
    })?;
    if meta.is_file() {
        return Ok(meta);
    }
    let via = if link { "a symlink to " } else { "" };
    Err(InputError::new(
        &shown,
        format!(
            "not a regular file: {via}{}; only regular files are read",
            file_kind(&meta)
        ),
    ))
}

/// "Too many levels of symbolic links" (std has no stable `ErrorKind` for it).
const ELOOP: i32 = if cfg!(any(target_os = "macos", target_os = "freebsd")) {
    62
} else {
    40
};

/// What a non-regular file is, in words.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "a special file"
}

/// UTF-16 bytes (little- or big-endian, no byte order mark) as text;
/// `None` when they are not valid UTF-16.
pub fn utf16_text(b: &[u8], little_endian: bool) -> Option<String> {
    let units = b.chunks_exact(2).map(|c| {
        if little_endian {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

/// Bytes to text: UTF-8 (a BOM is dropped) or UTF-16 LE/BE with a BOM.
pub fn decode(shown: &str, bytes: Vec<u8>) -> Result<String, InputError> {
    let utf16 = |b: &[u8], le: bool| {
        utf16_text(b, le).ok_or_else(|| {
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
    strsim::damerau_levenshtein(a, b)
}

/// An inline `# mcpguard:ignore MCP002,MCP004 reason="…" expires=2027-01-31`
/// comment (`//` too), as a source reader tied it to a resource: the HCL
/// reader to a block, the Bicep reader to a declaration.
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
    /// For Bicep, whose resources are named by ids known only in part: the
    /// line of the declaration the comment precedes. It covers the findings
    /// located there (every instance of a loop), `resource` is then empty.
    pub declaration_line: Option<u32>,
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
    fn quoted_values_in_serde_messages_are_masked() {
        let e = InputError::new(
            "p",
            r#"invalid type: string "hun\"ter2", expected a boolean; unknown variant `s3cret`, expected one of `a`"#,
        );
        assert_eq!(
            e.message,
            r#"invalid type: string "***", expected a boolean; unknown variant `***`, expected one of `a`"#
        );
        assert_eq!(InputError::new("p", "string \"x").message, "string \"***");
        let ops = r#"binary operator `-` is not applicable to `"hunter2"` and `["a", "s3cret"]`"#;
        assert_eq!(
            InputError::new("p", ops).message,
            r#"binary operator `-` is not applicable to `"***"` and `["***", "***"]`"#
        );
        let names = r#"`dynamic "x"` has no `content` block; no `"schema": "v1"` key"#;
        assert_eq!(InputError::new("p", names).message, names);
        let hcl = "undefined function `current` in expression `\"hunter2\"[current()]`";
        assert_eq!(
            InputError::new("p", hcl).message,
            "undefined function `current` in expression `***`"
        );
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
