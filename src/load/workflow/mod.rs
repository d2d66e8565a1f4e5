//! GitHub Actions workflows (`.github/workflows/*.yml`) → one inventory
//! resource per job, of the pseudo-type `GitHub.Actions/workflows/jobs`, so
//! that pipeline rules are written in the Azure Policy language like every
//! other rule. The document (`properties`):
//!
//! | field | what |
//! |---|---|
//! | `workflow` | `{name, file}` |
//! | `triggers[*]` | the events of `on:` (`push`, `pull_request`, …) |
//! | `oidcSubjects[*]` | `{trigger, kind, value}`: the subject claims the job's OIDC token can carry ([`subjects`]) |
//! | `environment` | the job's `environment:` name (unknown when it is an expression) |
//! | `permissions` | the job's effective token permissions (`id-token: write` …): the job's own block, else the workflow's, else `{}` (GitHub grants `id-token` only when asked) |
//! | `permissionsFrom` | `job`, `workflow` or `default` |
//! | `steps[*]` | `{name, uses, with, environment, environmentSecrets[*], mcpGatewayCall, mcpGatewayEvidence}` ([`step`]) |
//!
//! Secret values are never stored: a `with` input or environment variable
//! becomes `{secrets[*], vars[*], expression}`, the names of the secrets and
//! variables it references, plus its literal text only for inputs that are
//! identifiers, never credentials (`client-id`, `tenant-id`,
//! `subscription-id`, …). A `run:` script is not stored either, only whether
//! it calls an MCP gateway.

mod step;
pub mod yaml;

use serde_json::{json, Map, Value as Json};

use crate::input::InputError;
use crate::inventory::{InputKind, Origin, Path, Resource, Unknown, Value};
use yaml::Node;

/// The pseudo-type of a workflow job.
pub const JOB_TYPE: &str = "GitHub.Actions/workflows/jobs";

/// Whether a path names a workflow file: `*.yml` / `*.yaml` inside a
/// `.github/workflows` directory.
pub fn is_workflow_path(p: &std::path::Path) -> bool {
    let yaml = p
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
    let parent = p.parent();
    let in_workflows = parent
        .and_then(|d| d.file_name())
        .is_some_and(|n| n == "workflows")
        && parent
            .and_then(std::path::Path::parent)
            .and_then(|d| d.file_name())
            .is_some_and(|n| n == ".github");
    yaml && in_workflows
}

/// Reads one workflow file into its jobs. `shown` names the file in
/// diagnostics and origins.
pub fn load(shown: &str, text: &str) -> Result<Vec<Resource>, InputError> {
    let root = yaml::parse(text).map_err(|e| {
        InputError::new(shown, format!("not a valid workflow: {}", e.message))
            .at(text, e.line, e.column, "here")
    })?;
    let bad = |line: u32, msg: &str| {
        InputError::new(shown, format!("not a valid workflow: {msg}")).at(
            text,
            line as usize,
            1,
            "here",
        )
    };
    if !matches!(root, Node::Map(_)) {
        return Err(bad(1, "the document is not a map of `on:` and `jobs:`"));
    }
    let file = std::path::Path::new(shown)
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| shown.to_string());
    let Some((jobs_line, jobs)) = root.entry("jobs") else {
        if let Some((l, _)) = root.entry("runs") {
            return Err(bad(
                l,
                "this is an action (`runs:`), not a workflow: scan the workflow that uses it",
            ));
        }
        return Err(bad(1, "no `jobs:`"));
    };
    let Node::Map(jobs) = jobs else {
        return Err(bad(jobs_line, "`jobs:` is not a map of jobs"));
    };
    let on = root.entry("on");
    let workflow = Workflow {
        shown,
        file: &file,
        name: root
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or(&file)
            .to_string(),
        triggers: on.map(|(_, n)| triggers(n)).unwrap_or_default(),
        on_line: on.map(|(l, _)| l),
        permissions: root.entry("permissions"),
        env: root.get("env"),
    };
    let mut out = Vec::new();
    for (id, line, job) in jobs {
        if !matches!(job, Node::Map(_)) {
            return Err(bad(*line, &format!("job `{id}` is not a map")));
        }
        out.push(workflow.job(id, *line, job));
    }
    Ok(out)
}

