//! Public value types of the control plane and the validation of their inputs.

use std::fmt;

use time::OffsetDateTime;

use crate::error::{ControlError, Result};

/// The authenticated user an operation acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub email: String,
}

/// A user account (never the password hash).
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

/// Role of an API key on its backend (spec §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `/graphql` (and DQL query/mutate) only.
    Client,
    /// Everything, including `/admin` and `/admin/slash`.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Admin => "admin",
        }
    }

    /// Parses `admin` / `client` (case-insensitive).
    pub fn parse(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "client" => Ok(Role::Client),
            _ => Err(ControlError::Invalid(format!(
                "invalid role {s:?}: must be one of admin, client"
            ))),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request without any credential may do on a backend's `/graphql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AnonymousAccess {
    /// Nothing: keyless requests are refused (default).
    #[default]
    None,
    /// Queries only.
    Read,
    /// Queries and mutations.
    ReadWrite,
}

impl AnonymousAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            AnonymousAccess::None => "none",
            AnonymousAccess::Read => "read",
            AnonymousAccess::ReadWrite => "readwrite",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(AnonymousAccess::None),
            "read" => Ok(AnonymousAccess::Read),
            "readwrite" => Ok(AnonymousAccess::ReadWrite),
            _ => Err(ControlError::Invalid(format!(
                "invalid anonymousAccess {s:?}: must be one of none, read, readwrite"
            ))),
        }
    }
}

/// Deployment tiers (spec §5.3).
pub const DEPLOYMENT_TYPES: &[&str] = &["free", "shared", "dedicated"];
/// Schema modes (spec §5.2).
pub const DEPLOYMENT_MODES: &[&str] = &["readonly", "graphql", "flexible"];
/// Sizes of dedicated backends.
pub const SIZES: &[&str] = &["small", "medium", "large", "xlarge"];
/// Zones a deployment may name. A self-hosted server runs every zone in the same place; the
/// value is kept for compatibility with clients that send one.
pub const ZONES: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "us-test-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "local",
];
/// Zone used when a create request names none.
pub const DEFAULT_ZONE: &str = "us-east-1";

/// A deployment (backend) as clients see it (spec §5.1).
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Internal numeric id (the graph data of the backend is keyed by it).
    pub id: i64,
    /// `0x` + lowercase hex of `id`.
    pub uid: String,
    pub name: String,
    pub zone: String,
    /// `<subdomain>.<base-domain>[:port]`, no scheme.
    pub url: String,
    pub subdomain: String,
    /// Owner user id.
    pub owner: String,
    /// Per-deployment admin credential.
    pub jwt_token: String,
    pub deployment_mode: String,
    pub deployment_type: String,
    pub anonymous_access: AnonymousAccess,
    /// Base64 lambda script, `""` when none.
    pub lambda_script: String,
    /// Always 0 (no multi-tenancy).
    pub tenant_id: i64,
    /// Owning organization uid, if any.
    pub organization_uid: Option<String>,
    pub size: String,
    pub created_at: OffsetDateTime,
}

/// Input of `createDeployment` / `POST /deployments/create` (every spelling of spec §2.3,
/// §3.6, §7). Boolean-like fields are strings as clients send them (`"true"`/`"false"`).
#[derive(Debug, Clone, Default)]
pub struct NewDeployment {
    pub name: String,
    pub zone: Option<String>,
    pub deployment_type: Option<String>,
    pub subdomain: Option<String>,
    pub deployment_mode: Option<String>,
    /// `organizationUID` / `organizationId`; `""` means none.
    pub organization_uid: Option<String>,
    /// Legacy: `"true"` asks for a dedicated backend when `deployment_type` is absent.
    pub enterprise: Option<String>,
    pub size: Option<String>,
    pub storage: Option<i64>,
    pub acl_enabled: Option<String>,
    pub jaeger_enabled: Option<String>,
    pub dgraph_ha: Option<String>,
    pub anonymous_access: Option<String>,
    pub lambda_script: Option<String>,
}

