//! Facts of the resources that run MCP servers, the same on every host:
//! container groups, Container Apps, and sites (function apps and web apps).
//!
//! | fact | on | meaning |
//! |---|---|---|
//! | `host` | every host | `container group`, `container app`, `function app` or `web app`, for messages |
//! | `mcpTagged` | every host | tag `MCPServer` is `true` (key and value case-insensitive) |
//! | `imageRepositories[*]` | every host | each container image's repository name (a site's from `linuxFxVersion`) |
//! | `mcpLooksLike` | every host | detected without the tag: an image repository, image namespace (`mcp/filesystem`) or container name with a detection word, a detection environment variable or app setting (`MCP_SERVER_NAME`), the Functions MCP extension's settings, or the backend of an API Management MCP API |
//! | `mcpServer` | every host | `mcpTagged` or `mcpLooksLike` |
//! | `mcpEvidence[*]` | every host | why it counts as an MCP server, one phrase per reason (``image `mcp-github` ``) |
//! | `userAssignedIdentityIds[*]` | every host | the keys of `identity.userAssignedIdentities` |
//! | `identitySharedWith[*]` | every host | addresses of the *other* MCP servers, on any host, that use one of its user-assigned identities |
//! | `plainEnvironmentVariables[*]` | every host | names set in plain text: a container's `value` (not `secureValue` / `secretRef`), a site's app setting that is not a Key Vault reference |
//! | `registryPasswordSettings[*]` | site | the `DOCKER_REGISTRY_SERVER_PASSWORD`-style app settings that pull its image with a password |
//! | `routeAllTraffic` | site | outbound traffic goes through its VNet integration (`vnetRouteAllEnabled`, `outboundVnetRouting.allTraffic`, on the site or its `config/web`) |
//! | `privateEndpointSubnetIds[*].id` | site | the subnets of the private endpoints that connect to it |
//! | `easyAuth` | container app, site | `{enabled, requireAuthentication, unauthenticatedAction, audiences[*], authenticated}` from its `authsettingsV2` / `authConfigs` |
//! | `mcpApis[*]` | container app, site | the API Management APIs (by address) whose backend it is |
//! | `gatewayTokenValidation` | container app, site | one of those APIs validates a token with an audience (`validate-jwt`, `validate-azure-ad-token`) |
//! | `authenticated` | container app, site | `easyAuth.authenticated` or `gatewayTokenValidation` |
//! | `logsToLogAnalytics` | container app, site | logs reach Log Analytics: the environment's `log-analytics` destination (or `azure-monitor` with a diagnostic setting to a workspace); a site's diagnostic setting to a workspace or its Application Insights connection |
//! | `envKind` | every host | `environment variable` or `app setting`, for messages |
//! | `egressSubnetIds[*].id` | every host | the subnets its traffic leaves by: a container group's, a container app's environment's infrastructure subnet, a site's VNet-integration subnet |
//! | `network` | every host | its network in a message: IP type and subnet, environment and ingress, public access and private endpoints |
//! | `egressUnfiltered`, `publicAccess` | site | why its outbound traffic bypasses an NSG, why it accepts Internet calls (set only when they do) |
//! | `registryServer`, `registryUsername` | site | the `DOCKER_REGISTRY_SERVER_URL` / `_USERNAME` settings, for messages |
//! | `backendHosts[*]` | APIM API | addresses of the container apps and sites its backend or service URL reaches |
//!
//! A fact that depends on a value unknown before apply is unknown because of
//! it, unless the known parts decide it. A host a Terraform input only reads
//! (a data source) is not judged: the input does not deploy it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::facts::{image_repository, partial_image_repository, Detection, MCP_TAG};
use super::{id_key, types, Inventory, Path, Resource, Unknown, Value};

fn fact_path(name: &str) -> Path {
    Path::root().key("mcpguard").key(name)
}

/// Whether `word` is one of the `-`/`_`/`.`-separated words of `name`.
pub fn has_word(name: &str, word: &str) -> bool {
    name.split(['-', '_', '.'])
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// The host an ARM type (and `kind`) names, for messages.
pub fn host_name(r: &Resource) -> Option<&'static str> {
    let t = r.arm_type();
    if t.eq_ignore_ascii_case(types::CONTAINER_GROUP) {
        Some("container group")
    } else if t.eq_ignore_ascii_case(types::CONTAINER_APP) {
        Some("container app")
    } else if t.eq_ignore_ascii_case(types::SITE) {
        let kind = r.doc.get("kind").and_then(Value::as_str).unwrap_or("");
        Some(if kind.to_ascii_lowercase().contains("functionapp") {
            "function app"
        } else {
            "web app"
        })
    } else {
        None
    }
}

pub fn is_host(r: &Resource) -> bool {
    host_name(r).is_some()
}

/// How a host's environment variables tell a plain value from a secret one.
#[derive(Clone, Copy, PartialEq)]
enum EnvStyle {
    /// Container Instances: `value`, or `secureValue` / `secureValueReference`.
    Aci,
    /// Container Apps: `value`, or `secretRef` to a secret.
    Aca,
}

/// Where a host's containers are, and how their environment is written.
fn container_lists(
    t: &str,
) -> Option<(
    &'static [&'static str],
    &'static str,
    &'static str,
    EnvStyle,
)> {
    if t.eq_ignore_ascii_case(types::CONTAINER_GROUP) {
        Some((
            &["properties.containers", "properties.initContainers"],
            "properties.image",
            "properties.environmentVariables",
            EnvStyle::Aci,
        ))
    } else if t.eq_ignore_ascii_case(types::CONTAINER_APP) {
        Some((
            &[
                "properties.template.containers",
                "properties.template.initContainers",
            ],
            "image",
            "env",
            EnvStyle::Aca,
        ))
    } else {
        None
    }
}

/// What detection and the plain-text check found on one host.
#[derive(Default)]
struct Seen {
    repos: Vec<String>,
    /// Image paths by their namespace (`mcp/filesystem`: Docker's MCP catalog).
    namespaces: Vec<(String, String)>,
    names: Vec<String>,
    /// The detection variables or settings set (`environment variable `X``).
    env_hits: Vec<String>,
    /// Functions MCP extension settings.
    trigger_hits: Vec<String>,
    /// The first value (image, environment) unknown until apply.
    detect_unknown: Option<Path>,
    plain: BTreeSet<String>,
    /// Plain-or-not undecided: the value at this path is unknown.
    plain_unknown: Vec<Path>,
    sensitive: Vec<Path>,
    registry_passwords: Vec<String>,
    registry_server: Option<String>,
    registry_username: Option<String>,
}

