//! The layers hold: no module of `src/` imports across a layer the wrong way.
//!
//! [`LAYERS`] is the one table of who may import whom, bottom first. A module
//! may use its own submodules and the modules its row lists, and a row lists
//! only rows above it, so no two modules can ever depend on each other. The
//! README's "Design" section shows the same table; a test keeps them equal.
//!
//! The check reads every `.rs` file under `src/` and finds each path that
//! leaves its module for another top-level one: `use crate::x::…`, grouped
//! `use crate::{x::…, y::…}`, inline `crate::x::f()`, `super::` chains that
//! climb to the crate root, and `mcpguard::x` in the binary (`main.rs`).
//! Comments, strings and char literals are skipped, so a doc link or a message
//! naming a module is not an import. Test code inside `src/` is checked too: a
//! unit test that reaches upward is a dependency like any other.

use std::path::Path;

/// One row of the layer table.
struct Layer {
    /// A top-level module of the crate (`main` is the binary).
    module: &'static str,
    /// What it holds, as the README says it.
    holds: &'static str,
    /// The modules it may import; each is a row above this one.
    may_use: &'static [&'static str],
    /// Whether it may write to the terminal (print macros, stdout, stderr,
    /// a progress bar). Only the CLI does: every stage returns what it has.
    prints: bool,
}

/// Bottom first. Keep in step with the README's "Design" section.
const LAYERS: &[Layer] = &[
    Layer {
        module: "input",
        holds: "what every stage may know of an input: its kind, its text, the error pointing into it, its inline ignores",
        may_use: &[],
        prints: false,
    },
    Layer {
        module: "findings",
        holds: "findings, the report they make up, the metadata of the rules behind them",
        may_use: &["input"],
        prints: false,
    },
    Layer {
        module: "inventory",
        holds: "the one model: ARM-shaped resources, ids, paths, computed facts",
        may_use: &["input"],
        prints: false,
    },
    Layer {
        module: "policy",
        holds: "the Azure Policy language: rule files, conditions, fields, aliases; the template expression language and its one function table",
        may_use: &["input", "findings", "inventory"],
        prints: false,
    },
    Layer {
        module: "load",
        holds: "the readers: plan, Terraform source, ARM snapshot, ARM template, live sweep; Terraform → ARM",
        may_use: &["input", "findings", "inventory", "policy"],
        prints: false,
    },
    Layer {
        module: "engine",
        holds: "rules × resources → findings",
        may_use: &["input", "findings", "inventory", "policy"],
        prints: false,
    },
    Layer {
        module: "preflight",
        holds: "the policies an input deploys, as scoped rules; MCP013's governance facts",
        may_use: &["input", "findings", "inventory", "policy", "engine"],
        prints: false,
    },
    Layer {
        module: "config",
        holds: "`.mcpguard.hcl`",
        may_use: &["input", "findings", "inventory"],
        prints: false,
    },
    Layer {
        module: "suppress",
        holds: "inline and config ignores",
        may_use: &["input", "findings", "config"],
        prints: false,
    },
    Layer {
        module: "baseline",
        holds: "baseline files",
        may_use: &["input", "findings"],
        prints: false,
    },
    Layer {
        module: "report",
        holds: "one file per output format",
        may_use: &["input", "findings"],
        prints: false,
    },
    Layer {
        module: "docs",
        holds: "rule pages",
        may_use: &["policy", "report"],
        prints: false,
    },
    Layer {
        module: "scan",
        holds: "one scan, end to end",
        may_use: &[
            "input",
            "findings",
            "inventory",
            "policy",
            "load",
            "engine",
            "preflight",
            "config",
            "suppress",
        ],
        prints: false,
    },
    Layer {
        module: "sweep",
        holds: "a live sweep into the scan, and its progress bar",
        may_use: &["input", "findings", "inventory", "load", "scan"],
        prints: true,
    },
    Layer {
        module: "main",
        holds: "the CLI: arguments in, exit code out",
        may_use: &[
            "input", "findings", "policy", "load", "config", "baseline", "report", "docs", "scan",
            "sweep",
        ],
        prints: true,
    },
];

/// A path that leaves its module for another top-level module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    line: usize,
    target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

