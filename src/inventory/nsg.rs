//! The effective verdict of a network security group for Internet traffic.
//!
//! Azure processes the rules of one direction by ascending priority; the first
//! rule whose protocol, ports and addresses match a flow decides it, and the
//! six default rules (priorities 65000–65500) decide whatever no custom rule
//! did: outbound, `AllowInternetOutBound` (65001) lets every flow to the
//! Internet out; inbound, `DenyAllInBound` (65500) stops it.
//!
//! We answer one question per direction: can *any* Internet flow get through?
//! The flow space (protocol × destination port) is cut into classes at every
//! port boundary a rule names, and each class is walked through the rules:
//! - a Deny decides a class only when it covers it whole (every port of the
//!   class, every Internet address, every local address);
//! - an Allow that matches a class even in part lets that part through.
//!
//! Internet-side prefixes: `*`, `Any`, `Internet`, `0.0.0.0/0`, `::/0` cover
//! the whole Internet; a public IP or CIDR covers part of it (outbound, an
//! Allow to one public address is still egress; inbound, an allow-listed
//! public source is not treated as "from the Internet", as the rule asks
//! about `*`/`Internet`/`0.0.0.0/0`); `VirtualNetwork`, `AzureLoadBalancer`,
//! private ranges and other service tags are not the Internet.

use serde_json::{json, Value as Json};

use super::{Path, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Protocols a flow can have; `*` in a rule covers all of them.
const PROTOCOLS: [&str; 5] = ["Tcp", "Udp", "Icmp", "Esp", "Ah"];
/// Protocols without ports: a rule matches them only with port `*`.
fn has_ports(p: &str) -> bool {
    p == "Tcp" || p == "Udp"
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cover {
    None,
    Part,
    Full,
}

/// One security rule, custom or default, as read from the NSG document.
#[derive(Debug, Clone)]
struct Rule {
    name: String,
    priority: i64,
    direction: Option<Direction>,
    allow: bool,
    protocol: String,
    dst_ports: Vec<(u32, u32)>,
    src_ports_all: bool,
    src: Vec<String>,
    dst: Vec<String>,
    has_asg_src: bool,
    has_asg_dst: bool,
    /// Some field of the rule is unknown until apply.
    unknown: Option<Path>,
}

/// The verdict for one direction, as exposed in the `mcpguard.internetEgress` /
/// `mcpguard.internetIngress` facts.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// No Internet flow gets through; the rule that stopped the last class.
    Deny { rule: String, priority: i64 },
    /// Some flow gets through, let by this rule.
    Allow {
        rule: String,
        priority: i64,
        protocol: String,
        ports: String,
        prefix: String,
    },
    /// A rule that could decide is unknown until apply.
    Unknown { path: Path },
}

impl Verdict {
    pub fn to_fact(&self, dir: Direction) -> Json {
        let (to, what) = match dir {
            Direction::Outbound => ("to", "outbound"),
            Direction::Inbound => ("from", "inbound"),
        };
        match self {
            Verdict::Deny { rule, priority } => json!({
                "verdict": "deny",
                "rule": rule,
                "priority": priority,
                "reason": format!("all {what} Internet traffic is denied (last decided by `{rule}`, priority {priority})"),
            }),
            Verdict::Allow {
                rule,
                priority,
                protocol,
                ports,
                prefix,
            } => json!({
                "verdict": "allow",
                "rule": rule,
                "priority": priority,
                "protocol": protocol,
                "ports": ports,
                "reason": format!(
                    "rule `{rule}` (priority {priority}) allows {protocol} port {ports} {to} `{prefix}`"
                ),
            }),
            Verdict::Unknown { path } => json!({
                "verdict": null,
                "reason": format!("`{path}` is unknown until apply"),
            }),
        }
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().filter(|s| !s.is_empty()).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Parses `*`, `443`, `1000-2000` into inclusive ranges; `None` when unparsable.
fn port_range(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    if s == "*" || s.eq_ignore_ascii_case("any") {
        return Some((0, 65535));
    }
    match s.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => s.parse().ok().map(|p| (p, p)),
    }
}

fn field<'a>(rule: &'a Value, name: &str) -> Option<&'a Value> {
    // ARM nests rule fields under `properties`; some exports flatten them.
    rule.get("properties")
        .and_then(|p| p.get(name))
        .or_else(|| rule.get(name))
}

