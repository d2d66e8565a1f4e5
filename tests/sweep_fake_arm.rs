//! The live sweep against a fake ARM service on 127.0.0.1: paging, 429 with
//! Retry-After, 500 then success, 403 and 404 subscriptions, a timeout,
//! bounded concurrency, GET only, and a fake token that never leaks.
#![cfg(feature = "azure")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcpguard::inventory::{id_key, types};
use mcpguard::load::arm;
use mcpguard::load::azure::{sweep_with, StaticTokenCredential, SweepOptions, SweepResult};
use serde_json::{json, Value};

const TOKEN: &str = "FAKE-TOKEN-7c1d9e2b-do-not-print";
const SUB_A: &str = "11111111-1111-1111-1111-111111111111";
const SUB_B: &str = "22222222-2222-2222-2222-222222222222";
const SUB_FORBIDDEN: &str = "33333333-3333-3333-3333-333333333333";
const SUB_MISSING: &str = "44444444-4444-4444-4444-444444444444";

#[derive(Debug, Clone)]
struct Req {
    method: String,
    target: String,
    authorization: Option<String>,
    body: String,
    at: Instant,
}

struct Resp {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
    delay: Duration,
}

fn ok(body: Value) -> Resp {
    Resp {
        status: 200,
        headers: vec![],
        body,
        delay: Duration::ZERO,
    }
}

fn status(code: u16, error_code: &str, message: &str) -> Resp {
    Resp {
        status: code,
        headers: vec![],
        body: json!({"error": {"code": error_code, "message": message}}),
        delay: Duration::ZERO,
    }
}

type Handler = dyn Fn(&Req, usize, &str) -> Resp + Send + Sync;

/// A minimal HTTP/1.1 server: one thread per connection, `Connection: close`.
struct FakeArm {
    base: String,
    log: Arc<Mutex<Vec<Req>>>,
    max_in_flight: Arc<AtomicUsize>,
}

impl FakeArm {
    fn start(handler: Arc<Handler>) -> FakeArm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let log: Arc<Mutex<Vec<Req>>> = Arc::default();
        let counts: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let (log2, max2, base2) = (log.clone(), max_in_flight.clone(), base.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (h, log, counts, inf, max, base) = (
                    handler.clone(),
                    log2.clone(),
                    counts.clone(),
                    in_flight.clone(),
                    max2.clone(),
                    base2.clone(),
                );
                std::thread::spawn(move || {
                    let Some(req) = read_request(&stream) else {
                        return;
                    };
                    let now = inf.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(now, Ordering::SeqCst);
                    let nth = {
                        let mut c = counts.lock().unwrap();
                        let n = c.entry(req.target.clone()).or_insert(0);
                        *n += 1;
                        *n
                    };
                    log.lock().unwrap().push(req.clone());
                    let resp = h(&req, nth, &base);
                    std::thread::sleep(resp.delay);
                    inf.fetch_sub(1, Ordering::SeqCst);
                    write_response(stream, resp);
                });
            }
        });
        FakeArm {
            base,
            log,
            max_in_flight,
        }
    }

    fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }
}

fn read_request(stream: &TcpStream) -> Option<Req> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut authorization = None;
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(v.trim().to_string()),
                "content-length" => length = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(Req {
        method,
        target,
        authorization,
        body: String::from_utf8_lossy(&body).to_string(),
        at: Instant::now(),
    })
}

