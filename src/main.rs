//! The mcpguard command line: arguments in, exit code out. Everything else
//! lives in the library (`mcpguard::scan`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use mcpguard::config::{Config, UnknownMode};
use mcpguard::findings::{Report, RuleMeta, Severity};
use mcpguard::report::{self, Format, RenderOptions};
use mcpguard::scan::{self, ScanOptions};

/// Compliance scanner for the Azure infrastructure that runs MCP servers.
///
/// One rule pack, written in the Azure Policy language, checked on a Terraform
/// plan (before merge), on Terraform source (at the desk) and on ARM resources
/// (after deployment). Exit codes: 0 no failing finding at or above the
/// threshold, 1 failing findings, 2 an input, rule or config could not be used
/// (note: the reverse of tflint's 1 and 2).
#[derive(Parser, Debug)]
#[command(name = "mcpguard", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan plan JSON, .tf directories/files, or ARM snapshot JSON (auto-detected; - reads stdin).
    Scan {
        /// Inputs: `terraform show -json` output, a directory of .tf files, a .tf file, an ARM snapshot.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Read live ARM resources (GET requests only) and scan them.
    #[cfg(feature = "azure")]
    Sweep {
        #[command(flatten)]
        sweep: SweepArgs,
        #[command(flatten)]
        common: Common,
    },
    /// List the rules or show one rule's documentation.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
        /// More rule files: a directory of mcpguard rules or Azure Policy definitions.
        #[arg(long = "rules", value_name = "DIR", global = true)]
        rules_dirs: Vec<PathBuf>,
        /// Config file (default: ./.mcpguard.hcl when present): rule parameters and `enabled`.
        #[arg(long, value_name = "FILE", global = true)]
        config: Option<PathBuf>,
    },
    /// Scan what a commit changes (the pre-commit hook): each changed .tf file with the root
    /// modules that use it, each changed .tfvars with the root module that takes it, each
    /// changed .bicep/.bicepparam/template .json with the entry files that read it.
    #[command(name = "pre-commit")]
    PreCommit {
        /// The changed files (pre-commit passes them after the hook's `args`).
        files: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Record today's failures so that only new ones fail the build.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

impl Command {
    /// The output and scan flags, for the commands that have them.
    fn common_mut(&mut self) -> Option<&mut Common> {
        match self {
            Command::Scan { common, .. } | Command::PreCommit { common, .. } => Some(common),
            #[cfg(feature = "azure")]
            Command::Sweep { common, .. } => Some(common),
            Command::Baseline {
                command: BaselineCommand::Write { common, .. },
            } => Some(common),
            Command::Rules { .. } | Command::Completions { .. } => None,
        }
    }
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// A table of every rule: id, severity, title, inputs it applies to.
    List {
        /// Print the case study's hardening checklist instead: each item with
        /// the rules that check it, or why no static tool can.
        #[arg(long)]
        checklist: bool,
    },
    /// One rule's documentation: what it checks, why, how to fix, examples.
    Show { id: String },
}

#[derive(Subcommand, Debug)]
enum BaselineCommand {
    /// Scan the inputs and write their failures to FILE.
    Write {
        file: PathBuf,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        source: SourceArgs,
    },
}

#[derive(Args, Debug, Clone, Default)]
struct Common {
    /// Config file (default: ./.mcpguard.hcl when present).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More rule files: a directory of mcpguard rules or Azure Policy definitions (searched recursively).
    #[arg(long = "rules", value_name = "DIR")]
    rules_dirs: Vec<PathBuf>,
    /// Output format (default: table). Repeatable: each --format goes to standard
    /// output unless an --output follows it.
    #[arg(long, value_enum)]
    format: Vec<Format>,
    /// Write the --format just before it to FILE (`--format sarif --output x.sarif`).
    #[arg(long, value_name = "FILE")]
    output: Vec<PathBuf>,
    /// Write every format into DIR (mcpguard.sarif, mcpguard.junit.xml, …).
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    output_dir: Option<PathBuf>,
    /// The order `--format` and `--output` were given in (filled from clap's
    /// argument indices: pairing is by position, not by count).
    #[arg(skip)]
    order: Vec<OutputArg>,
    /// Lowest severity that fails the run (default: low, or `fail_on` in the config).
    #[arg(long, value_enum)]
    fail_on: Option<Severity>,
    /// Whether unknown findings fail the run (default: warn).
    #[arg(long, value_enum)]
    unknown: Option<UnknownMode>,
    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// Mark the failures recorded in this baseline file as suppressed.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Evaluate the Azure Policy definitions and assignments the input itself deploys
    /// (`POLICY:<name>` findings: what ARM would deny at apply time).
    #[arg(long, value_enum, default_value = "on")]
    preflight: OnOff,
    /// An Azure Policy alias export (`az provider list --expand "resourceTypes/aliases"`)
    /// for aliases the built-in table lacks.
    #[arg(long, value_name = "FILE")]
    aliases: Option<PathBuf>,
    /// Never colour the table (NO_COLOR is honoured too).
    #[arg(long)]
    no_color: bool,
    /// List every passing (rule, resource) pair in the JSON report (`passes`); the
    /// counts per rule are always there.
    #[arg(long)]
    include_passed: bool,
}

/// One `--format` or `--output` occurrence, in command-line order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OutputArg {
    Format(Format),
    Output(PathBuf),
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
enum OnOff {
    #[default]
    On,
    Off,
}

#[derive(Args, Debug, Clone, Default)]
struct SourceArgs {
    /// A .tfvars file for Terraform source (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// A variable for Terraform source, NAME=VALUE (JSON-typed values as Terraform takes them).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// The subscription Terraform input deploys to, when neither the azurerm provider block
    /// nor ARM_SUBSCRIPTION_ID names it. Without it, ids built from names (data sources,
    /// resources not created yet) leave the subscription unknown.
    #[arg(long = "subscription", value_name = "ID")]
    subscription: Option<String>,
    /// Parameter values of an ARM deployment template (the azuredeploy.parameters.json shape).
    #[arg(long = "parameters", value_name = "FILE")]
    parameters: Option<PathBuf>,
    /// Read Terraform source only inside DIR: module sources and file() paths outside it are not followed (for untrusted pull requests).
    #[arg(long = "root", value_name = "DIR")]
    root: Option<PathBuf>,
    /// Report every file relative to DIR (default: the git work tree around the current
    /// directory, else the current directory), as code scanning and annotations expect.
    #[arg(long = "repo-root", value_name = "DIR")]
    repo_root: Option<PathBuf>,
    /// Scan a directory as one module, as given, instead of finding every root module below
    /// it (directories with .tf files that no other one calls as a module; `.terraform/` and
    /// hidden directories are skipped).
    #[arg(long)]
    no_recursive: bool,
    /// Where a plan's Terraform source is, so plan findings point at the .tf file and line
    /// of their resource (the plan's path stays in the report). Default: the repository
    /// root, for a plan inside one.
    #[arg(long = "source", value_name = "DIR", conflicts_with = "no_source")]
    source: Option<PathBuf>,
    /// Point plan findings at the plan, not at its Terraform source.
    #[arg(long)]
    no_source: bool,
}

#[cfg(feature = "azure")]
#[derive(Args, Debug, Clone)]
struct SweepArgs {
    /// Subscription to read (repeatable).
    #[arg(long = "subscription", value_name = "ID", required = true)]
    subscriptions: Vec<String>,
    /// Only these resource groups (repeatable).
    #[arg(long = "resource-group", value_name = "RG")]
    resource_groups: Vec<String>,
    /// How to authenticate.
    #[arg(long, value_enum, default_value = "auto")]
    auth: mcpguard::load::azure::AuthKind,
    /// ARM endpoint (sovereign clouds, tests).
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://management.azure.com"
    )]
    arm_endpoint: String,
    /// Query Azure Resource Graph (one POST query across subscriptions) instead of ARM list GETs.
    #[arg(long)]
    graph: bool,
    /// Requests in flight at most.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Write what was read to FILE (an mcpguard snapshot, re-scannable offline).
    #[arg(long, value_name = "FILE")]
    save_snapshot: Option<PathBuf>,
}

