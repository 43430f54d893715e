//! The backend listener: routes a request to one deployment (by `Host` or by the path prefix
//! `/backends/<subdomain>/…`), answers CORS preflights, `/health` and `/probe/graphql` without
//! credentials, checks the credential of everything else (spec §1.3/§1.4), and hands GraphQL
//! requests to [`crate::backend::BackendState::handle`].

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use graphcloud_control::{AnonymousAccess, BackendInfo, ControlPlane, CredentialError, Role};
use serde_json::json;
use tower_http::compression::Predicate as _;

use crate::backend::{Access, BackendContext, BackendState, Endpoint};
use crate::http_util::{
    BodyError, graphql_error_body, is_gzip, json_response, media_type, parse_graphql_request,
    raw_json_response, read_body_decoded,
};

/// State of the backend listener.
pub(crate) struct FrontDoor {
    pub control: ControlPlane,
    pub backends: BackendState,
    pub started: Instant,
}

/// Headers a browser may send (spec graphql-backend §0, plus the credential headers).
const ALLOW_HEADERS: &str = "X-Dgraph-AccessToken, X-Dgraph-AuthToken, Content-Type, Content-Length, \
    Accept-Encoding, Cache-Control, X-CSRF-Token, X-Auth-Token, X-Requested-With, Dg-Auth, Authorization";

pub(crate) fn router(state: Arc<FrontDoor>) -> Router {
    Router::new()
        .fallback(handle)
        .with_state(state)
        .layer(
            tower_http::compression::CompressionLayer::new()
                .gzip(true)
                // Export downloads are gzip files already.
                .compress_when(
                    tower_http::compression::predicate::DefaultPredicate::new().and(
                        tower_http::compression::predicate::NotForContentType::const_new(
                            "application/gzip",
                        ),
                    ),
                ),
        )
        .layer(axum::middleware::from_fn(|req, next| {
            crate::http_util::reject_oversized(true, req, next)
        }))
        .layer(axum::middleware::from_fn(|req, next| {
            crate::http_util::json_errors(true, req, next)
        }))
}

fn with_cors(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, GET, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    resp
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    json_response(status, graphql_error_body(code, message))
}

