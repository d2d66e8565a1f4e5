//! Encoding and hashing functions: base64, the digests (`md5`, `sha1`,
//! `sha256`, `sha512` and their base64 forms), `uuidv5`, `urlencode`,
//! `textencodebase64` / `textdecodebase64`, `csvdecode`, `yamldecode`,
//! `yamlencode`, and `jsonencode`'s text as Go writes it.

use std::collections::BTreeMap;

use base64::Engine as _;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::{arity, string, Val, R};
use crate::load::hcl::value::fmt_num;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub fn call(name: &str, a: &[Val]) -> Option<R> {
    let one = || arity(a, 1, 1).and_then(|_| string(&a[0]));
    Some(match name {
        "base64encode" => one().map(|s| Val::Str(B64.encode(s))),
        "base64decode" => one().and_then(|s| {
            let bytes = B64
                .decode(s.trim_end_matches(['\n', '\r']))
                .map_err(|_| "failed to decode base64 data".to_string())?;
            String::from_utf8(bytes)
                .map(Val::Str)
                .map_err(|_| "the result of decoding the provided string is not valid UTF-8".into())
        }),
        "md5" | "sha1" | "sha256" | "sha512" | "base64sha256" | "base64sha512" => {
            one().map(|s| Val::Str(digest(name, s.as_bytes()).unwrap_or_default()))
        }
        "urlencode" => one().map(|s| Val::Str(urlencode(&s))),
        "uuidv5" => arity(a, 2, 2).and_then(|_| uuidv5(&string(&a[0])?, &string(&a[1])?)),
        "textencodebase64" => arity(a, 2, 2).and_then(|_| {
            let (s, enc) = (string(&a[0])?, string(&a[1])?);
            Ok(match text_encode(&s, &enc) {
                Some(b) => Val::Str(B64.encode(b?)),
                // An IANA encoding mcpguard does not carry: Terraform knows it.
                None => Val::unknown(),
            })
        }),
        "textdecodebase64" => arity(a, 2, 2).and_then(|_| {
            let (s, enc) = (string(&a[0])?, string(&a[1])?);
            let bytes = B64
                .decode(&s)
                .map_err(|_| "the given value is not valid base64".to_string())?;
            Ok(match text_decode(&bytes, &enc) {
                Some(t) => Val::Str(t?),
                None => Val::unknown(),
            })
        }),
        "csvdecode" => one().and_then(|s| csvdecode(&s)),
        "yamldecode" => one().and_then(|s| yamldecode(&s)),
        "yamlencode" => arity(a, 1, 1).map(|_| {
            let mut out = String::new();
            yaml(&a[0], 0, &mut out);
            Val::Str(out)
        }),
        _ => return None,
    })
}

/// A digest of bytes by function name (`md5`, `filesha256`, `base64sha512`…),
/// hex or base64 as the name says.
pub fn digest(name: &str, bytes: &[u8]) -> Option<String> {
    let name = name.strip_prefix("file").unwrap_or(name);
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    Some(match name {
        "md5" => hex(&Md5::digest(bytes)),
        "sha1" => hex(&Sha1::digest(bytes)),
        "sha256" => hex(&Sha256::digest(bytes)),
        "sha512" => hex(&Sha512::digest(bytes)),
        "base64sha256" => B64.encode(Sha256::digest(bytes)),
        "base64sha512" => B64.encode(Sha512::digest(bytes)),
        "base64" => B64.encode(bytes),
        _ => return None,
    })
}

/// Go's `url.QueryEscape`: unreserved bytes kept, space as `+`.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// RFC 4122 version 5: SHA-1 of the namespace and the name.
fn uuidv5(ns: &str, name: &str) -> R {
    let ns_hex = match ns {
        "dns" => "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "url" => "6ba7b811-9dad-11d1-80b4-00c04fd430c8",
        "oid" => "6ba7b812-9dad-11d1-80b4-00c04fd430c8",
        "x500" => "6ba7b814-9dad-11d1-80b4-00c04fd430c8",
        other => other,
    };
    let ns_bytes = parse_uuid(ns_hex)
        .ok_or_else(|| format!("uuidv5() doesn't support namespace prefix `{ns}`"))?;
    let mut h = Sha1::new();
    h.update(ns_bytes);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut u = [0u8; 16];
    u.copy_from_slice(&d[..16]);
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Val::Str(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )))
}