fn write_response(mut stream: TcpStream, resp: Resp) {
    let body = resp.body.to_string();
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        resp.status,
        body.len()
    );
    for (k, v) in resp.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn path_of(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

fn rg(sub: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/rg-mcp/providers")
}

/// An NSG shaped like the REST examples' NetworkSecurityGroupGet (no defaults:
/// the loader adds them).
fn nsg(sub: &str, name: &str) -> Value {
    let id = format!("{}/Microsoft.Network/networkSecurityGroups/{name}", rg(sub));
    json!({
        "name": name, "id": id, "type": "Microsoft.Network/networkSecurityGroups", "location": "westus",
        "properties": {"provisioningState": "Succeeded", "securityRules": [{
            "name": "deny-internet-out", "id": format!("{id}/securityRules/deny-internet-out"),
            "properties": {"priority": 4000, "direction": "Outbound", "access": "Deny", "protocol": "*",
                "sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": "Internet",
                "destinationPortRange": "*"}}]}
    })
}

fn container_group(sub: &str) -> Value {
    json!({
        "name": "ci-mcp", "type": "Microsoft.ContainerInstance/containerGroups",
        "id": format!("{}/Microsoft.ContainerInstance/containerGroups/ci-mcp", rg(sub)),
        "location": "westus", "tags": {"MCPServer": "files"},
        "properties": {"sku": "Standard", "osType": "Linux", "provisioningState": "Succeeded",
            "ipAddress": {"type": "Private", "ip": "10.0.2.4", "ports": [{"port": 8080, "protocol": "TCP"}]},
            "subnetIds": [{"id": format!("{}/Microsoft.Network/virtualNetworks/vnet-mcp/subnets/snet-mcp", rg(sub))}],
            "containers": [{"name": "files", "properties": {"image": "mcr.microsoft.com/mcp/files:1.0",
                "ports": [{"port": 8080}], "environmentVariables": [{"name": "API_KEY"}],
                "resources": {"requests": {"cpu": 1.0, "memoryInGB": 1.5}}}}]}
    })
}

fn vnet(sub: &str) -> Value {
    let id = format!("{}/Microsoft.Network/virtualNetworks/vnet-mcp", rg(sub));
    json!({
        "name": "vnet-mcp", "id": id, "type": "Microsoft.Network/virtualNetworks", "location": "westus",
        "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": [{
            "name": "snet-mcp", "id": format!("{id}/subnets/snet-mcp"),
            "properties": {"addressPrefix": "10.0.2.0/24", "networkSecurityGroup": {
                "id": format!("{}/Microsoft.Network/networkSecurityGroups/nsg-1", rg(sub))}}}]}
    })
}

fn identity(sub: &str) -> Value {
    json!({
        "name": "id-mcp", "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "location": "westus",
        "id": format!("{}/Microsoft.ManagedIdentity/userAssignedIdentities/id-mcp", rg(sub)),
        "tags": {}, "properties": {"tenantId": "b4f3a1c2-0000-0000-0000-000000000000",
            "principalId": "25cc773c-0000-0000-0000-000000000001", "clientId": "25cc773c-0000-0000-0000-000000000002"}
    })
}

