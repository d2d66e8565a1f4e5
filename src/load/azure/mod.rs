//! The live, read-only sweep: ARM resources of some subscriptions, read with
//! ARM REST list GETs (default) or one Azure Resource Graph query (`graph`).
//!
//! What is read is what the caller asks for: `SweepOptions::types`, the ARM
//! types the enabled rules match plus those they dereference. Nested types are
//! reached through their parents: subnets and security rules come inline
//! with their VNet / NSG (the ARM loader gives them as resources of their own),
//! federated credentials and other children are listed per parent.
//!
//! Manners: every subscription is first read (`GET /subscriptions/{id}`), so a
//! 403 or 404 is one clear error; lists follow `nextLink` (only on the ARM
//! endpoint's own host, which is the only host that ever gets the token);
//! requests in flight are bounded; 429 waits for `Retry-After`; 5xx and
//! timeouts are retried with backoff, a bounded number of times. A list that
//! could not be read is an error in the result (and the snapshot), and what
//! was read before it is kept: a partial sweep is never reported clean.
//!
//! Default mode sends GET requests only. `graph: true` sends one kind of POST,
//! the Resource Graph query (`POST /providers/Microsoft.ResourceGraph/resources`),
//! which reads and changes nothing. Resource Graph does not cover role
//! assignments, policy definitions and assignments, or nested types; those are
//! still read with ARM GETs. Resource Graph leaves out subscriptions the
//! caller cannot read instead of failing, which is why subscriptions are
//! checked with a GET first in both modes.
//!
//! Not built on azure_mgmt_resources: it is frozen on azure_core 0.21, cannot
//! take an azure_identity 1.x credential, and sends api-version 2021-04-01
//! for every type.

pub mod auth;
mod http;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use reqwest::Url;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

pub use auth::{AuthKind, StaticTokenCredential};
use http::{Http, ReadError};

use super::arm::{self, RawDoc};
use super::snapshot::{self, SnapshotMeta};
use crate::findings::ReportError;
use crate::inventory::{id_key, types, Resource};

/// What to sweep and how.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub subscriptions: Vec<String>,
    /// Only these resource groups (in every subscription); empty: all.
    pub resource_groups: Vec<String>,
    /// ARM types to read, decided by the caller from the enabled rules.
    pub types: Vec<String>,
    pub auth: AuthKind,
    /// `https://management.azure.com`, a sovereign cloud's, or a test server's.
    pub arm_endpoint: String,
    /// Query Azure Resource Graph (one POST) instead of ARM list GETs.
    pub graph: bool,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Told how far the sweep has got (the CLI draws a progress bar with it);
    /// the sweep itself prints nothing.
    pub progress: Option<OnProgress>,
}

/// How far a sweep has got, for a caller that shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepProgress {
    /// Subscriptions checked so far, of `subscriptions_total`.
    pub subscriptions: usize,
    pub subscriptions_total: usize,
    /// Lists read to their last page.
    pub lists: usize,
    /// Resources read so far.
    pub resources: usize,
    /// The last call: everything that will be read has been.
    pub done: bool,
}

/// Called at the start of a sweep, on every change of its [`SweepProgress`]
/// (from the sweep's worker threads, so it must be cheap and thread-safe), and
/// once more with `done` when the reading is over.
#[derive(Clone)]
pub struct OnProgress(pub Arc<dyn Fn(SweepProgress) + Send + Sync>);

impl OnProgress {
    pub fn new(f: impl Fn(SweepProgress) + Send + Sync + 'static) -> Self {
        OnProgress(Arc::new(f))
    }
}

impl std::fmt::Debug for OnProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnProgress(..)")
    }
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            subscriptions: Vec::new(),
            resource_groups: Vec::new(),
            types: Vec::new(),
            auth: AuthKind::Auto,
            arm_endpoint: "https://management.azure.com".to_string(),
            graph: false,
            concurrency: 8,
            timeout: Duration::from_secs(30),
            progress: None,
        }
    }
}

/// What a sweep read.
#[derive(Debug)]
pub struct SweepResult {
    /// Normalised exactly as a snapshot file of the same documents would be.
    pub resources: Vec<Resource>,
    /// What could not be read, and documents that could not be used.
    pub errors: Vec<ReportError>,
    /// The mcpguard snapshot of this sweep (`load::snapshot`), ready to save.
    pub snapshot: Value,
}

