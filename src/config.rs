//! `.mcpguard.hcl`, the project's config, in tflint's conventions:
//!
//! ```hcl
//! fail_on     = "high"          # low | medium | high | critical
//! unknown     = "warn"          # warn | fail
//! environment = "production"    # marks the scanned environment (MCP011)
//! detect {                      # how an untagged MCP server is recognised
//!   image_words           = ["mcp"]
//!   environment_variables = ["MCP_SERVER_NAME"]
//! }
//! rule "MCP002" {
//!   approved_subnet_ids = ["module.network.azurerm_subnet.mcp"]
//! }
//! rule "MCP003" { enabled = false }
//! ignore "MCP009" {
//!   resource = "azurerm_container_group.legacy*"   # an address glob
//!   reason   = "registry migration, ticket OPS-112"
//!   expires  = "2027-01-31"
//! }
//! ```
//!
//! It is read from `--config FILE` or `./.mcpguard.hcl`, never from a home
//! directory. Unknown keys are errors: a misspelt setting must not be ignored.

use std::collections::BTreeMap;
use std::path::Path as FsPath;

use hcl::edit::structure::{Block, BlockLabel, Body};
use hcl::edit::Span;
use serde_json::Value;

use crate::findings::Severity;
use crate::input::InputError;
use crate::inventory::facts::Detection;

/// What `unknown` findings do to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UnknownMode {
    /// Reported, but the exit code ignores them.
    Warn,
    /// Counted as failures for the exit code.
    Fail,
}

/// One `rule "ID" { … }` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleConfig {
    pub enabled: Option<bool>,
    /// Every other attribute: a rule parameter, fed to `parameters()`.
    pub params: BTreeMap<String, Value>,
    pub line: u32,
}

/// One `ignore "ID[,ID]" { … }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIgnore {
    pub rules: Vec<String>,
    /// Address glob (`*` any run of characters); `None` = every resource.
    pub resource: Option<String>,
    pub reason: Option<String>,
    pub expires: Option<String>,
    pub line: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file it was read from, if any.
    pub path: Option<String>,
    pub fail_on: Option<Severity>,
    pub unknown: Option<UnknownMode>,
    pub environment: Option<String>,
    pub detect: Detection,
    pub rules: BTreeMap<String, RuleConfig>,
    pub ignores: Vec<ConfigIgnore>,
}

pub const DEFAULT_FILE: &str = ".mcpguard.hcl";

/// Parses an `expires` date (`YYYY-MM-DD`): the one format of config `ignore`
/// blocks and inline comments alike, so the suppression stage reads both with it.
pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

impl Config {
    /// `--config FILE` if given (must exist), else `./.mcpguard.hcl` if present.
    pub fn discover(explicit: Option<&FsPath>) -> Result<Config, InputError> {
        match explicit {
            Some(p) => Config::load(p),
            None => {
                let p = FsPath::new(DEFAULT_FILE);
                // Anything at that name is read (and a FIFO, a directory or a
                // dangling symlink refused): a config swapped for one must not
                // silently turn into the defaults.
                if std::fs::symlink_metadata(p).is_ok() {
                    Config::load(p)
                } else {
                    Ok(Config::default())
                }
            }
        }
    }

