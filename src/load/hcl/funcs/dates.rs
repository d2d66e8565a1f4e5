//! `formatdate`, `timeadd` and `timecmp` over RFC 3339 timestamps, with
//! Terraform's format mnemonics and Go's duration syntax.

use time::{Duration, OffsetDateTime, UtcOffset};

use super::{arity, string, Val, R};

pub fn call(name: &str, a: &[Val]) -> Option<R> {
    Some(match name {
        "formatdate" => arity(a, 2, 2)
            .and_then(|_| formatdate(&string(&a[0])?, parse(&string(&a[1])?)?))
            .map(Val::Str),
        "timeadd" => arity(a, 2, 2).and_then(|_| {
            let t = parse(&string(&a[0])?)?;
            let d = duration(&string(&a[1])?)?;
            let sum = t.checked_add(d).ok_or("the result is out of range")?;
            Ok(Val::Str(rfc3339(sum)))
        }),
        "timecmp" => arity(a, 2, 2).and_then(|_| {
            let (x, y) = (parse(&string(&a[0])?)?, parse(&string(&a[1])?)?);
            Ok(Val::Num(match x.cmp(&y) {
                std::cmp::Ordering::Less => -1.0,
                std::cmp::Ordering::Equal => 0.0,
                std::cmp::Ordering::Greater => 1.0,
            }))
        }),
        _ => return None,
    })
}

fn parse(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| format!("not a valid RFC3339 timestamp: `{s}`"))
}

/// Go's `time.RFC3339` layout: no fraction, `Z` for a zero offset.
fn rfc3339(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        offset(t.offset(), true)
    )
}

fn offset(o: UtcOffset, colon: bool) -> String {
    if o.is_utc() && colon {
        return "Z".into();
    }
    let (h, m, _) = o.as_hms();
    let sign = if o.is_negative() { '-' } else { '+' };
    let sep = if colon { ":" } else { "" };
    format!("{sign}{:02}{sep}{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// Go's `time.ParseDuration`: a signed sequence of decimal numbers with
/// units ns, us (µs), ms, s, m, h.
fn duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("time: invalid duration `{s}`");
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = rest[..n_end].parse().map_err(|_| bad())?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += n * unit;
        rest = &rest[u_end..];
    }
    let d = Duration::checked_seconds_f64(total).ok_or_else(bad)?;
    Ok(if neg { -d } else { d })
}

