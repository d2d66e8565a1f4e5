//! The Inventory: the one model every input becomes.
//!
//! A resource is an ARM-shaped document (`id`, `name`, `type`, `location`,
//! `tags`, `identity`, `sku`, `properties`) exactly as ARM's GET would return it,
//! whose every value is known, unknown, or partly known ([`value`]), plus side
//! data rules never read directly: the Terraform address, where it came from,
//! which values are sensitive, and the computed facts (`mcpguard.*` fields)
//! that need real code.

#[macro_use]
pub mod value;
pub mod audit;
pub mod detection;
pub mod entra;
pub mod facts;
pub mod gateway;
pub mod hosts;
pub mod kql;
pub mod nsg;
pub mod path;
pub mod workflows;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

pub use crate::input::InputKind;
pub use path::{Path, PathSet, Seg};
pub use value::{Part, Partial, Unknown, Value};

/// Where a resource was read: a file and line for HCL, a JSON path in a plan, a
/// request for a live sweep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// File relative to the scanned root (or as given on the command line).
    pub file: Option<String>,
    /// 1-based line of the resource block, where known.
    pub line: Option<u32>,
    /// Free-form detail: the plan JSON path, or the ARM request.
    pub detail: Option<String>,
    /// 1-based lines of individual attributes, keyed by ARM path, where known
    /// (HCL input), so a finding can point at the attribute that decided it.
    #[serde(skip)]
    pub attribute_lines: BTreeMap<String, u32>,
}

/// One resource of the Inventory.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Terraform address for Terraform input, the ARM id for ARM input.
    pub address: String,
    /// The Terraform resource type (`azurerm_subnet`), when the input was Terraform.
    pub tf_type: Option<String>,
    /// The ARM document rules see.
    pub doc: Value,
    pub kind: InputKind,
    pub origin: Origin,
    /// ARM paths whose value is secret: rules read them, reports never print them.
    pub sensitive: PathSet,
    /// Computed facts, an object exposed to rules as the read-only `mcpguard.*`
    /// fields. A fact that depends on an unknown input value is
    /// [`Unknown::because`] that value, so an `unknown` finding names what the
    /// user can see.
    pub facts: Value,
}

impl Resource {
    /// A resource with an empty fact object and no side data.
    pub fn new(address: impl Into<String>, kind: InputKind, doc: impl Into<Value>) -> Self {
        Resource {
            address: address.into(),
            tf_type: None,
            doc: doc.into(),
            kind,
            origin: Origin::default(),
            sensitive: PathSet::new(),
            facts: Value::Object(Default::default()),
        }
    }

    /// The resource's id when it is known; `""` when it is not (yet).
    pub fn id(&self) -> &str {
        self.doc.get("id").and_then(Value::as_str).unwrap_or("")
    }

    /// The resource's key in the inventory: its id when known; else what is
    /// known of it (`/subscriptions/{unknown}/resourceGroups/rg/…`), which
    /// names it uniquely when its names are known; else its address. Used
    /// where only a string can stand for the resource (object keys such as
    /// `identity.userAssignedIdentities`, lists of ids in facts), never as a
    /// value a condition compares.
    pub fn key(&self) -> String {
        self.doc
            .get("id")
            .and_then(Value::as_key)
            .unwrap_or_else(|| value::unknown_id_key(&self.address))
    }

    /// The id as a person reads it: known, or with `{unknown}` parts.
    pub fn display_id(&self) -> String {
        match self.doc.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Partial(p)) => p.to_string(),
            _ => String::new(),
        }
    }

    pub fn arm_type(&self) -> &str {
        self.doc.get("type").and_then(Value::as_str).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.doc.get("name").and_then(Value::as_str).unwrap_or("")
    }

    /// A tag value, matching the key case-insensitively as ARM does.
    pub fn tag(&self, key: &str) -> Option<&Value> {
        self.doc
            .get("tags")?
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// Sets a computed fact (`mcpguard.<name>`).
    pub fn set_fact(&mut self, name: &str, value: impl Into<Value>) {
        self.facts[name] = value.into();
    }

    /// Sets a fact (`mcpguard.x.y`) that is unknown because the input value
    /// at `because` is.
    pub fn unknown_fact(&mut self, fact: &Path, because: &Path) {
        let rel = match fact.0.first() {
            Some(Seg::Key(k)) if k == "mcpguard" => Path(fact.0[1..].to_vec()),
            _ => fact.clone(),
        };
        self.facts.put(&rel, Unknown::because(because.to_string()));
    }

    pub fn fact(&self, name: &str) -> Option<&Value> {
        self.facts.get(name)
    }

    /// The line a finding on `path` should point at: the attribute's own line
    /// where the input knows it, else the resource block's.
    pub fn line_for(&self, path: Option<&str>) -> Option<u32> {
        path.and_then(|p| {
            self.origin
                .attribute_lines
                .iter()
                .filter(|(k, _)| p.starts_with(k.as_str()))
                .max_by_key(|(k, _)| k.len())
                .map(|(_, l)| *l)
        })
        .or(self.origin.line)
    }
}

