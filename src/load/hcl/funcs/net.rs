//! `cidrhost`, `cidrnetmask`, `cidrsubnet` and `cidrsubnets`, for IPv4 and
//! IPv6, as Terraform computes them (addresses as 128-bit numbers).

use std::net::IpAddr;

use super::{arity, int, string, Val, MANY, R};

pub fn call(name: &str, a: &[Val]) -> Option<R> {
    Some(match name {
        "cidrsubnet" => arity(a, 3, 3)
            .and_then(|_| subnet(&string(&a[0])?, int(&a[1])?, int(&a[2])?))
            .map(Val::Str),
        "cidrhost" => arity(a, 2, 2)
            .and_then(|_| host(&string(&a[0])?, int(&a[1])?))
            .map(Val::Str),
        "cidrnetmask" => arity(a, 1, 1)
            .and_then(|_| netmask(&string(&a[0])?))
            .map(Val::Str),
        "cidrsubnets" => arity(a, 1, MANY).and_then(|_| {
            let bits: Vec<i64> = a[1..].iter().map(int).collect::<Result<_, _>>()?;
            subnets(&string(&a[0])?, &bits)
                .map(|l| Val::List(l.into_iter().map(Val::Str).collect()))
        }),
        _ => return None,
    })
}

/// A parsed prefix: its base address (host bits cleared), length, family.
struct Net {
    base: u128,
    len: u32,
    v4: bool,
}

impl Net {
    fn width(&self) -> u32 {
        if self.v4 {
            32
        } else {
            128
        }
    }

    fn show(&self, addr: u128) -> String {
        if self.v4 {
            std::net::Ipv4Addr::from(addr as u32).to_string()
        } else {
            std::net::Ipv6Addr::from(addr).to_string()
        }
    }

    /// The number of addresses in a prefix of length `len` (saturating).
    fn size(&self, len: u32) -> u128 {
        let host = self.width() - len;
        if host >= 128 {
            u128::MAX
        } else {
            1u128 << host
        }
    }
}

fn parse(prefix: &str) -> Result<Net, String> {
    let bad = || format!("`{prefix}` is not a CIDR prefix");
    let (ip, len) = prefix.split_once('/').ok_or_else(bad)?;
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let len: u32 = len.parse().map_err(|_| bad())?;
    let (bits, v4) = match ip {
        IpAddr::V4(a) => (u32::from(a) as u128, true),
        IpAddr::V6(a) => (u128::from(a), false),
    };
    let width = if v4 { 32 } else { 128 };
    if len > width {
        return Err(format!("`{prefix}` has a prefix length over {width}"));
    }
    let host_bits = width - len;
    let all: u128 = if v4 { 0xFFFF_FFFF } else { u128::MAX };
    let mask = if host_bits >= 128 {
        0
    } else {
        (u128::MAX << host_bits) & all
    };
    Ok(Net {
        base: bits & mask,
        len,
        v4,
    })
}

pub fn subnet(prefix: &str, newbits: i64, netnum: i64) -> Result<String, String> {
    let n = parse(prefix)?;
    let new_len = n.len as i64 + newbits;
    if newbits < 0 || new_len > n.width() as i64 {
        return Err(format!(
            "cannot extend a /{} prefix by {newbits} bits",
            n.len
        ));
    }
    if netnum < 0 || (newbits < 127 && netnum as u128 >= 1u128 << newbits) {
        return Err(format!(
            "network number {netnum} does not fit in {newbits} bits"
        ));
    }
    let shift = n.width() - new_len as u32;
    let addr = n.base | (netnum as u128).checked_shl(shift).unwrap_or(0);
    Ok(format!("{}/{}", n.show(addr), new_len))
}

pub fn host(prefix: &str, hostnum: i64) -> Result<String, String> {
    let n = parse(prefix)?;
    let size = n.size(n.len);
    let h = if hostnum < 0 {
        size.checked_sub(hostnum.unsigned_abs() as u128)
    } else {
        Some(hostnum as u128)
    };
    match h {
        Some(h) if h < size => Ok(n.show(n.base | h)),
        _ => Err(format!("host number {hostnum} does not fit in `{prefix}`")),
    }
}

fn netmask(prefix: &str) -> Result<String, String> {
    let n = parse(prefix)?;
    if !n.v4 {
        return Err("only IPv4 networks are supported".into());
    }
    let mask = if n.len == 0 {
        0
    } else {
        u32::MAX << (32 - n.len)
    };
    Ok(std::net::Ipv4Addr::from(mask).to_string())
}

/// Consecutive subnets of the given extra lengths, each placed right after
/// the one before (aligned to its own size), as Terraform allocates them.
fn subnets(prefix: &str, newbits: &[i64]) -> Result<Vec<String>, String> {
    let n = parse(prefix)?;
    let mut out = Vec::with_capacity(newbits.len());
    let mut next_free: u128 = n.base;
    let end = n.base.saturating_add(n.size(n.len) - 1);
    for &bits in newbits {
        let len = n.len as i64 + bits;
        if bits < 1 || len > n.width() as i64 {
            return Err(format!(
                "would extend prefix to {len} bits, which is not valid for a /{} network",
                n.len
            ));
        }
        let size = n.size(len as u32);
        // Align up to this subnet's size.
        let start = next_free
            .checked_add(size - 1)
            .map(|x| x / size * size)
            .filter(|&s| {
                s >= n.base && s <= end && s.checked_add(size - 1).is_some_and(|l| l <= end)
            });
        let Some(start) = start else {
            return Err(format!(
                "not enough remaining address space for a subnet with a prefix of {len} bits"
            ));
        };
        out.push(format!("{}/{len}", n.show(start)));
        next_free = start.saturating_add(size);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_examples() {
        assert_eq!(subnet("10.0.0.0/16", 8, 2).unwrap(), "10.0.2.0/24");
        assert_eq!(subnet("10.1.2.0/24", 4, 15).unwrap(), "10.1.2.240/28");
        assert_eq!(
            subnet("fd00:fd12:3456:7890::/56", 16, 162).unwrap(),
            "fd00:fd12:3456:7800:a200::/72"
        );
        assert!(subnet("10.0.0.0/30", 4, 0)
            .unwrap_err()
            .contains("cannot extend"));
        assert!(subnet("10.0.0.0/16", 2, 4)
            .unwrap_err()
            .contains("does not fit"));
        assert!(subnet("nope", 2, 0).unwrap_err().contains("not a CIDR"));
        assert_eq!(subnet("0.0.0.0/0", 0, 0).unwrap(), "0.0.0.0/0");
        assert_eq!(subnet("::/0", 0, 0).unwrap(), "::/0");
        assert_eq!(host("10.12.112.0/20", 16).unwrap(), "10.12.112.16");
        assert_eq!(host("10.12.112.0/20", 268).unwrap(), "10.12.113.12");
        assert_eq!(netmask("172.16.0.0/12").unwrap(), "255.240.0.0");
        assert_eq!(
            subnets("10.1.0.0/16", &[4, 4, 8, 4]).unwrap(),
            [
                "10.1.0.0/20",
                "10.1.16.0/20",
                "10.1.32.0/24",
                "10.1.48.0/20"
            ]
        );
        assert_eq!(
            subnets("fd00:fd12:3456:7890::/56", &[16, 16, 16, 32]).unwrap(),
            [
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88"
            ]
        );
        assert!(subnets("10.0.0.0/30", &[1, 1, 1])
            .unwrap_err()
            .contains("not enough remaining"));
    }
}
