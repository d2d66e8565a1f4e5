//! Entra ID facts: which application is the MCP gateway's, which access
//! tiers (read, write, admin, secrets) it defines, who can acquire the
//! secrets tier, and whether Conditional Access blocks users from it.
//!
//! Fact `mcpguard.entra` on every `Microsoft.Graph/applications`:
//!
//! | field | meaning |
//! |---|---|
//! | `gatewayApp` | an API Management token validation names it as the audience (its `appId` or one of its `identifierUris`) |
//! | `names[*]` | its display name, `appId` and identifier URIs, for the rules' `gatewayApplications` parameter |
//! | `tiers` | `{read, write, admin}`: whether a scope or role of that tier is defined; `secrets`: `none`, `scope` (a delegated scope: users can consent to it), `userRole` (a role users can be assigned) or `appRole` (a role for applications only) |
//! | `secretsElsewhere` | another application of the input holds the secrets tier (its own registration) |
//! | `usersCanAcquire` | the application has a delegated scope or a role users can be assigned |
//! | `blockedForUsers` | an enabled Conditional Access policy blocks every user from it (unknown when a policy's applications are not known) |
//!
//! A scope or role is of a tier when a segment of its value (split at `.`,
//! `:`, `/`, `_`, `-`) is the tier's name: `mcp.tools.secrets` is secrets.
//! Standalone `…/oauth2PermissionScopes` and `…/appRoles` join their
//! application through `properties.applicationId`.

use serde_json::json;

use super::{id_key, types, Inventory, Resource, Unknown, Value};

const FACT: &str = "entra";
const TIERS: [&str; 4] = ["read", "write", "admin", "secrets"];

/// One scope or role: its value and whether users can hold it.
struct Grant {
    /// `None` when not known before deployment (a template parameter
    /// without a value): it may be of any tier.
    value: Option<String>,
    /// Whether it is enabled is not known: it may not be granted at all.
    maybe: bool,
    users: bool,
    /// A role (any member type) rather than a delegated scope.
    role: bool,
    applications_only: bool,
}

impl Grant {
    /// Surely granted, and of `tier`.
    fn is(&self, tier: &str) -> bool {
        !self.maybe && self.value.as_deref().and_then(tier_of) == Some(tier)
    }

    /// Of `tier` for all that is known, but not surely.
    fn may_be(&self, tier: &str) -> bool {
        !self.is(tier)
            && self
                .value
                .as_deref()
                .is_none_or(|v| tier_of(v) == Some(tier))
    }

    /// A whole list (`appRoles`, `oauth2PermissionScopes`) not known before
    /// deployment: any grant of any kind.
    fn unknown_list() -> Grant {
        Grant {
            value: None,
            maybe: true,
            users: true,
            role: false,
            applications_only: false,
        }
    }
}

fn tier_of(value: &str) -> Option<&'static str> {
    value
        .split(['.', ':', '/', '_', '-'])
        .map(str::to_ascii_lowercase)
        .find_map(|seg| {
            let seg = if seg == "secret" {
                "secrets".to_string()
            } else {
                seg
            };
            TIERS.iter().copied().find(|t| *t == seg)
        })
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// A grant's value and whether it is surely enabled; `None` when it is
/// disabled or has no value.
fn value_of(x: &Value) -> Option<(Option<String>, bool)> {
    let maybe = match x.get("isEnabled") {
        Some(v) if v.has_unknown() => true,
        Some(v) if v.as_bool() == Some(false) => return None,
        _ => false,
    };
    match x.get("value")? {
        Value::String(s) => Some((Some(s.clone()), maybe)),
        v if v.has_unknown() => Some((None, maybe)),
        _ => None,
    }
}

fn scope(x: &Value) -> Option<Grant> {
    let (value, maybe) = value_of(x)?;
    Some(Grant {
        value,
        maybe,
        users: true,
        role: false,
        applications_only: false,
    })
}

fn role(x: &Value) -> Option<Grant> {
    let (value, maybe) = value_of(x)?;
    let members = strings(x.get("allowedMemberTypes"));
    let users = members.iter().any(|m| m.eq_ignore_ascii_case("User"));
    Some(Grant {
        value,
        maybe,
        users,
        role: true,
        applications_only: !users && !members.is_empty(),
    })
}

/// The grants of an inline list: each element, or one unknown grant for a
/// list not known before deployment.
fn listed(app: &Resource, ptr: &str, each: fn(&Value) -> Option<Grant>) -> Vec<Grant> {
    match app.doc.pointer(ptr) {
        Some(v) if v.is_unknown() => vec![Grant::unknown_list()],
        Some(Value::Array(items)) => items.iter().filter_map(each).collect(),
        _ => Vec::new(),
    }
}

