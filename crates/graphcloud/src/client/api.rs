//! HTTP access to the control plane's GraphQL endpoint (`POST <server>/graphql`).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

/// A control-plane connection, optionally carrying a session token.
pub struct ControlApi {
    http: reqwest::Client,
    server: String,
    token: Option<String>,
}

/// Normalises a server URL: scheme required (`http://` assumed when absent), no trailing `/`.
pub fn normalize_server(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        bail!("--server must not be empty");
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    };
    let scheme = with_scheme.split("://").next().unwrap_or_default();
    if scheme != "http" && scheme != "https" {
        bail!("--server must be an http:// or https:// URL, got {raw:?}");
    }
    Ok(with_scheme)
}

impl ControlApi {
    /// A connection to `server`; `ca_cert` names a PEM file of extra CA certificates to
    /// trust besides the built-in roots.
    pub fn new(server: &str, token: Option<String>, ca_cert: Option<&Path>) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("graphcloud-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read --ca-cert {}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .with_context(|| {
                    format!("--ca-cert {} holds no PEM certificate", path.display())
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().context("cannot build the HTTP client")?;
        Ok(Self {
            http,
            server: server.to_string(),
            token,
        })
    }

    /// The control plane's URL (scheme, host, port).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Runs one GraphQL operation and returns its `data` object. Any entry in `errors[]`
    /// fails the call with the server's messages.
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value> {
        let url = format!("{}/graphql", self.server);
        let mut request = self
            .http
            .post(&url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            anyhow!(
                "cannot reach the graphcloud server at {}: {}",
                self.server,
                root_cause(&e)
            )
        })?;
        let status = response.status();
        let body = response
            .text()
            .await
            .with_context(|| format!("reading the response from {url}"))?;
        let parsed: Value = match serde_json::from_str(&body) {
            Ok(v) => v,
            Err(_) => bail!(
                "unexpected response from {url} (HTTP {status}): {}",
                snippet(&body)
            ),
        };
        if let Some(errors) = parsed.get("errors").and_then(Value::as_array)
            && !errors.is_empty()
        {
            let messages: Vec<String> = errors
                .iter()
                .map(|e| {
                    e.get("message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| e.to_string())
                })
                .collect();
            let joined = messages.join("; ");
            if self.token.is_some() && joined.to_ascii_lowercase().contains("unauthenticated") {
                bail!(
                    "{joined} (the stored session was refused: run `graphcloud login --server {}` again)",
                    self.server
                );
            }
            bail!("{joined}");
        }
        if !status.is_success() {
            bail!("the server answered HTTP {status}: {}", snippet(&body));
        }
        match parsed.get("data") {
            Some(data @ Value::Object(_)) => Ok(data.clone()),
            _ => bail!("the server's response has no data: {}", snippet(&body)),
        }
    }

    /// Runs an operation whose root field must be present and non-null; returns that field.
    pub async fn field(&self, query: &str, variables: Value, field: &str) -> Result<Value> {
        let data = self.graphql(query, variables).await?;
        match data.get(field) {
            Some(Value::Null) | None => bail!("the server returned no {field}"),
            Some(v) => Ok(v.clone()),
        }
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

fn snippet(body: &str) -> String {
    const MAX: usize = 300;
    let body = body.trim();
    if body.len() <= MAX {
        return body.to_string();
    }
    let mut end = MAX;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &body[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_are_normalised() {
        assert_eq!(
            normalize_server("http://127.0.0.1:8070/").unwrap(),
            "http://127.0.0.1:8070"
        );
        assert_eq!(
            normalize_server("localhost:8070").unwrap(),
            "http://localhost:8070"
        );
        assert_eq!(
            normalize_server("https://cp.example.com").unwrap(),
            "https://cp.example.com"
        );
        assert!(normalize_server("ftp://x").is_err());
        assert!(normalize_server("  ").is_err());
    }

    #[test]
    fn long_bodies_are_shortened_on_a_char_boundary() {
        let body = "é".repeat(400);
        let s = snippet(&body);
        assert!(s.ends_with('…'));
        assert!(s.len() <= 304);
    }
}
