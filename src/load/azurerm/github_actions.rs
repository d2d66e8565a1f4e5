//! The GitHub provider's Actions variables and secrets
//! (`github_actions_variable`, `github_actions_secret`, their
//! `_environment_` and `_organization_` forms) → the pseudo-type
//! `GitHub.Actions/variables`, so that a workflow's `client-id: ${{
//! vars.AZURE_CLIENT_ID }}` can be followed to the identity whose client id
//! the configuration stores there (MCP025). A secret's value is sensitive:
//! rules may read it, reports never print it.

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec};
use crate::inventory::Value;

pub const VARIABLES_TYPE: &str = "GitHub.Actions/variables";

const VARIABLE: &[Field] = &[
    plain("variable_name", "name"),
    plain("repository", "properties.repository"),
    plain("environment", "properties.environment"),
    // `Principal`: while the value is unknown it still names the resource
    // it comes from (`azurerm_user_assigned_identity.x.client_id`).
    f("value", "properties.value", Conv::Principal),
];

const SECRET: &[Field] = &[
    plain("secret_name", "name"),
    plain("repository", "properties.repository"),
    plain("environment", "properties.environment"),
    f("plaintext_value", "properties.value", Conv::Principal),
];

/// Ids are synthetic: GitHub objects have no ARM id.
fn github_id(b: &Builder<'_>) -> Option<Value> {
    Some(Value::String(format!("/github/{}", b.tf.address)))
}

fn secret_finish(b: &mut Builder<'_>) {
    b.mark_sensitive(crate::inventory::Path::parse("properties.value"));
    b.put(&crate::inventory::Path::parse("properties.kind"), "secret");
}

fn variable_finish(b: &mut Builder<'_>) {
    b.put(
        &crate::inventory::Path::parse("properties.kind"),
        "variable",
    );
}

macro_rules! spec {
    ($name:ident, $tf:literal, $fields:ident, $fin:ident) => {
        pub const $name: Spec = Spec {
            tf_type: $tf,
            arm_type: VARIABLES_TYPE,
            id: IdSpec::Custom(github_id),
            fields: &[$fields],
            finish: Some($fin),
        };
    };
}

spec!(
    VARIABLE_SPEC,
    "github_actions_variable",
    VARIABLE,
    variable_finish
);
spec!(
    ENV_VARIABLE_SPEC,
    "github_actions_environment_variable",
    VARIABLE,
    variable_finish
);
spec!(
    ORG_VARIABLE_SPEC,
    "github_actions_organization_variable",
    VARIABLE,
    variable_finish
);
spec!(SECRET_SPEC, "github_actions_secret", SECRET, secret_finish);
spec!(
    ENV_SECRET_SPEC,
    "github_actions_environment_secret",
    SECRET,
    secret_finish
);
spec!(
    ORG_SECRET_SPEC,
    "github_actions_organization_secret",
    SECRET,
    secret_finish
);
