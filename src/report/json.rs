//! `--format json`: the machine-readable report. This module doc is the
//! contract; a field is only ever added, never renamed or retyped, within
//! schema `mcpguard/report/v1`.
//!
//! # Wire format
//!
//! One JSON object (pretty-printed, UTF-8, ending in a newline):
//!
//! ```json
//! {
//!   "schema": "mcpguard/report/v1",
//!   "tool": { "name": "mcpguard", "version": "0.1.0" },
//!   "inputs": [ { "path": "plan.json", "kind": "plan" } ],
//!   "summary": { "resources": 12, "rules": 10, "fail": 3, "unknown": 1, "suppressed": 0 },
//!   "findings": [ {
//!       "rule_id": "MCP004",
//!       "severity": "high",
//!       "status": "fail",
//!       "message": "subnet `snet-mcp` lets traffic out to the Internet through rule `allow-https`",
//!       "resource": {
//!         "address": "module.mcp[\"github\"].azurerm_container_group.this",
//!         "type": "azurerm_container_group",
//!         "arm_type": "Microsoft.ContainerInstance/containerGroups",
//!         "id": "/subscriptions/…/containerGroups/aci-mcp-github"
//!       },
//!       "location": { "file": "modules/mcp/main.tf", "line": 12 },
//!       "evidence": [ { "path": "properties.subnetIds[0].id", "value": "/subscriptions/…" } ],
//!       "fingerprint": "3f2a…"
//!   } ],
//!   "errors": [ { "source": "broken.json", "message": "plan is not valid JSON: …" } ],
//!   "warnings": [ { "source": ".mcpguard.hcl:7", "message": "ignore has no reason" } ],
//!   "notes": [ "MCP002: parameter approved_subnet_ids is unset" ],
//!   "rules_skipped": [ { "rule": "deploy-diag", "file": "rules/diag.json", "reason": "effect deployIfNotExists is not evaluated" } ],
//!   "passed": { "MCP001": 4, "MCP004": 3 },
//!   "resource_types": { "Microsoft.ContainerInstance/containerGroups": 4, "Microsoft.Network/networkSecurityGroups": 1 },
//!   "rule_pack": { "builtin": "0.1.0", "rules": 15, "dirs": [] },
//!   "passes": [ { "rule_id": "MCP001", "resource": { "address": "…", "type": "…", "arm_type": "…", "id": "…" }, "location": { "file": "infra/main.tf", "line": 40 } } ]
//! }
//! ```
//!
//! ## Top level
//! - `schema` (string): always `"mcpguard/report/v1"` for this shape.
//! - `tool` (object): `name` (`"mcpguard"`) and `version` (the binary's semver).
//! - `inputs` (array): every input read, in command-line order; a directory
//!   scanned recursively is one entry per root module found in it. `path` is
//!   relative to the repository root, like `location.file` (`-` for stdin);
//!   `kind` is `"plan"` (Terraform plan JSON),
//!   `"terraform"` (`.tf` source), `"arm"` (ARM snapshot or live sweep) or
//!   `"workflow"` (a GitHub Actions workflow, one resource per job).
//! - `summary` (object, all non-negative integers): `resources` scanned,
//!   enabled `rules` evaluated, and the number of findings per status:
//!   `fail`, `unknown`, `suppressed`. The three counts always equal the counts
//!   in `findings`. `passed` counts the passing (rule, resource) pairs.
//! - `findings` (array): sorted by (`rule_id`, `resource.address`,
//!   `fingerprint`), so the same scan gives byte-identical output. Passing
//!   (rule, resource) pairs are counted in `passed`, and listed in `passes`
//!   with `--include-passed`.
//! - `errors` (array of `{source, message}`): an input, rule or config that
//!   could not be used. Any error means exit code 2, and the findings may be
//!   incomplete. `source` names the file, resource or subscription.
//! - `warnings` (array of `{source, message}`): non-fatal remarks — an ignore
//!   without a reason, an expired ignore, an ignore or baseline entry that
//!   matched nothing (stale), an unset parameter. Absent in old reports: read
//!   a missing key as `[]`.
//! - `notes` (array of strings): informational lines. Missing means `[]`.
//! - `rules_skipped` (array of `{rule, file, reason}`): rule files that loaded
//!   but cannot be evaluated by mcpguard (for example an Azure built-in with
//!   effect `deployIfNotExists`). Missing means `[]`.
//! - `passed` (object, rule id → integer): for every rule that ran, how many
//!   (rule, resource) pairs it evaluated and found compliant; `0` for a rule
//!   that passed nothing. `summary.passed` is their sum. With
//!   `resource_types` and the findings, what each rule checked is complete:
//!   the rest of the resources it was not applicable to. Missing means `{}`.
//! - `resource_types` (object, ARM type → integer): resources scanned per
//!   ARM type; the values add up to `summary.resources`. Missing means `{}`.
//! - `rule_pack` (object): `builtin` (the mcpguard version whose built-in
//!   rules ran, or `null`), `rules` (rules evaluated, as `summary.rules`) and
//!   `dirs` (each `--rules DIR` as `{path, files, sha256}`, the digest over
//!   its rule files). Absent in old reports.
//! - `passes` (array, only with `--include-passed`): every passing (rule,
//!   resource) pair as `{rule_id, resource, location}`, sorted by rule id and
//!   address, with `resource` and `location` as in a finding.
//! - `inputs[].sha256` (string, when the input was read from disk): SHA-256
//!   of the file; for a Terraform root module, over the names and SHA-256s
//!   of its own `.tf`, `.tf.json` and `.tfvars` files (`name NUL hash LF`,
//!   in name order).
//!
//! ## A finding
//! - `rule_id` (string): `MCP004`, or a custom rule's id.
//! - `severity` (string): `"critical"`, `"high"`, `"medium"`, `"low"` or `"info"`.
//! - `status` (string): `"fail"` (the resource breaks the rule), `"unknown"`
//!   (the verdict needs a value not known before apply; `evidence` names the
//!   unknown paths) or `"suppressed"` (a failure hidden by an inline ignore, a
//!   config `ignore` or a baseline; see `suppression`).
//! - `message` (string): what is wrong with this resource, offending values
//!   in backticks, no trailing period. May contain newlines.
//! - `resource` (object): `address` is the Terraform address for Terraform
//!   input (`module.a["k"].azurerm_x.y[0]`, exactly as Terraform prints it)
//!   and the ARM id for ARM input; `type` is the Terraform type (the ARM type
//!   for ARM input); `arm_type` is the ARM resource type; `id` is the ARM id
//!   as far as it is known before apply: `{unknown}` stands for a part not
//!   known yet (`/subscriptions/{unknown}/resourceGroups/rg/…` when no
//!   subscription is given), and it is `""` when nothing of it is known (a
//!   name computed at apply); `address` still names the resource.
//! - `location` (object or `null`): `file` and `line` (1-based integer, or
//!   `null` when only the file is known): the attribute that decided the
//!   finding where the input has attribute lines, else the resource's block;
//!   `block` (integer, present only when `line` is an attribute) is the
//!   first line of the block. `file` is relative to the
//!   repository root (`--repo-root`, else the git work tree around the
//!   current directory, else the current directory), with `/` separators:
//!   `infra/main.tf`, never relative to the scanned folder. A file outside
//!   the root keeps its path as given. `null` when no source position is
//!   known (live sweeps).
//! - `evidence` (array of `{path, value}`): the ARM paths and values that
//!   decided the verdict. `value` is any JSON value; a sensitive value is the
//!   string `"<redacted>"`, never the secret.
//! - `suppression` (object, present only when `status` is `"suppressed"`):
//!   `kind` (`"inline"`, `"config"` or `"baseline"`), `reason` (string or
//!   `null`), `expires` (`YYYY-MM-DD` or `null`), `source` (where it was
//!   written, `main.tf:11`, or `null`).
//! - `fingerprint` (string): stable across runs and line moves (rule, address
//!   and the deciding paths); baselines and SARIF `partialFingerprints` use it.
//! - `plan` (object, present only for a plan finding located in its `.tf`
//!   source with `--source` or the repository's source): `{file, line}`,
//!   where the plan holds the resource. `location` then names the `.tf`
//!   file and line, as a source scan would.
//! - `root` (string, present only for Terraform source and plans located
//!   in their source): the root module the
//!   finding was evaluated in, its directory relative to the repository root
//!   (`envs/prod`). A directory scan finds every root module below it, and
//!   evaluates each on its own, so two roots may report the same `address`;
//!   `root` tells them apart.

