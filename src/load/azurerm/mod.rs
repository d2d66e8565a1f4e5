//! Terraform → ARM translation. Used for plans and `.tf` source alike.
//!
//! Translation is data: one [`table::Spec`] per `azurerm_*` type, in
//! `<type>.rs`, following `shared/reference/azurerm-to-arm.md`. This module
//! runs them: it gives every resource an id (real, or synthesised from
//! subscription, resource group and names), turns references into ids, and
//! then folds standalone children into their parents the way ARM shows them
//! ([`fold`]). Types without a table are kept as `terraform:<type>` with
//! their address and tags, so nothing is silently lost.

pub mod address;
mod api_management;
mod api_management_api;
pub mod azapi;
pub mod computed;
mod container_app;
mod container_group;
mod diagnostic_setting;
mod entra;
mod federated_identity_credential;
mod fold;
pub mod github_actions;
mod monitoring;
mod network_security_group;
mod policy;
mod private_endpoint;
mod role_assignment;
mod subnet;
mod supporting;
pub mod table;
mod user_assigned_identity;
mod virtual_network;
mod web_app;

use std::collections::{HashMap, HashSet};

use crate::inventory::{InputKind, Part, Partial, PathSet, Resource, Unknown, Value};
use crate::load::terraform::{TfModel, TfResource};
use table::{Builder, IdSpec, Spec};

/// Every translated type.
const SPECS: &[&Spec] = &[
    &container_group::SPEC,
    &network_security_group::NSG,
    &network_security_group::RULE,
    &subnet::SUBNET,
    &subnet::ASSOCIATION,
    &virtual_network::SPEC,
    &user_assigned_identity::SPEC,
    &user_assigned_identity::RESOURCE_GROUP,
    &federated_identity_credential::MANAGED,
    &federated_identity_credential::APPLICATION,
    &role_assignment::SPEC,
    &policy::DEFINITION,
    &policy::SUBSCRIPTION_ASSIGNMENT,
    &policy::RESOURCE_GROUP_ASSIGNMENT,
    &policy::MANAGEMENT_GROUP_ASSIGNMENT,
    &api_management::SERVICE,
    &api_management::API_POLICY,
    &api_management::POLICY,
    &api_management_api::API_SPEC,
    &api_management_api::BACKEND_SPEC,
    &container_app::APP_SPEC,
    &container_app::ENVIRONMENT_SPEC,
    &web_app::LINUX_WEB,
    &web_app::WINDOWS_WEB,
    &web_app::LINUX_FUNCTION,
    &web_app::WINDOWS_FUNCTION,
    &web_app::FLEX_CONSUMPTION,
    &private_endpoint::SPEC,
    &diagnostic_setting::SPEC,
    &supporting::SERVICE_PLAN,
    &supporting::WORKSPACE_SPEC,
    &azapi::RESOURCE,
    &azapi::UPDATE,
    &github_actions::VARIABLE_SPEC,
    &github_actions::ENV_VARIABLE_SPEC,
    &github_actions::ORG_VARIABLE_SPEC,
    &github_actions::SECRET_SPEC,
    &github_actions::ENV_SECRET_SPEC,
    &github_actions::ORG_SECRET_SPEC,
    &entra::APPLICATION,
    &entra::PERMISSION_SCOPE,
    &entra::APP_ROLE,
    &entra::SERVICE_PRINCIPAL,
    &entra::CONDITIONAL_ACCESS,
    &monitoring::LOGGER,
    &monitoring::DIAGNOSTIC,
    &monitoring::EVENTHUB_NAMESPACE,
    &monitoring::EVENTHUB,
    &monitoring::SCHEDULED_QUERY_ALERT,
    &monitoring::ACTION_GROUP,
];

