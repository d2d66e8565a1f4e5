//! Credentials for the sweep (azure_identity 1.x) and the token cache.
//!
//! A token is held in one place, [`Tokens`], and leaves it only as the value
//! of an `Authorization` header. It is never formatted: error messages that
//! could echo it are passed through [`Tokens::redact`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use time::OffsetDateTime;
use tokio::sync::Mutex;

/// How the sweep authenticates (`--auth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthKind {
    /// A service principal from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
    /// `AZURE_CLIENT_SECRET`, else workload identity from
    /// `AZURE_FEDERATED_TOKEN_FILE`.
    Env,
    /// A service principal secret from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_CLIENT_SECRET` (never from the command line).
    ClientSecret,
    /// Workload identity federation (GitHub Actions OIDC, AKS): `AZURE_TENANT_ID`,
    /// `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`.
    WorkloadIdentity,
    /// The managed identity of the VM, container or App Service it runs on
    /// (`AZURE_CLIENT_ID` picks a user-assigned one).
    ManagedIdentity,
    /// The `az login` (or `azd auth login`) session.
    AzureCli,
    /// The first that works of: environment, workload identity, Azure CLI /
    /// azd, managed identity.
    #[default]
    Auto,
}

/// The ARM scope every token is asked for.
pub fn arm_scope(endpoint: &str) -> String {
    format!("{}/.default", endpoint.trim_end_matches('/'))
}

/// A credential that always returns the same token: for tests and for
/// callers that already hold a token. Its `Debug` never shows the token.
pub struct StaticTokenCredential {
    token: Secret,
}

impl StaticTokenCredential {
    pub fn new(token: impl Into<String>) -> Arc<Self> {
        Arc::new(StaticTokenCredential {
            token: Secret::new(token.into()),
        })
    }
}

impl fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticTokenCredential { token: <redacted> }")
    }
}

// Written out as `#[async_trait]` expands it, so the crate needs no
// async-trait dependency of its own.
impl TokenCredential for StaticTokenCredential {
    fn get_token<'a, 'b, 'c, 'd, 'r>(
        &'a self,
        _scopes: &'b [&'c str],
        _options: Option<TokenRequestOptions<'d>>,
    ) -> Pin<Box<dyn Future<Output = azure_core::Result<AccessToken>> + Send + 'r>>
    where
        'a: 'r,
        'b: 'r,
        'c: 'r,
        'd: 'r,
        Self: 'r,
    {
        let token = AccessToken::new(
            self.token.secret().to_string(),
            OffsetDateTime::now_utc() + time::Duration::hours(1),
        );
        Box::pin(async move { Ok(token) })
    }
}