// The scan allocates many small JSON values; mimalloc is markedly faster at
// that than the system allocator (see the README's benchmark).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // `--version --verbose` (clap's own `--version` would exit first).
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if is_verbose_version(&args) {
        return match print_out(&verbose_version()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e:?}");
                ExitCode::from(2)
            }
        };
    }
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    if let Some(common) = cli.command.common_mut() {
        common.order = output_order(&matches);
    }
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e:?}");
            ExitCode::from(2)
        }
    }
}

/// Whether the arguments are `--version` (or `-V`) with `--verbose`, nothing else.
fn is_verbose_version(args: &[std::ffi::OsString]) -> bool {
    let has = |flags: &[&str]| args.iter().any(|a| flags.iter().any(|f| a == f));
    let only_these = args
        .iter()
        .all(|a| ["--version", "-V", "--verbose"].iter().any(|f| a == f));
    only_these && has(&["--version", "-V"]) && has(&["--verbose"])
}

/// What a bug report or an audit needs: version, home, the contracts, the build.
fn verbose_version() -> String {
    let features: Vec<&str> = [("azure", cfg!(feature = "azure"))]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
    let builtin = mcpguard::policy::builtin_rules()
        .map(|r| r.len())
        .unwrap_or(0);
    format!(
        "mcpguard {}\nhome: {}\nreport schema: {}\nrule pack: {} ({builtin} built-in rules)\nbaseline schema: {}\nfeatures: {}\nplatform: {}-{}\n",
        env!("CARGO_PKG_VERSION"),
        mcpguard::findings::HOME,
        mcpguard::findings::REPORT_SCHEMA,
        mcpguard::findings::RULE_PACK_VERSION,
        mcpguard::baseline::BASELINE_SCHEMA,
        if features.is_empty() { "none".to_string() } else { features.join(", ") },
        std::env::consts::ARCH,
        std::env::consts::OS,
    )
}