/// Rust source to tokens with their lines, without comments, strings and
/// char literals (their contents are not code).
fn tokens(src: &str) -> Vec<(usize, Tok)> {
    let c: Vec<char> = src.chars().collect();
    let (mut out, mut i, mut line) = (Vec::new(), 0, 1);
    // Skips a quoted run from `start` (at the opening quote) and returns the
    // index after the closing one; `raw` strings have no escapes.
    let quoted = |start: usize, hashes: usize, raw: bool, line: &mut usize| -> usize {
        let mut j = start + 1;
        while j < c.len() {
            match c[j] {
                '\\' if !raw => {
                    // An escaped newline is still a line.
                    if c.get(j + 1) == Some(&'\n') {
                        *line += 1;
                    }
                    j += 1;
                }
                '\n' => *line += 1,
                '"' if (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) => return j + 1 + hashes,
                _ => {}
            }
            j += 1;
        }
        j
    };
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            i = quoted(i, 0, false, &mut line);
        } else if ch == '\'' {
            // A char literal (`'x'`, `'\n'`, `'"'`), else a lifetime or label.
            if next == Some('\\') {
                // past the escaped character, which may itself be a quote
                let mut j = i + 3;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                out.push((line, Tok::Punct('\'')));
                i += 1;
            }
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let at = c.get(i).copied();
            match (word.as_str(), at) {
                ("r" | "br" | "cr", Some('#' | '"')) => {
                    let mut hashes = 0;
                    while c.get(i + hashes) == Some(&'#') {
                        hashes += 1;
                    }
                    if c.get(i + hashes) == Some(&'"') {
                        i = quoted(i + hashes, hashes, true, &mut line);
                    } else {
                        // `r#ident`, a raw identifier
                        i += hashes;
                    }
                }
                ("b" | "c", Some('"')) => i = quoted(i, 0, false, &mut line),
                ("b", Some('\'')) => {
                    if c.get(i + 1) == Some(&'\\') {
                        i += 2;
                    }
                    while i + 1 < c.len() && c[i + 1] != '\'' {
                        i += 1;
                    }
                    i += 2;
                }
                _ => out.push((line, Tok::Ident(word))),
            }
        } else if ch == ':' && next == Some(':') {
            out.push((line, Tok::Sep));
            i += 2;
        } else {
            out.push((line, Tok::Punct(ch)));
            i += 1;
        }
    }
    out
}