/// A UUID in the forms Go's uuid.Parse takes: plain, `{…}`, `urn:uuid:…`.
fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let s = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(s);
    let hex: String = match s.len() {
        36 => {
            let b = s.as_bytes();
            if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
                return None;
            }
            s.chars().filter(|c| *c != '-').collect()
        }
        32 => s.to_string(),
        _ => return None,
    };
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The encodings carried for `textencodebase64`; `None` for other names.
fn text_encode(s: &str, enc: &str) -> Option<Result<Vec<u8>, String>> {
    let e = enc.to_ascii_lowercase();
    Some(match e.as_str() {
        "utf-8" | "utf8" => Ok(s.as_bytes().to_vec()),
        "utf-16le" => Ok(s.encode_utf16().flat_map(u16::to_le_bytes).collect()),
        "utf-16be" => Ok(s.encode_utf16().flat_map(u16::to_be_bytes).collect()),
        "iso-8859-1" | "latin1" | "l1" | "iso_8859-1" | "us-ascii" | "ascii" => {
            let max = if e.contains("ascii") { 0x7f } else { 0xff };
            s.chars()
                .map(|c| {
                    u8::try_from(c as u32)
                        .ok()
                        .filter(|b| *b <= max)
                        .ok_or_else(|| format!("the given string contains characters that cannot be represented in {enc}"))
                })
                .collect()
        }
        _ => return None,
    })
}

fn text_decode(b: &[u8], enc: &str) -> Option<Result<String, String>> {
    let e = enc.to_ascii_lowercase();
    let utf16 = |le: bool| {
        crate::input::utf16_text(b, le).ok_or_else(|| format!("the given value is not valid {enc}"))
    };
    Some(match e.as_str() {
        "utf-8" | "utf8" => {
            String::from_utf8(b.to_vec()).map_err(|_| format!("the given value is not valid {enc}"))
        }
        "utf-16le" => utf16(true),
        "utf-16be" => utf16(false),
        "iso-8859-1" | "latin1" | "l1" | "iso_8859-1" => Ok(b.iter().map(|&x| x as char).collect()),
        _ => return None,
    })
}

/// RFC 4180 CSV with a header row, as Go's encoding/csv reads it.
fn csvdecode(s: &str) -> R {
    let rows = csv_rows(s)?;
    let mut it = rows.into_iter();
    let Some(header) = it.next() else {
        return Ok(Val::List(Vec::new()));
    };
    let mut out = Vec::new();
    for (n, row) in it.enumerate() {
        if row.len() != header.len() {
            return Err(format!("record on line {}: wrong number of fields", n + 2));
        }
        let m: BTreeMap<String, Val> = header
            .iter()
            .cloned()
            .zip(row.into_iter().map(Val::Str))
            .collect();
        out.push(Val::Map(m));
    }
    Ok(Val::List(out))
}

fn csv_rows(s: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    let mut started = false;
    while let Some(c) = chars.next() {
        started = true;
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                started = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("extraneous or missing \" in quoted-field".into());
    }
    if started {
        row.push(field);
        rows.push(row);
    }
    // Go's reader skips empty lines.
    rows.retain(|r| !(r.len() == 1 && r[0].is_empty()));
    Ok(rows)
}

fn yamldecode(s: &str) -> R {
    let v: serde_json::Value = yaml_serde::from_str(s)
        .map_err(|e| format!("on line {}: {e}", e.location().map_or(0, |l| l.line())))?;
    Ok(Val::from_json(&v))
}

/// YAML as Terraform's yamlencode writes it: block style, strings and keys
/// double-quoted, two-space indents, sequences under a key not indented.
fn yaml(v: &Val, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Val::List(l) if !l.is_empty() => {
            for x in l {
                out.push_str(&pad);
                out.push_str("- ");
                yaml_nested(x, indent + 2, out);
            }
        }
        Val::Map(m) | Val::Res(m, _) if !m.is_empty() => {
            for (k, x) in m {
                out.push_str(&pad);
                out.push_str(&json(&Val::Str(k.clone())));
                out.push(':');
                match x {
                    Val::List(l) if !l.is_empty() => {
                        out.push('\n');
                        yaml(x, indent, out);
                    }
                    Val::Map(m) | Val::Res(m, _) if !m.is_empty() => {
                        out.push('\n');
                        yaml(x, indent + 2, out);
                    }
                    _ => {
                        out.push(' ');
                        yaml_scalar(x, out);
                    }
                }
            }
        }
        _ => {
            out.push_str(&pad);
            yaml_scalar(v, out);
        }
    }
}

/// A value after `- `: collections continue on the same line.
fn yaml_nested(x: &Val, indent: usize, out: &mut String) {
    let mut inner = String::new();
    match x {
        Val::List(l) if !l.is_empty() => yaml(x, indent, &mut inner),
        Val::Map(m) | Val::Res(m, _) if !m.is_empty() => yaml(x, indent, &mut inner),
        _ => {
            yaml_scalar(x, out);
            return;
        }
    }
    out.push_str(inner.trim_start());
}