/// `--format` and `--output` in the order they were given, read from the
/// deepest subcommand's matches (where `Common` is flattened).
fn output_order(matches: &clap::ArgMatches) -> Vec<OutputArg> {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    let mut order: Vec<(usize, OutputArg)> = Vec::new();
    // `rules` and `completions` have no output flags; asking for an id a
    // command does not define would be a clap error.
    if m.try_contains_id("format").is_err() {
        return Vec::new();
    }
    if let (Some(idx), Ok(Some(vals))) =
        (m.indices_of("format"), m.try_get_many::<Format>("format"))
    {
        order.extend(idx.zip(vals).map(|(i, f)| (i, OutputArg::Format(*f))));
    }
    if let (Some(idx), Ok(Some(vals))) =
        (m.indices_of("output"), m.try_get_many::<PathBuf>("output"))
    {
        order.extend(
            idx.zip(vals)
                .map(|(i, p)| (i, OutputArg::Output(p.clone()))),
        );
    }
    order.sort_by_key(|(i, _)| *i);
    order.into_iter().map(|(_, a)| a).collect()
}

/// Where one report goes: a format, and a file or (`None`) standard output.
type Target = (Format, Option<PathBuf>);

/// Output targets: (format, file or stdout).
fn outputs(common: &Common) -> miette::Result<Vec<Target>> {
    if let Some(dir) = &common.output_dir {
        std::fs::create_dir_all(dir).map_err(|e| {
            miette::miette!("{}: cannot create output directory: {e}", dir.display())
        })?;
        let formats = if common.format.is_empty() {
            vec![
                Format::Json,
                Format::Sarif,
                Format::Junit,
                Format::Markdown,
                Format::Html,
            ]
        } else {
            common.format.clone()
        };
        let mut out: Vec<_> = formats
            .into_iter()
            .map(|f| (f, Some(dir.join(f.file_name()))))
            .collect();
        out.push((Format::Table, None));
        return Ok(out);
    }
    let order = if common.order.is_empty() && !common.format.is_empty() {
        // Built without clap's indices (tests): formats alone, to stdout.
        common
            .format
            .iter()
            .map(|f| OutputArg::Format(*f))
            .collect()
    } else {
        common.order.clone()
    };
    pair_outputs(&order).map_err(|(message, help)| miette::miette!(help = help, "{message}"))
}

