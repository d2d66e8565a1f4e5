//! API Management gateway facts: what the policy XML of an APIM instance
//! enforces on every call.
//!
//! Sources: `Microsoft.ApiManagement/service/policies` (service scope) and
//! `Microsoft.ApiManagement/service/apis/policies` (API scope), whose
//! `properties.value` holds the policy XML (`format` `rawxml`/`xml`; the
//! `*-link` formats carry a URL, whose content is unknown offline).
//!
//! Fact `mcpguard.gateway` on the service, on each API (an MCP API's own
//! effective policy) and on each policy resource:
//! `{validateJwt, openidConfig, requiredClaims[*], rateLimit: {calls, renewalPeriod} | null, logging,
//! rateLimitKeys[*], principalRateLimit: {calls, renewalPeriod} | null, loggerIds[*], audiences[*]}`:
//! what every rate limit is keyed by ([`KeyClass`]), the strictest limit keyed
//! by a principal claim (MCP019), the `logger-id`s of `log-to-eventhub`
//! (MCP020) and the audiences a token may name (which Entra application is
//! the gateway's, MCP017).
//!
//! Semantics, chosen to say what holds for *every* call:
//! - only direct children of a section count; a policy inside `<choose>` runs
//!   for some calls only;
//! - an API policy's `<base/>` in a section stands for the service policy's
//!   section content there; without `<base/>` the service section does not run;
//! - the service fact combines every API's effective policy (an API with no
//!   policy of its own runs the service policy) and keeps the weakest:
//!   `validateJwt` only if every API validates, the claims every API requires,
//!   the most lenient rate limit, logging only if every API logs;
//! - `validate-jwt` counts with its `openid-config` child; `<audiences>` is an
//!   `aud` requirement. `validate-azure-ad-token` validates a JWT against Entra
//!   ID's OpenID configuration, so it counts as both;
//! - `rate-limit-by-key` with literal `calls` and `renewal-period`; several
//!   limits → the strictest (fewest calls, then longest period) applies;
//! - logging: `log-to-eventhub` in `inbound`, `backend` or `outbound` (not
//!   `on-error`), or an APIM diagnostic (`service/diagnostics`, or an API's)
//!   sending to Azure Monitor / Application Insights.
//!
//! XML that does not parse, or is unknown before apply, makes the fact unknown
//! (`mcpguard.gateway` in the resource's unknown set). A parse error is kept in
//! the fact `mcpguard.gatewayError` of the policy resource and in
//! [`Inventory::notes`], naming the resource, line and column; [`errors`]
//! lists them for the scan's diagnostics.

use std::collections::{BTreeMap, BTreeSet};

use roxmltree::{Document, Node};
use serde_json::json;

use super::{id_key, types, Inventory, Path, Resource, Value};

const FACT: &str = "gateway";
const ERROR_FACT: &str = "gatewayError";
const APIM_API: &str = types::APIM_API;
const APIM_DIAGNOSTIC: &str = types::APIM_DIAGNOSTIC;
const APIM_API_DIAGNOSTIC: &str = "Microsoft.ApiManagement/service/apis/diagnostics";

/// The sections of an APIM policy document, in execution order.
const SECTIONS: [&str; 4] = ["inbound", "backend", "outbound", "on-error"];

/// What one effective policy enforces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayPolicy {
    pub validate_jwt: bool,
    pub openid_config: bool,
    pub required_claims: BTreeSet<String>,
    /// `(calls, renewal period in seconds)` of the strictest `rate-limit-by-key`.
    pub rate_limit: Option<(u64, u64)>,
    pub logging: bool,
    /// What each rate limit counts per ([`KeyClass`]), `rate-limit` included.
    pub rate_limit_keys: BTreeSet<KeyClass>,
    /// `(calls, renewal period)` of the strictest limit keyed by a principal claim.
    pub principal_limit: Option<(u64, u64)>,
    /// The `logger-id`s of the `log-to-eventhub` policies that run on every call.
    pub logger_ids: BTreeSet<String>,
    /// The audiences a token may name (`<audiences>`, required `aud` values):
    /// what tells which Entra application is the gateway's.
    pub audiences: BTreeSet<String>,
}

/// What a rate limit's counter is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyClass {
    /// A claim that names the caller: `oid`, `sub`, `appid`, `azp` of the
    /// validated token (`AsJwt()?.Claims`, `.Subject`, `context.User.Id`…).
    Principal,
    /// `context.Request.IpAddress`: one counter per address, shared by every
    /// caller behind a NAT and dodged by a caller with several addresses.
    Ip,
    /// The subscription (`rate-limit`, `context.Subscription`): shared by a team.
    Subscription,
    /// The raw `Authorization` header: a new token starts a new counter.
    Token,
    /// A literal: one counter for every caller.
    Constant,
    /// An expression mcpguard does not place.
    Unknown,
}