/// Input of `updateDeployment` / `PATCH /deployment/{uid}`. `None` = unchanged.
#[derive(Debug, Clone, Default)]
pub struct DeploymentUpdate {
    pub name: Option<String>,
    pub deployment_mode: Option<String>,
    pub deployment_type: Option<String>,
    /// `""` or absent: unchanged. A uid: move into that organization.
    pub organization_uid: Option<String>,
    /// `""` deletes the script.
    pub lambda_script: Option<String>,
    pub anonymous_access: Option<String>,
}

/// An API key right after creation: the only time the secret is visible.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    pub uid: String,
    pub name: String,
    pub role: Role,
    pub key: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
}

/// An API key as listed (never the secret).
#[derive(Debug, Clone)]
pub struct ApiKeyInfo {
    pub uid: String,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

/// A member of an organization.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: String,
    pub name: String,
    pub email: String,
}

/// An organization with its members (spec §2.8).
#[derive(Debug, Clone)]
pub struct Organization {
    pub uid: String,
    pub name: String,
    pub created_by: Member,
    pub members: Vec<Member>,
}

/// Start of a device login (spec §3.1); the server adds the verification URIs.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// Tokens handed to a CLI (spec §3.2/§3.3).
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub access_token: String,
    pub refresh_token: String,
    /// Lifetime of `access_token` in seconds.
    pub expires_in: i64,
    /// Issue time, Unix milliseconds.
    pub api_time: i64,
    pub token_type: &'static str,
    pub scope: &'static str,
}

/// Outcome of polling a device code.
#[derive(Debug, Clone)]
pub enum DevicePoll {
    /// Not approved yet: keep polling.
    Pending,
    /// Approved: here are the tokens (the code is consumed).
    Granted(TokenGrant),
}

/// `0x` + lowercase hex.
pub fn format_uid(id: i64) -> String {
    format!("0x{id:x}")
}

/// Parses `0x<hex>` (case-insensitive) into the numeric id.
pub fn parse_uid(s: &str) -> Option<i64> {
    let s = s.trim();
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    i64::from_str_radix(hex, 16).ok().filter(|v| *v > 0)
}

/// Lenient boolean: `true`/`false` in any case, `1`/`0`, `yes`/`no`, and `""` as false.
pub fn parse_flag(field: &str, v: Option<&str>) -> Result<bool> {
    match v.map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(s) => match s.as_str() {
            "" | "false" | "0" | "no" => Ok(false),
            "true" | "1" | "yes" => Ok(true),
            _ => Err(ControlError::Invalid(format!(
                "invalid {field} {s:?}: must be true or false"
            ))),
        },
    }
}

/// Checks a value against a fixed list.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String> {
    let v = value.trim().to_ascii_lowercase();
    if allowed.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(ControlError::Invalid(format!(
            "invalid {field} {value:?}: must be one of {}",
            allowed.join(", ")
        )))
    }
}

/// Whether `s` contains `0x` followed by a hex digit (clients take such a host for a uid).
pub fn contains_hex_uid(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(3)
        .any(|w| w[0] == b'0' && (w[1] == b'x' || w[1] == b'X') && w[2].is_ascii_hexdigit())
}

/// Validates a requested subdomain: one DNS label of `[a-z0-9-]`, 1–63 chars, no leading or
/// trailing `-`, not containing `0x<hex>`. Upper case is folded.
pub fn validate_subdomain(s: &str) -> Result<String> {
    let v = s.trim().to_ascii_lowercase();
    let err = |why: &str| ControlError::Invalid(format!("invalid subdomain {s:?}: {why}"));
    if v.is_empty() || v.len() > 63 {
        return Err(err("must be 1 to 63 characters long"));
    }
    if !v
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Err(err("only letters, digits and '-' are allowed"));
    }
    if v.starts_with('-') || v.ends_with('-') {
        return Err(err("must not start or end with '-'"));
    }
    if contains_hex_uid(&v) {
        return Err(err("must not contain '0x' followed by a hex digit"));
    }
    Ok(v)
}