/// The table of a type: one hash look-up, so a new table costs nothing for
/// resources of other types.
fn spec(tf_type: &str) -> Option<&'static Spec> {
    static BY_TYPE: std::sync::OnceLock<HashMap<&'static str, &'static Spec>> =
        std::sync::OnceLock::new();
    BY_TYPE
        .get_or_init(|| SPECS.iter().map(|s| (s.tf_type, *s)).collect())
        .get(tf_type)
        .copied()
}

/// Whether the translation reads this type's attributes (readers may skip
/// materialising the values of other types).
pub fn is_known(tf_type: &str) -> bool {
    spec(tf_type).is_some()
}

/// The top-level Terraform attributes the translation of a type reads.
pub fn attributes_read(tf_type: &str) -> impl Iterator<Item = &'static str> {
    let mut names: Vec<&'static str> = spec(tf_type)
        .into_iter()
        .flat_map(|s| s.fields.iter().copied().flatten())
        .map(|f| f.tf.split('.').next().unwrap_or(f.tf))
        .chain(
            spec(tf_type)
                .filter(|s| s.tf_type.starts_with("azapi_"))
                .into_iter()
                .flat_map(|_| azapi::ALSO_READ.iter().copied()),
        )
        .collect();
    names.sort_unstable();
    names.dedup();
    names.into_iter()
}

/// Resolution context: every resource's id, looked up by address. It owns
/// its addresses so that the Terraform values can be freed as soon as each
/// document is built.
pub struct Cx {
    addrs: Vec<String>,
    by_addr: HashMap<String, usize>,
    /// Address with instance keys dropped → instances.
    by_conf: HashMap<String, Vec<usize>>,
    /// Each resource's id as far as it is known: a string, or (not created
    /// yet) a partly known or unknown value naming the resource.
    pub(crate) ids: Vec<Option<Value>>,
    /// The subscription, when the provider block, `ARM_SUBSCRIPTION_ID` or
    /// the command line names it.
    pub(crate) sub: Option<String>,
    /// Each resource's ARM type, where the translation knows it (an azapi
    /// resource's from its `type`), so a reference says what it names.
    pub(crate) arm_types: Vec<Option<std::borrow::Cow<'static, str>>>,
}

impl Cx {
    fn new(res: &[TfResource], sub: Option<String>) -> Self {
        let mut by_addr = HashMap::with_capacity(res.len());
        let mut by_conf: HashMap<String, Vec<usize>> = HashMap::new();
        for (n, r) in res.iter().enumerate() {
            by_addr.insert(r.address.clone(), n);
            if r.address.contains('[') {
                by_conf
                    .entry(address::config_address(&r.address))
                    .or_default()
                    .push(n);
            }
        }
        let arm_types = res
            .iter()
            .map(|r| match spec(&r.tf_type) {
                Some(s) if !s.arm_type.is_empty() => Some(std::borrow::Cow::Borrowed(s.arm_type)),
                Some(_) => r
                    .attr("type")
                    .and_then(Value::as_str)
                    .map(|t| std::borrow::Cow::Owned(azapi::arm_type(t))),
                None => None,
            })
            .collect();
        Cx {
            addrs: res.iter().map(|r| r.address.clone()).collect(),
            by_addr,
            by_conf,
            ids: vec![None; res.len()],
            sub,
            arm_types,
        }
    }

    /// The resource an address names, as seen from resource `from`: the exact
    /// instance; else, for an address without instance keys, the instance with
    /// the referring resource's own keys, else the only instance.
    pub fn resolve(&self, target: &str, from: usize) -> Option<usize> {
        if let Some(&n) = self.by_addr.get(target) {
            return Some(n);
        }
        let cands = self.by_conf.get(&address::config_address(target))?;
        let tsegs = address::split(target);
        let fitting: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&c| {
                let csegs = address::split(&self.addrs[c]);
                csegs.len() == tsegs.len()
                    && tsegs
                        .iter()
                        .zip(&csegs)
                        .all(|(t, c)| t.key.is_none() || t.key == c.key)
            })
            .collect();
        if fitting.len() == 1 {
            return Some(fitting[0]);
        }
        let own = address::keys(&self.addrs[from]);
        fitting.into_iter().find(|&c| {
            let csegs = address::split(&self.addrs[c]);
            let free: Vec<&str> = tsegs
                .iter()
                .zip(&csegs)
                .filter(|(t, _)| t.key.is_none())
                .filter_map(|(_, c)| c.key)
                .collect();
            !free.is_empty()
                && own.len() >= free.len()
                && own[own.len() - free.len()..]
                    .iter()
                    .zip(&free)
                    .all(|(a, b)| a == b)
        })
    }
}