/// A plain value: set, and not a secret reference.
fn env_is_plain(v: &Value, style: EnvStyle) -> bool {
    match style {
        EnvStyle::Aci => {
            v.get("secureValue").is_none()
                && v.get("secureValueReference").is_none()
                && v.get("value").is_some_and(|x| !x.is_null())
        }
        EnvStyle::Aca => {
            v.get("secretRef").is_none_or(Value::is_null)
                && v.get("value").is_some_and(|x| !x.is_null())
        }
    }
}

fn containers(r: &Resource, det: &Detection, seen: &mut Seen) {
    let Some((lists, image_key, env_key, style)) = container_lists(r.arm_type()) else {
        return;
    };
    for list in lists {
        let base = Path::parse(list);
        let Some(items) = r.doc.at(&base).and_then(Value::as_array) else {
            if r.doc.at(&base).is_some_and(Value::is_unknown) {
                seen.detect_unknown.get_or_insert(base);
            }
            continue;
        };
        for (i, c) in items.iter().enumerate() {
            let at = base.index(i);
            if let Some(n) = c.get("name").and_then(Value::as_str) {
                seen.names.push(n.to_string());
            }
            let image_path = join(&at, image_key);
            match r.doc.at(&image_path) {
                Some(Value::String(img)) => {
                    seen.repos.push(image_repository(img));
                    seen.namespaces.extend(image_namespaces(img));
                }
                Some(Value::Partial(p)) => match partial_image_repository(p) {
                    Some(repo) => seen.repos.push(repo),
                    None => {
                        seen.detect_unknown.get_or_insert(image_path);
                    }
                },
                Some(v) if v.is_unknown() => {
                    seen.detect_unknown.get_or_insert(image_path);
                }
                _ => {}
            }
            let env_path = join(&at, env_key);
            match r.doc.at(&env_path) {
                Some(Value::Array(vars)) => {
                    for (j, v) in vars.iter().enumerate() {
                        let Some(name) = v.get("name").and_then(Value::as_str) else {
                            continue;
                        };
                        if det.env_vars.iter().any(|e| e.eq_ignore_ascii_case(name)) {
                            seen.env_hits.push(format!("environment variable `{name}`"));
                        }
                        // Judged by name: a plain value, known or not, is plain text.
                        if env_is_plain(v, style) {
                            seen.plain.insert(name.to_string());
                        }
                        // No rule needs a variable's value, and a plain one may
                        // still be a token (MCP008's very finding): never print it.
                        seen.sensitive.push(env_path.index(j).key("value"));
                    }
                }
                Some(v) if v.is_unknown() => {
                    seen.detect_unknown.get_or_insert(env_path.clone());
                    seen.plain_unknown.push(env_path);
                }
                _ => {}
            }
        }
    }
}

/// The namespaces of an image path, each with the path to show:
/// `docker.io/mcp/filesystem:latest` → `(mcp, mcp/filesystem)`. The registry
/// host (a first segment with `.` or `:`, or `localhost`) is not a namespace.
fn image_namespaces(image: &str) -> Vec<(String, String)> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let mut segs: Vec<&str> = no_digest.split('/').collect();
    if segs.len() > 1 && (segs[0].contains(['.', ':']) || segs[0].eq_ignore_ascii_case("localhost"))
    {
        segs.remove(0);
    }
    let Some((repo, namespaces)) = segs.split_last() else {
        return Vec::new();
    };
    let repo = repo.split(':').next().unwrap_or(repo);
    let shown = namespaces
        .iter()
        .copied()
        .chain(std::iter::once(repo))
        .collect::<Vec<_>>()
        .join("/");
    namespaces
        .iter()
        .map(|n| (n.to_string(), shown.clone()))
        .collect()
}

/// `a.b` joined under a path.
fn join(base: &Path, rel: &str) -> Path {
    let mut p = base.clone();
    p.0.extend(Path::parse(rel).0);
    p
}

/// App settings the Functions MCP extension reads (its `host.json` section,
/// `extensions.mcp`, set as app settings), and the extension bundle that
/// shipped the MCP trigger in preview.
fn is_mcp_trigger_setting(name: &str, value: Option<&Value>) -> bool {
    let n = name.to_ascii_lowercase().replace(':', "__");
    n.starts_with("azurefunctionsjobhost__extensions__mcp")
        || (n == "azurefunctionsjobhost__extensionbundle__id"
            && value
                .and_then(Value::as_str)
                .is_some_and(|v| v.eq_ignore_ascii_case(EXPERIMENTAL_BUNDLE)))
}

const EXPERIMENTAL_BUNDLE: &str = "Microsoft.Azure.Functions.ExtensionBundle.Experimental";

/// A Key Vault reference (`@Microsoft.KeyVault(SecretUri=…)`): the setting
/// holds no secret. `None` when the value is not known well enough to tell.
fn key_vault_reference(v: &Value) -> Option<bool> {
    const PREFIX: &str = "@microsoft.keyvault(";
    match v {
        Value::String(s) => Some(s.trim_start().to_ascii_lowercase().starts_with(PREFIX)),
        Value::Partial(p) => match p.parts.first() {
            Some(super::Part::Lit(s)) => {
                let l = s.trim_start().to_ascii_lowercase();
                if l.len() >= PREFIX.len() {
                    Some(l.starts_with(PREFIX))
                } else if PREFIX.starts_with(&l) {
                    None
                } else {
                    Some(false)
                }
            }
            _ => None,
        },
        Value::Null => Some(false),
        _ if v.is_unknown() => None,
        _ => Some(false),
    }
}

const REGISTRY_PASSWORD_SETTINGS: &[&str] = &[
    "DOCKER_REGISTRY_SERVER_PASSWORD",
    "DOCKER_REGISTRY_SERVER_USERNAME",
];

/// A site's app settings: `(name, value, path of the value)`.
type Setting<'a> = (&'a str, Option<&'a Value>, Path);

fn site_settings<'a>(r: &'a Resource, extra: &'a [(String, Value, Path)]) -> Vec<Setting<'a>> {
    let base = Path::parse("properties.siteConfig.appSettings");
    let mut out: Vec<Setting<'a>> = Vec::new();
    if let Some(Value::Array(a)) = r.doc.at(&base) {
        for (i, s) in a.iter().enumerate() {
            if let Some(n) = s.get("name").and_then(Value::as_str) {
                out.push((n, s.get("value"), base.index(i).key("value")));
            }
        }
    }
    out.extend(
        extra
            .iter()
            .map(|(n, v, p)| (n.as_str(), Some(v), p.clone())),
    );
    out
}