/// Terraform's `formatdate` mnemonics (YYYY, MM, DD, hh, mm, ss, ZZZZZ…;
/// `'…'` quotes literals).
fn formatdate(spec: &str, t: OffsetDateTime) -> Result<String, String> {
    let mut out = String::new();
    let b = spec.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match b.get(j) {
                    None => return Err("unterminated literal '".into()),
                    Some(b'\'') if b.get(j + 1) == Some(&b'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some(b'\'') => break,
                    Some(_) => {
                        let ch = spec[j..].chars().next().unwrap_or(' ');
                        out.push(ch);
                        j += ch.len_utf8();
                    }
                }
            }
            i = j + 1;
        } else if c.is_ascii_alphabetic() {
            let mut j = i;
            while j < b.len() && b[j] == c {
                j += 1;
            }
            verb(&spec[i..j], t, &mut out)?;
            i = j;
        } else {
            let ch = spec[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    Ok(out)
}

fn verb(tok: &str, t: OffsetDateTime, out: &mut String) -> Result<(), String> {
    let n = tok.len();
    let bad = |what: &str| Err(format!("invalid date format verb `{tok}`: {what}"));
    let two = |v: u8, n: usize| {
        if n == 1 {
            v.to_string()
        } else {
            format!("{v:02}")
        }
    };
    let month = t.month().to_string();
    let weekday = t.weekday().to_string();
    let s = match (tok.as_bytes()[0], n) {
        (b'Y', 2) => format!("{:02}", t.year().rem_euclid(100)),
        (b'Y', 4) => format!("{:04}", t.year()),
        (b'Y', _) => return bad("year must either be \"YY\" or \"YYYY\""),
        (b'M', 1 | 2) => two(u8::from(t.month()), n),
        (b'M', 3) => month[..3].to_string(),
        (b'M', 4) => month,
        (b'M', _) => return bad("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\""),
        (b'D', 1 | 2) => two(t.day(), n),
        (b'D', _) => return bad("day of month must either be \"D\" or \"DD\""),
        (b'E', 3) => weekday[..3].to_string(),
        (b'E', 4) => weekday,
        (b'E', _) => return bad("day of week must either be \"EEE\" or \"EEEE\""),
        (b'h', 1 | 2) => two(t.hour(), n),
        (b'h', _) => return bad("24-hour must either be \"h\" or \"hh\""),
        (b'H', 1 | 2) => two(
            if t.hour().is_multiple_of(12) {
                12
            } else {
                t.hour() % 12
            },
            n,
        ),
        (b'H', _) => return bad("12-hour must either be \"H\" or \"HH\""),
        (b'A' | b'a', 2) => {
            let pm = t.hour() >= 12;
            let s = if pm { "PM" } else { "AM" };
            if tok.starts_with('a') {
                s.to_lowercase()
            } else {
                s.to_string()
            }
        }
        (b'A' | b'a', _) => return bad("must be \"AA\" or \"aa\""),
        (b'm', 1 | 2) => two(t.minute(), n),
        (b'm', _) => return bad("minute must either be \"m\" or \"mm\""),
        (b's', 1 | 2) => two(t.second(), n),
        (b's', _) => return bad("second must either be \"s\" or \"ss\""),
        (b'Z', 1) => offset(t.offset(), true),
        (b'Z', 3) if t.offset().is_utc() => "UTC".into(),
        (b'Z', 3 | 4) => offset(t.offset(), false),
        (b'Z', 5) => {
            let o = offset(t.offset(), true);
            if o == "Z" {
                "+00:00".into()
            } else {
                o
            }
        }
        (b'Z', _) => return bad("timezone must be Z, ZZZZ, or ZZZZZ"),
        _ => return bad("unsupported"),
    };
    out.push_str(&s);
    Ok(())
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
        let ts = s("2018-01-02T23:12:01Z");
        let cases: &[(&str, &str)] = &[
            ("DD MMM YYYY hh:mm ZZZ", "02 Jan 2018 23:12 UTC"),
            (
                "EEEE, DD-MMM-YY hh:mm:ss ZZZ",
                "Tuesday, 02-Jan-18 23:12:01 UTC",
            ),
            (
                "EEE, DD MMM YYYY hh:mm:ss ZZZ",
                "Tue, 02 Jan 2018 23:12:01 UTC",
            ),
            ("MMM DD, YYYY", "Jan 02, 2018"),
            ("HH:mmaa", "11:12pm"),
            ("'Date:' YYYY-MM-DD", "Date: 2018-01-02"),
            ("h'h'mm", "23h12"),
        ];
        for (spec, want) in cases {
            assert_eq!(
                call("formatdate", &[s(spec), ts.clone()]).unwrap(),
                Ok(s(want)),
                "{spec}"
            );
        }
        let add = |t: &str, d: &str| call("timeadd", &[s(t), s(d)]).unwrap();
        assert_eq!(
            add("2017-11-22T00:00:00Z", "10m"),
            Ok(s("2017-11-22T00:10:00Z"))
        );
        assert_eq!(
            add("2017-11-22T00:00:00Z", "-1h30m"),
            Ok(s("2017-11-21T22:30:00Z"))
        );
        assert_eq!(
            add("2017-11-22T00:00:00+01:00", "1.5h"),
            Ok(s("2017-11-22T01:30:00+01:00"))
        );
        assert!(add("2017-11-22", "1h").unwrap_err().contains("RFC3339"));
        assert!(add("2017-11-22T00:00:00Z", "1d")
            .unwrap_err()
            .contains("invalid duration"));
        let cmp = |a: &str, b: &str| call("timecmp", &[s(a), s(b)]).unwrap();
        assert_eq!(
            cmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:00Z"),
            Ok(Val::Num(0.0))
        );
        assert_eq!(
            cmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00Z"),
            Ok(Val::Num(-1.0))
        );
        assert_eq!(
            cmp("2017-11-22T01:00:00+01:00", "2017-11-22T00:00:00Z"),
            Ok(Val::Num(0.0))
        );
        assert_eq!(
            cmp("2017-11-22T00:00:01Z", "2017-11-22T01:00:00+01:00"),
            Ok(Val::Num(1.0))
        );
    }
}