/// Translates a Terraform model into ARM-shaped resources, plus notes for the report.
pub fn translate(model: TfModel, kind: InputKind) -> (Vec<Resource>, Vec<String>) {
    let sub = model.subscription_id.clone();
    let mut notes = model.notes;
    let mut res = model.resources;
    let mut cx = Cx::new(&res, sub);
    assign_ids(&mut cx, &res);
    let mut built: Vec<Built> = Vec::with_capacity(res.len());
    // Indexed: each step reads `res[n]`, then frees its values.
    #[allow(clippy::needless_range_loop)]
    for n in 0..res.len() {
        let r = &res[n];
        let id = cx.ids[n].clone().unwrap_or_default();
        let b = match spec(&r.tf_type) {
            Some(s) => build(s, r, &cx, n, id),
            None => untranslated(r, &cx, n, id),
        };
        notes.extend(b.notes.iter().cloned());
        let keys = fold::Keys::of(r);
        built.push(Built {
            tf_type: r.tf_type.clone(),
            keys,
            b: b.into_parts(),
        });
        // The document is built: free the Terraform values (halves peak memory on large plans).
        let r = &mut res[n];
        r.values = Value::Null;
        r.sensitive = serde_json::Value::Null;
    }
    let out = fold::fold(&cx, built, kind, &res);
    (out, notes)
}

/// A translated resource before folding.
pub(crate) struct Built {
    pub tf_type: String,
    pub keys: fold::Keys,
    pub b: Parts,
}

/// The parts of a [`Builder`] that outlive it.
pub(crate) struct Parts {
    pub doc: Value,
    pub sensitive: std::collections::BTreeSet<crate::inventory::Path>,
    pub lines: std::collections::BTreeMap<String, u32>,
    pub children: Vec<table::Child>,
}

impl Builder<'_> {
    fn into_parts(self) -> Parts {
        Parts {
            doc: self.doc,
            sensitive: self.sensitive,
            lines: self.lines,
            children: self.children,
        }
    }
}

fn build<'a>(s: &Spec, r: &'a TfResource, cx: &'a Cx, n: usize, id: Value) -> Builder<'a> {
    let mut b = Builder::new(r, cx, n);
    b.id = id.clone();
    b.doc["id"] = id;
    for t in s.fields {
        b.apply(t, "", &crate::inventory::Path::root());
    }
    b.doc["type"] = Value::from(s.arm_type);
    if let Some(fin) = s.finish {
        fin(&mut b);
    }
    b
}

fn untranslated<'a>(r: &'a TfResource, cx: &'a Cx, n: usize, id: Value) -> Builder<'a> {
    let mut b = Builder::new(r, cx, n);
    b.id = id.clone();
    b.doc["id"] = id;
    b.apply(table::COMMON, "", &crate::inventory::Path::root());
    b.doc["type"] = Value::String(format!("terraform:{}", r.tf_type));
    b
}