    pub fn load(path: &FsPath) -> Result<Config, InputError> {
        let text = crate::input::read_text(path)?;
        Config::parse(&path.display().to_string(), &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<Config, InputError> {
        let body: Body = hcl::edit::parser::parse_body(text).map_err(|e| {
            let loc = e.location();
            InputError::new(path, format!("invalid HCL: {}", e.message())).at(
                text,
                loc.line(),
                loc.column(),
                "here",
            )
        })?;
        let p = Parser { path, text };
        let mut cfg = Config {
            path: Some(path.to_string()),
            ..Config::default()
        };
        for attr in body.attributes() {
            let key = attr.key.as_str();
            let span = attr.span();
            let v = p.value(&attr.value, span.clone())?;
            match key {
                "fail_on" => cfg.fail_on = Some(p.severity(&v, span)?),
                "unknown" => {
                    cfg.unknown = Some(match v.as_str() {
                        Some("warn") => UnknownMode::Warn,
                        Some("fail") => UnknownMode::Fail,
                        _ => return Err(p.err(span, "`unknown` must be \"warn\" or \"fail\"")),
                    })
                }
                "environment" => cfg.environment = Some(p.string(&v, span, "environment")?),
                other => return Err(p.err(span, format!("unknown setting `{other}`"))
                    .with_help(teach(other, &["fail_on", "unknown", "environment"], "top-level settings are fail_on, unknown, environment; blocks are detect, rule, ignore"))),
            }
        }
        for block in body.blocks() {
            match block.ident.as_str() {
                "rule" => {
                    let id = p.one_label(block)?;
                    let rc = p.rule(block)?;
                    if cfg.rules.insert(id.clone(), rc).is_some() {
                        return Err(p.err(block.span(), format!("rule `{id}` is configured twice")));
                    }
                }
                "ignore" => {
                    let label = p.one_label(block)?;
                    cfg.ignores.push(p.ignore(block, &label)?);
                }
                "detect" => cfg.detect = p.detect(block)?,
                other => {
                    return Err(p
                        .err(block.span(), format!("unknown block `{other}`"))
                        .with_help(teach(
                            other,
                            &["detect", "rule", "ignore"],
                            "blocks are detect, rule \"ID\" and ignore \"ID\"",
                        )))
                }
            }
        }
        Ok(cfg)
    }

    /// Line of a rule's config block, for diagnostics that point at it.
    pub fn rule_line(&self, id: &str) -> Option<u32> {
        self.rules.get(id).map(|r| r.line)
    }
}

/// The help for an unknown key: the nearest valid one first, then all of them.
fn teach(key: &str, valid: &[&str], all: &str) -> String {
    match crate::input::did_you_mean(key, valid) {
        Some(d) => format!("{d} ({all})"),
        None => all.to_string(),
    }
}

struct Parser<'a> {
    path: &'a str,
    text: &'a str,
}

impl Parser<'_> {
    fn err(&self, span: Option<std::ops::Range<usize>>, msg: impl Into<String>) -> InputError {
        let e = InputError::new(self.path, msg);
        match span {
            Some(r) => e.at_span(self.text, r.start, r.end.saturating_sub(r.start), "here"),
            None => e,
        }
    }

    fn line(&self, span: Option<std::ops::Range<usize>>) -> u32 {
        span.map(|r| {
            self.text[..r.start.min(self.text.len())]
                .matches('\n')
                .count() as u32
                + 1
        })
        .unwrap_or(0)
    }