fn fic(sub: &str) -> Value {
    json!({
        "id": format!("{}/Microsoft.ManagedIdentity/userAssignedIdentities/id-mcp/federatedIdentityCredentials/gha", rg(sub)),
        "name": "gha", "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
        "properties": {"issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:example/mcp:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]}
    })
}

/// The scenario of the issue, in one fake service.
fn scenario(req: &Req, nth: usize, base: &str) -> Resp {
    let path = path_of(&req.target);
    let query = req.target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let sub_of = |p: &str| p.split('/').nth(2).unwrap_or("").to_string();
    if path.matches('/').count() == 2 && path.starts_with("/subscriptions/") {
        return match sub_of(path).as_str() {
            SUB_FORBIDDEN => status(403, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.Resources/subscriptions/read'."),
            SUB_MISSING => status(404, "SubscriptionNotFound", "The subscription could not be found."),
            s => ok(json!({"id": format!("/subscriptions/{s}"), "subscriptionId": s, "state": "Enabled"})),
        };
    }
    let sub = sub_of(path);
    let providers = format!("/subscriptions/{sub}/providers/");
    let Some(ty) = path.strip_prefix(&providers) else {
        if path.ends_with("/federatedIdentityCredentials") {
            return ok(json!({"value": [fic(&sub)]}));
        }
        return status(404, "NotFound", "no such route");
    };
    match (ty, sub.as_str()) {
        ("Microsoft.Network/networkSecurityGroups", SUB_A) => {
            // Three pages: the second throttled once, the third failing once.
            let next = |n: u32| {
                format!("{base}/subscriptions/{sub}/providers/{ty}?api-version=2024-07-01&$skiptoken=p{n}")
            };
            if query.contains("skiptoken=p2") {
                if nth == 1 {
                    return Resp {
                        status: 429,
                        headers: vec![("Retry-After", "1".to_string())],
                        body: json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
                        delay: Duration::ZERO,
                    };
                }
                ok(json!({"value": [nsg(&sub, "nsg-3")], "nextLink": next(3)}))
            } else if query.contains("skiptoken=p3") {
                if nth == 1 {
                    return status(500, "InternalServerError", "transient");
                }
                ok(json!({"value": [nsg(&sub, "nsg-4")]}))
            } else {
                ok(json!({"value": [nsg(&sub, "nsg-1"), nsg(&sub, "nsg-2")], "nextLink": next(2)}))
            }
        }
        ("Microsoft.ContainerInstance/containerGroups", SUB_A) => {
            ok(json!({"value": [container_group(&sub)]}))
        }
        ("Microsoft.ContainerInstance/containerGroups", _) => {
            // A nextLink off the ARM host must not be followed (it would get the token).
            ok(json!({"value": [], "nextLink": "http://elsewhere.example.com/steal?api-version=1"}))
        }
        ("Microsoft.Network/virtualNetworks", SUB_A) => ok(json!({"value": [vnet(&sub)]})),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", SUB_A) => {
            ok(json!({"value": [identity(&sub)]}))
        }
        ("Microsoft.Authorization/roleAssignments", SUB_A) => Resp {
            status: 200,
            headers: vec![],
            body: json!({"value": []}),
            delay: Duration::from_secs(3),
        },
        _ => ok(json!({"value": []})),
    }
}

fn options(base: &str, subs: &[&str]) -> SweepOptions {
    SweepOptions {
        subscriptions: subs.iter().map(|s| s.to_string()).collect(),
        types: [
            types::CONTAINER_GROUP,
            types::NSG,
            types::SUBNET,
            types::FEDERATED_CREDENTIAL,
            types::ROLE_ASSIGNMENT,
        ]
        .map(str::to_string)
        .to_vec(),
        arm_endpoint: base.to_string(),
        concurrency: 2,
        timeout: Duration::from_millis(400),
        ..SweepOptions::default()
    }
}

fn assert_no_token(what: &str, text: &str) {
    assert!(
        !text.contains(TOKEN) && !text.contains("FAKE-TOKEN"),
        "token leaked into {what}"
    );
}

fn run_scenario() -> (FakeArm, SweepResult) {
    let server = FakeArm::start(Arc::new(scenario));
    let opts = options(&server.base, &[SUB_A, SUB_B, SUB_FORBIDDEN, SUB_MISSING]);
    let result = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    (server, result)
}

#[test]
fn sweep_reads_pages_retries_and_reports_what_it_could_not_read() {
    let (server, result) = run_scenario();
    let reqs = server.requests();

    // Resources: four NSGs over three pages, their defaults, the inline
    // subnet as its own resource, the FIC listed under its identity.
    let nsgs: Vec<_> = result
        .resources
        .iter()
        .filter(|r| r.arm_type() == types::NSG)
        .collect();
    assert_eq!(nsgs.len(), 4, "{:?}", result.errors);
    assert!(nsgs
        .iter()
        .all(|n| n.doc["properties"]["defaultSecurityRules"]
            .as_array()
            .map(Vec::len)
            == Some(6)));
    assert!(result
        .resources
        .iter()
        .any(|r| r.arm_type() == types::SUBNET && r.name() == "snet-mcp"));
    let fic: Vec<_> = result
        .resources
        .iter()
        .filter(|r| r.arm_type() == types::FEDERATED_CREDENTIAL)
        .collect();
    assert_eq!(fic.len(), 1);
    assert!(fic[0]
        .address
        .ends_with("/federatedIdentityCredentials/gha"));
    assert!(fic[0]
        .origin
        .detail
        .as_deref()
        .unwrap()
        .starts_with("GET /subscriptions/"));
    assert_eq!(
        result
            .resources
            .iter()
            .filter(|r| r.arm_type() == types::CONTAINER_GROUP)
            .count(),
        1
    );

    // Errors: one per unreadable subscription, the timeout, the off-host nextLink.
    let errs: Vec<String> = result
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.source, e.message))
        .collect();
    assert_eq!(errs.len(), 4, "{errs:#?}");
    assert!(
        errs.iter().any(|e| e
            .starts_with(&format!("subscription {SUB_FORBIDDEN}: no read access"))
            && e.contains("403")
            && e.contains("AuthorizationFailed")),
        "{errs:#?}"
    );
    assert!(
        errs.iter().any(|e| e.starts_with(&format!(
            "subscription {SUB_MISSING}: subscription not found"
        ))),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("Microsoft.Authorization/roleAssignments")
                && e.contains("timed out after 400 ms")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains(SUB_B)
                && e.contains("refusing to follow a link off the ARM endpoint")),
        "{errs:#?}"
    );
    // The unreadable subscriptions were not listed type by type.
    assert!(!reqs
        .iter()
        .any(|r| r.target.contains(&format!("{SUB_FORBIDDEN}/providers"))));

    // 429: the retry waited for Retry-After. 500: retried, then succeeded.
    let p2: Vec<&Req> = reqs
        .iter()
        .filter(|r| r.target.contains("skiptoken=p2"))
        .collect();
    assert_eq!(p2.len(), 2);
    assert!(
        p2[1].at.duration_since(p2[0].at) >= Duration::from_millis(950),
        "Retry-After not honoured"
    );
    assert_eq!(
        reqs.iter()
            .filter(|r| r.target.contains("skiptoken=p3"))
            .count(),
        2
    );
    // The slow list was tried a bounded number of times.
    assert_eq!(
        reqs.iter()
            .filter(|r| r.target.contains(SUB_A) && r.target.contains("roleAssignments"))
            .count(),
        3
    );

    // Per-type api-versions.
    assert!(reqs.iter().any(|r| r
        .target
        .contains("/userAssignedIdentities?api-version=2024-11-30")));
    assert!(reqs.iter().any(|r| r
        .target
        .contains("/networkSecurityGroups?api-version=2024-07-01")));
    assert!(reqs.iter().any(|r| r
        .target
        .contains("/federatedIdentityCredentials?api-version=2024-11-30")));

    // Read-only: GET and nothing else, every one authenticated.
    assert!(
        reqs.iter().all(|r| r.method == "GET"),
        "{:?}",
        reqs.iter().map(|r| &r.method).collect::<Vec<_>>()
    );
    assert!(reqs
        .iter()
        .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")[..])));
}

