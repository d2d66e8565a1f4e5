//! The source excerpt a diagnostic shows: a bounded window of the input around
//! the error, with every value that may be secret masked.
//!
//! Every located diagnostic (inputs, config, baseline, rule files) is built
//! here, so two promises hold in one place:
//! - **bounded**: at most [`WINDOW_COLUMNS`] columns of at most three lines.
//!   `terraform show -json` writes a whole plan on one line; without a window a
//!   syntax error prints the plan, and a column past 65,535 panics inside
//!   miette's renderer (a `format!` width).
//! - **masked**: a string, number or heredoc is shown only when the key it sits
//!   at is known and not sensitive. Values under a sensitive key (passwords,
//!   secure and plain environment variables, `value`, `default`,
//!   `after_sensitive`, ...), values whose key cannot be seen (past the error,
//!   at the top level, a block label without its block) and strings that look
//!   like a credential are replaced by `***`. In a `.tfvars` file every value
//!   is masked: whether a variable is `sensitive` is declared elsewhere.
//!
//! Rule files ([`Masking::None`]) are windowed but not masked: a policy
//! definition holds no secret, and its diagnostics must show the value at
//! fault (`"effect": "Dney"`).

use std::ops::Range;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Widest excerpt line, in characters, ellipses included.
pub const WINDOW_COLUMNS: usize = 160;
/// Characters kept before the error column when the line is cut.
const BEFORE: usize = 60;
/// Lines shown above and below the error line.
const CONTEXT: usize = 1;
/// Nesting past which the masker stops classifying (everything deeper is masked).
const MAX_NESTING: usize = 4096;
const MASK: &str = "***";

/// How the values of a text are classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Masking {
    /// Rule files: shown as written.
    None,
    /// JSON inputs: plans, ARM snapshots, `.tf.json`, baselines, alias files.
    Json,
    /// HCL: `.tf` files and the config.
    Hcl,
    /// `.tfvars`: every value masked, keys shown.
    AllValues,
    /// YAML (GitHub Actions workflows): keys shown, every value and comment
    /// masked ([`yaml_mask`]): a workflow may hold an inline credential.
    Yaml,
}

impl Masking {
    /// The classification a file name calls for.
    pub fn for_path(path: &str) -> Masking {
        let p = path.to_ascii_lowercase();
        if p.ends_with(".yml") || p.ends_with(".yaml") {
            Masking::Yaml
        } else if p.ends_with(".tfvars") || p.ends_with(".tfvars.json") {
            Masking::AllValues
        } else if p.ends_with(".tf") || p.ends_with(".hcl") {
            Masking::Hcl
        } else {
            Masking::Json
        }
    }
}

/// A windowed, masked excerpt that miette renders with the true line and
/// column of the error.
#[derive(Debug, Clone)]
pub struct Excerpt {
    name: String,
    text: String,
    /// 0-based line of the input that the excerpt's first line is.
    first_line: usize,
    /// Where the error sits in `text`, and its true 0-based line and column
    /// (in bytes, as miette counts).
    label: usize,
    line: usize,
    column: usize,
}

