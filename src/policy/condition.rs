//! Conditions: the `if` of a policy rule, parsed once into a tree.
//!
//! Keys are matched case-insensitively, as the Azure service does (`"AllOf"`,
//! `"Equals"` appear in built-ins); a key that matches nothing known is an
//! error, so a misspelt `"anyof"` cannot silently pass.

use serde_json::Value;

use super::alias::{self, PSeg};
use super::expr::{self, Template};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    Like,
    NotLike,
    Match,
    MatchInsensitively,
    NotMatch,
    NotMatchInsensitively,
    Contains,
    NotContains,
    In,
    NotIn,
    ContainsKey,
    NotContainsKey,
    Less,
    LessOrEquals,
    Greater,
    GreaterOrEquals,
    Exists,
}

pub const OPERATORS: &[(&str, Op)] = &[
    ("equals", Op::Equals),
    ("notEquals", Op::NotEquals),
    ("like", Op::Like),
    ("notLike", Op::NotLike),
    ("match", Op::Match),
    ("matchInsensitively", Op::MatchInsensitively),
    ("notMatch", Op::NotMatch),
    ("notMatchInsensitively", Op::NotMatchInsensitively),
    ("contains", Op::Contains),
    ("notContains", Op::NotContains),
    ("in", Op::In),
    ("notIn", Op::NotIn),
    ("containsKey", Op::ContainsKey),
    ("notContainsKey", Op::NotContainsKey),
    ("less", Op::Less),
    ("lessOrEquals", Op::LessOrEquals),
    ("greater", Op::Greater),
    ("greaterOrEquals", Op::GreaterOrEquals),
    ("exists", Op::Exists),
];

impl Op {
    /// Negated operators are true on a missing value.
    pub fn negated(self) -> bool {
        matches!(
            self,
            Op::NotEquals
                | Op::NotLike
                | Op::NotMatch
                | Op::NotMatchInsensitively
                | Op::NotContains
                | Op::NotIn
                | Op::NotContainsKey
        )
    }
}

/// Where a field is read: a generic field, an alias, or a fact, each an ARM
/// path from the document root.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPart {
    /// As written (for messages and docs).
    pub text: String,
    pub path: Vec<PSeg>,
    /// Read from the resource's facts (`mcpguard.*`) rather than its document.
    pub fact: bool,
    /// `fullName` is computed, not read.
    pub full_name: bool,
    /// Set when the text names an alias the table does not have.
    pub unknown_alias: bool,
}

impl FieldPart {
    /// The resource type an alias belongs to (`Microsoft.Network/virtualNetworks/subnets`
    /// for `Microsoft.Network/virtualNetworks/subnets/networkSecurityGroup.id`);
    /// `None` for generic fields and facts, which every type has.
    pub fn resource_type(&self) -> Option<&str> {
        if self.fact || self.full_name || !self.text.contains('/') {
            return None;
        }
        let head = self.text.split('[').next().unwrap_or(&self.text);
        head.rfind('/').map(|i| &self.text[..i])
    }

    /// Whether a dereference may read this part on a resource of `arm_type`:
    /// an alias only on its own type, so an id of the wrong type is never followed.
    pub fn accepts(&self, arm_type: &str) -> bool {
        self.resource_type()
            .is_none_or(|t| t.eq_ignore_ascii_case(arm_type))
    }
}

/// A field reference: one part, or several joined by ` -> ` (dereference).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    pub text: String,
    pub hops: Vec<FieldPart>,
}

impl FieldRef {
    pub fn is_collection(&self) -> bool {
        self.hops.iter().any(|h| h.path.contains(&PSeg::Star))
    }
}

const GENERIC: &[&str] = &[
    "name",
    "fullname",
    "kind",
    "type",
    "location",
    "id",
    "identity",
    "tags",
    "sku",
    "zones",
    "properties",
    "plan",
    "managedby",
    "extendedlocation",
];

