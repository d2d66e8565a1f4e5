//! One ARM request with the sweep's manners: a bounded number in flight, a
//! per-request timeout, `Retry-After` honoured on 429, 5xx and timeouts
//! retried with backoff (bounded), and errors that say why without ever
//! carrying the token.

use std::time::Duration;

use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Client, StatusCode, Url};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::auth::Tokens;

/// Attempts for a 5xx, a timeout or a connection failure.
const MAX_TRANSIENT_ATTEMPTS: u32 = 3;
/// Attempts for a 429 (throttling answers tell how long to wait).
const MAX_THROTTLED_ATTEMPTS: u32 = 6;
/// First backoff after a transient failure; doubled each time.
const BACKOFF: Duration = Duration::from_millis(250);
/// The longest `Retry-After` we wait; ARM's are seconds to a minute.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Why a request failed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub status: Option<u16>,
    /// ARM's error code (`AuthorizationFailed`, `MissingSubscriptionRegistration`).
    pub code: Option<String>,
    pub message: String,
}

/// What a sweep sends and how.
#[derive(Debug)]
pub struct Http {
    pub client: Client,
    pub endpoint: Url,
    pub tokens: Tokens,
    pub limit: Semaphore,
    pub timeout: Duration,
}

impl Http {
    /// GET `url` (absolute, on the ARM endpoint) and parse the JSON answer.
    pub async fn get(&self, url: &Url) -> Result<Value, ReadError> {
        self.send(url, None).await
    }

    /// POST a read-only query (Azure Resource Graph, `--graph` only).
    pub async fn post_query(&self, url: &Url, body: &Value) -> Result<Value, ReadError> {
        self.send(url, Some(body)).await
    }

    async fn send(&self, url: &Url, body: Option<&Value>) -> Result<Value, ReadError> {
        if url.origin() != self.endpoint.origin() {
            // A nextLink to another host would receive our token.
            return Err(ReadError {
                status: None,
                code: None,
                message: format!(
                    "refusing to follow a link off the ARM endpoint to `{}`",
                    url.origin().ascii_serialization()
                ),
            });
        }
        let mut transient = 0u32;
        let mut throttled = 0u32;
        loop {
            let bearer = self.tokens.bearer().await.map_err(|m| ReadError {
                status: None,
                code: None,
                message: format!("cannot get a token: {m}"),
            })?;
            let result = {
                let _permit = self.limit.acquire().await.map_err(|_| ReadError {
                    status: None,
                    code: None,
                    message: "sweep cancelled".to_string(),
                })?;
                let req = match body {
                    None => self.client.get(url.clone()),
                    Some(b) => self.client.post(url.clone()).json(b),
                };
                let resp = req
                    .header(AUTHORIZATION, bearer)
                    .timeout(self.timeout)
                    .send()
                    .await;
                match resp {
                    Ok(r) => {
                        let status = r.status();
                        let headers = r.headers().clone();
                        match r.bytes().await {
                            Ok(b) => Ok((status, headers, b)),
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            };
            let wait = match result {
                Ok((status, _, bytes)) if status.is_success() => {
                    return serde_json::from_slice(&bytes).map_err(|e| ReadError {
                        status: Some(status.as_u16()),
                        code: None,
                        message: format!("answer is not JSON: {e}"),
                    });
                }
                Ok((status, headers, bytes)) if status == StatusCode::TOO_MANY_REQUESTS => {
                    throttled += 1;
                    if throttled >= MAX_THROTTLED_ATTEMPTS {
                        return Err(self.failure(status, &bytes, throttled).await);
                    }
                    retry_after(&headers).unwrap_or(BACKOFF * 2u32.pow(throttled.min(6)))
                }
                Ok((status, headers, bytes)) if status.is_server_error() => {
                    transient += 1;
                    if transient >= MAX_TRANSIENT_ATTEMPTS {
                        return Err(self.failure(status, &bytes, transient).await);
                    }
                    retry_after(&headers).unwrap_or(BACKOFF * 2u32.pow(transient - 1))
                }
                Ok((status, _, bytes)) => return Err(self.failure(status, &bytes, 1).await),
                Err(e) => {
                    transient += 1;
                    let what = if e.is_timeout() {
                        format!("timed out after {} ms", self.timeout.as_millis())
                    } else {
                        format!("request failed: {}", error_chain(&e))
                    };
                    if transient >= MAX_TRANSIENT_ATTEMPTS {
                        let message = self
                            .tokens
                            .redact(format!("{what} ({transient} attempts)"))
                            .await;
                        return Err(ReadError {
                            status: None,
                            code: None,
                            message,
                        });
                    }
                    BACKOFF * 2u32.pow(transient - 1)
                }
            };
            tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
        }
    }

    /// The message of a failed answer: status, ARM's error code and message.
    async fn failure(&self, status: StatusCode, body: &[u8], attempts: u32) -> ReadError {
        let mut message = status.to_string();
        let mut code = None;
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            let err = v.get("error").unwrap_or(&v);
            code = err.get("code").and_then(Value::as_str).map(str::to_string);
            let text = err.get("message").and_then(Value::as_str);
            if let Some(c) = &code {
                message.push_str(&format!(" ({c})"));
            }
            if let Some(t) = text {
                let t: String = t.chars().take(300).collect();
                message.push_str(&format!(": {t}"));
            }
        }
        if attempts > 1 {
            message.push_str(&format!(" ({attempts} attempts)"));
        }
        ReadError {
            status: Some(status.as_u16()),
            code,
            message: self.tokens.redact(message).await,
        }
    }
}

/// `Retry-After` in seconds or as an HTTP date; Resource Graph's
/// `x-ms-user-quota-resets-after` (`hh:mm:ss`) as a fallback.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(v) = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()) {
        if let Ok(secs) = v.trim().parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) =
            time::OffsetDateTime::parse(v.trim(), &time::format_description::well_known::Rfc2822)
        {
            let d = at - time::OffsetDateTime::now_utc();
            return Some(Duration::from_secs(d.whole_seconds().max(0) as u64));
        }
    }
    let v = headers.get("x-ms-user-quota-resets-after")?.to_str().ok()?;
    let parts: Vec<u64> = v.split(':').filter_map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [h, m, s] => Some(Duration::from_secs(h * 3600 + m * 60 + s)),
        _ => None,
    }
}

/// reqwest's error and its causes, one line (the URL is in it; a token never is).
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let mut h = HeaderMap::new();
        h.insert(
            "x-ms-user-quota-resets-after",
            HeaderValue::from_static("00:00:03"),
        );
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
