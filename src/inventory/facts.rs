//! Computed facts: values that need real code, computed once per resource and
//! exposed to rules as read-only `mcpguard.*` fields.
//!
//! | resource | fact | meaning |
//! |---|---|---|
//! | every resource | `address` | its Terraform address (the ARM id for ARM input), for messages |
//! | container group, container app, site | `host`, `mcpTagged`, `mcpLooksLike`, `mcpServer`, `mcpEvidence[*]`, `imageRepositories[*]`, `userAssignedIdentityIds[*]`, `identitySharedWith[*]`, `plainEnvironmentVariables[*]`, … | see [`hosts`](super::hosts): the same facts on every host of an MCP server |
//! | user-assigned identity | `usedByMcpServers[*]` | addresses of the MCP servers (any host) that use it |
//! | NSG | `internetEgress`, `internetIngress` | `{verdict: allow\|deny, rule, priority, reason}`, see `nsg.rs` |
//! | role assignment | `principalUsedByMcpServers[*]` | MCP servers (any host) using the identity that holds the role |
//! | role assignment | `roleName` | the built-in role name of `roleDefinitionId` (Owner, Contributor, …), else null |
//! | federated credential | `github` | `{subject, issuer, audiences, kind: branch\|tag\|pull_request\|environment\|other, repository, branch, environment, wildcard}`, the subject parsed as GitHub Actions writes it |
//!
//! A fact that depends on a value unknown before apply is itself unknown
//! ([`Unknown::because`](super::Unknown::because) that value), unless the known
//! parts decide it: an image `"${acr.login_server}/mcp-server:${var.tag}"` has
//! the repository `mcp-server` whatever the unknown parts turn out to be.

use std::collections::BTreeSet;

use serde_json::json;

use super::nsg::{self, Direction};
use super::{id_key, types, Inventory, Part, Partial, Path, Resource, Value};

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

/// The repository name of a partly known image, when the known parts fix it:
/// it follows the last `/` of the image and ends at the tag's `:`, the
/// digest's `@`, or the end of the string. Behind an unknown part there may
/// be another `/`, so only a literal holding that `/` can fix the name.
pub fn partial_image_repository(p: &Partial) -> Option<String> {
    let n = p.parts.len();
    let (k, lit) = p
        .parts
        .iter()
        .enumerate()
        .rev()
        .find_map(|(k, part)| match part {
            Part::Lit(s) if s.contains('/') => Some((k, s)),
            _ => None,
        })?;
    let after = &lit[lit.rfind('/')? + 1..];
    match after.find([':', '@']) {
        Some(end) => Some(after[..end].to_string()),
        None if k == n - 1 => Some(after.to_string()),
        None => None,
    }
}

/// GitHub Actions subject: `repo:OWNER/REPO:ref:refs/heads/BRANCH` and friends.
pub fn github_subject(subject: &str) -> serde_json::Value {
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
    let mut f = match r.doc.at(&subject_path) {
        Some(Value::String(s)) => Value::from(github_subject(s)),
        Some(Value::Partial(p)) => partial_github_subject(p, &subject_path),
        Some(v) if v.is_unknown() => {
            let mut f = Value::Object(Default::default());
            for k in [
                "kind",
                "branch",
                "environment",
                "wildcard",
                "subject",
                "repository",
            ] {
                f[k] = super::Unknown::because(subject_path.to_string());
            }
            f
        }
        _ => Value::Object(Default::default()),
    };
    for (key, arm) in [
        ("issuer", "properties.issuer"),
        ("audiences", "properties.audiences"),
    ] {
        f[key] = r.doc.at(&Path::parse(arm)).cloned().unwrap_or(Value::Null);
    }
    r.set_fact("github", f);
}