/// Gives every resource an id: the real one when known; else one built from
/// its names (two passes, so ids built from other ids see them), partly known
/// while the subscription is not given; else an unknown id that names the
/// resource. Each id stands for one address only.
fn assign_ids(cx: &mut Cx, res: &[TfResource]) {
    let mut built = vec![false; res.len()];
    // Ids built from other ids see them once those are built: pass until
    // nothing changes (an azapi policy under an azapi API under a service is
    // three deep).
    for _pass in 0..8 {
        let found: Vec<Option<(Value, bool)>> = (0..res.len())
            .map(|n| {
                if cx.ids[n].is_some() {
                    return None;
                }
                let r = &res[n];
                // An association's Terraform id is its subnet's: never take it as its own.
                let real = r
                    .attr("id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty() && r.tf_type != subnet::ASSOCIATION.tf_type);
                if let Some(id) = real {
                    return Some((Value::from(id), false));
                }
                let b = Builder::new(r, cx, n);
                let id = match spec(&r.tf_type).map(|s| s.id) {
                    Some(IdSpec::Group(t)) => fill(&b, t).and_then(|p| {
                        let rg = b.str("resource_group_name")?;
                        Some(under_subscription(
                            cx,
                            &format!("/resourceGroups/{rg}/providers/{p}"),
                            &r.address,
                        ))
                    }),
                    Some(IdSpec::Subscription(t)) => {
                        fill(&b, t).map(|p| under_subscription(cx, &format!("/{p}"), &r.address))
                    }
                    Some(IdSpec::Custom(f)) => f(&b),
                    None => None,
                };
                id.map(|id| (id, true))
            })
            .collect();
        let mut changed = false;
        for (n, f) in found.into_iter().enumerate() {
            if let Some((id, b)) = f {
                cx.ids[n] = Some(id);
                built[n] = b;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Real ids claim their place first; a missing or clashing built one
    // becomes an unknown id naming the address.
    let mut taken: HashSet<String> = HashSet::new();
    let order: Vec<usize> = (0..res.len())
        .filter(|&n| !built[n])
        .chain((0..res.len()).filter(|&n| built[n]))
        .collect();
    for n in order {
        // An update's id is the id of the resource it updates (set below).
        if res[n].tf_type == azapi::UPDATE.tf_type {
            continue;
        }
        let fresh = cx.ids[n]
            .as_ref()
            .and_then(Value::as_key)
            .is_some_and(|k| taken.insert(k.to_ascii_lowercase()));
        if !fresh {
            cx.ids[n] = Some(Unknown::of(&res[n].address));
        }
    }
    // An update names the resource it updates: its id is that resource's,
    // as far as it is known now that every other id is settled.
    for n in (0..res.len()).filter(|&n| res[n].tf_type == azapi::UPDATE.tf_type) {
        let id = azapi::update_id(&Builder::new(&res[n], cx, n));
        cx.ids[n] = Some(id.unwrap_or_else(|| Unknown::of(&res[n].address)));
    }
}

/// `/subscriptions/{sub}{rest}`: known when the subscription is, else partly
/// known, naming the resource at `address`.
fn under_subscription(cx: &Cx, rest: &str, address: &str) -> Value {
    match &cx.sub {
        Some(sub) => Value::String(format!("/subscriptions/{sub}{rest}")),
        None => Partial::build(
            vec![
                Part::Lit("/subscriptions/".into()),
                Part::Segment,
                Part::Lit(rest.to_string()),
            ],
            Some(address.to_string()),
        ),
    }
}

/// Fills `{attr}` placeholders with known attribute values.
fn fill(b: &Builder<'_>, template: &str) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        out.push_str(b.str(&rest[open + 1..close])?);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Turns the builder's marks into the Resource's side data; the resource's
/// children follow it.
pub(crate) fn finish_resource(
    addr: &str,
    tf: &TfResource,
    parts: Parts,
    kind: InputKind,
) -> Vec<Resource> {
    let one = |addr: String, doc: Value, lines, sensitive: std::collections::BTreeSet<_>| {
        let mut r = Resource::new(addr, kind, doc);
        r.tf_type = Some(tf.tf_type.clone());
        r.origin = tf.origin.clone();
        r.origin.attribute_lines = lines;
        r.sensitive = sensitive.into_iter().collect::<PathSet>();
        r
    };
    let mut out = vec![one(
        addr.to_string(),
        parts.doc,
        parts.lines,
        parts.sensitive,
    )];
    for c in parts.children {
        out.push(one(
            format!("{addr}{}", c.address_suffix),
            c.doc,
            c.lines,
            c.sensitive,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::inventory::Origin;
    use crate::load::terraform::Mode;

    /// A resource with `values`, and the top-level attributes `unknown` marks
    /// `true` unknown until apply (set by the configuration).
    fn tf(address: &str, values: serde_json::Value, unknown: serde_json::Value) -> TfResource {
        let mut values = Value::from(values);
        for (k, u) in unknown.as_object().into_iter().flatten() {
            if u == &json!(true) {
                values[k.as_str()] = Unknown::present();
            }
        }
        let segs = address::split(address);
        let (ty, name) = (segs[segs.len() - 2].name, segs[segs.len() - 1].name);
        TfResource {
            address: address.into(),
            module: address::module_prefix(address),
            mode: Mode::Managed,
            tf_type: ty.into(),
            name: name.into(),
            index: None,
            values,
            sensitive: serde_json::Value::Null,
            references: BTreeMap::new(),
            origin: Origin::default(),
        }
    }

    fn run(resources: Vec<TfResource>) -> Vec<Resource> {
        let model = TfModel {
            resources,
            subscription_id: Some("sub-1".into()),
            notes: vec![],
        };
        translate(model, InputKind::Terraform).0
    }

    #[test]
    fn source_lines_are_rekeyed_to_arm_paths() {
        let mut cg = tf(
            "azurerm_container_group.a",
            json!({"name": "a", "resource_group_name": "rg", "ip_address_type": "None",
                   "identity": [{"type": "SystemAssigned"}], "container": [{"name": "c", "image": "i"}]}),
            serde_json::Value::Null,
        );
        cg.origin.attribute_lines = [
            ("identity.0.type", 7),
            ("container.0.image", 12),
            ("name", 2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let r = &run(vec![cg])[0];
        let lines = &r.origin.attribute_lines;
        assert_eq!(lines.get("identity.type"), Some(&7));
        assert_eq!(
            lines.get("properties.containers[0].properties.image"),
            Some(&12)
        );
        assert_eq!(lines.get("name"), Some(&2));
        // Provider defaults apply to source input; "None" means no ipAddress.
        assert_eq!(r.doc.pointer("/properties/sku"), Some(&val!("Standard")));
        assert!(r.doc.pointer("/properties/ipAddress").is_none());
        assert_eq!(r.kind, InputKind::Terraform);
        assert_eq!(
            r.id(),
            "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.ContainerInstance/containerGroups/a"
        );
    }

    #[test]
    fn unknown_types_and_names_keep_address_ids() {
        let out = run(vec![
            tf(
                "azurerm_storage_account.s",
                json!({"name": "st", "tags": {"a": "b"}}),
                serde_json::Value::Null,
            ),
            tf(
                "azurerm_subnet.u",
                json!({"resource_group_name": "rg"}),
                json!({"name": true}),
            ),
        ]);
        assert_eq!(out[0].arm_type(), "terraform:azurerm_storage_account");
        assert_eq!(out[0].tag("A"), Some(&val!("b")));
        // Its name is unknown: nothing of its id is known, but it names the subnet.
        assert_eq!(out[1].id(), "");
        assert_eq!(out[1].doc["id"].refers_to(), Some("azurerm_subnet.u"));
        assert_eq!(out[1].key(), "{unknown id of azurerm_subnet.u}");
    }

    #[test]
    fn policy_definition_assignment_and_apim() {
        let mut asg = tf(
            "azurerm_resource_group_policy_assignment.a",
            json!({"name": "deny-public", "enforce": false, "parameters": "{\"effect\":{\"value\":\"Deny\"}}"}),
            json!({"resource_group_id": true, "policy_definition_id": true}),
        );
        asg.references.insert(
            "resource_group_id".into(),
            vec!["azurerm_resource_group.rg".into()],
        );
        asg.references.insert(
            "policy_definition_id".into(),
            vec!["azurerm_policy_definition.d".into()],
        );
        let out = run(vec![
            tf(
                "azurerm_resource_group.rg",
                json!({"name": "rg-mcp", "location": "West Europe"}),
                serde_json::Value::Null,
            ),
            tf(
                "azurerm_policy_definition.d",
                json!({"name": "no-public-aci", "mode": "Indexed", "policy_type": "Custom",
                       "policy_rule": "{\"if\":{\"field\":\"type\",\"equals\":\"x\"},\"then\":{\"effect\":\"deny\"}}",
                       "metadata": "not json"}),
                serde_json::Value::Null,
            ),
            asg,
            tf(
                "azurerm_api_management.g",
                json!({"name": "apim", "resource_group_name": "rg-mcp", "sku_name": "Developer_1",
                       "public_network_access_enabled": false, "virtual_network_type": "None",
                       "virtual_network_configuration": [{"subnet_id": "/x"}],
                       "security": [{"frontend_tls10_enabled": false}]}),
                serde_json::Value::Null,
            ),
        ]);
        assert_eq!(out[0].doc.pointer("/location"), Some(&val!("westeurope")));
        let def = &out[1];
        assert_eq!(
            def.doc.pointer("/properties/policyRule/then/effect"),
            Some(&val!("deny"))
        );
        assert_eq!(
            def.doc.pointer("/properties/metadata"),
            Some(&val!("not json"))
        );
        let a = &out[2];
        assert_eq!(
            a.doc.pointer("/properties/scope").and_then(Value::as_str),
            Some(out[0].id())
        );
        assert_eq!(
            a.doc
                .pointer("/properties/policyDefinitionId")
                .and_then(Value::as_str),
            Some(def.id())
        );
        assert_eq!(
            a.doc.pointer("/properties/enforcementMode"),
            Some(&val!("DoNotEnforce"))
        );
        assert_eq!(
            a.doc.pointer("/properties/parameters/effect/value"),
            Some(&val!("Deny"))
        );
        assert_eq!(
            a.id(),
            format!(
                "{}/providers/Microsoft.Authorization/policyAssignments/deny-public",
                out[0].id()
            )
        );
        let g = &out[3];
        assert_eq!(
            g.doc.pointer("/sku"),
            Some(&val!({"name": "Developer", "capacity": 1}))
        );
        assert_eq!(
            g.doc.pointer("/properties/publicNetworkAccess"),
            Some(&val!("Disabled"))
        );
        assert!(g
            .doc
            .pointer("/properties/virtualNetworkConfiguration")
            .is_none());
        assert_eq!(
            g.doc.pointer("/properties/customProperties/Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"),
            Some(&val!("false"))
        );
    }

    #[test]
    fn azuread_application_credential() {
        let mut fic = tf(
            "azuread_application_federated_identity_credential.gh",
            json!({"display_name": "gh-main", "issuer": "https://token.actions.githubusercontent.com",
                   "subject": "repo:acme/x:environment:prod", "audiences": ["api://AzureADTokenExchange"]}),
            json!({"application_id": true, "credential_id": true}),
        );
        fic.references.insert(
            "application_id".into(),
            vec!["azuread_application.app".into()],
        );
        let out = run(vec![
            tf(
                "azuread_application.app",
                json!({"id": "/applications/0a1b"}),
                serde_json::Value::Null,
            ),
            fic,
        ]);
        assert_eq!(
            out[1].arm_type(),
            "Microsoft.Graph/applications/federatedIdentityCredentials"
        );
        assert_eq!(
            out[1].id(),
            "/applications/0a1b/federatedIdentityCredentials/gh-main"
        );
        assert_eq!(
            out[1].doc.pointer("/properties/subject"),
            Some(&val!("repo:acme/x:environment:prod"))
        );
    }
}