/// api-versions per ARM type (stable versions azurerm 4.x/5.x uses).
pub const API_VERSIONS: &[(&str, &str)] = &[
    (types::CONTAINER_GROUP, "2025-09-01"),
    (types::NSG, "2024-07-01"),
    (types::NSG_RULE, "2024-07-01"),
    (types::VNET, "2024-07-01"),
    (types::SUBNET, "2024-07-01"),
    (types::USER_IDENTITY, "2024-11-30"),
    (types::FEDERATED_CREDENTIAL, "2024-11-30"),
    (types::ROLE_ASSIGNMENT, "2022-04-01"),
    (types::POLICY_DEFINITION, "2023-04-01"),
    (types::POLICY_ASSIGNMENT, "2023-04-01"),
    (types::API_MANAGEMENT, "2024-05-01"),
    (types::APIM_POLICY, "2024-05-01"),
    // `type: "mcp"` APIs and their `mcpTools` / `mcpProperties` are in the
    // preview versions only (as the AI Gateway labs and azapi users write them).
    (types::APIM_API, "2024-06-01-preview"),
    (types::APIM_API_POLICY, "2024-06-01-preview"),
    (types::APIM_BACKEND, "2024-06-01-preview"),
    (types::APIM_DIAGNOSTIC, "2024-05-01"),
    (types::APIM_LOGGER, "2024-05-01"),
    (types::SCHEDULED_QUERY_RULE, "2023-12-01"),
    (types::ACTION_GROUP, "2023-01-01"),
    (types::CONTAINER_APP, "2025-01-01"),
    (types::CONTAINER_APP_AUTH, "2025-01-01"),
    (types::MANAGED_ENVIRONMENT, "2025-01-01"),
    (types::SITE, "2024-04-01"),
    // `GET {site}/config` lists the site config (`web`); Easy Auth is read as
    // `config/authsettingsV2` (see `SINGLETON_CHILDREN`).
    (types::SITE_CONFIG, "2024-04-01"),
    (types::PRIVATE_ENDPOINT, "2024-07-01"),
    ("Microsoft.ContainerService/managedClusters", "2024-09-01"),
];
const SUBSCRIPTION_API: &str = "2022-12-01";
const PROVIDERS_API: &str = "2021-04-01";
pub const GRAPH_API: &str = "2024-04-01";
const GRAPH_PAGE: u64 = 1000;
/// A list longer than this many pages is cut (a nextLink loop).
const MAX_PAGES: usize = 100_000;

/// The api-version used for a type (matched case-insensitively).
pub fn api_version(t: &str) -> Option<&'static str> {
    API_VERSIONS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(t))
        .map(|(_, v)| *v)
}

/// Sweeps with the credential `opts.auth` names.
pub fn sweep(opts: &SweepOptions) -> SweepResult {
    install_crypto();
    match auth::credentials(opts.auth) {
        Ok(c) if !c.is_empty() => run(opts, c),
        Ok(_) => failed(
            opts,
            "authentication: no credential is available".to_string(),
        ),
        Err(m) => failed(opts, format!("authentication: {m}")),
    }
}

/// Sweeps with a given credential (tests use [`StaticTokenCredential`]).
pub fn sweep_with(opts: &SweepOptions, credential: Arc<dyn TokenCredential>) -> SweepResult {
    install_crypto();
    run(opts, vec![("given credential", credential)])
}

/// rustls is built without a default provider: install ring once, before any
/// credential or client exists (ManagedIdentityCredential panics otherwise).
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn failed(opts: &SweepOptions, message: String) -> SweepResult {
    let mut meta = meta_for(opts);
    let errors = vec![ReportError {
        source: "sweep".to_string(),
        message,
    }];
    meta.errors = errors.clone();
    SweepResult {
        resources: Vec::new(),
        errors,
        snapshot: snapshot::build(&meta, Vec::new()),
    }
}