#[test]
fn requests_in_flight_are_bounded() {
    let server = FakeArm::start(Arc::new(|req: &Req, _nth, _base: &str| {
        let mut r = if path_of(&req.target).matches('/').count() == 2 {
            ok(json!({"subscriptionId": "x"}))
        } else {
            ok(json!({"value": []}))
        };
        r.delay = Duration::from_millis(60);
        r
    }));
    let subs: Vec<String> = (0..12)
        .map(|i| format!("00000000-0000-0000-0000-{i:012}"))
        .collect();
    let mut opts = options(&server.base, &[]);
    opts.subscriptions = subs;
    opts.concurrency = 3;
    opts.timeout = Duration::from_secs(10);
    let result = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let max = server.max_in_flight.load(Ordering::SeqCst);
    assert!(max <= 3, "{max} requests in flight, bound is 3");
    assert!(max >= 2, "requests did not run concurrently ({max})");
    // 12 subscription reads + 12 × 5 lists (the identity list has no FIC parents).
    assert_eq!(server.requests().len(), 12 + 12 * 5);
}

#[test]
fn the_token_never_leaves_the_authorization_header() {
    let (_server, result) = run_scenario();
    assert_no_token("errors", &format!("{:?}", result.errors));
    assert_no_token("snapshot", &result.snapshot.to_string());
    assert_no_token("resources", &format!("{:?}", result.resources));
    let cred = StaticTokenCredential::new(TOKEN);
    assert_no_token("credential debug", &format!("{cred:?}"));
}