/// What every job of one workflow shares.
struct Workflow<'a> {
    shown: &'a str,
    file: &'a str,
    name: String,
    /// Event → its filter map (`branches`, `tags`, …), if any.
    triggers: Vec<(String, Option<&'a Node>)>,
    on_line: Option<u32>,
    permissions: Option<(u32, &'a Node)>,
    env: Option<&'a Node>,
}

impl Workflow<'_> {
    fn job(&self, id: &str, line: u32, job: &Node) -> Resource {
        let address = format!("workflows/{}/jobs/{id}", self.file);
        let (permissions, from, permissions_line) =
            match (job.entry("permissions"), self.permissions) {
                (Some((l, p)), _) => (permissions(p), "job", Some(l)),
                (None, Some((l, p))) => (permissions(p), "workflow", Some(l)),
                (None, None) => (Some(json!({})), "default", None),
            };
        let environment = job.get("environment").map(environment_name);
        let subjects = subjects(&self.triggers, environment.as_ref());
        let mut doc = json!({
            "id": format!("/github/{address}"),
            "name": id,
            "type": JOB_TYPE,
            "properties": {
                "workflow": {"name": self.name, "file": self.file},
                "triggers": self.triggers.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>(),
                "oidcSubjects": subjects,
                "permissionsFrom": from,
                "steps": [],
            }
        });
        if let Some(p) = &permissions {
            doc["properties"]["permissions"] = p.clone();
        }
        if let Some(Some(e)) = &environment {
            doc["properties"]["environment"] = Json::String(e.clone());
        }
        let mut origin = Origin {
            file: Some(self.shown.to_string()),
            line: Some(line),
            ..Origin::default()
        };
        if let Some(l) = permissions_line {
            origin
                .attribute_lines
                .insert("properties.permissions".into(), l);
        }
        if let Some(l) = self.on_line {
            origin
                .attribute_lines
                .insert("properties.triggers".into(), l);
            origin
                .attribute_lines
                .insert("properties.oidcSubjects".into(), l);
        }
        let outer = step::env_entries(self.env)
            .into_iter()
            .chain(step::env_entries(job.get("env")))
            .collect::<Vec<_>>();
        let mut unknowns = Vec::new();
        if let Some(Node::Seq(steps)) = job.get("steps") {
            for (n, s) in steps.iter().enumerate() {
                let built = step::build(s, &outer);
                let at = format!("properties.steps[{n}]");
                if let Some(l) = built.line {
                    origin.attribute_lines.insert(at.clone(), l);
                }
                for (rel, l) in &built.lines {
                    origin.attribute_lines.insert(format!("{at}.{rel}"), *l);
                }
                if built.mcp_unknown {
                    unknowns.push(format!("{at}.mcpGatewayCall"));
                }
                if let Some(a) = doc["properties"]["steps"].as_array_mut() {
                    a.push(built.doc);
                }
            }
        }
        let mut doc = Value::from(doc);
        if permissions.is_none() {
            doc.put(
                &Path::parse("properties.permissions"),
                Unknown::because("permissions"),
            );
        }
        if let Some(None) = environment {
            doc.put(
                &Path::parse("properties.environment"),
                Unknown::because("environment"),
            );
        }
        for p in unknowns {
            doc.put(
                &Path::parse(&p),
                Unknown::because(p.replace("mcpGatewayCall", "run")),
            );
        }
        let mut r = Resource::new(address, InputKind::Workflow, doc);
        r.origin = origin;
        r
    }
}

/// `on: push`, `on: [push, pull_request]` or `on: {push: {branches: …}}`.
fn triggers(on: &Node) -> Vec<(String, Option<&Node>)> {
    match on {
        Node::Scalar(s, _) => vec![(s.clone(), None)],
        Node::Seq(items) => items
            .iter()
            .filter_map(Node::as_str)
            .map(|s| (s.to_string(), None))
            .collect(),
        Node::Map(m) => m
            .iter()
            .map(|(k, _, v)| (k.clone(), Some(v).filter(|v| matches!(v, Node::Map(_)))))
            .collect(),
    }
}