/// Whether `s` can be a subdomain at all (a DNS label: 1 to 63 letters, digits or '-', the
/// rule deployments are created with). Anything else is refused before the lookup, so the
/// short-lived lookup cache only ever holds short keys.
fn plausible_subdomain(s: &str) -> bool {
    (1..=63).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

/// Splits a request into (subdomain, path inside the backend).
pub(crate) fn route(host: Option<&str>, path: &str, base_domain: &str) -> Option<(String, String)> {
    if let Some(rest) = path.strip_prefix("/backends/") {
        let (sub, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if !plausible_subdomain(sub) {
            return None;
        }
        return Some((sub.to_ascii_lowercase(), format!("/{tail}")));
    }
    let host = host?.trim();
    if host.starts_with('[') {
        return None;
    }
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let sub = host.strip_suffix(base_domain)?.strip_suffix('.')?;
    if !plausible_subdomain(sub) {
        return None;
    }
    Some((sub.to_string(), path.to_string()))
}

/// The credential of a backend request, in the order of spec §1.4.
pub(crate) fn credential(headers: &HeaderMap) -> Option<String> {
    for name in ["x-auth-token", "dg-auth"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok())
            && !v.trim().is_empty()
        {
            return Some(v.trim().to_string());
        }
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let auth = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
        .unwrap_or(auth)
        .trim();
    (!auth.is_empty()).then(|| auth.to_string())
}

async fn handle(State(fd): State<Arc<FrontDoor>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let host = parts
        .uri
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
    let Some((sub, path)) = route(host.as_deref(), parts.uri.path(), fd.control.base_domain())
    else {
        return with_cors(error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no backend is served at this address",
        ));
    };
    let deployment = match fd.control.resolve_backend(&sub).await {
        Ok(Some(d)) => d,
        Ok(None) => {
            return with_cors(error(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("backend {sub:?} does not exist"),
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "backend lookup failed");
            return with_cors(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "backend lookup failed",
            ));
        }
    };
    tracing::debug!(deployment = %deployment.uid, path = %path, "backend request");
    if parts.method == Method::OPTIONS {
        return with_cors(StatusCode::OK.into_response());
    }
    if let Some(rest) = path.strip_prefix("/export/")
        && parts.method == Method::GET
    {
        return with_cors(download(&fd, &deployment, rest, parts.uri.query()).await);
    }
    let resp = match path.as_str() {
        "/health" => health(&fd, &deployment),
        "/query" if parts.method == Method::POST => {
            match authorize(&fd, &deployment, &parts.headers, Role::Client, false).await {
                Err(resp) => resp,
                Ok(_) => dql_query(&fd, &deployment, &parts.headers, body).await,
            }
        }
        "/admin/import" if parts.method == Method::POST => {
            match authorize(&fd, &deployment, &parts.headers, Role::Admin, false).await {
                Err(resp) => resp,
                Ok(_) => import(&fd, &deployment, &parts.headers, body).await,
            }
        }
        "/probe/graphql" => {
            let (status, body) = fd.backends.probe(&deployment).await;
            json_response(status, body)
        }
        "/graphql" => graphql(&fd, deployment, Endpoint::GraphQL, parts, body).await,
        "/admin" => graphql(&fd, deployment, Endpoint::Admin, parts, body).await,
        "/admin/slash" => graphql(&fd, deployment, Endpoint::AdminSlash, parts, body).await,
        "/admin/schema" if parts.method == Method::POST => {
            match authorize(&fd, &deployment, &parts.headers, Role::Admin, false).await {
                Err(resp) => resp,
                Ok(_) => match read_schema_body(&parts.headers, body).await {
                    Err(resp) => resp,
                    Ok(sdl) => {
                        let (status, out) = fd.backends.admin_schema(&deployment, sdl).await;
                        json_response(status, out)
                    }
                },
            }
        }
        "/query"
        | "/mutate"
        | "/commit"
        | "/alter"
        | "/admin/schema"
        | "/admin/schema/validate" => {
            let need = if matches!(path.as_str(), "/query" | "/mutate" | "/commit") {
                Role::Client
            } else {
                Role::Admin
            };
            match authorize(&fd, &deployment, &parts.headers, need, false).await {
                Err(resp) => resp,
                Ok(_) => error(
                    StatusCode::NOT_IMPLEMENTED,
                    "not_implemented",
                    format!("{path} is not supported by this server"),
                ),
            }
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such endpoint: {path}"),
        ),
    };
    with_cors(resp)
}

/// `GET /export/<id>/<file>?expires=…&signature=…`: an export file, without credentials.
async fn download(fd: &FrontDoor, d: &BackendInfo, rest: &str, query: Option<&str>) -> Response {
    use crate::backend::export::DownloadError as E;
    let Some((id, file)) = rest.split_once('/') else {
        return error(StatusCode::NOT_FOUND, "not_found", "no such export file");
    };
    match fd.backends.export_download(d, id, file, query).await {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/gzip".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(E::Expired) => error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this download link has expired: run the export again for new links",
        ),
        Err(E::BadSignature) => error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this download link is invalid (its signature does not match)",
        ),
        Err(E::NotFound) => error(StatusCode::NOT_FOUND, "not_found", "no such export file"),
        Err(E::Storage(e)) => {
            tracing::error!(error = %e, "reading an export file failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the export file cannot be read right now",
            )
        }
    }
}

/// A DQL error in Dgraph's `/query` shape.
fn dql_error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(
        status,
        json!({
            "errors": [{ "message": message.into(), "extensions": { "code": "ErrorInvalidRequest" } }],
            "data": null,
        }),
    )
}

/// `POST /query`: DQL schema queries (raw DQL or `{"query": …}` JSON).
async fn dql_query(fd: &FrontDoor, d: &BackendInfo, headers: &HeaderMap, body: Body) -> Response {
    let bytes = match read_body_decoded(headers, body).await {
        Ok(b) => b,
        Err(e) => return dql_error(e.status(), e.message()),
    };
    let text = String::from_utf8_lossy(&bytes).to_string();
    let query = if media_type(headers) == "application/json" {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => match v.get("query").and_then(|q| q.as_str()) {
                Some(q) => q.to_string(),
                None => {
                    return dql_error(StatusCode::BAD_REQUEST, "the JSON body has no \"query\"");
                }
            },
            Err(e) => {
                return dql_error(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}"));
            }
        }
    } else {
        text
    };
    let q = match crate::backend::dql::parse_schema_query(&query) {
        Ok(q) => q,
        Err(m) => return dql_error(StatusCode::BAD_REQUEST, m),
    };
    match fd
        .backends
        .dql_schema(d, q.preds.clone(), q.fields.clone())
        .await
    {
        Ok(mut data) => {
            if let Some(types) = &q.types {
                let kept: Vec<serde_json::Value> = data["types"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|t| types.iter().any(|n| t["name"] == n.as_str()))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                data = json!({ "types": kept });
            }
            json_response(StatusCode::OK, json!({ "data": data }))
        }
        Err(m) => dql_error(StatusCode::SERVICE_UNAVAILABLE, m),
    }
}

