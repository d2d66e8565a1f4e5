//! Computed facts: values that need real code, computed once per resource and
//! exposed to rules as read-only `mcpguard.*` fields.
//!
//! | resource | fact | meaning |
//! |---|---|---|
//! | every resource | `address` | its Terraform address (the ARM id for ARM input), for messages |
//! | container group | `mcpTagged` | tag `MCPServer` is `true` (key and value case-insensitive) |
//! | container group | `imageRepositories[*]` | each container image's repository name: last path segment, tag and digest stripped |
//! | container group | `mcpLooksLike` | an image repository has a detection word as a word (`mcp`, `mcp-github`, `github_mcp`), or a container sets a detection environment variable (`MCP_SERVER_NAME`) |
//! | container group | `mcpServer` | `mcpTagged` or `mcpLooksLike`: the group is an MCP server |
//! | container group | `userAssignedIdentityIds[*]` | the keys of `identity.userAssignedIdentities` |
//! | container group | `identitySharedWith[*]` | addresses of the *other* MCP container groups that use one of its user-assigned identities |
//! | container group | `plainEnvironmentVariables[*]` | names of environment variables set in plain text (`value`, not `secureValue`) |
//! | user-assigned identity | `usedByMcpServers[*]` | addresses of the MCP container groups that use it |
//! | NSG | `internetEgress`, `internetIngress` | `{verdict: allow\|deny, rule, priority, reason}`, see `nsg.rs` |
//! | role assignment | `principalUsedByMcpServers[*]` | MCP container groups using the identity that holds the role |
//! | role assignment | `roleName` | the built-in role name of `roleDefinitionId` (Owner, Contributor, …), else null |
//! | federated credential | `github` | `{subject, issuer, audiences, kind: branch\|tag\|pull_request\|environment\|other, repository, branch, environment, wildcard}`, the subject parsed as GitHub Actions writes it |
//!
//! A fact that depends on a value unknown before apply is itself unknown: its
//! path (`mcpguard.<fact>`) goes into the resource's unknown set.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::nsg::{self, Direction};
use super::{id_key, types, Inventory, Path, Resource};

/// How an MCP server is recognised when it is not tagged. Both lists come from
/// the config's `detect` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// Words that mark an image repository name as an MCP server (`mcp`).
    pub image_words: Vec<String>,
    /// Environment variable names that mark a container as an MCP server.
    pub env_vars: Vec<String>,
}

impl Default for Detection {
    fn default() -> Self {
        Detection {
            image_words: vec!["mcp".to_string()],
            env_vars: vec!["MCP_SERVER_NAME".to_string()],
        }
    }
}

pub const MCP_TAG: &str = "MCPServer";
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn fact_path(name: &str) -> Path {
    Path::root().key("mcpguard").key(name)
}

/// The repository name of an image reference: `myacr.azurecr.io:443/team/mcp-github:1.2@sha256:…` → `mcp-github`.
pub fn image_repository(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last).to_string()
}