/// The token scopes GitHub knows, for `read-all` / `write-all`.
const SCOPES: &[&str] = &[
    "actions",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
];

/// A `permissions:` block as a scope → level map; `None` when it is an
/// expression mcpguard cannot read.
fn permissions(p: &Node) -> Option<Json> {
    match p {
        Node::Map(m) => Some(Json::Object(
            m.iter()
                .filter_map(|(k, _, v)| Some((k.clone(), Json::String(v.as_str()?.to_string()))))
                .collect(),
        )),
        Node::Scalar(s, _) if s == "write-all" || s == "read-all" => {
            let level = s.trim_end_matches("-all");
            Some(Json::Object(
                SCOPES
                    .iter()
                    .map(|k| (k.to_string(), Json::String(level.to_string())))
                    .collect(),
            ))
        }
        _ if p.is_null() => Some(json!({})),
        _ => None,
    }
}

/// `environment: prod` or `environment: {name: prod, url: …}`; `Some(None)`
/// for an expression (`${{ inputs.env }}`).
fn environment_name(e: &Node) -> Option<String> {
    let name = match e {
        Node::Map(_) => e.get("name").and_then(Node::as_str),
        other => other.as_str(),
    }?;
    (!name.contains("${{")).then(|| name.to_string())
}

/// The subject claims a job's OIDC token can carry, by trigger, as GitHub
/// writes the default `sub` (`repo:OWNER/REPO:<claim>`): a job with an
/// environment always presents `environment:NAME`; otherwise
/// `pull_request` for pull-request events, `ref:refs/heads/B` for a push to
/// B (a pattern: `*` when any branch), `ref:refs/tags/T` for tags. Events
/// that run on the default branch (`schedule`, `release`…), or whose ref
/// the workflow cannot tell (`workflow_call`: the caller's), are `unknown`.
fn subjects(triggers: &[(String, Option<&Node>)], env: Option<&Option<String>>) -> Vec<Json> {
    let claim =
        |t: &str, kind: &str, value: &str| json!({"trigger": t, "kind": kind, "value": value});
    let mut out = Vec::new();
    for (t, filters) in triggers {
        match env {
            Some(Some(e)) => out.push(claim(t, "environment", e)),
            Some(None) => out.push(claim(t, "unknown", "")),
            None => match t.as_str() {
                "pull_request" | "pull_request_target" => out.push(claim(t, "pull_request", "")),
                "push" => {
                    let list = |k: &str| -> Option<Vec<String>> {
                        match filters.and_then(|f| f.get(k)) {
                            Some(Node::Seq(items)) => Some(
                                items
                                    .iter()
                                    .filter_map(Node::as_str)
                                    .map(str::to_string)
                                    .collect(),
                            ),
                            Some(Node::Scalar(s, _)) => Some(vec![s.clone()]),
                            _ => None,
                        }
                    };
                    let branches = list("branches");
                    let tags = list("tags");
                    match &branches {
                        Some(bs) => bs
                            .iter()
                            .filter(|b| !b.starts_with('!'))
                            .for_each(|b| out.push(claim(t, "branch", b))),
                        // no branch filter: any branch, unless only tags are listed
                        None if tags.is_none() => out.push(claim(t, "branch", "*")),
                        None => {}
                    }
                    for tg in tags.iter().flatten().filter(|x| !x.starts_with('!')) {
                        out.push(claim(t, "tag", tg));
                    }
                    if branches.is_none()
                        && tags.is_none()
                        && filters.and_then(|f| f.get("tags-ignore")).is_none()
                    {
                        out.push(claim(t, "tag", "*"));
                    }
                }
                // a person picks the branch (or tag) to run on
                "workflow_dispatch" => out.push(claim(t, "branch", "*")),
                "merge_group" => out.push(claim(t, "branch", "gh-readonly-queue/*")),
                _ => out.push(claim(t, "unknown", "")),
            },
        }
    }
    out
}

