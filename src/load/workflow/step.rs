//! One workflow step → its document: the action it uses, its `with` inputs
//! and environment as references (never values), and whether it calls an
//! MCP gateway.
//!
//! **An MCP gateway call** is a step that
//! - uses an action whose name (owner, repository or path) has the word
//!   `mcp` (an MCP client action: `acme/mcp-client-action@v1`), or
//! - runs an MCP client (`@modelcontextprotocol/…`, `mcp-remote`), or
//! - runs an HTTP client (`curl`, `wget`, HTTPie's `http`/`https`,
//!   PowerShell's `Invoke-RestMethod`/`Invoke-WebRequest`) with a URL whose
//!   host is an API Management gateway (`*.azure-api.net`) or whose path has
//!   an `/mcp` segment, or passes such a URL to an action in `with`.
//!
//! An HTTP client whose URL is an expression or a shell variable (`curl
//! "$GATEWAY/tools"`) may be one: unknown, and the rule says so.

use serde_json::{json, Map, Value as Json};

use super::yaml::Node;

/// Environment variables that are identifiers or switches, never
/// credentials: their literal text is kept (Terraform's OIDC login).
const IDENTIFIER_ENV: &[&str] = &[
    "ARM_USE_OIDC",
    "ARM_CLIENT_ID",
    "AZURE_CLIENT_ID",
    "ARM_TENANT_ID",
    "AZURE_TENANT_ID",
    "ARM_SUBSCRIPTION_ID",
    "AZURE_SUBSCRIPTION_ID",
];

/// `with` inputs of `azure/login` that are identifiers, never credentials:
/// their literal text is kept (MCP025 matches the client id).
const IDENTIFIER_INPUTS: &[&str] = &[
    "client-id",
    "tenant-id",
    "subscription-id",
    "allow-no-subscriptions",
    "auth-type",
    "environment",
    "audience",
    "enable-AzPSSession",
];

pub(super) struct Built {
    pub doc: Json,
    /// The line of the step's first key.
    pub line: Option<u32>,
    /// Whether the step may call an MCP gateway through a URL mcpguard cannot read.
    pub mcp_unknown: bool,
    /// Lines of `with` inputs and environment variables, by path below the step.
    pub lines: Vec<(String, u32)>,
}