impl Rule {
    fn read(v: &Value, at: &Path) -> Rule {
        let one_or_many = |single: &str, plural: &str| {
            let mut all = strings(field(v, single));
            all.extend(strings(field(v, plural)));
            all
        };
        let ports_of = |single: &str, plural: &str| -> Vec<(u32, u32)> {
            one_or_many(single, plural)
                .iter()
                .filter_map(|p| port_range(p))
                .collect()
        };
        let direction = field(v, "direction").and_then(Value::as_str).and_then(|d| {
            if d.eq_ignore_ascii_case("inbound") {
                Some(Direction::Inbound)
            } else if d.eq_ignore_ascii_case("outbound") {
                Some(Direction::Outbound)
            } else {
                None
            }
        });
        let src_ports = ports_of("sourcePortRange", "sourcePortRanges");
        let mut dst_ports = ports_of("destinationPortRange", "destinationPortRanges");
        if dst_ports.is_empty() {
            // ARM requires a destination port; absent means a malformed or partial document: treat as any.
            dst_ports.push((0, 65535));
        }
        let protocol = field(v, "protocol")
            .and_then(Value::as_str)
            .map(|p| match p.to_ascii_lowercase().as_str() {
                "*" | "any" => "*".to_string(),
                other => {
                    let mut c = other.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                }
            })
            .unwrap_or_else(|| "*".to_string());
        Rule {
            name: v
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)")
                .to_string(),
            priority: field(v, "priority")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX),
            direction,
            allow: field(v, "access")
                .and_then(Value::as_str)
                .is_some_and(|a| a.eq_ignore_ascii_case("allow")),
            protocol,
            dst_ports,
            src_ports_all: src_ports.is_empty()
                || src_ports.iter().any(|&(a, b)| a == 0 && b == 65535),
            src: one_or_many("sourceAddressPrefix", "sourceAddressPrefixes"),
            dst: one_or_many("destinationAddressPrefix", "destinationAddressPrefixes"),
            has_asg_src: field(v, "sourceApplicationSecurityGroups")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty()),
            has_asg_dst: field(v, "destinationApplicationSecurityGroups")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty()),
            unknown: deciding_unknown(v, at),
        }
    }
}

/// The fields that decide what a rule matches and does.
const DECIDING: &[&str] = &[
    "direction",
    "access",
    "protocol",
    "priority",
    "sourcePortRange",
    "sourcePortRanges",
    "destinationPortRange",
    "destinationPortRanges",
    "sourceAddressPrefix",
    "sourceAddressPrefixes",
    "destinationAddressPrefix",
    "destinationAddressPrefixes",
    "sourceApplicationSecurityGroups",
    "destinationApplicationSecurityGroups",
];

/// The first deciding field of a rule not known before apply: a rule whose
/// id or description is unknown still decides.
fn deciding_unknown(rule: &Value, at: &Path) -> Option<Path> {
    if rule.is_unknown() || rule.get("properties").is_some_and(Value::is_unknown) {
        return Some(at.clone());
    }
    let nested = rule.get("properties").is_some();
    DECIDING.iter().find_map(|name| {
        let v = field(rule, name)?;
        let (rel, _) = v.first_unknown()?;
        let mut p = if nested {
            at.key("properties").key(*name)
        } else {
            at.key(*name)
        };
        p.0.extend(rel.0);
        Some(p)
    })
}

fn is_any(p: &str) -> bool {
    matches!(
        p.to_ascii_lowercase().as_str(),
        "*" | "any" | "internet" | "0.0.0.0/0" | "::/0"
    )
}

/// Whether an IPv4 address/CIDR lies in private or reserved space.
fn ipv4_private(p: &str) -> Option<bool> {
    let (addr, len) = match p.split_once('/') {
        Some((a, l)) => (a, l.parse::<u8>().ok()?),
        None => (p, 32),
    };
    let o: Vec<u8> = addr
        .split('.')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if o.len() != 4 {
        return None;
    }
    let private = match (o[0], o[1]) {
        (10, _) | (127, _) => len >= 8,
        (172, b) if (16..32).contains(&b) => len >= 12,
        (192, 168) => len >= 16,
        (169, 254) => len >= 16,
        (100, b) if (64..128).contains(&b) => len >= 10,
        (168, 63) => o[2] == 129 && o[3] == 16 && len == 32,
        _ => false,
    };
    Some(private)
}