impl KeyClass {
    pub fn name(self) -> &'static str {
        match self {
            KeyClass::Principal => "principal",
            KeyClass::Ip => "ip",
            KeyClass::Subscription => "subscription",
            KeyClass::Token => "token",
            KeyClass::Constant => "constant",
            KeyClass::Unknown => "unknown",
        }
    }
}

/// Claims that name the caller (Entra ID v1/v2 tokens).
const PRINCIPAL_CLAIMS: &[&str] = &[
    "oid",
    "sub",
    "appid",
    "azp",
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
];

/// Classifies a `counter-key`. A policy expression is C#; mcpguard reads the
/// member accesses it makes, not the whole language: a claim of a parsed token
/// (`.AsJwt()`, or a `Jwt` from `output-token-variable-name`) named in
/// [`PRINCIPAL_CLAIMS`], or its `.Subject`, is the principal; else the first
/// of IP address, subscription, raw header that it reads.
pub fn classify_key(key: &str) -> KeyClass {
    let k = key.trim();
    if !k.starts_with('@') {
        return if k.is_empty() {
            KeyClass::Unknown
        } else {
            KeyClass::Constant
        };
    }
    let lower = k.to_ascii_lowercase();
    let token = lower.contains("asjwt()") || lower.contains("(jwt)");
    let claim = PRINCIPAL_CLAIMS.iter().any(|c| {
        lower.contains(&format!("\"{c}\""))
            && (lower.contains(".claims") || lower.contains("claims["))
    });
    if token && (claim || lower.contains(".subject")) || lower.contains("context.user.id") {
        return KeyClass::Principal;
    }
    if lower.contains("context.request.ipaddress") {
        return KeyClass::Ip;
    }
    if lower.contains("context.subscription") {
        return KeyClass::Subscription;
    }
    if lower.contains("\"authorization\"") && !token {
        return KeyClass::Token;
    }
    KeyClass::Unknown
}

impl GatewayPolicy {
    /// The fact. Without a limit keyed by a principal, a key mcpguard cannot
    /// place might be one: the per-principal limit is then unknown.
    pub fn to_json(&self) -> Value {
        let mut v: Value = self.plain_json().into();
        if self.principal_limit.is_none() && self.rate_limit_keys.contains(&KeyClass::Unknown) {
            v.put(
                &Path::parse("principalRateLimit"),
                crate::inventory::Unknown::because(
                    "a rate-limit counter-key that mcpguard cannot place (not a token claim, IP address, subscription or header)",
                ),
            );
        }
        v
    }

    fn plain_json(&self) -> serde_json::Value {
        json!({
            "validateJwt": self.validate_jwt,
            "openidConfig": self.openid_config,
            "requiredClaims": self.required_claims,
            "rateLimit": self.rate_limit.map(|(c, p)| json!({"calls": c, "renewalPeriod": p})),
            "logging": self.logging,
            "rateLimitKeys": self.rate_limit_keys.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "principalRateLimit": self.principal_limit.map(|(c, p)| json!({"calls": c, "renewalPeriod": p})),
            "loggerIds": self.logger_ids,
            "audiences": self.audiences,
        })
    }

    /// The weakest of two policies (what holds for both).
    fn weakest(&self, other: &GatewayPolicy) -> GatewayPolicy {
        GatewayPolicy {
            validate_jwt: self.validate_jwt && other.validate_jwt,
            openid_config: self.openid_config && other.openid_config,
            required_claims: self
                .required_claims
                .intersection(&other.required_claims)
                .cloned()
                .collect(),
            rate_limit: most_lenient(self.rate_limit, other.rate_limit),
            logging: self.logging && other.logging,
            rate_limit_keys: self
                .rate_limit_keys
                .union(&other.rate_limit_keys)
                .copied()
                .collect(),
            principal_limit: most_lenient(self.principal_limit, other.principal_limit),
            logger_ids: self.logger_ids.union(&other.logger_ids).cloned().collect(),
            audiences: self.audiences.union(&other.audiences).cloned().collect(),
        }
    }
}

/// What two limits both guarantee: the more lenient, none if either has none.
fn most_lenient(a: Option<(u64, u64)>, b: Option<(u64, u64)>) -> Option<(u64, u64)> {
    let (a, b) = (a?, b?);
    Some(if stricter(a, b) { b } else { a })
}

/// Whether limit `a` allows fewer calls than `b` (fewer calls, then a longer period).
fn stricter(a: (u64, u64), b: (u64, u64)) -> bool {
    (a.0, std::cmp::Reverse(a.1)) < (b.0, std::cmp::Reverse(b.1))
}