fn settings(
    r: &Resource,
    det: &Detection,
    extra: &[(String, Value, Path)],
    read: bool,
    seen: &mut Seen,
) {
    let base = Path::parse("properties.siteConfig.appSettings");
    if r.doc.at(&base).is_some_and(Value::is_unknown) {
        seen.detect_unknown.get_or_insert(base.clone());
        seen.plain_unknown.push(base.clone());
    } else if !read {
        // ARM returns app settings only to a POST: not read is not empty.
        seen.plain_unknown.push(base.clone());
    }
    for (name, value, path) in site_settings(r, extra) {
        if name.is_empty() {
            seen.detect_unknown.get_or_insert(path.clone());
            seen.plain_unknown.push(path);
            continue;
        }
        if det.env_vars.iter().any(|e| e.eq_ignore_ascii_case(name)) {
            seen.env_hits.push(format!("app setting `{name}`"));
        }
        if is_mcp_trigger_setting(name, value) {
            seen.trigger_hits
                .push(format!("app setting `{name}` (Functions MCP extension)"));
        }
        if REGISTRY_PASSWORD_SETTINGS
            .iter()
            .any(|s| s.eq_ignore_ascii_case(name))
        {
            seen.registry_passwords.push(name.to_string());
        }
        // Where a site pulls its image from, and as whom (not secret: the messages name them).
        for (setting, slot) in [
            ("DOCKER_REGISTRY_SERVER_URL", &mut seen.registry_server),
            (
                "DOCKER_REGISTRY_SERVER_USERNAME",
                &mut seen.registry_username,
            ),
        ] {
            if setting.eq_ignore_ascii_case(name) {
                *slot = value.and_then(Value::as_str).map(str::to_string);
            }
        }
        match value.map(key_vault_reference) {
            Some(Some(false)) => {
                seen.plain.insert(name.to_string());
            }
            Some(None) => seen.plain_unknown.push(path.clone()),
            _ => {}
        }
        seen.sensitive.push(path);
    }
    // A container site's image: `DOCKER|registry/repository:tag`.
    for key in ["linuxFxVersion", "windowsFxVersion"] {
        let p = Path::parse("properties.siteConfig").key(key);
        match r.doc.at(&p) {
            Some(Value::String(fx)) => {
                if let Some(img) = fx
                    .split_once('|')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("DOCKER"))
                {
                    seen.repos.push(image_repository(img.1));
                }
            }
            Some(Value::Partial(part)) => {
                if let Some(repo) = partial_image_repository(part) {
                    seen.repos.push(repo);
                }
            }
            _ => {}
        }
    }
}

/// The detection and identity facts of one host. `site_extra` holds a
/// site's app settings from its `config/appsettings` resource, and
/// `backend_of` the MCP APIs it is the backend of.
fn host_facts(
    r: &mut Resource,
    det: &Detection,
    site_extra: &[(String, Value, Path)],
    settings_read: bool,
    backend_of: &[String],
) {
    let Some(host) = host_name(r) else { return };
    let tagged = r
        .tag(MCP_TAG)
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let tags_unknown = r
        .doc
        .get("tags")
        .and_then(Value::first_unknown)
        .map(|(rel, _)| {
            let mut p = Path::root().key("tags");
            p.0.extend(rel.0);
            p
        });
    let mut seen = Seen::default();
    containers(r, det, &mut seen);
    if r.arm_type().eq_ignore_ascii_case(types::SITE) {
        settings(r, det, site_extra, settings_read, &mut seen);
    }
    let mut evidence: Vec<String> = Vec::new();
    if tagged {
        evidence.push(format!("tag `{MCP_TAG} = true`"));
    }
    let word = |name: &String| det.image_words.iter().any(|w| has_word(name, w));
    for repo in seen.repos.iter().filter(|n| word(n)) {
        evidence.push(format!("image `{repo}`"));
    }
    for (_, shown) in seen.namespaces.iter().filter(|(ns, _)| word(ns)) {
        evidence.push(format!("image `{shown}`"));
    }
    for name in seen.names.iter().filter(|n| word(n)) {
        evidence.push(format!("container `{name}`"));
    }
    evidence.extend(seen.env_hits.iter().cloned());
    evidence.extend(seen.trigger_hits.iter().cloned());
    for api in backend_of {
        evidence.push(format!("backend of API Management MCP API `{api}`"));
    }
    evidence.dedup();
    let looks = evidence.iter().any(|e| !e.starts_with("tag "));

    r.set_fact("host", host);
    r.set_fact("mcpTagged", tagged);
    if let (Some(src), false) = (&tags_unknown, tagged) {
        r.unknown_fact(&fact_path("mcpTagged"), src);
    }
    r.set_fact("imageRepositories", json!(seen.repos));
    r.set_fact("mcpLooksLike", looks);
    if let (Some(src), false) = (&seen.detect_unknown, looks) {
        r.unknown_fact(&fact_path("mcpLooksLike"), src);
    }
    r.set_fact("mcpServer", tagged || looks);
    let mut ev: Vec<Value> = evidence.into_iter().map(Value::from).collect();
    if !(tagged || looks) {
        if let Some(src) = seen.detect_unknown.as_ref().or(tags_unknown.as_ref()) {
            let src = src.clone();
            r.unknown_fact(&fact_path("mcpServer"), &src);
            ev.push(Unknown::because(src.to_string()));
        }
    }
    r.set_fact("mcpEvidence", Value::Array(ev));
    let mut plain: Vec<Value> = seen.plain.iter().cloned().map(Value::from).collect();
    plain.extend(
        seen.plain_unknown
            .iter()
            .map(|p| Unknown::because(p.to_string())),
    );
    r.set_fact("plainEnvironmentVariables", Value::Array(plain));
    let site = r.arm_type().eq_ignore_ascii_case(types::SITE);
    r.set_fact(
        "envKind",
        if site {
            "app setting"
        } else {
            "environment variable"
        },
    );
    if site {
        r.set_fact("registryPasswordSettings", json!(seen.registry_passwords));
        if let Some(v) = seen.registry_server {
            r.set_fact("registryServer", v);
        }
        if let Some(v) = seen.registry_username {
            r.set_fact("registryUsername", v);
        }
    }
    for p in seen.sensitive {
        r.sensitive.insert(p);
    }
    let identities = Path::parse("identity.userAssignedIdentities");
    match r.doc.at(&identities) {
        Some(Value::Object(m)) => {
            let ids: Vec<String> = m.keys().cloned().collect();
            r.set_fact("userAssignedIdentityIds", json!(ids));
        }
        Some(v) if v.is_unknown() => {
            r.unknown_fact(&fact_path("userAssignedIdentityIds"), &identities)
        }
        _ => r.set_fact("userAssignedIdentityIds", json!([])),
    }
}

/// A host the Terraform input only reads (`data "azapi_resource"`): the
/// input does not deploy it, so its rules are not this input's to judge (a
/// sweep judges it where it runs).
fn read_only(r: &Resource) -> bool {
    r.kind != super::InputKind::Arm
        && (r.address.starts_with("data.") || r.address.contains(".data."))
}

