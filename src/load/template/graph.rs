//! Resources of Bicep's Microsoft Graph extension (`extension
//! microsoftGraphV1` in a `.bicep` file) into the model's Graph documents,
//! the shape [`crate::load::azurerm::entra`] gives Terraform's `azuread_*`.
//!
//! Bicep compiles them into a languageVersion 2.0 template as
//! `"imports": {"<alias>": {"provider": "MicrosoftGraph", "version": …}}` and
//! resources with `"import": "<alias>"` and a type carrying its version
//! (`Microsoft.Graph/applications@v1.0`); with the experimental module
//! extension configs it writes `"extensions"` (`name`), `"extension"`, and
//! the version as `apiVersion`. Either way the whole Graph body sits under
//! `properties` and there is no ARM `name`. Here the version is dropped, the
//! body's fields are lifted to the top level (as a Graph GET shows them),
//! and `name` is the display name (else the unique name), as for Terraform.
//!
//! What Graph assigns at deployment is unknown, never made up: an object's
//! id (`/applications/{unknown}`), an application's `appId`, and every
//! `reference('app').appId` or `.id` another object reads. A federated
//! identity credential keeps its fields under `properties`, as the model
//! holds `azuread_application_federated_identity_credential`, so the same
//! rules (MCP006, the workflow logins) read both.
//!
//! Resources of other extensions (Kubernetes, …) are not ARM resources and
//! are skipped with a note; `AzureResourceManager` ones are ARM resources.

use serde_json::Value as Json;

use super::copy::eval_with_loops;
use super::depends::Node;
use super::eval::{Failed, Scope};
use super::expand::Out;
use crate::inventory::value::Map;
use crate::inventory::{types, Part, Partial, Unknown, Value};
use crate::load::arm::{canonical_type, ModelDoc};

const GRAPH_PREFIX: &str = "microsoft.graph/";

/// Which reader a resource declaration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'t> {
    Arm,
    Graph,
    /// A resource of another extension, by the extension's name.
    Other(&'t str),
}

/// The extension of a declaration: the `extension` (or older `import`) key
/// naming an entry of the template's `extensions` (or `imports`), else a
/// `Microsoft.Graph/…@version` type. An alias the template does not declare
/// is refused, as ARM refuses it.
pub fn kind<'t>(tpl: &'t Json, raw: &'t Json, detail: &str) -> Result<Kind<'t>, Failed> {
    let alias = raw
        .get("extension")
        .or_else(|| raw.get("import"))
        .and_then(Json::as_str);
    let Some(alias) = alias else {
        let versioned_graph = raw
            .get("type")
            .and_then(Json::as_str)
            .is_some_and(|t| t.contains('@') && t.to_ascii_lowercase().starts_with(GRAPH_PREFIX));
        return Ok(if versioned_graph {
            Kind::Graph
        } else {
            Kind::Arm
        });
    };
    let declared = ["extensions", "imports"].iter().find_map(|k| {
        tpl.get(*k)?
            .as_object()?
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(alias))
            .map(|(_, v)| v)
    });
    let Some(declared) = declared else {
        return Err(Failed::from(format!(
            "{detail}: extension `{alias}` is not declared in the template's `extensions` or `imports`"
        ))
        .at(alias));
    };
    let name = declared
        .get("name")
        .or_else(|| declared.get("provider"))
        .and_then(Json::as_str)
        .unwrap_or(alias);
    // Bicep's v1.0 and beta Graph types both name the extension `MicrosoftGraph`.
    Ok(if name.to_ascii_lowercase().starts_with("microsoftgraph") {
        Kind::Graph
    } else if name.eq_ignore_ascii_case("AzureResourceManager") {
        Kind::Arm
    } else {
        Kind::Other(name)
    })
}

/// The note for a resource of an extension mcpguard does not read.
pub fn skipped(detail: &str, extension: &str) -> String {
    format!(
        "{detail}: a resource of the `{extension}` extension is not scanned (mcpguard reads ARM resources and Microsoft Graph objects)"
    )
}

