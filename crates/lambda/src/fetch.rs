//! `fetch` for scripts: one outbound HTTP request with a timeout, an optional host
//! allow-list, and no private, loopback or link-local destinations unless the server runs
//! with `--allow-private-network`. The checked addresses are the ones connected to (no
//! second DNS lookup), and redirects are not followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::Config;

/// Largest response body handed to a script.
pub const MAX_BODY: usize = 5 * 1024 * 1024;

fn private_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1]))
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
        || o[0] >= 240
}

/// Whether `ip` is in a range a script may not reach by default.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0)
        }
    }
}

/// Whether `host` is allowed by the allow-list (empty list = any host).
pub fn host_allowed(allow: &[String], host: &str) -> bool {
    if allow.is_empty() {
        return true;
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    allow.iter().any(|a| {
        let a = a.trim().trim_end_matches('.').to_ascii_lowercase();
        match a.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => host == a,
        }
    })
}

/// Performs the request; the answer is `{status, statusText, headers, body}`.
pub fn fetch(
    cfg: &Config,
    url: &str,
    method: &str,
    headers: &Map<String, Value>,
    body: Option<String>,
    budget: Duration,
) -> Result<Value, String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(format!("unsupported URL scheme {:?}", u.scheme()));
    }
    let host = u
        .host_str()
        .ok_or_else(|| format!("URL {url:?} has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if !host_allowed(&cfg.fetch_allow, &host) {
        return Err(format!("host {host} is not in the lambda fetch allow-list"));
    }
    let port = u.port_or_known_default().unwrap_or(80);
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("invalid method {method:?}"))?;
    let timeout = cfg.fetch_timeout.min(budget);
    if timeout.is_zero() {
        return Err("no time left for the request".into());
    }
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|_| "outbound requests are not available in this context".to_string())?;
    let allow_private = cfg.allow_private_network;
    let headers = headers.clone();
    handle.block_on(async move {
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::time::timeout(timeout, tokio::net::lookup_host((host.as_str(), port)))
                .await
                .map_err(|_| format!("resolving {host} timed out"))?
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(format!("cannot resolve {host}"));
        }
        if !allow_private && let Some(a) = addrs.iter().find(|a| is_private(a.ip())) {
            return Err(format!(
                "{host} resolves to {}, a private or loopback address; such destinations need the server flag --allow-private-network",
                a.ip()
            ));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .resolve_to_addrs(&host, &addrs)
            .build()
            .map_err(|e| e.to_string())?;
        let mut req = client.request(method, u);
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str().unwrap_or_default());
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let mut resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                format!("the request timed out after {} ms", timeout.as_millis())
            } else {
                e.to_string()
            }
        })?;
        let status = resp.status();
        let mut hs = Map::new();
        for (k, v) in resp.headers() {
            hs.insert(
                k.as_str().to_string(),
                Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            );
        }
        let mut buf: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
            if buf.len() + chunk.len() > MAX_BODY {
                return Err(format!("the response body exceeds {MAX_BODY} bytes"));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(json!({
            "status": status.as_u16(),
            "statusText": status.canonical_reason().unwrap_or(""),
            "headers": hs,
            "body": String::from_utf8_lossy(&buf),
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn allow_list() {
        let allow = vec!["api.example.com".to_string(), "*.example.org".to_string()];
        assert!(host_allowed(&allow, "api.example.com"));
        assert!(host_allowed(&allow, "API.example.com."));
        assert!(!host_allowed(&allow, "example.com"));
        assert!(host_allowed(&allow, "a.b.example.org"));
        assert!(!host_allowed(&allow, "example.org"));
        assert!(host_allowed(&[], "anything"));
    }
}