/// A `with` input or environment value: the secrets and variables it
/// references, never its value.
pub(crate) fn reference(text: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("secrets".into(), json!(names_after(text, "secrets")));
    m.insert("vars".into(), json!(names_after(text, "vars")));
    m.insert("expression".into(), Json::Bool(text.contains("${{")));
    m
}

/// `secrets.NAME` and `secrets['NAME']` in an expression.
fn names_after(text: &str, what: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(what) {
        let before_ok = i == 0
            || !rest.as_bytes()[i - 1].is_ascii_alphanumeric()
                && rest.as_bytes()[i - 1] != b'_'
                && rest.as_bytes()[i - 1] != b'.';
        let tail = &rest[i + what.len()..];
        rest = tail;
        if !before_ok {
            continue;
        }
        let name: String = if let Some(t) = tail.strip_prefix('.') {
            t.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect()
        } else if let Some(t) = tail.strip_prefix("['").or_else(|| tail.strip_prefix("[\"")) {
            t.chars().take_while(|c| *c != '\'' && *c != '"').collect()
        } else {
            continue;
        };
        if !name.is_empty() && !out.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_not_values() {
        let r = reference("${{ secrets.AZURE_CREDENTIALS }} ${{ vars['CLIENT'] }}");
        assert_eq!(r["secrets"], json!(["AZURE_CREDENTIALS"]));
        assert_eq!(r["vars"], json!(["CLIENT"]));
        assert_eq!(
            names_after("mysecrets.X github.secrets", "secrets"),
            Vec::<String>::new()
        );
    }

    fn claims(yaml_text: &str) -> Vec<(String, String)> {
        let jobs = load("w.yml", yaml_text).unwrap();
        let subjects: Json = jobs[0]
            .doc
            .pointer("/properties/oidcSubjects")
            .and_then(Value::to_json)
            .unwrap();
        subjects
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["kind"].as_str().unwrap().to_string(),
                    c["value"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn triggers_give_the_subjects_github_writes() {
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            claims("on:\n  push:\n    branches: [main, 'release/*']\n  pull_request:\njobs:\n  a: {}\n"),
            [pair("branch", "main"), pair("branch", "release/*"), pair("pull_request", "")]
        );
        assert_eq!(
            claims("on: push\njobs:\n  a: {}\n"),
            [pair("branch", "*"), pair("tag", "*")]
        );
        assert_eq!(
            claims("on: [pull_request, schedule]\njobs:\n  a:\n    environment: prod\n"),
            [pair("environment", "prod"), pair("environment", "prod")]
        );
        assert_eq!(
            claims("on:\n  push:\n    tags: ['v*']\njobs:\n  a:\n    environment:\n      name: ${{ inputs.env }}\n"),
            [pair("unknown", "")]
        );
        assert_eq!(
            claims("on: workflow_call\njobs:\n  a: {}\n"),
            [pair("unknown", "")]
        );
    }

    #[test]
    fn effective_permissions() {
        let jobs = load(
            "w.yml",
            "on: push\npermissions: write-all\njobs:\n  a: {}\n  b:\n    permissions:\n      contents: read\n",
        )
        .unwrap();
        let a: Json = jobs[0].doc.to_json().unwrap();
        let b: Json = jobs[1].doc.to_json().unwrap();
        assert_eq!(a["properties"]["permissions"]["id-token"], "write");
        assert_eq!(a["properties"]["permissionsFrom"], "workflow");
        // A job's block replaces the workflow's: no id-token for b.
        assert_eq!(b["properties"]["permissions"], json!({"contents": "read"}));
    }

    #[test]
    fn workflow_paths() {
        assert!(is_workflow_path(std::path::Path::new(
            "a/.github/workflows/x.yml"
        )));
        assert!(is_workflow_path(std::path::Path::new(
            ".github/workflows/x.YAML"
        )));
        assert!(!is_workflow_path(std::path::Path::new("a/workflows/x.yml")));
    }
}