/// The module path of a file under `src/`: `load/azure/mod.rs` → `[load, azure]`.
fn module_path(rel: &str) -> Vec<String> {
    let rel = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn ident(toks: &[(usize, Tok)], i: usize) -> Option<&str> {
    match toks.get(i) {
        Some((_, Tok::Ident(s))) => Some(s),
        _ => None,
    }
}

fn is(toks: &[(usize, Tok)], i: usize, t: &Tok) -> bool {
    toks.get(i).map(|(_, x)| x) == Some(t)
}

/// The top-level modules a path names from the crate root, `i` being the
/// token after `crate::`: `x` gives `[x]`, `{x::a, y}` gives `[x, y]`, `*`
/// gives `["*"]` (a glob over the root, which no table can check).
fn roots_from(toks: &[(usize, Tok)], i: usize) -> Vec<String> {
    if let Some(name) = ident(toks, i) {
        return vec![name.to_string()];
    }
    if is(toks, i, &Tok::Punct('*')) {
        return vec!["*".to_string()];
    }
    if !is(toks, i, &Tok::Punct('{')) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let (mut j, mut depth, mut item_start) = (i + 1, 1, true);
    while j < toks.len() && depth > 0 {
        match &toks[j].1 {
            Tok::Punct('{') if item_start => {
                out.extend(roots_from(toks, j));
                depth += 1;
                item_start = false;
            }
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => depth -= 1,
            Tok::Punct(',') if depth == 1 => {
                item_start = true;
                j += 1;
                continue;
            }
            Tok::Ident(name) if item_start => {
                // `self` in `crate::{self, …}` is the root itself.
                if name != "self" {
                    out.push(name.clone());
                }
                item_start = false;
            }
            Tok::Punct('*') if item_start => {
                out.push("*".to_string());
                item_start = false;
            }
            _ => item_start = false,
        }
        j += 1;
    }
    out
}

/// Every path in `src` (the file `rel` under `src/`) that reaches a
/// top-level module from the crate root.
fn imports(rel: &str, src: &str) -> Vec<Import> {
    let toks = tokens(src);
    let binary = rel == "main.rs";
    let file_depth = module_path(rel).len();
    // Brace depths at which inline `mod x {` blocks opened: each adds a
    // level that `super` climbs.
    let (mut mods, mut braces) = (Vec::<usize>::new(), 0usize);
    let mut out = Vec::new();
    let mut push = |line: usize, targets: Vec<String>| {
        out.extend(targets.into_iter().map(|target| Import { line, target }));
    };
    for i in 0..toks.len() {
        let line = toks[i].0;
        match &toks[i].1 {
            Tok::Punct('{') => {
                if ident(&toks, i.wrapping_sub(2)) == Some("mod")
                    && ident(&toks, i.wrapping_sub(1)).is_some()
                {
                    mods.push(braces);
                }
                braces += 1;
                continue;
            }
            Tok::Punct('}') => {
                braces = braces.saturating_sub(1);
                if mods.last() == Some(&braces) {
                    mods.pop();
                }
                continue;
            }
            _ => {}
        }
        // `a::crate` is no path start, and `$crate` belongs to a macro.
        let starts_path = i == 0 || !matches!(toks[i - 1].1, Tok::Sep | Tok::Punct('$'));
        if !starts_path || !is(&toks, i + 1, &Tok::Sep) {
            continue;
        }
        match ident(&toks, i) {
            Some("crate") if !binary => push(line, roots_from(&toks, i + 2)),
            Some("mcpguard") if binary => push(line, roots_from(&toks, i + 2)),
            Some("super") if !binary => {
                let mut n = 0;
                let mut j = i;
                while ident(&toks, j) == Some("super") && is(&toks, j + 1, &Tok::Sep) {
                    n += 1;
                    j += 2;
                }
                if n >= file_depth + mods.len() {
                    push(line, roots_from(&toks, j));
                }
            }
            _ => {}
        }
    }
    out
}

/// Where `src` writes to the terminal: print macros, `stdout()`/`stderr()`,
/// `indicatif`.
fn terminal_uses(src: &str) -> Vec<(usize, String)> {
    let toks = tokens(src);
    let mut out = Vec::new();
    for (i, (line, t)) in toks.iter().enumerate() {
        let Tok::Ident(name) = t else { continue };
        let what = match name.as_str() {
            "println" | "eprintln" | "print" | "eprint" | "dbg"
                if is(&toks, i + 1, &Tok::Punct('!')) =>
            {
                format!("{name}!")
            }
            // `Command::stdout(…)` (a method, after `.`) redirects a child
            // process's output; only `io::stdout()` writes to the terminal.
            "stdout" | "stderr"
                if is(&toks, i + 1, &Tok::Punct('('))
                    && !(i > 0 && is(&toks, i - 1, &Tok::Punct('.'))) =>
            {
                format!("{name}()")
            }
            "indicatif" => name.clone(),
            _ => continue,
        };
        out.push((*line, what));
    }
    out
}

/// Checks `files` (path under `src/`, text) against `layers`: one line per
/// import that crosses a layer the wrong way, per module the table lacks, and
/// per write to the terminal from a module that may not print.
fn violations(files: &[(String, String)], layers: &[Layer]) -> Vec<String> {
    let row = |m: &str| layers.iter().find(|l| l.module == m);
    let mut out = Vec::new();
    for (rel, text) in files {
        if rel == "lib.rs" {
            // The crate root only declares the modules.
            continue;
        }
        let from = module_path(rel)[0].clone();
        let Some(layer) = row(&from) else {
            out.push(format!(
                "src/{rel}: module `{from}` is not in the layer table"
            ));
            continue;
        };
        for imp in imports(rel, text) {
            if imp.target == from || layer.may_use.contains(&imp.target.as_str()) {
                continue;
            }
            let why = if imp.target == "*" {
                "a glob import of the crate root cannot be checked".to_string()
            } else if row(&imp.target).is_none() {
                format!("`{}` is not a module in the layer table", imp.target)
            } else {
                format!("`{from}` may not import `{}`", imp.target)
            };
            out.push(format!("src/{rel}:{}: {why}", imp.line));
        }
        if !layer.prints {
            for (line, what) in terminal_uses(text) {
                out.push(format!(
                    "src/{rel}:{line}: `{from}` may not print (`{what}`)"
                ));
            }
        }
    }
    out
}

/// A row may list only rows above it (so no cycle can form), once each.
fn table_errors(layers: &[Layer]) -> Vec<String> {
    let mut out = Vec::new();
    for (n, l) in layers.iter().enumerate() {
        if layers[..n].iter().any(|e| e.module == l.module) {
            out.push(format!("`{}` has two rows", l.module));
        }
        for u in l.may_use {
            if !layers[..n].iter().any(|e| e.module == *u) {
                out.push(format!(
                    "`{}` may use `{u}`, which is not a row above it",
                    l.module
                ));
            }
        }
    }
    out
}

fn src_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("src/ is readable")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let rel = p
                    .strip_prefix(root)
                    .expect("under src")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).expect("utf-8 source")));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

