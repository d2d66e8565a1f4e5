//! The HTML report in a real headless Chromium: the numbers on the rendered
//! page match the JSON report, the URL-fragment filter works, and a
//! screenshot is written. Skips, saying why, when `/usr/bin/chromium` is
//! absent (CI installs Debian's `chromium`).

mod report_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcpguard::findings::Report;
use mcpguard::report::{render, Format, RenderOptions};
use report_common::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// A scratch directory for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("mcpguard-html-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chromium_present() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    eprintln!("skipping: {CHROMIUM} not found (apt-get install chromium)");
    false
}

/// Runs headless Chromium with `args` on `url`; returns stdout. Killed after 90 s.
fn chromium(scratch: &Scratch, args: &[&str], url: &str) -> String {
    let profile = scratch.0.join("profile");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let mut stdout = stdout;
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().expect("reader")
}

fn write_report(scratch: &Scratch, report: &Report) -> String {
    let path = scratch.0.join("report.html");
    std::fs::write(
        &path,
        render(
            Format::Html,
            report,
            &sample_rules(),
            &RenderOptions::default(),
        ),
    )
    .expect("write");
    format!("file://{}", path.display())
}

/// The text inside the element with `id` (no nested tags expected).
fn text_of(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the DOM"));
    let open_end = start + dom[start..].find('>').expect("tag end") + 1;
    let close = open_end + dom[open_end..].find('<').expect("text end");
    dom[open_end..close].to_string()
}

/// (data-rule, hidden) for every findings row.
fn rows(dom: &str) -> Vec<(String, bool)> {
    dom.match_indices("<tr class=\"finding\"")
        .map(|(i, _)| {
            let tag = &dom[i..i + dom[i..].find('>').expect("tag end")];
            let rule = tag
                .split("data-rule=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("")
                .to_string();
            (rule, tag.contains(" hidden"))
        })
        .collect()
}

#[test]
fn summary_numbers_match_the_json_report() {
    if !chromium_present() {
        return;
    }
    let scratch = Scratch::new("summary");
    let report = sample_report();
    let json: serde_json::Value = serde_json::from_str(&render(
        Format::Json,
        &report,
        &sample_rules(),
        &RenderOptions::default(),
    ))
    .expect("json");
    let dom = chromium(&scratch, &["--dump-dom"], &write_report(&scratch, &report));
    for (id, key) in [
        ("count-resources", "resources"),
        ("count-rules", "rules"),
        ("count-fail", "fail"),
        ("count-unknown", "unknown"),
        ("count-suppressed", "suppressed"),
    ] {
        assert_eq!(text_of(&dom, id), json["summary"][key].to_string(), "#{id}");
    }
    let all = rows(&dom);
    assert_eq!(
        all.len(),
        json["findings"].as_array().map(Vec::len).unwrap_or(0)
    );
    assert!(
        all.iter().all(|(_, hidden)| !hidden),
        "no filter, every row shown"
    );
    assert_eq!(
        text_of(&dom, "shown-count"),
        all.len().to_string(),
        "the script ran"
    );
}

#[test]
fn the_fragment_filter_hides_other_rows() {
    if !chromium_present() {
        return;
    }
    let scratch = Scratch::new("filter");
    let url = write_report(&scratch, &sample_report());

    let dom = chromium(&scratch, &["--dump-dom"], &format!("{url}#filter=MCP004"));
    let shown: Vec<String> = rows(&dom)
        .into_iter()
        .filter(|(_, h)| !h)
        .map(|(r, _)| r)
        .collect();
    assert_eq!(shown, vec!["MCP004".to_string()]);
    assert_eq!(text_of(&dom, "shown-count"), "1");
    assert!(
        dom.contains("value=\"MCP004\""),
        "the search box shows the filter"
    );

    let dom = chromium(
        &scratch,
        &["--dump-dom"],
        &format!("{url}#severity=medium&status=suppressed"),
    );
    let mut shown: Vec<String> = rows(&dom)
        .into_iter()
        .filter(|(_, h)| !h)
        .map(|(r, _)| r)
        .collect();
    shown.sort();
    assert_eq!(shown, vec!["MCP009".to_string(), "MCP010".to_string()]);
}

#[test]
fn a_screenshot_is_written() {
    if !chromium_present() {
        return;
    }
    let scratch = Scratch::new("shot");
    let url = write_report(&scratch, &sample_report());
    let png = scratch.0.join("report.png");
    chromium(
        &scratch,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,900",
        ],
        &url,
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        bytes.len() > 10_000,
        "not a blank page ({} bytes)",
        bytes.len()
    );
    if let Ok(dir) = std::env::var("MCPGUARD_SCREENSHOT_DIR") {
        let _ = std::fs::copy(&png, Path::new(&dir).join("report.png"));
    }
}

/// `#print` (and printing, which runs the same code on `beforeprint`) opens
/// every section and shows every row, whatever the filter.
#[test]
fn the_print_view_expands_every_section() {
    if !chromium_present() {
        return;
    }
    let scratch = Scratch::new("print");
    let url = write_report(&scratch, &sample_report());
    let dom = chromium(&scratch, &["--dump-dom"], &url);
    let details = dom.matches("<details").count();
    assert!(details >= 5, "{details} sections");
    assert_eq!(dom.matches("<details open").count(), 0, "closed on screen");
    let dom = chromium(
        &scratch,
        &["--dump-dom"],
        &format!("{url}#filter=MCP004&print"),
    );
    assert_eq!(
        dom.matches("<details").count(),
        dom.matches(" open=\"\"").count(),
        "every section open"
    );
    assert!(
        rows(&dom).iter().all(|(_, hidden)| !hidden),
        "every row shown"
    );
    assert!(dom.contains("class=\"print-view\""), "the print layout");
    // The coverage numbers on the page are the JSON report's.
    let json: serde_json::Value = serde_json::from_str(&render(
        Format::Json,
        &sample_report(),
        &sample_rules(),
        &RenderOptions::default(),
    ))
    .expect("json");
    let passed_on_page: u64 = dom
        .match_indices("data-passed=\"")
        .map(|(i, m)| {
            let rest = &dom[i + m.len()..];
            rest[..rest.find('"').unwrap()].parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(passed_on_page, json["summary"]["passed"].as_u64().unwrap());
    assert_eq!(
        text_of(&dom, "count-passed"),
        json["summary"]["passed"].to_string()
    );
}
