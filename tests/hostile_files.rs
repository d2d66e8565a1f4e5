//! Issue 10, items 3 and 4: only regular files are read, within a documented
//! size limit, and an input that cannot be read is never lost behind a clean
//! exit. Unix only: FIFOs, sockets and symlinks are what is under test.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs mcpguard in `dir`; a run that has not ended after 20 s is killed and
/// fails the test (a FIFO read blocks forever, `/dev/zero` never ends).
fn mcpguard(args: &[&str], dir: &Path) -> Output {
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
            panic!("mcpguard {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "mcpguard-hostile-files-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

/// A listening Unix socket at `p` (kept open while the test runs).
fn socket(p: &Path) -> std::os::unix::net::UnixListener {
    std::os::unix::net::UnixListener::bind(p).expect("bind socket")
}

fn assert_refused(o: &Output, name: &str, why: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains(name), "names {name}:\n{err}");
    assert!(err.contains(why), "says `{why}`:\n{err}");
}

const PLAN: &str =
    r#"{"format_version":"1.2","terraform_version":"1.9.0","planned_values":{"root_module":{}}}"#;

#[test]
fn special_files_as_scan_paths_exit_2_at_once() {
    let d = tmp("scan");
    mkfifo(&d.join("fifo.json"));
    mkfifo(&d.join("fifo.tf"));
    let _s = socket(&d.join("sock.json"));
    symlink("fifo.json", d.join("link.json")).unwrap();
    symlink("/dev/zero", d.join("zero.json")).unwrap();
    for (path, why) in [
        ("/dev/zero", "a device"),
        ("fifo.json", "a FIFO"),
        ("fifo.tf", "a FIFO"),
        ("sock.json", "a socket"),
        ("link.json", "a symlink to a FIFO"),
        ("zero.json", "a symlink to a device"),
    ] {
        let o = mcpguard(&["scan", path], &d);
        assert_refused(&o, path, why);
    }
}

#[test]
fn special_files_as_option_paths_exit_2_at_once() {
    let d = tmp("options");
    std::fs::write(d.join("plan.json"), PLAN).unwrap();
    std::fs::write(d.join("main.tf"), "").unwrap();
    mkfifo(&d.join("fifo"));
    std::fs::create_dir_all(d.join("rules")).unwrap();
    mkfifo(&d.join("rules/fifo.json"));
    for args in [
        &["scan", "plan.json", "--config", "fifo"][..],
        &["scan", "plan.json", "--config", "/dev/zero"],
        &["scan", "plan.json", "--var-file", "fifo"],
        &["scan", ".", "--var-file", "/dev/zero"],
        &["scan", "plan.json", "--aliases", "fifo"],
        &["scan", "plan.json", "--baseline", "fifo"],
        &["scan", "plan.json", "--rules", "rules"],
        &["rules", "list", "--rules", "rules"],
    ] {
        let o = mcpguard(args, &d);
        let named = if args.contains(&"rules") {
            "fifo.json"
        } else {
            args[3]
        };
        assert_refused(&o, named, "not a regular file");
    }
}

#[test]
fn a_discovered_config_that_is_a_fifo_is_refused() {
    let d = tmp("discover");
    std::fs::write(d.join("plan.json"), PLAN).unwrap();
    mkfifo(&d.join(".mcpguard.hcl"));
    let o = mcpguard(&["scan", "plan.json"], &d);
    assert_refused(&o, ".mcpguard.hcl", "a FIFO");
}

#[test]
fn files_over_the_documented_limit_are_refused_unread() {
    let d = tmp("big");
    let f = std::fs::File::create(d.join("big.json")).unwrap();
    f.set_len(mcpguard::load::MAX_INPUT_BYTES + 1).unwrap(); // sparse
    let o = mcpguard(&["scan", "big.json"], &d);
    assert_refused(&o, "big.json", "input limit");
    let limit = format!("{} MiB", mcpguard::load::MAX_INPUT_BYTES >> 20);
    assert!(String::from_utf8_lossy(&o.stderr).contains(&limit));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let limits = readme
        .split("## Limits")
        .nth(1)
        .expect("README has a Limits section");
    assert!(
        limits.contains(&limit),
        "README's Limits section names {limit}"
    );
}

/// A Terraform directory with one good file, so that what is lost is the
/// only problem.
fn tf_dir(name: &str) -> PathBuf {
    let d = tmp(name);
    std::fs::write(d.join("main.tf"), "locals {\n  a = 1\n}\n").unwrap();
    d
}

#[test]
fn unreadable_entries_in_a_scanned_directory_exit_2_naming_them() {
    type Plant = fn(&Path);
    let cases: [(&str, Plant, &str); 7] = [
        (
            "gone.tf",
            |d| symlink("nowhere.tf", d.join("gone.tf")).unwrap(),
            "a dangling symlink",
        ),
        (
            "loop.tf",
            |d| symlink("loop.tf", d.join("loop.tf")).unwrap(),
            "a symlink loop",
        ),
        (
            "x.tf",
            |d| std::fs::create_dir(d.join("x.tf")).unwrap(),
            "a directory",
        ),
        ("pipe.tf", |d| mkfifo(&d.join("pipe.tf")), "a FIFO"),
        (
            "pipe.tf.json",
            |d| mkfifo(&d.join("pipe.tf.json")),
            "a FIFO",
        ),
        (
            "terraform.tfvars",
            |d| mkfifo(&d.join("terraform.tfvars")),
            "a FIFO",
        ),
        (
            "x.auto.tfvars",
            |d| symlink("nowhere", d.join("x.auto.tfvars")).unwrap(),
            "a dangling symlink",
        ),
    ];
    for (name, plant, why) in cases {
        let d = tf_dir(name);
        let o = mcpguard(&["scan", "."], &d);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: the directory alone is clean"
        );
        plant(&d);
        let o = mcpguard(&["scan", "."], &d);
        assert_refused(&o, name, why);
    }
}