fn not_judged(r: &mut Resource) {
    if let Some(host) = host_name(r) {
        r.set_fact("host", host);
    }
    for f in ["mcpTagged", "mcpLooksLike", "mcpServer"] {
        r.set_fact(f, false);
    }
    for f in [
        "mcpEvidence",
        "plainEnvironmentVariables",
        "userAssignedIdentityIds",
    ] {
        r.set_fact(f, Value::Array(Vec::new()));
    }
}

/// The per-resource host facts (container groups and apps; a site's are
/// completed once its config resources are joined).
pub fn own(r: &mut Resource, det: &Detection) {
    if read_only(r) {
        not_judged(r);
    } else if is_host(r) {
        let read = r.kind != super::InputKind::Arm;
        host_facts(r, det, &[], read, &[]);
    }
}

/// The id a child resource's id continues (`…/sites/x/config/web` → `…/sites/x`),
/// lower-cased, after `marker`.
pub(super) fn parent_key(child: &Resource, marker: &str) -> Option<String> {
    let k = id_key(&child.key());
    let cut = k.rfind(marker)?;
    Some(k[..cut].to_string())
}

/// A tri-valued conjunction: `Some(false)` as soon as one part is known
/// false, `None` (unknown) if none is false and one is unknown.
fn all(parts: &[Option<bool>]) -> Option<bool> {
    if parts.contains(&Some(false)) {
        Some(false)
    } else if parts.contains(&None) {
        None
    } else {
        Some(true)
    }
}

fn tri_bool(v: Option<&Value>) -> Option<bool> {
    match v {
        Some(Value::Bool(b)) => Some(*b),
        Some(v) if v.is_unknown() => None,
        _ => Some(false),
    }
}

/// Easy Auth that keeps unauthenticated calls out: enabled, authentication
/// required, a 401 or 403 for calls without a token, and an Entra ID
/// provider that checks the token's audience.
fn easy_auth(cfg: Option<&Resource>) -> Value {
    let Some(c) = cfg else {
        return Value::from(json!({"enabled": false, "authenticated": false}));
    };
    let props = c.doc.get("properties");
    if props.is_some_and(Value::is_unknown) {
        let mut v = Value::Object(Default::default());
        v["authenticated"] = Unknown::because(format!("{} properties", c.address));
        return v;
    }
    let p = |s: &str| c.doc.at(&Path::parse(s));
    let enabled = tri_bool(p("properties.platform.enabled"));
    // Container Apps have no `requireAuthentication`: the unauthenticated
    // action alone decides whether a call without a token gets through.
    let implied = c.arm_type().eq_ignore_ascii_case(types::CONTAINER_APP_AUTH);
    let required = match p("properties.globalValidation.requireAuthentication") {
        None if implied => Some(true),
        v => tri_bool(v),
    };
    let action = p("properties.globalValidation.unauthenticatedClientAction");
    let blocks = match action {
        Some(Value::String(a)) => Some(matches!(
            a.to_ascii_lowercase().as_str(),
            "return401" | "return403"
        )),
        Some(v) if v.is_unknown() => None,
        _ => Some(false),
    };
    let aad = "properties.identityProviders.azureActiveDirectory";
    let aad_on = match p(&format!("{aad}.enabled")) {
        Some(Value::Bool(b)) => Some(*b),
        Some(v) if v.is_unknown() => None,
        // ARM leaves `enabled` out of a configured provider: present means on.
        None | Some(Value::Null) => Some(p(&format!("{aad}.registration")).is_some()),
        Some(_) => Some(false),
    };
    let audiences = p(&format!("{aad}.validation.allowedAudiences"));
    let has_audience = match audiences {
        Some(Value::Array(a)) => {
            if a.iter().any(|x| x.as_str().is_some_and(|s| !s.is_empty())) {
                Some(true)
            } else if a.iter().any(Value::is_unknown) {
                None
            } else {
                Some(false)
            }
        }
        Some(v) if v.is_unknown() => None,
        _ => Some(false),
    };
    let ok = all(&[enabled, required, blocks, aad_on, has_audience]);
    let mut v = Value::from(json!({
        "enabled": enabled,
        "requireAuthentication": required,
        "unauthenticatedAction": action.and_then(Value::as_str),
    }));
    v["audiences"] = audiences.cloned().unwrap_or(Value::Array(Vec::new()));
    v["authenticated"] = match ok {
        Some(b) => Value::Bool(b),
        None => Unknown::because(format!("{} properties", c.address)),
    };
    v
}

/// Whether a config's value for `key` routes all outbound traffic through the VNet.
fn route_all(doc: &Value, base: &str) -> Option<bool> {
    let keys = ["vnetRouteAllEnabled"];
    let mut unknown = false;
    for k in keys {
        match doc.at(&Path::parse(base).key(k)) {
            Some(Value::Bool(true)) => return Some(true),
            Some(v) if v.is_unknown() => unknown = true,
            _ => {}
        }
    }
    match doc.at(&Path::parse("properties.outboundVnetRouting.allTraffic")) {
        Some(Value::Bool(true)) if base == "properties" => return Some(true),
        Some(v) if v.is_unknown() && base == "properties" => unknown = true,
        _ => {}
    }
    if unknown {
        None
    } else {
        Some(false)
    }
}

/// The host names a backend URL may name a host by.
fn host_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':', '?']).next()?.to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// What a backend URL may call a host: its known host names, and for a
/// container app its name, the first label of its `*.azurecontainerapps.io` FQDN.
struct HostNames {
    n: usize,
    names: Vec<String>,
    app_label: Option<String>,
}

impl HostNames {
    fn of(n: usize, r: &Resource) -> HostNames {
        let mut names = Vec::new();
        for p in [
            "properties.defaultHostName",
            "properties.configuration.ingress.fqdn",
            "properties.latestRevisionFqdn",
        ] {
            if let Some(s) = r.doc.at(&Path::parse(p)).and_then(Value::as_str) {
                names.push(s.to_ascii_lowercase());
            }
        }
        if let Some(Value::Array(a)) = r.doc.at(&Path::parse("properties.hostNames")) {
            names.extend(
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase),
            );
        }
        let name = r.name().to_ascii_lowercase();
        let site = r.arm_type().eq_ignore_ascii_case(types::SITE);
        if site && !name.is_empty() {
            names.push(format!("{name}.azurewebsites.net"));
        }
        let app = r.arm_type().eq_ignore_ascii_case(types::CONTAINER_APP);
        HostNames {
            n,
            names,
            app_label: (app && !name.is_empty()).then_some(name),
        }
    }

    fn matches(&self, host: &str) -> bool {
        self.names.iter().any(|n| n == host)
            || self.app_label.as_deref().is_some_and(|l| {
                host.ends_with(".azurecontainerapps.io") && host.split('.').next() == Some(l)
            })
    }
}