/// Pairs formats with outputs by position: an `--output` binds to the
/// `--format` immediately before it; a `--format` with no `--output` after it
/// goes to standard output. A dangling or doubled `--output`, two reports to one
/// file, or a whole-document format sharing standard output with another
/// report is an error: each would write a file that looks right and is not.
fn pair_outputs(order: &[OutputArg]) -> Result<Vec<Target>, (String, String)> {
    let mut out: Vec<Target> = Vec::new();
    let mut last_was_format = false;
    for arg in order {
        match arg {
            OutputArg::Format(f) => {
                out.push((*f, None));
                last_was_format = true;
            }
            OutputArg::Output(p) => {
                let shown = p.display();
                match out.last_mut() {
                    Some((_, slot @ None)) if last_was_format => *slot = Some(p.clone()),
                    Some((f, Some(first))) => {
                        return Err((
                            format!(
                                "`--output {shown}` follows `--format {} --output {}`: each --format takes one --output",
                                f.name(),
                                first.display()
                            ),
                            format!("write another report with its own pair: `--format F --output {shown}`"),
                        ))
                    }
                    _ => {
                        return Err((
                            format!("`--output {shown}` has no --format before it"),
                            format!(
                                "put the format first: `--format {} --output {shown}`",
                                Format::from_extension(p).unwrap_or(Format::Json).name()
                            ),
                        ))
                    }
                }
                last_was_format = false;
            }
        }
    }
    if out.is_empty() {
        out.push((Format::Table, None));
    }
    let mut files: Vec<&PathBuf> = out.iter().filter_map(|(_, p)| p.as_ref()).collect();
    files.sort();
    if let Some(w) = files.windows(2).find(|w| w[0] == w[1]) {
        return Err((
            format!("two reports would be written to `{}`", w[0].display()),
            "give each --format its own --output file".to_string(),
        ));
    }
    let stdout: Vec<Format> = out
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(f, _)| *f)
        .collect();
    if stdout.len() > 1 {
        if let Some(doc) = stdout.iter().find(|f| f.is_document()) {
            let names: Vec<&str> = stdout.iter().map(|f| f.name()).collect();
            return Err((
                format!(
                    "{} formats would go to standard output together ({}): a {} report must be the only one there",
                    stdout.len(),
                    names.join(", "),
                    doc.name()
                ),
                format!("send it to a file: `--format {} --output FILE`", doc.name()),
            ));
        }
    }
    Ok(out)
}

/// Fails before any scanning when an output file cannot be written.
fn check_writable(targets: &[(Format, Option<PathBuf>)]) -> miette::Result<()> {
    for p in targets.iter().filter_map(|(_, p)| p.as_ref()) {
        report::preflight_output(p).map_err(miette::Report::new)?;
    }
    Ok(())
}

fn scan_options(common: &Common, source: &SourceArgs) -> miette::Result<ScanOptions> {
    let config = Config::discover(common.config.as_deref()).map_err(miette::Report::new)?;
    if let Some(a) = &common.aliases {
        mcpguard::policy::load_alias_file(a).map_err(miette::Report::new)?;
    }
    // Only regular files are read; a FIFO or device is refused before the
    // scan starts, whether or not the input turns out to need the file.
    for f in source.var_files.iter().chain(&common.baseline) {
        mcpguard::load::regular_file(f).map_err(miette::Report::new)?;
    }
    let repo_root = scan::repo_root(source.repo_root.as_deref())?;
    if let Some(dir) = source.source.as_deref().filter(|d| !d.is_dir()) {
        return Err(miette::miette!(
            "{}: --source needs the directory of the plan's Terraform source",
            dir.display()
        ));
    }
    let mut vars = Vec::new();
    for (n, v) in source.vars.iter().enumerate() {
        // The value may be a secret: never echoed.
        let (k, val) = v.split_once('=').ok_or_else(|| {
            miette::miette!("--var #{}: expected NAME=VALUE, found no `=`", n + 1)
        })?;
        vars.push((k.to_string(), val.to_string()));
    }
    Ok(ScanOptions {
        config,
        rules_dirs: common.rules_dirs.clone(),
        only: common.only.clone(),
        skip: common.skip.clone(),
        var_files: source.var_files.clone(),
        vars,
        subscription: source.subscription.clone(),
        template_parameters: source.parameters.clone(),
        root: source.root.clone(),
        today: None,
        no_preflight: common.preflight == OnOff::Off,
        recursive: !source.no_recursive,
        source: if source.no_source {
            None
        } else {
            // The repository's source, when there is a repository: a work
            // tree found, or named with --repo-root.
            source.source.clone().or_else(|| {
                (source.repo_root.is_some() || repo_root.join(".git").exists())
                    .then(|| repo_root.clone())
            })
        },
        source_given: source.source.is_some(),
        repo_root: Some(repo_root),
        root_var_files: Default::default(),
    })
}