/// `POST /admin/import`: a Dgraph export (JSON or RDF, gzip or not) as the raw body, or
/// `{"schema": "<SDL>", "files": [{"name": …, "data": "<base64>"}]}`; all or nothing.
async fn import(fd: &FrontDoor, d: &BackendInfo, headers: &HeaderMap, body: Body) -> Response {
    use crate::http_util::{IMPORT_BODY_LIMIT, gunzip, read_body_limited};
    use base64::Engine as _;
    let fail = |status: StatusCode, m: String| error(status, "import_failed", m);
    let too_large = || {
        fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the import is larger than the limit of {} MiB",
                IMPORT_BODY_LIMIT / (1024 * 1024)
            ),
        )
    };
    let raw = match read_body_limited(headers, body, IMPORT_BODY_LIMIT).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large(),
        Err(e) => return error(e.status(), e.code(), e.message()),
    };
    let too_large_msg = format!(
        "the import is larger than the limit of {} MiB",
        IMPORT_BODY_LIMIT / (1024 * 1024)
    );
    let decode = |name: &str, bytes: &[u8]| -> Result<String, (StatusCode, String)> {
        let plain = if bytes.starts_with(&[0x1f, 0x8b]) {
            match gunzip(bytes, 2 * IMPORT_BODY_LIMIT) {
                Ok(p) => p,
                Err(BodyError::TooLarge) => {
                    return Err((StatusCode::PAYLOAD_TOO_LARGE, too_large_msg.clone()));
                }
                Err(e) => {
                    return Err((
                        StatusCode::BAD_REQUEST,
                        format!("{name}: not a readable gzip file: {}", e.message()),
                    ));
                }
            }
        } else {
            bytes.to_vec()
        };
        String::from_utf8(plain).map_err(|_| {
            (
                StatusCode::BAD_REQUEST,
                format!("{name}: the file is not UTF-8 text"),
            )
        })
    };
    let mut schema = None;
    let mut files = Vec::new();
    let envelope = (media_type(headers) == "application/json")
        .then(|| serde_json::from_slice::<serde_json::Value>(&raw).ok())
        .flatten()
        .filter(|v| v.get("files").is_some_and(|f| f.is_array()));
    if let Some(env) = envelope {
        if let Some(s) = env.get("schema").and_then(|s| s.as_str()) {
            match graphcloud_engine::import::graphql_schema_from_export(s) {
                Ok(s) => schema = Some(s),
                Err(m) => return fail(StatusCode::BAD_REQUEST, m),
            }
        }
        for (i, f) in env["files"].as_array().into_iter().flatten().enumerate() {
            let name = f["name"].as_str().unwrap_or("").to_string();
            let name = if name.is_empty() {
                format!("files[{i}]")
            } else {
                name
            };
            let Some(data) = f["data"].as_str() else {
                return fail(
                    StatusCode::BAD_REQUEST,
                    format!("{name}: no base64 \"data\""),
                );
            };
            let bytes = match base64::engine::general_purpose::STANDARD.decode(data.trim()) {
                Ok(b) => b,
                Err(e) => {
                    return fail(
                        StatusCode::BAD_REQUEST,
                        format!("{name}: invalid base64: {e}"),
                    );
                }
            };
            match decode(&name, &bytes) {
                Ok(text) => files.push(graphcloud_engine::import::ImportFile { name, text }),
                Err((status, m)) => return fail(status, m),
            }
        }
    } else {
        match decode("body", &raw) {
            Ok(text) => files.push(graphcloud_engine::import::ImportFile {
                name: "body".into(),
                text,
            }),
            Err((status, m)) => return fail(status, m),
        }
    }
    if files.is_empty() && schema.is_none() {
        return fail(
            StatusCode::BAD_REQUEST,
            "nothing to import: no files".into(),
        );
    }
    let started = Instant::now();
    match fd.backends.import(d, schema, files).await {
        Ok(r) => {
            let secs = started.elapsed().as_secs_f64();
            json_response(
                StatusCode::OK,
                json!({
                    "code": "Success",
                    "message": format!("Imported {} edges on {} nodes", r.edges, r.nodes),
                    "nodes": r.nodes,
                    "edges": r.edges,
                    "schemaApplied": r.schema_applied,
                    "seconds": secs,
                }),
            )
        }
        Err(m) => fail(StatusCode::BAD_REQUEST, m),
    }
}

