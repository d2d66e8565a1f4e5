//! ARM documents into the Inventory: snapshot files and what a live sweep read.
//!
//! [`load`] recognises, from the JSON alone:
//! - one ARM GET response (`{"id", "type", …}`);
//! - an ARM list response (`{"value": [...], "nextLink": …}`);
//! - a JSON array of resources (`az resource list`, a bare Resource Graph result,
//!   a PSRule / PowerShell export with PascalCase keys and `null` tags);
//! - Azure Resource Graph output (`az graph query`: `{"data": [...]}`, or the
//!   REST table form `{"data": {"columns", "rows"}}`);
//! - the example files of the ARM REST specifications
//!   (`{"parameters", "responses": {"200": {"body": …}}}`: the 200/201 bodies);
//! - mcpguard's own snapshot ([`super::snapshot`]).
//!
//! Every document then goes through [`documents_to_resources`], which the live
//! sweep uses too, so a snapshot re-scanned later gives the sweep's findings:
//! - top-level keys and, for the types our rules read, property names are
//!   canonicalised to ARM's camelCase (`Properties` → `properties`);
//! - a missing `type` is taken from the id; known types get ARM's spelling
//!   (Resource Graph lower-cases them), others keep theirs;
//! - a value of the wrong JSON kind where our rules read it (`subnetIds` a
//!   string) is an error naming the resource, and that resource is dropped;
//! - standalone security rules and subnets fold into their NSG / VNet
//!   (dedup by id) and stay resources of their own; inline ones are also
//!   given as resources of their own, so `subnetIds[*].id` resolves whether
//!   the subnet was read alone or inside its VNet;
//! - an NSG without `defaultSecurityRules` gets the six platform defaults.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::{Map as JsonMap, Value as Json};

use super::snapshot::{self, SnapshotMeta};
use super::InputError;
use crate::inventory::value::Map;
use crate::inventory::{id_key, types, InputKind, Origin, Resource, Value};

/// What one ARM input produced.
#[derive(Debug, Default)]
pub struct ArmOutput {
    pub resources: Vec<Resource>,
    /// Documents that could not be used; the others were loaded.
    pub errors: Vec<InputError>,
    /// Set when the input was an mcpguard snapshot; its `errors` must be
    /// reported again by the scan.
    pub snapshot: Option<SnapshotMeta>,
    /// Things the input does not contain but that are not errors (a list
    /// response with a `nextLink`: later pages are not in the file).
    pub notes: Vec<String>,
    /// Inline ignore comments of its source (Bicep, template JSON).
    pub ignores: Vec<crate::input::InlineIgnore>,
}

/// One document as read, with where it was found (a JSON path in the file,
/// or the request that returned it).
#[derive(Debug, Clone)]
pub struct RawDoc {
    pub doc: Json,
    pub detail: String,
}

/// Reads one ARM input. Fatal only when the file as a whole is unusable.
// InputError is large because it carries the source text for miette; it is
// returned once per file, so boxing would buy nothing.
#[allow(clippy::result_large_err)]
pub fn load(path: &str, text: &str) -> Result<ArmOutput, InputError> {
    let value: Json =
        serde_json::from_str(text).map_err(|e| InputError::json(path, text, &e, "ARM input"))?;
    let mut out = ArmOutput::default();
    let mut raw = Vec::new();
    if snapshot::is_snapshot(&value) {
        let (meta, docs) = snapshot::parse(value).map_err(|m| InputError::new(path, m))?;
        raw.extend(docs.into_iter().enumerate().map(|(i, doc)| RawDoc {
            doc,
            detail: format!("resources[{i}]"),
        }));
        out.snapshot = Some(meta);
    } else {
        collect(value, "", &mut raw, &mut out.notes);
        if raw.is_empty() {
            return Err(InputError::new(path, "no ARM resources found").with_help(
                "expected an ARM GET or list response, an array of resources, Azure Resource \
                 Graph output (`data`), an ARM REST example (`responses`), or an mcpguard snapshot",
            ));
        }
    }
    let (resources, errors) = documents_to_resources(Some(path), raw);
    out.resources = resources;
    out.errors = located_errors(path, text, errors);
    for n in &mut out.notes {
        *n = format!("{path}: {n}");
    }
    Ok(out)
}

/// The documents that could not be used, as errors of the file `path` whose
/// text is `text`, each at its resource's id in the text where it is found.
pub fn located_errors(path: &str, text: &str, errors: Vec<DocError>) -> Vec<InputError> {
    errors
        .into_iter()
        .enumerate()
        .map(|(n, e)| {
            let err = InputError::new(path, e.message);
            // Point at the resource's id in the file where we can find it:
            // a search of the whole text each, so for the first ones only.
            let locate = n < super::MAX_LOCATED_PER_INPUT;
            match e
                .id
                .as_deref()
                .filter(|_| locate)
                .and_then(|id| text.find(&format!("\"{id}\"")))
            {
                Some(off) => {
                    err.at_span(text, off, e.id.map_or(0, |i| i.len() + 2), "this resource")
                }
                None => err,
            }
        })
        .collect()
}

