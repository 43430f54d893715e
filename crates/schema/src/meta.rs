//! `# Dgraph.*` meta lines of the schema text.

use crate::error::{Location, SchemaError};
use crate::model::{AuthConfig, Meta};

const ALGOS: [&str; 6] = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512"];

pub(crate) fn parse(sdl: &str) -> Result<Meta, SchemaError> {
    let mut meta = Meta::default();
    let mut seen_auth = false;
    for (i, line) in sdl.lines().enumerate() {
        let t = line.trim();
        let loc = Some(Location {
            line: i + 1,
            column: 1,
        });
        if let Some(rest) = t.strip_prefix("# Dgraph.Authorization") {
            if seen_auth {
                return Err(SchemaError::new(
                    format!(
                        "Dgraph.Authorization should be only be specified once in a schema, found second mention: {line}"
                    ),
                    Vec::new(),
                ));
            }
            seen_auth = true;
            meta.authorization = Some(parse_authorization(rest.trim())?);
        } else if let Some(rest) = t.strip_prefix("# Dgraph.Secret") {
            let bad = || {
                SchemaError::new(
                    format!(
                        "incorrect format for specifying Dgraph secret found for comment: `{line}`, it should be `# Dgraph.Secret key value`"
                    ),
                    Vec::new(),
                )
            };
            let rest = rest.trim();
            let (name, value) = rest.split_once(char::is_whitespace).ok_or_else(bad)?;
            let value = value.trim();
            let value: String = serde_json::from_str(value).map_err(|_| bad())?;
            meta.secrets.push((name.to_string(), value));
        } else if let Some(rest) = t.strip_prefix("# Dgraph.Allow-Origin") {
            let v: String = serde_json::from_str(rest.trim()).map_err(|e| {
                SchemaError::at(
                    format!("unable to parse Dgraph.Allow-Origin value: {e}"),
                    loc,
                )
            })?;
            meta.allow_origins.push(v);
        }
    }
    Ok(meta)
}

fn parse_authorization(rest: &str) -> Result<AuthConfig, SchemaError> {
    let mut cfg = AuthConfig::default();
    if rest.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(rest).map_err(|e| {
            SchemaError::new(
                format!("unable to parse Dgraph.Authorization. Reason: {e}"),
                Vec::new(),
            )
        })?;
        let obj = v.as_object().cloned().unwrap_or_default();
        let mut jwk_url = None;
        let mut jwk_urls: Vec<String> = Vec::new();
        for (k, v) in obj {
            let s = v.as_str().map(|s| s.to_string());
            match k.to_ascii_lowercase().as_str() {
                "header" => cfg.header = s.unwrap_or_default(),
                "namespace" => cfg.namespace = s.unwrap_or_default(),
                "algo" => cfg.algo = s.unwrap_or_default(),
                "verificationkey" => cfg.verification_key = s.unwrap_or_default(),
                "jwkurl" => jwk_url = s,
                "jwkurls" => {
                    jwk_urls = v
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(|s| s.to_string()))
                                .collect()
                        })
                        .unwrap_or_default()
                }
                "audience" => {
                    cfg.audience = v
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(|s| s.to_string()))
                                .collect()
                        })
                        .unwrap_or_default()
                }
                "closedbydefault" => cfg.closed_by_default = v.as_bool().unwrap_or(false),
                _ => {}
            }
        }
        if jwk_url.is_some() && !jwk_urls.is_empty() {
            return Err(SchemaError::new(
                "Expecting either JWKUrl or JWKUrls, both were given",
                Vec::new(),
            ));
        }
        if let Some(u) = jwk_url {
            jwk_urls.push(u);
        }
        cfg.jwk_urls = jwk_urls;
        if !cfg.jwk_urls.is_empty() && (!cfg.verification_key.is_empty() || !cfg.algo.is_empty()) {
            return Err(SchemaError::new(
                "Expecting either JWKUrl/JWKUrls or (VerificationKey, Algo), both were given",
                Vec::new(),
            ));
        }
    } else {
        // Legacy form: `<Header> <Namespace> <Algo> "<key>"`.
        let mut parts = rest.splitn(4, char::is_whitespace);
        cfg.header = parts.next().unwrap_or_default().to_string();
        cfg.namespace = parts.next().unwrap_or_default().to_string();
        cfg.algo = parts.next().unwrap_or_default().to_string();
        let key = parts.next().unwrap_or_default().trim();
        cfg.verification_key = serde_json::from_str::<String>(key).unwrap_or_default();
    }
    let mut missing = Vec::new();
    if cfg.verification_key.is_empty() && cfg.jwk_urls.is_empty() {
        missing.push("`Verification key`/`JWKUrl`/`JWKUrls`");
    }
    if cfg.algo.is_empty() && cfg.jwk_urls.is_empty() {
        missing.push("`Algo`");
    }
    if cfg.header.is_empty() {
        missing.push("`Header`");
    }
    if cfg.namespace.is_empty() {
        missing.push("`Namespace`");
    }
    if !missing.is_empty() {
        return Err(SchemaError::new(
            format!(
                "required field missing in Dgraph.Authorization: {}",
                missing.join(" ")
            ),
            Vec::new(),
        ));
    }
    if !cfg.algo.is_empty() && !ALGOS.contains(&cfg.algo.as_str()) {
        return Err(SchemaError::new(
            format!(
                "invalid jwt algorithm: found {}, but supported options are: {}",
                cfg.algo,
                ALGOS.join(",")
            ),
            Vec::new(),
        ));
    }
    if cfg.audience.is_empty() && !cfg.jwk_urls.is_empty() {
        return Err(SchemaError::new(
            "required field missing in Dgraph.Authorization: `Audience`",
            Vec::new(),
        ));
    }
    cfg.verification_key = cfg.verification_key.replace("\\n", "\n");
    Ok(cfg)
}
