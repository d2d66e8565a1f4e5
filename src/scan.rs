//! One scan, end to end: rules and inputs in, a finished [`Report`] out.
//! `main.rs` only parses arguments, calls this, renders and maps the exit code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path as FsPath, PathBuf};

use serde_json::Value;

use crate::config::{Config, UnknownMode};
use crate::engine::{self, ActiveRule};
use crate::findings::{InputInfo, Report, ReportError, SkippedRule, Status, Warning};
use crate::input::{self, InlineIgnore, InputError, InputKind};
use crate::inventory::facts::Detection;
use crate::inventory::{Inventory, Resource};
use crate::load::{self, Detected};
use crate::policy::{self, Rule};
use crate::preflight;
use crate::suppress;

/// Everything a scan needs besides the inputs.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub config: Config,
    /// `--rules DIR`: more rule files (mcpguard's or Azure definitions).
    pub rules_dirs: Vec<PathBuf>,
    /// `--only ID,...` / `--skip ID,...`
    pub only: Vec<String>,
    pub skip: Vec<String>,
    /// `--var-file`, `--var` for Terraform source.
    pub var_files: Vec<PathBuf>,
    pub vars: Vec<(String, String)>,
    /// `--subscription`: where Terraform input deploys when its provider block
    /// and `ARM_SUBSCRIPTION_ID` do not say.
    pub subscription: Option<String>,
    /// `--root DIR`: Terraform source is read only inside this tree.
    pub root: Option<PathBuf>,
    /// Today, for ignore expiry (injected so tests are stable).
    pub today: Option<time::Date>,
    /// `--preflight off`: do not evaluate the policies the input itself deploys.
    pub no_preflight: bool,
}

/// The rules of a scan, ready to run, and what could not be used.
pub struct RuleSet {
    pub active: Vec<ActiveRule>,
    pub skipped: Vec<SkippedRule>,
    pub warnings: Vec<Warning>,
}

/// A problem that stops the scan before any input is read: a bad rule file,
/// a bad rule parameter in the config. Exit code 2.
pub type Fatal = miette::Report;

/// Loads the built-in pack plus `--rules` directories and applies the config
/// (`enabled`, parameters) and `--only`/`--skip`.
pub fn load_rules(opts: &ScanOptions) -> Result<RuleSet, Fatal> {
    let mut rules: Vec<Rule> = policy::builtin_rules().map_err(miette::Report::new)?;
    let mut skipped = Vec::new();
    for dir in &opts.rules_dirs {
        if !dir.is_dir() {
            return Err(miette::miette!(
                "{}: --rules needs a directory",
                dir.display()
            ));
        }
        let (more, errors, skip) = policy::load_rules_dir(dir);
        if let Some(e) = errors.into_iter().next() {
            return Err(miette::Report::new(e));
        }
        rules.extend(more);
        skipped.extend(skip);
    }
    let mut seen = BTreeSet::new();
    for r in &rules {
        if !seen.insert(r.meta.id.clone()) {
            return Err(miette::miette!(
                "{}: rule id `{}` is defined twice",
                r.file,
                r.meta.id
            ));
        }
    }
    let cfg = &opts.config;
    for id in cfg.rules.keys() {
        if !seen.contains(id) {
            return Err(miette::miette!(
                "{}:{}: `rule \"{id}\"` names no known rule",
                cfg.path.as_deref().unwrap_or(crate::config::DEFAULT_FILE),
                cfg.rule_line(id).unwrap_or(0)
            ));
        }
    }
    // A misspelt id would run nothing (or everything) and exit 0.
    for (flag, ids) in [("--only", &opts.only), ("--skip", &opts.skip)] {
        if let Some(id) = ids
            .iter()
            .find(|id| !seen.iter().any(|s| s.eq_ignore_ascii_case(id)))
        {
            return Err(miette::miette!(
                "{flag} `{id}`: no loaded rule has this id; `mcpguard rules list` shows them"
            ));
        }
    }
    let wanted = |id: &str| {
        (opts.only.is_empty() || opts.only.iter().any(|o| o.eq_ignore_ascii_case(id)))
            && !opts.skip.iter().any(|s| s.eq_ignore_ascii_case(id))
    };
    let mut active = Vec::new();
    let mut warnings = Vec::new();
    for rule in rules {
        let rc = cfg.rules.get(&rule.meta.id);
        if rc.and_then(|c| c.enabled) == Some(false) || !wanted(&rule.meta.id) {
            continue;
        }
        let mut overrides = rc.map(|c| c.params.clone()).unwrap_or_default();
        // preflight (MCP011): a rule that declares a parameter `environment`
        // receives the config's `environment` unless its rule block sets one.
        if let Some(env) = &cfg.environment {
            if rule.parameters.contains_key("environment") {
                overrides
                    .entry("environment".to_string())
                    .or_insert_with(|| Value::String(env.clone()));
            }
        }
        let params = rule.resolve_params(&overrides).map_err(|e| {
            miette::miette!(
                "{}:{}: rule \"{}\": {e}",
                cfg.path.as_deref().unwrap_or(crate::config::DEFAULT_FILE),
                rc.map(|c| c.line).unwrap_or(0),
                rule.meta.id
            )
        })?;
        for (name, def) in &rule.parameters {
            let empty = params
                .0
                .get(name)
                .is_none_or(|v| v.as_array().is_some_and(|a| a.is_empty()));
            if empty && def.kind.eq_ignore_ascii_case("array") && name.ends_with("_ids") {
                warnings.push(Warning {
                    source: rule.meta.id.clone(),
                    message: format!(
                        "parameter `{name}` is unset: {} checks only what it can without it",
                        rule.meta.id
                    ),
                });
            }
        }
        let effect = rule
            .effect(&params)
            .map_err(|e| miette::miette!("{}: rule `{}`: {e}", rule.file, rule.meta.id))?;
        active.push(ActiveRule {
            rule,
            params,
            effect,
            scope: None,
        });
    }
    Ok(RuleSet {
        active,
        skipped,
        warnings,
    })
}

