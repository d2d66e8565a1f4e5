//! CIDR functions (`parseCidr`, `cidrSubnet`, `cidrHost`) and Azure Policy's
//! `ipRangeContains`, on IPv4. An IPv6 range is not computed: unknown.

use serde_json::json;

use super::values::as_i64;
use super::{arg, arg_str};
use crate::inventory::{Unknown, Value};

pub(super) fn call(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    let out = match name {
        "parsecidr" | "cidrsubnet" | "cidrhost" => (|| {
            let c = arg_str(name, args, 0)?;
            if c.contains(':') {
                return Ok(Unknown::because(format!(
                    "{name}('{c}') (IPv6 is not computed)"
                )));
            }
            let (ip, len) = cidr(&c).ok_or_else(|| format!("{name}: `{c}` is not a CIDR range"))?;
            match name {
                "parsecidr" => Ok(parse_cidr(ip, len)),
                "cidrsubnet" => {
                    let new_len = as_i64(arg(name, args, 1)?)?;
                    let n = as_i64(arg(name, args, 2)?)?;
                    subnet(ip, len, new_len, n)
                        .ok_or_else(|| format!("cidrSubnet('{c}', {new_len}, {n}) is out of range"))
                }
                _ => {
                    let n = as_i64(arg(name, args, 1)?)?;
                    host(ip, len, n).ok_or_else(|| format!("cidrHost('{c}', {n}) is out of range"))
                }
            }
        })(),
        "iprangecontains" => (|| {
            let (r, t) = (arg_str(name, args, 0)?, arg_str(name, args, 1)?);
            match (ip_range(&r), ip_range(&t)) {
                (Some((a, b)), Some((c, d))) => Ok(Value::Bool(a <= c && d <= b)),
                _ => Err(format!(
                    "ipRangeContains: `{r}` / `{t}` are not IPv4 ranges"
                )),
            }
        })(),
        _ => return None,
    };
    Some(out)
}

fn addr(s: &str) -> Option<u32> {
    let o: Vec<u32> = s
        .trim()
        .split('.')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if o.len() != 4 || o.iter().any(|&x| x > 255) {
        return None;
    }
    Some((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3])
}

fn cidr(s: &str) -> Option<(u32, u32)> {
    let (a, l) = s.split_once('/').unwrap_or((s, "32"));
    let len: u32 = l.trim().parse().ok()?;
    (len <= 32).then_some(())?;
    Some((addr(a)?, len))
}

fn mask(len: u32) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len)
    }
}

fn show(ip: u32) -> String {
    std::net::Ipv4Addr::from(ip).to_string()
}

fn parse_cidr(ip: u32, len: u32) -> Value {
    let net = ip & mask(len);
    let bcast = net | !mask(len);
    let (first, last) = if len >= 31 {
        (net, bcast)
    } else {
        (net + 1, bcast - 1)
    };
    json!({
        "network": show(net), "netmask": show(mask(len)), "broadcast": show(bcast),
        "firstUsable": show(first), "lastUsable": show(last), "cidr": len,
    })
    .into()
}

fn subnet(ip: u32, len: u32, new_len: i64, n: i64) -> Option<Value> {
    let new_len = u32::try_from(new_len)
        .ok()
        .filter(|&l| l >= len && l <= 32)?;
    let count = 1u64 << (new_len - len);
    let n = u64::try_from(n).ok().filter(|&n| n < count)?;
    let size = 1u64 << (32 - new_len);
    let net = u64::from(ip & mask(len)) + n * size;
    Some(Value::from(format!(
        "{}/{new_len}",
        show(u32::try_from(net).ok()?)
    )))
}

fn host(ip: u32, len: u32, n: i64) -> Option<Value> {
    let net = u64::from(ip & mask(len));
    let usable = (1u64 << (32 - len)).saturating_sub(2);
    let n = u64::try_from(n).ok().filter(|&n| n < usable.max(1))?;
    Some(Value::from(show(u32::try_from(net + 1 + n).ok()?)))
}

fn ip_range(s: &str) -> Option<(u32, u32)> {
    if let Some((a, b)) = s.split_once('-') {
        return Some((addr(a)?, addr(b)?));
    }
    let (ip, len) = cidr(s)?;
    Some((ip & mask(len), (ip & mask(len)) | !mask(len)))
}
