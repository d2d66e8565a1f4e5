//! Federated identity credentials (reference §9): `azurerm_federated_identity_credential`
//! → `…/userAssignedIdentities/federatedIdentityCredentials`, and
//! `azuread_application_federated_identity_credential` → `Microsoft.Graph/applications/federatedIdentityCredentials`.

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec};
use crate::inventory::{types, Value};

const FIELDS: &[Field] = &[
    plain("name", "name"),
    plain("issuer", "properties.issuer"),
    plain("subject", "properties.subject"),
    // azurerm calls the list `audience`, azuread `audiences`.
    f("audience", "properties.audiences", Conv::Plural),
];

/// The parent identity: v4.65+ and v5 `user_assigned_identity_id`, v3–v4.64 `parent_id`.
fn managed_id(b: &Builder<'_>) -> Option<Value> {
    let parent = b
        .id_of("user_assigned_identity_id")
        .or_else(|| b.id_of("parent_id"))?;
    b.child_id(
        &parent,
        &format!("/federatedIdentityCredentials/{}", b.str("name")?),
    )
}

pub const MANAGED: Spec = Spec {
    tf_type: "azurerm_federated_identity_credential",
    arm_type: types::FEDERATED_CREDENTIAL,
    id: IdSpec::Custom(managed_id),
    fields: &[FIELDS],
    finish: None,
};

const APP_FIELDS: &[Field] = &[
    plain("display_name", "name"),
    plain("description", "properties.description"),
    plain("issuer", "properties.issuer"),
    plain("subject", "properties.subject"),
    f("audiences", "properties.audiences", Conv::Plural),
];

/// `<application_object_id or application_id>/federatedIdentityCredentials/<credential_id or display_name>`.
fn application_id(b: &Builder<'_>) -> Option<Value> {
    let app = b
        .id_of("application_object_id")
        .or_else(|| b.id_of("application_id"))?;
    let cred = b.str("credential_id").or_else(|| b.str("display_name"))?;
    b.child_id(&app, &format!("/federatedIdentityCredentials/{cred}"))
}

pub const APPLICATION: Spec = Spec {
    tf_type: "azuread_application_federated_identity_credential",
    arm_type: types::APP_FEDERATED_CREDENTIAL,
    id: IdSpec::Custom(application_id),
    fields: &[APP_FIELDS],
    finish: None,
};