/// Every grant of an application: inline, and standalone children naming it.
fn grants(inv: &Inventory, app: &Resource) -> Vec<Grant> {
    let mut out = listed(app, "/api/oauth2PermissionScopes", scope);
    out.extend(listed(app, "/appRoles", role));
    let mine = |c: &Resource| {
        c.doc
            .pointer("/properties/applicationId")
            .and_then(Value::as_key)
            .is_some_and(|k| id_key(&k) == id_key(&app.key()))
    };
    for c in inv.of_type(types::GRAPH_SCOPE).filter(|c| mine(c)) {
        out.extend(c.doc.get("properties").and_then(scope));
    }
    for c in inv.of_type(types::GRAPH_APP_ROLE).filter(|c| mine(c)) {
        out.extend(c.doc.get("properties").and_then(role));
    }
    out
}

fn secrets_kind(g: &[Grant]) -> Value {
    let secrets: Vec<&Grant> = g.iter().filter(|x| x.is("secrets")).collect();
    let known = if secrets.is_empty() {
        "none"
    } else if secrets.iter().any(|x| !x.role) {
        "scope"
    } else if secrets.iter().any(|x| x.users || !x.applications_only) {
        "userRole"
    } else {
        "appRole"
    };
    // A grant not known may be a secrets scope; the rules judge `scope` and
    // `userRole` alike, so a known `userRole` stays decided.
    if matches!(known, "scope" | "userRole") || !g.iter().any(|x| x.may_be("secrets")) {
        Value::from(known)
    } else {
        Unknown::because(UNKNOWN_GRANT)
    }
}

const UNKNOWN_GRANT: &str = "the value of a scope or app role (known at deployment)";

/// True when some element is, unknown when none is but some may be.
fn any3(items: impl Iterator<Item = Value>) -> Value {
    let mut unknown = None;
    for v in items {
        if v.as_bool() == Some(true) {
            return Value::Bool(true);
        }
        if v.is_unknown() {
            unknown = Some(v);
        }
    }
    unknown.unwrap_or(Value::Bool(false))
}

/// Whether a tier is defined: surely, maybe, or surely not.
fn has_tier(g: &[Grant], tier: &str) -> Value {
    any3(g.iter().map(|x| {
        if x.is(tier) {
            Value::Bool(true)
        } else if x.may_be(tier) {
            Unknown::because(UNKNOWN_GRANT)
        } else {
            Value::Bool(false)
        }
    }))
}

/// Whether users can acquire a grant: a scope, or a role users may hold,
/// that is surely enabled (else unknown).
fn users_can_acquire(g: &[Grant]) -> Value {
    any3(g.iter().filter(|x| x.users).map(|x| {
        if x.maybe {
            Unknown::because(UNKNOWN_GRANT)
        } else {
            Value::Bool(true)
        }
    }))
}

/// Whether a list of applications names `app`: `All`, its known `appId`, or
/// an element not known yet that refers to it. `None` when an element is
/// unknown and names nothing.
fn names_app(list: Option<&Value>, app: &Resource, app_id: Option<&str>) -> Option<bool> {
    let Some(v) = list else { return Some(false) };
    if v.is_unknown() {
        return if v.refers_to() == Some(app.address.as_str()) {
            Some(true)
        } else {
            None
        };
    }
    let mut unknown = false;
    for x in v.as_array().into_iter().flatten() {
        match x {
            Value::String(s) if s.eq_ignore_ascii_case("All") => return Some(true),
            Value::String(s) if app_id.is_some_and(|id| id.eq_ignore_ascii_case(s)) => {
                return Some(true)
            }
            other if other.refers_to() == Some(app.address.as_str()) => return Some(true),
            other if other.has_unknown() => unknown = true,
            _ => {}
        }
    }
    if unknown {
        None
    } else {
        Some(false)
    }
}