/// Parses one part: `type`, `tags['x']`, `identity.type`, an alias, `mcpguard.fact`.
pub fn parse_part(text: &str) -> FieldPart {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if lower == "fullname" {
        return FieldPart {
            text: t.to_string(),
            path: vec![],
            fact: false,
            full_name: true,
            unknown_alias: false,
        };
    }
    if let Some(rest) = lower
        .strip_prefix("mcpguard.")
        .map(|_| &t["mcpguard.".len()..])
    {
        return FieldPart {
            text: t.to_string(),
            path: alias::parse_path(rest),
            fact: true,
            full_name: false,
            unknown_alias: false,
        };
    }
    let head = lower.split(['.', '[']).next().unwrap_or("");
    if !t.contains('/') && GENERIC.contains(&head) {
        return FieldPart {
            text: t.to_string(),
            path: alias::parse_path(t),
            fact: false,
            full_name: false,
            unknown_alias: false,
        };
    }
    match alias::lookup(t) {
        Some(path) => FieldPart {
            text: t.to_string(),
            path,
            fact: false,
            full_name: false,
            unknown_alias: false,
        },
        None => FieldPart {
            text: t.to_string(),
            path: vec![],
            fact: false,
            full_name: false,
            unknown_alias: true,
        },
    }
}

pub fn parse_field(text: &str) -> FieldRef {
    FieldRef {
        text: text.to_string(),
        hops: text.split(" -> ").map(parse_part).collect(),
    }
}

