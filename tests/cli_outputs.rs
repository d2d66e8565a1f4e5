//! `--format` / `--output` pairing (issue 16, item 4): an `--output` binds to
//! the `--format` just before it, and every pairing the docs show writes each
//! report where the command line says. The command lines are read from
//! README.md, docs/ci.md and action.yml themselves, so a doc that drifts from
//! the CLI fails here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const BEFORE: &str = "fixtures/seed/before-incident";

fn mcpguard(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run mcpguard")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcpguard-outputs-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every `mcpguard scan …` command line of a doc, continuation lines joined:
/// shell `\` continuations, and YAML plain scalars whose next lines start
/// with a flag (the GitLab snippet).
fn scan_commands(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let Some(at) = line
            .find("mcpguard scan ")
            .or_else(|| line.find("mcpguard\" scan "))
        else {
            continue;
        };
        if line[..at].contains('`') {
            continue; // prose: "`mcpguard scan infra/`"
        }
        // `"$RUNNER_TOOL_CACHE/mcpguard/bin/mcpguard" scan …` (action.yml) too.
        let rest = line[at..].split_once(" scan ").map_or("", |(_, r)| r);
        let mut cmd = format!("mcpguard scan {}", rest.trim_end());
        let mut k = n + 1;
        loop {
            if let Some(stripped) = cmd.strip_suffix('\\') {
                cmd = stripped.to_string();
            } else if !lines
                .get(k)
                .is_some_and(|l| l.trim_start().starts_with("--"))
            {
                break;
            }
            let Some(next) = lines.get(k) else { break };
            cmd.push(' ');
            cmd.push_str(next.trim());
            k += 1;
        }
        out.push(cmd);
    }
    out
}

/// Splits on whitespace, honouring double and single quotes; a `#` word
/// starts a comment.
fn words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in cmd.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, '#') if !started => break,
            (None, c) => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    out
}