/// Finds the resource documents inside any of the accepted shapes.
fn collect(v: Json, at: &str, out: &mut Vec<RawDoc>, notes: &mut Vec<String>) {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        Json::Array(items) => {
            for (i, doc) in items.into_iter().enumerate() {
                out.push(RawDoc {
                    doc,
                    detail: format!("{at}[{i}]"),
                });
            }
        }
        Json::Object(mut obj) => {
            if let Some(Json::Object(responses)) = obj.get_mut("responses") {
                // An ARM REST example: a create's 200 and 201 bodies are the same
                // resource, which the id dedup below keeps once.
                for code in ["200", "201"] {
                    if let Some(body) = responses.get_mut(code).and_then(|r| r.get_mut("body")) {
                        collect(
                            body.take(),
                            &join(&format!("responses.{code}.body")),
                            out,
                            notes,
                        );
                    }
                }
            } else if let Some(data) = obj.remove("data") {
                match data {
                    Json::Object(table) => collect(
                        Json::Array(rows_to_objects(&table)),
                        &join("data"),
                        out,
                        notes,
                    ),
                    other => collect(other, &join("data"), out, notes),
                }
            } else if let Some(Json::Array(_)) = obj.get("value") {
                if let Some(next) = obj.get("nextLink").and_then(Json::as_str) {
                    if !next.is_empty() {
                        notes.push(format!(
                            "`{}` is a list response with a `nextLink`: resources on later pages are not in this file",
                            if at.is_empty() { "(top level)" } else { at }
                        ));
                    }
                }
                if let Some(value) = obj.remove("value") {
                    collect(value, &join("value"), out, notes);
                }
            } else if looks_like_resource(&obj) {
                out.push(RawDoc {
                    doc: Json::Object(obj),
                    detail: if at.is_empty() {
                        "(top level)".to_string()
                    } else {
                        at.to_string()
                    },
                });
            }
        }
        _ => {}
    }
}

fn looks_like_resource(obj: &JsonMap<String, Json>) -> bool {
    obj.keys().any(|k| {
        let k = k.to_ascii_lowercase();
        k == "id" || k == "type" || k == "resourceid"
    })
}