#[test]
fn a_saved_snapshot_rescans_to_the_same_resources_and_errors() {
    let (_server, result) = run_scenario();
    let text = serde_json::to_string_pretty(&result.snapshot).unwrap();
    let out = arm::load("sweep.json", &text).expect("snapshot loads");
    let meta = out.snapshot.expect("is a snapshot");
    assert_eq!(meta.subscriptions.len(), 4);
    assert_eq!(
        meta.api_versions.get(types::NSG).map(String::as_str),
        Some("2024-07-01")
    );
    assert_eq!(
        meta.errors, result.errors,
        "sweep errors carried in the snapshot"
    );
    let docs = |rs: &[mcpguard::inventory::Resource]| -> Vec<(String, mcpguard::inventory::Value)> {
        rs.iter().map(|r| (id_key(r.id()), r.doc.clone())).collect()
    };
    assert_eq!(docs(&out.resources), docs(&result.resources));
}

#[test]
fn repeated_server_errors_are_reported_and_the_rest_goes_on() {
    let server = FakeArm::start(Arc::new(|req: &Req, _nth, _base: &str| {
        let path = path_of(&req.target);
        if path.ends_with("/networkSecurityGroups") {
            return status(503, "ServiceUnavailable", "try later");
        }
        if path.ends_with("/userAssignedIdentities") {
            return ok(json!({"value": [identity(SUB_A)]}));
        }
        if path.matches('/').count() == 2 {
            return ok(json!({"subscriptionId": SUB_A}));
        }
        ok(json!({"value": []}))
    }));
    let mut opts = options(&server.base, &[SUB_A]);
    opts.types = vec![types::NSG.to_string(), types::USER_IDENTITY.to_string()];
    let result = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    assert_eq!(result.errors.len(), 1, "{:?}", result.errors);
    assert!(
        result.errors[0].message.contains("503")
            && result.errors[0].message.contains("(3 attempts)")
    );
    assert_eq!(result.resources.len(), 1);
    assert_eq!(result.snapshot["errors"].as_array().map(Vec::len), Some(1));
}

#[test]
fn resource_graph_mode_pages_by_skip_token_and_posts_only_queries() {
    let server = FakeArm::start(Arc::new(|req: &Req, _nth, _base: &str| {
        let path = path_of(&req.target);
        if path == "/providers/Microsoft.ResourceGraph/resources" {
            let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
            let mut nsg_lower = nsg(SUB_A, "nsg-graph-2");
            nsg_lower["type"] = json!("microsoft.network/networksecuritygroups");
            return match body.pointer("/options/$skipToken").and_then(Value::as_str) {
                None => ok(
                    json!({"totalRecords": 2, "count": 1, "data": [nsg(SUB_A, "nsg-graph-1")], "$skipToken": "page2"}),
                ),
                Some("page2") => ok(json!({"totalRecords": 2, "count": 1, "data": [nsg_lower]})),
                Some(_) => status(400, "BadRequest", "bad token"),
            };
        }
        if path.matches('/').count() == 2 {
            return ok(json!({"subscriptionId": SUB_A}));
        }
        ok(json!({"value": []}))
    }));
    let mut opts = options(&server.base, &[SUB_A]);
    opts.types = vec![types::NSG.to_string(), types::ROLE_ASSIGNMENT.to_string()];
    opts.graph = true;
    opts.resource_groups = vec!["rg-mcp".to_string()];
    let result = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let nsgs: Vec<_> = result
        .resources
        .iter()
        .filter(|r| r.arm_type() == types::NSG)
        .collect();
    assert_eq!(nsgs.len(), 2, "ARG's lower-case type gets ARM's spelling");
    let reqs = server.requests();
    let posts: Vec<&Req> = reqs.iter().filter(|r| r.method != "GET").collect();
    assert_eq!(posts.len(), 2);
    assert!(posts.iter().all(|r| r.method == "POST"
        && path_of(&r.target) == "/providers/Microsoft.ResourceGraph/resources"));
    let q: Value = serde_json::from_str(&posts[0].body).unwrap();
    assert_eq!(q["subscriptions"], json!([SUB_A]));
    assert!(q["query"]
        .as_str()
        .unwrap()
        .contains("resourceGroup in~ ('rg-mcp')"));
    // Role assignments are not in Resource Graph's resources table: an ARM GET.
    assert!(reqs.iter().any(|r| r.method == "GET"
        && r.target
            .contains("/resourceGroups/rg-mcp/providers/Microsoft.Authorization/roleAssignments")));
    assert_eq!(result.snapshot["mode"], "graph");
}

