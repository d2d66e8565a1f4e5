//! The scope functions: `subscription()`, `resourceGroup()` and the rest read
//! the [`Deployment`]; the `*ResourceId` functions build ids from it, partly
//! known where a part is not known (`/subscriptions/{unknown}/…`).

use super::strings::parts;
use super::{arg, Deployment};
use crate::inventory::{Part, Partial, Unknown, Value};

pub(super) fn scope_call(name: &str, args: &[Value], d: &Deployment) -> Result<Value, String> {
    match name {
        "subscription" => Ok(d.subscription.clone()),
        "resourcegroup" => Ok(d.resource_group.clone()),
        "deployment" => Ok(d.deployment.clone()),
        "tenant" => Ok(d.tenant.clone()),
        "managementgroup" => Ok(d.management_group.clone()),
        "environment" => Ok(d.environment.clone()),
        "utcnow" => Ok(utc_now(args, d)),
        "resourceid" => resource_id(args, d),
        "subscriptionresourceid" => subscription_resource_id(args, d),
        "tenantresourceid" => typed_tail(name, args, 0).map(|t| build(vec![], t)),
        "managementgroupresourceid" => management_group_resource_id(args, d),
        "extensionresourceid" => {
            let base = parts(arg(name, args, 0)?);
            typed_tail(name, args, 1).map(|t| build(base, t))
        }
        other => Err(format!("`{other}` is not a scope function")),
    }
}

fn utc_now(args: &[Value], d: &Deployment) -> Value {
    match d.now {
        Some(now) if args.is_empty() => now
            .format(&time::format_description::well_known::Rfc3339)
            .map(Value::from)
            .unwrap_or_else(|_| Unknown::present()),
        _ => Unknown::because("utcNow() (the time of the deployment)"),
    }
}

/// The parts of an id: `/subscriptions/{sub}/resourceGroups/{rg}/providers/…`.
/// A part not known is one path segment (`Part::Segment`) when it is a name.
pub fn resource_id_parts(sub: &Value, rg: &Value) -> Vec<Part> {
    let mut p = vec![Part::Lit("/subscriptions/".into())];
    p.extend(segment(sub));
    p.push(Part::Lit("/resourceGroups/".into()));
    p.extend(segment(rg));
    p
}

/// A name as id parts: unknown is one segment, not any text.
fn segment(v: &Value) -> Vec<Part> {
    match v {
        Value::Unknown(_) => vec![Part::Segment],
        other => parts(other),
    }
}

/// `type`, `name1`, `name2`… from argument `from` on, as id parts:
/// `/providers/Microsoft.Network/virtualNetworks/v/subnets/s`. A name given
/// as `v/s` for a child type is split as ARM splits it.
fn typed_tail(name: &str, args: &[Value], from: usize) -> Result<Vec<Part>, String> {
    let ty = match arg(name, args, from)? {
        Value::String(t) => t.clone(),
        other => {
            return Ok(vec![Part::Lit("/providers/".into())]
                .into_iter()
                .chain(parts(other))
                .collect())
        }
    };
    let segs: Vec<&str> = ty.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() < 2 || !segs[0].contains('.') {
        return Err(format!("{name}: `{ty}` is not a resource type"));
    }
    let mut names: Vec<Value> = Vec::new();
    for n in &args[from + 1..] {
        match n {
            Value::String(s) if s.contains('/') => {
                names.extend(s.split('/').map(|x| Value::from(x.to_string())))
            }
            other => names.push(other.clone()),
        }
    }
    if names.len() != segs.len() - 1 {
        return Err(format!(
            "{name}: `{ty}` takes {} name(s), {} given",
            segs.len() - 1,
            names.len()
        ));
    }
    let mut p = vec![Part::Lit(format!("/providers/{}", segs[0]))];
    for (t, n) in segs[1..].iter().zip(&names) {
        p.push(Part::Lit(format!("/{t}/")));
        p.extend(segment(n));
    }
    Ok(p)
}

fn build(mut head: Vec<Part>, tail: Vec<Part>) -> Value {
    head.extend(tail);
    Partial::build(head, None)
}

/// Where the type argument is: the first argument that names a type
/// (`Namespace.Provider/type`); the ones before it are scope names.
fn type_position(args: &[Value]) -> Option<usize> {
    args.iter().position(|a| match a {
        Value::String(s) => {
            s.split('/').next().is_some_and(|ns| ns.contains('.')) && s.contains('/')
        }
        _ => false,
    })
}

fn resource_id(args: &[Value], d: &Deployment) -> Result<Value, String> {
    let at = type_position(args).ok_or_else(|| {
        // A type not known yet: the id is unknown too.
        "resourceId: no resource type among the arguments".to_string()
    });
    let at = match at {
        Ok(at) => at,
        Err(e) if args.iter().any(Value::is_unknown) => {
            return Ok(Unknown::because(format!("resourceId() ({e})")))
        }
        Err(e) => return Err(e),
    };
    let (sub, rg) = match at {
        0 => (d.subscription_id(), d.resource_group_name()),
        1 => (d.subscription_id(), args[0].clone()),
        2 => (args[0].clone(), args[1].clone()),
        _ => {
            return Err(
                "resourceId: at most a subscription and a resource group before the type".into(),
            )
        }
    };
    let tail = typed_tail("resourceId", args, at)?;
    Ok(build(resource_id_parts(&sub, &rg), tail))
}

fn subscription_resource_id(args: &[Value], d: &Deployment) -> Result<Value, String> {
    let at = type_position(args).unwrap_or(0);
    let sub = if at == 1 {
        args[0].clone()
    } else {
        d.subscription_id()
    };
    let mut head = vec![Part::Lit("/subscriptions/".into())];
    head.extend(segment(&sub));
    Ok(build(head, typed_tail("subscriptionResourceId", args, at)?))
}

fn management_group_resource_id(args: &[Value], d: &Deployment) -> Result<Value, String> {
    let at = type_position(args).unwrap_or(0);
    let mg = if at == 1 {
        args[0].clone()
    } else {
        super::property(&d.management_group, "name").unwrap_or_else(|_| Unknown::present())
    };
    let mut head = vec![Part::Lit(
        "/providers/Microsoft.Management/managementGroups/".into(),
    )];
    head.extend(segment(&mg));
    Ok(build(
        head,
        typed_tail("managementGroupResourceId", args, at)?,
    ))
}