#[test]
fn no_import_crosses_a_layer_the_wrong_way() {
    let files = src_files();
    assert!(files.len() > 20, "read {} files from src/", files.len());
    let v = violations(&files, LAYERS);
    assert!(
        v.is_empty(),
        "imports that cross a layer the wrong way:\n{}",
        v.join("\n")
    );
}

#[test]
fn the_table_is_ordered_and_names_every_module() {
    let e = table_errors(LAYERS);
    assert!(e.is_empty(), "{}", e.join("\n"));
    let mut modules: Vec<String> = src_files()
        .iter()
        .map(|(rel, _)| module_path(rel))
        .filter(|p| !p.is_empty())
        .map(|p| p[0].clone())
        .collect();
    modules.dedup();
    for l in LAYERS {
        assert!(
            modules.iter().any(|m| m == l.module),
            "`{}` has a row but no source",
            l.module
        );
    }
}

/// One row as the README writes it: module, holds, may import, prints.
type Row = (String, String, Vec<String>, bool);

/// The rows of the table under the README's "Design" heading whose header
/// starts with `| layer |`.
fn readme_rows(readme: &str) -> Vec<Row> {
    // No section or no table: no rows, and the comparison shows what to write.
    let Some(design) = readme.split("\n## Design").nth(1) else {
        return Vec::new();
    };
    let design = design.split("\n## ").next().unwrap_or(design);
    let Some(table) = design
        .split("\n\n")
        .find(|b| b.trim_start().starts_with("| layer |"))
    else {
        return Vec::new();
    };
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    table
        .lines()
        .skip(2)
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            let module = ticked(cells[0]).into_iter().next().unwrap_or_default();
            let cell = |n: usize| cells.get(n).copied().unwrap_or("");
            (
                module,
                cell(1).to_string(),
                ticked(cell(2)),
                cell(3) == "yes",
            )
        })
        .collect()
}

fn readme_row(l: &Layer) -> String {
    let uses: Vec<String> = l.may_use.iter().map(|u| format!("`{u}`")).collect();
    let uses = if uses.is_empty() {
        "nothing".to_string()
    } else {
        uses.join(", ")
    };
    let prints = if l.prints { "yes" } else { "no" };
    format!("| `{}` | {} | {uses} | {prints} |", l.module, l.holds)
}

#[test]
fn the_readme_design_table_mirrors_the_layer_table() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let got = readme_rows(&readme);
    let want: Vec<Row> = LAYERS
        .iter()
        .map(|l| {
            (
                l.module.to_string(),
                l.holds.to_string(),
                l.may_use.iter().map(|u| u.to_string()).collect(),
                l.prints,
            )
        })
        .collect();
    let rows: Vec<String> = LAYERS.iter().map(readme_row).collect();
    assert_eq!(
        got,
        want,
        "the README's layer table differs from tests/architecture.rs; it should read:\n\
         | layer | holds | may import | prints |\n|---|---|---|---|\n{}",
        rows.join("\n")
    );
}