/// ARM ids and types compare case-insensitively.
pub fn id_key(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

/// All resources of a scan, indexed by id, address and ARM type so that joins
/// are hash look-ups (no scanning: cost stays linear in the inventory).
#[derive(Debug, Default)]
pub struct Inventory {
    resources: Vec<Resource>,
    by_id: HashMap<String, usize>,
    by_address: HashMap<String, usize>,
    by_type: HashMap<String, Vec<usize>>,
    by_principal: HashMap<String, usize>,
    /// Things the scan could not see but that are not errors (e.g. registry
    /// modules that were not fetched). Printed under a note in every report.
    pub notes: Vec<String>,
}

impl Inventory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds an inventory and computes every fact.
    pub fn from_resources(resources: Vec<Resource>, detection: &facts::Detection) -> Self {
        let mut inv = Inventory::new();
        for r in resources {
            inv.push(r);
        }
        inv.compute_facts(detection);
        inv
    }

    /// Adds a resource. A later resource with the same id replaces the earlier
    /// one's index entry (the same resource read twice).
    pub fn push(&mut self, r: Resource) {
        let n = self.resources.len();
        self.by_id.insert(id_key(&r.key()), n);
        self.by_address.insert(r.address.clone(), n);
        self.by_type
            .entry(r.arm_type().to_ascii_lowercase())
            .or_default()
            .push(n);
        // Only identities are looked up by principal id: a role assignment
        // carries the same principal id and must not shadow its identity.
        if r.arm_type().eq_ignore_ascii_case(types::USER_IDENTITY) {
            if let Some(p) = r
                .doc
                .pointer("/properties/principalId")
                .and_then(Value::as_str)
            {
                self.by_principal.insert(p.to_ascii_lowercase(), n);
            }
        }
        self.resources.push(r);
    }

    /// Appends another inventory (several inputs in one scan).
    pub fn extend(&mut self, other: Inventory) {
        self.notes.extend(other.notes);
        for r in other.resources {
            self.push(r);
        }
    }

    /// (Re)computes the `mcpguard.*` facts of every resource. Call after the
    /// last resource was added.
    pub fn compute_facts(&mut self, detection: &facts::Detection) {
        facts::compute(self, detection);
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }
    pub fn resources_mut(&mut self) -> &mut [Resource] {
        &mut self.resources
    }
    pub fn get(&self, n: usize) -> &Resource {
        &self.resources[n]
    }
    pub fn index_of_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(&id_key(id)).copied()
    }
    pub fn by_id(&self, id: &str) -> Option<&Resource> {
        self.index_of_id(id).map(|n| &self.resources[n])
    }
    pub fn by_address(&self, address: &str) -> Option<&Resource> {
        self.by_address.get(address).map(|&n| &self.resources[n])
    }
    /// The resource whose `properties.principalId` is `principal` (an identity).
    pub fn by_principal_id(&self, principal: &str) -> Option<&Resource> {
        self.by_principal
            .get(&principal.to_ascii_lowercase())
            .map(|&n| &self.resources[n])
    }
    /// Indices of the resources of one ARM type (case-insensitive), in input order.
    pub fn indices_of_type(&self, arm_type: &str) -> &[usize] {
        self.by_type
            .get(&arm_type.to_ascii_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
    pub fn of_type<'a>(&'a self, arm_type: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        self.indices_of_type(arm_type)
            .iter()
            .map(move |&n| &self.resources[n])
    }

    /// The resource a value points to: the resource whose id it holds; while
    /// the value is not (wholly) known, the resource it refers to (a
    /// Terraform reference: `subnet_ids = [azurerm_subnet.mcp.id]`); else an
    /// identity whose principal id it is.
    pub fn deref(&self, value: &Value) -> Option<&Resource> {
        match value {
            Value::String(s) => self.by_id(s).or_else(|| self.by_principal_id(s)),
            other => other.refers_to().and_then(|a| self.by_address(a)),
        }
    }
}

