//! Suppression: inline `# mcpguard:ignore` comments, config `ignore` blocks and
//! baselines turn failures into `suppressed` findings.

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

/// Parses an `expires` date (`YYYY-MM-DD`).
pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}
