//! The Terraform model both Terraform readers produce: the plan reader
//! (`load::plan`) and the source reader (`load::hcl`). One translation
//! (`load::azurerm`) turns it into the ARM-shaped Inventory, so a plan and the
//! source it came from give the same documents.
//!
//! Values follow the plan JSON's conventions: `values` is like a plan's
//! `after`, `unknown` like `after_unknown` (`true` where a value is not known
//! until apply, nested objects/arrays mirroring `values`), `sensitive` like
//! `after_sensitive`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::inventory::Origin;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Managed,
    Data,
}

/// One resource instance, addressed exactly as Terraform prints it
/// (`module.mcp["github"].azurerm_container_group.this[0]`).
#[derive(Debug, Clone)]
pub struct TfResource {
    pub address: String,
    /// The module path part of the address (`module.mcp["github"]`), `""` at the root.
    pub module: String,
    pub mode: Mode,
    /// `azurerm_container_group`
    pub tf_type: String,
    /// The block label (`this`).
    pub name: String,
    /// `count.index` (number) or `each.key` (string), if any.
    pub index: Option<Value>,
    pub values: Value,
    pub unknown: Value,
    pub sensitive: Value,
    /// Attribute path (`subnet_ids`, `identity.0.identity_ids`) → absolute
    /// addresses of the resources its expression refers to (any attribute of
    /// them: `azurerm_user_assigned_identity.x.principal_id` names
    /// `azurerm_user_assigned_identity.x`). Instance keys are kept where the
    /// reader knows them (`azurerm_subnet.x[0]`); else the address names the
    /// resource block and the translation picks the instance.
    pub references: BTreeMap<String, Vec<String>>,
    pub origin: Origin,
}

impl TfResource {
    /// The value at a top-level attribute, `None` when absent or null.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// Whether a top-level attribute is unknown until apply.
    pub fn attr_unknown(&self, name: &str) -> bool {
        self.unknown
            .get(name)
            .is_some_and(|u| u == &Value::Bool(true))
    }
}

/// Everything the Terraform readers hand to the translation.
#[derive(Debug, Clone, Default)]
pub struct TfModel {
    pub resources: Vec<TfResource>,
    /// The subscription to put in synthetic ids, from the provider block,
    /// `ARM_SUBSCRIPTION_ID` or the command line; `None` leaves a placeholder.
    pub subscription_id: Option<String>,
    /// Non-error remarks to carry into the report (registry modules not loaded…).
    pub notes: Vec<String>,
}
