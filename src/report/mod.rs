//! Reports: one module per output format. Every format reads only the
//! [`Report`] and the rules' metadata ([`RuleMeta`], for remediation text and
//! doc links), both from `findings`: reports never look at inputs, the
//! inventory, the policy language or the engine (`tests/architecture.rs`).

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod rules;
pub mod sarif;
pub mod table;

use crate::findings::{Finding, Location, Report, RuleMeta, Severity, Status};

/// An output format, as `--format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
#[value(rename_all = "lower")]
pub enum Format {
    /// A human table, grouped by severity, then a one-line summary.
    Table,
    /// The `mcpguard/report/v1` JSON contract (documented in src/report/json.rs).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and Azure DevOps.
    Sarif,
    /// JUnit XML: a testsuite per rule, a testcase per evaluated resource.
    Junit,
    /// GitHub Actions annotations (`::error file=…,line=…,title=MCP004::…`).
    Github,
    /// A pull-request comment / step summary.
    Markdown,
    /// A self-contained HTML audit report.
    Html,
}

impl Format {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Github => "github",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }

    /// Whether a report of this format is one whole document (JSON, SARIF,
    /// XML, HTML) that breaks when anything else is written beside it; the
    /// table, annotations and Markdown are lines a reader can tell apart.
    pub fn is_document(self) -> bool {
        matches!(
            self,
            Format::Json | Format::Sarif | Format::Junit | Format::Html
        )
    }

    /// The format a file name suggests (`x.sarif` → sarif), for help texts.
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let ext = name.rsplit('.').next()?;
        match ext {
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "xml" => Some(Format::Junit),
            "md" => Some(Format::Markdown),
            "html" | "htm" => Some(Format::Html),
            "txt" => Some(Format::Table),
            _ => None,
        }
    }

    /// The file name a report of this format gets under `--output-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Table => "mcpguard.txt",
            Format::Json => "mcpguard.json",
            Format::Sarif => "mcpguard.sarif",
            Format::Junit => "mcpguard-junit.xml",
            Format::Github => "mcpguard-annotations.txt",
            Format::Markdown => "mcpguard.md",
            Format::Html => "mcpguard.html",
        }
    }
}

/// Checks, before scanning, that a report can be written to `path`: an
/// unwritable `--output` is an exit-2 error up front, not after the work.
/// An existing file is left untouched; a file this check creates is removed.
#[allow(clippy::result_large_err)] // InputError is the crate's input diagnostic
pub fn preflight_output(path: &std::path::Path) -> Result<(), crate::input::InputError> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(crate::input::InputError::new(
            &shown,
            "cannot write the report: this is a directory",
        ));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| {
            crate::input::InputError::new(
                &shown,
                format!("cannot write the report: {}", e.to_string().to_lowercase()),
            )
        })?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// How a report is rendered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colour (the caller decides: a terminal and no `NO_COLOR`).
    pub color: bool,
    /// The errors were already shown, as diagnostics on standard error: the
    /// human table then counts them instead of printing each a second time.
    pub errors_on_stderr: bool,
    /// `--include-passed`: the JSON report lists every passing pair.
    pub include_passed: bool,
    /// Columns the table may use (`None`: [`table::DEFAULT_WIDTH`]).
    pub width: Option<u16>,
}

/// Renders `report` in `format`. `rules` is the metadata of the rules that were
/// enabled for the scan (formats that document rules list them all).
pub fn render(format: Format, report: &Report, rules: &[RuleMeta], opts: &RenderOptions) -> String {
    match format {
        Format::Table => table::render(report, opts),
        Format::Json => json::render(report, opts.include_passed),
        Format::Sarif => sarif::render(report, rules),
        Format::Junit => junit::render(report, rules),
        Format::Github => github::render(report),
        Format::Markdown => markdown::render(report, rules),
        Format::Html => html::render(report, rules),
    }
}

/// Severities from the most to the least severe: the order reports group in.
pub const SEVERITIES_DESC: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// The wire name of a status (`fail`, `unknown`, `suppressed`).
pub fn status_str(status: Status) -> &'static str {
    match status {
        Status::Fail => "fail",
        Status::Unknown => "unknown",
        Status::Suppressed => "suppressed",
    }
}

/// `file:line`, `file`, or `None` when the finding has no source location.
pub fn location_text(location: Option<&Location>) -> Option<String> {
    location.map(|l| match l.line {
        Some(line) => format!("{}:{line}", l.file),
        None => l.file.clone(),
    })
}

/// Findings grouped by severity, most severe first; the report's order
/// (rule id, address) is kept inside a group. Empty groups are left out.
pub fn by_severity(report: &Report) -> Vec<(Severity, Vec<&Finding>)> {
    SEVERITIES_DESC
        .iter()
        .map(|&sev| {
            (
                sev,
                report
                    .findings
                    .iter()
                    .filter(|f| f.severity == sev)
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, fs)| !fs.is_empty())
        .collect()
}

/// The metadata of rule `id`, if it was passed in.
pub fn rule_meta<'a>(rules: &'a [RuleMeta], id: &str) -> Option<&'a RuleMeta> {
    rules.iter().find(|r| r.id == id)
}

/// Whether `id` is a built-in rule id (`MCP` and three digits): only those have
/// a page under `docs/rules/`.
pub fn is_builtin_id(id: &str) -> bool {
    id.len() == 6 && id.starts_with("MCP") && id[3..].bytes().all(|b| b.is_ascii_digit())
}