#[test]
fn an_unreadable_file_in_a_scanned_directory_exits_2() {
    use std::os::unix::fs::PermissionsExt;
    let d = tf_dir("unreadable");
    let p = d.join("secret.tf");
    std::fs::write(&p, "locals {}\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        eprintln!("skipped: running as root, a mode-000 file is still readable");
        return;
    }
    let o = mcpguard(&["scan", "."], &d);
    assert_refused(&o, "secret.tf", "permission denied");
}

#[test]
fn rules_through_a_symlink_loop_name_the_loop() {
    let d = tf_dir("rules-loop");
    std::fs::create_dir_all(d.join("rules/sub")).unwrap();
    std::fs::write(
        d.join("rules/sub/r.json"),
        r#"{"properties": {"policyRule": {"if": {"field": "type", "equals": "x"}, "then": {"effect": "audit"}}}}"#,
    )
    .unwrap();
    let o = mcpguard(&["scan", ".", "--rules", "rules"], &d);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    symlink("..", d.join("rules/sub/back")).unwrap();
    let o = mcpguard(&["scan", ".", "--rules", "rules"], &d);
    assert_refused(&o, "back", "a symlink loop");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("defined twice"), "{err}");
    // A self-referential link without a .json name is not silently skipped.
    std::fs::remove_file(d.join("rules/sub/back")).unwrap();
    symlink("self", d.join("rules/self")).unwrap();
    let o = mcpguard(&["scan", ".", "--rules", "rules"], &d);
    assert_refused(&o, "self", "a symlink loop");
}

#[test]
fn only_and_skip_with_an_unknown_id_exit_2_naming_it() {
    let d = tf_dir("only");
    let o = mcpguard(&["scan", ".", "--only", "MCP001"], &d);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = mcpguard(&["scan", ".", "--only", "mcp001,NOPE999"], &d);
    assert_refused(&o, "NOPE999", "--only");
    let o = mcpguard(&["scan", ".", "--skip", "MCP00"], &d);
    assert_refused(&o, "MCP00", "--skip");
}

#[test]
fn standard_input_that_is_a_device_is_refused_at_once() {
    let d = tmp("stdin");
    let child = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(["scan", "-"])
        .current_dir(&d)
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mcpguard");
    let start = Instant::now();
    let o = child.wait_with_output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert_refused(&o, "standard input", "a device");
    // A pipe is read as before.
    let mut child = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(["scan", "-"])
        .current_dir(&d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), PLAN.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