#[test]
fn bad_endpoint_and_no_subscription_are_errors_not_panics() {
    let opts = SweepOptions {
        subscriptions: vec![SUB_A.to_string()],
        arm_endpoint: "http://management.example.com".to_string(),
        ..SweepOptions::default()
    };
    let r = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    assert!(r.resources.is_empty());
    assert!(
        r.errors[0].message.contains("must be https"),
        "{:?}",
        r.errors
    );
    assert_eq!(r.snapshot["errors"][0]["source"], "sweep");
    let opts = SweepOptions {
        arm_endpoint: "http://127.0.0.1:9".to_string(),
        ..SweepOptions::default()
    };
    let r = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    assert!(r.errors[0].message.contains("no subscription"));
    let opts = SweepOptions {
        subscriptions: vec![SUB_A.to_string()],
        arm_endpoint: "http://127.0.0.1:9".to_string(),
        ..SweepOptions::default()
    };
    let r = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    assert!(
        r.errors[0].message.contains("no resource type"),
        "{:?}",
        r.errors
    );
}

/// `cargo test --release --test sweep_fake_arm -- --ignored --nocapture`
#[test]
#[ignore = "benchmark: prints the time to sweep 10,000 resources"]
fn bench_sweep_10000_resources() {
    const SUBS: usize = 10;
    const PER_SUB: usize = 1000;
    const PAGE: usize = 100;
    let server = FakeArm::start(Arc::new(|req: &Req, _nth, base: &str| {
        let path = path_of(&req.target);
        let sub = path.split('/').nth(2).unwrap_or("").to_string();
        if path.matches('/').count() == 2 {
            return ok(json!({"subscriptionId": sub}));
        }
        if !path.ends_with("/networkSecurityGroups") {
            return ok(json!({"value": []}));
        }
        let page: usize = req
            .target
            .split("skiptoken=")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let value: Vec<Value> = (0..PAGE)
            .map(|i| nsg(&sub, &format!("nsg-{}", page * PAGE + i)))
            .collect();
        let mut body = json!({"value": value});
        if (page + 1) * PAGE < PER_SUB {
            body["nextLink"] = json!(format!(
                "{base}{path}?api-version=2024-07-01&$skiptoken={}",
                page + 1
            ));
        }
        ok(body)
    }));
    let subs: Vec<String> = (0..SUBS)
        .map(|i| format!("00000000-0000-0000-0000-{i:012}"))
        .collect();
    let opts = SweepOptions {
        subscriptions: subs,
        types: vec![types::NSG.to_string()],
        arm_endpoint: server.base.clone(),
        concurrency: 8,
        timeout: Duration::from_secs(30),
        ..SweepOptions::default()
    };
    let start = Instant::now();
    let result = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    let took = start.elapsed();
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    assert_eq!(
        result
            .resources
            .iter()
            .filter(|r| r.arm_type() == types::NSG)
            .count(),
        SUBS * PER_SUB
    );
    eprintln!(
        "swept {} NSGs ({} resources with unfolded rules) in {} requests: {:.2?}",
        SUBS * PER_SUB,
        result.resources.len(),
        server.requests().len(),
        took
    );
}

#[test]
fn other_types_ask_the_provider_and_unregistered_providers_are_empty() {
    let server = FakeArm::start(Arc::new(|req: &Req, _nth, _base: &str| {
        let path = path_of(&req.target);
        if path.matches('/').count() == 2 {
            return ok(json!({"subscriptionId": SUB_A}));
        }
        // ARM matches paths case-insensitively.
        if path
            .to_ascii_lowercase()
            .ends_with("/providers/microsoft.storage")
        {
            return ok(json!({"namespace": "Microsoft.Storage", "resourceTypes": [
                {"resourceType": "storageTasks", "apiVersions": ["2024-04-01"]},
                {"resourceType": "storageAccounts", "apiVersions": ["2025-01-01-preview", "2024-11-01", "2023-01-01"]}]}));
        }
        if path.ends_with("/providers/Microsoft.Storage/storageAccounts")
            && req.target.contains("api-version=2024-11-01")
        {
            return ok(
                json!({"value": [{"id": format!("{}/Microsoft.Storage/storageAccounts/stmcp", rg(SUB_A)),
                "name": "stmcp", "type": "Microsoft.Storage/storageAccounts", "properties": {}}]}),
            );
        }
        if path.ends_with("/containerGroups") {
            return status(409, "MissingSubscriptionRegistration",
                "The subscription is not registered to use namespace 'Microsoft.ContainerInstance'.");
        }
        status(404, "NotFound", "no such route")
    }));
    let mut opts = options(&server.base, &[SUB_A]);
    opts.types = vec![
        "microsoft.storage/STORAGEACCOUNTS".to_string(),
        types::CONTAINER_GROUP.to_string(),
    ];
    let result = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    assert_eq!(result.resources.len(), 1);
    assert_eq!(
        result.resources[0].arm_type(),
        "Microsoft.Storage/storageAccounts"
    );
    assert_eq!(
        result.snapshot["api_versions"]["Microsoft.Storage/storageAccounts"],
        "2024-11-01"
    );
}