/// Resource Graph's table result (`resultFormat: table`): rows of values
/// under named columns, turned into objects.
fn rows_to_objects(table: &JsonMap<String, Json>) -> Vec<Json> {
    let columns: Vec<String> = table
        .get("columns")
        .and_then(Json::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    c.get("name")
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    table
        .get("rows")
        .and_then(Json::as_array)
        .map(|rows| {
            rows.iter()
                .map(|row| match row.as_array() {
                    Some(cells) => {
                        Json::Object(columns.iter().cloned().zip(cells.iter().cloned()).collect())
                    }
                    None => row.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A document that could not be used, and the resource it is about.
#[derive(Debug, Clone)]
pub struct DocError {
    pub id: Option<String>,
    pub message: String,
}

/// Normalises documents into resources (the shared path of files and sweeps).
/// `file` is the origin file; a sweep passes `None` and a request as detail.
pub fn documents_to_resources(
    file: Option<&str>,
    docs: Vec<RawDoc>,
) -> (Vec<Resource>, Vec<DocError>) {
    let docs = docs
        .into_iter()
        .map(|RawDoc { doc, detail }| ModelDoc {
            doc: doc.into(),
            detail,
        })
        .collect();
    model_documents_to_resources(file, docs)
}

/// One ARM document whose values may be unknown or partly known (an
/// expanded deployment template), with where it was found.
#[derive(Debug, Clone)]
pub struct ModelDoc {
    pub doc: Value,
    pub detail: String,
}

/// [`documents_to_resources`] for documents already in the model's values:
/// the one path every ARM-shaped input takes (snapshots, sweeps, templates).
/// An id may be partly known (`/subscriptions/{unknown}/…`); it keys the
/// resource by what is known of it.
pub fn model_documents_to_resources(
    file: Option<&str>,
    docs: Vec<ModelDoc>,
) -> (Vec<Resource>, Vec<DocError>) {
    let mut errors = Vec::new();
    let mut kept: Vec<ModelDoc> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for ModelDoc { doc, detail } in docs {
        match normalise(doc, &detail) {
            // The same resource read twice (a create example's 200 and 201, two
            // overlapping exports): the first copy is kept.
            // An id whose names are partly known (`…/roleAssignments/{unknown}`)
            // cannot show two documents to be one resource: both are kept. One
            // only its subscription or group is unknown of names one resource.
            Ok(doc) => {
                let id = id_text(&doc);
                if seen.insert(id_key(&id)) || !names_known(&id) {
                    kept.push(ModelDoc { doc, detail });
                }
            }
            Err(e) => errors.push(e),
        }
    }
    fold_children(&mut kept);
    let unfolded = unfold_children(&kept, &seen);
    for ModelDoc { doc, detail } in unfolded {
        match normalise(doc, &detail) {
            Ok(doc) => kept.push(ModelDoc { doc, detail }),
            Err(e) => errors.push(e),
        }
    }
    let mut addresses: HashSet<String> = HashSet::new();
    let resources = kept
        .into_iter()
        .map(|ModelDoc { doc, detail }| {
            let mut id = id_text(&doc);
            // Partly known ids that read alike stay apart by where they are;
            // so does every Graph object whose object id is not known yet
            // (`/applications/{unknown}` tells no application from another).
            let unknown_graph_id = !id.contains("/providers/") && !names_known(&id);
            if !addresses.insert(id.clone()) || unknown_graph_id {
                id = format!("{id} ({detail})");
            }
            let mut r = Resource::new(id, InputKind::Arm, doc);
            r.origin = Origin {
                file: file.map(str::to_string),
                detail: Some(detail),
                ..Origin::default()
            };
            r
        })
        .collect();
    (resources, errors)
}

/// Whether the resource names of an id (what follows its first
/// `/providers/`) are known; its scope (subscription, group) may not be.
pub(crate) fn names_known(id: &str) -> bool {
    match id.split_once("/providers/") {
        Some((_, names)) => !names.contains("{unknown}"),
        // A Graph object id is its object id (`/applications/{unknown}`
        // before deployment); a subscription or group id has no names.
        None => id.starts_with("/subscriptions/") || !id.contains("{unknown}"),
    }
}

fn str_at<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc.get(key).and_then(Value::as_str).unwrap_or("")
}

/// A document's id as text: the id, or what is known of a partly known one
/// (`/subscriptions/{unknown}/…`).
fn id_text(doc: &Value) -> String {
    match doc.get("id") {
        Some(Value::Partial(p)) => p.to_string(),
        Some(v) => v.as_str().unwrap_or_default().to_string(),
        None => String::new(),
    }
}

/// The kind of a value, for messages.
fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) | Value::Partial(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
        Value::Unknown(_) => "not known before deployment",
    }
}

/// Names a document in a message: its id, else its name, else where it was.
fn describe(obj: &Map, detail: &str) -> String {
    match (
        obj.get("id").and_then(Value::as_str),
        obj.get("name").and_then(Value::as_str),
    ) {
        (Some(id), _) if !id.is_empty() => format!("resource `{id}`"),
        (_, Some(name)) => format!("resource `{name}` at `{detail}`"),
        _ => format!("document at `{detail}`"),
    }
}

/// One document into the shape rules see, or why it cannot be used.
fn normalise(doc: Value, detail: &str) -> Result<Value, DocError> {
    let Value::Object(raw) = doc else {
        return Err(DocError {
            id: None,
            message: format!(
                "`{detail}` is {}, not an ARM resource object",
                kind_name(&doc)
            ),
        });
    };
    let mut obj = Map::new();
    for (k, v) in raw {
        if v.is_null() {
            // Resource Graph and exports give absent columns as null.
            continue;
        }
        let key = canonical_top_key(&k).map(str::to_string).unwrap_or(k);
        // `id` wins over an export's `Id` duplicate: keep the first seen.
        obj.entry(key).or_insert(v);
    }
    if !obj.contains_key("id") {
        if let Some(v) = obj.get("ResourceId").cloned() {
            obj.insert("id".to_string(), v);
        }
    }
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Partial(p)) => p.to_string(),
        Some(other) => {
            return Err(DocError {
                id: None,
                message: format!(
                    "{}: `id` is {}, expected an ARM resource id",
                    describe(&obj, detail),
                    kind_name(other)
                ),
            })
        }
        None => {
            return Err(DocError {
                id: None,
                message: format!("{}: ARM document has no `id`", describe(&obj, detail)),
            })
        }
    };
    let err = |message: String| DocError {
        id: Some(id.clone()),
        message,
    };
    let ty = match obj.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(other) => {
            return Err(err(format!(
                "resource `{id}`: `type` is {}, expected a string",
                kind_name(other)
            )))
        }
        None => type_from_id(&id).ok_or_else(|| {
            err(format!(
                "resource `{id}`: ARM document has no `type`, and the id does not name one"
            ))
        })?,
    };
    if !is_arm_type(&ty) {
        return Err(err(format!(
            "resource `{id}`: `{ty}` is not an ARM resource type (expected `Namespace.Provider/type`)"
        )));
    }
    let ty = canonical_type(&ty).map(str::to_string).unwrap_or(ty);
    obj.insert("type".to_string(), Value::String(ty.clone()));
    if canonical_type(&ty).is_some() && !opaque_properties(&obj, &ty) {
        if let Some(props) = obj.get_mut("properties") {
            canonicalise_keys(props);
        }
        if let Some(Value::Object(identity)) = obj.get_mut("identity") {
            rename_keys(identity);
        }
    }
    let doc = Value::Object(obj);
    check_shapes(&doc, &ty).map_err(|m| err(format!("resource `{id}`: {m}")))?;
    let mut doc = doc;
    if ty.eq_ignore_ascii_case(types::NSG) {
        add_default_rules(&mut doc, &id);
    }
    Ok(doc)
}