/// The hosts a backend or service URL reaches: by host name, by
/// `resourceId` (`https://management.azure.com/<id>`), or (not known before
/// apply) through the reference it names.
fn reached(
    inv: &Inventory,
    url: Option<&Value>,
    resource_id: Option<&Value>,
    hosts: &[HostNames],
) -> Vec<usize> {
    let mut out = Vec::new();
    match url {
        Some(Value::String(u)) => {
            if let Some(h) = host_of_url(u) {
                out.extend(hosts.iter().filter(|x| x.matches(&h)).map(|x| x.n));
            }
        }
        Some(v) => {
            if let Some(n) = v
                .refers_to()
                .and_then(|a| inv.by_address(a))
                .and_then(|r| inv.index_of_id(&r.key()))
            {
                out.push(n);
            }
        }
        None => {}
    }
    if let Some(Value::String(id)) = resource_id {
        let id = id
            .trim_start_matches("https://management.azure.com")
            .trim_start_matches("http://management.azure.com");
        out.extend(inv.index_of_id(id));
    }
    out.retain(|n| is_host(inv.get(*n)));
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether an API is an MCP API (`properties.type` `mcp`).
fn is_mcp_api(r: &Resource) -> bool {
    r.doc
        .at(&Path::parse("properties.type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("mcp"))
}

/// The service id (lower case) an APIM child belongs to.
fn service_key(r: &Resource) -> String {
    let k = id_key(&r.key());
    match k.find("/apis/").or_else(|| k.find("/backends/")) {
        Some(i) => k[..i].to_string(),
        None => k,
    }
}

/// APIM APIs → the hosts they front: `(api index, host indices)`.
fn api_links(inv: &Inventory) -> Vec<(usize, Vec<usize>)> {
    let hosts: Vec<HostNames> = types::HOSTS
        .iter()
        .flat_map(|t| inv.indices_of_type(t).iter().copied())
        .map(|n| HostNames::of(n, inv.get(n)))
        .collect();
    let backends: BTreeMap<(String, String), usize> = inv
        .indices_of_type(types::APIM_BACKEND)
        .iter()
        .map(|&n| {
            let b = inv.get(n);
            ((service_key(b), b.name().to_ascii_lowercase()), n)
        })
        .collect();
    let mut out = Vec::new();
    for &n in inv.indices_of_type(types::APIM_API) {
        let api = inv.get(n);
        let mut to = reached(inv, api.doc.pointer("/properties/serviceUrl"), None, &hosts);
        if let Some(b) = api
            .doc
            .pointer("/properties/backendId")
            .and_then(Value::as_str)
            .and_then(|id| backends.get(&(service_key(api), id.to_ascii_lowercase())))
        {
            let be = inv.get(*b);
            to.extend(reached(
                inv,
                be.doc.pointer("/properties/url"),
                be.doc.pointer("/properties/resourceId"),
                &hosts,
            ));
        }
        to.sort_unstable();
        to.dedup();
        if !to.is_empty() {
            out.push((n, to));
        }
    }
    out
}

/// Whether an API's effective policy validates a token with an audience.
fn validates_token(api: &Resource) -> Option<bool> {
    let g = api.fact("gateway")?;
    if g.is_unknown() {
        return None;
    }
    let jwt = g
        .get("validateJwt")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let aud = g
        .get("requiredClaims")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|x| x.as_str() == Some("aud")));
    Some(jwt && aud)
}

/// Diagnostic settings that send to a Log Analytics workspace, by target (lower-cased id).
fn diagnostics_to_workspace(inv: &Inventory) -> BTreeSet<String> {
    inv.of_type(types::DIAGNOSTIC_SETTING)
        .filter(|d| {
            d.doc
                .pointer("/properties/workspaceId")
                .is_some_and(|w| !w.is_null())
        })
        .filter_map(|d| parent_key(d, "/providers/microsoft.insights/diagnosticsettings/"))
        .collect()
}

/// The cross-resource host facts. Call after the gateway facts.
pub fn joins(inv: &mut Inventory, det: &Detection) {
    let sites: Vec<usize> = inv.indices_of_type(types::SITE).to_vec();
    let apps: Vec<usize> = inv.indices_of_type(types::CONTAINER_APP).to_vec();
    let links = if inv.indices_of_type(types::APIM_API).is_empty() {
        Vec::new()
    } else {
        api_links(inv)
    };
    // host → (MCP APIs fronting it, whether any API fronting it validates tokens)
    let mut fronted: BTreeMap<usize, (Vec<String>, Vec<Option<bool>>)> = BTreeMap::new();
    for (api, hosts) in &links {
        let a = inv.get(*api);
        for h in hosts {
            let e = fronted.entry(*h).or_default();
            if is_mcp_api(a) {
                e.0.push(a.name().to_string());
            }
            e.1.push(validates_token(a));
        }
    }
    for (api, hosts) in &links {
        let addrs: Vec<String> = hosts.iter().map(|h| inv.get(*h).address.clone()).collect();
        inv.resources_mut()[*api].set_fact("backendHosts", json!(addrs));
    }
    site_joins(inv, det, &sites, &fronted);
    for &n in &apps {
        if read_only(inv.get(n)) {
            continue;
        }
        if let Some((mcp_apis, _)) = fronted.get(&n).filter(|(a, _)| !a.is_empty()) {
            let mcp_apis = mcp_apis.clone();
            host_facts(&mut inv.resources_mut()[n], det, &[], true, &mcp_apis);
        }
    }
    container_app_joins(inv, &apps, &fronted);
    network_facts(inv);
}

/// How a value reads in a message: the address of the resource it names
/// when that resource was scanned, else what is known of it.
fn shown(inv: &Inventory, v: &Value) -> String {
    if let Some(r) = inv.deref(v) {
        return r.address.clone();
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Partial(p) => p.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Ids as ARM lists them (`[{"id": …}]`), so a `count` binds each member
/// while the id itself is not known yet.
fn id_objects(ids: Vec<Value>) -> Value {
    Value::Array(
        ids.into_iter()
            .map(|id| {
                let mut o = Value::Object(Default::default());
                o["id"] = id;
                o
            })
            .collect(),
    )
}

fn listed(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// The subnets a host's traffic leaves by, and what its network looks like
/// in a message (`network`; `egressUnfiltered` when a site's outbound
/// traffic bypasses its VNet).
fn network_facts(inv: &mut Inventory) {
    let mut out: Vec<(usize, Vec<Value>, String, Option<&'static str>)> = Vec::new();
    let mut public: Vec<usize> = Vec::new();
    for t in types::HOSTS {
        for &n in inv.indices_of_type(t) {
            let r = inv.get(n);
            if r.fact("mcpServer") == Some(&Value::Bool(false)) {
                continue;
            }
            let p = |s: &str| r.doc.at(&Path::parse(s));
            let text = |v: Option<&Value>, dflt: &str| {
                v.map(|v| shown(inv, v))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| dflt.to_string())
            };
            let (subnets, network, unfiltered) = if t.eq_ignore_ascii_case(types::CONTAINER_GROUP) {
                let subnets: Vec<Value> = p("properties.subnetIds")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.get("id").cloned())
                    .collect();
                let names: Vec<String> = subnets.iter().map(|s| shown(inv, s)).collect();
                let network = format!(
                    "IP address type `{}`, subnet `{}`",
                    text(p("properties.ipAddress.type"), "none"),
                    listed(&names)
                );
                (subnets, network, None)
            } else if t.eq_ignore_ascii_case(types::CONTAINER_APP) {
                let env_id = p("properties.managedEnvironmentId");
                let env = env_id.and_then(|v| inv.deref(v));
                let env_at = |s: &str| env.and_then(|e| e.doc.at(&Path::parse(s)));
                let subnet = env_at("properties.vnetConfiguration.infrastructureSubnetId");
                let network = format!(
                    "environment `{}` in subnet `{}`, internal load balancer `{}`, external ingress `{}`",
                    text(env_id, "none"),
                    text(subnet, "none"),
                    text(env_at("properties.vnetConfiguration.internal"), "false"),
                    text(p("properties.configuration.ingress.external"), "false"),
                );
                (subnet.cloned().into_iter().collect(), network, None)
            } else {
                let subnet = p("properties.virtualNetworkSubnetId");
                let pes: Vec<String> = r
                    .fact("privateEndpointSubnetIds")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.get("id"))
                    .map(|s| shown(inv, s))
                    .collect();
                let network = format!(
                    "public network access `{}`, private endpoints in subnet `{}`",
                    text(p("properties.publicNetworkAccess"), "Enabled"),
                    listed(&pes)
                );
                if p("properties.publicNetworkAccess").and_then(Value::as_str) != Some("Disabled")
                    && !p("properties.publicNetworkAccess").is_some_and(Value::is_unknown)
                {
                    public.push(n);
                }
                let unfiltered = match (subnet, r.fact("routeAllTraffic")) {
                    (None, _) => Some(
                        "the site has no VNet integration, so its outbound traffic leaves unfiltered",
                    ),
                    (Some(_), Some(Value::Bool(false))) => Some(
                        "only private traffic is routed through the VNet (`vnetRouteAllEnabled` is off), so outbound traffic to the Internet leaves unfiltered",
                    ),
                    _ => None,
                };
                (subnet.cloned().into_iter().collect(), network, unfiltered)
            };
            out.push((n, subnets, network, unfiltered));
        }
    }
    for n in public {
        inv.resources_mut()[n].set_fact(
            "publicAccess",
            "public network access is enabled, so the site accepts calls from the Internet",
        );
    }
    for (n, subnets, network, unfiltered) in out {
        let r = &mut inv.resources_mut()[n];
        r.set_fact("egressSubnetIds", id_objects(subnets));
        r.set_fact("network", network);
        if let Some(u) = unfiltered {
            r.set_fact("egressUnfiltered", u);
        }
    }
}

fn by_parent(inv: &Inventory, t: &str, marker: &str) -> BTreeMap<String, Vec<usize>> {
    let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &n in inv.indices_of_type(t) {
        if let Some(k) = parent_key(inv.get(n), marker) {
            m.entry(k).or_default().push(n);
        }
    }
    m
}

/// A child of a site found by id, or for an azurerm child whose parent id is
/// not known, by the parent's address.
fn child_named<'i>(
    inv: &'i Inventory,
    kids: &[usize],
    site: &Resource,
    name: &str,
) -> Option<&'i Resource> {
    kids.iter()
        .map(|&k| inv.get(k))
        .find(|c| c.name().eq_ignore_ascii_case(name))
        .or_else(|| {
            inv.of_type(types::SITE_CONFIG).find(|c| {
                c.name().eq_ignore_ascii_case(name)
                    && c.address
                        .strip_prefix(&site.address)
                        .is_some_and(|rest| rest.starts_with('.'))
            })
        })
}