/// The table's width on standard output: the terminal's, else `COLUMNS`,
/// else the default (a file always gets the default: its bytes do not
/// depend on where it was written from).
fn stdout_width() -> Option<u16> {
    report::table::terminal_width().or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|c| *c > 0)
    })
}

fn color(common: &Common) -> bool {
    !common.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

fn emit(
    report: &Report,
    metas: &[RuleMeta],
    targets: &[(Format, Option<PathBuf>)],
    common: &Common,
) -> miette::Result<()> {
    let color = color(common);
    for (format, path) in targets {
        let text = report::render(
            *format,
            report,
            metas,
            &RenderOptions {
                color: color && path.is_none(),
                // finish_scan printed every error as a diagnostic on stderr.
                errors_on_stderr: path.is_none(),
                include_passed: common.include_passed,
                width: if path.is_none() { stdout_width() } else { None },
            },
        );
        match path {
            Some(p) => std::fs::write(p, text)
                .map_err(|e| miette::miette!("{}: cannot write output: {e}", p.display()))?,
            None => {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`| head`) is not an error.
                if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        return Err(miette::miette!("cannot write to standard output: {e}"));
                    }
                }
            }
        }
    }
    Ok(())
}

fn finish_scan(
    common: &Common,
    opts: &ScanOptions,
    rules: &scan::RuleSet,
    loaded: scan::Loaded,
) -> miette::Result<(Report, u8)> {
    let (mut report, diagnostics) = scan::evaluate(rules, loaded, opts);
    // Every error once on stderr: input errors as diagnostics pointing into
    // the input, the others (errors carried inside an input, a sweep that
    // could not authenticate, a rule that could not be evaluated) as plain
    // lines, so that exit 2 always says why.
    let mut shown: std::collections::BTreeSet<(String, String)> = diagnostics
        .iter()
        .map(|d| (d.path.clone(), d.message.clone()))
        .collect();
    for d in diagnostics {
        eprintln!("{:?}", miette::Report::new(d));
    }
    for e in &report.errors {
        if shown.insert((e.source.clone(), e.message.clone())) {
            // Their text comes from the input: made terminal-safe.
            let line = |s: &str| mcpguard::input::snippet::one_line(s, 400);
            eprintln!("error: {}: {}", line(&e.source), line(&e.message));
        }
    }
    if let Some(b) = &common.baseline {
        let text = mcpguard::input::read_text(b).map_err(miette::Report::new)?;
        let mut baseline = mcpguard::baseline::parse(&b.display().to_string(), &text)
            .map_err(miette::Report::new)?;
        let renamed = baseline.rename(&rules.renames);
        report.warnings.extend(renamed);
        mcpguard::baseline::apply(&baseline, &mut report);
        report.finish();
    }
    let fail_on = common
        .fail_on
        .or(opts.config.fail_on)
        .unwrap_or(Severity::Low);
    let unknown = common
        .unknown
        .or(opts.config.unknown)
        .unwrap_or(UnknownMode::Warn);
    let code = scan::exit_code(&report, fail_on, unknown);
    Ok((report, code))
}

fn metas(rules: &scan::RuleSet) -> Vec<RuleMeta> {
    rules.active.iter().map(|a| a.rule.meta.clone()).collect()
}