fn yaml_scalar(v: &Val, out: &mut String) {
    match v {
        Val::List(_) => out.push_str("[]\n"),
        Val::Map(_) | Val::Res(..) => out.push_str("{}\n"),
        Val::Null | Val::Unknown(_) | Val::Partial(..) => out.push_str("null\n"),
        Val::Bool(b) => out.push_str(&format!("{b}\n")),
        Val::Num(n) => out.push_str(&format!("{}\n", fmt_num(*n))),
        Val::Str(s) => out.push_str(&format!("{}\n", json(&Val::Str(s.clone())))),
    }
}

/// `jsonencode`'s text: compact, keys sorted, and `<`, `>`, `&`, U+2028 and
/// U+2029 escaped as Go's encoder escapes them.
pub fn json(v: &Val) -> String {
    let s = serde_json::to_string(&v.to_json()).unwrap_or_default();
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val {
        Val::str(x)
    }

    fn run(name: &str, args: &[Val]) -> R {
        call(name, args).expect(name)
    }

    /// Values from Terraform's documentation of each function.
    #[test]
    fn documented_values() {
        let cases: &[(&str, &[Val], &str)] = &[
            ("base64encode", &[s("Hello World")], "SGVsbG8gV29ybGQ="),
            ("base64decode", &[s("SGVsbG8gV29ybGQ=")], "Hello World"),
            ("md5", &[s("hello world")], "5eb63bbbe01eeed093cb22bb8f5acdc3"),
            ("sha1", &[s("hello world")], "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
            (
                "sha256",
                &[s("hello world")],
                "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
            ),
            (
                "sha512",
                &[s("hello world")],
                "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
            ),
            (
                "base64sha256",
                &[s("hello world")],
                "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
            ),
            (
                "base64sha512",
                &[s("hello world")],
                "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==",
            ),
            ("urlencode", &[s("Hello World!")], "Hello+World%21"),
            ("urlencode", &[s("foo:bar@localhost?foo=bar&bar=baz")], "foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz"),
            ("uuidv5", &[s("dns"), s("www.terraform.io")], "a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
            ("uuidv5", &[s("url"), s("https://www.terraform.io/")], "9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"),
            (
                "uuidv5",
                &[s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), s("www.terraform.io")],
                "a5008fae-b28c-5ba5-96cd-82b4c53552d6",
            ),
            ("textencodebase64", &[s("Hello World"), s("UTF-16LE")], "SABlAGwAbABvACAAVwBvAHIAbABkAA=="),
            ("textdecodebase64", &[s("SABlAGwAbABvACAAVwBvAHIAbABkAA=="), s("UTF-16LE")], "Hello World"),
        ];
        for (name, args, want) in cases {
            assert_eq!(run(name, args), Ok(s(want)), "{name}");
        }
        assert!(run("uuidv5", &[s("nope"), s("x")])
            .unwrap_err()
            .contains("namespace"));
        assert_eq!(
            run("textencodebase64", &[s("x"), s("SHIFT_JIS")]),
            Ok(Val::unknown())
        );
    }

    #[test]
    fn csv_and_yaml() {
        let got = run("csvdecode", &[s("a,b,c\n1,2,3\n4,\"5,\"\"x\"\"\",6\n")]).unwrap();
        let row = |a: &str, b: &str, c: &str| {
            Val::Map(
                [("a", a), ("b", b), ("c", c)]
                    .iter()
                    .map(|(k, v)| (k.to_string(), s(v)))
                    .collect(),
            )
        };
        assert_eq!(
            got,
            Val::List(vec![row("1", "2", "3"), row("4", "5,\"x\"", "6")])
        );
        assert!(run("csvdecode", &[s("a,b\n1\n")])
            .unwrap_err()
            .contains("wrong number"));
        let y = run("yamldecode", &[s("hello: world\nlist: [1, true]\n")]).unwrap();
        assert_eq!(
            y,
            Val::Map(
                [
                    ("hello".to_string(), s("world")),
                    (
                        "list".to_string(),
                        Val::List(vec![Val::Num(1.0), Val::Bool(true)])
                    )
                ]
                .into()
            )
        );
        let v = Val::Map(
            [
                (
                    "foo".to_string(),
                    Val::List(vec![Val::Num(1.0), Val::Num(2.0), Val::Num(3.0)]),
                ),
                ("bar".to_string(), s("baz")),
            ]
            .into(),
        );
        assert_eq!(
            run("yamlencode", &[v]),
            Ok(s("\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n"))
        );
        let nested = Val::List(vec![Val::Map(
            [("a".to_string(), s("b")), ("c".to_string(), s("d"))].into(),
        )]);
        assert_eq!(
            run("yamlencode", &[nested]),
            Ok(s("- \"a\": \"b\"\n  \"c\": \"d\"\n"))
        );
    }
}
