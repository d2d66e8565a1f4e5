//! Workflow jobs × the federated credentials they log in with: the
//! `mcpguard.login` fact of each `GitHub.Actions/workflows/jobs` resource.
//!
//! | fact | meaning |
//! |---|---|
//! | `login.method` | `oidc` (`azure/login` with `client-id` and no secret, or Terraform's `ARM_USE_OIDC`), `secret`, or `none` |
//! | `login.clientId` | how the job names the client id: the literal, or `vars.X` / `secrets.X` |
//! | `login.identity` | the address of the identity (or app registration) that client id belongs to |
//! | `login.subjects[*]` | the GitHub subjects of that identity's federated credentials |
//! | `login.admitsPullRequest` | some credential admits a `pull_request` token (its subject is `…:pull_request`; Entra ID compares subjects exactly, so one with a `*` admits nothing) |
//! | `login.canLogIn` | some credential matches a subject the job's token can carry (see `load::workflow::subjects`) |
//!
//! The identity comes from the inputs scanned with the workflows: a literal
//! client id matches an identity's known `properties.clientId`; `vars.X` and
//! `secrets.X` match a `github_actions_*` variable or secret named X whose
//! value is (or refers to) an identity's client id. Where neither tells,
//! the facts are unknown, with the reason. The repository part of a subject
//! is not compared: a workflow file does not name its repository.

use serde_json::json;

use super::{id_key, types, Inventory, Resource, Unknown, Value};

const JOB_TYPE: &str = "GitHub.Actions/workflows/jobs";
const VARIABLES_TYPE: &str = "GitHub.Actions/variables";

/// How a job logs in, read from its steps.
struct Login {
    method: &'static str,
    /// The path of the step (or environment variable) that logs in.
    at: Option<String>,
    /// `client-id` (or `ARM_CLIENT_ID`) as written, with the path it sits at.
    client_id: Option<(Value, String)>,
}

/// Sets `mcpguard.login` on every job of `jobs`, looking identities and
/// credentials up in `others` (the scan's other inventories).
pub fn link(jobs: &mut Inventory, others: &[&Inventory]) {
    let n = jobs.indices_of_type(JOB_TYPE).to_vec();
    for i in n {
        let login = login_of(jobs.get(i));
        let fact = match (&login.method, &login.client_id) {
            (&"oidc", Some((cid, at))) => federation(jobs.get(i), cid, at, others),
            _ => Value::from(json!({})),
        };
        let mut fact = fact;
        fact["method"] = Value::from(login.method);
        let job = &mut jobs.resources_mut()[i];
        // A finding on the login facts points at the step that logs in.
        if let Some(line) = login.at.as_deref().and_then(|p| job.line_for(Some(p))) {
            job.origin
                .attribute_lines
                .insert("mcpguard.login".into(), line);
        }
        job.set_fact("login", fact);
    }
}

fn is_azure_login(uses: &str) -> bool {
    let action = uses.split('@').next().unwrap_or("");
    action.eq_ignore_ascii_case("azure/login")
}

/// The elements of an array of the job's document (none when absent).
fn items<'a>(job: &'a Resource, pointer: &str) -> &'a [Value] {
    job.doc
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The first Azure login of a job: an `azure/login` step, else Terraform's
/// environment (`ARM_USE_OIDC` / `ARM_CLIENT_SECRET`).
fn login_of(job: &Resource) -> Login {
    for (n, s) in items(job, "/properties/steps").iter().enumerate() {
        let uses = s.get("uses").and_then(Value::as_str).unwrap_or("");
        if is_azure_login(uses) {
            let with = s.get("with");
            let has = |k: &str| with.and_then(|w| w.get(k)).is_some();
            let method = if has("creds") || has("client-secret") {
                "secret"
            } else {
                "oidc"
            };
            let client_id = with
                .and_then(|w| w.get("client-id"))
                .and_then(|c| c.get("value"))
                .map(|v| (v.clone(), format!("properties.steps[{n}].with.client-id")));
            return Login {
                method,
                at: Some(format!("properties.steps[{n}]")),
                client_id,
            };
        }
        let env = |k: &str| s.get("environment").and_then(|e| e.get(k));
        if env("ARM_CLIENT_SECRET").is_some() || env("AZURE_CLIENT_SECRET").is_some() {
            return Login {
                method: "secret",
                at: Some(format!("properties.steps[{n}]")),
                client_id: None,
            };
        }
        let oidc = env("ARM_USE_OIDC")
            .and_then(|v| v.get("value"))
            .and_then(Value::as_str)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if oidc {
            let client_id = ["ARM_CLIENT_ID", "AZURE_CLIENT_ID"].iter().find_map(|k| {
                env(k)
                    .and_then(|c| c.get("value"))
                    .map(|v| (v.clone(), format!("properties.steps[{n}].environment.{k}")))
            });
            return Login {
                method: "oidc",
                at: Some(format!("properties.steps[{n}].environment.ARM_USE_OIDC")),
                client_id,
            };
        }
    }
    Login {
        method: "none",
        at: None,
        client_id: None,
    }
}

