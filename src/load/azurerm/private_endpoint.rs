//! `azurerm_private_endpoint` → `Microsoft.Network/privateEndpoints`: the
//! subnet the endpoint sits in, and the resource each connection reaches.

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, COMMON};
use crate::inventory::{types, Path, Value};

const CONNECTION: &[Field] = &[
    plain("name", "name"),
    f(
        "private_connection_resource_id",
        "properties.privateLinkServiceId",
        Conv::Id,
    ),
    f(
        "private_connection_resource_alias",
        "properties.privateLinkServiceId",
        Conv::Plain,
    ),
    f("subresource_names", "properties.groupIds", Conv::NonEmpty),
    plain("request_message", "properties.requestMessage"),
];

const FIELDS: &[Field] = &[
    f("subnet_id", "properties.subnet", Conv::IdObj),
    plain(
        "custom_network_interface_name",
        "properties.customNetworkInterfaceName",
    ),
    f(
        "private_service_connection",
        "properties.privateLinkServiceConnections",
        Conv::Blocks(CONNECTION),
    ),
];

pub const SPEC: Spec = Spec {
    tf_type: "azurerm_private_endpoint",
    arm_type: types::PRIVATE_ENDPOINT,
    id: IdSpec::Group("Microsoft.Network/privateEndpoints/{name}"),
    fields: &[COMMON, FIELDS],
    finish: Some(finish),
};

/// A connection with `is_manual_connection` waits for the target's owner to
/// approve it: ARM lists it under `manualPrivateLinkServiceConnections`.
fn finish(b: &mut Builder<'_>) {
    let blocks = b
        .get("private_service_connection")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !blocks
        .iter()
        .any(|c| c.get("is_manual_connection") == Some(&Value::Bool(true)))
    {
        return;
    }
    let auto = Path::parse("properties.privateLinkServiceConnections");
    let Some(Value::Array(all)) = b.doc.take(&auto) else {
        return;
    };
    let (mut keep, mut manual) = (Vec::new(), Vec::new());
    for (c, block) in all.into_iter().zip(&blocks) {
        if block.get("is_manual_connection") == Some(&Value::Bool(true)) {
            manual.push(c);
        } else {
            keep.push(c);
        }
    }
    b.put(&auto, Value::Array(keep));
    b.put(
        &Path::parse("properties.manualPrivateLinkServiceConnections"),
        Value::Array(manual),
    );
}
