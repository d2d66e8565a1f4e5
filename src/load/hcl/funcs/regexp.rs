//! `regex`, `regexall` and the `/pattern/` form of `replace`. Terraform uses
//! RE2 syntax; the `regex` crate implements the same syntax (no
//! backreferences, no look-around) with the same leftmost-first semantics.

use std::collections::BTreeMap;

use regex::Regex;

use super::{arity, string, Val, R};

/// The longest pattern compiled: real patterns are a few hundred bytes at
/// most, and compile time grows with size.
const MAX_PATTERN_BYTES: usize = 64 << 10;

pub fn call(name: &str, a: &[Val]) -> Option<R> {
    Some(match name {
        "regex" => arity(a, 2, 2).and_then(|_| {
            let re = compile(&string(&a[0])?)?;
            let s = string(&a[1])?;
            let caps = re
                .captures(&s)
                .ok_or("pattern did not match any part of the given string")?;
            result(&re, &caps)
        }),
        "regexall" => arity(a, 2, 2).and_then(|_| {
            let re = compile(&string(&a[0])?)?;
            let s = string(&a[1])?;
            re.captures_iter(&s)
                .map(|c| result(&re, &c))
                .collect::<Result<Vec<_>, _>>()
                .map(Val::List)
        }),
        _ => return None,
    })
}

fn compile(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "the pattern is over {} KiB (MAX_PATTERN_BYTES)",
            MAX_PATTERN_BYTES >> 10
        ));
    }
    Regex::new(pattern).map_err(|e| {
        let first = e.to_string();
        let last = first.lines().last().unwrap_or("").trim().to_string();
        format!("invalid regular expression pattern: {last}")
    })
}

/// One match as Terraform shows it: the matched text when the pattern has no
/// groups, a list for unnamed groups, an object for named ones.
fn result(re: &Regex, caps: &regex::Captures<'_>) -> R {
    let groups = re.captures_len() - 1;
    if groups == 0 {
        return Ok(Val::str(caps.get(0).map_or("", |m| m.as_str())));
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let named = names.iter().filter(|n| n.is_some()).count();
    let text = |i: usize| caps.get(i).map_or(Val::Null, |m| Val::str(m.as_str()));
    if named == 0 {
        return Ok(Val::List((1..=groups).map(text).collect()));
    }
    if named != groups {
        return Err("pattern cannot have both named and unnamed capture groups".into());
    }
    let m: BTreeMap<String, Val> = names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.map(|n| (n.to_string(), text(i + 1))))
        .collect();
    Ok(Val::Map(m))
}

/// `replace(s, "/re/", to)`: every match replaced, `$1` / `${name}` expanded.
pub fn replace(s: &str, pattern: &str, to: &str) -> R {
    let re = compile(pattern)?;
    Ok(Val::Str(re.replace_all(s, to).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val {
        Val::str(x)
    }

    /// Values from Terraform's documentation.
    #[test]
    fn documented_values() {
        let re = |p: &str, x: &str| call("regex", &[s(p), s(x)]).unwrap();
        assert_eq!(
            re("[a-z]+", "53453453.345345aaabbbccc23454"),
            Ok(s("aaabbbccc"))
        );
        assert_eq!(
            re(r"(\d\d\d\d)-(\d\d)-(\d\d)", "2019-02-01"),
            Ok(Val::List(vec![s("2019"), s("02"), s("01")]))
        );
        assert_eq!(
            re(
                "^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?",
                "https://terraform.io/docs/"
            ),
            Ok(Val::Map(
                [
                    ("authority".to_string(), s("terraform.io")),
                    ("scheme".to_string(), s("https"))
                ]
                .into()
            ))
        );
        assert!(re("[a-z]+", "123").unwrap_err().contains("did not match"));
        assert!(re("(a)(?P<n>b)", "ab")
            .unwrap_err()
            .contains("both named and unnamed"));
        assert!(re("(", "x")
            .unwrap_err()
            .contains("invalid regular expression"));
        assert_eq!(
            call("regexall", &[s("[a-z]+"), s("1234abcd5678efgh9")]).unwrap(),
            Ok(Val::List(vec![s("abcd"), s("efgh")]))
        );
        assert_eq!(
            call("regexall", &[s("[a-z]+"), s("123")]).unwrap(),
            Ok(Val::List(Vec::new()))
        );
        assert_eq!(
            replace("hello world", "w.*d", "everybody"),
            Ok(s("hello everybody"))
        );
    }
}