#[test]
fn missing_credentials_are_one_clear_error() {
    let vars = ["AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"];
    if vars.iter().any(|v| std::env::var_os(v).is_some()) {
        eprintln!("skipping: Azure credentials are set in this environment");
        return;
    }
    let opts = SweepOptions {
        subscriptions: vec![SUB_A.to_string()],
        types: vec![types::NSG.to_string()],
        auth: mcpguard::load::azure::AuthKind::Env,
        arm_endpoint: "http://127.0.0.1:9".to_string(),
        ..SweepOptions::default()
    };
    let r = mcpguard::load::azure::sweep(&opts);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(
        r.errors[0]
            .message
            .starts_with("authentication: environment: set AZURE_TENANT_ID"),
        "{:?}",
        r.errors
    );
    assert!(r.resources.is_empty());
    assert_eq!(r.snapshot["errors"].as_array().map(Vec::len), Some(1));
}

/// A site's config is listed (`web`), and its Easy Auth, which the list
/// leaves out, is read with a GET of its own, both with the site's api-version.
#[test]
fn sites_are_read_with_their_config_and_easy_auth() {
    let site_id = format!("{}/Microsoft.Web/sites/func-mcp", rg(SUB_A));
    let id = site_id.clone();
    let server = FakeArm::start(Arc::new(move |req: &Req, _nth, _base: &str| {
        let path = path_of(&req.target);
        if path.matches('/').count() == 2 {
            return ok(json!({"subscriptionId": SUB_A}));
        }
        if !req.target.contains("api-version=2024-04-01") {
            return status(400, "BadApiVersion", "unexpected api-version");
        }
        if path.ends_with("/providers/Microsoft.Web/sites") {
            return ok(
                json!({"value": [{"id": id, "name": "func-mcp", "type": "Microsoft.Web/sites",
                "kind": "functionapp,linux", "properties": {"publicNetworkAccess": "Disabled"}}]}),
            );
        }
        if path == format!("{id}/config") {
            return ok(
                json!({"value": [{"id": format!("{id}/config/web"), "name": "web",
                "type": "Microsoft.Web/sites/config", "properties": {"vnetRouteAllEnabled": true}}]}),
            );
        }
        if path == format!("{id}/config/authsettingsV2") {
            return ok(
                json!({"id": format!("{id}/config/authsettingsV2"), "name": "authsettingsV2",
                "type": "Microsoft.Web/sites/config",
                "properties": {"platform": {"enabled": true},
                               "globalValidation": {"requireAuthentication": true,
                                                    "unauthenticatedClientAction": "Return401"}}}),
            );
        }
        status(404, "NotFound", "no such route")
    }));
    let mut opts = options(&server.base, &[SUB_A]);
    opts.types = vec![types::SITE_CONFIG.to_string()];
    let result = sweep_with(&opts, StaticTokenCredential::new(TOKEN));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let names: Vec<&str> = result.resources.iter().map(|r| r.name()).collect();
    assert_eq!(names, ["func-mcp", "authsettingsV2", "web"], "sorted by id");
    assert!(server.requests().iter().any(|r| r
        .target
        .starts_with(&format!("{site_id}/config/authsettingsV2?"))));
}