/// The documentation link of a rule: its own `helpUri` if it has one, else for
/// a built-in rule the page of the release this binary was built from.
pub fn help_uri(meta: &RuleMeta, version: &str) -> Option<String> {
    meta.help_uri.clone().or_else(|| {
        is_builtin_id(&meta.id).then(|| crate::findings::rule_doc_url(&meta.id, version))
    })
}

/// An evidence value as text: strings bare, anything else as compact JSON.
pub fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Escapes text for XML and HTML. In an attribute, newlines and tabs become
/// character references so parsers do not normalise them to spaces. Control
/// characters XML 1.0 cannot carry at all become U+FFFD.
pub fn escape_xml(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' if attribute => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\r' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `n thing` / `n things`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The one-line summary every human format shows:
/// `12 resources, 10 rules: 3 failed, 1 unknown, 0 suppressed`.
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    format!(
        "{}, {}: {} failed, {} unknown, {} suppressed",
        plural(s.resources, "resource"),
        plural(s.rules, "rule"),
        s.fail,
        s.unknown,
        s.suppressed
    )
}

/// The versions a reader needs to compare two reports, as every format
/// prints them: `mcpguard 0.1.0 · report mcpguard/report/v1 · rule pack
/// 0.1.0 (16 rules)`. The JSON report carries the same as `schema`, `tool`
/// and `rule_pack`.
pub fn versions_line(report: &Report) -> String {
    let mut line = format!(
        "{} {} · report {}",
        report.tool.name, report.tool.version, report.schema
    );
    if let Some(pack) = &report.rule_pack {
        let builtin = match &pack.builtin {
            Some(v) => format!("rule pack {v}"),
            None => "no built-in rule pack".to_string(),
        };
        let dirs = match pack.dirs.len() {
            0 => String::new(),
            1 => " + 1 rule directory".to_string(),
            n => format!(" + {n} rule directories"),
        };
        line.push_str(&format!(
            " · {builtin}{dirs} ({})",
            plural(pack.rules, "rule")
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_ids_and_help_uri() {
        assert!(is_builtin_id("MCP004"));
        assert!(!is_builtin_id("MCP04"));
        assert!(!is_builtin_id("deny-public-ip"));
        assert!(!is_builtin_id("MCPé12"));
        let meta = RuleMeta {
            id: "MCP004".into(),
            severity: Severity::High,
            title: "t".into(),
            description: String::new(),
            remediation: String::new(),
            message: None,
            references: vec![],
            applies_to: vec![],
            help_uri: None,
            tags: vec![],
        };
        assert_eq!(
            help_uri(&meta, "1.2.3").as_deref(),
            Some(format!("{}/blob/v1.2.3/docs/rules/MCP004.md", crate::findings::HOME).as_str())
        );
        let custom = RuleMeta {
            id: "no-public".into(),
            ..meta.clone()
        };
        assert_eq!(help_uri(&custom, "1.2.3"), None);
        let linked = RuleMeta {
            help_uri: Some("https://example.test/r".into()),
            ..custom
        };
        assert_eq!(
            help_uri(&linked, "1").as_deref(),
            Some("https://example.test/r")
        );
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_xml("a<b>&\"c'", false),
            "a&lt;b&gt;&amp;&quot;c&#39;"
        );
        assert_eq!(escape_xml("x\ny\u{1}", false), "x\ny\u{FFFD}");
        assert_eq!(escape_xml("x\ny\tz", true), "x&#10;y&#9;z");
    }

    #[test]
    fn preflight_catches_unwritable_outputs() {
        let dir = std::env::temp_dir().join(format!("mcpguard-preflight-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let fresh = dir.join("out.sarif");
        assert!(preflight_output(&fresh).is_ok());
        assert!(!fresh.exists(), "the check leaves no file behind");
        std::fs::write(&fresh, "keep").expect("write");
        assert!(preflight_output(&fresh).is_ok());
        assert_eq!(
            std::fs::read_to_string(&fresh).ok().as_deref(),
            Some("keep")
        );
        let e = preflight_output(&dir.join("missing/out.sarif")).expect_err("no such dir");
        assert!(
            e.message.starts_with("cannot write the report: "),
            "{}",
            e.message
        );
        assert!(preflight_output(&dir).is_err(), "a directory");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn format_names_are_the_cli_contract() {
        use clap::ValueEnum;
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        assert_eq!(
            names,
            ["table", "json", "sarif", "junit", "github", "markdown", "html"]
        );
        for f in Format::value_variants() {
            assert_eq!(
                f.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .as_deref(),
                Some(f.name())
            );
        }
        assert_eq!(
            Format::from_extension(std::path::Path::new("out/x.SARIF")),
            Some(Format::Sarif)
        );
        assert_eq!(Format::from_extension(std::path::Path::new("x")), None);
    }

    #[test]
    fn file_names_are_distinct() {
        use clap::ValueEnum;
        let mut names: Vec<&str> = Format::value_variants()
            .iter()
            .map(|f| f.file_name())
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Format::value_variants().len());
    }

    #[test]
    fn summary_line_pluralises() {
        let mut r = Report::new();
        r.summary.resources = 1;
        r.summary.rules = 10;
        r.summary.fail = 3;
        assert_eq!(
            summary_line(&r),
            "1 resource, 10 rules: 3 failed, 0 unknown, 0 suppressed"
        );
    }
}
