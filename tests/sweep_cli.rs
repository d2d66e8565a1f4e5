//! `mcpguard sweep` end to end, as an auditor runs it: the real binary, a
//! fake ARM service on 127.0.0.1 serving the before-incident environment as
//! deployed, and the Azure CLI credential answered by a fake `az` on PATH.
//! The sweep must find what a scan of the same resources finds, save a
//! snapshot that re-scans to the same findings, send only GETs, and never
//! print the token.
#![cfg(feature = "azure")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

const TOKEN: &str = "fake-token-SWEEPCLI-7f3a9c";
const SUB: &str = "11111111-2222-3333-4444-555555555555";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Serves list requests from the fixture's ARM documents; records every
/// request line and whether it carried the token.
fn fake_arm(resources: Vec<Value>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let resources = resources.clone();
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                let mut authorized = false;
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                        break;
                    }
                    let l = h.to_ascii_lowercase();
                    authorized |= l.starts_with("authorization:") && h.contains(TOKEN);
                    if let Some(v) = l.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                log.lock().unwrap().push(line.trim().to_string());
                let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let path = target.split('?').next().unwrap_or("").to_ascii_lowercase();
                let (status, payload) = if !authorized {
                    (
                        "401 Unauthorized",
                        json!({"error": {"code": "Unauthorized"}}),
                    )
                } else if path == format!("/subscriptions/{SUB}") {
                    ("200 OK", json!({"subscriptionId": SUB, "state": "Enabled"}))
                } else {
                    // A list: every fixture resource whose id sits directly under the path's type.
                    let items: Vec<Value> = resources
                        .iter()
                        .filter(|r| {
                            let id = r["id"].as_str().unwrap_or("").to_ascii_lowercase();
                            let t = r["type"].as_str().unwrap_or("").to_ascii_lowercase();
                            (path.contains("/providers/")
                                && path.ends_with(&t)
                                && id.starts_with(&format!("/subscriptions/{}", SUB)))
                                || (id.starts_with(&format!("{path}/"))
                                    && id[path.len() + 1..].split('/').count() == 1)
                        })
                        .filter(|r| {
                            path.contains("/providers/")
                                || r["type"].as_str().unwrap_or("").matches('/').count() > 1
                        })
                        .cloned()
                        .collect();
                    ("200 OK", json!({ "value": items }))
                };
                let text = payload.to_string();
                let mut s = stream;
                let _ = write!(
                    s,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            });
        }
    });
    (addr, seen)
}

fn findings(report: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_ascii_lowercase(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn sweep_finds_what_a_scan_finds_and_reads_only() {
    let dir = root().join("fixtures/seed/before-incident");
    let arm: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("arm.json")).unwrap()).unwrap();
    let (endpoint, seen) = fake_arm(arm["value"].as_array().unwrap().clone());

    let tmp = std::env::temp_dir().join(format!("mcpguard-sweep-cli-{}", std::process::id()));
    let bin = tmp.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let az = bin.join("az");
    std::fs::write(
        &az,
        format!("#!/bin/sh\necho '{{\"accessToken\": \"{TOKEN}\", \"expires_on\": 4102444800, \"tokenType\": \"Bearer\"}}'\n"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let snapshot = tmp.join("evidence.json");
    let cfg = dir.join(".mcpguard.hcl");
    let out = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args([
            "sweep",
            "--subscription",
            SUB,
            "--arm-endpoint",
            &endpoint,
            "--auth",
            "azure-cli",
            "--format",
            "json",
        ])
        .arg("--config")
        .arg(&cfg)
        .arg("--save-snapshot")
        .arg(&snapshot)
        .env("PATH", &path)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let swept: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    assert!(swept["errors"].as_array().unwrap().is_empty(), "{stdout}");

    // The same deployed resources, read from the fixture file.
    let scanned = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(["scan", "--format", "json", "--preflight", "off"])
        .arg(dir.join("arm.json"))
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let scanned: Value = serde_json::from_slice(&scanned.stdout).unwrap();
    // A sweep reads ARM only: Entra ID objects (Microsoft Graph's) come from
    // snapshots and Bicep, so the file's findings on them are not swept.
    let arm_only: Vec<_> = findings(&scanned)
        .into_iter()
        .filter(|(_, id, _)| !id.starts_with("/applications/"))
        .collect();
    assert_eq!(findings(&swept), arm_only);

    // The saved snapshot re-scans to the same findings, offline.
    let rescan = Command::new(env!("CARGO_BIN_EXE_mcpguard"))
        .args(["scan", "--format", "json"])
        .arg(&snapshot)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let rescanned: Value = serde_json::from_slice(&rescan.stdout).unwrap();
    assert_eq!(findings(&rescanned), findings(&swept));

    let requests = seen.lock().unwrap().clone();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r.starts_with("GET ")),
        "{requests:#?}"
    );
    let saved = std::fs::read_to_string(&snapshot).unwrap();
    for (what, text) in [
        ("stdout", stdout.as_ref()),
        ("stderr", stderr.as_ref()),
        ("snapshot", saved.as_str()),
    ] {
        assert!(!text.contains(TOKEN), "the token leaked into {what}");
    }
}