/// Credentials with the names errors call them by, in the order they are tried.
pub type Sources = Vec<(&'static str, Arc<dyn TokenCredential>)>;

/// Makes the credentials `kind` names, in the order they are tried.
pub fn credentials(kind: AuthKind) -> Result<Sources, String> {
    use azure_identity::{
        AzureCliCredential, DeveloperToolsCredential, ManagedIdentityCredential,
        ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let client_secret = || -> Result<Arc<dyn TokenCredential>, String> {
        let (Some(tenant), Some(client), Some(secret)) = (
            env("AZURE_TENANT_ID"),
            env("AZURE_CLIENT_ID"),
            env("AZURE_CLIENT_SECRET"),
        ) else {
            return Err(
                "client secret: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
                    .into(),
            );
        };
        azure_identity::ClientSecretCredential::new(&tenant, client, Secret::new(secret), None)
            .map(|c| c as Arc<dyn TokenCredential>)
            .map_err(|e| format!("client secret: {e}"))
    };
    let workload = || -> Result<Arc<dyn TokenCredential>, String> {
        WorkloadIdentityCredential::new(None)
            .map(|c| c as Arc<dyn TokenCredential>)
            .map_err(|e| format!("workload identity: {e}"))
    };
    let managed = || -> Result<Arc<dyn TokenCredential>, String> {
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id: env("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
            ..Default::default()
        };
        ManagedIdentityCredential::new(Some(options))
            .map(|c| c as Arc<dyn TokenCredential>)
            .map_err(|e| format!("managed identity: {e}"))
    };
    let out: Sources = match kind {
        AuthKind::ClientSecret => vec![("client secret", client_secret()?)],
        AuthKind::WorkloadIdentity => vec![("workload identity", workload()?)],
        AuthKind::ManagedIdentity => vec![("managed identity", managed()?)],
        AuthKind::AzureCli => vec![(
            "Azure CLI",
            AzureCliCredential::new(None)
                .map_err(|e| format!("Azure CLI: {e}{}", login_hint("Azure CLI")))?,
        )],
        AuthKind::Env => {
            if env("AZURE_CLIENT_SECRET").is_some() {
                vec![("client secret", client_secret()?)]
            } else if env("AZURE_FEDERATED_TOKEN_FILE").is_some() {
                vec![("workload identity", workload()?)]
            } else {
                return Err(
                    "environment: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, \
                            or AZURE_FEDERATED_TOKEN_FILE for workload identity"
                        .into(),
                );
            }
        }
        AuthKind::Auto => {
            // Developer tools come before managed identity: probing the
            // instance metadata service on a laptop only waits for a timeout.
            let mut v: Sources = Vec::new();
            if env("AZURE_CLIENT_SECRET").is_some() {
                v.push(("client secret", client_secret()?));
            }
            if env("AZURE_FEDERATED_TOKEN_FILE").is_some() {
                v.push(("workload identity", workload()?));
            }
            if let Ok(c) = DeveloperToolsCredential::new(None) {
                v.push(("Azure CLI / azd", c));
            }
            if let Ok(c) = managed() {
                v.push(("managed identity", c));
            }
            v
        }
    };
    Ok(out)
}

/// The sweep's one token holder: picks the first credential that answers,
/// caches its token and renews it five minutes before it expires.
pub struct Tokens {
    sources: Sources,
    scope: String,
    state: Mutex<(Option<usize>, Option<AccessToken>)>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.sources.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Tokens")
            .field("sources", &names)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    pub fn new(sources: Sources, scope: String) -> Self {
        Tokens {
            sources,
            scope,
            state: Mutex::new((None, None)),
        }
    }

    /// The `Authorization` header value. Errors name the credentials tried,
    /// never a token.
    pub async fn bearer(&self) -> Result<String, String> {
        let mut state = self.state.lock().await;
        if let Some(t) = &state.1 {
            if t.expires_on > OffsetDateTime::now_utc() + time::Duration::minutes(5) {
                return Ok(format!("Bearer {}", t.token.secret()));
            }
        }
        let order: Vec<usize> = match state.0 {
            Some(i) => vec![i],
            None => (0..self.sources.len()).collect(),
        };
        let mut failures = Vec::new();
        for i in order {
            let (name, cred) = &self.sources[i];
            match cred.get_token(&[self.scope.as_str()], None).await {
                Ok(t) => {
                    let header = format!("Bearer {}", t.token.secret());
                    *state = (Some(i), Some(t));
                    return Ok(header);
                }
                Err(e) => failures.push(format!(
                    "{name}: {}{}",
                    first_line(&e.to_string()),
                    login_hint(name)
                )),
            }
        }
        if failures.is_empty() {
            return Err("no credential is available".to_string());
        }
        Err(failures.join("; "))
    }

    /// Replaces the current token, should it appear in `text`, by `<redacted>`.
    pub async fn redact(&self, text: String) -> String {
        let state = self.state.lock().await;
        match &state.1 {
            Some(t) if !t.token.secret().is_empty() && text.contains(t.token.secret()) => {
                text.replace(t.token.secret(), "<redacted>")
            }
            _ => text,
        }
    }
}

/// What to run when a developer-tool credential fails: the command, not
/// just the failure.
fn login_hint(source: &str) -> &'static str {
    match source {
        "Azure CLI" => " (run `az login`, then `az account set --subscription ID`)",
        "Azure CLI / azd" => " (run `az login`, or `azd auth login`)",
        _ => "",
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_credential_never_shows_its_token() {
        let c = StaticTokenCredential::new("tok-SECRET-123");
        assert!(!format!("{c:?}").contains("SECRET"));
        let tokens = Tokens::new(
            vec![("static", c)],
            arm_scope("https://management.azure.com/"),
        );
        assert!(!format!("{tokens:?}").contains("SECRET"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let header = rt.block_on(tokens.bearer()).unwrap();
        assert_eq!(header, "Bearer tok-SECRET-123");
        let red = rt.block_on(tokens.redact("echo tok-SECRET-123 back".to_string()));
        assert_eq!(red, "echo <redacted> back");
    }

    /// A credential that always fails, as `az` does without a login.
    #[derive(Debug)]
    struct Failing;

    impl TokenCredential for Failing {
        fn get_token<'a, 'b, 'c, 'd, 'r>(
            &'a self,
            _scopes: &'b [&'c str],
            _options: Option<TokenRequestOptions<'d>>,
        ) -> Pin<Box<dyn Future<Output = azure_core::Result<AccessToken>> + Send + 'r>>
        where
            'a: 'r,
            'b: 'r,
            'c: 'r,
            'd: 'r,
            Self: 'r,
        {
            Box::pin(async {
                Err(azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    "Please run 'az login'\nsecond line",
                ))
            })
        }
    }

    #[test]
    fn the_chain_takes_the_first_that_answers_and_names_the_failures() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let failing: Arc<dyn TokenCredential> = Arc::new(Failing);
        let tokens = Tokens::new(
            vec![
                ("Azure CLI", failing.clone()),
                ("static", StaticTokenCredential::new("t")),
            ],
            "s".into(),
        );
        assert_eq!(rt.block_on(tokens.bearer()).unwrap(), "Bearer t");
        let none = Tokens::new(vec![("Azure CLI", failing)], "s".into());
        let e = rt.block_on(none.bearer()).unwrap_err();
        assert_eq!(
            e,
            "Azure CLI: Please run 'az login' (run `az login`, then `az account set --subscription ID`)"
        );
        assert_eq!(
            rt.block_on(Tokens::new(vec![], "s".into()).bearer())
                .unwrap_err(),
            "no credential is available"
        );
    }

    #[test]
    fn scope_of_endpoint() {
        assert_eq!(
            arm_scope("https://management.usgovcloudapi.net/"),
            "https://management.usgovcloudapi.net/.default"
        );
    }
}