/// The ARM type an id names: `…/providers/Microsoft.Network/virtualNetworks/v/subnets/s`
/// → `Microsoft.Network/virtualNetworks/subnets`.
pub fn type_from_id(id: &str) -> Option<String> {
    let segs: Vec<&str> = id.trim_matches('/').split('/').collect();
    let p = segs
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))?;
    let rest = &segs[p + 1..];
    if rest.len() < 3 || !(rest.len() - 1).is_multiple_of(2) {
        return None;
    }
    let mut t = rest[0].to_string();
    for pair in rest[1..].chunks(2) {
        t.push('/');
        t.push_str(pair[0]);
    }
    Some(t)
}

/// The id of the resource an id's last `type/name` pair is nested in.
pub fn parent_id(id: &str) -> Option<&str> {
    let t = id.trim_end_matches('/');
    let cut = t.rfind('/')?;
    let t = &t[..cut];
    let cut = t.rfind('/')?;
    Some(&t[..cut])
}

/// `Namespace.Provider/type[/child…]` with no empty segment.
fn is_arm_type(t: &str) -> bool {
    let segs: Vec<&str> = t.split('/').collect();
    segs.len() >= 2
        && segs
            .iter()
            .all(|s| !s.is_empty() && !s.contains(char::is_whitespace))
        && segs[0].contains('.')
}

/// Types our rules read, spelled as ARM spells them.
const KNOWN_TYPES: &[&str] = &[
    types::CONTAINER_GROUP,
    types::NSG,
    types::NSG_RULE,
    types::VNET,
    types::SUBNET,
    types::USER_IDENTITY,
    types::FEDERATED_CREDENTIAL,
    types::APP_FEDERATED_CREDENTIAL,
    types::ROLE_ASSIGNMENT,
    types::POLICY_DEFINITION,
    types::POLICY_ASSIGNMENT,
    types::API_MANAGEMENT,
    types::APIM_POLICY,
    types::APIM_API_POLICY,
    types::APIM_API,
    types::APIM_BACKEND,
    types::APIM_DIAGNOSTIC,
    types::APIM_LOGGER,
    types::EVENTHUB_NAMESPACE,
    types::EVENTHUB,
    types::SCHEDULED_QUERY_RULE,
    types::ACTION_GROUP,
    types::GRAPH_APPLICATION,
    types::GRAPH_SERVICE_PRINCIPAL,
    types::CONDITIONAL_ACCESS,
    "Microsoft.ApiManagement/service/apis/diagnostics",
    types::CONTAINER_APP,
    types::CONTAINER_APP_AUTH,
    types::MANAGED_ENVIRONMENT,
    types::SITE,
    types::SITE_CONFIG,
    types::PRIVATE_ENDPOINT,
    types::DIAGNOSTIC_SETTING,
    "Microsoft.ContainerService/managedClusters",
];

/// ARM's spelling of a known type, matched case-insensitively.
pub fn canonical_type(t: &str) -> Option<&'static str> {
    KNOWN_TYPES
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(t))
}

const TOP_KEYS: &[&str] = &[
    "id",
    "name",
    "type",
    "location",
    "tags",
    "identity",
    "sku",
    "properties",
    "kind",
    "zones",
    "plan",
    "managedBy",
    "etag",
    "extendedLocation",
    "systemData",
    "tenantId",
    "subscriptionId",
    "resourceGroup",
];

fn canonical_top_key(k: &str) -> Option<&'static str> {
    TOP_KEYS.iter().copied().find(|t| t.eq_ignore_ascii_case(k))
}