/// An error before execution in the shape of Dgraph's GraphQL handler: HTTP 200,
/// `{"errors":[{"message":…}]}`.
fn dgraph_error(message: String) -> Response {
    json_response(
        StatusCode::OK,
        json!({ "errors": [{ "message": message }] }),
    )
}

/// The raw SDL body of `POST /admin/schema`, decompressed when it is gzip. Errors are the
/// ones of Dgraph's `/admin/schema` (HTTP 200, `extensions.code`): `Unable to create
/// decompressor` (code `Error`) for a body that is not gzip, `Unsupported content encoding`
/// for codings other than gzip and identity, the decoder's error for a corrupt stream.
async fn read_schema_body(headers: &HeaderMap, body: Body) -> Result<String, Response> {
    let coded = |code: &str, m: &str| json_response(StatusCode::OK, graphql_error_body(code, m));
    if let Some(enc) = headers.get(header::CONTENT_ENCODING) {
        let enc = enc.to_str().unwrap_or("?").trim();
        if !enc.is_empty() && !enc.eq_ignore_ascii_case("identity") && !is_gzip(headers) {
            return Err(coded("ErrorInvalidRequest", "Unsupported content encoding"));
        }
    }
    let bytes = match read_body_decoded(headers, body).await {
        Ok(b) => b,
        Err(BodyError::GzipHeader(_)) => {
            return Err(coded("Error", "Unable to create decompressor"));
        }
        Err(BodyError::GzipStream(e)) => return Err(coded("ErrorInvalidRequest", &e)),
        Err(e) => return Err(error(e.status(), e.code(), e.message())),
    };
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the schema must be UTF-8 text",
        )
    })
}

fn health(fd: &FrontDoor, d: &BackendInfo) -> Response {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json_response(
        StatusCode::OK,
        json!([{
            "instance": "alpha",
            "address": d.subdomain,
            "status": "healthy",
            "group": "1",
            "version": concat!("graphcloud-", env!("CARGO_PKG_VERSION")),
            "uptime": fd.started.elapsed().as_nanos() as u64,
            "lastEcho": now,
            "ongoing": [],
            "indexing": [],
            "ee_features": [],
        }]),
    )
}

/// Decides the caller's access: a credential must be valid for this deployment and carry at
/// least `need`; without one, `/graphql` may run at the deployment's anonymous level.
async fn authorize(
    fd: &FrontDoor,
    d: &BackendInfo,
    headers: &HeaderMap,
    need: Role,
    anonymous_ok: bool,
) -> Result<Access, Response> {
    let unauthorized = |m: &str| error(StatusCode::UNAUTHORIZED, "unauthorized", m.to_string());
    let Some(cred) = credential(headers) else {
        if anonymous_ok && d.anonymous_access != AnonymousAccess::None {
            return Ok(Access::Anonymous(d.anonymous_access));
        }
        return Err(unauthorized(
            "missing credential: send an API key or the deployment token in X-Auth-Token, Dg-Auth or Authorization",
        ));
    };
    match fd.control.authenticate_backend(d, &cred).await {
        Ok(role) => {
            if need == Role::Admin && role != Role::Admin {
                return Err(error(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "this endpoint needs an admin API key or the deployment token",
                ));
            }
            Ok(match role {
                Role::Admin => Access::Admin,
                Role::Client => Access::Client,
            })
        }
        Err(CredentialError::Unavailable) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            CredentialError::Unavailable.to_string(),
        )),
        Err(e) => Err(unauthorized(&e.to_string())),
    }
}

