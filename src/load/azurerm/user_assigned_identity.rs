//! `azurerm_user_assigned_identity` → `Microsoft.ManagedIdentity/userAssignedIdentities`
//! (reference §8), and `azurerm_resource_group`, which other ids hang under.

use super::table::{plain, Field, IdSpec, Spec, COMMON};
use crate::inventory::types;

const FIELDS: &[Field] = &[
    plain("client_id", "properties.clientId"),
    plain("principal_id", "properties.principalId"),
    plain("tenant_id", "properties.tenantId"),
    plain("isolation_scope", "properties.isolationScope"),
];

pub const SPEC: Spec = Spec {
    tf_type: "azurerm_user_assigned_identity",
    arm_type: types::USER_IDENTITY,
    id: IdSpec::Group("Microsoft.ManagedIdentity/userAssignedIdentities/{name}"),
    fields: &[COMMON, FIELDS],
    finish: None,
};

pub const RESOURCE_GROUP: Spec = Spec {
    tf_type: "azurerm_resource_group",
    arm_type: "Microsoft.Resources/resourceGroups",
    id: IdSpec::Subscription("resourceGroups/{name}"),
    fields: &[COMMON],
    finish: None,
};
