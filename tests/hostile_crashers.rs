//! Issue 10: every minimised crasher in `fixtures/crashers/` is replayed
//! through the command line, so that each class found by the mutation
//! campaign (and by `tests/hostile_fuzz.rs`) stays fixed.
//!
//! Layout, one folder per loader:
//! - `plan/*.json`, `arm/*.json`: `mcpguard scan FILE`;
//! - `hcl/<case>/`, `config/<case>/`, `cli/<case>/`: `mcpguard scan .` in the
//!   case folder (its `.mcpguard.hcl` and `terraform.tfvars` are found there);
//! - `rules/<case>/`: `mcpguard rules list --rules <case>`.
//!
//! A case may add `args` (extra arguments, separated by white space) and `exit` (the exit
//! code, 2 unless given); for a file, `<file>.args` / `<file>.exit`. Every
//! replay must end within 20 s, without a panic, with its exit code, with an
//! explanation on stderr when it is 2, with no excerpt line wider than the
//! window, and with no `PLANTED…` string anywhere in its output.
//!
//! FIFOs, sockets, `/dev/zero`, dangling symlinks and symlink loops are not
//! committed (a loop would trap every test that walks `fixtures/`):
//! `tests/hostile_files.rs` creates them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn crashers() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/crashers")
}

fn sidecar(base: &Path, name: &str) -> Option<String> {
    let p = if base.is_dir() {
        base.join(name)
    } else {
        PathBuf::from(format!("{}.{name}", base.display()))
    };
    std::fs::read_to_string(p).ok()
}

struct Replay {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[String], dir: &Path) -> Replay {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mcpguard");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().ok();
            panic!("{args:?} in {} hung", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().expect("output");
    Replay {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).to_string(),
        stderr: String::from_utf8_lossy(&o.stderr).to_string(),
    }
}

/// The command for one case, and the folder it runs in.
fn command(loader: &str, case: &Path) -> (Vec<String>, PathBuf) {
    let name = case.file_name().unwrap().to_string_lossy().to_string();
    let mut args: Vec<String> = match loader {
        "plan" | "arm" => vec!["scan".into(), name.clone()],
        "rules" => vec![
            "rules".into(),
            "list".into(),
            "--rules".into(),
            name.clone(),
        ],
        _ => vec!["scan".into(), ".".into()],
    };
    args.extend(
        sidecar(case, "args")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string),
    );
    let dir = match loader {
        "hcl" | "config" | "cli" => case.to_path_buf(),
        _ => case.parent().unwrap().to_path_buf(),
    };
    (args, dir)
}

fn check(loader: &str, case: &Path) -> Result<(), String> {
    let (args, dir) = command(loader, case);
    let r = run(&args, &dir);
    let want: i32 = sidecar(case, "exit").map_or(2, |s| s.trim().parse().expect("exit code"));
    let fail = |why: &str| {
        Err(format!(
            "{loader}/{}: {why}\nexit {:?}\nstderr:\n{}",
            case.file_name().unwrap().to_string_lossy(),
            r.code,
            r.stderr.chars().take(3000).collect::<String>()
        ))
    };
    if r.stderr.contains("panicked") || r.stderr.contains("overflowed its stack") {
        return fail("panicked");
    }
    if r.code != Some(want) {
        return fail(&format!("exit code is not {want}"));
    }
    if want == 2 && r.stderr.trim().is_empty() {
        return fail("exit 2 with nothing on stderr");
    }
    if r.stdout.contains("PLANTED") || r.stderr.contains("PLANTED") {
        return fail("a planted secret is printed");
    }
    if let Some(l) = r
        .stderr
        .lines()
        .find(|l| l.contains('│') && l.chars().count() > 240)
    {
        return fail(&format!("an excerpt line of {} chars", l.chars().count()));
    }
    if r.stderr.contains('\u{1b}') {
        return fail("a terminal escape reached stderr");
    }
    Ok(())
}

#[test]
fn every_crasher_replays_cleanly() {
    let mut failures = Vec::new();
    let mut n = 0;
    for loader in ["plan", "arm", "hcl", "config", "rules", "cli"] {
        let dir = crashers().join(loader);
        let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "json"))
            .collect();
        cases.sort();
        assert!(!cases.is_empty(), "no crashers in {}", dir.display());
        for case in cases {
            n += 1;
            if let Err(e) = check(loader, &case) {
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} crashers fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("{n} crashers replayed");
}
