//! Users, password login and session tokens.

use crate::error::{ControlError, Result};
use crate::model::{Actor, User, ms_to_time, normalize_email};
use crate::secrets;
use crate::store::{UserRow, is_unique_violation};
use crate::{ControlPlane, SESSION_LIFETIME_S, now_ms};

/// Minimum password length.
pub const MIN_PASSWORD_LEN: usize = 8;

fn to_user(r: &UserRow) -> User {
    User {
        id: r.id.clone(),
        email: r.email.clone(),
        name: r.name.clone(),
        created_at: ms_to_time(r.created_at),
    }
}

fn check_password(pw: &str) -> Result<()> {
    if pw.chars().count() < MIN_PASSWORD_LEN {
        return Err(ControlError::Invalid(format!(
            "the password must be at least {MIN_PASSWORD_LEN} characters long"
        )));
    }
    if pw.len() > 1024 {
        return Err(ControlError::Invalid("the password is too long".into()));
    }
    Ok(())
}

impl ControlPlane {
    /// Creates a user. `name` defaults to the local part of the email.
    pub async fn create_user(
        &self,
        email: &str,
        password: &str,
        name: Option<&str>,
    ) -> Result<User> {
        let email = normalize_email(email)?;
        check_password(password)?;
        let pw = password.to_string();
        let hash = self.blocking(move || secrets::hash_password(&pw)).await??;
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
        let row = UserRow {
            id: uuid::Uuid::new_v4().to_string(),
            email: email.clone(),
            name,
            password_hash: hash,
            session_gen: 0,
            created_at: now_ms(),
        };
        match self.inner.store.insert_user(&row).await {
            Ok(()) => Ok(to_user(&row)),
            Err(ControlError::Storage(e)) if is_unique_violation(&e) => Err(
                ControlError::Conflict(format!("a user with email {email} already exists")),
            ),
            Err(e) => Err(e),
        }
    }

    /// All users, by email.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        Ok(self
            .inner
            .store
            .list_users()
            .await?
            .iter()
            .map(to_user)
            .collect())
    }

    /// Looks a user up by email.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = normalize_email(email)?;
        Ok(self
            .inner
            .store
            .user_by_email(&email)
            .await?
            .as_ref()
            .map(to_user))
    }

    /// Sets a user's password; every existing session and CLI refresh token of the user dies.
    pub async fn set_password(&self, email: &str, password: &str) -> Result<()> {
        let email = normalize_email(email)?;
        check_password(password)?;
        let user = self
            .inner
            .store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| ControlError::NotFound(format!("no user with email {email}")))?;
        let pw = password.to_string();
        let hash = self.blocking(move || secrets::hash_password(&pw)).await??;
        self.inner.store.set_password(&user.id, &hash).await?;
        Ok(())
    }

    /// Deletes a user. Refused while the user owns deployments or created organizations.
    pub async fn delete_user(&self, email: &str) -> Result<()> {
        let email = normalize_email(email)?;
        let user = self
            .inner
            .store
            .user_by_email(&email)
            .await?
            .ok_or_else(|| ControlError::NotFound(format!("no user with email {email}")))?;
        let (deps, orgs) = self.inner.store.user_references(&user.id).await?;
        if deps > 0 || orgs > 0 {
            return Err(ControlError::Conflict(format!(
                "user {email} still owns {deps} deployment(s) and created {orgs} organization(s); delete those first"
            )));
        }
        self.inner.store.delete_user(&user.id).await?;
        Ok(())
    }

    /// Password login. Returns a session token (HS256 JWT) for `Authorization: Bearer`.
    ///
    /// Failed attempts are throttled per email and per `client` address; unknown emails take
    /// as long as wrong passwords.
    pub async fn login(&self, email: &str, password: &str, client: Option<&str>) -> Result<String> {
        let user = self.verify_credentials(email, password, client).await?;
        self.issue_session(&user)
    }

    /// Checks email and password (throttled) and returns the user.
    pub(crate) async fn verify_credentials(
        &self,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<UserRow> {
        let wrong = || ControlError::Unauthenticated("invalid email or password".into());
        let email = match normalize_email(email) {
            Ok(e) => e,
            Err(_) => return Err(wrong()),
        };
        if !self.inner.throttle.lock().allowed(&email, client) {
            return Err(ControlError::Throttled(
                "too many failed login attempts; try again later".into(),
            ));
        }
        let user = self.inner.store.user_by_email(&email).await?;
        let stored = match &user {
            Some(u) => u.password_hash.clone(),
            None => self.dummy_hash().await?,
        };
        let pw = password.to_string();
        let ok = self
            .blocking(move || secrets::verify_password(&pw, &stored))
            .await?;
        match user {
            Some(u) if ok => {
                self.inner.throttle.lock().succeeded(&email);
                Ok(u)
            }
            _ => {
                self.inner.throttle.lock().failed(&email, client);
                tracing::info!(client = client.unwrap_or("-"), "failed login");
                Err(wrong())
            }
        }
    }

    async fn dummy_hash(&self) -> Result<String> {
        let h = self
            .inner
            .dummy_hash
            .get_or_try_init(|| async {
                let pw = secrets::random_token::<16>();
                self.blocking(move || secrets::hash_password(&pw)).await?
            })
            .await?;
        Ok(h.clone())
    }

    pub(crate) fn issue_session(&self, user: &UserRow) -> Result<String> {
        let now_s = now_ms() / 1000;
        self.inner.keys.sign_session(
            &user.id,
            &user.email,
            user.session_gen,
            now_s,
            SESSION_LIFETIME_S,
        )
    }

    /// Verifies a session token (from `Authorization: Bearer …`) and returns the acting user.
    /// The user must still exist and the token must not predate a password change or
    /// revoke-all.
    pub async fn authenticate_session(&self, token: &str) -> Result<Actor> {
        let unauth = |m: &str| ControlError::Unauthenticated(m.to_string());
        let token = token.trim();
        let token = token
            .strip_prefix("Bearer ")
            .or_else(|| token.strip_prefix("bearer "))
            .unwrap_or(token)
            .trim();
        if token.is_empty() {
            return Err(unauth(
                "unauthenticated: log in first (Authorization: Bearer <token>)",
            ));
        }
        let claims = self
            .inner
            .keys
            .verify_session(token)
            .ok_or_else(|| unauth("unauthenticated: invalid or expired token"))?;
        let user = self
            .inner
            .store
            .user_by_id(&claims.sub)
            .await?
            .ok_or_else(|| unauth("unauthenticated: the user no longer exists"))?;
        if user.session_gen != claims.gen_ {
            return Err(unauth("unauthenticated: the session was revoked"));
        }
        Ok(Actor {
            user_id: user.id,
            email: user.email,
        })
    }
}