fn file(rel: &str, text: &str) -> (String, String) {
    (rel.to_string(), text.to_string())
}

#[test]
fn a_planted_violation_is_caught() {
    let report = file(
        "report/sarif.rs",
        r##"//! Reads findings; a doc link to [`crate::policy::Rule`] is no import.
use crate::findings::{Finding, Report};
use crate::policy::RuleMeta;
use crate::{findings::Status, inventory::InputKind};

/* a block comment naming crate::engine::run /* nested crate::load */ */
fn f(p: &std::path::Path) -> usize {
    let quote = '"';
    let s = "crate::preflight:: in a string";
    let r = r#"crate::scan:: in a raw "string""#;
    let text = crate::load::read_text(p);
    let _ = (quote, s, r, text);
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;
}
"##,
    );
    let clean = file(
        "findings.rs",
        "use crate::input::InputKind;\npub(crate) fn f<'a>(x: &'a str) -> &'a str { x }\n",
    );
    let v = violations(&[report, clean], LAYERS);
    assert_eq!(
        v,
        [
            "src/report/sarif.rs:3: `report` may not import `policy`",
            "src/report/sarif.rs:4: `report` may not import `inventory`",
            "src/report/sarif.rs:11: `report` may not import `load`",
        ],
        "{v:#?}"
    );
}

#[test]
fn super_paths_the_binary_and_unknown_modules() {
    let files = [
        // `super` from a top-level module's file is the crate root.
        file("engine.rs", "use super::preflight::Scope;\n"),
        // Inside the module (and its inline test module), `super` stays home.
        file("report/mod.rs", "pub mod json;\nmod tests { use super::*; }\n"),
        file("report/json.rs", "use super::status_str;\nuse super::super::policy::Rule;\n"),
        file(
            "inventory/facts.rs",
            "mod a { mod b { fn f() { super::super::super::super::preflight::governance_facts(); } } }\n",
        ),
        // The binary names the library `mcpguard`; its `crate` is itself.
        file("main.rs", "use mcpguard::inventory::Inventory;\nuse crate::Cli;\n"),
        file("suppress.rs", "use crate::Config;\nuse crate::*;\n"),
        file("cache.rs", "use crate::findings::Report;\n"),
    ];
    let v = violations(&files, LAYERS);
    assert_eq!(
        v,
        [
            "src/engine.rs:1: `engine` may not import `preflight`",
            "src/report/json.rs:2: `report` may not import `policy`",
            "src/inventory/facts.rs:1: `inventory` may not import `preflight`",
            "src/main.rs:1: `main` may not import `inventory`",
            "src/suppress.rs:1: `Config` is not a module in the layer table",
            "src/suppress.rs:2: a glob import of the crate root cannot be checked",
            "src/cache.rs: module `cache` is not in the layer table",
        ],
        "{v:#?}"
    );
}

#[test]
fn printing_outside_the_cli_is_caught() {
    let files = [
        file(
            "load/azure/mod.rs",
            "use indicatif::ProgressBar;\nfn f() { eprintln!(\"{}\", 1); let _ = std::io::stderr(); }\n// println!(\"in a comment\")\nconst S: &str = \"print!\";\nfn g(c: &mut std::process::Command) { c.stdout(std::process::Stdio::piped()); }\n",
        ),
        file("main.rs", "fn main() { println!(\"ok\"); }\n"),
        file("sweep.rs", "use indicatif::ProgressBar;\n"),
    ];
    assert_eq!(
        violations(&files, LAYERS),
        [
            "src/load/azure/mod.rs:1: `load` may not print (`indicatif`)",
            "src/load/azure/mod.rs:2: `load` may not print (`eprintln!`)",
            "src/load/azure/mod.rs:2: `load` may not print (`stderr()`)",
        ]
    );
}

#[test]
fn a_table_with_a_cycle_is_refused() {
    let cyclic = [
        Layer {
            module: "config",
            holds: "",
            may_use: &["suppress"],
            prints: false,
        },
        Layer {
            module: "suppress",
            holds: "",
            may_use: &["config"],
            prints: false,
        },
    ];
    assert_eq!(
        table_errors(&cyclic),
        ["`config` may use `suppress`, which is not a row above it"]
    );
}