/// What reading the inputs produced.
#[derive(Default)]
pub struct Loaded {
    pub inventory: Inventory,
    pub inputs: Vec<InputInfo>,
    pub errors: Vec<InputError>,
    pub ignores: Vec<InlineIgnore>,
    /// Errors carried inside inputs (a snapshot of an incomplete sweep).
    pub carried_errors: Vec<ReportError>,
}

/// Reads every input into one inventory. An input that fails is recorded and
/// the others are still read.
pub fn load_inputs(paths: &[PathBuf], opts: &ScanOptions) -> Loaded {
    let mut out = Loaded::default();
    let mut resources: Vec<Resource> = Vec::new();
    for p in paths {
        let shown = p.display().to_string();
        if p.as_os_str() == "-" {
            if let Some(kind) = stdin_device() {
                out.errors.push(InputError::new(
                    "-",
                    format!("standard input is {kind}; pipe a plan or snapshot into it"),
                ));
                continue;
            }
            let buf = match load::read_bounded(std::io::stdin()) {
                Ok(b) if b.len() as u64 > load::MAX_INPUT_BYTES => {
                    out.errors.push(InputError::new(
                        "-",
                        format!(
                            "standard input is over the {} MiB input limit",
                            load::MAX_INPUT_BYTES >> 20
                        ),
                    ));
                    continue;
                }
                Ok(b) => b,
                Err(e) => {
                    out.errors.push(InputError::new(
                        "-",
                        format!("cannot read standard input: {e}"),
                    ));
                    continue;
                }
            };
            match load::decode("-", buf) {
                Ok(text) => load_json_text("-", text, opts, &mut out, &mut resources),
                Err(e) => out.errors.push(e),
            }
            continue;
        }
        // A dangling symlink or a loop "does not exist" for `exists()`; it
        // is read below, which names it.
        if std::fs::symlink_metadata(p).is_err() {
            out.errors
                .push(InputError::new(&shown, "no such file or directory"));
            continue;
        }
        match load::detect(p, None) {
            Detected::Terraform => {
                let hcl_opts = load::hcl::HclOptions {
                    var_files: opts.var_files.clone(),
                    vars: opts.vars.clone(),
                    root: opts.root.clone(),
                };
                let o = load::hcl::load(p, &hcl_opts);
                out.inputs
                    .push(InputInfo::new(&shown, InputKind::Terraform));
                out.errors.extend(o.errors);
                out.ignores.extend(o.ignores);
                let mut model = o.model;
                model.subscription_id = model.subscription_id.or(opts.subscription.clone());
                let (rs, notes) = load::azurerm::translate(model, InputKind::Terraform);
                resources.extend(rs);
                out.inventory.notes.extend(notes);
            }
            _ => match input::read_text(p) {
                Ok(text) => load_json_text(&shown, text, opts, &mut out, &mut resources),
                Err(e) => out.errors.push(e),
            },
        }
    }
    for r in resources {
        out.inventory.push(r);
    }
    compute_facts(&mut out.inventory, &opts.config.detect);
    out
}

/// Every fact of a loaded inventory: the inventory's own, then the governance
/// facts MCP013 reads, which preflight owns (it reads policy definitions and
/// assignments as ARM will) and hands to the inventory.
pub fn compute_facts(inv: &mut Inventory, detect: &Detection) {
    inv.compute_facts(detect);
    preflight::governance_facts(inv);
}