/// `env:` (or `with:`) as (name, value text, line) triples, in order.
pub(super) fn env_entries(env: Option<&Node>) -> Vec<(String, String, u32)> {
    match env {
        Some(Node::Map(m)) => m
            .iter()
            .map(|(k, l, v)| (k.clone(), v.as_str().unwrap_or("").to_string(), *l))
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn build(step: &Node, outer: &[(String, String, u32)]) -> Built {
    let mut lines = Vec::new();
    let line = match step {
        Node::Map(m) => m.first().map(|(_, l, _)| *l),
        _ => None,
    };
    let uses = step.get("uses").and_then(Node::as_str).unwrap_or("");
    let mut doc = Map::new();
    if let Some(n) = step.get("name").and_then(Node::as_str) {
        doc.insert("name".into(), Json::String(n.to_string()));
    }
    if !uses.is_empty() {
        doc.insert("uses".into(), Json::String(uses.to_string()));
    }
    let mut secrets: Vec<String> = Vec::new();
    let mut add_secrets = |r: &Map<String, Json>| {
        for s in r["secrets"].as_array().into_iter().flatten() {
            if let Some(s) = s.as_str() {
                if !secrets.iter().any(|x| x.eq_ignore_ascii_case(s)) {
                    secrets.push(s.to_string());
                }
            }
        }
    };
    let mut with = Map::new();
    let mut literals: Vec<String> = Vec::new();
    for (k, text, l) in env_entries(step.get("with")) {
        lines.push((format!("with.{k}"), l));
        let mut r = super::reference(&text);
        add_secrets(&r);
        if IDENTIFIER_INPUTS.contains(&k.as_str()) {
            r.insert("value".into(), Json::String(text.clone()));
        }
        if k == "creds" && !text.contains("${{") {
            // An inline credential: only its key names are kept.
            let keys: Vec<String> = serde_json::from_str::<Map<String, Json>>(&text)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            r.insert("keys".into(), json!(keys));
        }
        with.insert(k, Json::Object(r));
        literals.push(text);
    }
    doc.insert("with".into(), Json::Object(with));
    // The step's environment: the workflow's and job's `env`, then its own.
    let mut environment = Map::new();
    for (k, text, l) in outer.iter().cloned().chain(env_entries(step.get("env"))) {
        lines.push((format!("environment.{k}"), l));
        let mut r = super::reference(&text);
        add_secrets(&r);
        if IDENTIFIER_ENV.contains(&k.as_str()) {
            r.insert("value".into(), Json::String(text.clone()));
        }
        environment.insert(k, Json::Object(r));
        literals.push(text);
    }
    doc.insert("environment".into(), Json::Object(environment));
    doc.insert("environmentSecrets".into(), json!(secrets));
    let run = step.get("run").and_then(Node::as_str).unwrap_or("");
    let call = mcp_call(uses, run, &literals);
    let mcp_unknown = call == Call::Maybe;
    doc.insert(
        "mcpGatewayCall".into(),
        Json::Bool(matches!(call, Call::Yes(_))),
    );
    if let Call::Yes(why) = call {
        doc.insert("mcpGatewayEvidence".into(), Json::String(why.to_string()));
    }
    Built {
        doc: Json::Object(doc),
        line,
        mcp_unknown,
        lines,
    }
}

#[derive(Debug, PartialEq)]
enum Call {
    Yes(&'static str),
    No,
    Maybe,
}

fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// Whether a step calls an MCP gateway (see the module comment).
fn mcp_call(uses: &str, run: &str, literals: &[String]) -> Call {
    let action = uses.split('@').next().unwrap_or("");
    if !action.starts_with("docker://") && has_word(action, "mcp") {
        return Call::Yes("uses an MCP client action");
    }
    if run.contains("@modelcontextprotocol/")
        || has_word(run, "mcp-remote")
        || run.contains("mcp-remote")
    {
        return Call::Yes("runs an MCP client");
    }
    let urls = || {
        std::iter::once(run)
            .chain(literals.iter().map(String::as_str))
            .flat_map(urls_in)
    };
    let mcp_url = |u: &str| is_gateway_url(u);
    let client = http_client(run);
    if client && urls().any(mcp_url) {
        return Call::Yes("calls an MCP gateway URL with an HTTP client");
    }
    if !uses.is_empty() && literals.iter().flat_map(|l| urls_in(l)).any(mcp_url) {
        return Call::Yes("passes an MCP gateway URL to an action");
    }
    // A client whose only URL is a variable: the gateway may be behind it.
    let variable_url = run.split_whitespace().any(|w| {
        let w = w.trim_start_matches(['"', '\'']);
        w.starts_with('$') && !w.starts_with("$(")
    });
    if client && urls_in(run).is_empty() && variable_url {
        return Call::Maybe;
    }
    Call::No
}

/// `curl`, `wget`, `Invoke-RestMethod`, `Invoke-WebRequest` anywhere as a
/// word; HTTPie's `http`/`https` only as the command of a line.
fn http_client(run: &str) -> bool {
    let words = [
        "curl",
        "wget",
        "invoke-restmethod",
        "invoke-webrequest",
        "irm",
        "iwr",
    ];
    run.split(|c: char| c.is_whitespace() || matches!(c, '|' | ';' | '&' | '(' | ')' | '`'))
        .any(|w| words.iter().any(|x| w.eq_ignore_ascii_case(x)))
        || run.lines().any(|l| {
            let first = l.split_whitespace().next().unwrap_or("");
            first == "http" || first == "https"
        })
}

/// The `http://` and `https://` URLs in a text, up to white space or a quote.
fn urls_in(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("http") {
        let tail = &rest[i..];
        if tail.starts_with("https://") || tail.starts_with("http://") {
            let end = tail
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ')'))
                .unwrap_or(tail.len());
            out.push(&tail[..end]);
            rest = &tail[end..];
        } else {
            rest = &tail[4..];
        }
    }
    out
}

/// An API Management host (`*.azure-api.net`) or a path with an `mcp`
/// segment (`/mcp`, `/mcp/sse`, `/github-mcp/mcp`).
fn is_gateway_url(url: &str) -> bool {
    let after = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (host, path) = after.split_once('/').unwrap_or((after, ""));
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    host.ends_with(".azure-api.net")
        || path
            .split(['/', '?', '#'])
            .any(|seg| seg.eq_ignore_ascii_case("mcp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_calls() {
        let none: &[String] = &[];
        assert_eq!(
            mcp_call(
                "",
                "curl -sf https://apim-prod.azure-api.net/github/tools",
                none
            ),
            Call::Yes("calls an MCP gateway URL with an HTTP client")
        );
        assert!(matches!(
            mcp_call("", "curl https://example.com/api/mcp?x=1", none),
            Call::Yes(_)
        ));
        assert_eq!(
            mcp_call("", "curl https://example.com/api/mcpx", none),
            Call::No
        );
        assert_eq!(mcp_call("", "curl \"$GATEWAY/tools\"", none), Call::Maybe);
        assert_eq!(
            mcp_call("", "echo https://x.azure-api.net/mcp", none),
            Call::No
        );
        assert!(matches!(
            mcp_call("acme/mcp-client-action@v1", "", none),
            Call::Yes(_)
        ));
        assert_eq!(mcp_call("actions/checkout@v4", "", none), Call::No);
        assert!(matches!(
            mcp_call(
                "fjogeleit/http-request-action@v1",
                "",
                &["https://gw.azure-api.net/mcp".into()]
            ),
            Call::Yes(_)
        ));
        assert!(matches!(
            mcp_call("", "npx -y @modelcontextprotocol/inspector --cli", none),
            Call::Yes(_)
        ));
    }
}