/// Property names of the known types, as ARM spells them: an export that
/// PascalCases them (`SubnetIds`) is read as if ARM had answered. A name not
/// listed is left alone.
const PROPERTY_NAMES: &[&str] = &[
    // shared
    "id",
    "name",
    "type",
    "properties",
    "etag",
    "provisioningState",
    "description",
    "value",
    "enabled",
    "scope",
    // container groups
    "containers",
    "initContainers",
    "image",
    "command",
    "ports",
    "port",
    "protocol",
    "environmentVariables",
    "secureValue",
    "resources",
    "requests",
    "limits",
    "cpu",
    "memoryInGB",
    "gpu",
    "volumeMounts",
    "mountPath",
    "readOnly",
    "imageRegistryCredentials",
    "server",
    "username",
    "password",
    "identity",
    "ipAddress",
    "ip",
    "fqdn",
    "dnsNameLabel",
    "autoGeneratedDomainNameLabelScope",
    "osType",
    "restartPolicy",
    "subnetIds",
    "sku",
    "diagnostics",
    "logAnalytics",
    "workspaceId",
    "workspaceKey",
    "logType",
    "dnsConfig",
    "nameServers",
    "searchDomains",
    "options",
    "volumes",
    "priority",
    "encryptionProperties",
    "confidentialComputeProperties",
    "instanceView",
    "state",
    "events",
    "livenessProbe",
    "readinessProbe",
    "securityContext",
    "privileged",
    "networkProfile",
    "extensions",
    // network security groups and rules
    "securityRules",
    "defaultSecurityRules",
    "sourcePortRange",
    "sourcePortRanges",
    "destinationPortRange",
    "destinationPortRanges",
    "sourceAddressPrefix",
    "sourceAddressPrefixes",
    "destinationAddressPrefix",
    "destinationAddressPrefixes",
    "sourceApplicationSecurityGroups",
    "destinationApplicationSecurityGroups",
    "access",
    "direction",
    "subnets",
    "networkInterfaces",
    "flowLogs",
    "resourceGuid",
    "flushConnection",
    // virtual networks and subnets
    "addressSpace",
    "addressPrefixes",
    "addressPrefix",
    "dhcpOptions",
    "dnsServers",
    "virtualNetworkPeerings",
    "enableDdosProtection",
    "networkSecurityGroup",
    "routeTable",
    "serviceEndpoints",
    "service",
    "locations",
    "delegations",
    "serviceName",
    "actions",
    "privateEndpointNetworkPolicies",
    "privateLinkServiceNetworkPolicies",
    "defaultOutboundAccess",
    "natGateway",
    "ipConfigurations",
    // identities and federated credentials
    "principalId",
    "clientId",
    "tenantId",
    "isolationScope",
    "issuer",
    "subject",
    "audiences",
    "claimsMatchingExpression",
    // role assignments
    "roleDefinitionId",
    "principalType",
    "condition",
    "conditionVersion",
    "delegatedManagedIdentityResourceId",
    // API Management
    "publisherEmail",
    "publisherName",
    "virtualNetworkType",
    "virtualNetworkConfiguration",
    "subnetResourceId",
    "publicNetworkAccess",
    "customProperties",
    "gatewayUrl",
    "hostnameConfigurations",
    "format",
    // API Management APIs and backends (`type: "mcp"`, `mcpProperties`)
    "path",
    "protocols",
    "serviceUrl",
    "subscriptionRequired",
    "apiRevision",
    "isCurrent",
    "backendId",
    "mcpProperties",
    "mcpTools",
    "transportType",
    "operationId",
    "url",
    "resourceId",
    "loggerId",
    // Container Apps and their environments
    "managedEnvironmentId",
    "environmentId",
    "workloadProfileName",
    "configuration",
    "activeRevisionsMode",
    "ingress",
    "external",
    "targetPort",
    "exposedPort",
    "transport",
    "allowInsecure",
    "ipSecurityRestrictions",
    "ipAddressRange",
    "action",
    "registries",
    "passwordSecretRef",
    "secrets",
    "keyVaultUrl",
    "template",
    "env",
    "secretRef",
    "args",
    "memory",
    "scale",
    "minReplicas",
    "maxReplicas",
    "latestRevisionFqdn",
    "vnetConfiguration",
    "infrastructureSubnetId",
    "internal",
    "appLogsConfiguration",
    "destination",
    "logAnalyticsConfiguration",
    "customerId",
    "workloadProfiles",
    "zoneRedundant",
    "staticIp",
    "defaultDomain",
    // sites and their config
    "serverFarmId",
    "httpsOnly",
    "virtualNetworkSubnetId",
    "vnetRouteAllEnabled",
    "vnetImagePullEnabled",
    "outboundVnetRouting",
    "allTraffic",
    "applicationTraffic",
    "clientCertEnabled",
    "keyVaultReferenceIdentity",
    "defaultHostName",
    "hostNames",
    "siteConfig",
    "appSettings",
    "connectionStrings",
    "connectionString",
    "linuxFxVersion",
    "windowsFxVersion",
    "minTlsVersion",
    "ftpsState",
    "http20Enabled",
    "functionAppConfig",
    "platform",
    "globalValidation",
    "requireAuthentication",
    "unauthenticatedClientAction",
    "redirectToProvider",
    "identityProviders",
    "azureActiveDirectory",
    "registration",
    "openIdIssuer",
    "validation",
    "allowedAudiences",
    "defaultAuthorizationPolicy",
    "allowedApplications",
    "httpSettings",
    "requireHttps",
    // private endpoints
    "privateLinkServiceConnections",
    "manualPrivateLinkServiceConnections",
    "privateLinkServiceId",
    "groupIds",
    "subnet",
    // diagnostic settings
    "logs",
    "metrics",
    "category",
    "categoryGroup",
    "storageAccountId",
    "eventHubAuthorizationRuleId",
    // policy
    "policyType",
    "mode",
    "displayName",
    "policyRule",
    "parameters",
    "metadata",
    "policyDefinitionId",
    "enforcementMode",
    "notScopes",
    // managed clusters
    "agentPoolProfiles",
    "vnetSubnetID",
    "networkPlugin",
    "networkPolicy",
    "apiServerAccessProfile",
    "enablePrivateCluster",
    "authorizedIPRanges",
    "oidcIssuerProfile",
    "issuerURL",
    "securityProfile",
    "workloadIdentity",
];

/// Objects whose keys are data, not ARM property names: never renamed.
const OPAQUE_KEYS: &[&str] = &[
    "tags",
    "userAssignedIdentities",
    "parameters",
    "policyRule",
    "metadata",
    "customProperties",
];