/// How much of the Internet a prefix names.
fn internet_cover(prefix: &str) -> Cover {
    if is_any(prefix) {
        return Cover::Full;
    }
    match ipv4_private(prefix) {
        Some(true) => Cover::None,
        Some(false) => Cover::Part,
        // IPv6 literals: global unicast space is the Internet.
        None if prefix.contains(':') => {
            let l = prefix.to_ascii_lowercase();
            if l.starts_with("fd")
                || l.starts_with("fc")
                || l.starts_with("fe80")
                || l.starts_with("::1")
            {
                Cover::None
            } else {
                Cover::Part
            }
        }
        // Service tags other than Internet (VirtualNetwork, AzureLoadBalancer, Storage…).
        None => Cover::None,
    }
}

/// How much of the NSG's own side (the subnet's hosts) a prefix names.
fn local_cover(prefix: &str) -> Cover {
    let l = prefix.to_ascii_lowercase();
    if matches!(l.as_str(), "*" | "any" | "0.0.0.0/0" | "virtualnetwork") {
        Cover::Full
    } else if l == "internet" || l.contains('/') || l.contains('.') || l.contains(':') {
        // A CIDR may or may not contain the subnet: it matches part of the flows.
        Cover::Part
    } else {
        Cover::None
    }
}

fn best(prefixes: &[String], f: fn(&str) -> Cover) -> (Cover, String) {
    let mut out = (Cover::None, String::new());
    for p in prefixes {
        let c = f(p);
        let rank = |c: Cover| match c {
            Cover::None => 0,
            Cover::Part => 1,
            Cover::Full => 2,
        };
        if rank(c) > rank(out.0) {
            out = (c, p.clone());
        }
    }
    out
}