/// Whether a condition limits the policy to some sign-ins (some locations,
/// platforms, devices, risk levels, user actions): it then blocks none for
/// sure. `All` locations or platforms with no exclusion limit nothing.
fn narrowed(p: &Resource) -> bool {
    let set = |ptr: &str| {
        p.doc
            .pointer(ptr)
            .is_some_and(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
    };
    let all_of = |ptr: &str| {
        let v = strings(p.doc.pointer(ptr));
        v.is_empty() || v.iter().all(|x| x.eq_ignore_ascii_case("All"))
    };
    !all_of("/conditions/locations/includeLocations")
        || set("/conditions/locations/excludeLocations")
        || !all_of("/conditions/platforms/includePlatforms")
        || set("/conditions/platforms/excludePlatforms")
        || set("/conditions/devices/deviceFilter/rule")
        || set("/conditions/signInRiskLevels")
        || set("/conditions/userRiskLevels")
        || set("/conditions/servicePrincipalRiskLevels")
        || set("/conditions/applications/includeUserActions")
}

/// Whether policy `p` blocks every user (break-glass exclusions allowed) on
/// every client from `app`.
fn blocks_users(p: &Resource, app: &Resource, app_id: Option<&str>) -> Option<bool> {
    let state = p.doc.get("state").and_then(Value::as_str)?;
    if !state.eq_ignore_ascii_case("enabled") {
        return Some(false);
    }
    let users = strings(p.doc.pointer("/conditions/users/includeUsers"));
    let blocks = strings(p.doc.pointer("/grantControls/builtInControls"));
    let clients = strings(p.doc.pointer("/conditions/clientAppTypes"));
    let every_client = clients.is_empty()
        || clients.iter().any(|c| c.eq_ignore_ascii_case("all"))
        || ["browser", "mobileAppsAndDesktopClients"]
            .iter()
            .all(|w| clients.iter().any(|c| c.eq_ignore_ascii_case(w)));
    let workload = !strings(
        p.doc
            .pointer("/conditions/clientApplications/includeServicePrincipals"),
    )
    .is_empty();
    if !users.iter().any(|u| u.eq_ignore_ascii_case("All"))
        || !blocks.iter().any(|b| b.eq_ignore_ascii_case("block"))
        || !every_client
        || workload
        || narrowed(p)
    {
        return Some(false);
    }
    let included = names_app(
        p.doc
            .pointer("/conditions/applications/includeApplications"),
        app,
        app_id,
    );
    let excluded = names_app(
        p.doc
            .pointer("/conditions/applications/excludeApplications"),
        app,
        app_id,
    );
    match (included, excluded) {
        (Some(true), Some(false)) => Some(true),
        (Some(false), _) | (_, Some(true)) => Some(false),
        _ => None,
    }
}

/// Every audience an API Management token validation of the input accepts.
fn gateway_audiences(inv: &Inventory) -> Vec<String> {
    [
        types::API_MANAGEMENT,
        types::APIM_API,
        types::APIM_POLICY,
        types::APIM_API_POLICY,
    ]
    .iter()
    .flat_map(|t| inv.of_type(t))
    .flat_map(|r| strings(r.fact("gateway").and_then(|g| g.get("audiences"))))
    .map(|a| a.to_ascii_lowercase())
    .collect()
}

/// Computes `mcpguard.entra` on every application. Call after the gateway facts.
pub fn compute(inv: &mut Inventory) {
    let apps: Vec<usize> = inv.indices_of_type(types::GRAPH_APPLICATION).to_vec();
    if apps.is_empty() {
        return;
    }
    let audiences = gateway_audiences(inv);
    let per_app: Vec<(Vec<Grant>, Vec<String>, Option<String>)> = apps
        .iter()
        .map(|&n| {
            let app = inv.get(n);
            let app_id = app
                .doc
                .get("appId")
                .and_then(Value::as_str)
                .map(str::to_string);
            let mut names: Vec<String> = app
                .doc
                .get("displayName")
                .and_then(Value::as_str)
                .map(str::to_string)
                .into_iter()
                .collect();
            names.extend(app_id.clone());
            names.extend(strings(app.doc.get("identifierUris")));
            (grants(inv, app), names, app_id)
        })
        .collect();
    let holds_secrets: Vec<Value> = per_app
        .iter()
        .map(|(g, _, _)| match secrets_kind(g) {
            Value::String(k) => Value::Bool(k != "none"),
            unknown => unknown,
        })
        .collect();
    let policies: Vec<&Resource> = inv.of_type(types::CONDITIONAL_ACCESS).collect();
    let mut facts = Vec::new();
    for (i, &n) in apps.iter().enumerate() {
        let app = inv.get(n);
        let (g, names, app_id) = &per_app[i];
        // The display name is no audience: only the app id and identifier URIs are.
        let gateway_app = names
            .iter()
            .skip(usize::from(
                app.doc.get("displayName").is_some_and(Value::is_string),
            ))
            .any(|x| audiences.contains(&x.to_ascii_lowercase()));
        let verdicts: Vec<Option<bool>> = policies
            .iter()
            .map(|p| blocks_users(p, app, app_id.as_deref()))
            .collect();
        let blocked: Value = if verdicts.contains(&Some(true)) {
            Value::Bool(true)
        } else if verdicts.contains(&None) {
            Unknown::because("a Conditional Access policy whose state or applications are not known before apply")
        } else {
            Value::Bool(false)
        };
        let mut fact: Value = json!({"gatewayApp": gateway_app, "names": names}).into();
        let mut tiers = Value::Object(Default::default());
        for t in ["read", "write", "admin"] {
            tiers[t] = has_tier(g, t);
        }
        tiers["secrets"] = secrets_kind(g);
        fact["tiers"] = tiers;
        fact["secretsElsewhere"] = any3(
            holds_secrets
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, h)| h.clone()),
        );
        fact["usersCanAcquire"] = users_can_acquire(g);
        fact["blockedForUsers"] = blocked;
        facts.push((n, fact));
    }
    for (n, fact) in facts {
        inv.resources_mut()[n].set_fact(FACT, fact);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_by_segment() {
        assert_eq!(tier_of("mcp.tools.secrets"), Some("secrets"));
        assert_eq!(tier_of("MCP.Tools.Read"), Some("read"));
        assert_eq!(tier_of("api://mcp/admin"), Some("admin"));
        assert_eq!(tier_of("mcp.secret_rotate"), Some("secrets"));
        assert_eq!(tier_of("mcp.readers"), None);
        assert_eq!(tier_of("mcp.invoke"), None);
    }
}
