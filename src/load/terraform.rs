//! The Terraform model both Terraform readers produce: the plan reader
//! (`load::plan`) and the source reader (`load::hcl`). One translation
//! (`load::azurerm`) turns it into the ARM-shaped Inventory, so a plan and the
//! source it came from give the same documents.
//!
//! `values` are the attributes as they will be after apply, each known,
//! unknown or partly known ([`Value`]): a plan's `after` and `after_unknown`
//! in one tree. `sensitive` is like the plan's `after_sensitive`.

use std::collections::BTreeMap;

use crate::inventory::{Origin, Value};

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
    pub index: Option<serde_json::Value>,
    pub values: Value,
    /// `true` where a value is secret, mirroring `values` (plan `after_sensitive`).
    pub sensitive: serde_json::Value,
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
}

/// Everything the Terraform readers hand to the translation.
#[derive(Debug, Clone, Default)]
pub struct TfModel {
    pub resources: Vec<TfResource>,
    /// The subscription ids are built under, from the provider block,
    /// `ARM_SUBSCRIPTION_ID` or the command line; `None` leaves it unknown in
    /// every id built from names.
    pub subscription_id: Option<String>,
    /// Non-error remarks to carry into the report (registry modules not loaded…).
    pub notes: Vec<String>,
}