/// Evaluates one direction of an NSG document (inline `securityRules` plus
/// `defaultSecurityRules`, synthesised when absent).
pub fn evaluate(doc: &Value, dir: Direction) -> Verdict {
    let props = Path::root().key("properties");
    for p in [Path::root(), props.clone(), props.key("securityRules")] {
        if doc.at(&p).is_some_and(Value::is_unknown) {
            return Verdict::Unknown { path: p };
        }
    }
    let mut rules: Vec<Rule> = Vec::new();
    for key in ["securityRules", "defaultSecurityRules"] {
        if let Some(list) = doc
            .pointer(&format!("/properties/{key}"))
            .and_then(Value::as_array)
        {
            for (i, r) in list.iter().enumerate() {
                rules.push(Rule::read(r, &props.key(key).index(i)));
            }
        }
    }
    if !rules.iter().any(|r| r.priority >= 65000) {
        rules.extend(
            default_rules("")
                .iter()
                .map(|r| Rule::read(&Value::from(r), &Path::root())),
        );
    }
    rules.retain(|r| r.direction == Some(dir) || r.unknown.is_some());
    rules.sort_by_key(|r| r.priority);

    // Port boundaries cut 0..=65535 into classes no rule splits.
    let mut cuts: Vec<u32> = vec![0, 65536];
    for r in &rules {
        for &(a, b) in &r.dst_ports {
            cuts.push(a.min(65535));
            cuts.push(b.min(65535) + 1);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();

    let mut leaks: Vec<Verdict> = Vec::new();
    let mut last_deny: Option<(String, i64)> = None;
    for proto in PROTOCOLS {
        let classes: Vec<(u32, u32)> = if has_ports(proto) {
            cuts.windows(2).map(|w| (w[0], w[1] - 1)).collect()
        } else {
            vec![(0, 65535)]
        };
        for (lo, hi) in classes {
            match walk(&rules, dir, proto, lo, hi) {
                Verdict::Unknown { path } => return Verdict::Unknown { path },
                Verdict::Deny { rule, priority } => {
                    if last_deny.as_ref().is_none_or(|(_, p)| priority > *p) {
                        last_deny = Some((rule, priority));
                    }
                }
                allow => leaks.push(allow),
            }
        }
    }
    let prio = |v: &Verdict| match v {
        Verdict::Allow { priority, .. } => *priority,
        _ => i64::MAX,
    };
    if let Some(first) = leaks.into_iter().min_by_key(prio) {
        return first;
    }
    let (rule, priority) = last_deny.unwrap_or_else(|| ("DenyAllOutBound".to_string(), 65500));
    Verdict::Deny { rule, priority }
}

/// Walks the rules for one flow class (a protocol and a port range no rule splits).
fn walk(rules: &[Rule], dir: Direction, proto: &str, lo: u32, hi: u32) -> Verdict {
    for r in rules {
        if r.protocol != "*" && r.protocol != proto {
            continue;
        }
        let ports_cover = r.dst_ports.iter().any(|&(a, b)| a <= lo && hi <= b);
        if !has_ports(proto) && !r.dst_ports.iter().any(|&(a, b)| a == 0 && b == 65535) {
            continue;
        }
        if has_ports(proto) && !ports_cover {
            continue; // classes are never split by a rule: no overlap means no match
        }
        if let Some(path) = &r.unknown {
            return Verdict::Unknown { path: path.clone() };
        }
        let (remote, local) = match dir {
            Direction::Outbound => (&r.dst, &r.src),
            Direction::Inbound => (&r.src, &r.dst),
        };
        let (asg_remote, asg_local) = match dir {
            Direction::Outbound => (r.has_asg_dst, r.has_asg_src),
            Direction::Inbound => (r.has_asg_src, r.has_asg_dst),
        };
        let (net, prefix) = best(remote, internet_cover);
        let (mut here, _) = best(local, local_cover);
        if asg_local && here == Cover::None {
            here = Cover::Part;
        }
        if net == Cover::None || here == Cover::None || asg_remote {
            continue;
        }
        if r.allow {
            let leaks = match dir {
                Direction::Outbound => true,
                // Inbound: only a source that is the whole Internet counts.
                Direction::Inbound => net == Cover::Full,
            };
            if leaks {
                let ports = if !has_ports(proto) || (lo == 0 && hi == 65535) {
                    "*".to_string()
                } else if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                };
                return Verdict::Allow {
                    rule: r.name.clone(),
                    priority: r.priority,
                    protocol: proto.to_string(),
                    ports,
                    prefix,
                };
            }
            continue;
        }
        if net == Cover::Full && here == Cover::Full && r.src_ports_all {
            return Verdict::Deny {
                rule: r.name.clone(),
                priority: r.priority,
            };
        }
    }
    // Unreachable with the default rules present; stay safe for partial documents.
    Verdict::Deny {
        rule: "(end of rules)".to_string(),
        priority: i64::MAX,
    }
}

/// The six platform rules every NSG has, as ARM shows them in
/// `defaultSecurityRules` (with ids under `nsg_id` when it is not empty).
/// Terraform never shows them; ARM exports sometimes leave them out.
pub fn default_rules(nsg_id: &str) -> Vec<Json> {
    const RULES: [(&str, i64, &str, &str, &str, &str, &str); 6] = [
        (
            "AllowVnetInBound",
            65000,
            "Inbound",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            "Allow inbound traffic from all VMs in VNET",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            65001,
            "Inbound",
            "AzureLoadBalancer",
            "*",
            "Allow",
            "Allow inbound traffic from azure load balancer",
        ),
        (
            "DenyAllInBound",
            65500,
            "Inbound",
            "*",
            "*",
            "Deny",
            "Deny all inbound traffic",
        ),
        (
            "AllowVnetOutBound",
            65000,
            "Outbound",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            "Allow outbound traffic from all VMs to all VMs in VNET",
        ),
        (
            "AllowInternetOutBound",
            65001,
            "Outbound",
            "*",
            "Internet",
            "Allow",
            "Allow outbound traffic from all VMs to Internet",
        ),
        (
            "DenyAllOutBound",
            65500,
            "Outbound",
            "*",
            "*",
            "Deny",
            "Deny all outbound traffic",
        ),
    ];
    let base = nsg_id.trim_end_matches('/');
    RULES
        .iter()
        .map(
            |(name, priority, direction, src, dst, access, description)| {
                let mut rule = json!({
                    "name": name,
                    "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                    "properties": {
                        "description": description,
                        "protocol": "*",
                        "sourcePortRange": "*",
                        "destinationPortRange": "*",
                        "sourceAddressPrefix": src,
                        "destinationAddressPrefix": dst,
                        "sourcePortRanges": [],
                        "destinationPortRanges": [],
                        "sourceAddressPrefixes": [],
                        "destinationAddressPrefixes": [],
                        "access": access,
                        "priority": priority,
                        "direction": direction,
                    }
                });
                if !base.is_empty() {
                    rule["id"] = json!(format!("{base}/defaultSecurityRules/{name}"));
                }
                rule
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)]
    fn r(
        name: &str,
        prio: i64,
        dir: &str,
        access: &str,
        proto: &str,
        port: &str,
        src: &str,
        dst: &str,
    ) -> Json {
        json!({"name": name, "properties": {"priority": prio, "direction": dir, "access": access,
            "protocol": proto, "sourcePortRange": "*", "destinationPortRange": port,
            "sourceAddressPrefix": src, "destinationAddressPrefix": dst}})
    }
    fn nsg(rules: Vec<Json>) -> Value {
        Value::from(json!({"properties": {"securityRules": rules}}))
    }
    fn out(doc: &Value) -> Verdict {
        evaluate(doc, Direction::Outbound)
    }
    fn inb(doc: &Value) -> Verdict {
        evaluate(doc, Direction::Inbound)
    }
    /// The document with the value at `path` unknown until apply.
    fn with_unknown(doc: &Value, path: &str) -> Value {
        let mut d = doc.clone();
        d.put(&Path::parse(path), crate::inventory::Unknown::present());
        d
    }
    fn allow_rule(v: &Verdict) -> Option<(&str, &str, &str)> {
        match v {
            Verdict::Allow {
                rule,
                protocol,
                ports,
                ..
            } => Some((rule, protocol, ports)),
            _ => None,
        }
    }

    #[test]
    fn no_rules_egress_allowed_by_default_rule_ingress_denied() {
        let d = nsg(vec![]);
        assert_eq!(
            allow_rule(&out(&d)).map(|a| a.0),
            Some("AllowInternetOutBound")
        );
        assert!(matches!(inb(&d), Verdict::Deny { ref rule, .. } if rule == "DenyAllInBound"));
    }

    #[test]
    fn deny_all_to_internet_blocks_egress() {
        let d = nsg(vec![r(
            "DenyInternetOutbound",
            200,
            "Outbound",
            "Deny",
            "*",
            "*",
            "*",
            "Internet",
        )]);
        assert!(
            matches!(out(&d), Verdict::Deny { ref rule, priority: 200 } if rule == "DenyInternetOutbound")
        );
    }

    #[test]
    fn allow_443_in_front_of_deny_all_leaks() {
        let d = nsg(vec![
            r(
                "AllowHttpsOut",
                100,
                "Outbound",
                "Allow",
                "Tcp",
                "443",
                "*",
                "0.0.0.0/0",
            ),
            r("DenyAll", 200, "Outbound", "Deny", "*", "*", "*", "*"),
        ]);
        assert_eq!(allow_rule(&out(&d)), Some(("AllowHttpsOut", "Tcp", "443")));
    }

    #[test]
    fn allow_behind_deny_is_shadowed() {
        let d = nsg(vec![
            r("DenyAll", 100, "Outbound", "Deny", "*", "*", "*", "*"),
            r(
                "AllowHttpsOut",
                200,
                "Outbound",
                "Allow",
                "Tcp",
                "443",
                "*",
                "Internet",
            ),
        ]);
        assert!(matches!(out(&d), Verdict::Deny { .. }));
    }

    #[test]
    fn deny_tcp_only_leaves_udp_open() {
        let d = nsg(vec![r(
            "DenyTcp", 100, "Outbound", "Deny", "Tcp", "*", "*", "Internet",
        )]);
        assert_eq!(
            allow_rule(&out(&d)),
            Some(("AllowInternetOutBound", "Udp", "*"))
        );
    }

    #[test]
    fn deny_some_ports_leaves_the_rest() {
        let d = nsg(vec![r(
            "Deny1to1000",
            100,
            "Outbound",
            "Deny",
            "*",
            "0-1000",
            "*",
            "*",
        )]);
        assert_eq!(
            allow_rule(&out(&d)),
            Some(("AllowInternetOutBound", "Tcp", "1001-65535"))
        );
    }

    #[test]
    fn allow_to_private_range_or_vnet_is_not_egress() {
        let d = nsg(vec![
            r(
                "AllowApi",
                100,
                "Outbound",
                "Allow",
                "Tcp",
                "443",
                "*",
                "10.60.0.0/16",
            ),
            r(
                "AllowVnet",
                110,
                "Outbound",
                "Allow",
                "*",
                "*",
                "*",
                "VirtualNetwork",
            ),
            r(
                "DenyInternet",
                200,
                "Outbound",
                "Deny",
                "*",
                "*",
                "*",
                "Internet",
            ),
        ]);
        assert!(matches!(out(&d), Verdict::Deny { .. }));
    }

    #[test]
    fn allow_to_one_public_ip_is_egress() {
        let d = nsg(vec![
            r(
                "AllowGithub",
                100,
                "Outbound",
                "Allow",
                "Tcp",
                "443",
                "*",
                "140.82.112.0/20",
            ),
            r(
                "DenyInternet",
                200,
                "Outbound",
                "Deny",
                "*",
                "*",
                "*",
                "Internet",
            ),
        ]);
        assert_eq!(allow_rule(&out(&d)).map(|a| a.0), Some("AllowGithub"));
    }

    #[test]
    fn deny_with_narrow_source_does_not_decide() {
        let d = nsg(vec![r(
            "DenyOneHost",
            100,
            "Outbound",
            "Deny",
            "*",
            "*",
            "10.0.0.4",
            "*",
        )]);
        assert_eq!(
            allow_rule(&out(&d)).map(|a| a.0),
            Some("AllowInternetOutBound")
        );
    }

    #[test]
    fn inbound_allow_from_anywhere_leaks_from_partner_range_does_not() {
        let open = nsg(vec![r(
            "AllowSsh", 100, "Inbound", "Allow", "Tcp", "22", "*", "*",
        )]);
        assert_eq!(allow_rule(&inb(&open)), Some(("AllowSsh", "Tcp", "22")));
        let partner = nsg(vec![r(
            "AllowPartner",
            100,
            "Inbound",
            "Allow",
            "Tcp",
            "443",
            "203.0.113.0/24",
            "*",
        )]);
        assert!(matches!(inb(&partner), Verdict::Deny { .. }));
        let internet = nsg(vec![
            r("DenyAllIn", 100, "Inbound", "Deny", "*", "*", "*", "*"),
            r(
                "AllowHttp",
                200,
                "Inbound",
                "Allow",
                "Tcp",
                "80",
                "Internet",
                "*",
            ),
        ]);
        assert!(matches!(inb(&internet), Verdict::Deny { .. }));
    }

    #[test]
    fn plural_fields_and_ranges() {
        let d = nsg(vec![
            json!({"name": "AllowWeb", "properties": {"priority": 100, "direction": "Outbound",
            "access": "Allow", "protocol": "Tcp", "sourcePortRange": "*",
            "destinationPortRanges": ["80", "8000-8080"], "sourceAddressPrefix": "*",
            "destinationAddressPrefixes": ["10.0.0.0/8", "8.8.8.8"]}}),
            r("DenyAll", 200, "Outbound", "Deny", "*", "*", "*", "*"),
        ]);
        assert_eq!(allow_rule(&out(&d)), Some(("AllowWeb", "Tcp", "80")));
    }

    #[test]
    fn an_unknown_id_or_description_does_not_make_a_rule_unknown() {
        let d = nsg(vec![r(
            "DenyAll", 100, "Outbound", "Deny", "*", "*", "*", "*",
        )]);
        let u = with_unknown(&d, "properties.securityRules[0].id");
        let u = with_unknown(&u, "properties.securityRules[0].properties.description");
        assert!(matches!(out(&u), Verdict::Deny { .. }));
    }

    #[test]
    fn unknown_rule_makes_the_verdict_unknown_only_if_reached() {
        let d = nsg(vec![
            r("DenyAll", 100, "Outbound", "Deny", "*", "*", "*", "*"),
            r("Later", 300, "Outbound", "Allow", "*", "*", "*", "*"),
        ]);
        let u = with_unknown(
            &d,
            "properties.securityRules[1].properties.destinationAddressPrefix",
        );
        assert!(matches!(out(&u), Verdict::Deny { .. }));
        let u0 = with_unknown(
            &d,
            "properties.securityRules[0].properties.destinationAddressPrefix",
        );
        assert!(matches!(out(&u0), Verdict::Unknown { .. }));
        let all = with_unknown(&d, "properties.securityRules");
        assert!(matches!(out(&all), Verdict::Unknown { .. }));
    }

    #[test]
    fn lower_case_fields_and_any_protocol_spellings() {
        let d = nsg(vec![r(
            "DenyAll", 100, "outbound", "deny", "Any", "*", "*", "*",
        )]);
        assert!(matches!(out(&d), Verdict::Deny { .. }));
    }
}