/// Site configs whose properties are a map of names the user chose (app
/// settings, connection strings): never renamed.
const OPAQUE_CONFIGS: &[&str] = &["appsettings", "connectionstrings", "metadata"];

fn opaque_properties(obj: &Map, ty: &str) -> bool {
    ty.eq_ignore_ascii_case(types::SITE_CONFIG)
        && obj
            .get("name")
            .and_then(Value::as_str)
            .map(|n| n.rsplit('/').next().unwrap_or(n))
            .is_some_and(|n| OPAQUE_CONFIGS.iter().any(|c| c.eq_ignore_ascii_case(n)))
}

fn property_names() -> &'static HashMap<String, &'static str> {
    static NAMES: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        PROPERTY_NAMES
            .iter()
            .map(|n| (n.to_ascii_lowercase(), *n))
            .collect()
    })
}

/// Renames one object's keys to ARM's spelling (not recursive).
fn rename_keys(obj: &mut Map) {
    let names = property_names();
    if obj
        .keys()
        .all(|k| names.get(&k.to_ascii_lowercase()).is_none_or(|c| *c == k))
    {
        return;
    }
    let old = std::mem::take(obj);
    for (k, v) in old {
        let key = names
            .get(&k.to_ascii_lowercase())
            .map(|c| c.to_string())
            .unwrap_or(k);
        obj.entry(key).or_insert(v);
    }
}