impl Excerpt {
    /// The excerpt of `text` around the byte range `start..start + len`, and
    /// the span to label in it.
    pub fn new(
        name: &str,
        text: &str,
        start: usize,
        len: usize,
        masking: Masking,
    ) -> (Excerpt, SourceSpan) {
        let start = floor_char(text, start.min(text.len()));
        let end = floor_char(text, start.saturating_add(len).min(text.len()));
        let lines = Lines::around(text, start);
        let masks = match masking {
            Masking::None => Vec::new(),
            Masking::Yaml => yaml_mask(&text[..lines.end], end),
            m => mask_ranges(&text[..lines.end], end, m),
        };
        let err_line = &text[lines.starts[lines.err]..start];
        let column_chars = err_line.chars().count();
        let from = column_chars.saturating_sub(BEFORE);
        let cut = Cut {
            text,
            from,
            masks: &masks,
            start,
            end,
            error: if masking == Masking::None {
                usize::MAX
            } else {
                end
            },
        };
        let mut out = String::new();
        let (mut label, mut label_end) = (0, 0);
        for (i, &ls) in lines.starts.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let w = cut.line(ls..line_end(text, ls), &mut out);
            if i == lines.err {
                (label, label_end) = w;
            }
        }
        if label == out.len() {
            // miette draws no label at the very end of its source.
            out.push(' ');
        }
        let excerpt = Excerpt {
            name: name.to_string(),
            text: out,
            first_line: lines.first,
            label,
            line: lines.first + lines.err,
            column: err_line.len(),
        };
        (excerpt, SourceSpan::new(label.into(), label_end - label))
    }

    /// The excerpt as miette shows it (for tests).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The file name the excerpt is shown under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Shows the excerpt under another name (the input's path relative to the repository).
    pub fn rename(&mut self, name: &str) {
        self.name = name.to_string();
    }

    /// The 1-based line and column of the error in the whole input.
    pub fn location(&self) -> (usize, usize) {
        (self.line + 1, self.column + 1)
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        // The header shows the primary label's line and column: the true
        // ones, not those inside the window.
        let column = if span.offset() == self.label && before == 0 {
            self.column
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// The lines of the excerpt: the error line and its neighbours.
struct Lines {
    /// 0-based number of the first line.
    first: usize,
    /// Byte offsets where the excerpt's lines start.
    starts: Vec<usize>,
    /// Index in `starts` of the error line.
    err: usize,
    /// End of the last line (the masker reads no further).
    end: usize,
}

impl Lines {
    fn around(text: &str, at: usize) -> Lines {
        let bytes = text.as_bytes();
        let line_start = |mut i: usize| {
            while i > 0 && bytes[i - 1] != b'\n' {
                i -= 1;
            }
            i
        };
        let err_start = line_start(at);
        let mut starts = vec![err_start];
        for _ in 0..CONTEXT {
            let s = starts[0];
            if s == 0 {
                break;
            }
            starts.insert(0, line_start(s - 1));
        }
        let err = starts.len() - 1;
        let mut last = err_start;
        for _ in 0..CONTEXT {
            let e = line_end(text, last);
            if e >= text.len() {
                break;
            }
            last = e + 1;
            starts.push(last);
        }
        let first = bytes[..starts[0]].iter().filter(|&&b| b == b'\n').count();
        let end = line_end(text, last);
        Lines {
            first,
            starts,
            err,
            end,
        }
    }
}

/// Offset of the `\n` ending the line that starts at `from` (or the text end).
fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i)
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How the lines of one excerpt are cut and masked.
struct Cut<'a> {
    text: &'a str,
    /// First character (column) of the window.
    from: usize,
    /// Byte ranges to mask, sorted and disjoint.
    masks: &'a [Range<usize>],
    /// The labelled span.
    start: usize,
    end: usize,
    /// From here on nothing but white space and brackets is shown: what
    /// follows the error cannot be classified, whatever the masker guessed
    /// (`usize::MAX` when the text is not masked).
    error: usize,
}

impl Cut<'_> {
    /// Appends this line's window to `out`, masked and with ellipses where
    /// cut. Returns where `start..end` fell in `out` (clamped to the window).
    fn line(&self, line: Range<usize>, out: &mut String) -> (usize, usize) {
        let body = self.text[line.clone()].trim_end_matches('\r');
        let room = WINDOW_COLUMNS - if self.from > 0 { 2 } else { 1 };
        let mut hit = (None, None);
        if self.from > 0 {
            out.push('…');
        }
        let mut mask_i = self.masks.partition_point(|m| m.end <= line.start);
        let (mut shown, mut cut, mut mask_at, mut prev) = (0, false, 0, false);
        for (i, c) in body.char_indices().skip(self.from) {
            let at = line.start + i;
            while mask_i < self.masks.len() && self.masks[mask_i].end <= at {
                mask_i += 1;
            }
            let masked = self.masks.get(mask_i).is_some_and(|m| m.contains(&at))
                || at >= self.error && !(c.is_whitespace() || "{}[](),:=".contains(c));
            // One mark per masked run, whatever its length.
            let mark = masked && !prev;
            prev = masked;
            if mark {
                mask_at = out.len();
            }
            let (here, past) = if masked && !mark {
                (mask_at, mask_at + MASK.len())
            } else {
                (out.len(), out.len())
            };
            if hit.0.is_none() && at >= self.start {
                hit.0 = Some(here);
            }
            if hit.1.is_none() && at >= self.end {
                hit.1 = Some(past);
            }
            if shown >= room {
                cut = true;
                break;
            }
            if mark {
                out.push_str(MASK);
                shown += MASK.len();
            } else if !masked {
                out.push(printable(c));
                shown += 1;
            }
        }
        let tail = out.len();
        if cut {
            out.push('…');
        }
        let s = hit.0.unwrap_or(tail);
        (s, hit.1.unwrap_or(tail).max(s))
    }
}