/// A field name may itself be an expression (`[concat('tags[', parameters('t'), ']')]`).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldSpec {
    Static(FieldRef),
    Dynamic(expr::Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Field(FieldSpec),
    Value(Template),
    FieldCount {
        field: FieldRef,
        where_: Option<Box<Cond>>,
    },
    ValueCount {
        value: Template,
        name: Option<String>,
        where_: Option<Box<Cond>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    AllOf(Vec<Cond>),
    AnyOf(Vec<Cond>),
    Not(Box<Cond>),
    Leaf {
        subject: Subject,
        op: Op,
        operand: Template,
    },
}

/// A parse error, with the JSON key or value it is about (to locate it).
#[derive(Debug, Clone, PartialEq)]
pub struct CondError {
    pub message: String,
    pub near: String,
}

fn err(message: impl Into<String>, near: impl Into<String>) -> CondError {
    CondError {
        message: message.into(),
        near: near.into(),
    }
}

fn template(v: &Value, _key: &str) -> Result<Template, CondError> {
    match v {
        Value::String(s) => expr::parse_template(s).map_err(|e| err(e, s.clone())),
        other => Ok(Template::Lit(other.clone())),
    }
}

pub fn parse(v: &Value) -> Result<Cond, CondError> {
    let obj = v.as_object().ok_or_else(|| {
        err(
            format!("a condition must be an object, got `{v}`"),
            v.to_string(),
        )
    })?;
    let mut logical = None;
    let mut subject: Option<(&str, &Value)> = None;
    let mut op: Option<(Op, &str, &Value)> = None;
    for (k, val) in obj {
        let l = k.to_ascii_lowercase();
        match l.as_str() {
            "allof" | "anyof" | "not" => {
                if logical.is_some() || obj.len() > 1 {
                    return Err(err(
                        format!("`{k}` must be the only key of its object"),
                        k.clone(),
                    ));
                }
                logical = Some((l.clone(), val));
            }
            "field" | "value" | "count" => {
                if subject.is_some() {
                    return Err(err(
                        format!("a condition has two subjects (`{k}`)"),
                        k.clone(),
                    ));
                }
                subject = Some((k.as_str(), val));
            }
            _ => match OPERATORS.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)) {
                Some((_, o)) => {
                    if let Some((_, prev, _)) = op {
                        return Err(err(
                            format!("a condition has two operators (`{prev}` and `{k}`)"),
                            k.clone(),
                        ));
                    }
                    op = Some((*o, k.as_str(), val));
                }
                None => return Err(err(format!("unknown key `{k}` in a condition"), k.clone())),
            },
        }
    }
    if let Some((l, val)) = logical {
        return match l.as_str() {
            "not" => Ok(Cond::Not(Box::new(parse(val)?))),
            _ => {
                let arr = val
                    .as_array()
                    .ok_or_else(|| err(format!("`{l}` needs an array of conditions"), l.clone()))?;
                if arr.is_empty() {
                    return Err(err(format!("`{l}` has no conditions"), l.clone()));
                }
                let kids = arr.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
                Ok(if l == "allof" {
                    Cond::AllOf(kids)
                } else {
                    Cond::AnyOf(kids)
                })
            }
        };
    }
    let (skey, sval) = subject.ok_or_else(|| {
        err(
            "a condition needs `field`, `value` or `count`",
            v.to_string(),
        )
    })?;
    let (op, okey, oval) = op.ok_or_else(|| {
        err(
            format!("the condition on `{skey}` has no operator"),
            skey.to_string(),
        )
    })?;
    let operand = template(oval, okey)?;
    if matches!(
        op,
        Op::Match | Op::NotMatch | Op::MatchInsensitively | Op::NotMatchInsensitively
    ) {
        if let Template::Lit(p) = &operand {
            if !p.is_string() {
                return Err(err(
                    format!("`{okey}` needs a pattern string"),
                    okey.to_string(),
                ));
            }
        }
    }
    let subject = match skey.to_ascii_lowercase().as_str() {
        "field" => {
            let s = sval
                .as_str()
                .ok_or_else(|| err("`field` must be a string", skey.to_string()))?;
            match expr::parse_template(s).map_err(|e| err(e, s.to_string()))? {
                Template::Expr(e) => Subject::Field(FieldSpec::Dynamic(e)),
                Template::Lit(_) => Subject::Field(FieldSpec::Static(parse_field(s))),
            }
        }
        "value" => Subject::Value(template(sval, skey)?),
        _ => {
            let c = sval
                .as_object()
                .ok_or_else(|| err("`count` must be an object", skey.to_string()))?;
            let mut field = None;
            let mut value = None;
            let mut name = None;
            let mut where_ = None;
            for (k, x) in c {
                match k.to_ascii_lowercase().as_str() {
                    "field" => {
                        field = Some(
                            x.as_str()
                                .ok_or_else(|| err("`count.field` must be a string", k.clone()))?,
                        )
                    }
                    "value" => value = Some(template(x, k)?),
                    "name" => {
                        name = Some(
                            x.as_str()
                                .ok_or_else(|| err("`count.name` must be a string", k.clone()))?
                                .to_string(),
                        )
                    }
                    "where" => where_ = Some(Box::new(parse(x)?)),
                    _ => return Err(err(format!("unknown key `{k}` in `count`"), k.clone())),
                }
            }
            match (field, value) {
                (Some(f), None) => {
                    let fr = parse_field(f);
                    if !fr.is_collection() && !fr.hops.iter().any(|h| h.unknown_alias) {
                        return Err(err(
                            format!("`count.field` must be a `[*]` alias, got `{f}`"),
                            f.to_string(),
                        ));
                    }
                    Subject::FieldCount { field: fr, where_ }
                }
                (None, Some(v)) => Subject::ValueCount {
                    value: v,
                    name,
                    where_,
                },
                _ => {
                    return Err(err(
                        "`count` needs exactly one of `field` and `value`",
                        skey.to_string(),
                    ))
                }
            }
        }
    };
    Ok(Cond::Leaf {
        subject,
        op,
        operand,
    })
}