/// Renames property names to ARM's spelling, recursively, skipping the
/// objects whose keys are data.
fn canonicalise_keys(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            rename_keys(obj);
            for (k, child) in obj.iter_mut() {
                if !OPAQUE_KEYS.contains(&k.as_str()) {
                    canonicalise_keys(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(canonicalise_keys),
        _ => {}
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Array,
    Object,
    Str,
    Number,
}

impl Kind {
    fn matches(self, v: &Value) -> bool {
        match self {
            Kind::Array => v.is_array(),
            Kind::Object => v.is_object(),
            Kind::Str => v.is_string(),
            Kind::Number => matches!(v, Value::Number(_)),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::Array => "an array",
            Kind::Object => "an object",
            Kind::Str => "a string",
            Kind::Number => "a number",
        }
    }
}

/// The JSON kind ARM has where our rules read a value (`*` = every element).
/// `None` as type applies to every resource. A `null` is accepted anywhere
/// (exports write absent values as null; rules treat it as absent).
const SHAPES: &[(Option<&str>, &str, Kind)] = &[
    (None, "tags", Kind::Object),
    (None, "properties", Kind::Object),
    (None, "identity", Kind::Object),
    (None, "identity.type", Kind::Str),
    (None, "identity.userAssignedIdentities", Kind::Object),
    (None, "location", Kind::Str),
    (
        Some(types::CONTAINER_GROUP),
        "properties.containers",
        Kind::Array,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.containers.*.properties.image",
        Kind::Str,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.containers.*.properties.environmentVariables",
        Kind::Array,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.containers.*.properties.ports",
        Kind::Array,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.subnetIds",
        Kind::Array,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.subnetIds.*",
        Kind::Object,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.subnetIds.*.id",
        Kind::Str,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.ipAddress",
        Kind::Object,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.ipAddress.type",
        Kind::Str,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.ipAddress.ports",
        Kind::Array,
    ),
    (
        Some(types::CONTAINER_GROUP),
        "properties.imageRegistryCredentials",
        Kind::Array,
    ),
    (Some(types::NSG), "properties.securityRules", Kind::Array),
    (
        Some(types::NSG),
        "properties.defaultSecurityRules",
        Kind::Array,
    ),
    (
        Some(types::NSG),
        "properties.securityRules.*.properties.priority",
        Kind::Number,
    ),
    (
        Some(types::NSG),
        "properties.securityRules.*.properties.access",
        Kind::Str,
    ),
    (
        Some(types::NSG),
        "properties.securityRules.*.properties.direction",
        Kind::Str,
    ),
    (
        Some(types::NSG),
        "properties.securityRules.*.properties.sourceAddressPrefixes",
        Kind::Array,
    ),
    (
        Some(types::NSG),
        "properties.securityRules.*.properties.destinationAddressPrefixes",
        Kind::Array,
    ),
    (
        Some(types::NSG),
        "properties.securityRules.*.properties.destinationPortRanges",
        Kind::Array,
    ),
    (Some(types::NSG_RULE), "properties.priority", Kind::Number),
    (Some(types::NSG_RULE), "properties.access", Kind::Str),
    (Some(types::NSG_RULE), "properties.direction", Kind::Str),
    (
        Some(types::NSG_RULE),
        "properties.sourceAddressPrefixes",
        Kind::Array,
    ),
    (
        Some(types::NSG_RULE),
        "properties.destinationAddressPrefixes",
        Kind::Array,
    ),
    (
        Some(types::NSG_RULE),
        "properties.destinationPortRanges",
        Kind::Array,
    ),
    (Some(types::VNET), "properties.subnets", Kind::Array),
    (
        Some(types::SUBNET),
        "properties.networkSecurityGroup",
        Kind::Object,
    ),
    (
        Some(types::SUBNET),
        "properties.networkSecurityGroup.id",
        Kind::Str,
    ),
    (
        Some(types::SUBNET),
        "properties.addressPrefixes",
        Kind::Array,
    ),
    (Some(types::SUBNET), "properties.delegations", Kind::Array),
    (
        Some(types::USER_IDENTITY),
        "properties.principalId",
        Kind::Str,
    ),
    (Some(types::USER_IDENTITY), "properties.clientId", Kind::Str),
    (
        Some(types::FEDERATED_CREDENTIAL),
        "properties.issuer",
        Kind::Str,
    ),
    (
        Some(types::FEDERATED_CREDENTIAL),
        "properties.subject",
        Kind::Str,
    ),
    (
        Some(types::FEDERATED_CREDENTIAL),
        "properties.audiences",
        Kind::Array,
    ),
    (
        Some(types::ROLE_ASSIGNMENT),
        "properties.principalId",
        Kind::Str,
    ),
    (
        Some(types::ROLE_ASSIGNMENT),
        "properties.roleDefinitionId",
        Kind::Str,
    ),
    (Some(types::ROLE_ASSIGNMENT), "properties.scope", Kind::Str),
    (
        Some(types::POLICY_DEFINITION),
        "properties.policyRule",
        Kind::Object,
    ),
    (
        Some(types::POLICY_ASSIGNMENT),
        "properties.policyDefinitionId",
        Kind::Str,
    ),
    (
        Some(types::API_MANAGEMENT),
        "properties.virtualNetworkType",
        Kind::Str,
    ),
    (
        Some(types::CONTAINER_APP),
        "properties.template.containers",
        Kind::Array,
    ),
    (
        Some(types::CONTAINER_APP),
        "properties.template.containers.*.env",
        Kind::Array,
    ),
    (
        Some(types::CONTAINER_APP),
        "properties.configuration.registries",
        Kind::Array,
    ),
    (
        Some(types::CONTAINER_APP),
        "properties.managedEnvironmentId",
        Kind::Str,
    ),
    (
        Some(types::MANAGED_ENVIRONMENT),
        "properties.vnetConfiguration",
        Kind::Object,
    ),
    (
        Some(types::MANAGED_ENVIRONMENT),
        "properties.vnetConfiguration.infrastructureSubnetId",
        Kind::Str,
    ),
    (
        Some(types::SITE),
        "properties.siteConfig.appSettings",
        Kind::Array,
    ),
    (
        Some(types::SITE),
        "properties.virtualNetworkSubnetId",
        Kind::Str,
    ),
    (
        Some(types::PRIVATE_ENDPOINT),
        "properties.subnet",
        Kind::Object,
    ),
    (
        Some(types::PRIVATE_ENDPOINT),
        "properties.privateLinkServiceConnections",
        Kind::Array,
    ),
];

/// Checks the value kinds of [`SHAPES`]; the first mismatch is the message.
fn check_shapes(doc: &Value, ty: &str) -> Result<(), String> {
    for (t, path, kind) in SHAPES {
        if t.is_some_and(|t| !t.eq_ignore_ascii_case(ty)) {
            continue;
        }
        let segs: Vec<&str> = path.split('.').collect();
        check_path(doc, &segs, String::new(), *kind)?;
    }
    Ok(())
}

fn check_path(v: &Value, segs: &[&str], at: String, kind: Kind) -> Result<(), String> {
    let Some((first, rest)) = segs.split_first() else {
        // A value not known before deployment (a template's) has no kind yet.
        if v.is_null() || v.is_unknown() || kind.matches(v) {
            return Ok(());
        }
        return Err(format!(
            "`{at}` is {}, where ARM has {}",
            kind_name(v),
            kind.name()
        ));
    };
    if *first == "*" {
        if let Value::Array(items) = v {
            for (i, item) in items.iter().enumerate() {
                check_path(item, rest, format!("{at}[{i}]"), kind)?;
            }
        }
        return Ok(());
    }
    match v.get(first) {
        Some(child) => {
            let at = if at.is_empty() {
                first.to_string()
            } else {
                format!("{at}.{first}")
            };
            check_path(child, rest, at, kind)
        }
        None => Ok(()),
    }
}

/// The six default rules with ids under `nsg_id` (see `inventory::nsg`).
pub fn default_security_rules(nsg_id: &str) -> Vec<Json> {
    crate::inventory::nsg::default_rules(nsg_id)
}

fn add_default_rules(doc: &mut Value, id: &str) {
    let Some(obj) = doc.as_object_mut() else {
        return;
    };
    let props = obj
        .entry("properties".to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(p) = props {
        if p.get("defaultSecurityRules").is_none_or(Value::is_null) {
            p.insert(
                "defaultSecurityRules".to_string(),
                Value::Array(
                    default_security_rules(id)
                        .into_iter()
                        .map(Value::from)
                        .collect(),
                ),
            );
        }
    }
}

/// (child type, parent type, the parent's list property).
pub(crate) const NESTED: &[(&str, &str, &str)] = &[
    (types::NSG_RULE, types::NSG, "securityRules"),
    (types::SUBNET, types::VNET, "subnets"),
];

/// Standalone children join their parent's list, as a GET of the parent shows
/// them; a child the parent already lists inline is left as the parent has it.
fn fold_children(docs: &mut [ModelDoc]) {
    let index: HashMap<String, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (id_key(&id_text(&d.doc)), i))
        .collect();
    let mut adds: Vec<(usize, &'static str, Value)> = Vec::new();
    for d in docs.iter() {
        let ty = str_at(&d.doc, "type");
        let Some((_, parent_ty, list)) = NESTED.iter().find(|(c, _, _)| c.eq_ignore_ascii_case(ty))
        else {
            continue;
        };
        let Some(parent) = parent_id(&id_text(&d.doc)).and_then(|p| index.get(&id_key(p))) else {
            continue;
        };
        if str_at(&docs[*parent].doc, "type").eq_ignore_ascii_case(parent_ty) {
            let mut child = d.doc.clone();
            if let Some(o) = child.as_object_mut() {
                // A nested entry carries what ARM nests: no location or tags.
                o.retain(|k, _| {
                    matches!(k.as_str(), "id" | "name" | "type" | "etag" | "properties")
                });
            }
            adds.push((*parent, list, child));
        }
    }
    for (parent, list, child) in adds {
        let Some(props) = docs[parent]
            .doc
            .as_object_mut()
            .and_then(|o| o.get_mut("properties"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let items = props
            .entry(list.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = items {
            let key = id_key(&id_text(&child));
            if !items.iter().any(|i| id_key(&id_text(i)) == key) {
                items.push(child);
            }
        }
    }
}

/// Inline children not given on their own become resources too, so a
/// reference to a subnet's id resolves whether it was read alone or in its VNet.
fn unfold_children(docs: &[ModelDoc], standalone: &HashSet<String>) -> Vec<ModelDoc> {
    let mut out = Vec::new();
    let mut made: BTreeSet<String> = BTreeSet::new();
    for d in docs {
        let ty = str_at(&d.doc, "type");
        let Some((child_ty, _, list)) = NESTED.iter().find(|(_, p, _)| p.eq_ignore_ascii_case(ty))
        else {
            continue;
        };
        let Some(items) = d
            .doc
            .pointer(&format!("/properties/{list}"))
            .and_then(Value::as_array)
        else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let id = id_text(item);
            let key = id_key(&id);
            if id.is_empty() || standalone.contains(&key) || !made.insert(key) {
                continue;
            }
            let mut child = item.clone();
            if let Some(o) = child.as_object_mut() {
                o.entry("type".to_string())
                    .or_insert_with(|| Value::String(child_ty.to_string()));
            }
            out.push(ModelDoc {
                doc: child,
                detail: format!("{}.properties.{list}[{i}]", d.detail),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_from_ids() {
        assert_eq!(
            type_from_id("/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/a")
                .as_deref(),
            Some("Microsoft.Network/virtualNetworks/subnets")
        );
        assert_eq!(type_from_id("/subscriptions/s"), None);
        assert_eq!(
            type_from_id("/subscriptions/s/providers/Microsoft.X/a/b/c"),
            None
        );
        assert_eq!(
            parent_id("/x/providers/N.P/a/b/c/d"),
            Some("/x/providers/N.P/a/b")
        );
    }

    #[test]
    fn arm_type_shape() {
        assert!(is_arm_type("Microsoft.Network/networkSecurityGroups"));
        assert!(is_arm_type("microsoft.network/virtualnetworks/subnets"));
        assert!(!is_arm_type("networkSecurityGroups"));
        assert!(!is_arm_type("Microsoft.Network/"));
        assert!(!is_arm_type("Microsoft.Network/a b"));
    }

    #[test]
    fn shapes_report_the_path() {
        let doc = json!({"properties": {"subnetIds": [{"id": 3}]}});
        let e = check_shapes(&doc.into(), types::CONTAINER_GROUP).unwrap_err();
        assert_eq!(
            e,
            "`properties.subnetIds[0].id` is a number, where ARM has a string"
        );
        let ok = json!({"properties": {"subnetIds": [{"id": "/x"}], "ipAddress": null}});
        assert!(check_shapes(&ok.into(), types::CONTAINER_GROUP).is_ok());
    }

    #[test]
    fn renames_pascal_case_but_not_data_keys() {
        let mut v: Value =
            json!({"SubnetIds": [{"Id": "/a"}], "parameters": {"Effect": {}}}).into();
        canonicalise_keys(&mut v);
        assert_eq!(
            v,
            json!({"subnetIds": [{"id": "/a"}], "parameters": {"Effect": {}}})
        );
    }

    #[test]
    fn six_defaults() {
        let rules = default_security_rules("/n/");
        assert_eq!(rules.len(), 6);
        assert_eq!(
            rules[4]["id"],
            "/n/defaultSecurityRules/AllowInternetOutBound"
        );
    }
}