/// The output flags of a doc's command line, with every file moved into `dir`
/// (keeping its base name; `$GITHUB_STEP_SUMMARY` becomes `step-summary.md`).
fn output_flags(cmd: &str, dir: &Path) -> Vec<(String, Option<PathBuf>)> {
    let w = words(cmd);
    let mut pairs: Vec<(String, Option<PathBuf>)> = Vec::new();
    let mut i = 0;
    while i < w.len() {
        match w[i].as_str() {
            "--format" => {
                pairs.push((w[i + 1].clone(), None));
                i += 2;
            }
            "--output" => {
                let given = &w[i + 1];
                let base = if given.contains("GITHUB_STEP_SUMMARY") {
                    "step-summary.md".to_string()
                } else if given.contains("MCPGUARD_SARIF") {
                    "mcpguard.sarif".to_string()
                } else {
                    given.rsplit('/').next().unwrap_or(given).to_string()
                };
                let p = dir.join(base);
                if let Some(last) = pairs.last_mut() {
                    last.1 = Some(p);
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    pairs
}

/// What a report of `format` looks like; a table in a SARIF file fails this.
fn looks_like(format: &str, text: &str) -> bool {
    match format {
        "json" => serde_json::from_str::<serde_json::Value>(text)
            .is_ok_and(|v| v["schema"] == "mcpguard/report/v1"),
        "sarif" => {
            serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["version"] == "2.1.0")
        }
        "junit" => text.starts_with("<?xml") && text.contains("<testsuites"),
        "html" => text.starts_with("<!DOCTYPE html>"),
        "markdown" => text.starts_with("## mcpguard"),
        "github" => text.lines().any(|l| l.starts_with("::error ")),
        "table" => text.contains("│") && text.contains(" resources, "),
        _ => false,
    }
}

#[test]
fn every_pairing_the_docs_show_writes_where_it_says() {
    let mut checked = 0;
    for doc in ["README.md", "docs/ci.md", "action.yml"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        for (n, cmd) in scan_commands(&text).iter().enumerate() {
            let dir = tmp(&format!("{}-{n}", doc.replace('/', "-")));
            let pairs = output_flags(cmd, &dir);
            if pairs.is_empty() {
                continue;
            }
            let mut args: Vec<String> = vec![
                "scan".into(),
                format!("{BEFORE}/plan.json"),
                "--config".into(),
                format!("{BEFORE}/.mcpguard.hcl"),
            ];
            for (f, p) in &pairs {
                args.extend(["--format".to_string(), f.clone()]);
                if let Some(p) = p {
                    args.extend(["--output".to_string(), p.display().to_string()]);
                }
            }
            let o = mcpguard(&args);
            let stdout = String::from_utf8_lossy(&o.stdout);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{doc}: `{cmd}`: {stderr}");
            for (f, p) in &pairs {
                match p {
                    Some(p) => {
                        let got = std::fs::read_to_string(p)
                            .unwrap_or_else(|e| panic!("{doc}: `{cmd}`: {}: {e}", p.display()));
                        assert!(
                            looks_like(f, &got),
                            "{doc}: `{cmd}`: {} is not {f}:\n{got}",
                            p.display()
                        );
                    }
                    None => assert!(
                        looks_like(f, &stdout),
                        "{doc}: `{cmd}`: stdout lacks {f}:\n{stdout}"
                    ),
                }
            }
            checked += 1;
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    // README (1), ci.md (GitHub, Azure, GitLab), action.yml (1).
    assert!(checked >= 5, "only {checked} documented pairings found");
}

fn run(extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec![
        "scan".into(),
        format!("{BEFORE}/plan.json"),
        "--config".into(),
        format!("{BEFORE}/.mcpguard.hcl"),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    mcpguard(&args)
}

/// The misfire of issue 16: `--format table --format sarif --output x.sarif`
/// wrote the table into `x.sarif`.
#[test]
fn a_leading_stdout_format_does_not_steal_the_output() {
    let d = tmp("steal");
    let sarif = d.join("x.sarif");
    let o = run(&[
        "--format",
        "table",
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(looks_like(
        "sarif",
        &std::fs::read_to_string(&sarif).unwrap()
    ));
    assert!(looks_like("table", &String::from_utf8_lossy(&o.stdout)));
}

#[test]
fn bad_pairings_exit_2_before_scanning() {
    let d = tmp("bad");
    let a = d.join("a.json");
    let b = d.join("b.json");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    for (args, want) in [
        (vec!["--output", a], "has no --format before it"),
        (
            vec!["--output", a, "--format", "json"],
            "has no --format before it",
        ),
        (
            vec!["--format", "json", "--output", a, "--output", b],
            "each --format takes one --output",
        ),
        (
            vec![
                "--format", "json", "--output", a, "--format", "sarif", "--output", a,
            ],
            "two reports would be written",
        ),
        (
            vec!["--format", "json", "--format", "sarif"],
            "standard output together",
        ),
        (
            vec!["--format", "table", "--format", "junit"],
            "standard output together",
        ),
        (
            vec!["--output-dir", d.to_str().unwrap(), "--output", a],
            "cannot be used with",
        ),
    ] {
        let o = run(&args);
        // miette wraps long lines in a box; read the words.
        let err = String::from_utf8_lossy(&o.stderr)
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}: nothing is written");
        assert!(!Path::new(a).exists(), "{args:?}: nothing is written");
    }
}

#[test]
fn the_doc_parser_reads_continuations() {
    let doc = "  - script: |\n      mcpguard scan p.json --fail-on high \\\n        --format junit --output \"$(X)/m.xml\" \\\n        --format table\n";
    assert_eq!(
        scan_commands(doc),
        vec!["mcpguard scan p.json --fail-on high  --format junit --output \"$(X)/m.xml\"  --format table"]
    );
    let gitlab = "    - mcpguard scan p.json --fail-on high\n        --format junit --output j.xml\n  artifacts:\n";
    assert_eq!(
        output_flags(&scan_commands(gitlab)[0], Path::new("/d")),
        vec![("junit".to_string(), Some(PathBuf::from("/d/j.xml")))]
    );
    assert_eq!(words("a \"b c\" 'd' # e"), vec!["a", "b c", "d"]);
}