/// The login fact of an OIDC job whose client id is `cid` (at `at`).
fn federation(job: &Resource, cid: &Value, at: &str, others: &[&Inventory]) -> Value {
    let text = cid.as_str().unwrap_or("").trim().to_string();
    let mut fact = Value::from(json!({"clientId": text}));
    let identity = match identity_for(&text, job, others) {
        Ok(found) => found,
        Err(why) => {
            let u = Unknown::because(format!("{at} ({why})"));
            for k in ["identity", "subjects", "admitsPullRequest", "canLogIn"] {
                fact[k] = u.clone();
            }
            return fact;
        }
    };
    let (inv, ident) = identity;
    let prefix = format!("{}/federatedidentitycredentials/", id_key(&ident.key()));
    let creds: Vec<&Resource> = [types::FEDERATED_CREDENTIAL, types::APP_FEDERATED_CREDENTIAL]
        .iter()
        .flat_map(|t| inv.of_type(t))
        .filter(|c| id_key(&c.key()).starts_with(&prefix))
        .filter(|c| {
            c.fact("github")
                .and_then(|g| g.get("issuer"))
                .and_then(Value::as_str)
                .is_some_and(|i| i.trim_end_matches('/') == super::facts::GITHUB_ISSUER)
        })
        .collect();
    fact["identity"] = Value::from(ident.address.as_str());
    if creds.is_empty() {
        let u = Unknown::because(format!(
            "{at} (identity `{}` has no GitHub federated credential in the scanned inputs)",
            ident.address
        ));
        fact["subjects"] = Value::Array(Vec::new());
        fact["admitsPullRequest"] = u.clone();
        fact["canLogIn"] = u;
        return fact;
    }
    let gh: Vec<&Value> = creds.iter().filter_map(|c| c.fact("github")).collect();
    fact["subjects"] = Value::Array(
        gh.iter()
            .filter_map(|g| g.get("subject").cloned())
            .collect(),
    );
    fact["admitsPullRequest"] = any3(gh.iter().map(|g| admits_pull_request(g)), at);
    fact["canLogIn"] = any3(
        items(job, "/properties/oidcSubjects")
            .iter()
            .flat_map(|c| gh.iter().map(move |g| claim_matches(c, g))),
        at,
    );
    fact
}

