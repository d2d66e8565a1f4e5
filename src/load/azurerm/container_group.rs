//! `azurerm_container_group` → `Microsoft.ContainerInstance/containerGroups` (reference §1).

use serde_json::json;

use super::table::{f, plain, Builder, Conv, Field, IdSpec, Spec, COMMON, IDENTITY};
use crate::inventory::{types, Path, Value};

const ENV: &[Field] = &[
    f(
        "environment_variables",
        "properties.environmentVariables",
        Conv::NameValue("value"),
    ),
    f(
        "secure_environment_variables",
        "properties.environmentVariables",
        Conv::NameValue("secureValue"),
    ),
];

const VOLUME_MOUNT: &[Field] = &[
    plain("name", "name"),
    plain("mount_path", "mountPath"),
    plain("read_only", "readOnly"),
];

const CONTAINER: &[Field] = &[
    plain("name", "name"),
    plain("image", "properties.image"),
    plain("cpu", "properties.resources.requests.cpu"),
    plain("memory", "properties.resources.requests.memoryInGB"),
    f("ports", "properties.ports", Conv::NonEmpty),
    f("commands", "properties.command", Conv::NonEmpty),
    ENV[0],
    ENV[1],
    f(
        "volume",
        "properties.volumeMounts",
        Conv::Blocks(VOLUME_MOUNT),
    ),
    plain(
        "security.0.privilege_enabled",
        "properties.securityContext.privileged",
    ),
    f(
        "readiness_probe.0.exec",
        "properties.readinessProbe.exec.command",
        Conv::NonEmpty,
    ),
    plain(
        "readiness_probe.0.http_get.0.path",
        "properties.readinessProbe.httpGet.path",
    ),
    plain(
        "readiness_probe.0.http_get.0.port",
        "properties.readinessProbe.httpGet.port",
    ),
    plain(
        "readiness_probe.0.initial_delay_seconds",
        "properties.readinessProbe.initialDelaySeconds",
    ),
    f(
        "liveness_probe.0.exec",
        "properties.livenessProbe.exec.command",
        Conv::NonEmpty,
    ),
    plain(
        "liveness_probe.0.http_get.0.path",
        "properties.livenessProbe.httpGet.path",
    ),
    plain(
        "liveness_probe.0.http_get.0.port",
        "properties.livenessProbe.httpGet.port",
    ),
    plain(
        "liveness_probe.0.initial_delay_seconds",
        "properties.livenessProbe.initialDelaySeconds",
    ),
];

const INIT_CONTAINER: &[Field] = &[
    plain("name", "name"),
    plain("image", "properties.image"),
    f("commands", "properties.command", Conv::NonEmpty),
    ENV[0],
    ENV[1],
    f(
        "volume",
        "properties.volumeMounts",
        Conv::Blocks(VOLUME_MOUNT),
    ),
    plain(
        "security.0.privilege_enabled",
        "properties.securityContext.privileged",
    ),
];

const REGISTRY: &[Field] = &[
    plain("server", "server"),
    plain("username", "username"),
    f("password", "password", Conv::Secret),
    f("user_assigned_identity_id", "identity", Conv::Id),
];

const FIELDS: &[Field] = &[
    f("zones", "zones", Conv::NonEmpty),
    f("sku", "properties.sku", Conv::DefaultStr("Standard")),
    plain("os_type", "properties.osType"),
    f(
        "restart_policy",
        "properties.restartPolicy",
        Conv::DefaultStr("Always"),
    ),
    plain("priority", "properties.priority"),
    f("subnet_ids", "properties.subnetIds", Conv::IdObjs),
    f(
        "dns_config.0.nameservers",
        "properties.dnsConfig.nameServers",
        Conv::NonEmpty,
    ),
    f(
        "dns_config.0.search_domains",
        "properties.dnsConfig.searchDomains",
        Conv::Join,
    ),
    f(
        "dns_config.0.options",
        "properties.dnsConfig.options",
        Conv::Join,
    ),
    f(
        "key_vault_user_assigned_identity_id",
        "properties.encryptionProperties.identity",
        Conv::Id,
    ),
    f(
        "diagnostics.0.log_analytics.0.workspace_id",
        "properties.diagnostics.logAnalytics.workspaceId",
        Conv::Plain,
    ),
    f(
        "diagnostics.0.log_analytics.0.workspace_key",
        "properties.diagnostics.logAnalytics.workspaceKey",
        Conv::Secret,
    ),
    plain(
        "diagnostics.0.log_analytics.0.log_type",
        "properties.diagnostics.logAnalytics.logType",
    ),
    plain(
        "diagnostics.0.log_analytics.0.metadata",
        "properties.diagnostics.logAnalytics.metadata",
    ),
    f(
        "image_registry_credential",
        "properties.imageRegistryCredentials",
        Conv::Blocks(REGISTRY),
    ),
    f(
        "container",
        "properties.containers",
        Conv::Blocks(CONTAINER),
    ),
    f(
        "init_container",
        "properties.initContainers",
        Conv::Blocks(INIT_CONTAINER),
    ),
];

pub const SPEC: Spec = Spec {
    tf_type: "azurerm_container_group",
    arm_type: types::CONTAINER_GROUP,
    id: IdSpec::Group("Microsoft.ContainerInstance/containerGroups/{name}"),
    fields: &[COMMON, IDENTITY, FIELDS],
    finish: Some(finish),
};