/// A parsed policy document: the direct children of each section, kept as
/// owned summaries so service and API documents can be combined.
#[derive(Debug, Clone, Default)]
struct Sections {
    /// section name → its direct children, `<base/>` kept as `Item::Base`.
    items: Vec<(String, Vec<Item>)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Base,
    ValidateJwt {
        openid: bool,
        claims: BTreeSet<String>,
        audiences: BTreeSet<String>,
    },
    /// `rate-limit-by-key` (MCP012 reads its limit) or `rate-limit` (`by_key` false).
    RateLimit {
        limit: Option<(u64, u64)>,
        key: KeyClass,
        by_key: bool,
    },
    LogToEventHub(Option<String>),
    Other,
}

impl Sections {
    fn section(&self, name: &str) -> &[Item] {
        self.items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The items that run in `name` for this document with `parent` as the
    /// enclosing scope (`<base/>` expands to the parent's section).
    fn effective(&self, name: &str, parent: Option<&Sections>) -> Vec<Item> {
        let mut out = Vec::new();
        for it in self.section(name) {
            match (it, parent) {
                (Item::Base, Some(p)) => out.extend(p.effective(name, None)),
                (Item::Base, None) => {}
                (other, _) => out.push(other.clone()),
            }
        }
        out
    }

    fn policy(&self, parent: Option<&Sections>) -> GatewayPolicy {
        let mut g = GatewayPolicy::default();
        for it in self.effective("inbound", parent) {
            match it {
                Item::ValidateJwt {
                    openid,
                    claims,
                    audiences,
                } => {
                    g.validate_jwt = true;
                    g.audiences.extend(audiences);
                    g.openid_config |= openid;
                    g.required_claims.extend(claims);
                }
                Item::RateLimit { limit, key, by_key } => {
                    g.rate_limit_keys.insert(key);
                    let strictest = |cur: Option<(u64, u64)>, l| {
                        Some(match cur {
                            Some(c) if stricter(c, l) => c,
                            _ => l,
                        })
                    };
                    if let (Some(l), true) = (limit, by_key) {
                        g.rate_limit = strictest(g.rate_limit, l);
                    }
                    if let (Some(l), KeyClass::Principal) = (limit, key) {
                        g.principal_limit = strictest(g.principal_limit, l);
                    }
                }
                _ => {}
            }
        }
        for s in ["inbound", "backend", "outbound"] {
            for it in self.effective(s, parent) {
                if let Item::LogToEventHub(id) = it {
                    g.logging = true;
                    g.logger_ids.extend(id);
                }
            }
        }
        g
    }
}

fn local(n: &Node) -> String {
    n.tag_name().name().to_ascii_lowercase()
}

/// The literal audiences of a token validation: `<audiences><audience>`, and
/// the `<value>`s of a required `aud` claim.
fn audiences_of(n: &Node) -> BTreeSet<String> {
    fn text<'a>(x: Node<'a, '_>) -> Option<&'a str> {
        x.text()
            .map(str::trim)
            .filter(|t| !t.is_empty() && !t.starts_with('@'))
    }
    let mut out = BTreeSet::new();
    for c in n.children().filter(Node::is_element) {
        match local(&c).as_str() {
            "audiences" => out.extend(
                c.children()
                    .filter(|a| a.is_element() && local(a) == "audience")
                    .filter_map(text)
                    .map(str::to_string),
            ),
            "required-claims" => {
                for claim in c
                    .children()
                    .filter(|x| x.is_element() && local(x) == "claim")
                {
                    if claim.attribute("name") == Some("aud") {
                        out.extend(
                            claim
                                .children()
                                .filter(|v| v.is_element() && local(v) == "value")
                                .filter_map(text)
                                .map(str::to_string),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn item(n: Node) -> Item {
    match local(&n).as_str() {
        "base" => Item::Base,
        "validate-jwt" => {
            let mut claims = BTreeSet::new();
            let audiences = audiences_of(&n);
            let mut openid = false;
            for c in n.children().filter(Node::is_element) {
                match local(&c).as_str() {
                    "openid-config" => openid |= c.attribute("url").is_some_and(|u| !u.is_empty()),
                    "audiences" if c.children().any(|a| a.is_element()) => {
                        claims.insert("aud".to_string());
                    }
                    "required-claims" => {
                        for claim in c
                            .children()
                            .filter(|x| x.is_element() && local(x) == "claim")
                        {
                            if let Some(name) = claim.attribute("name") {
                                claims.insert(name.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
            Item::ValidateJwt {
                openid,
                claims,
                audiences,
            }
        }
        "validate-azure-ad-token" => {
            let mut claims = BTreeSet::new();
            let audiences = audiences_of(&n);
            for c in n.children().filter(Node::is_element) {
                match local(&c).as_str() {
                    "audiences" => {
                        claims.insert("aud".to_string());
                    }
                    "required-claims" => claims.extend(
                        c.children()
                            .filter(|x| x.is_element() && local(x) == "claim")
                            .filter_map(|x| x.attribute("name"))
                            .map(str::to_string),
                    ),
                    _ => {}
                }
            }
            Item::ValidateJwt {
                openid: true,
                claims,
                audiences,
            }
        }
        name @ ("rate-limit-by-key" | "rate-limit") => {
            // Policy expressions (`@(...)`) are decided per call: no literal limit.
            let num = |a: &str| n.attribute(a).and_then(|v| v.trim().parse::<u64>().ok());
            let by_key = name == "rate-limit-by-key";
            Item::RateLimit {
                limit: num("calls").zip(num("renewal-period")),
                key: if by_key {
                    classify_key(n.attribute("counter-key").unwrap_or(""))
                } else {
                    KeyClass::Subscription
                },
                by_key,
            }
        }
        "log-to-eventhub" => Item::LogToEventHub(n.attribute("logger-id").map(str::to_string)),
        _ => Item::Other,
    }
}

/// ARM `format=xml` returns the XML entity-escaped; undo that one level.
fn unescape_outer(xml: &str) -> String {
    let t = xml.trim_start();
    if t.starts_with("&lt;") {
        t.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    } else {
        xml.to_string()
    }
}

/// Parses APIM policy XML. The error names line and column.
fn parse(xml: &str) -> Result<Sections, String> {
    let text = unescape_outer(xml);
    let doc = Document::parse(&text).map_err(|e| {
        let p = e.pos();
        format!(
            "policy XML does not parse at line {}, column {}: {e}",
            p.row, p.col
        )
    })?;
    let root = doc.root_element();
    if local(&root) != "policies" {
        return Err(format!(
            "policy XML root element is <{}>, expected <policies>",
            root.tag_name().name()
        ));
    }
    let mut s = Sections::default();
    for sec in root.children().filter(Node::is_element) {
        let name = local(&sec);
        if SECTIONS.contains(&name.as_str()) {
            s.items.push((
                name,
                sec.children().filter(Node::is_element).map(item).collect(),
            ));
        }
    }
    Ok(s)
}

/// The state of one policy resource's XML.
enum Xml {
    Parsed(Sections),
    Unknown,
    Error(String),
}

fn read_policy(r: &Resource) -> Xml {
    let value_path = Path::parse("properties.value");
    if r.doc.at(&value_path).is_some_and(Value::has_unknown) {
        return Xml::Unknown;
    }
    let format = r
        .doc
        .pointer("/properties/format")
        .and_then(Value::as_str)
        .unwrap_or("xml")
        .to_ascii_lowercase();
    if format.ends_with("-link") {
        // The content sits behind a URL mcpguard does not fetch.
        return Xml::Unknown;
    }
    match r.doc.pointer("/properties/value").and_then(Value::as_str) {
        Some(xml) => match parse(xml) {
            Ok(s) => Xml::Parsed(s),
            Err(e) => Xml::Error(e),
        },
        None => Xml::Error("policy has no XML in properties.value".to_string()),
    }
}

/// The service id a child resource belongs to: the id up to
/// `providers/Microsoft.ApiManagement/service/<name>`, lower-cased.
fn service_of(id: &str) -> Option<String> {
    let k = id_key(id);
    let marker = "/providers/microsoft.apimanagement/service/";
    let start = k.find(marker)? + marker.len();
    let end = k[start..].find('/').map_or(k.len(), |e| start + e);
    Some(k[..end].to_string())
}

/// The API name of an API-scope child (`…/service/s/apis/a/policies/policy` → `a`).
fn api_name(id: &str) -> Option<String> {
    let k = id_key(id);
    let svc = service_of(&k)?;
    let rest = k.strip_prefix(&svc)?.strip_prefix("/apis/")?;
    rest.split('/').next().map(str::to_string)
}

/// The service (its lower-cased id) a child resource belongs to: by its id;
/// else by the service name its id spells (a plan may give the service a
/// synthetic id while the child's id is composed from names); else through a
/// reference (`api_management_id`) to a service in the inventory.
pub(super) fn owner(inv: &Inventory, services: &[String], r: &Resource) -> Option<String> {
    let from_id = service_of(&r.key());
    if let Some(s) = from_id.as_ref().filter(|s| services.contains(s)) {
        return Some(s.clone());
    }
    if let Some(name) = from_id.as_ref().and_then(|s| s.rsplit('/').next()) {
        let named: Vec<&String> = services
            .iter()
            .filter(|s| {
                inv.by_id(s)
                    .is_some_and(|svc| svc.name().eq_ignore_ascii_case(name))
            })
            .collect();
        if let [one] = named.as_slice() {
            return Some((*one).clone());
        }
    }
    r.doc
        .references()
        .into_iter()
        .filter_map(|a| inv.by_address(a))
        .find(|t| t.arm_type().eq_ignore_ascii_case(types::API_MANAGEMENT))
        .map(|t| id_key(&t.key()))
        .or(from_id)
}

fn diagnostic_logs(r: &Resource) -> bool {
    let logger = r
        .doc
        .pointer("/properties/loggerId")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = r.name().to_ascii_lowercase();
    // `azuremonitor` sends to Log Analytics; `applicationinsights` to App
    // Insights (itself backed by a workspace). Either logs the calls.
    !logger.is_empty() && (name == "azuremonitor" || name == "applicationinsights")
}

fn mark_unknown(r: &mut Resource) {
    r.set_fact(FACT, crate::inventory::Unknown::computed());
}

/// Computes `mcpguard.gateway` on every APIM service and policy resource.
pub fn compute(inv: &mut Inventory) {
    let services: Vec<usize> = inv.indices_of_type(types::API_MANAGEMENT).to_vec();
    if services.is_empty()
        && inv.indices_of_type(types::APIM_POLICY).is_empty()
        && inv.indices_of_type(types::APIM_API_POLICY).is_empty()
        && inv.indices_of_type(APIM_API).is_empty()
    {
        return;
    }
    let service_ids: Vec<String> = services
        .iter()
        .map(|&n| id_key(&inv.get(n).key()))
        .collect();
    // Each child as (index, owning service, API name, …).
    let child = |r: &Resource| {
        let svc = owner(inv, &service_ids, r).unwrap_or_default();
        let api = api_name(&r.key()).unwrap_or_else(|| r.name().to_ascii_lowercase());
        (svc, api)
    };
    let read = |t: &str| -> Vec<(usize, String, String, Xml)> {
        inv.indices_of_type(t)
            .iter()
            .map(|&n| {
                let r = inv.get(n);
                let (svc, api) = child(r);
                (n, svc, api, read_policy(r))
            })
            .collect()
    };
    let service_policies = read(types::APIM_POLICY);
    let api_policies = read(types::APIM_API_POLICY);
    let apis: Vec<(String, String)> = inv.of_type(APIM_API).map(child).collect();
    let api_indices: Vec<usize> = inv.indices_of_type(APIM_API).to_vec();
    // (service, API name or "" for service scope, logs?)
    let diag_logging: Vec<(String, String, bool)> = inv
        .of_type(APIM_DIAGNOSTIC)
        .map(|r| (child(r).0, String::new(), diagnostic_logs(r)))
        .chain(inv.of_type(APIM_API_DIAGNOSTIC).map(|r| {
            let (svc, api) = child(r);
            (svc, api, diagnostic_logs(r))
        }))
        .collect();

    let mut notes = Vec::new();
    // Report parse errors on the policy resources themselves.
    for (n, _, _, x) in service_policies.iter().chain(api_policies.iter()) {
        let r = &mut inv.resources_mut()[*n];
        match x {
            Xml::Error(e) => {
                r.set_fact(ERROR_FACT, e.clone());
                notes.push(format!("{}: {e}; gateway rules report unknown", r.address));
                mark_unknown(r);
            }
            Xml::Unknown => mark_unknown(r),
            Xml::Parsed(_) => {}
        }
    }

    // The service policy per service id.
    let service_doc = |svc: &str| -> Option<&Xml> {
        service_policies
            .iter()
            .find(|(_, s, _, _)| s == svc)
            .map(|(_, _, _, x)| x)
    };
    // Diagnostics of the service, or of the API when `api` is given.
    let logged_by_diagnostic = |svc: &str, api: &str| {
        diag_logging
            .iter()
            .any(|(s, a, logs)| *logs && s == svc && (a.is_empty() || a == api))
    };

    // API-scope policies: their own effective fact.
    let mut per_service: Vec<(String, Option<GatewayPolicy>)> = Vec::new();
    let mut apis_with_policy: BTreeSet<(String, String)> = BTreeSet::new();
    let mut per_api: BTreeMap<(String, String), Option<GatewayPolicy>> = BTreeMap::new();
    for (n, svc, api, x) in &api_policies {
        apis_with_policy.insert((svc.clone(), api.clone()));
        let parent = service_doc(svc);
        let eff = match (x, parent) {
            (Xml::Parsed(s), None) => Some(s.policy(None)),
            (Xml::Parsed(s), Some(Xml::Parsed(p))) => Some(s.policy(Some(p))),
            // The API inherits a service policy that cannot be read: unknown
            // only where the API actually inherits it.
            (Xml::Parsed(s), Some(_)) => {
                if SECTIONS
                    .iter()
                    .any(|sec| s.section(sec).contains(&Item::Base))
                {
                    None
                } else {
                    Some(s.policy(None))
                }
            }
            _ => None,
        };
        let eff = eff.map(|mut g| {
            g.logging |= logged_by_diagnostic(svc, api);
            g
        });
        let r = &mut inv.resources_mut()[*n];
        match &eff {
            Some(g) => r.set_fact(FACT, g.to_json()),
            None => mark_unknown(r),
        }
        per_api.insert((svc.clone(), api.clone()), eff.clone());
        per_service.push((svc.clone(), eff));
    }

    // APIs without a policy of their own run the service policy alone, as does
    // a service with no API at all.
    let service_eff = |svc: &str, api: Option<&str>| -> Option<GatewayPolicy> {
        let mut g = match service_doc(svc) {
            Some(Xml::Parsed(s)) => s.policy(None),
            Some(_) => return None,
            None => GatewayPolicy::default(),
        };
        g.logging |= logged_by_diagnostic(svc, api.unwrap_or(""));
        Some(g)
    };
    // Each API (an MCP API above all) gets its own effective policy.
    for (n, (svc, api)) in api_indices.iter().zip(&apis) {
        let eff = match per_api.get(&(svc.clone(), api.clone())) {
            Some(e) => e.clone(),
            None => service_eff(svc, Some(api)),
        };
        let r = &mut inv.resources_mut()[*n];
        match eff {
            Some(g) => r.set_fact(FACT, g.to_json()),
            None => mark_unknown(r),
        }
    }
    for (n, svc, _, x) in &service_policies {
        if let Xml::Parsed(_) = x {
            if let Some(g) = service_eff(svc, None) {
                inv.resources_mut()[*n].set_fact(FACT, g.to_json());
            }
        }
    }
    for n in services {
        let svc = id_key(&inv.get(n).key());
        let mut effs: Vec<Option<GatewayPolicy>> = per_service
            .iter()
            .filter(|(s, _)| *s == svc)
            .map(|(_, e)| e.clone())
            .collect();
        let bare_apis: Vec<&String> = apis
            .iter()
            .filter(|(s, a)| *s == svc && !apis_with_policy.contains(&(s.clone(), a.clone())))
            .map(|(_, a)| a)
            .collect();
        for a in &bare_apis {
            effs.push(service_eff(&svc, Some(a)));
        }
        if effs.is_empty() {
            effs.push(service_eff(&svc, None));
        }
        let combined = effs.into_iter().try_fold(None::<GatewayPolicy>, |acc, e| {
            let e = e?;
            Some(Some(match acc {
                Some(a) => a.weakest(&e),
                None => e,
            }))
        });
        let r = &mut inv.resources_mut()[n];
        match combined.flatten() {
            Some(g) => r.set_fact(FACT, g.to_json()),
            None => mark_unknown(r),
        }
    }
    inv.notes.extend(notes);
}

/// Policy XML that could not be read: `(resource address, message)`, sorted.
pub fn errors(inv: &Inventory) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = inv
        .of_type(types::APIM_POLICY)
        .chain(inv.of_type(types::APIM_API_POLICY))
        .filter_map(|r| {
            r.fact(ERROR_FACT)
                .and_then(Value::as_str)
                .map(|e| (r.address.clone(), e.to_string()))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::InputKind;

    const SVC: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim";

    fn svc() -> Resource {
        Resource::new(
            "azurerm_api_management.gw",
            InputKind::Plan,
            json!({"id": SVC, "type": types::API_MANAGEMENT, "name": "apim"}),
        )
    }

    fn service_policy(xml: &str) -> Resource {
        Resource::new(
            "azurerm_api_management_policy.gw",
            InputKind::Plan,
            json!({"id": format!("{SVC}/policies/policy"), "type": types::APIM_POLICY, "name": "policy",
                   "properties": {"format": "rawxml", "value": xml}}),
        )
    }

    fn api_policy(api: &str, xml: &str) -> Resource {
        Resource::new(
            format!("azurerm_api_management_api_policy.{api}"),
            InputKind::Plan,
            json!({"id": format!("{SVC}/apis/{api}/policies/policy"), "type": types::APIM_API_POLICY,
                   "name": "policy", "properties": {"format": "rawxml", "value": xml}}),
        )
    }

    const GOOD: &str = r#"<policies><inbound>
        <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
          <openid-config url="https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration" />
          <required-claims>
            <claim name="aud" match="any"><value>api://mcp</value></claim>
            <claim name="scp" match="any"><value>mcp.invoke</value></claim>
          </required-claims>
        </validate-jwt>
        <rate-limit-by-key calls="50" renewal-period="60" counter-key="@(context.Request.IpAddress)" />
        <log-to-eventhub logger-id="mcp-audit">@(context.Request.Url.ToString())</log-to-eventhub>
      </inbound><backend><forward-request /></backend><outbound /><on-error /></policies>"#;

    fn run(rs: Vec<Resource>) -> Inventory {
        let mut inv = Inventory::new();
        for r in rs {
            inv.push(r);
        }
        compute(&mut inv);
        inv
    }

    fn fact(inv: &Inventory, addr: &str) -> Value {
        inv.by_address(addr)
            .and_then(|r| r.fact(FACT))
            .cloned()
            .unwrap_or(Value::Null)
    }

    #[test]
    fn service_policy_facts() {
        let inv = run(vec![svc(), service_policy(GOOD)]);
        assert_eq!(
            fact(&inv, "azurerm_api_management.gw"),
            json!({"validateJwt": true, "openidConfig": true, "requiredClaims": ["aud", "scp"],
                   "rateLimit": {"calls": 50, "renewalPeriod": 60}, "logging": true,
                   "rateLimitKeys": ["ip"], "principalRateLimit": null, "loggerIds": ["mcp-audit"],
                   "audiences": ["api://mcp"]})
        );
        assert!(errors(&inv).is_empty());
    }

    #[test]
    fn counter_keys_name_what_they_count_per() {
        for (key, want) in [
            ("@(context.Request.IpAddress)", KeyClass::Ip),
            ("@(context.Request.Headers.GetValueOrDefault(\"Authorization\",\"\").AsJwt()?.Claims.GetValueOrDefault(\"oid\", \"anonymous\"))", KeyClass::Principal),
            ("@(context.Request.Headers.GetValueOrDefault(\"Authorization\",\"\").AsJwt()?.Subject)", KeyClass::Principal),
            ("@(((Jwt)context.Variables[\"jwt\"]).Claims[\"appid\"].FirstOrDefault())", KeyClass::Principal),
            ("@(context.Request.Headers.GetValueOrDefault(\"Authorization\",\"\"))", KeyClass::Token),
            ("@(context.Subscription.Id)", KeyClass::Subscription),
            ("@(context.Request.Headers.GetValueOrDefault(\"Authorization\",\"\").AsJwt()?.Claims.GetValueOrDefault(\"name\", \"\"))", KeyClass::Unknown),
            ("everyone", KeyClass::Constant),
        ] {
            assert_eq!(classify_key(key), want, "{key}");
        }
        let xml = r#"<policies><inbound>
            <rate-limit-by-key calls="50" renewal-period="60" counter-key="@(context.Request.IpAddress)" />
            <rate-limit-by-key calls="20" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;Authorization&quot;,&quot;&quot;).AsJwt()?.Claims.GetValueOrDefault(&quot;oid&quot;, &quot;&quot;))" />
            <rate-limit calls="500" renewal-period="60" />
          </inbound></policies>"#;
        let inv = run(vec![svc(), service_policy(xml)]);
        let f = fact(&inv, "azurerm_api_management.gw");
        assert_eq!(
            f["rateLimitKeys"],
            json!(["principal", "ip", "subscription"])
        );
        assert_eq!(
            f["principalRateLimit"],
            json!({"calls": 20, "renewalPeriod": 60})
        );
        assert_eq!(
            f["rateLimit"],
            json!({"calls": 20, "renewalPeriod": 60}),
            "rate-limit is not read by MCP012"
        );
    }

    #[test]
    fn no_policy_enforces_nothing() {
        let inv = run(vec![svc()]);
        let f = fact(&inv, "azurerm_api_management.gw");
        assert_eq!(f["validateJwt"], json!(false));
        assert_eq!(f["rateLimit"], Value::Null);
    }

    #[test]
    fn base_inherits_and_its_absence_drops_the_service_policy() {
        let with_base = "<policies><inbound><base /><set-header name=\"x\" /></inbound><backend><base /></backend><outbound><base /></outbound></policies>";
        let inv = run(vec![
            svc(),
            service_policy(GOOD),
            api_policy("mcp", with_base),
        ]);
        let f = fact(&inv, "azurerm_api_management_api_policy.mcp");
        assert_eq!(f["validateJwt"], json!(true));
        assert_eq!(
            fact(&inv, "azurerm_api_management.gw")["logging"],
            json!(true)
        );

        let no_base = "<policies><inbound><set-header name=\"x\" /></inbound></policies>";
        let inv = run(vec![
            svc(),
            service_policy(GOOD),
            api_policy("mcp", with_base),
            api_policy("other", no_base),
        ]);
        assert_eq!(
            fact(&inv, "azurerm_api_management_api_policy.other")["validateJwt"],
            json!(false)
        );
        // The service is as weak as its weakest API.
        let f = fact(&inv, "azurerm_api_management.gw");
        assert_eq!(f["validateJwt"], json!(false));
        assert_eq!(f["requiredClaims"], json!([]));
    }

    #[test]
    fn conditional_policies_do_not_count_and_strictest_limit_wins() {
        let xml = r#"<policies><inbound>
            <choose><when condition="@(true)"><validate-jwt><openid-config url="u" /></validate-jwt></when></choose>
            <rate-limit-by-key calls="100" renewal-period="60" counter-key="k" />
            <rate-limit-by-key calls="20" renewal-period="60" counter-key="k" />
            <rate-limit-by-key calls="@(5)" renewal-period="60" counter-key="k" />
          </inbound><on-error><log-to-eventhub logger-id="l">x</log-to-eventhub></on-error></policies>"#;
        let inv = run(vec![svc(), service_policy(xml)]);
        let f = fact(&inv, "azurerm_api_management.gw");
        assert_eq!(f["validateJwt"], json!(false));
        assert_eq!(f["rateLimit"], json!({"calls": 20, "renewalPeriod": 60}));
        assert_eq!(f["logging"], json!(false), "on-error logs failures only");
    }

    #[test]
    fn azure_ad_token_and_escaped_xml() {
        let xml = "&lt;policies&gt;&lt;inbound&gt;&lt;validate-azure-ad-token tenant-id=&quot;t&quot;&gt;&lt;audiences&gt;&lt;audience&gt;api://mcp&lt;/audience&gt;&lt;/audiences&gt;&lt;required-claims&gt;&lt;claim name=&quot;scp&quot; /&gt;&lt;/required-claims&gt;&lt;/validate-azure-ad-token&gt;&lt;/inbound&gt;&lt;/policies&gt;";
        let inv = run(vec![svc(), service_policy(xml)]);
        let f = fact(&inv, "azurerm_api_management.gw");
        assert_eq!(f["openidConfig"], json!(true));
        assert_eq!(f["requiredClaims"], json!(["aud", "scp"]));
    }

    #[test]
    fn bad_xml_is_unknown_with_a_located_error() {
        let inv = run(vec![
            svc(),
            service_policy("<policies><inbound></policies>"),
        ]);
        let errs = errors(&inv);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, "azurerm_api_management_policy.gw");
        assert!(errs[0].1.contains("line 1"), "{}", errs[0].1);
        let gateway_unknown = inv
            .by_address("azurerm_api_management.gw")
            .and_then(|r| r.fact(FACT))
            .is_some_and(Value::is_unknown);
        assert!(gateway_unknown);
        assert!(inv
            .notes
            .iter()
            .any(|n| n.contains("azurerm_api_management_policy.gw")));
    }

    #[test]
    fn unknown_xml_and_links_are_unknown() {
        let gateway_unknown = |inv: &Inventory| {
            inv.by_address("azurerm_api_management.gw")
                .and_then(|r| r.fact(FACT))
                .is_some_and(Value::is_unknown)
        };
        let mut p = service_policy("");
        p.doc.put(
            &Path::parse("properties.value"),
            crate::inventory::Unknown::present(),
        );
        let inv = run(vec![svc(), p]);
        assert!(gateway_unknown(&inv));
        let mut l = service_policy("https://example.test/p.xml");
        l.doc["properties"]["format"] = val!("rawxml-link");
        let inv = run(vec![svc(), l]);
        assert!(errors(&inv).is_empty());
        assert!(gateway_unknown(&inv));
    }

    #[test]
    fn children_find_a_service_whose_id_is_unknown() {
        let mut service = svc();
        service.doc["id"] = crate::inventory::Unknown::of("azurerm_api_management.gw");
        let mut linked = service_policy(GOOD);
        linked.doc["id"] = crate::inventory::Unknown::of("azurerm_api_management_policy.gw");
        linked.doc["properties"]["apiManagementId"] =
            crate::inventory::Unknown::of("azurerm_api_management.gw");
        // Composed from names: `…/service/apim/apis/mcp/…`
        let by_name = api_policy("mcp", "<policies><inbound><base /></inbound></policies>");
        let inv = run(vec![service, linked, by_name]);
        let f = fact(&inv, "azurerm_api_management.gw");
        assert_eq!(f["validateJwt"], json!(true), "{f}");
        assert_eq!(
            fact(&inv, "azurerm_api_management_api_policy.mcp")["logging"],
            json!(true)
        );
    }

    #[test]
    fn diagnostics_to_azure_monitor_count_as_logging() {
        let xml = "<policies><inbound><base /></inbound></policies>";
        let diag = Resource::new(
            "azurerm_api_management_diagnostic.am",
            InputKind::Plan,
            json!({"id": format!("{SVC}/diagnostics/azuremonitor"), "type": APIM_DIAGNOSTIC,
                   "name": "azuremonitor", "properties": {"loggerId": format!("{SVC}/loggers/la")}}),
        );
        let inv = run(vec![svc(), service_policy(xml), diag]);
        assert_eq!(
            fact(&inv, "azurerm_api_management.gw")["logging"],
            json!(true)
        );
    }
}