/// Any of three-valued results: true if one is, false if all are, else unknown.
fn any3(items: impl Iterator<Item = Option<bool>>, at: &str) -> Value {
    let mut unknown = false;
    for i in items {
        match i {
            Some(true) => return Value::Bool(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown {
        Unknown::because(format!("{at} (a credential's subject or a trigger's ref)"))
    } else {
        Value::Bool(false)
    }
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Whether a credential (its `mcpguard.github` fact) admits a pull-request
/// token. Entra ID compares a subject exactly, `*` included (wildcards are
/// not supported), so a subject with a `*` admits no token at all: MCP006
/// fails it, and here it matches nothing.
fn admits_pull_request(g: &Value) -> Option<bool> {
    if g.get("wildcard").and_then(Value::as_bool) == Some(true) {
        return Some(false);
    }
    str_of(g, "kind").map(|k| k == "pull_request")
}

/// Whether a subject claim a job can present (`{kind, value}`) matches a
/// credential.
fn claim_matches(claim: &Value, g: &Value) -> Option<bool> {
    let kind = str_of(claim, "kind")?;
    if kind == "unknown" {
        return None;
    }
    if g.get("wildcard").and_then(Value::as_bool) == Some(true) {
        return Some(false); // compared exactly by Entra ID: no token carries a `*`
    }
    let cred_kind = str_of(g, "kind")?;
    if cred_kind != kind {
        return Some(false);
    }
    let value = str_of(claim, "value").unwrap_or("");
    let want = match kind {
        "pull_request" => return Some(true),
        "branch" => str_of(g, "branch"),
        "environment" => str_of(g, "environment"),
        "tag" => str_of(g, "subject").and_then(|s| s.split("ref:refs/tags/").nth(1)),
        _ => None,
    }?;
    Some(glob(value, want, kind == "environment"))
}

/// GitHub's filter patterns: `*` matches within a path segment, `**` across
/// segments. Environments compare case-insensitively, as GitHub names them.
fn glob(pattern: &str, text: &str, fold: bool) -> bool {
    let (p, t) = if fold {
        (pattern.to_ascii_lowercase(), text.to_ascii_lowercase())
    } else {
        (pattern.to_string(), text.to_string())
    };
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some(b'*') => {
                let deep = p.get(1) == Some(&b'*');
                let rest = if deep { &p[2..] } else { &p[1..] };
                (0..=t.len())
                    .take_while(|&i| deep || !t[..i].contains(&b'/'))
                    .any(|i| go(rest, &t[i..]))
            }
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(p.as_bytes(), t.as_bytes())
}

/// The identity a client id names, and the inventory holding it.
fn identity_for<'a>(
    client_id: &str,
    job: &Resource,
    others: &[&'a Inventory],
) -> Result<(&'a Inventory, &'a Resource), String> {
    if let Some(name) = reference_name(client_id) {
        let env = job
            .doc
            .pointer("/properties/environment")
            .and_then(Value::as_str);
        return by_variable(&name, env, others);
    }
    if client_id.contains("${{") {
        return Err(format!(
            "`{client_id}` is an expression mcpguard does not follow"
        ));
    }
    by_client_id(client_id, others)
        .ok_or_else(|| format!("no identity of the scanned inputs has client id `{client_id}`"))
}

/// `${{ vars.X }}` / `${{ secrets.X }}` → `vars.X` / `secrets.X`.
fn reference_name(text: &str) -> Option<String> {
    let inner = text.strip_prefix("${{")?.strip_suffix("}}")?.trim();
    let (kind, name) = inner.split_once('.')?;
    (matches!(kind, "vars" | "secrets")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then(|| inner.to_string())
}

fn by_client_id<'a>(cid: &str, others: &[&'a Inventory]) -> Option<(&'a Inventory, &'a Resource)> {
    others.iter().find_map(|inv| {
        inv.resources()
            .iter()
            .find(|r| {
                ["/properties/clientId", "/properties/appId"]
                    .iter()
                    .any(|p| {
                        r.doc
                            .pointer(p)
                            .and_then(Value::as_str)
                            .is_some_and(|v| v.eq_ignore_ascii_case(cid))
                    })
            })
            .map(|r| (*inv, r))
    })
}

/// The identity behind a GitHub variable or secret of that name: the
/// resource its value refers to, or the identity whose client id it holds.
/// A variable of the job's environment wins over a repository one, as in
/// GitHub.
fn by_variable<'a>(
    name: &str,
    env: Option<&str>,
    others: &[&'a Inventory],
) -> Result<(&'a Inventory, &'a Resource), String> {
    let (kind, bare) = name.split_once('.').unwrap_or(("vars", name));
    let want_kind = if kind == "vars" { "variable" } else { "secret" };
    let mut found: Vec<(&Inventory, &Resource, bool)> = Vec::new();
    for inv in others {
        for v in inv.of_type(VARIABLES_TYPE) {
            let named = v.name().eq_ignore_ascii_case(bare);
            let kind_ok =
                v.doc.pointer("/properties/kind").and_then(Value::as_str) == Some(want_kind);
            if named && kind_ok {
                let v_env = v
                    .doc
                    .pointer("/properties/environment")
                    .and_then(Value::as_str);
                if v_env.is_some() && v_env != env {
                    continue;
                }
                found.push((inv, v, v_env.is_some()));
            }
        }
    }
    if found.iter().any(|f| f.2) {
        found.retain(|f| f.2);
    }
    let what = if kind == "vars" {
        "github_actions_variable"
    } else {
        "github_actions_secret"
    };
    let mut targets: Vec<(&Inventory, &Resource)> = Vec::new();
    for (inv, v, _) in &found {
        let value = v.doc.pointer("/properties/value");
        let target = value.and_then(|val| {
            inv.deref(val).or_else(|| {
                val.as_str()
                    .and_then(|s| by_client_id(s, std::slice::from_ref(inv)).map(|(_, r)| r))
            })
        });
        match target {
            Some(t) => {
                if !targets.iter().any(|(_, x)| x.address == t.address) {
                    targets.push((inv, t));
                }
            }
            None => {
                return Err(format!(
                    "`{}` sets `{name}` to a value that names no identity of the scanned inputs",
                    v.address
                ))
            }
        }
    }
    match targets.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("no {what} of the scanned inputs sets `{name}`")),
        _ => Err(format!(
            "several {what} set `{name}` to different identities"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_as_github_filters() {
        assert!(glob("main", "main", false));
        assert!(glob("*", "main", false));
        assert!(!glob("*", "release/1", false));
        assert!(glob("release/*", "release/1", false));
        assert!(glob("**", "a/b", false));
        assert!(glob("Prod", "prod", true));
    }

    #[test]
    fn references() {
        assert_eq!(
            reference_name("${{ vars.AZURE_CLIENT_ID }}").as_deref(),
            Some("vars.AZURE_CLIENT_ID")
        );
        assert_eq!(
            reference_name("${{ secrets.X }}").as_deref(),
            Some("secrets.X")
        );
        assert_eq!(reference_name("${{ inputs.x }}"), None);
        assert_eq!(reference_name("abc"), None);
    }
}