fn finish(b: &mut Builder<'_>) {
    ip_address(b);
    encryption(b);
    volumes(b);
}

/// `ip_address_type` (default Public; `None` means no `ipAddress` at all), its
/// DNS label and ports: `exposed_port`, else every container port.
fn ip_address(b: &mut Builder<'_>) {
    let base = Path::parse("properties.ipAddress");
    if b.is_unknown("ip_address_type") {
        b.mark_unknown(base.key("type"));
    } else {
        let t = b.str("ip_address_type").unwrap_or("Public");
        if t.eq_ignore_ascii_case("None") {
            return;
        }
        b.put(&base.key("type"), Value::String(t.to_string()));
    }
    b.apply(
        &[
            plain("dns_name_label", "dnsNameLabel"),
            plain(
                "dns_name_label_reuse_policy",
                "autoGeneratedDomainNameLabelScope",
            ),
        ],
        "",
        &base,
    );
    let exposed = b
        .get("exposed_port")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let ports: Vec<Value> = match exposed {
        Some(a) => a.iter().map(port).collect(),
        None => {
            let mut all: Vec<Value> = Vec::new();
            for c in b
                .get("container")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for p in c
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let p = port(p);
                    if !all.contains(&p) {
                        all.push(p);
                    }
                }
            }
            all
        }
    };
    if !ports.is_empty() {
        b.put(&base.key("ports"), Value::Array(ports));
    }
    for (tf, arm) in [("ip_address", "ip"), ("fqdn", "fqdn")] {
        if b.is_unknown(tf) {
            b.mark_unknown(base.key(arm));
        } else if let Some(v) = b.str(tf) {
            b.put(&base.key(arm), Value::String(v.to_string()));
        }
    }
}

fn port(p: &Value) -> Value {
    let mut m = crate::inventory::value::Map::new();
    for k in ["port", "protocol"] {
        if let Some(v) = p.get(k).filter(|v| !v.is_null()) {
            m.insert(k.to_string(), v.clone());
        }
    }
    Value::Object(m)
}

/// `key_vault_key_id` (`https://v.vault.azure.net/keys/name/version`) → vault URL, key name, version.
fn encryption(b: &mut Builder<'_>) {
    let base = Path::parse("properties.encryptionProperties");
    if b.is_unknown("key_vault_key_id") {
        b.mark_unknown(base.key("keyName"));
        return;
    }
    let Some(url) = b.str("key_vault_key_id") else {
        return;
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return;
    };
    let mut parts = rest.split('/');
    let host = parts.next().unwrap_or("");
    let (kind, name, version) = (parts.next(), parts.next(), parts.next());
    if kind != Some("keys") {
        return;
    }
    b.put(
        &base.key("vaultBaseUrl"),
        json!(format!("{scheme}://{host}")),
    );
    if let Some(n) = name {
        b.put(&base.key("keyName"), json!(n));
    }
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        b.put(&base.key("keyVersion"), json!(v));
    }
}

/// Group-level `volumes` from the containers' `volume` blocks (ARM keeps the
/// volume at the group and only the mount in the container).
fn volumes(b: &mut Builder<'_>) {
    let mut vols: Vec<Value> = Vec::new();
    let mut secret_keys: Vec<usize> = Vec::new();
    for block in ["container", "init_container"] {
        for c in b.get(block).and_then(Value::as_array).into_iter().flatten() {
            for v in c
                .get("volume")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(name) = v.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if vols
                    .iter()
                    .any(|x| x.get("name").and_then(Value::as_str) == Some(name))
                {
                    continue;
                }
                // Values are copied as they are: an unknown one stays unknown.
                let copy = |from: &Value, k: &str| from.get(k).cloned().unwrap_or(Value::Null);
                let mut vol = Value::from(json!({ "name": name }));
                if v.get("share_name").is_some_and(|s| !s.is_null()) {
                    let f = &mut vol["azureFile"];
                    f["shareName"] = copy(v, "share_name");
                    f["storageAccountName"] = copy(v, "storage_account_name");
                    f["readOnly"] = v.get("read_only").cloned().unwrap_or(Value::Bool(false));
                    if v.get("storage_account_key").is_some_and(|k| !k.is_null()) {
                        f["storageAccountKey"] = copy(v, "storage_account_key");
                        secret_keys.push(vols.len());
                    }
                } else if let Some(repo) = v
                    .get("git_repo")
                    .and_then(Value::as_array)
                    .and_then(|a| a.first())
                {
                    let g = &mut vol["gitRepo"];
                    g["repository"] = copy(repo, "url");
                    g["directory"] = copy(repo, "directory");
                    g["revision"] = copy(repo, "revision");
                } else if let Some(sec) = v.get("secret").filter(|x| x.is_object()) {
                    vol["secret"] = sec.clone();
                    secret_keys.push(vols.len());
                } else {
                    vol["emptyDir"] = Value::Object(Default::default());
                }
                vols.push(vol);
            }
        }
    }
    if vols.is_empty() {
        return;
    }
    let base = Path::parse("properties.volumes");
    for n in secret_keys {
        let p = if vols[n].get("secret").is_some() {
            base.index(n).key("secret")
        } else {
            base.index(n).key("azureFile").key("storageAccountKey")
        };
        b.mark_sensitive(p);
    }
    b.put(&base, Value::Array(vols));
}