fn meta_for(opts: &SweepOptions) -> SnapshotMeta {
    let mut meta = SnapshotMeta::new(if opts.graph { "graph" } else { "arm" });
    meta.arm_endpoint = opts.arm_endpoint.clone();
    meta.subscriptions = opts.subscriptions.clone();
    meta.resource_groups = opts.resource_groups.clone();
    meta.types = opts.types.clone();
    meta
}

fn run(opts: &SweepOptions, sources: auth::Sources) -> SweepResult {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return failed(opts, format!("cannot start the async runtime: {e}")),
    };
    rt.block_on(run_async(opts, sources))
}

/// Where a list is read and what to call it in an error.
#[derive(Debug, Clone)]
struct Scope {
    subscription: String,
    resource_group: Option<String>,
}

impl Scope {
    fn path(&self) -> String {
        match &self.resource_group {
            Some(rg) => format!("/subscriptions/{}/resourceGroups/{rg}", self.subscription),
            None => format!("/subscriptions/{}", self.subscription),
        }
    }
    fn describe(&self) -> String {
        match &self.resource_group {
            Some(rg) => format!("subscription {} resource group {rg}", self.subscription),
            None => format!("subscription {}", self.subscription),
        }
    }
}

/// The reads a set of types needs.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Types listed per subscription (or resource group).
    top: BTreeSet<&'static str>,
    /// Nested types listed per parent, parents first: (type, parent type).
    nested: Vec<(&'static str, &'static str)>,
    /// Top-level types not in [`API_VERSIONS`]: their api-version is asked of
    /// the resource provider (`GET /subscriptions/{id}/providers/{namespace}`).
    unknown: Vec<String>,
}

fn plan(types_wanted: &[String], errors: &mut Vec<ReportError>) -> Plan {
    let mut p = Plan::default();
    for t in types_wanted {
        let Some((canonical, _)) = API_VERSIONS.iter().find(|(k, _)| k.eq_ignore_ascii_case(t))
        else {
            if t.matches('/').count() == 1 && valid_type(t) {
                if !p.unknown.iter().any(|u| u.eq_ignore_ascii_case(t)) {
                    p.unknown.push(t.clone());
                }
            } else {
                errors.push(ReportError {
                    source: format!("type {t}"),
                    message: "no api-version is known for this nested type; it was not read"
                        .to_string(),
                });
            }
            continue;
        };
        add_to_plan(&mut p, canonical);
    }
    p
}

fn add_to_plan(p: &mut Plan, t: &'static str) {
    // Subnets and security rules come inline with their parent's GET.
    let t = if t == types::SUBNET {
        types::VNET
    } else if t == types::NSG_RULE {
        types::NSG
    } else {
        t
    };
    match t
        .rfind('/')
        .map(|i| &t[..i])
        .filter(|parent| parent.contains('/'))
    {
        None => {
            p.top.insert(t);
        }
        Some(parent) => {
            let Some((parent, _)) = API_VERSIONS.iter().find(|(k, _)| *k == parent) else {
                return;
            };
            add_to_plan(p, parent);
            if !p.nested.iter().any(|(c, _)| *c == t) {
                p.nested.push((t, parent));
            }
        }
    }
}

/// Checks the endpoint: https, or plain http only to this machine (a token
/// must never cross a network in clear).
fn endpoint_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim_end_matches('/'))
        .map_err(|e| format!("ARM endpoint `{s}` is not a URL: {e}"))?;
    let local = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match url.scheme() {
        "https" => Ok(url),
        "http" if local => Ok(url),
        _ => Err(format!(
            "ARM endpoint `{s}` must be https (plain http only to localhost)"
        )),
    }
}

