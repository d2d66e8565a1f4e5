//! Date functions (RFC 3339 times, ISO 8601 durations).

use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::values::as_i64;
use super::{arg, arg_str};
use crate::inventory::Value;

pub(super) fn call(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    let out = match name {
        "adddays" => (|| {
            let t = parse(&arg_str(name, args, 0)?)?;
            show(t + Duration::days(as_i64(arg(name, args, 1)?)?))
        })(),
        "datetimeadd" => (|| {
            let t = parse(&arg_str(name, args, 0)?)?;
            show(t + duration(&arg_str(name, args, 1)?)?)
        })(),
        "datetimefromepoch" => (|| {
            let t = OffsetDateTime::from_unix_timestamp(as_i64(arg(name, args, 0)?)?)
                .map_err(|e| format!("dateTimeFromEpoch: {e}"))?;
            show(t)
        })(),
        "datetimetoepoch" => {
            (|| Ok(json!(parse(&arg_str(name, args, 0)?)?.unix_timestamp()).into()))()
        }
        _ => return None,
    };
    Some(out)
}

fn parse(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| format!("`{s}` is not an RFC 3339 time: {e}"))
}

fn show(t: OffsetDateTime) -> Result<Value, String> {
    t.format(&Rfc3339)
        .map(Value::from)
        .map_err(|e| e.to_string())
}

/// An ISO 8601 duration of days, weeks, hours, minutes and seconds
/// (`P1D`, `-PT1H30M`). Months and years have no fixed length: an error.
fn duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not an ISO 8601 duration ARM accepts here");
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let rest = rest.strip_prefix('P').ok_or_else(bad)?;
    let mut total = Duration::ZERO;
    let mut in_time = false;
    let mut num = String::new();
    for c in rest.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' | '.' => num.push(c),
            u => {
                let n: f64 = num.parse().map_err(|_| bad())?;
                num.clear();
                let secs = match (u, in_time) {
                    ('W', false) => n * 7.0 * 86400.0,
                    ('D', false) => n * 86400.0,
                    ('H', true) => n * 3600.0,
                    ('M', true) => n * 60.0,
                    ('S', true) => n,
                    _ => return Err(bad()),
                };
                total += Duration::seconds_f64(secs);
            }
        }
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(if neg { -total } else { total })
}