fn tri_fact(r: &mut Resource, name: &str, v: Option<bool>, because: &str) {
    match v {
        Some(b) => r.set_fact(name, b),
        None => r.unknown_fact(&fact_path(name), &Path::parse(because)),
    }
}

fn gateway_fact(
    r: &mut Resource,
    fronted: Option<&(Vec<String>, Vec<Option<bool>>)>,
) -> Option<bool> {
    let (apis, checks) = match fronted {
        Some((a, c)) => (a.clone(), c.clone()),
        None => (Vec::new(), Vec::new()),
    };
    r.set_fact("mcpApis", json!(apis));
    // Any fronting API that validates decides it; else unknown if one cannot be read.
    let v = if checks.contains(&Some(true)) {
        Some(true)
    } else if checks.contains(&None) {
        None
    } else {
        Some(false)
    };
    tri_fact(r, "gatewayTokenValidation", v, "mcpguard.mcpApis");
    v
}

fn authenticated(r: &mut Resource, gateway: Option<bool>) {
    let easy = r
        .fact("easyAuth")
        .and_then(|e| e.get("authenticated"))
        .cloned()
        .unwrap_or(Value::Bool(false));
    let v = match (easy.as_bool(), gateway) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    };
    tri_fact(r, "authenticated", v, "mcpguard.easyAuth.authenticated");
}