/// Whether `word` is one of the `-`/`_`/`.`-separated words of `name`.
fn has_word(name: &str, word: &str) -> bool {
    name.split(['-', '_', '.'])
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// Containers and init containers of a container group document.
fn containers(doc: &Value) -> impl Iterator<Item = (Path, &Value)> {
    ["containers", "initContainers"]
        .into_iter()
        .flat_map(move |key| {
            doc.pointer(&format!("/properties/{key}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .map(move |(i, c)| (Path::root().key("properties").key(key).index(i), c))
        })
}

/// Per-container-group facts that need only the group itself.
fn container_group_facts(r: &mut Resource, det: &Detection) {
    let tagged = r
        .tag(MCP_TAG)
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let tags_unknown = r.unknown.touching(&Path::root().key("tags")).cloned();

    let mut repos = Vec::new();
    // The first container value (image, environment) unknown until apply.
    let mut image_unknown: Option<Path> = None;
    let mut env_hit = false;
    let mut plain_env = BTreeSet::new();
    let mut new_sensitive = Vec::new();
    for (at, _) in containers(&r.doc) {
        let image_path = at.key("properties").key("image");
        match image_path.get(&r.doc).and_then(Value::as_str) {
            Some(img) => repos.push(image_repository(img)),
            None => {
                if image_unknown.is_none() && r.unknown.covering(&image_path).is_some() {
                    image_unknown = Some(image_path.clone());
                }
            }
        }
        let env_path = at.key("properties").key("environmentVariables");
        if let Some(vars) = env_path.get(&r.doc).and_then(Value::as_array) {
            for (j, v) in vars.iter().enumerate() {
                let Some(name) = v.get("name").and_then(Value::as_str) else {
                    continue;
                };
                env_hit |= det.env_vars.iter().any(|e| e.eq_ignore_ascii_case(name));
                let value_unknown = r
                    .unknown
                    .covering(&env_path.index(j).key("value"))
                    .is_some();
                if v.get("secureValue").is_none()
                    && v.get("secureValueReference").is_none()
                    && (v.get("value").is_some() || value_unknown)
                {
                    plain_env.insert(name.to_string());
                }
                // No rule needs an environment variable's value, and a plain one
                // may still be a token (MCP008's very finding): never print it.
                new_sensitive.push(env_path.index(j).key("value"));
            }
        }
        if image_unknown.is_none() {
            image_unknown = r.unknown.covering(&env_path).cloned();
        }
    }
    let word_hit = repos
        .iter()
        .any(|repo| det.image_words.iter().any(|w| has_word(repo, w)));
    let looks = word_hit || env_hit;

    r.set_fact("mcpTagged", json!(tagged));
    if tags_unknown.is_some() && !tagged {
        r.derive_unknown(fact_path("mcpTagged"), tags_unknown.as_ref());
    }
    r.set_fact("imageRepositories", json!(repos));
    r.set_fact("mcpLooksLike", json!(looks));
    if image_unknown.is_some() && !looks {
        r.derive_unknown(fact_path("mcpLooksLike"), image_unknown.as_ref());
    }
    r.set_fact("mcpServer", json!(tagged || looks));
    if !(tagged || looks) {
        if let Some(src) = image_unknown.as_ref().or(tags_unknown.as_ref()) {
            let src = src.clone();
            r.derive_unknown(fact_path("mcpServer"), Some(&src));
        }
    }
    r.set_fact("plainEnvironmentVariables", json!(plain_env));
    for p in new_sensitive {
        r.sensitive.insert(p);
    }

    let ids: Vec<String> = r
        .doc
        .pointer("/identity/userAssignedIdentities")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if ids.is_empty() {
        if let Some(src) = r.unknown.touching(&Path::root().key("identity")).cloned() {
            r.derive_unknown(fact_path("userAssignedIdentityIds"), Some(&src));
        }
    }
    r.set_fact("userAssignedIdentityIds", json!(ids));
}

/// GitHub Actions subject: `repo:OWNER/REPO:ref:refs/heads/BRANCH` and friends.
pub fn github_subject(subject: &str) -> Value {
    let wildcard = subject.contains('*');
    let mut kind = "other";
    let (mut repository, mut branch, mut environment) = (None, None, None);
    if let Some(rest) = subject.strip_prefix("repo:") {
        // The repository is OWNER/REPO; the claim after it says what ran.
        if let Some((repo, claim)) = rest.split_once(':') {
            repository = Some(repo.to_string());
            if let Some(b) = claim.strip_prefix("ref:refs/heads/") {
                kind = "branch";
                branch = Some(b.to_string());
            } else if claim.starts_with("ref:refs/tags/") {
                kind = "tag";
            } else if claim == "pull_request" {
                kind = "pull_request";
            } else if let Some(e) = claim.strip_prefix("environment:") {
                kind = "environment";
                environment = Some(e.to_string());
            }
        }
    }
    json!({
        "subject": subject,
        "kind": kind,
        "repository": repository,
        "branch": branch,
        "environment": environment,
        "wildcard": wildcard,
    })
}

/// Federated credentials of both kinds (managed identity, app registration)
/// share one fact, so one rule covers both.
fn federated_facts(r: &mut Resource) {
    let subject_path = Path::parse("properties.subject");
    let mut f = match subject_path.get(&r.doc).and_then(Value::as_str) {
        Some(s) => github_subject(s),
        None => {
            if r.unknown.covering(&subject_path).is_some() {
                for k in ["kind", "branch", "environment", "wildcard", "subject"] {
                    r.unknown.insert(fact_path("github").key(k));
                }
            }
            json!({})
        }
    };
    for (key, arm) in [
        ("issuer", "properties.issuer"),
        ("audiences", "properties.audiences"),
    ] {
        let p = Path::parse(arm);
        f[key] = p.get(&r.doc).cloned().unwrap_or(Value::Null);
        if r.unknown.touching(&p).is_some() {
            r.unknown.insert(fact_path("github").key(key));
        }
    }
    r.set_fact("github", f);
}

/// Built-in role definition GUIDs → role names (the roles rules care about).
pub const BUILTIN_ROLES: &[(&str, &str)] = &[
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
    ),
    ("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader"),
    ("7f951dda-4ed3-4680-a7ca-43fe172d538d", "AcrPull"),
];

fn role_name(r: &mut Resource) {
    let name = r
        .doc
        .pointer("/properties/roleDefinitionId")
        .and_then(Value::as_str)
        .and_then(|id| {
            let guid = id.rsplit('/').next().unwrap_or(id);
            BUILTIN_ROLES
                .iter()
                .find(|(g, _)| g.eq_ignore_ascii_case(guid))
                .map(|(_, n)| n.to_string())
        });
    r.set_fact("roleName", json!(name));
}

fn nsg_facts(r: &mut Resource) {
    for (name, dir) in [
        ("internetEgress", Direction::Outbound),
        ("internetIngress", Direction::Inbound),
    ] {
        let v = nsg::evaluate(&r.doc, &r.unknown, dir);
        if matches!(v, nsg::Verdict::Unknown { .. }) {
            r.unknown.insert(fact_path(name).key("verdict"));
        }
        r.set_fact(name, v.to_fact(dir));
    }
}

/// Computes every fact of every resource. Linear: one pass per resource plus
/// hash maps for the cross-resource joins.
pub fn compute(inv: &mut Inventory, det: &Detection) {
    // Per-resource facts are independent: compute them on every core.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = inv.len().div_ceil(threads).max(256);
    std::thread::scope(|s| {
        for part in inv.resources_mut().chunks_mut(chunk) {
            s.spawn(move || part.iter_mut().for_each(|r| own_facts(r, det)));
        }
    });
    joins(inv);
}

/// Facts that need only the resource itself.
fn own_facts(r: &mut Resource, det: &Detection) {
    // Messages name a related resource by its address (`azurerm_subnet.mcp`)
    // rather than a long id.
    let address = r.address.clone();
    r.set_fact("address", Value::String(address));
    {
        let t = r.arm_type().to_string();
        if t.eq_ignore_ascii_case(types::CONTAINER_GROUP) {
            container_group_facts(r, det);
        } else if t.eq_ignore_ascii_case(types::NSG) {
            nsg_facts(r);
        } else if t.eq_ignore_ascii_case(types::FEDERATED_CREDENTIAL)
            || t.eq_ignore_ascii_case(types::APP_FEDERATED_CREDENTIAL)
        {
            federated_facts(r);
        } else if t.eq_ignore_ascii_case(types::ROLE_ASSIGNMENT) {
            role_name(r);
        }
    }
}

/// Facts that join resources: shared identities, role assignments' principals.
fn joins(inv: &mut Inventory) {
    // identity id → MCP container groups using it
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    for &n in inv.indices_of_type(types::CONTAINER_GROUP) {
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
        groups.push((n, ids));
    }
    for (n, ids) in groups {
        let me = inv.get(n).address.clone();
        let others: BTreeSet<String> = ids
            .iter()
            .flat_map(|id| users.get(id).into_iter().flatten())
            .filter(|a| **a != me)
            .cloned()
            .collect();
        inv.resources_mut()[n].set_fact("identitySharedWith", json!(others));
    }
    let identity_ids: Vec<usize> = inv.indices_of_type(types::USER_IDENTITY).to_vec();
    for n in identity_ids {
        let used = users
            .get(&id_key(inv.get(n).id()))
            .cloned()
            .unwrap_or_default();
        inv.resources_mut()[n].set_fact("usedByMcpServers", json!(used));
    }

    // role assignment → the identity holding it → its MCP users
    let assignments: Vec<usize> = inv.indices_of_type(types::ROLE_ASSIGNMENT).to_vec();
    for n in assignments {
        let r = inv.get(n);
        let principal = r.doc.pointer("/properties/principalId");
        let target = inv.deref(r, "properties.principalId", principal);
        let unknown = target.is_none()
            && r.unknown
                .covering(&Path::parse("properties.principalId"))
                .is_some();
        let used: Vec<String> = target
            .map(|t| users.get(&id_key(t.id())).cloned().unwrap_or_default())
            .unwrap_or_default();
        let r = &mut inv.resources_mut()[n];
        r.set_fact("principalUsedByMcpServers", json!(used));
        if unknown {
            r.unknown.insert(fact_path("principalUsedByMcpServers"));
        }
    }

    super::gateway::compute(inv);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::InputKind;

    #[test]
    fn image_repository_names() {
        assert_eq!(
            image_repository("myacr.azurecr.io:443/team/mcp-github:1.2@sha256:abc"),
            "mcp-github"
        );
        assert_eq!(image_repository("mcp"), "mcp");
        assert_eq!(image_repository("ghcr.io/org/github_mcp"), "github_mcp");
        assert_eq!(image_repository("nginx:1.25"), "nginx");
    }

    #[test]
    fn mcp_as_a_word() {
        for yes in ["mcp", "mcp-github", "github_mcp", "server-mcp", "MCP.fs"] {
            assert!(has_word(yes, "mcp"), "{yes}");
        }
        for no in ["mcpx", "smcp", "nginx", "mcpserver"] {
            assert!(!has_word(no, "mcp"), "{no}");
        }
    }

    #[test]
    fn github_subjects() {
        let b = github_subject("repo:contoso/infra:ref:refs/heads/main");
        assert_eq!(b["kind"], "branch");
        assert_eq!(b["branch"], "main");
        assert_eq!(b["repository"], "contoso/infra");
        assert_eq!(
            github_subject("repo:contoso/infra:pull_request")["kind"],
            "pull_request"
        );
        assert_eq!(
            github_subject("repo:contoso/infra:ref:refs/tags/v1")["kind"],
            "tag"
        );
        assert_eq!(
            github_subject("repo:contoso/infra:environment:prod")["environment"],
            "prod"
        );
        assert_eq!(github_subject("repo:contoso/*")["wildcard"], true);
        assert_eq!(github_subject("something")["kind"], "other");
    }

    fn group(addr: &str, image: &str, identity: Option<&str>, tag: bool) -> Resource {
        let mut doc = json!({
            "id": format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/{addr}"),
            "type": types::CONTAINER_GROUP,
            "name": addr,
            "properties": {"containers": [{"name": "c", "properties": {"image": image,
                "environmentVariables": [{"name": "GITHUB_TOKEN", "value": "x"}, {"name": "DB_PASSWORD", "secureValue": "y"}]}}]}
        });
        if let Some(id) = identity {
            doc["identity"] = json!({"type": "UserAssigned", "userAssignedIdentities": {id: {}}});
        }
        if tag {
            doc["tags"] = json!({"mcpserver": "TRUE"});
        }
        Resource::new(addr, InputKind::Arm, doc)
    }

    #[test]
    fn detection_sharing_and_plain_env() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared";
        let ident = Resource::new(
            "ident",
            InputKind::Arm,
            json!({"id": id, "type": types::USER_IDENTITY, "name": "shared"}),
        );
        let mut inv = Inventory::new();
        inv.push(group("a", "acr.io/mcp-github:1", Some(id), false));
        inv.push(group("b", "nginx", Some(&id.to_uppercase()), true));
        inv.push(group("c", "nginx", Some(id), false));
        inv.push(ident);
        compute(&mut inv, &Detection::default());
        let a = inv.by_address("a").unwrap();
        assert_eq!(a.fact("mcpServer"), Some(&json!(true)));
        assert_eq!(a.fact("mcpTagged"), Some(&json!(false)));
        assert_eq!(a.fact("identitySharedWith"), Some(&json!(["b"])));
        assert_eq!(
            a.fact("plainEnvironmentVariables"),
            Some(&json!(["GITHUB_TOKEN"]))
        );
        let value =
            Path::parse("properties.containers[0].properties.environmentVariables[0].value");
        assert!(
            a.sensitive.covering(&value).is_some(),
            "env values are never printed"
        );
        let b = inv.by_address("b").unwrap();
        assert_eq!(b.fact("mcpTagged"), Some(&json!(true)));
        assert_eq!(b.fact("identitySharedWith"), Some(&json!(["a"])));
        let c = inv.by_address("c").unwrap();
        assert_eq!(c.fact("mcpServer"), Some(&json!(false)));
        assert_eq!(
            inv.by_address("ident").unwrap().fact("usedByMcpServers"),
            Some(&json!(["a", "b"]))
        );
    }

    #[test]
    fn unknown_image_makes_detection_unknown() {
        let mut g = group("u", "nginx", None, false);
        g.doc["properties"]["containers"][0]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("image");
        g.unknown
            .insert(Path::parse("properties.containers[0].properties.image"));
        let mut inv = Inventory::new();
        inv.push(g);
        compute(&mut inv, &Detection::default());
        let u = inv.by_address("u").unwrap();
        assert!(u
            .unknown
            .covering(&Path::parse("mcpguard.mcpServer"))
            .is_some());
    }
}