/// The GitHub fact of a partly known subject: what its literal parts decide.
/// `repo:${var.org}/${var.repo}:environment:${var.env}` is an environment
/// subject whatever the variables hold, since an owner or repository name
/// cannot contain `:`; the environment's name itself stays unknown.
fn partial_github_subject(p: &Partial, at: &Path) -> Value {
    let unknown = || super::Unknown::because(at.to_string());
    let mut f = Value::Object(Default::default());
    for k in ["branch", "environment", "repository", "subject"] {
        f[k] = unknown();
    }
    let wildcard = p.literals().any(|l| l.contains('*'));
    f["wildcard"] = if wildcard {
        Value::Bool(true)
    } else {
        unknown()
    };
    f["kind"] = match subject_claim(p) {
        Some(kind) => Value::from(kind),
        None => unknown(),
    };
    f
}

/// The claim kind a partly known subject certainly has: `repo:` starts it,
/// and the first `:` after the repository sits in the same literal as the
/// claim's literal prefix.
fn subject_claim(p: &Partial) -> Option<&'static str> {
    let first = match p.parts.first()? {
        Part::Lit(s) => s.strip_prefix("repo:")?,
        Part::Gap | Part::Segment => return None,
    };
    // The text after `repo:` up to the claim: owner/repo parts (no `:`), gaps allowed.
    let mut literals = std::iter::once(first).chain(p.parts[1..].iter().filter_map(|x| match x {
        Part::Lit(s) => Some(s.as_str()),
        Part::Gap | Part::Segment => None,
    }));
    let claim = literals.find_map(|l| l.split_once(':').map(|(_, c)| c))?;
    const KINDS: &[(&str, &str)] = &[
        ("ref:refs/heads/", "branch"),
        ("ref:refs/tags/", "tag"),
        ("environment:", "environment"),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| claim.starts_with(prefix))
        .map(|(_, k)| *k)
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
        let v = nsg::evaluate(&r.doc, dir);
        r.set_fact(name, v.to_fact(dir));
        if let nsg::Verdict::Unknown { path } = &v {
            r.unknown_fact(&fact_path(name).key("verdict"), path);
        }
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
    joins(inv, det);
}