/// Standard input that is a device (`< /dev/zero`, a terminal) would never
/// end or wait for typing: refused, as any non-regular input file is.
fn stdin_device() -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::FileTypeExt;
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let t = std::fs::File::from(fd).metadata().ok()?.file_type();
        if t.is_char_device() || t.is_block_device() {
            return Some("a device or a terminal");
        }
    }
    None
}

/// Reads one JSON input. It takes the text so that a plan's text (the
/// largest thing a scan holds) is freed as soon as it is parsed, before the
/// translation builds the documents.
fn load_json_text(
    shown: &str,
    text: String,
    opts: &ScanOptions,
    out: &mut Loaded,
    resources: &mut Vec<Resource>,
) {
    match load::detect(FsPath::new(shown), Some(&text)) {
        Detected::Plan => match load::plan::load(shown, &text) {
            Ok(mut model) => {
                drop(text);
                model.subscription_id = model.subscription_id.or(opts.subscription.clone());
                out.inputs.push(InputInfo::new(shown, InputKind::Plan));
                let (rs, notes) = load::azurerm::translate(model, InputKind::Plan);
                resources.extend(rs);
                out.inventory.notes.extend(notes);
            }
            Err(e) => out.errors.push(e),
        },
        _ => match load::arm::load(shown, &text) {
            Ok(o) => {
                out.inputs.push(InputInfo::new(shown, InputKind::Arm));
                resources.extend(o.resources);
                out.errors.extend(o.errors);
                out.inventory.notes.extend(o.notes);
                if let Some(meta) = o.snapshot {
                    out.carried_errors.extend(meta.errors);
                }
            }
            Err(e) => out.errors.push(e),
        },
    }
}

/// Replaces Terraform addresses in parameter values by the ids of those
/// resources, keeping the address too: `approved_subnet_ids` may name
/// `module.network.azurerm_subnet.mcp` and still match its (maybe synthetic) id.
fn resolve_addresses(params: &mut BTreeMap<String, Value>, inv: &Inventory) {
    for v in params.values_mut() {
        if let Value::Array(items) = v {
            let mut extra = Vec::new();
            for it in items.iter() {
                if let Some(r) = it.as_str().and_then(|a| inv.by_address(a)) {
                    if !r.id().is_empty() {
                        extra.push(Value::String(r.id().to_string()));
                    }
                }
            }
            items.extend(extra);
        }
    }
}

/// Evaluates the rules on a loaded inventory and builds the report.
pub fn evaluate(rules: &RuleSet, loaded: Loaded, opts: &ScanOptions) -> (Report, Vec<InputError>) {
    let mut active = rules.active.clone();
    let mut warnings = rules.warnings.clone();
    if !opts.no_preflight {
        // Policies the input deploys, evaluated as ARM would at apply time.
        let (more, w) = preflight::preflight_rules(&loaded.inventory);
        active.extend(more);
        warnings.extend(w);
    }
    for ar in &mut active {
        resolve_addresses(&mut ar.params.0, &loaded.inventory);
    }
    for (resource, message) in crate::inventory::gateway::errors(&loaded.inventory) {
        warnings.push(Warning {
            source: resource,
            message,
        });
    }
    let out = engine::run(&loaded.inventory, &active);
    let mut report = Report::new();
    report.inputs = loaded.inputs;
    report.summary.resources = loaded.inventory.len();
    report.summary.rules = active.len();
    report.findings = out.findings;
    report.passes = out.passes;
    report.errors = out.errors;
    report.errors.extend(loaded.carried_errors);
    report
        .errors
        .extend(loaded.errors.iter().map(|e| ReportError {
            source: e.path.clone(),
            message: e.message.clone(),
        }));
    report.warnings = warnings;
    report.notes = loaded.inventory.notes.clone();
    report.rules_skipped = rules.skipped.clone();
    let today = opts
        .today
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    suppress::apply(&mut report, &loaded.ignores, &opts.config, today);
    report.finish();
    (report, loaded.errors)
}

/// Exit code: 2 when an input, rule or config could not be used; 1 when a
/// failing finding is at or above `fail_on` (unknown ones too with
/// `--unknown fail`); else 0.
pub fn exit_code(report: &Report, fail_on: crate::findings::Severity, unknown: UnknownMode) -> u8 {
    if !report.errors.is_empty() {
        return 2;
    }
    let counts =
        |s: Status| s == Status::Fail || (s == Status::Unknown && unknown == UnknownMode::Fail);
    if report
        .findings
        .iter()
        .any(|f| counts(f.status) && f.severity >= fail_on)
    {
        1
    } else {
        0
    }
}