fn site_joins(
    inv: &mut Inventory,
    det: &Detection,
    sites: &[usize],
    fronted: &BTreeMap<usize, (Vec<String>, Vec<Option<bool>>)>,
) {
    if sites.is_empty() {
        return;
    }
    let configs = by_parent(inv, types::SITE_CONFIG, "/config/");
    let diags = diagnostics_to_workspace(inv);
    // Endpoints whose connections are not known before apply (a `for_each`
    // over unknown keys) may connect to a site of their module.
    let undecided: Vec<String> = inv
        .of_type(types::PRIVATE_ENDPOINT)
        .filter(|pe| connections_unknown(pe))
        .map(|pe| module_of(&pe.address).to_string())
        .collect();
    let endpoints: Vec<(Value, Vec<Value>)> = inv
        .of_type(types::PRIVATE_ENDPOINT)
        .map(|pe| {
            let subnet = pe
                .doc
                .pointer("/properties/subnet/id")
                .cloned()
                .unwrap_or(Value::Null);
            let targets = [
                "privateLinkServiceConnections",
                "manualPrivateLinkServiceConnections",
            ]
            .iter()
            .filter_map(|k| {
                pe.doc
                    .pointer(&format!("/properties/{k}"))
                    .and_then(Value::as_array)
            })
            .flatten()
            .filter_map(|c| c.pointer("/properties/privateLinkServiceId").cloned())
            .collect();
            (subnet, targets)
        })
        .collect();
    for &n in sites {
        let site = inv.get(n);
        if read_only(site) {
            continue;
        }
        let key = id_key(&site.key());
        let kids = configs.get(&key).cloned().unwrap_or_default();
        let settings_cfg = child_named(inv, &kids, site, "appsettings");
        let mut extra: Vec<(String, Value, Path)> = Vec::new();
        match settings_cfg.and_then(|c| c.doc.get("properties")) {
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    extra.push((
                        k.clone(),
                        v.clone(),
                        Path::root().key("properties").key(k.clone()),
                    ));
                }
            }
            // Settings not known before apply: any of them may be a detection
            // variable or a plain secret.
            Some(v) if v.is_unknown() => {
                extra.push((String::new(), Unknown::present(), Path::parse("properties")))
            }
            _ => {}
        }
        let read = site.kind != super::InputKind::Arm || settings_cfg.is_some();
        let auth = easy_auth(child_named(inv, &kids, site, "authsettingsV2"));
        let web = child_named(inv, &kids, site, "web");
        let route = match route_all(&site.doc, "properties") {
            Some(true) => Some(true),
            r => match (r, web.map(|w| route_all(&w.doc, "properties"))) {
                (_, Some(Some(true))) => Some(true),
                (None, _) | (_, Some(None)) => None,
                _ => route_all(&site.doc, "properties.siteConfig"),
            },
        };
        let mut pe_subnets: Vec<Value> = endpoints
            .iter()
            .filter(|(_, targets)| targets.iter().any(|t| points_at(t, site)))
            .map(|(s, _)| s.clone())
            .collect();
        if undecided.iter().any(|m| m == module_of(&site.address)) {
            pe_subnets.push(Unknown::because("the private endpoints of its module"));
        }
        let insights = site_settings(site, &extra).iter().any(|(name, _, _)| {
            name.eq_ignore_ascii_case("APPLICATIONINSIGHTS_CONNECTION_STRING")
                || name.eq_ignore_ascii_case("APPINSIGHTS_INSTRUMENTATIONKEY")
        });
        let logs = diags.contains(&key) || insights;
        let mcp_apis = fronted.get(&n).map(|(a, _)| a.clone()).unwrap_or_default();
        let r = &mut inv.resources_mut()[n];
        host_facts(r, det, &extra, read, &mcp_apis);
        r.set_fact("easyAuth", auth);
        tri_fact(
            r,
            "routeAllTraffic",
            route,
            "properties.vnetRouteAllEnabled",
        );
        r.set_fact("privateEndpointSubnetIds", id_objects(pe_subnets));
        r.set_fact("logsToLogAnalytics", logs);
        let gw = gateway_fact(r, fronted.get(&n));
        authenticated(r, gw);
    }
}

/// Whether a private endpoint's connections are not known before apply.
fn connections_unknown(pe: &Resource) -> bool {
    match pe.doc.get("properties") {
        Some(p) if p.is_unknown() => true,
        Some(p) => [
            "privateLinkServiceConnections",
            "manualPrivateLinkServiceConnections",
        ]
        .iter()
        .any(|k| p.get(k).is_some_and(Value::is_unknown)),
        None => false,
    }
}

/// The module instance part of an address (`module.web` of
/// `module.web.azapi_resource.pe["a"]`), `""` at the root.
fn module_of(address: &str) -> &str {
    let mut end = 0;
    let mut rest = address;
    let mut at = 0;
    while let Some(i) = rest.find("module.") {
        let start = at + i;
        // the call name, then an optional `[key]`, then `.`
        let after = &address[start + "module.".len()..];
        let name_end = after.find(['.', '[']).unwrap_or(after.len());
        let mut stop = start + "module.".len() + name_end;
        if address[stop..].starts_with('[') {
            stop += address[stop..].find(']').map_or(0, |j| j + 1);
        }
        end = stop;
        at = stop;
        rest = &address[stop..];
    }
    &address[..end]
}

/// Whether a connection's target is this resource: its id, or (not known
/// before apply) the resource the reference names.
fn points_at(target: &Value, r: &Resource) -> bool {
    match target {
        Value::String(s) => id_key(s) == id_key(&r.key()),
        other => {
            other.refers_to() == Some(r.address.as_str())
                || other
                    .as_key()
                    .is_some_and(|k| id_key(&k) == id_key(&r.key()))
        }
    }
}

fn container_app_joins(
    inv: &mut Inventory,
    apps: &[usize],
    fronted: &BTreeMap<usize, (Vec<String>, Vec<Option<bool>>)>,
) {
    if apps.is_empty() {
        return;
    }
    let auths = by_parent(inv, types::CONTAINER_APP_AUTH, "/authconfigs/");
    let diags = diagnostics_to_workspace(inv);
    for &n in apps {
        let app = inv.get(n);
        if read_only(app) {
            continue;
        }
        let auth = auths
            .get(&id_key(&app.key()))
            .and_then(|k| k.first())
            .map(|&k| inv.get(k));
        let auth = easy_auth(auth);
        let env = app
            .doc
            .pointer("/properties/managedEnvironmentId")
            .and_then(|v| inv.deref(v))
            .filter(|e| {
                e.arm_type()
                    .eq_ignore_ascii_case(types::MANAGED_ENVIRONMENT)
            });
        let env_unknown = app
            .doc
            .pointer("/properties/managedEnvironmentId")
            .is_some_and(Value::is_unknown);
        let logs = match env {
            None if env_unknown => None,
            None => Some(false),
            Some(e) => match e
                .doc
                .pointer("/properties/appLogsConfiguration/destination")
            {
                Some(Value::String(d)) if d.eq_ignore_ascii_case("log-analytics") => Some(true),
                Some(Value::String(d)) if d.eq_ignore_ascii_case("azure-monitor") => {
                    Some(diags.contains(&id_key(&e.key())))
                }
                Some(v) if v.is_unknown() => None,
                _ => Some(false),
            },
        };
        let r = &mut inv.resources_mut()[n];
        r.set_fact("easyAuth", auth);
        tri_fact(
            r,
            "logsToLogAnalytics",
            logs,
            "properties.managedEnvironmentId",
        );
        let gw = gateway_fact(r, fronted.get(&n));
        authenticated(r, gw);
    }
}

/// Identity id (lower case) → addresses of the MCP servers using it.
pub type IdentityUsers = BTreeMap<String, Vec<String>>;
/// Each MCP server's index and its identity ids (lower case).
pub type ServerIdentities = Vec<(usize, Vec<String>)>;

