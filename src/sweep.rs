//! `mcpguard sweep`: read live ARM resources and hand them to the same
//! pipeline as a snapshot file, with a progress bar the CLI may show while
//! the sweep reads (the loader only reports its counters: loading prints
//! nothing).

use std::collections::BTreeSet;
use std::path::Path as FsPath;
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::findings::InputInfo;
use crate::input::InputKind;
use crate::inventory::types;
use crate::load::azure::{sweep, OnProgress, SweepOptions, SweepProgress};
use crate::scan::{Loaded, RuleSet, ScanOptions};

/// ARM types the enabled rules can match, plus the ones they dereference
/// (a container group's subnets and their NSGs, identities for role joins).
pub fn types_needed(rules: &RuleSet) -> Vec<String> {
    let mut set: BTreeSet<String> = BTreeSet::new();
    let mut any = false;
    for ar in &rules.active {
        // A rule for Terraform input only (MCP015) names no type to read.
        let applies = &ar.rule.meta.applies_to;
        if !applies.is_empty() && !applies.contains(&InputKind::Arm) {
            continue;
        }
        match ar.rule.arm_types() {
            Some(ts) => set.extend(ts),
            None => any = true,
        }
    }
    if any {
        // A rule that can match any type: read every type we know.
        set.extend(
            [
                types::CONTAINER_GROUP,
                types::NSG,
                types::VNET,
                types::USER_IDENTITY,
                types::FEDERATED_CREDENTIAL,
                types::ROLE_ASSIGNMENT,
                types::POLICY_DEFINITION,
                types::POLICY_ASSIGNMENT,
                types::API_MANAGEMENT,
            ]
            .map(str::to_string),
        );
    }
    let wants = |set: &BTreeSet<String>, t: &str| set.iter().any(|x| x.eq_ignore_ascii_case(t));
    if types::HOSTS.iter().any(|t| wants(&set, t)) {
        // Dereferenced by the network and identity rules.
        for t in [types::SUBNET, types::NSG, types::USER_IDENTITY] {
            set.insert(t.to_string());
        }
    }
    // What the host facts join: environments, Easy Auth, site config,
    // private endpoints, and the gateway APIs in front of the servers.
    if wants(&set, types::CONTAINER_APP) {
        for t in [types::MANAGED_ENVIRONMENT, types::CONTAINER_APP_AUTH] {
            set.insert(t.to_string());
        }
    }
    if wants(&set, types::SITE) {
        for t in [types::SITE_CONFIG, types::PRIVATE_ENDPOINT] {
            set.insert(t.to_string());
        }
    }
    if wants(&set, types::CONTAINER_APP) || wants(&set, types::SITE) {
        for t in [
            types::APIM_API,
            types::APIM_API_POLICY,
            types::APIM_BACKEND,
            types::APIM_POLICY,
        ] {
            set.insert(t.to_string());
        }
    }
    // The gateway's audit trail: its loggers, the alerts and their action groups.
    if wants(&set, types::API_MANAGEMENT) {
        for t in [
            types::APIM_LOGGER,
            types::APIM_DIAGNOSTIC,
            types::SCHEDULED_QUERY_RULE,
            types::ACTION_GROUP,
        ] {
            set.insert(t.to_string());
        }
    }
    // Nested types are read with their parents (subnets with VNets, FICs with identities).
    let mut out: BTreeSet<String> = BTreeSet::new();
    for t in set {
        let parent = if t.eq_ignore_ascii_case(types::SUBNET) {
            types::VNET.to_string()
        } else if t.eq_ignore_ascii_case(types::NSG_RULE) {
            types::NSG.to_string()
        } else {
            t
        };
        out.insert(parent);
    }
    if out
        .iter()
        .any(|t| t.eq_ignore_ascii_case(types::FEDERATED_CREDENTIAL))
    {
        out.insert(types::USER_IDENTITY.to_string());
    }
    // Entra ID objects are Microsoft Graph's, not ARM's: a sweep does not read
    // them (ARM snapshots and Bicep may carry them).
    out.retain(|t| !t.starts_with("Microsoft.Graph/"));
    out.into_iter().collect()
}

/// A spinner on stderr that follows the sweep's counters; drawn from the
/// first report on and cleared at the last. The CLI installs it when stderr
/// is a terminal.
pub fn progress_bar() -> OnProgress {
    let bar: OnceLock<ProgressBar> = OnceLock::new();
    OnProgress::new(move |p: SweepProgress| {
        let bar = bar.get_or_init(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        if p.done {
            bar.finish_and_clear();
        } else {
            bar.set_message(format!(
                "subscriptions {}/{} · lists {} · resources {}",
                p.subscriptions, p.subscriptions_total, p.lists, p.resources
            ));
        }
    })
}

/// Sweeps, optionally saves the snapshot, and returns what was read as
/// loaded input (errors included: a partial sweep is never clean).
pub fn run(
    opts: &SweepOptions,
    scan: &ScanOptions,
    save: Option<&FsPath>,
) -> miette::Result<Loaded> {
    let result = sweep(opts);
    if let Some(path) = save {
        let text = serde_json::to_string_pretty(&result.snapshot)
            .map_err(|e| miette::miette!("cannot serialise snapshot: {e}"))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| miette::miette!("{}: cannot write snapshot: {e}", path.display()))?;
    }
    let mut loaded = Loaded::default();
    loaded.inputs.push(InputInfo::new(
        format!("sweep:{}", opts.subscriptions.join(",")),
        InputKind::Arm,
    ));
    for r in result.resources {
        loaded.inventory.push(r);
    }
    crate::scan::compute_facts(&mut loaded.inventory, &scan.config.detect);
    loaded.carried_errors = result.errors;
    Ok(loaded)
}
