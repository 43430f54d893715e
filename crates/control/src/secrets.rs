//! Secrets: random tokens, SHA-256 digests, constant-time comparison, the HS256 signing key,
//! session and deployment JWTs, and argon2id password hashes.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ControlError, Result};

/// Audience of user session tokens (control plane `Authorization: Bearer`).
const SESSION_AUDIENCE: &str = "graphcloud-session";
/// Audience of per-deployment admin tokens (`jwtToken`, sent to a backend).
const DEPLOYMENT_AUDIENCE: &str = "graphcloud-backend";
const ISSUER: &str = "graphcloud";

/// `n` random bytes from the OS-seeded CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    rand::random()
}

/// A URL-safe random token of `N` bytes of entropy.
pub fn random_token<const N: usize>() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<N>())
}

/// Lowercase hex SHA-256 of a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time equality of two strings (length is not hidden).
pub fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The HS256 key that signs session and deployment tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    /// From an explicit secret (at least 32 bytes).
    pub fn from_secret(secret: &[u8]) -> Result<Self> {
        if secret.len() < 32 {
            return Err(ControlError::Invalid(
                "the JWT secret must be at least 32 bytes long".into(),
            ));
        }
        Ok(JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// Loads `<data_dir>/jwt.key`, creating it (64 random bytes, hex, mode 0600) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join("jwt.key");
        std::fs::create_dir_all(data_dir).map_err(|e| {
            ControlError::Internal(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(&path) {
            Ok(mut f) => {
                let secret = hex::encode(random_bytes::<64>());
                f.write_all(secret.as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(|e| {
                        ControlError::Internal(format!("cannot write {}: {e}", path.display()))
                    })?;
                tracing::info!(path = %path.display(), "generated a new JWT signing key");
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(ControlError::Internal(format!(
                    "cannot create {}: {e}",
                    path.display()
                )));
            }
        }
        // A concurrent creator may still be writing; retry briefly on a short read.
        for _ in 0..50 {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ControlError::Internal(format!("cannot read {}: {e}", path.display()))
            })?;
            let text = text.trim();
            if text.len() >= 64 {
                return Self::from_secret(text.as_bytes());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Err(ControlError::Internal(format!(
            "{} is too short to be a signing key",
            path.display()
        )))
    }

    fn sign<T: Serialize>(&self, claims: &T) -> Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| ControlError::Internal(format!("cannot sign token: {e}")))
    }

    /// Signs a user session token valid for `lifetime_s` seconds.
    pub fn sign_session(
        &self,
        user_id: &str,
        email: &str,
        gen_: i64,
        now_s: i64,
        lifetime_s: i64,
    ) -> Result<String> {
        self.sign(&SessionClaims {
            sub: user_id.to_string(),
            email: email.to_string(),
            gen_,
            iat: now_s,
            exp: now_s + lifetime_s,
            aud: SESSION_AUDIENCE.into(),
            iss: ISSUER.into(),
        })
    }

    /// Verifies a session token (signature, algorithm, audience, issuer, expiry).
    pub fn verify_session(&self, token: &str) -> Option<SessionClaims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[SESSION_AUDIENCE]);
        v.set_issuer(&[ISSUER]);
        v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        v.leeway = 0;
        jsonwebtoken::decode::<SessionClaims>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }

    /// Signs a deployment admin token: `{dep: uid, gen}`; no expiry (regenerated by bumping
    /// the deployment's token generation).
    pub fn sign_deployment(&self, uid: &str, gen_: i64, now_s: i64) -> Result<String> {
        self.sign(&DeploymentClaims {
            dep: uid.to_string(),
            gen_,
            iat: now_s,
            aud: DEPLOYMENT_AUDIENCE.into(),
            iss: ISSUER.into(),
        })
    }

    /// Verifies a deployment token's signature, algorithm, audience and issuer.
    pub fn verify_deployment(&self, token: &str) -> Option<DeploymentClaims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[DEPLOYMENT_AUDIENCE]);
        v.set_issuer(&[ISSUER]);
        v.set_required_spec_claims(&["aud", "iss"]);
        v.validate_exp = false;
        jsonwebtoken::decode::<DeploymentClaims>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }
}

/// Claims of a user session token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionClaims {
    pub sub: String,
    pub email: String,
    #[serde(rename = "gen")]
    pub gen_: i64,
    pub iat: i64,
    pub exp: i64,
    pub aud: String,
    pub iss: String,
}

/// Claims of a deployment admin token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeploymentClaims {
    pub dep: String,
    #[serde(rename = "gen")]
    pub gen_: i64,
    pub iat: i64,
    pub aud: String,
    pub iss: String,
}

/// Hashes a password with argon2id (default parameters). CPU-heavy: call from
/// `spawn_blocking`.
pub fn hash_password(password: &str) -> Result<String> {
    use argon2::PasswordHasher;
    let hash: argon2::PasswordHash = argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| ControlError::Internal(format!("password hashing failed: {e}")))?;
    Ok(hash.to_string())
}

/// Verifies a password against a stored argon2 PHC string. CPU-heavy: call from
/// `spawn_blocking`.
pub fn verify_password(password: &str, stored: &str) -> bool {
    use argon2::PasswordVerifier;
    match argon2::PasswordHash::new(stored) {
        Ok(h) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_and_deployment_tokens_do_not_cross() {
        let keys = JwtKeys::from_secret(&[7u8; 40]).unwrap();
        let s = keys.sign_session("u1", "a@b.c", 0, 1_000, 3600).unwrap();
        let d = keys.sign_deployment("0x1", 0, 1_000).unwrap();
        assert!(keys.verify_deployment(&s).is_none());
        assert!(keys.verify_session(&d).is_none());
        assert_eq!(keys.verify_deployment(&d).unwrap().dep, "0x1");
    }

    #[test]
    fn expired_session_is_refused_and_other_key_is_refused() {
        let keys = JwtKeys::from_secret(&[7u8; 40]).unwrap();
        let other = JwtKeys::from_secret(&[8u8; 40]).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let old = keys
            .sign_session("u1", "a@b.c", 0, now - 7200, 3600)
            .unwrap();
        assert!(keys.verify_session(&old).is_none());
        let fresh = keys.sign_session("u1", "a@b.c", 0, now, 3600).unwrap();
        assert!(keys.verify_session(&fresh).is_some());
        assert!(other.verify_session(&fresh).is_none());
    }

    #[test]
    fn alg_none_token_is_refused() {
        let keys = JwtKeys::from_secret(&[7u8; 40]).unwrap();
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let forged = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(r#"{"dep":"0x1","gen":0,"iat":1,"aud":"graphcloud-backend","iss":"graphcloud"}"#)
        );
        assert!(keys.verify_deployment(&forged).is_none());
    }

    #[test]
    fn short_secret_is_rejected() {
        assert!(JwtKeys::from_secret(b"short").is_err());
    }

    #[test]
    fn password_round_trip() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn digest_and_ct_eq() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "ab"));
    }
}