/// Well-known ARM types, spelled as ARM spells them.
pub mod types {
    pub const CONTAINER_GROUP: &str = "Microsoft.ContainerInstance/containerGroups";
    pub const NSG: &str = "Microsoft.Network/networkSecurityGroups";
    pub const NSG_RULE: &str = "Microsoft.Network/networkSecurityGroups/securityRules";
    pub const VNET: &str = "Microsoft.Network/virtualNetworks";
    pub const SUBNET: &str = "Microsoft.Network/virtualNetworks/subnets";
    pub const USER_IDENTITY: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
    pub const FEDERATED_CREDENTIAL: &str =
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";
    pub const APP_FEDERATED_CREDENTIAL: &str =
        "Microsoft.Graph/applications/federatedIdentityCredentials";
    pub const ROLE_ASSIGNMENT: &str = "Microsoft.Authorization/roleAssignments";
    pub const POLICY_DEFINITION: &str = "Microsoft.Authorization/policyDefinitions";
    pub const POLICY_ASSIGNMENT: &str = "Microsoft.Authorization/policyAssignments";
    pub const API_MANAGEMENT: &str = "Microsoft.ApiManagement/service";
    pub const APIM_POLICY: &str = "Microsoft.ApiManagement/service/policies";
    pub const APIM_API_POLICY: &str = "Microsoft.ApiManagement/service/apis/policies";
    /// An API of an API Management service; `properties.type` `mcp` is an MCP API.
    pub const APIM_API: &str = "Microsoft.ApiManagement/service/apis";
    pub const APIM_BACKEND: &str = "Microsoft.ApiManagement/service/backends";
    pub const CONTAINER_APP: &str = "Microsoft.App/containerApps";
    pub const MANAGED_ENVIRONMENT: &str = "Microsoft.App/managedEnvironments";
    /// Easy Auth of a container app (`authConfigs/current`).
    pub const CONTAINER_APP_AUTH: &str = "Microsoft.App/containerApps/authConfigs";
    /// Function apps and web apps, Linux and Windows (`kind` tells them apart).
    pub const SITE: &str = "Microsoft.Web/sites";
    /// A site's configuration: `web` (the site config), `authsettingsV2` (Easy
    /// Auth), `appsettings` (a map of app settings).
    pub const SITE_CONFIG: &str = "Microsoft.Web/sites/config";
    pub const PRIVATE_ENDPOINT: &str = "Microsoft.Network/privateEndpoints";
    pub const DIAGNOSTIC_SETTING: &str = "Microsoft.Insights/diagnosticSettings";
    pub const APIM_LOGGER: &str = "Microsoft.ApiManagement/service/loggers";
    pub const APIM_DIAGNOSTIC: &str = "Microsoft.ApiManagement/service/diagnostics";
    pub const EVENTHUB_NAMESPACE: &str = "Microsoft.EventHub/namespaces";
    pub const EVENTHUB: &str = "Microsoft.EventHub/namespaces/eventhubs";
    pub const SCHEDULED_QUERY_RULE: &str = "Microsoft.Insights/scheduledQueryRules";
    pub const ACTION_GROUP: &str = "Microsoft.Insights/actionGroups";
    pub const LOG_WORKSPACE: &str = "Microsoft.OperationalInsights/workspaces";
    /// Entra ID objects, by the types of the Microsoft Graph Bicep extension.
    pub const GRAPH_APPLICATION: &str = "Microsoft.Graph/applications";
    pub const GRAPH_SERVICE_PRINCIPAL: &str = "Microsoft.Graph/servicePrincipals";
    /// Standalone scopes and roles of an application (`azuread_application_permission_scope`,
    /// `azuread_application_app_role`): pseudo-types, Graph keeps them inside the application.
    pub const GRAPH_SCOPE: &str = "Microsoft.Graph/applications/oauth2PermissionScopes";
    pub const GRAPH_APP_ROLE: &str = "Microsoft.Graph/applications/appRoles";
    /// Conditional Access has no ARM or Bicep type: the pseudo-type is its Graph URL path.
    pub const CONDITIONAL_ACCESS: &str = "Microsoft.Graph/identity/conditionalAccess/policies";

    /// The types that run an MCP server.
    pub const HOSTS: &[&str] = &[CONTAINER_GROUP, CONTAINER_APP, SITE];
}