/// Text from an input (a sweep error recorded in a snapshot) made safe for a
/// terminal: one line, no control characters, at most `max` characters.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' {
                ' '
            } else {
                printable(c)
            }
        })
        .take(max)
        .collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// Control characters and bidirectional overrides could rewrite the
/// terminal or disguise the excerpt: shown as U+FFFD.
fn printable(c: char) -> char {
    let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if c == '\t' {
        ' '
    } else if c.is_control() || bidi {
        '\u{FFFD}'
    } else {
        c
    }
}

/// Whether a key names, or sits above, a value that may be secret. Matched on
/// the lower-cased key with `_` and `-` dropped, so `secureEnvironmentVariables`
/// and `secure_environment_variables` are one key.
pub fn sensitive_key(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    const EXACT: &[&str] = &["value", "default", "env", "pwd", "pin", "sas", "variables"];
    const PART: &[&str] = &[
        "passw",
        "passphrase",
        "secret",
        "token",
        "key",
        "credential",
        "connectionstring",
        "sastoken",
        "sasurl",
        "signature",
        "certificate",
        "private",
        "auth",
        "secure",
        "sensitive",
        "cookie",
        "customdata",
        "userdata",
        "environmentvariables",
        "envvars",
        "securevalue",
    ];
    EXACT.contains(&k.as_str()) || PART.iter().any(|p| k.contains(p))
}

/// Whether a string's content looks like a credential, whatever its key: a
/// connection string, a PEM block, a JWT, a URL with a password, or a long
/// token of mixed case and digits (or hex).
fn looks_secret(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    const MARKERS: &[&str] = &[
        "password=",
        "pwd=",
        "accountkey=",
        "sharedaccesskey=",
        "sharedaccesssignature",
        "sig=",
        "secret=",
        "token=",
        "-----begin",
    ];
    if MARKERS.iter().any(|m| l.contains(m)) {
        return true;
    }
    if let Some((_, rest)) = l.split_once("://") {
        if rest
            .split('/')
            .next()
            .is_some_and(|auth| auth.contains('@'))
        {
            return true;
        }
    }
    if s.starts_with("eyJ") && s.len() > 20 {
        return true;
    }
    let b = s.as_bytes();
    let charset = b
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || b"+/=_-~".contains(c));
    let mixed = b.iter().any(u8::is_ascii_uppercase)
        && b.iter().any(u8::is_ascii_lowercase)
        && b.iter().any(u8::is_ascii_digit);
    let hex = b.iter().all(u8::is_ascii_hexdigit);
    let guid = b.len() == 36 && b.iter().filter(|&&c| c == b'-').count() == 4;
    b.len() >= 32 && charset && !s.starts_with('/') && !guid && (mixed || hex)
}

#[derive(Clone)]
struct Frame {
    /// `{` (keys then values), `[` or `(` (values only).
    object: bool,
    /// Everything in this frame is masked.
    hidden: bool,
    /// The key the next value sits at, when known.
    key: Option<String>,
    /// The next token may be a key.
    key_pos: bool,
}

/// Byte ranges of YAML `text` to mask, line by line: a plain `key:` (after
/// the indentation and any `- `) is shown, everything else that is not white
/// space is masked: values, flow collections, block-scalar lines, comments,
/// and every byte from `error` on (where the parser gave up). Coarser than
/// the JSON and HCL maskers on purpose: a YAML value needs no quotes, so
/// nothing short of a parse tells a secret from a word.
pub fn yaml_mask(text: &str, error: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.trim_end_matches(['\n', '\r']).len();
        let b = line.as_bytes();
        let mut i = 0;
        // indentation and sequence dashes
        while i < end - start
            && (b[i] == b' '
                || b[i] == b'\t'
                || (b[i] == b'-' && b.get(i + 1).is_none_or(|c| *c == b' ' || *c == b'\n')))
        {
            i += 1;
        }
        let key_len = b[i..end - start]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
            .count();
        let after = i + key_len;
        if key_len > 0 && b.get(after) == Some(&b':') {
            i = after + 1;
        }
        if start + i < end {
            out.push(start + i..end);
        }
        start += line.len();
    }
    if error < text.len() {
        out.push(error..text.len());
    }
    out
}