fn run(cli: Cli) -> miette::Result<u8> {
    match cli.command {
        Command::Scan {
            paths,
            common,
            source,
        } => {
            let targets = outputs(&common)?;
            check_writable(&targets)?;
            let opts = scan_options(&common, &source)?;
            let rules = scan::load_rules(&opts)?;
            let loaded = scan::load_inputs(&paths, &opts);
            let (report, code) = finish_scan(&common, &opts, &rules, loaded)?;
            emit(&report, &metas(&rules), &targets, &common)?;
            Ok(code)
        }
        Command::PreCommit {
            files,
            common,
            source,
        } => {
            let targets = outputs(&common)?;
            check_writable(&targets)?;
            let mut opts = scan_options(&common, &source)?;
            let search = opts.repo_root.clone().unwrap_or_else(|| PathBuf::from("."));
            let changed = scan::changed_inputs(&files, &search);
            if changed.inputs.is_empty() {
                for w in &changed.warnings {
                    eprintln!("warning: {}: {}", w.source, w.message);
                }
                eprintln!("mcpguard: no Terraform root module, Bicep file or ARM template among the changed files");
                return Ok(0);
            }
            // The inputs are root modules already: scan each as it is.
            opts.recursive = false;
            opts.root_var_files = changed.var_files;
            let rules = scan::load_rules(&opts)?;
            let mut loaded = scan::load_inputs(&changed.inputs, &opts);
            loaded.warnings.extend(changed.warnings);
            let (report, code) = finish_scan(&common, &opts, &rules, loaded)?;
            emit(&report, &metas(&rules), &targets, &common)?;
            Ok(code)
        }
        #[cfg(feature = "azure")]
        Command::Sweep { sweep, common } => {
            let targets = outputs(&common)?;
            check_writable(&targets)?;
            let opts = scan_options(&common, &SourceArgs::default())?;
            let rules = scan::load_rules(&opts)?;
            let loaded = mcpguard::sweep::run(
                &sweep_options(&sweep, &rules),
                &opts,
                sweep.save_snapshot.as_deref(),
            )?;
            let (report, code) = finish_scan(&common, &opts, &rules, loaded)?;
            emit(&report, &metas(&rules), &targets, &common)?;
            Ok(code)
        }
        Command::Rules {
            command,
            rules_dirs,
            config,
        } => {
            let opts = ScanOptions {
                rules_dirs,
                config: Config::discover(config.as_deref()).map_err(miette::Report::new)?,
                ..ScanOptions::default()
            };
            let rules = scan::load_rules(&opts)?;
            let text = match command {
                RulesCommand::List { checklist: true } => mcpguard::docs::checklist_table(),
                RulesCommand::List { checklist: false } => {
                    let mut t = report::rules::list(&metas(&rules), &RenderOptions::default());
                    // Parameters a rule checks less without (tflint shows unconfigured rules too).
                    for ar in &rules.active {
                        for (name, def) in &ar.rule.parameters {
                            let unset = ar.params.0.get(name).is_none_or(|v| {
                                v.is_null() || v.as_array().is_some_and(|a| a.is_empty())
                            });
                            if unset
                                && def.kind.eq_ignore_ascii_case("array")
                                && name.ends_with("_ids")
                            {
                                t.push_str(&format!(
                                    "{}: parameter `{name}` is unset (set it in a `rule \"{}\"` block)\n",
                                    ar.rule.meta.id, ar.rule.meta.id
                                ));
                            }
                        }
                    }
                    t
                }
                RulesCommand::Show { id } => {
                    let ar = rules
                        .active
                        .iter()
                        .find(|a| a.rule.meta.id.eq_ignore_ascii_case(&id))
                        .ok_or_else(|| {
                            let ids: Vec<&str> = rules
                                .active
                                .iter()
                                .map(|a| a.rule.meta.id.as_str())
                                .collect();
                            let help = mcpguard::input::did_you_mean(&id, &ids)
                                .unwrap_or_else(|| "`mcpguard rules list` shows them".to_string());
                            miette::miette!(help = help, "no rule `{id}`")
                        })?;
                    mcpguard::docs::rule_page(&ar.rule)
                }
            };
            print_out(&text)?;
            Ok(0)
        }
        Command::Baseline {
            command:
                BaselineCommand::Write {
                    file,
                    paths,
                    common,
                    source,
                },
        } => {
            check_writable(&[(Format::Json, Some(file.clone()))])?;
            let opts = scan_options(&common, &source)?;
            let rules = scan::load_rules(&opts)?;
            let loaded = scan::load_inputs(&paths, &opts);
            let (report, _) = finish_scan(&common, &opts, &rules, loaded)?;
            if !report.errors.is_empty() {
                return Err(miette::miette!(
                    "not writing a baseline: {} input error(s), the baseline would be incomplete",
                    report.errors.len()
                ));
            }
            std::fs::write(&file, mcpguard::baseline::write(&report))
                .map_err(|e| miette::miette!("{}: cannot write baseline: {e}", file.display()))?;
            eprintln!(
                "wrote {} failure(s) to {}",
                report
                    .findings
                    .iter()
                    .filter(|f| f.status == mcpguard::findings::Status::Fail)
                    .count(),
                file.display()
            );
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "mcpguard", &mut buf);
            print_out(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
    }
}

#[cfg(feature = "azure")]
fn sweep_options(s: &SweepArgs, rules: &scan::RuleSet) -> mcpguard::load::azure::SweepOptions {
    mcpguard::load::azure::SweepOptions {
        subscriptions: s.subscriptions.clone(),
        resource_groups: s.resource_groups.clone(),
        types: mcpguard::sweep::types_needed(rules),
        auth: s.auth,
        arm_endpoint: s.arm_endpoint.clone(),
        graph: s.graph,
        concurrency: s.concurrency,
        timeout: std::time::Duration::from_secs(s.timeout),
        progress: std::io::stderr()
            .is_terminal()
            .then(mcpguard::sweep::progress_bar),
    }
}

fn print_out(text: &str) -> miette::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(miette::miette!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: Format) -> OutputArg {
        OutputArg::Format(x)
    }
    fn o(x: &str) -> OutputArg {
        OutputArg::Output(PathBuf::from(x))
    }
    fn paired(order: &[OutputArg]) -> Result<Vec<(Format, Option<String>)>, String> {
        pair_outputs(order)
            .map(|v| {
                v.into_iter()
                    .map(|(f, p)| (f, p.map(|p| p.display().to_string())))
                    .collect()
            })
            .map_err(|(m, _)| m)
    }

    #[test]
    fn an_output_binds_to_the_format_just_before_it() {
        // The misfire of issue 16: the table went into x.sarif.
        let got = paired(&[f(Format::Table), f(Format::Sarif), o("x.sarif")]);
        assert_eq!(
            got,
            Ok(vec![
                (Format::Table, None),
                (Format::Sarif, Some("x.sarif".into()))
            ])
        );
        let got = paired(&[
            f(Format::Sarif),
            o("a.sarif"),
            f(Format::Markdown),
            o("s.md"),
            f(Format::Github),
        ]);
        assert_eq!(
            got,
            Ok(vec![
                (Format::Sarif, Some("a.sarif".into())),
                (Format::Markdown, Some("s.md".into())),
                (Format::Github, None)
            ])
        );
        assert_eq!(paired(&[]), Ok(vec![(Format::Table, None)]));
    }

    #[test]
    fn dangling_doubled_and_clashing_pairings_are_errors() {
        let e = paired(&[o("x.json")]).unwrap_err();
        assert!(e.contains("has no --format before it"), "{e}");
        let e = paired(&[o("x.json"), f(Format::Json)]).unwrap_err();
        assert!(e.contains("has no --format before it"), "{e}");
        let e = paired(&[f(Format::Json), o("a.json"), o("b.json")]).unwrap_err();
        assert!(e.contains("each --format takes one --output"), "{e}");
        let e = paired(&[f(Format::Json), o("a"), f(Format::Sarif), o("a")]).unwrap_err();
        assert!(e.contains("two reports would be written to `a`"), "{e}");
        let e = paired(&[f(Format::Json), f(Format::Sarif)]).unwrap_err();
        assert!(e.contains("standard output together (json, sarif)"), "{e}");
        let e = paired(&[f(Format::Table), f(Format::Json)]).unwrap_err();
        assert!(e.contains("a json report must be the only one"), "{e}");
        // Line formats may share standard output.
        assert!(paired(&[f(Format::Table), f(Format::Github)]).is_ok());
        assert!(paired(&[f(Format::Json)]).is_ok());
    }
}