/// Facts that need only the resource itself.
fn own_facts(r: &mut Resource, det: &Detection) {
    // Messages name a related resource by its address (`azurerm_subnet.mcp`)
    // rather than a long id.
    let address = r.address.clone();
    r.set_fact("address", address);
    {
        let t = r.arm_type().to_string();
        if super::hosts::is_host(r) {
            super::hosts::own(r, det);
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

/// Facts that join resources: the gateway's policies, the hosts' config,
/// endpoints and gateways, shared identities, role assignments' principals.
fn joins(inv: &mut Inventory, det: &Detection) {
    super::gateway::compute(inv);
    super::audit::compute(inv);
    super::entra::compute(inv);
    super::hosts::joins(inv, det);
    // identity id → MCP servers (any host) using it
    let (users, servers) = super::hosts::identity_users(inv);
    for (n, ids) in servers {
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
            .get(&id_key(&inv.get(n).key()))
            .cloned()
            .unwrap_or_default();
        inv.resources_mut()[n].set_fact("usedByMcpServers", json!(used));
    }

    // role assignment → the identity holding it → its MCP users
    let assignments: Vec<usize> = inv.indices_of_type(types::ROLE_ASSIGNMENT).to_vec();
    for n in assignments {
        let r = inv.get(n);
        let principal = r.doc.pointer("/properties/principalId");
        let target = principal.and_then(|p| inv.deref(p));
        let unknown = target.is_none() && principal.is_some_and(Value::is_unknown);
        let used: Vec<String> = target
            .map(|t| users.get(&id_key(&t.key())).cloned().unwrap_or_default())
            .unwrap_or_default();
        let r = &mut inv.resources_mut()[n];
        r.set_fact("principalUsedByMcpServers", json!(used));
        if unknown {
            r.unknown_fact(
                &fact_path("principalUsedByMcpServers"),
                &Path::parse("properties.principalId"),
            );
        }
    }
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
            assert!(super::super::hosts::has_word(yes, "mcp"), "{yes}");
        }
        for no in ["mcpx", "smcp", "nginx", "mcpserver"] {
            assert!(!super::super::hosts::has_word(no, "mcp"), "{no}");
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
        assert_eq!(a.fact("mcpServer"), Some(&val!(true)));
        assert_eq!(a.fact("mcpTagged"), Some(&val!(false)));
        assert_eq!(a.fact("identitySharedWith"), Some(&val!(["b"])));
        assert_eq!(
            a.fact("plainEnvironmentVariables"),
            Some(&val!(["GITHUB_TOKEN"]))
        );
        let value =
            Path::parse("properties.containers[0].properties.environmentVariables[0].value");
        assert!(
            a.sensitive.covering(&value).is_some(),
            "env values are never printed"
        );
        let b = inv.by_address("b").unwrap();
        assert_eq!(b.fact("mcpTagged"), Some(&val!(true)));
        assert_eq!(b.fact("identitySharedWith"), Some(&val!(["a"])));
        let c = inv.by_address("c").unwrap();
        assert_eq!(c.fact("mcpServer"), Some(&val!(false)));
        assert_eq!(
            inv.by_address("ident").unwrap().fact("usedByMcpServers"),
            Some(&val!(["a", "b"]))
        );
    }

    #[test]
    fn unknown_image_makes_detection_unknown() {
        let mut g = group("u", "nginx", None, false);
        let image = Path::parse("properties.containers[0].properties.image");
        g.doc.put(&image, crate::inventory::Unknown::present());
        let mut inv = Inventory::new();
        inv.push(g);
        compute(&mut inv, &Detection::default());
        let u = inv.by_address("u").unwrap();
        let fact = u.fact("mcpServer").and_then(Value::as_unknown).unwrap();
        assert_eq!(fact.cause(), Some(image.to_string().as_str()));
    }

    fn partial(parts: &[Option<&str>]) -> Partial {
        let parts = parts
            .iter()
            .map(|p| match p {
                Some(s) => Part::Lit(s.to_string()),
                None => Part::Gap,
            })
            .collect();
        match Partial::build(parts, None) {
            Value::Partial(p) => (*p).clone(),
            other => panic!("not partial: {other:?}"),
        }
    }

    #[test]
    fn a_container_named_as_an_mcp_server_is_one_whatever_its_image() {
        let mut g = group("n", "acr.io/tools:1", None, false);
        g.doc["properties"]["containers"][0]["name"] = Value::from("mcp-server");
        let mut plain = group("p", "nginx", None, false);
        plain.doc["properties"]["containers"][0]["name"] = Value::from("web");
        let mut inv = Inventory::new();
        inv.push(g);
        inv.push(plain);
        compute(&mut inv, &Detection::default());
        assert_eq!(
            inv.by_address("n").unwrap().fact("mcpServer"),
            Some(&Value::Bool(true))
        );
        assert_eq!(
            inv.by_address("p").unwrap().fact("mcpServer"),
            Some(&Value::Bool(false))
        );
    }

    #[test]
    fn partly_known_images_decide_when_the_repository_is_literal() {
        let cases: &[(&[Option<&str>], Option<&str>)] = &[
            (&[None, Some("/mcp-server:"), None], Some("mcp-server")),
            (&[None, Some("/team/github-mcp")], Some("github-mcp")),
            (&[Some("acr.io/mcp-"), None], None),
            (&[Some("mcp-server:"), None], None),
            (&[None, Some("/x/"), None, Some(":1")], None),
            (&[Some("acr.io/nginx@"), None], Some("nginx")),
        ];
        for (parts, want) in cases {
            let p = partial(parts);
            assert_eq!(partial_image_repository(&p).as_deref(), *want, "{p}");
        }
    }

    #[test]
    fn partly_known_subjects_keep_their_claim() {
        let env = partial(&[
            Some("repo:"),
            None,
            Some("/"),
            None,
            Some(":environment:"),
            None,
        ]);
        assert_eq!(subject_claim(&env), Some("environment"));
        let branch = partial(&[Some("repo:acme/"), None, Some(":ref:refs/heads/main")]);
        assert_eq!(subject_claim(&branch), Some("branch"));
        assert_eq!(subject_claim(&partial(&[Some("repo:"), None])), None);
        assert_eq!(
            subject_claim(&partial(&[None, Some(":environment:x")])),
            None
        );
    }
}