/// One instance of a Graph resource: its dependency node, and its document
/// unless it is `existing` (read by the deployment, not deployed by it).
pub fn instance(
    raw: &Json,
    symbol: Option<&str>,
    detail: &str,
    loop_name: Option<&str>,
    nodes: &mut Vec<Node>,
    out: &mut Out,
    scope: &Scope,
) -> Result<(), Failed> {
    let ty = graph_type(raw, detail)?;
    // Only the symbolic name orders Graph objects: their ids and names are
    // no ARM ids or names a `dependsOn` could hold.
    nodes.push(Node::new(
        symbol,
        &Value::Null,
        &Value::Null,
        loop_name,
        raw.get("dependsOn"),
        scope,
    )?);
    if raw.get("existing").and_then(Json::as_bool) == Some(true) {
        return Ok(());
    }
    let body = match raw.get("properties") {
        Some(p @ Json::Object(_)) => match eval_with_loops(p, scope)? {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        None => Map::new(),
        Some(_) => {
            return Err(format!(
                "{detail}: the body of a Microsoft Graph resource (`properties`) must be an object"
            )
            .into())
        }
    };
    let doc = if is_credential(&ty) {
        let raw_name = raw.pointer("/properties/name").and_then(Json::as_str);
        credential(&ty, body, detail).map_err(|f| match raw_name {
            Some(n) => f.at(n),
            None => f,
        })?
    } else {
        object(&ty, body, symbol.unwrap_or(detail))
    };
    out.docs.push(ModelDoc {
        doc,
        detail: detail.to_string(),
    });
    Ok(())
}

/// The type without its version, in the model's spelling when it has one.
fn graph_type(raw: &Json, detail: &str) -> Result<String, Failed> {
    let Some(t) = raw.get("type").and_then(Json::as_str) else {
        return Err(format!("{detail}: a resource needs a `type`").into());
    };
    let bare = t.split('@').next().unwrap_or(t).trim();
    let l = bare.to_ascii_lowercase();
    if !l.starts_with(GRAPH_PREFIX) || l.len() == GRAPH_PREFIX.len() {
        return Err(Failed::from(format!(
            "{detail}: `{t}` is not a Microsoft Graph type (`Microsoft.Graph/<type>@<version>`)"
        ))
        .at(t));
    }
    Ok(canonical_type(bare)
        .map(str::to_string)
        .unwrap_or_else(|| bare.to_string()))
}

fn is_credential(ty: &str) -> bool {
    ty.eq_ignore_ascii_case(types::APP_FEDERATED_CREDENTIAL)
}

/// A Graph object: id unknown but for its collection, the body's fields at
/// the top level, named by display name (else unique name).
fn object(ty: &str, body: Map, symbol: &str) -> Value {
    let path = &ty[GRAPH_PREFIX.len()..];
    let mut doc = Map::new();
    doc.insert("id".into(), object_id(path));
    doc.insert("type".into(), Value::from(ty));
    if let Some(name) = body.get("displayName").or_else(|| body.get("uniqueName")) {
        doc.insert("name".into(), name.clone());
    }
    for (k, v) in body {
        // The id and type are the deployment's, not the body's to set.
        if k != "id" && k != "type" {
            doc.entry(k).or_insert(v);
        }
    }
    if ty.eq_ignore_ascii_case(types::GRAPH_APPLICATION) {
        // Graph assigns the client id when it creates the application.
        doc.entry("appId".into()).or_insert_with(|| {
            Unknown::because(format!(
                "appId of application `{symbol}` (Microsoft Graph assigns it at deployment)"
            ))
        });
    }
    Value::Object(doc)
}

/// `/<collection>/{unknown}` per level of the type; an app role assignment
/// lives under the service principal it is assigned on.
fn object_id(path: &str) -> Value {
    let mut parts = Vec::new();
    if path.eq_ignore_ascii_case("appRoleAssignedTo") {
        parts.push(Part::Lit("/servicePrincipals/".into()));
        parts.push(Part::Segment);
    }
    for seg in path.split('/') {
        parts.push(Part::Lit(format!("/{seg}/")));
        parts.push(Part::Segment);
    }
    Partial::build(parts, None)
}

/// A federated identity credential of an application: Bicep names it
/// `<application uniqueName>/<credential name>`; a GET shows the last part.
fn credential(ty: &str, mut body: Map, detail: &str) -> Result<Value, Failed> {
    let full = body.remove("name").unwrap_or(Value::Null);
    if let Value::String(s) = &full {
        if !s.contains('/') {
            return Err(format!(
                "{detail}: a federated identity credential is named `<application uniqueName>/<credential name>`, not `{s}`"
            )
            .into());
        }
    }
    let own = match &full {
        Value::Null => {
            return Err(format!(
                "{detail}: a federated identity credential needs a `name` (`<application uniqueName>/<credential name>`)"
            )
            .into())
        }
        v => last_segment(v),
    };
    let mut parts = vec![
        Part::Lit("/applications/".into()),
        Part::Segment,
        Part::Lit("/federatedIdentityCredentials/".into()),
    ];
    parts.extend(match &own {
        Value::String(s) => vec![Part::Lit(s.clone())],
        Value::Partial(p) => p.parts.clone(),
        _ => vec![Part::Segment],
    });
    let mut doc = Map::new();
    doc.insert("id".into(), Partial::build(parts, None));
    doc.insert("type".into(), Value::from(ty));
    doc.insert("name".into(), own);
    doc.insert("properties".into(), Value::Object(body));
    Ok(Value::Object(doc))
}

/// What follows the last `/` of a name: known if that much is known.
fn last_segment(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::from(s.rsplit('/').next().unwrap_or(s)),
        Value::Partial(p) => {
            let Some(at) = p
                .parts
                .iter()
                .rposition(|x| matches!(x, Part::Lit(s) if s.contains('/')))
            else {
                return Unknown::present();
            };
            let mut parts = Vec::new();
            if let Part::Lit(s) = &p.parts[at] {
                parts.push(Part::Lit(s.rsplit('/').next().unwrap_or("").into()));
            }
            parts.extend(p.parts[at + 1..].iter().cloned());
            Partial::build(parts, None)
        }
        _ => Unknown::present(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_known_only_up_to_the_object_id() {
        let show = |v: Value| v.as_partial().map(|p| p.to_string()).unwrap();
        assert_eq!(show(object_id("applications")), "/applications/{unknown}");
        assert_eq!(
            show(object_id("appRoleAssignedTo")),
            "/servicePrincipals/{unknown}/appRoleAssignedTo/{unknown}"
        );
    }

    #[test]
    fn a_credential_is_named_by_its_own_part() {
        assert_eq!(last_segment(&Value::from("app/fic")), Value::from("fic"));
        let partial = Partial::build(vec![Part::Gap, Part::Lit("/gh-main".into())], None);
        assert_eq!(last_segment(&partial), Value::from("gh-main"));
        let tail = Partial::build(vec![Part::Lit("app/fic-".into()), Part::Gap], None);
        assert_eq!(
            last_segment(&tail).as_partial().unwrap().to_string(),
            "fic-{unknown}"
        );
        assert!(last_segment(&Unknown::present()).is_unknown());
    }

    #[test]
    fn extension_of_a_declaration() {
        let tpl = serde_json::json!({
            "imports": {"graph": {"provider": "MicrosoftGraph", "version": "1.0.0"}},
            "extensions": {"k8s": {"name": "Kubernetes", "version": "1.0.0"},
                           "az": {"name": "AzureResourceManager", "version": "0.2.784"}}
        });
        let k = |raw: Json| kind(&tpl, Box::leak(Box::new(raw)), "r").map_err(|f| f.message);
        let graph = serde_json::json!({"import": "graph", "type": "Microsoft.Graph/groups@v1.0"});
        assert_eq!(k(graph), Ok(Kind::Graph));
        let bare = serde_json::json!({"type": "Microsoft.Graph/applications@beta"});
        assert_eq!(k(bare), Ok(Kind::Graph));
        let az = serde_json::json!({"extension": "az", "type": "Microsoft.Web/sites"});
        assert_eq!(k(az), Ok(Kind::Arm));
        let k8s = serde_json::json!({"extension": "k8s", "type": "apps/Deployment@v1"});
        assert_eq!(k(k8s), Ok(Kind::Other("Kubernetes")));
        let undeclared = serde_json::json!({"extension": "nope", "type": "x/y@v1"});
        assert!(k(undeclared)
            .unwrap_err()
            .contains("`nope` is not declared"));
    }
}