/// Identity ids (lower case) → the MCP servers, on every host, that use them.
pub fn identity_users(inv: &Inventory) -> (IdentityUsers, ServerIdentities) {
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut servers: Vec<(usize, Vec<String>)> = Vec::new();
    for t in types::HOSTS {
        for &n in inv.indices_of_type(t) {
            let r = inv.get(n);
            if r.fact("mcpServer") != Some(&Value::Bool(true)) {
                continue;
            }
            let ids: Vec<String> = r
                .fact("userAssignedIdentityIds")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(id_key).collect())
                .unwrap_or_default();
            for id in &ids {
                users.entry(id.clone()).or_default().push(r.address.clone());
            }
            servers.push((n, ids));
        }
    }
    (users, servers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{InputKind, Part, Partial};

    fn partial(parts: &[Option<&str>]) -> Value {
        Partial::build(
            parts
                .iter()
                .map(|p| match p {
                    Some(s) => Part::Lit(s.to_string()),
                    None => Part::Gap,
                })
                .collect(),
            None,
        )
    }

    #[test]
    fn key_vault_references_hold_no_secret() {
        let kv = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)";
        assert_eq!(key_vault_reference(&Value::from(kv)), Some(true));
        assert_eq!(key_vault_reference(&Value::from("ghp_x")), Some(false));
        // The known prefix decides; a gap before it does not.
        let built = partial(&[Some("@Microsoft.KeyVault(SecretUri="), None, Some(")")]);
        assert_eq!(key_vault_reference(&built), Some(true));
        assert_eq!(
            key_vault_reference(&partial(&[Some("Bearer "), None])),
            Some(false)
        );
        assert_eq!(key_vault_reference(&partial(&[Some("@Micro"), None])), None);
        assert_eq!(key_vault_reference(&partial(&[None, Some("x")])), None);
        assert_eq!(key_vault_reference(&Unknown::present()), None);
    }

    #[test]
    fn the_functions_mcp_extension_is_declared_by_its_settings() {
        assert!(is_mcp_trigger_setting(
            "AzureFunctionsJobHost__extensions__mcp__serverName",
            None
        ));
        assert!(is_mcp_trigger_setting(
            "AzureFunctionsJobHost:extensions:mcp:instructions",
            None
        ));
        let bundle = Value::from(EXPERIMENTAL_BUNDLE);
        assert!(is_mcp_trigger_setting(
            "AzureFunctionsJobHost__extensionBundle__id",
            Some(&bundle)
        ));
        let ga = Value::from("Microsoft.Azure.Functions.ExtensionBundle");
        assert!(!is_mcp_trigger_setting(
            "AzureFunctionsJobHost__extensionBundle__id",
            Some(&ga)
        ));
        assert!(!is_mcp_trigger_setting("FUNCTIONS_WORKER_RUNTIME", None));
    }

    fn config(t: &str, props: serde_json::Value) -> Resource {
        Resource::new(
            "cfg",
            InputKind::Arm,
            json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a/config/authsettingsV2",
                   "type": t, "name": "authsettingsV2", "properties": props}),
        )
    }

    fn authenticated(cfg: Option<&Resource>) -> Value {
        easy_auth(cfg)["authenticated"].clone()
    }

    #[test]
    fn easy_auth_authenticates_only_with_401_or_403_and_an_audience() {
        let good = json!({"platform": {"enabled": true},
            "globalValidation": {"requireAuthentication": true, "unauthenticatedClientAction": "Return401"},
            "identityProviders": {"azureActiveDirectory": {"registration": {"clientId": "c"},
                "validation": {"allowedAudiences": ["api://mcp"]}}}});
        assert_eq!(
            authenticated(Some(&config(types::SITE_CONFIG, good.clone()))),
            true
        );
        for (path, v) in [
            (
                "/globalValidation/unauthenticatedClientAction",
                json!("AllowAnonymous"),
            ),
            (
                "/globalValidation/unauthenticatedClientAction",
                json!("RedirectToLoginPage"),
            ),
            ("/globalValidation/requireAuthentication", json!(false)),
            ("/platform/enabled", json!(false)),
            (
                "/identityProviders/azureActiveDirectory/validation/allowedAudiences",
                json!([]),
            ),
        ] {
            let mut p = good.clone();
            *p.pointer_mut(path).unwrap() = v.clone();
            assert_eq!(
                authenticated(Some(&config(types::SITE_CONFIG, p))),
                false,
                "{path} = {v}"
            );
        }
        // A container app's authConfigs has no requireAuthentication: the action decides.
        let mut app = good.clone();
        app["globalValidation"]
            .as_object_mut()
            .unwrap()
            .remove("requireAuthentication");
        assert_eq!(
            authenticated(Some(&config(types::CONTAINER_APP_AUTH, app.clone()))),
            true
        );
        assert_eq!(authenticated(Some(&config(types::SITE_CONFIG, app))), false);
        assert_eq!(authenticated(None), false);
        // Not known before apply: unknown, never a pass or a fail.
        let mut unknown = config(types::SITE_CONFIG, good);
        unknown.doc.put(
            &Path::parse("properties.globalValidation.unauthenticatedClientAction"),
            Unknown::present(),
        );
        assert!(authenticated(Some(&unknown)).is_unknown());
    }

    #[test]
    fn image_namespaces_leave_the_registry_out() {
        assert_eq!(
            image_namespaces("mcp/filesystem:latest"),
            [("mcp".to_string(), "mcp/filesystem".to_string())]
        );
        assert_eq!(
            image_namespaces("docker.io/mcp/fetch@sha256:abc"),
            [("mcp".to_string(), "mcp/fetch".to_string())]
        );
        assert!(image_namespaces("mcp.azurecr.io/tools:1").is_empty());
        assert!(image_namespaces("nginx").is_empty());
    }

    #[test]
    fn module_instances_of_addresses() {
        assert_eq!(module_of("azapi_resource.this"), "");
        assert_eq!(
            module_of("module.web.azapi_resource.pe[\"a\"]"),
            "module.web"
        );
        assert_eq!(
            module_of("module.a[\"x\"].module.b.azurerm_private_endpoint.this[0]"),
            "module.a[\"x\"].module.b"
        );
    }

    #[test]
    fn backend_urls_name_sites_and_container_apps() {
        let site = Resource::new(
            "s",
            InputKind::Arm,
            json!({"id": "/x/sites/func-mcp", "type": types::SITE, "name": "func-mcp"}),
        );
        let app = Resource::new(
            "a",
            InputKind::Arm,
            json!({"id": "/x/containerApps/ca-mcp", "type": types::CONTAINER_APP, "name": "ca-mcp"}),
        );
        let (s, a) = (HostNames::of(0, &site), HostNames::of(1, &app));
        let host = |u: &str| host_of_url(u).unwrap();
        assert!(s.matches(&host(
            "https://func-mcp.azurewebsites.net/runtime/webhooks/mcp"
        )));
        assert!(!s.matches(&host("https://func-mcp2.azurewebsites.net/")));
        assert!(a.matches(&host(
            "https://ca-mcp.kindsea-1a2b.westeurope.azurecontainerapps.io/mcp"
        )));
        assert!(!a.matches(&host("https://ca-mcp.example.com/mcp")));
        assert_eq!(
            host("learn.microsoft.com:443/api/mcp"),
            "learn.microsoft.com"
        );
    }
}