/// Every field string a condition reads (static ones), for docs and sweeps.
pub fn fields(c: &Cond, out: &mut Vec<String>) {
    match c {
        Cond::AllOf(k) | Cond::AnyOf(k) => k.iter().for_each(|x| fields(x, out)),
        Cond::Not(x) => fields(x, out),
        Cond::Leaf {
            subject, operand, ..
        } => {
            match subject {
                Subject::Field(FieldSpec::Static(f)) => out.push(f.text.clone()),
                Subject::Field(FieldSpec::Dynamic(e)) => expr::fields_read(e, out),
                Subject::Value(Template::Expr(e)) => expr::fields_read(e, out),
                Subject::Value(_) => {}
                Subject::FieldCount { field, where_ } => {
                    out.push(field.text.clone());
                    if let Some(w) = where_ {
                        fields(w, out);
                    }
                }
                Subject::ValueCount { value, where_, .. } => {
                    if let Template::Expr(e) = value {
                        expr::fields_read(e, out);
                    }
                    if let Some(w) = where_ {
                        fields(w, out);
                    }
                }
            }
            if let Template::Expr(e) = operand {
                expr::fields_read(e, out);
            }
        }
    }
}

/// `match` patterns: `#` a digit, `?` a letter, `.` any character, the rest literal; whole string.
pub fn pattern_match(pattern: &str, text: &str, insensitive: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    p.len() == t.len()
        && p.iter().zip(&t).all(|(pc, tc)| match pc {
            '#' => tc.is_ascii_digit(),
            '?' => tc.is_alphabetic(),
            '.' => true,
            c if insensitive => c.to_lowercase().eq(tc.to_lowercase()),
            c => c == tc,
        })
}

/// `like`: `*` any run of characters, case-insensitive, whole string.
pub fn like(pattern: &str, text: &str) -> bool {
    let p = pattern.to_lowercase();
    let t = text.to_lowercase();
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if t.len() < first.len() + last.len() || !t.starts_with(first) || !t.ends_with(last) {
        return false;
    }
    let mut rest = &t[first.len()..t.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_rejects_bad_conditions() {
        for (c, want) in [
            (
                json!({"field": "type", "equalz": "x"}),
                "unknown key `equalz`",
            ),
            (json!({"anyof": [], "x": 1}), "only key"),
            (json!({"field": "type"}), "no operator"),
            (
                json!({"field": "type", "equals": "a", "in": ["a"]}),
                "two operators",
            ),
            (json!({"AllOf": []}), "no conditions"),
            (
                json!({"count": {"field": "Microsoft.Network/networkSecurityGroups/securityRules[*]", "bogus": 1}, "equals": 0}),
                "unknown key `bogus`",
            ),
            (
                json!({"value": "[concat(]", "equals": "x"}),
                "ends too early",
            ),
        ] {
            let e = parse(&c).unwrap_err();
            assert!(e.message.contains(want), "{c}: {}", e.message);
        }
        assert!(parse(&json!({"AllOf": [{"Field": "type", "Equals": "x"}]})).is_ok());
    }

    #[test]
    fn alias_parts_know_their_resource_type() {
        let p = parse_part("Microsoft.Network/virtualNetworks/subnets/networkSecurityGroup.id");
        assert_eq!(
            p.resource_type(),
            Some("Microsoft.Network/virtualNetworks/subnets")
        );
        assert!(p.accepts("microsoft.network/virtualnetworks/subnets"));
        assert!(!p.accepts("Microsoft.Network/networkSecurityGroups"));
        let q = parse_part("Microsoft.Network/virtualNetworks/subnets[*].id");
        assert_eq!(q.resource_type(), Some("Microsoft.Network/virtualNetworks"));
        assert!(parse_part("mcpguard.address").accepts("anything"));
        assert!(parse_part("name").accepts("anything"));
    }

    #[test]
    fn patterns() {
        assert!(like("rg-*-prod", "RG-mcp-PROD"));
        assert!(like("*", ""));
        assert!(!like("a*b*c", "acb"));
        assert!(like("abc", "ABC"));
        assert!(pattern_match("vm-##", "vm-42", false));
        assert!(!pattern_match("vm-##", "VM-42", false));
        assert!(pattern_match("vm-##", "VM-42", true));
        assert!(pattern_match("??.#", "ab-1", false));
        assert!(!pattern_match("??", "a1", false));
    }
}
