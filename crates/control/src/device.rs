//! Device-code login for CLIs (OAuth 2.0 device authorization shape), refresh tokens and
//! their revocation.

use crate::error::{ControlError, Result};
use crate::model::*;
use crate::secrets;
use crate::store::UserRow;
use crate::{
    ControlPlane, DEVICE_CODE_LIFETIME_S, DEVICE_POLL_INTERVAL_S, REFRESH_LIFETIME_S,
    SESSION_LIFETIME_S, now_ms,
};

/// Letters of user codes: no vowels (no words) and none that look alike.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

fn new_user_code() -> String {
    let r: [u8; 8] = rand::random();
    let c: Vec<char> = r
        .iter()
        .map(|b| USER_CODE_ALPHABET[*b as usize % USER_CODE_ALPHABET.len()] as char)
        .collect();
    format!(
        "{}-{}",
        c[..4].iter().collect::<String>(),
        c[4..].iter().collect::<String>()
    )
}

/// Normalizes what a user typed: case, spaces and a missing dash do not matter.
pub fn normalize_user_code(input: &str) -> Option<String> {
    let letters: String = input
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() != 8 {
        return None;
    }
    Some(format!("{}-{}", &letters[..4], &letters[4..]))
}

impl ControlPlane {
    /// Starts a device login: a secret `device_code` for the CLI and a short `user_code` for
    /// the human.
    pub async fn start_device_login(&self) -> Result<DeviceAuthorization> {
        let now = now_ms();
        let expires = now + DEVICE_CODE_LIFETIME_S * 1000;
        for _ in 0..5 {
            let device_code = secrets::random_token::<32>();
            let user_code = new_user_code();
            match self
                .inner
                .store
                .insert_device_code(&secrets::digest(&device_code), &user_code, now, expires)
                .await
            {
                Ok(()) => {
                    return Ok(DeviceAuthorization {
                        device_code,
                        user_code,
                        expires_in: DEVICE_CODE_LIFETIME_S,
                        interval: DEVICE_POLL_INTERVAL_S,
                    });
                }
                Err(ControlError::Storage(e)) if crate::store::is_unique_violation(&e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ControlError::Internal(
            "could not allocate a user code".into(),
        ))
    }

    /// Approves a pending device login for the (already authenticated) actor.
    pub async fn approve_device_login(&self, actor: &Actor, user_code: &str) -> Result<()> {
        let invalid = || {
            ControlError::NotFound(format!(
                "unknown, expired or already used code {:?}",
                user_code.trim()
            ))
        };
        let code = normalize_user_code(user_code).ok_or_else(invalid)?;
        if !self
            .inner
            .store
            .approve_device_code(&code, &actor.user_id, now_ms())
            .await?
        {
            return Err(invalid());
        }
        tracing::info!(user = %actor.user_id, "device login approved");
        Ok(())
    }

    /// Approves a device login with email and password (the verification web page).
    pub async fn approve_device_login_with_password(
        &self,
        email: &str,
        password: &str,
        user_code: &str,
        client: Option<&str>,
    ) -> Result<()> {
        let user = self.verify_credentials(email, password, client).await?;
        let actor = Actor {
            user_id: user.id,
            email: user.email,
        };
        self.approve_device_login(&actor, user_code).await
    }

    fn grant(&self, user: &UserRow, refresh_token: String, now: i64) -> Result<TokenGrant> {
        Ok(TokenGrant {
            access_token: self.issue_session(user)?,
            refresh_token,
            expires_in: SESSION_LIFETIME_S,
            api_time: now,
            token_type: "Bearer",
            scope: "openid offline_access",
        })
    }

    /// Polls a device code. `Pending` until approved; errors when unknown or expired.
    pub async fn poll_device_login(&self, device_code: &str) -> Result<DevicePoll> {
        let digest = secrets::digest(device_code.trim());
        let now = now_ms();
        let row = self
            .inner
            .store
            .device_code(&digest)
            .await?
            .ok_or_else(|| ControlError::NotFound("unknown or already used device code".into()))?;
        if row.expires_at < now {
            return Err(ControlError::Invalid("the device code has expired".into()));
        }
        let Some(user_id) = row.approved_by else {
            return Ok(DevicePoll::Pending);
        };
        let user = self
            .inner
            .store
            .user_by_id(&user_id)
            .await?
            .ok_or_else(|| ControlError::NotFound("unknown or already used device code".into()))?;
        let refresh = secrets::random_token::<32>();
        if !self
            .inner
            .store
            .consume_device_code(
                &digest,
                &secrets::digest(&refresh),
                &user.id,
                now,
                now + REFRESH_LIFETIME_S * 1000,
            )
            .await?
        {
            return Err(ControlError::NotFound(
                "unknown or already used device code".into(),
            ));
        }
        Ok(DevicePoll::Granted(self.grant(&user, refresh, now)?))
    }

    /// Exchanges a refresh token for a new access token and a new refresh token (the old
    /// one stops working).
    pub async fn refresh_session(&self, refresh_token: &str) -> Result<TokenGrant> {
        let now = now_ms();
        let new_refresh = secrets::random_token::<32>();
        let invalid = || ControlError::Unauthenticated("invalid or expired refresh token".into());
        let user_id = self
            .inner
            .store
            .rotate_refresh_token(
                &secrets::digest(refresh_token.trim()),
                &secrets::digest(&new_refresh),
                now,
                now + REFRESH_LIFETIME_S * 1000,
            )
            .await?
            .ok_or_else(invalid)?;
        let user = self
            .inner
            .store
            .user_by_id(&user_id)
            .await?
            .ok_or_else(invalid)?;
        self.grant(&user, new_refresh, now)
    }

    /// Revokes one refresh token. Unknown tokens are not an error (nothing left to revoke).
    pub async fn revoke_refresh_token(&self, refresh_token: &str) -> Result<bool> {
        self.inner
            .store
            .delete_refresh_token(&secrets::digest(refresh_token.trim()))
            .await
    }

    /// Revokes every CLI session of the actor and every session token issued so far.
    /// Returns the number of refresh tokens revoked.
    pub async fn revoke_all_sessions(&self, actor: &Actor) -> Result<u64> {
        let n = self
            .inner
            .store
            .delete_refresh_tokens_of(&actor.user_id)
            .await?;
        self.inner.store.bump_session_gen(&actor.user_id).await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes() {
        let c = new_user_code();
        assert_eq!(c.len(), 9);
        assert_eq!(&c[4..5], "-");
        assert!(
            c.chars()
                .all(|ch| ch == '-' || USER_CODE_ALPHABET.contains(&(ch as u8)))
        );
        assert_eq!(
            normalize_user_code("bcdf ghjk").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(
            normalize_user_code("BCDF-GHJK").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(normalize_user_code("BCD"), None);
    }
}