use crate::findings::Report;

/// The report as pretty-printed JSON with a final newline; with
/// `include_passed`, the passing (rule, resource) pairs as `passes`.
pub fn render(report: &Report, include_passed: bool) -> String {
    /// The report, then `passes`, keys in the contract's order.
    #[derive(serde::Serialize)]
    struct WithPasses<'a> {
        #[serde(flatten)]
        report: &'a Report,
        passes: &'a [crate::findings::Pass],
    }
    let text = if include_passed {
        serde_json::to_string_pretty(&WithPasses {
            report,
            passes: &report.passes,
        })
    } else {
        serde_json::to_string_pretty(report)
    };
    // Serialising plain structs of strings, numbers and `serde_json::Value`s
    // cannot fail; fall back to an explicit error object rather than panic.
    let mut out = text.unwrap_or_else(|e| {
        serde_json::json!({"schema": report.schema, "errors": [{"source": "report", "message": e.to_string()}]})
            .to_string()
    });
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Finding, Location, ResourceRef, Severity, Status, Suppression};
    use serde_json::{json, Value};

    fn finding(
        status: Status,
        suppression: Option<Suppression>,
        location: Option<Location>,
    ) -> Finding {
        Finding {
            rule_id: "MCP008".into(),
            severity: Severity::High,
            status,
            message: "env `GITHUB_TOKEN` is plain".into(),
            resource: ResourceRef {
                address: "azurerm_container_group.a".into(),
                tf_type: "azurerm_container_group".into(),
                arm_type: "Microsoft.ContainerInstance/containerGroups".into(),
                id: "/subscriptions/s/x".into(),
            },
            location,
            evidence: vec![crate::findings::Evidence {
                path: "properties.containers[0].properties.environmentVariables[0].value".into(),
                value: json!("<redacted>"),
            }],
            suppression,
            fingerprint: "fp1".into(),
            root: None,
            plan: None,
        }
    }

    #[test]
    fn shape_matches_the_contract() {
        let mut r = Report::new();
        r.summary.resources = 2;
        r.summary.rules = 1;
        r.findings.push(finding(
            Status::Fail,
            None,
            Some(Location {
                file: "main.tf".into(),
                line: Some(3),
                block: None,
            }),
        ));
        r.findings.push(finding(
            Status::Suppressed,
            Some(Suppression {
                kind: "baseline".into(),
                reason: Some("baseline".into()),
                expires: None,
                source: None,
            }),
            None,
        ));
        r.finish();
        let text = render(&r, false);
        assert!(text.ends_with("}\n"));
        let v: Value = serde_json::from_str(&text).expect("valid JSON");
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(|k| k.as_str()).collect())
            .unwrap_or_default();
        for k in [
            "schema",
            "tool",
            "inputs",
            "summary",
            "findings",
            "errors",
            "warnings",
            "notes",
            "rules_skipped",
        ] {
            assert!(keys.contains(&k), "missing {k}");
        }
        assert!(
            !keys.contains(&"passes"),
            "passes are listed only with --include-passed"
        );
        assert_eq!(v["schema"], "mcpguard/report/v1");
        assert_eq!(
            v["summary"],
            json!({"resources": 2, "rules": 1, "fail": 1, "unknown": 0, "suppressed": 1, "passed": 0})
        );
        let f0 = &v["findings"][0];
        assert_eq!(f0["status"], "fail");
        assert_eq!(f0["severity"], "high");
        assert_eq!(f0["resource"]["type"], "azurerm_container_group");
        assert_eq!(f0["location"], json!({"file": "main.tf", "line": 3}));
        assert!(
            f0.get("suppression").is_none(),
            "only suppressed findings carry it"
        );
        let f1 = &v["findings"][1];
        assert_eq!(f1["location"], Value::Null);
        assert_eq!(f1["suppression"]["kind"], "baseline");
        assert_eq!(f1["evidence"][0]["value"], "<redacted>");
        // Round trip: the report reads back to the same value.
        let back: Report = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, r);
    }
}