/// Byte ranges of `text` to mask. `error` is where the parser gave up: what
/// follows cannot be classified.
fn mask_ranges(text: &str, error: usize, masking: Masking) -> Vec<Range<usize>> {
    let mut m = Masker {
        b: text.as_bytes(),
        hcl: masking != Masking::Json,
        all: masking == Masking::AllValues,
        error,
        stack: vec![Frame {
            object: masking != Masking::Json,
            hidden: false,
            key: None,
            key_pos: true,
        }],
        out: Vec::new(),
        lost: false,
        block: None,
    };
    m.run();
    // Labels are pushed when their block header is given up, after what
    // followed them: sorted and merged for the windowing's single pass.
    let mut out = m.out;
    out.retain(|r| !r.is_empty());
    out.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

struct Masker<'a> {
    b: &'a [u8],
    hcl: bool,
    all: bool,
    error: usize,
    stack: Vec<Frame>,
    out: Vec<Range<usize>>,
    /// Nesting too deep or unbalanced: mask every value from here on.
    lost: bool,
    /// An HCL block header being read: its type and labels so far.
    block: Option<Block>,
}

struct Block {
    kind: String,
    /// The type and the labels: masked unless a `{` follows.
    labels: Vec<Range<usize>>,
}

impl Masker<'_> {
    fn top(&mut self) -> &mut Frame {
        self.stack.last_mut().expect("root frame is never popped")
    }

    fn run(&mut self) {
        let mut i = 0;
        while i < self.b.len() {
            let c = self.b[i];
            match c {
                b'\n' => {
                    self.unlabel();
                    if self.hcl && self.top().object {
                        self.separate();
                    }
                    i += 1;
                }
                b' ' | b'\t' | b'\r' => i += 1,
                b'#' if self.hcl => i = self.comment(i + 1, self.skip_line(i), 0),
                b'/' if self.hcl && self.b.get(i + 1) == Some(&b'/') => {
                    i = self.comment(i + 2, self.skip_line(i), 0);
                }
                b'/' if self.hcl && self.b.get(i + 1) == Some(&b'*') => {
                    let end = find(self.b, i + 2, b"*/").unwrap_or(self.b.len());
                    i = self.comment(i + 2, end, 2);
                }
                b'{' | b'[' | b'(' => {
                    match self.block.take() {
                        // A block's labels are names: shown.
                        Some(b) if c == b'{' => {
                            let hidden = self.top().hidden || sensitive_key(&b.kind);
                            self.push(true, hidden);
                        }
                        pending => {
                            self.block = pending;
                            self.unlabel();
                            let hidden = self.value_hidden(i);
                            self.push(c == b'{', hidden);
                        }
                    }
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    self.unlabel();
                    if self.stack.len() > 1 {
                        self.stack.pop();
                    } else {
                        self.lost = true;
                    }
                    self.top().key_pos = false;
                    i += 1;
                }
                b',' => {
                    self.unlabel();
                    self.separate();
                    i += 1;
                }
                b'"' => {
                    let end = self.skip_string(i + 1, 0);
                    let inner = i + 1..end.saturating_sub(1).max(i + 1);
                    i = self.scalar(i, end, Some(inner));
                }
                b'<' if self.hcl && self.b.get(i + 1) == Some(&b'<') => {
                    self.unlabel();
                    i = self.heredoc(i);
                }
                _ if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80 => {
                    let end = self.word_end(i);
                    i = self.scalar(i, end, None);
                }
                _ => {
                    self.unlabel();
                    i += 1;
                }
            }
        }
        self.unlabel();
    }

    /// A string (`inner` is its content) or a bare word at `start..end`:
    /// a key, a block type or label, or a value. Returns where lexing resumes.
    fn scalar(&mut self, start: usize, end: usize, inner: Option<Range<usize>>) -> usize {
        let word = inner.is_none();
        let content = inner.clone().unwrap_or(start..end);
        let text = String::from_utf8_lossy(&self.b[content.clone()]).into_owned();
        let keyword = matches!(text.as_str(), "true" | "false" | "null");
        if start >= self.error {
            // Past the error the structure is a guess: keys, labels and
            // references are masked as well as values.
            if !keyword {
                self.out.push(content);
            }
            return end;
        }
        let after = self.skip_blanks(end);
        let assign = match self.b.get(after) {
            Some(b':') => true,
            Some(b'=') => self.hcl && !matches!(self.b.get(after + 1), Some(b'=' | b'>')),
            _ => false,
        };
        let object = self.top().object;
        if self.block.is_none() && self.top().key_pos && object && assign && !self.lost {
            let f = self.top();
            f.key = Some(text);
            f.key_pos = false;
            return after + 1;
        }
        if self.hcl && object && (self.top().key_pos || self.block.is_some()) {
            // `resource "type" "name" {`: names, shown once a `{` proves
            // this is a block header.
            match &mut self.block {
                Some(b) => b.labels.push(content),
                None => {
                    self.block = Some(Block {
                        kind: text,
                        labels: vec![content],
                    })
                }
            }
            self.top().key_pos = false;
            return end;
        }
        self.unlabel();
        // An HCL word is a reference (`var.x`) or a function name, not data.
        let reference =
            word && self.hcl && !self.all && !text.starts_with(|c: char| c.is_ascii_digit());
        // A scalar at the top of a JSON document has no key to classify it by.
        let root = self.stack.len() == 1 && !self.hcl;
        if !keyword && !reference && (root || self.value_hidden(start) || looks_secret(&text)) {
            self.out.push(content);
        }
        self.top().key_pos = false;
        end
    }

    /// A comment's text `body..end` is masked (a commented-out
    /// `# client_secret = "..."` is still a secret), except mcpguard's own
    /// directives. Returns where lexing resumes (`close` past the end).
    fn comment(&mut self, body: usize, end: usize, close: usize) -> usize {
        let text = String::from_utf8_lossy(&self.b[body..end]);
        let t = text.trim();
        if !t.is_empty() && !t.starts_with("mcpguard:") {
            self.out.push(body..end);
        }
        (end + close).min(self.b.len())
    }

    /// Labels that no `{` followed are not a block header: masked.
    fn unlabel(&mut self) {
        if let Some(b) = self.block.take() {
            self.out.extend(b.labels);
        }
    }

    fn value_hidden(&self, at: usize) -> bool {
        let f = self.stack.last().expect("root frame");
        self.lost
            || self.all
            || at >= self.error
            || f.hidden
            || (f.object && f.key.as_deref().is_none_or(sensitive_key))
    }

    fn push(&mut self, object: bool, hidden: bool) {
        let key_hidden = {
            let f = self.top();
            f.object && f.key.as_deref().is_some_and(sensitive_key)
        };
        if self.stack.len() >= MAX_NESTING {
            self.lost = true;
            return;
        }
        self.stack.push(Frame {
            object,
            hidden: hidden || key_hidden,
            key: None,
            key_pos: object,
        });
    }

    /// `,` or an HCL newline: the next token may be a key again.
    fn separate(&mut self) {
        let f = self.top();
        if f.object {
            f.key = None;
            f.key_pos = true;
        }
    }

    fn skip_line(&self, i: usize) -> usize {
        find(self.b, i, b"\n").unwrap_or(self.b.len())
    }

    fn skip_blanks(&self, mut i: usize) -> usize {
        while i < self.b.len() && matches!(self.b[i], b' ' | b'\t' | b'\r') {
            i += 1;
        }
        i
    }

    fn word_end(&self, mut i: usize) -> usize {
        while i < self.b.len() {
            let c = self.b[i];
            let word = c.is_ascii_alphanumeric() || b"_-.*+".contains(&c) || c >= 0x80;
            if !word {
                break;
            }
            i += 1;
        }
        i
    }

    /// End (past the closing quote) of a string whose content starts at `i`.
    /// HCL templates may nest strings inside `${ }`.
    fn skip_string(&self, mut i: usize, depth: usize) -> usize {
        while i < self.b.len() {
            match self.b[i] {
                b'\\' => i += 2,
                // A newline does not end an HCL string: the parser reads on
                // (and fails later), so the masker must too.
                b'"' => return i + 1,
                b'$' | b'%' if self.hcl && self.b.get(i + 1) == Some(&b'{') && depth < 32 => {
                    i = self.skip_template(i + 2, depth + 1);
                }
                _ => i += 1,
            }
        }
        self.b.len()
    }

    /// End of a `${ ... }` interpolation starting at `i`.
    fn skip_template(&self, mut i: usize, depth: usize) -> usize {
        let mut braces = 1;
        while i < self.b.len() {
            match self.b[i] {
                b'"' => i = self.skip_string(i + 1, depth),
                b'{' => {
                    braces += 1;
                    i += 1;
                }
                b'}' => {
                    braces -= 1;
                    i += 1;
                    if braces == 0 {
                        return i;
                    }
                }
                _ => i += 1,
            }
        }
        i
    }

    /// `<<EOT` / `<<-EOT` ... `EOT`: the body is one value.
    fn heredoc(&mut self, i: usize) -> usize {
        let mut s = i + 2;
        if self.b.get(s) == Some(&b'-') {
            s += 1;
        }
        let tag_end = self.word_end(s);
        if tag_end == s {
            return i + 2;
        }
        let tag = &self.b[s..tag_end];
        let body = self.skip_line(tag_end).min(self.b.len());
        let mut line = body + 1;
        let mut close = self.b.len();
        while line < self.b.len() {
            let e = self.skip_line(line);
            if self.b[line..e].trim_ascii() == tag {
                close = line;
                break;
            }
            line = e + 1;
        }
        if self.value_hidden(i)
            || looks_secret(&String::from_utf8_lossy(&self.b[body.min(close)..close]))
        {
            self.out.push(body.min(close)..close);
        }
        self.top().key_pos = false;
        close
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The excerpt of `text` at the first occurrence of `at`.
    fn excerpt(name: &str, text: &str, at: &str) -> String {
        let start = text.find(at).expect("marker in text");
        let (e, _) = Excerpt::new(name, text, start, 0, Masking::for_path(name));
        e.text().to_string()
    }

    fn assert_hidden(shown: &str, secrets: &[&str]) {
        for s in secrets {
            assert!(!shown.contains(s), "`{s}` shown in:\n{shown}");
        }
    }

    #[test]
    fn compact_plan_is_windowed_and_masked() {
        let plan = format!(
            r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[{{"address":"azurerm_container_group.a","values":{{"name":"{}","secure_environment_variables":{{"TOKEN":"PlanSecret1"}},"admin_password":"PlanSecret2","environment_variables":{{"A":"PlanSecret3"}}}}}}]}}}},"resource_changes":[{{"change":{{"after":{{"custom":"PlanSecret4"}},"after_sensitive":{{"custom":true}}}}}}],"variables":{{"db":{{"value":"PlanSecret5"}}}} @}}"#,
            "n".repeat(5000)
        );
        let shown = excerpt("plan.json", &plan, "@");
        assert!(shown.chars().count() <= WINDOW_COLUMNS + 3, "{shown}");
        assert!(shown.starts_with('…'));
        // Only the last 60 columns before the error are in the window.
        assert_hidden(&shown, &["PlanSecret5"]);
        for (i, s) in ["PlanSecret1", "PlanSecret2", "PlanSecret3"]
            .iter()
            .enumerate()
        {
            let at = plan.find(s).unwrap() + i;
            let (e, _) = Excerpt::new("plan.json", &plan, at, 0, Masking::Json);
            assert_hidden(e.text(), &[s]);
            assert!(e.text().contains("***"), "{}", e.text());
        }
    }

    #[test]
    fn json_values_at_plain_keys_are_shown_sensitive_ones_masked() {
        let arm = r#"[{"type": "Microsoft.ContainerInstance/containerGroups", "name": "mcp-github",
  "properties": {"containers": [{"properties": {"environmentVariables": [
    {"name": "GITHUB_TOKEN", "secureValue": "ArmSecret1"}, {"name": "MODE", "value": "ArmSecret2"}]}}],
  "password": "ArmSecret3", "conn": "Server=x;Password=ArmSecret4;", "osType": "Linux" } !
}]"#;
        let shown = excerpt("snapshot.json", arm, "!");
        assert_hidden(
            &shown,
            &["ArmSecret1", "ArmSecret2", "ArmSecret3", "ArmSecret4"],
        );
        assert!(shown.contains(r#""osType": "Linux""#), "{shown}");
        let shown = excerpt("snapshot.json", arm, "\"osType\"");
        assert_hidden(
            &shown,
            &["ArmSecret1", "ArmSecret2", "ArmSecret3", "ArmSecret4"],
        );
    }

    #[test]
    fn hcl_sensitive_values_and_unclassified_ones_are_masked() {
        let tf = r#"variable "db" {
  sensitive = true
  default   = "TfSecret1"
}
resource "azurerm_container_group" "mcp" {
  name     = "mcp-github"
  password = base64encode("TfSecret2")
  secure_environment_variables = { TOKEN = "TfSecret3" }
  custom_data = <<-EOT
    TfSecret4
  EOT
  note = "${var.a == "TfSecret5" ? 1 : 2}"
  label "TfSecret6"
}
"#;
        for line in tf.lines().filter(|l| !l.is_empty()) {
            let shown = excerpt("main.tf", tf, line);
            let secrets = [
                "TfSecret1",
                "TfSecret2",
                "TfSecret3",
                "TfSecret4",
                "TfSecret6",
            ];
            assert_hidden(&shown, &secrets);
        }
        let shown = excerpt("main.tf", tf, "  name");
        assert!(shown.contains(r#"resource "azurerm_container_group" "mcp" {"#));
        let shown = excerpt("main.tf", tf, "  password");
        assert!(shown.contains(r#"name     = "mcp-github""#), "{shown}");
    }

    #[test]
    fn comments_are_masked_but_directives_kept() {
        let tf = "# mcpguard:ignore MCP001 reason=\"x\"\n/* CommentSecret2 */ a = 1 // CommentSecret3\n# client_secret = \"CommentSecret1\"\n!";
        let shown = excerpt("main.tf", tf, "!");
        assert_eq!(shown, "#***\n***", "{shown}");
        let shown = excerpt("main.tf", tf, "a = 1");
        assert!(
            shown.starts_with("# mcpguard:ignore MCP001 reason=\"x\"\n"),
            "{shown}"
        );
    }

    #[test]
    fn tfvars_values_are_all_masked() {
        let vars = "location = \"westeurope\"\nmcp_token = \"VarsSecret1\"\ntags = { a = \"VarsSecret2\" } !\n";
        let shown = excerpt("prod.tfvars", vars, "!");
        assert_hidden(&shown, &["westeurope", "VarsSecret1", "VarsSecret2"]);
        assert!(shown.contains("mcp_token = \"***\""), "{shown}");
    }

    #[test]
    fn values_past_the_error_are_masked() {
        let text = r#"{"name": "a" "b": "AfterSecret1"}"#;
        let shown = excerpt("x.json", text, r#""b""#);
        assert_hidden(&shown, &["AfterSecret1"]);
        assert!(shown.contains(r#""name": "a""#), "{shown}");
    }

    #[test]
    fn credential_shaped_strings_are_masked_anywhere() {
        for s in [
            "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc==",
            "https://user:pa55@example.com/x",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
            "-----BEGIN PRIVATE KEY-----",
        ] {
            assert!(looks_secret(s), "{s}");
        }
        for s in [
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
            "Microsoft.ContainerInstance/containerGroups",
            "1f0e9d8c-7b6a-5f4e-3d2c-1b0a9f8e7d6c",
            "https://mcp.example.com/github",
            "module.mcp_servers.azurerm_container_group.github_server_01",
        ] {
            assert!(!looks_secret(s), "{s}");
        }
    }

    #[test]
    fn rule_files_are_windowed_but_not_masked() {
        let rule = format!(r#"{{"x": "{}", "effect": "Dney"}}"#, "y".repeat(400));
        let at = rule.find("Dney").unwrap();
        let (e, span) = Excerpt::new("r.json", &rule, at, 6, Masking::None);
        assert!(e.text().contains(r#""effect": "Dney""#), "{}", e.text());
        assert!(e.text().chars().count() <= WINDOW_COLUMNS);
        assert_eq!(&e.text()[span.offset()..span.offset() + 4], "Dney");
    }

    #[test]
    fn control_characters_are_not_passed_to_the_terminal() {
        let text = "{\"a\": \"x\u{1b}[2J\u{202e}y\" ?}";
        let shown = excerpt("x.json", text, "?");
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{202e}'),
            "{shown:?}"
        );
    }

    #[test]
    fn deep_nesting_masks_instead_of_recursing() {
        let text = format!(
            "{}\"DeepSecret\"{} !",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let shown = excerpt("x.json", &text, "!");
        assert_hidden(&shown, &["DeepSecret"]);
    }
}