    /// Evaluates a literal expression (no variables or functions in config).
    fn value(
        &self,
        expr: &hcl::edit::expr::Expression,
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Value, InputError> {
        use hcl::eval::{Context, Evaluate};
        let e: hcl::Expression = expr.clone().into();
        let v = e
            .evaluate(&Context::new())
            .map_err(|err| self.err(span.clone(), format!("value must be a literal: {err}")))?;
        serde_json::to_value(v).map_err(|err| self.err(span, format!("unsupported value: {err}")))
    }

    fn string(
        &self,
        v: &Value,
        span: Option<std::ops::Range<usize>>,
        what: &str,
    ) -> Result<String, InputError> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| self.err(span, format!("`{what}` must be a string")))
    }

    fn strings(
        &self,
        v: &Value,
        span: Option<std::ops::Range<usize>>,
        what: &str,
    ) -> Result<Vec<String>, InputError> {
        v.as_array()
            .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect())
            .ok_or_else(|| self.err(span, format!("`{what}` must be a list of strings")))
    }

    fn severity(
        &self,
        v: &Value,
        span: Option<std::ops::Range<usize>>,
    ) -> Result<Severity, InputError> {
        v.as_str().and_then(Severity::parse).ok_or_else(|| {
            self.err(
                span,
                "`fail_on` must be one of \"low\", \"medium\", \"high\", \"critical\"",
            )
        })
    }

    fn one_label(&self, block: &Block) -> Result<String, InputError> {
        match block.labels.as_slice() {
            [l] => Ok(match l {
                BlockLabel::Ident(i) => i.as_str().to_string(),
                BlockLabel::String(s) => s.as_str().to_string(),
            }),
            _ => Err(self.err(
                block.span(),
                format!(
                    "`{}` block needs exactly one label, e.g. {} \"MCP002\" {{ … }}",
                    block.ident.as_str(),
                    block.ident.as_str()
                ),
            )),
        }
    }

    fn no_blocks(&self, block: &Block) -> Result<(), InputError> {
        match block.body.blocks().next() {
            Some(b) => Err(self.err(
                b.span(),
                format!("unexpected block `{}` here", b.ident.as_str()),
            )),
            None => Ok(()),
        }
    }

    fn rule(&self, block: &Block) -> Result<RuleConfig, InputError> {
        self.no_blocks(block)?;
        let mut rc = RuleConfig {
            line: self.line(block.span()),
            ..RuleConfig::default()
        };
        for attr in block.body.attributes() {
            let span = attr.span();
            let v = self.value(&attr.value, span.clone())?;
            if attr.key.as_str() == "enabled" {
                rc.enabled = Some(
                    v.as_bool()
                        .ok_or_else(|| self.err(span, "`enabled` must be true or false"))?,
                );
            } else {
                rc.params.insert(attr.key.as_str().to_string(), v);
            }
        }
        Ok(rc)
    }

    fn ignore(&self, block: &Block, label: &str) -> Result<ConfigIgnore, InputError> {
        self.no_blocks(block)?;
        let mut ig = ConfigIgnore {
            rules: label
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            resource: None,
            reason: None,
            expires: None,
            line: self.line(block.span()),
        };
        for attr in block.body.attributes() {
            let span = attr.span();
            let v = self.value(&attr.value, span.clone())?;
            match attr.key.as_str() {
                "resource" => ig.resource = Some(self.string(&v, span, "resource")?),
                "reason" => ig.reason = Some(self.string(&v, span, "reason")?),
                "expires" => {
                    let s = self.string(&v, span.clone(), "expires")?;
                    if parse_date(&s).is_none() {
                        return Err(self.err(
                            span,
                            format!("`expires` must be a date YYYY-MM-DD, got `{s}`"),
                        ));
                    }
                    ig.expires = Some(s);
                }
                other => {
                    return Err(self
                        .err(span, format!("unknown setting `{other}` in ignore block"))
                        .with_help(teach(
                            other,
                            &["resource", "reason", "expires"],
                            "an ignore block takes resource, reason and expires",
                        )))
                }
            }
        }
        Ok(ig)
    }

    fn detect(&self, block: &Block) -> Result<Detection, InputError> {
        self.no_blocks(block)?;
        let mut d = Detection::default();
        for attr in block.body.attributes() {
            let span = attr.span();
            let v = self.value(&attr.value, span.clone())?;
            match attr.key.as_str() {
                "image_words" => d.image_words = self.strings(&v, span, "image_words")?,
                "environment_variables" => {
                    d.env_vars = self.strings(&v, span, "environment_variables")?
                }
                other => {
                    return Err(self
                        .err(span, format!("unknown setting `{other}` in detect block"))
                        .with_help(teach(
                            other,
                            &["image_words", "environment_variables"],
                            "a detect block takes image_words and environment_variables",
                        )))
                }
            }
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let text = r#"
fail_on = "high"
environment = "production"
detect {
  image_words = ["mcp", "modelcontext"]
}
rule "MCP002" {
  approved_subnet_ids = ["module.network.azurerm_subnet.mcp", "/subscriptions/*/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"]
}
rule "MCP003" { enabled = false }
ignore "MCP009,MCP001" {
  resource = "azurerm_container_group.legacy"
  reason   = "registry migration, ticket OPS-112"
  expires  = "2027-01-31"
}
"#;
        let c = Config::parse(".mcpguard.hcl", text).unwrap();
        assert_eq!(c.fail_on, Some(Severity::High));
        assert_eq!(c.detect.image_words, vec!["mcp", "modelcontext"]);
        assert_eq!(c.detect.env_vars, vec!["MCP_SERVER_NAME"]);
        assert_eq!(c.rules["MCP003"].enabled, Some(false));
        assert_eq!(
            c.rules["MCP002"].params["approved_subnet_ids"][0],
            "module.network.azurerm_subnet.mcp"
        );
        assert_eq!(c.rules["MCP002"].line, 7);
        assert_eq!(c.ignores[0].rules, vec!["MCP009", "MCP001"]);
        assert_eq!(c.ignores[0].line, 11);
    }

    #[test]
    fn rejects_bad_config_with_location() {
        for (text, want) in [
            ("fail_on = \"severe\"", "must be one of"),
            ("failon = \"high\"", "unknown setting `failon`"),
            ("rule { enabled = false }", "exactly one label"),
            (
                "rule \"MCP001\" { enabled = \"no\" }",
                "`enabled` must be true or false",
            ),
            ("ignore \"MCP001\" { expires = \"soon\" }", "must be a date"),
            (
                "ignore \"MCP001\" { reasn = \"x\" }",
                "unknown setting `reasn`",
            ),
            ("rule \"MCP001\" {", "invalid HCL"),
            ("rules \"MCP001\" {}", "unknown block `rules`"),
            ("fail_on = var.x", "literal"),
        ] {
            let e = Config::parse("c.hcl", text).unwrap_err();
            assert!(e.message.contains(want), "{text}: {}", e.message);
            assert_eq!(e.path, "c.hcl");
        }
        for (text, help) in [
            ("failon = \"high\"", "did you mean `fail_on`?"),
            (
                "ignore \"MCP001\" { reasn = \"x\" }",
                "did you mean `reason`?",
            ),
            ("detect { image_word = [] }", "did you mean `image_words`?"),
            ("rules \"MCP001\" {}", "did you mean `rule`?"),
        ] {
            let e = Config::parse("c.hcl", text).unwrap_err();
            assert!(
                e.help.as_deref().unwrap_or("").starts_with(help),
                "{text}: {:?}",
                e.help
            );
        }
    }
}
