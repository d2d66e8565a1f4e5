//! `azurerm_api_management_api` → `Microsoft.ApiManagement/service/apis` and
//! `azurerm_api_management_backend` → `Microsoft.ApiManagement/service/backends`.
//! azurerm has no MCP API type: MCP APIs (`properties.type = "mcp"`) come
//! from `azapi_resource` (see `azapi`) or from ARM.

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec};
use crate::inventory::{types, Path, Value};

const API: &[Field] = &[
    plain("name", "name"),
    plain("display_name", "properties.displayName"),
    plain("path", "properties.path"),
    f("protocols", "properties.protocols", Conv::NonEmpty),
    plain("service_url", "properties.serviceUrl"),
    f(
        "subscription_required",
        "properties.subscriptionRequired",
        Conv::DefaultBool(true),
    ),
    f("api_type", "properties.type", Conv::DefaultStr("http")),
    plain("revision", "properties.apiRevision"),
    plain("version", "properties.apiVersion"),
    f("version_set_id", "properties.apiVersionSetId", Conv::Id),
    plain("description", "properties.description"),
];

pub const API_SPEC: Spec = Spec {
    tf_type: "azurerm_api_management_api",
    arm_type: types::APIM_API,
    id: IdSpec::Group("Microsoft.ApiManagement/service/{api_management_name}/apis/{name}"),
    fields: &[API],
    finish: None,
};

const BACKEND: &[Field] = &[
    plain("name", "name"),
    plain("protocol", "properties.protocol"),
    plain("url", "properties.url"),
    plain("resource_id", "properties.resourceId"),
    plain("description", "properties.description"),
    plain("title", "properties.title"),
    f(
        "tls.0.validate_certificate_chain",
        "properties.tls.validateCertificateChain",
        Conv::Plain,
    ),
    f(
        "tls.0.validate_certificate_name",
        "properties.tls.validateCertificateName",
        Conv::Plain,
    ),
];

pub const BACKEND_SPEC: Spec = Spec {
    tf_type: "azurerm_api_management_backend",
    arm_type: types::APIM_BACKEND,
    id: IdSpec::Group("Microsoft.ApiManagement/service/{api_management_name}/backends/{name}"),
    fields: &[BACKEND],
    finish: Some(finish_backend),
};

/// A backend URL built from a site's or container app's host name
/// (`"https://${azurerm_linux_function_app.mcp.default_hostname}/runtime/webhooks/mcp"`)
/// is not known before apply, but it names that resource: the link is kept,
/// so the site is known to be the backend.
fn finish_backend(b: &mut Builder<'_>) {
    let url = Path::parse("properties.url");
    let Some(target) = b.referenced_addresses("url").first().map(|s| s.to_string()) else {
        return;
    };
    match b.doc.take(&url) {
        Some(Value::Unknown(mut u)) => {
            if u.refers_to().is_none() {
                u.set_refers_to(target);
            }
            b.put(&url, Value::Unknown(u));
        }
        Some(Value::Partial(mut p)) => {
            std::sync::Arc::make_mut(&mut p).of.get_or_insert(target);
            b.put(&url, Value::Partial(p));
        }
        Some(other) => b.put(&url, other),
        None => {}
    }
}