async fn graphql(
    fd: &FrontDoor,
    deployment: Arc<BackendInfo>,
    endpoint: Endpoint,
    parts: axum::http::request::Parts,
    body: Body,
) -> Response {
    let need = if endpoint == Endpoint::GraphQL {
        Role::Client
    } else {
        Role::Admin
    };
    let access = match authorize(
        fd,
        &deployment,
        &parts.headers,
        need,
        endpoint == Endpoint::GraphQL,
    )
    .await
    {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    // Body problems are answered as Dgraph's GraphQL handler does: HTTP 200 with one error.
    let bytes = match read_body_decoded(&parts.headers, body).await {
        Ok(b) => b,
        Err(BodyError::GzipHeader(e)) => {
            return dgraph_error(format!("Unable to parse gzip: {e}"));
        }
        Err(BodyError::GzipStream(e)) if parts.method == Method::POST => {
            match media_type(&parts.headers).as_str() {
                "application/json" => {
                    return dgraph_error(format!("Not a valid GraphQL request body: {e}"));
                }
                "application/graphql" => {
                    return dgraph_error(format!("Could not read GraphQL request body: {e}"));
                }
                // The body is not read for other content types: the parser names the problem.
                _ => Default::default(),
            }
        }
        // A GET request's body is not read.
        Err(BodyError::GzipStream(_)) => Default::default(),
        Err(e) => return error(e.status(), e.code(), e.message()),
    };
    // A request that cannot be read as GraphQL is answered as Dgraph's handler does too:
    // HTTP 200 with one error (graphql-backend.md §0: responses are always HTTP 200).
    let req = match parse_graphql_request(&parts.method, &parts.uri, &parts.headers, &bytes) {
        Ok(r) => r,
        Err(e) => return dgraph_error(e.1),
    };
    let ctx = BackendContext {
        deployment,
        access,
        endpoint,
        headers: parts.headers,
    };
    let out = fd.backends.handle(ctx, req).await;
    let mut resp = match out.raw {
        Some(raw) => raw_json_response(StatusCode::OK, raw),
        None => json_response(StatusCode::OK, out.body),
    };
    for (k, v) in out.headers {
        resp.headers_mut().insert(k, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing() {
        assert_eq!(
            route(Some("app.localhost:8080"), "/graphql", "localhost"),
            Some(("app".into(), "/graphql".into()))
        );
        assert_eq!(
            route(Some("APP.localhost"), "/admin", "localhost"),
            Some(("app".into(), "/admin".into()))
        );
        assert_eq!(
            route(
                Some("127.0.0.1:8080"),
                "/backends/app/admin/slash",
                "localhost"
            ),
            Some(("app".into(), "/admin/slash".into()))
        );
        assert_eq!(
            route(Some("127.0.0.1:8080"), "/backends/app", "localhost"),
            Some(("app".into(), "/".into()))
        );
        assert_eq!(route(Some("localhost:8080"), "/graphql", "localhost"), None);
        assert_eq!(route(Some("a.b.localhost"), "/graphql", "localhost"), None);
        assert_eq!(
            route(Some("app.example.com"), "/graphql", "localhost"),
            None
        );
        assert_eq!(route(None, "/backends//graphql", "localhost"), None);
        let long = "a".repeat(64);
        assert_eq!(
            route(None, &format!("/backends/{long}/health"), "localhost"),
            None
        );
        assert_eq!(
            route(Some(&format!("{long}.localhost")), "/health", "localhost"),
            None
        );
        assert_eq!(route(None, "/backends/a_b/health", "localhost"), None);
        assert_eq!(route(None, "/backends/a%20b/health", "localhost"), None);
        let max = "a".repeat(63);
        assert_eq!(
            route(None, &format!("/backends/{max}/health"), "localhost"),
            Some((max, "/health".into()))
        );
    }

    #[test]
    fn credential_order() {
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer c"));
        assert_eq!(credential(&h).as_deref(), Some("c"));
        h.insert("dg-auth", HeaderValue::from_static("b"));
        assert_eq!(credential(&h).as_deref(), Some("b"));
        h.insert("x-auth-token", HeaderValue::from_static("a"));
        assert_eq!(credential(&h).as_deref(), Some("a"));
        let mut raw = HeaderMap::new();
        raw.insert("authorization", HeaderValue::from_static("rawkey"));
        assert_eq!(credential(&raw).as_deref(), Some("rawkey"));
        assert_eq!(credential(&HeaderMap::new()), None);
    }
}