fn valid_type(t: &str) -> bool {
    t.split('/')
        .all(|seg| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 90
        // Resource group names may hold Unicode letters; never a quote or a slash.
        && s.chars().all(|c| c.is_alphanumeric() || "-_.()".contains(c))
}

/// The sweep's counters, shared by its tasks, told to the caller's [`OnProgress`].
struct Progress {
    tell: Option<OnProgress>,
    subs: (AtomicUsize, usize),
    lists: AtomicUsize,
    resources: AtomicUsize,
}

impl Progress {
    fn new(tell: Option<OnProgress>, subs: usize) -> Self {
        let p = Progress {
            tell,
            subs: (AtomicUsize::new(0), subs),
            lists: AtomicUsize::new(0),
            resources: AtomicUsize::new(0),
        };
        p.update();
        p
    }
    fn now(&self, done: bool) -> SweepProgress {
        SweepProgress {
            subscriptions: self.subs.0.load(Ordering::Relaxed),
            subscriptions_total: self.subs.1,
            lists: self.lists.load(Ordering::Relaxed),
            resources: self.resources.load(Ordering::Relaxed),
            done,
        }
    }
    fn update(&self) {
        if let Some(t) = &self.tell {
            (t.0)(self.now(false));
        }
    }
    fn finish(&self) {
        if let Some(t) = &self.tell {
            (t.0)(self.now(true));
        }
    }
}

async fn run_async(opts: &SweepOptions, sources: auth::Sources) -> SweepResult {
    let mut errors: Vec<ReportError> = Vec::new();
    let endpoint = match endpoint_url(&opts.arm_endpoint) {
        Ok(u) => u,
        Err(m) => return failed(opts, m),
    };
    if opts.subscriptions.is_empty() {
        return failed(opts, "no subscription to sweep".to_string());
    }
    if opts.types.is_empty() {
        // Reading nothing must not look like a clean subscription.
        return failed(
            opts,
            "no resource type to read: no enabled rule matches an ARM type".to_string(),
        );
    }
    let client = match reqwest::Client::builder()
        .user_agent(concat!("mcpguard/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(opts.timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => return failed(opts, format!("cannot build the HTTP client: {e}")),
    };
    let http = Arc::new(Http {
        client,
        tokens: auth::Tokens::new(sources, auth::arm_scope(endpoint.as_str())),
        endpoint: endpoint.clone(),
        limit: Semaphore::new(opts.concurrency.max(1)),
        timeout: opts.timeout,
    });
    // One token up front: a credential that does not work is one error, not one per request.
    if let Err(m) = http.tokens.bearer().await {
        return failed(opts, format!("authentication failed: {m}"));
    }
    let progress = Arc::new(Progress::new(
        opts.progress.clone(),
        opts.subscriptions.len(),
    ));
    let plan = plan(&opts.types, &mut errors);
    let mut meta = meta_for(opts);
    for t in plan.top.iter().chain(plan.nested.iter().map(|(c, _)| c)) {
        if let Some(v) = api_version(t) {
            meta.api_versions.insert(t.to_string(), v.to_string());
        }
    }

    // 1. Every subscription is read first: a 403 or 404 is one error, not one per type.
    let mut subs: BTreeSet<String> = BTreeSet::new();
    let mut checks = tokio::task::JoinSet::new();
    for s in &opts.subscriptions {
        let s = s.trim().to_string();
        if !valid_name(&s) {
            errors.push(ReportError {
                source: format!("subscription {s}"),
                message: "not a subscription id".to_string(),
            });
            continue;
        }
        if !subs.insert(s.to_ascii_lowercase()) {
            continue;
        }
        let (http, progress) = (http.clone(), progress.clone());
        let url = join_url(&endpoint, &format!("/subscriptions/{s}"), SUBSCRIPTION_API);
        checks.spawn(async move {
            let r = http.get(&url).await;
            progress.subs.0.fetch_add(1, Ordering::Relaxed);
            progress.update();
            (s, r)
        });
    }
    let mut readable: Vec<String> = Vec::new();
    while let Some(joined) = checks.join_next().await {
        let Ok((s, r)) = joined else { continue };
        match r {
            Ok(_) => readable.push(s),
            Err(e) => errors.push(ReportError {
                source: format!("subscription {s}"),
                message: match e.status {
                    Some(404) => format!(
                        "subscription not found or not visible to this identity: {}",
                        e.message
                    ),
                    Some(401 | 403) => format!("no read access to the subscription: {}", e.message),
                    _ => format!("cannot read the subscription: {}", e.message),
                },
            }),
        }
    }
    readable.sort();
    let mut scopes: Vec<Scope> = Vec::new();
    for s in &readable {
        if opts.resource_groups.is_empty() {
            scopes.push(Scope {
                subscription: s.clone(),
                resource_group: None,
            });
        }
        for rg in &opts.resource_groups {
            if valid_name(rg) {
                scopes.push(Scope {
                    subscription: s.clone(),
                    resource_group: Some(rg.clone()),
                });
            } else {
                errors.push(ReportError {
                    source: format!("resource group {rg}"),
                    message: "not a resource group name".to_string(),
                });
            }
        }
    }

    // 2. Top-level types: Resource Graph for what it covers (graph mode), ARM lists for the rest.
    let mut docs: Vec<RawDoc> = Vec::new();
    let mut by_arm: Vec<(String, String)> = plan
        .top
        .iter()
        .filter_map(|t| api_version(t).map(|v| (t.to_string(), v.to_string())))
        .collect();
    if let Some(first) = readable.first() {
        for t in &plan.unknown {
            match discover_api_version(&http, &endpoint, first, t).await {
                Ok((name, version)) => {
                    meta.api_versions.insert(name.clone(), version.clone());
                    by_arm.push((name, version));
                }
                Err(m) => errors.push(ReportError {
                    source: format!("type {t}"),
                    message: format!("no api-version found ({m}); it was not read"),
                }),
            }
        }
    }
    if opts.graph && !readable.is_empty() {
        let (in_graph, rest): (Vec<_>, Vec<_>) =
            by_arm.into_iter().partition(|(t, _)| in_resources_table(t));
        by_arm = rest;
        let in_graph: Vec<&str> = in_graph.iter().map(|(t, _)| t.as_str()).collect();
        if !in_graph.is_empty() {
            meta.api_versions.insert(
                "Microsoft.ResourceGraph/resources".to_string(),
                GRAPH_API.to_string(),
            );
            match graph_query(
                &http,
                &readable,
                &opts.resource_groups,
                &in_graph,
                &progress,
            )
            .await
            {
                Ok(found) => docs.extend(found),
                Err((found, e)) => {
                    docs.extend(found);
                    errors.push(ReportError {
                        source: "Azure Resource Graph".to_string(),
                        message: e.message,
                    });
                }
            }
        }
    }
    let mut lists = tokio::task::JoinSet::new();
    for scope in &scopes {
        for (t, version) in &by_arm {
            // Policy definitions live at subscription scope, not in resource groups.
            let scope = if t == types::POLICY_DEFINITION {
                Scope {
                    subscription: scope.subscription.clone(),
                    resource_group: None,
                }
            } else {
                scope.clone()
            };
            let url = join_url(
                &endpoint,
                &format!("{}/providers/{t}", scope.path()),
                version,
            );
            let (http, progress) = (http.clone(), progress.clone());
            let source = format!("{} type {t}", scope.describe());
            lists.spawn(async move { (source, list_all(&http, url, &progress).await) });
        }
    }
    collect_lists(&mut lists, &mut docs, &mut errors).await;

    // 3. Nested types, parents first: one list per parent resource.
    for (child, parent) in &plan.nested {
        let Some(version) = api_version(child) else {
            continue;
        };
        let Some(segment) = child.rsplit('/').next() else {
            continue;
        };
        let mut parents: BTreeSet<String> = BTreeSet::new();
        for d in &docs {
            let ty = d.doc.get("type").and_then(Value::as_str).unwrap_or("");
            if ty.eq_ignore_ascii_case(parent) {
                if let Some(id) = d.doc.get("id").and_then(Value::as_str) {
                    parents.insert(id.to_string());
                }
            }
        }
        let mut lists = tokio::task::JoinSet::new();
        for pid in parents {
            let url = join_url(
                &endpoint,
                &format!("{}/{segment}", pid.trim_end_matches('/')),
                version,
            );
            let (h, progress) = (http.clone(), progress.clone());
            let source = format!("{pid} type {child}");
            lists.spawn(async move { (source, list_all(&h, url, &progress).await) });
            // Children that a list does not return, read one by one.
            for name in SINGLETON_CHILDREN
                .iter()
                .filter(|(t, _)| t == child)
                .map(|(_, n)| *n)
            {
                let url = join_url(
                    &endpoint,
                    &format!("{}/{segment}/{name}", pid.trim_end_matches('/')),
                    version,
                );
                let http = http.clone();
                let source = format!("{pid}/{segment}/{name}");
                lists.spawn(async move { (source, get_one(&http, url).await) });
            }
        }
        collect_lists(&mut lists, &mut docs, &mut errors).await;
    }
    progress.finish();

    // 4. Same order, same normalisation as a later scan of the snapshot.
    docs.sort_by_cached_key(|d| {
        (
            id_key(d.doc.get("id").and_then(Value::as_str).unwrap_or("")),
            d.doc.to_string(),
        )
    });
    errors.sort_by(|a, b| (&a.source, &a.message).cmp(&(&b.source, &b.message)));
    meta.errors = errors.clone();
    let snapshot = snapshot::build(&meta, docs.iter().map(|d| d.doc.clone()).collect());
    let (resources, doc_errors) = arm::documents_to_resources(None, docs);
    errors.extend(doc_errors.into_iter().map(|e| ReportError {
        source: e.id.unwrap_or_else(|| "sweep".to_string()),
        message: e.message,
    }));
    SweepResult {
        resources,
        errors,
        snapshot,
    }
}

/// A list's documents, or those read before it failed and why.
type Listed = Result<Vec<RawDoc>, (Vec<RawDoc>, ReadError)>;

async fn collect_lists(
    lists: &mut tokio::task::JoinSet<(String, Listed)>,
    docs: &mut Vec<RawDoc>,
    errors: &mut Vec<ReportError>,
) {
    while let Some(joined) = lists.join_next().await {
        match joined {
            Ok((_, Ok(found))) => docs.extend(found),
            Ok((source, Err((found, e)))) => {
                docs.extend(found);
                errors.push(ReportError {
                    source,
                    message: e.message,
                });
            }
            Err(e) => errors.push(ReportError {
                source: "sweep".to_string(),
                message: format!("a read task failed: {e}"),
            }),
        }
    }
}

fn join_url(endpoint: &Url, path: &str, api_version: &str) -> Url {
    let mut url = endpoint.clone();
    let base = endpoint.path().trim_end_matches('/');
    url.set_path(&format!("{base}{path}"));
    url.set_query(Some(&format!("api-version={api_version}")));
    url
}

/// The request as origin detail: path and query, never a header.
fn request_detail(method: &str, url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{method} {}?{q}", url.path()),
        None => format!("{method} {}", url.path()),
    }
}

/// Nested resources a list of their type leaves out: a site's Easy Auth
/// (`GET {site}/config` lists only `web`).
const SINGLETON_CHILDREN: &[(&str, &str)] = &[(types::SITE_CONFIG, "authsettingsV2")];

/// One resource read by a GET.
async fn get_one(http: &Http, url: Url) -> Listed {
    match http.get(&url).await {
        Ok(doc) => Ok(vec![RawDoc {
            doc,
            detail: request_detail("GET", &url),
        }]),
        Err(e) => Err((Vec::new(), e)),
    }
}

/// Reads every page of an ARM list. On failure, the pages read so far come
/// back with the error.
async fn list_all(http: &Http, first: Url, progress: &Progress) -> Listed {
    let mut out = Vec::new();
    let mut url = first;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for _ in 0..MAX_PAGES {
        let page = match http.get(&url).await {
            Ok(p) => p,
            // The provider is not registered: the subscription has none of its resources.
            Err(e) if e.code.as_deref() == Some("MissingSubscriptionRegistration") => {
                return Ok(out)
            }
            Err(e) => return Err((out, e)),
        };
        let detail = request_detail("GET", &url);
        let Some(items) = page.get("value").and_then(Value::as_array) else {
            return Err((
                out,
                ReadError {
                    status: None,
                    code: None,
                    message: format!("`{detail}`: answer has no `value` list"),
                },
            ));
        };
        for (i, doc) in items.iter().enumerate() {
            out.push(RawDoc {
                doc: doc.clone(),
                detail: format!("{detail} value[{i}]"),
            });
        }
        progress.resources.fetch_add(items.len(), Ordering::Relaxed);
        progress.update();
        let next = page
            .get("nextLink")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let Some(next) = next else {
            progress.lists.fetch_add(1, Ordering::Relaxed);
            progress.update();
            return Ok(out);
        };
        if !seen.insert(next.to_string()) {
            return Err((
                out,
                ReadError {
                    status: None,
                    code: None,
                    message: "the list's nextLink repeats itself".to_string(),
                },
            ));
        }
        url = match Url::parse(next) {
            Ok(u) => u,
            Err(e) => {
                return Err((
                    out,
                    ReadError {
                        status: None,
                        code: None,
                        message: format!("nextLink is not a URL: {e}"),
                    },
                ))
            }
        };
    }
    Err((
        out,
        ReadError {
            status: None,
            code: None,
            message: format!("more than {MAX_PAGES} pages; stopped"),
        },
    ))
}

/// Asks the resource provider which api-versions a type has; the newest
/// stable one wins (providers list them newest first).
async fn discover_api_version(
    http: &Http,
    endpoint: &Url,
    subscription: &str,
    t: &str,
) -> Result<(String, String), String> {
    let (namespace, rest) = t.split_once('/').ok_or("not a type")?;
    let url = join_url(
        endpoint,
        &format!("/subscriptions/{subscription}/providers/{namespace}"),
        PROVIDERS_API,
    );
    let provider = http.get(&url).await.map_err(|e| e.message)?;
    let ns = provider
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or(namespace);
    let entry = provider
        .get("resourceTypes")
        .and_then(Value::as_array)
        .and_then(|ts| {
            ts.iter().find(|e| {
                e.get("resourceType")
                    .and_then(Value::as_str)
                    .is_some_and(|r| r.eq_ignore_ascii_case(rest))
            })
        })
        .ok_or_else(|| format!("provider {ns} has no resource type `{rest}`"))?;
    let versions: Vec<&str> = entry
        .get("apiVersions")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let version = versions
        .iter()
        .find(|v| !v.contains("preview"))
        .or(versions.first())
        .ok_or_else(|| format!("provider {ns} lists no api-version for `{rest}`"))?;
    let name = entry
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or(rest);
    Ok((format!("{ns}/{name}"), version.to_string()))
}

/// Types Resource Graph's `resources` table holds (not Microsoft.Authorization,
/// not nested types).
fn in_resources_table(t: &str) -> bool {
    t.matches('/').count() == 1 && !t.starts_with("Microsoft.Authorization/")
}

/// The Resource Graph query for some types (validated names only: no quoting needed).
fn graph_kql(types_wanted: &[&str], resource_groups: &[String]) -> String {
    let list = |xs: Vec<String>| {
        xs.iter()
            .map(|x| format!("'{x}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut q = format!(
        "resources | where type in~ ({})",
        list(
            types_wanted
                .iter()
                .map(|t| t.to_ascii_lowercase())
                .collect()
        )
    );
    let rgs: Vec<String> = resource_groups
        .iter()
        .filter(|r| valid_name(r))
        .cloned()
        .collect();
    if !rgs.is_empty() {
        q.push_str(&format!(" | where resourceGroup in~ ({})", list(rgs)));
    }
    q.push_str(" | order by id asc");
    q
}

async fn graph_query(
    http: &Http,
    subscriptions: &[String],
    resource_groups: &[String],
    types_wanted: &[&str],
    progress: &Progress,
) -> Listed {
    let url = join_url(
        &http.endpoint,
        "/providers/Microsoft.ResourceGraph/resources",
        GRAPH_API,
    );
    let query = graph_kql(types_wanted, resource_groups);
    let mut out = Vec::new();
    // Resource Graph takes at most 1000 subscriptions per query.
    for chunk in subscriptions.chunks(1000) {
        let mut skip: Option<String> = None;
        for page_no in 0..MAX_PAGES {
            let mut options = json!({"$top": GRAPH_PAGE, "resultFormat": "objectArray"});
            if let Some(s) = &skip {
                options["$skipToken"] = Value::String(s.clone());
            }
            let body = json!({"subscriptions": chunk, "query": query, "options": options});
            let page = match http.post_query(&url, &body).await {
                Ok(p) => p,
                Err(e) => return Err((out, e)),
            };
            let Some(items) = page.get("data").and_then(Value::as_array) else {
                return Err((
                    out,
                    ReadError {
                        status: None,
                        code: None,
                        message: "Resource Graph answer has no `data` array".to_string(),
                    },
                ));
            };
            let detail = format!("{} page {page_no}", request_detail("POST", &url));
            for (i, doc) in items.iter().enumerate() {
                out.push(RawDoc {
                    doc: doc.clone(),
                    detail: format!("{detail} data[{i}]"),
                });
            }
            progress.resources.fetch_add(items.len(), Ordering::Relaxed);
            progress.update();
            skip = page
                .get("$skipToken")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            if skip.is_none() {
                break;
            }
        }
    }
    progress.lists.fetch_add(1, Ordering::Relaxed);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_told_to_the_caller_and_ends_with_done() {
        let seen: Arc<std::sync::Mutex<Vec<SweepProgress>>> = Arc::default();
        let log = seen.clone();
        let tell = OnProgress::new(move |p| log.lock().unwrap().push(p));
        let p = Progress::new(Some(tell), 2);
        p.subs.0.fetch_add(1, Ordering::Relaxed);
        p.update();
        p.resources.fetch_add(5, Ordering::Relaxed);
        p.lists.fetch_add(1, Ordering::Relaxed);
        p.update();
        p.finish();
        let seen = seen.lock().unwrap();
        let at = |subscriptions, lists, resources, done| SweepProgress {
            subscriptions,
            subscriptions_total: 2,
            lists,
            resources,
            done,
        };
        assert_eq!(
            *seen,
            [
                at(0, 0, 0, false),
                at(1, 0, 0, false),
                at(1, 1, 5, false),
                at(1, 1, 5, true)
            ]
        );
        // Nobody listening: the counters still count, and nothing is told.
        let quiet = Progress::new(None, 1);
        quiet.update();
        quiet.finish();
        assert_eq!(
            quiet.now(true),
            SweepProgress {
                subscriptions_total: 1,
                done: true,
                ..Default::default()
            }
        );
    }

    #[test]
    fn plan_reads_nested_types_through_parents() {
        let mut errors = Vec::new();
        let p = plan(
            &[
                "microsoft.network/virtualnetworks/subnets".to_string(),
                types::FEDERATED_CREDENTIAL.to_string(),
                types::APIM_API_POLICY.to_string(),
                "Microsoft.Storage/storageAccounts".to_string(),
                "Microsoft.Storage/storageAccounts/blobServices".to_string(),
            ],
            &mut errors,
        );
        assert_eq!(
            p.top.iter().copied().collect::<Vec<_>>(),
            vec![types::API_MANAGEMENT, types::USER_IDENTITY, types::VNET]
        );
        assert_eq!(
            p.nested,
            vec![
                (types::FEDERATED_CREDENTIAL, types::USER_IDENTITY),
                (
                    "Microsoft.ApiManagement/service/apis",
                    types::API_MANAGEMENT
                ),
                (
                    types::APIM_API_POLICY,
                    "Microsoft.ApiManagement/service/apis"
                ),
            ]
        );
        assert_eq!(
            p.unknown,
            vec!["Microsoft.Storage/storageAccounts".to_string()]
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].source,
            "type Microsoft.Storage/storageAccounts/blobServices"
        );
    }

    #[test]
    fn endpoint_must_be_https_unless_local() {
        assert!(endpoint_url("https://management.azure.com/").is_ok());
        assert!(endpoint_url("http://127.0.0.1:8080").is_ok());
        assert!(endpoint_url("http://management.example.com").is_err());
        assert!(endpoint_url("not a url").is_err());
    }

    #[test]
    fn urls_and_queries() {
        let e = Url::parse("http://127.0.0.1:1/base/").unwrap();
        let u = join_url(&e, "/subscriptions/s/providers/A.B/c", "2024-01-01");
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:1/base/subscriptions/s/providers/A.B/c?api-version=2024-01-01"
        );
        assert_eq!(
            request_detail("GET", &u),
            "GET /base/subscriptions/s/providers/A.B/c?api-version=2024-01-01"
        );
        assert_eq!(
            graph_kql(&[types::NSG], &["rg-1".to_string(), "bad'rg".to_string()]),
            "resources | where type in~ ('microsoft.network/networksecuritygroups') | where resourceGroup in~ ('rg-1') | order by id asc"
        );
        assert!(in_resources_table(types::CONTAINER_GROUP));
        assert!(!in_resources_table(types::ROLE_ASSIGNMENT));
        assert!(!in_resources_table(types::FEDERATED_CREDENTIAL));
    }
}