/// Derives a subdomain candidate from a display name (`My New Deployment` →
/// `my-new-deployment`); `None` if nothing usable remains.
pub fn slugify(name: &str) -> Option<String> {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
        if out.len() >= 48 {
            break;
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() || contains_hex_uid(&out) {
        None
    } else {
        Some(out)
    }
}

const ADJECTIVES: &[&str] = &[
    "polished", "quiet", "brave", "calm", "eager", "gentle", "lively", "proud", "silent", "witty",
    "bold", "bright", "clever", "crisp", "fancy", "jolly", "kind", "lucky", "merry", "noble",
    "rapid", "shiny", "sunny", "tidy", "vivid", "warm", "wise", "zesty", "amber", "misty",
];
const NOUNS: &[&str] = &[
    "violet", "river", "meadow", "falcon", "harbor", "maple", "comet", "canyon", "breeze", "cedar",
    "ember", "forest", "glacier", "island", "lagoon", "lantern", "mesa", "orchid", "pebble",
    "prairie", "quartz", "raven", "spruce", "summit", "thunder", "tulip", "valley", "willow",
    "wren", "zephyr",
];

/// A random `adjective-noun` subdomain, with a short letter suffix when `suffix` is set.
pub fn random_subdomain(suffix: bool) -> String {
    let r: [u8; 8] = rand::random();
    let mut s = format!(
        "{}-{}",
        ADJECTIVES[r[0] as usize % ADJECTIVES.len()],
        NOUNS[r[1] as usize % NOUNS.len()]
    );
    if suffix {
        s.push('-');
        s.push_str(&letters(&r[2..6]));
    }
    s
}

/// Lowercase letters (no digits, so no `0x<hex>` can appear) from random bytes.
pub fn letters(bytes: &[u8]) -> String {
    bytes.iter().map(|b| (b'a' + (b % 26)) as char).collect()
}

/// Normalizes an email address (trim, lowercase) and checks its basic shape.
pub fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_ascii_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && !d.is_empty() && !d.starts_with('.') && !d.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(ControlError::Invalid(format!(
            "invalid email address {email:?}"
        )))
    }
}

/// Unix milliseconds → `OffsetDateTime`.
pub fn ms_to_time(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `OffsetDateTime` → Unix milliseconds.
pub fn time_to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids() {
        assert_eq!(format_uid(255), "0xff");
        assert_eq!(parse_uid("0xff"), Some(255));
        assert_eq!(parse_uid("0XFF"), Some(255));
        assert_eq!(parse_uid("0x"), None);
        assert_eq!(parse_uid("ff"), None);
        assert_eq!(parse_uid("0x0"), None);
        assert_eq!(parse_uid("0xzz"), None);
    }

    #[test]
    fn subdomains() {
        assert_eq!(validate_subdomain("My-App").unwrap(), "my-app");
        assert!(validate_subdomain("-a").is_err());
        assert!(validate_subdomain("a_b").is_err());
        assert!(validate_subdomain("app0xbeef").is_err());
        assert!(validate_subdomain(&"a".repeat(64)).is_err());
        assert!(validate_subdomain("").is_err());
        assert_eq!(
            slugify("My New Deployment").as_deref(),
            Some("my-new-deployment")
        );
        assert_eq!(slugify("  ***  "), None);
        assert_eq!(slugify("take 0xabc"), None);
        let r = random_subdomain(true);
        assert!(validate_subdomain(&r).is_ok(), "{r}");
    }

    #[test]
    fn flags_and_enums() {
        assert!(parse_flag("aclEnabled", Some("TRUE")).unwrap());
        assert!(!parse_flag("aclEnabled", Some("false")).unwrap());
        assert!(!parse_flag("aclEnabled", None).unwrap());
        assert!(parse_flag("aclEnabled", Some("maybe")).is_err());
        assert_eq!(
            one_of("deploymentMode", "GraphQL", DEPLOYMENT_MODES).unwrap(),
            "graphql"
        );
        let e = one_of("deploymentMode", "strict", DEPLOYMENT_MODES).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid deploymentMode \"strict\": must be one of readonly, graphql, flexible"
        );
        assert_eq!(Role::parse("Admin").unwrap(), Role::Admin);
        assert!(Role::parse("owner").is_err());
        assert_eq!(
            AnonymousAccess::parse("readwrite").unwrap(),
            AnonymousAccess::ReadWrite
        );
    }

    #[test]
    fn emails() {
        assert_eq!(normalize_email(" A@B.io ").unwrap(), "a@b.io");
        assert!(normalize_email("nobody").is_err());
        assert!(normalize_email("a@").is_err());
        assert!(normalize_email("a b@c.d").is_err());
    }
}
