//! The control listener: `POST /graphql` (the control-plane GraphQL API), the REST paths of
//! the `slash-graphql` CLI (spec §3), the device-login page, `/metrics` and `/health`.
//!
//! Every response is JSON except the device page (HTML) and `/metrics` (Prometheus text).
//! REST errors are `{"error": "<message>", "code": "<kind>"}`; the device-token endpoints
//! use the OAuth names (`{"error": "authorization_pending", "error_description": …}`).

// Handlers return `Result<_, Response>` so an early error is already the HTTP answer.
#![allow(clippy::result_large_err)]

mod device_page;
pub mod graphql;
mod lambda;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use graphcloud_control::deployments::{DELETED_TEXT, UPDATED_TEXT};
use graphcloud_control::{Actor, ControlError, ControlPlane, DevicePoll, TokenGrant};
use serde_json::{Map, Value, json};

use crate::backend::BackendState;
use crate::http_util::{json_response, parse_graphql_request, read_body, rest_error};
use wire::*;

/// The caller's socket address, put into request extensions by the listener.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

/// State of the control listener.
pub(crate) struct ControlState {
    pub cp: ControlPlane,
    pub api: graphql::ControlApi,
    pub backends: BackendState,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub tls: bool,
}

pub(crate) fn router(state: Arc<ControlState>) -> Router {
    Router::new()
        .route(
            "/graphql",
            post(graphql_handler).fallback(graphql_wrong_method),
        )
        .route(
            "/health",
            get(|| async { json_response(StatusCode::OK, json!({ "status": "ok" })) }),
        )
        .route("/metrics", get(metrics_handler))
        .route("/device", get(device_page::show).post(device_page::submit))
        .route("/command-line/device-code", post(device_code))
        .route("/command-line/access-token", post(access_token))
        .route("/command-line/access-token/refresh", post(refresh))
        .route("/command-line/access-token/revoke", post(revoke))
        .route("/command-line/access-token/revoke-all", post(revoke_all))
        .route("/deployments", get(list_deployments))
        .route("/deployments/create", post(create_deployment))
        .route(
            "/deployment",
            axum::routing::patch(missing_uid).delete(missing_uid),
        )
        .route(
            "/deployment/",
            axum::routing::patch(missing_uid).delete(missing_uid),
        )
        .route(
            "/deployment/{uid}",
            axum::routing::patch(update_deployment).delete(delete_deployment),
        )
        .route("/deployments/{uid}/api-keys", post(create_api_key))
        .route("/deployment/{uid}/api-keys", post(create_api_key))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        // Other codings reach the handlers as they are and fail there with a JSON error
        // (instead of an empty 415).
        .layer(
            tower_http::decompression::RequestDecompressionLayer::new()
                .gzip(true)
                .pass_through_unaccepted(true),
        )
        .layer(axum::middleware::from_fn(
            |req: Request, next: axum::middleware::Next| async move {
                // /graphql answers oversized bodies itself, in the GraphQL shape.
                if req.uri().path() == "/graphql" {
                    next.run(req).await
                } else {
                    crate::http_util::reject_oversized(false, req, next).await
                }
            },
        ))
        .layer(axum::middleware::from_fn(
            |req: Request, next: axum::middleware::Next| async move {
                let graphql = req.uri().path() == "/graphql";
                crate::http_util::json_errors(graphql, req, next).await
            },
        ))
}

/// `/graphql` called with another method than POST: a GraphQL-shaped 405.
async fn graphql_wrong_method(method: Method) -> Response {
    json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({ "data": {}, "errors": [{
            "message": format!("{method} is not allowed on /graphql: use POST"),
            "extensions": { "code": "method_not_allowed" },
        }] }),
    )
}

async fn not_found(req: Request) -> Response {
    rest_error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such path: {}", req.uri().path()),
    )
}

async fn method_not_allowed(req: Request) -> Response {
    rest_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}

/// HTTP status of a control error.
pub(crate) fn status_of(e: &ControlError) -> StatusCode {
    match e {
        ControlError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        ControlError::Invalid(_) => StatusCode::BAD_REQUEST,
        ControlError::NotFound(_) => StatusCode::NOT_FOUND,
        ControlError::Conflict(_) => StatusCode::CONFLICT,
        ControlError::Forbidden(_) => StatusCode::FORBIDDEN,
        ControlError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        ControlError::Storage(_) | ControlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn control_error(e: ControlError) -> Response {
    if matches!(e, ControlError::Storage(_) | ControlError::Internal(_)) {
        tracing::error!(error = %e, "control-plane operation failed");
    }
    rest_error(status_of(&e), e.code(), e.public_message())
}

fn client_of(addr: &Option<axum::Extension<ClientAddr>>) -> Option<String> {
    addr.as_ref().map(|a| a.0.0.ip().to_string())
}

async fn metrics_handler(State(st): State<Arc<ControlState>>) -> Response {
    match &st.metrics {
        Some(h) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render() + &crate::render_latency(),
        )
            .into_response(),
        None => rest_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "metrics are not enabled",
        ),
    }
}

async fn graphql_handler(
    State(st): State<Arc<ControlState>>,
    addr: Option<axum::Extension<ClientAddr>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Body,
) -> Response {
    let gql_error = |status: StatusCode, code: &str, msg: String| {
        json_response(
            status,
            json!({ "data": {}, "errors": [{ "message": msg, "extensions": { "code": code } }] }),
        )
    };
    let bytes = match read_body(&headers, body).await {
        Ok(b) => b,
        Err(e) => return gql_error(e.status(), e.code(), e.message()),
    };
    let req = match parse_graphql_request(&Method::POST, &uri, &headers, &bytes) {
        Ok(r) => r,
        Err(e) => return gql_error(e.0, "bad_request", e.1),
    };
    let authorization = session_header(&headers).map(str::to_string);
    let client = client_of(&addr);
    // The GraphQL executor's future is not `Send` (it holds `&dyn` resolver objects), so it
    // runs to completion on a blocking thread that drives it with the runtime's handle.
    let handle = tokio::runtime::Handle::current();
    let st2 = st.clone();
    let run = move || {
        handle.block_on(async move {
            st2.api
                .execute(
                    &st2.cp,
                    &st2.backends,
                    authorization.as_deref(),
                    client.as_deref(),
                    req,
                )
                .await
        })
    };
    match tokio::task::spawn_blocking(run).await {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => {
            tracing::error!(error = %e, "control-plane GraphQL execution failed");
            gql_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal server error".into(),
            )
        }
    }
}

/// The session token of a control-plane call: `Authorization: Bearer <jwt>`, or (as the
/// earliest API draft had it) the JWT in `X-Auth-Token`.
fn session_header(headers: &HeaderMap) -> Option<&str> {
    [header::AUTHORIZATION.as_str(), "x-auth-token"]
        .into_iter()
        .find_map(|name| headers.get(name).and_then(|v| v.to_str().ok()))
        .filter(|v| !v.trim().is_empty())
}

/// Authenticates a REST call by its session token.
async fn bearer(st: &ControlState, headers: &HeaderMap) -> Result<Actor, Response> {
    let h = session_header(headers).unwrap_or("");
    st.cp.authenticate_session(h).await.map_err(control_error)
}

/// Reads a JSON object body; an empty body is `{}`.
async fn json_body(headers: &HeaderMap, body: Body) -> Result<Map<String, Value>, Response> {
    let bytes = read_body(headers, body)
        .await
        .map_err(|e| rest_error(e.status(), e.code(), e.message()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(rest_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the request body must be a JSON object",
        )),
        Err(e) => Err(rest_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("malformed JSON: {e}"),
        )),
    }
}

fn typed<T: serde::de::DeserializeOwned>(m: Map<String, Value>) -> Result<T, Response> {
    serde_json::from_value(Value::Object(m)).map_err(|e| {
        rest_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("invalid request body: {e}"),
        )
    })
}

fn grant_json(g: &TokenGrant) -> Value {
    json!({
        "access_token": g.access_token,
        "refresh_token": g.refresh_token,
        "expires_in": g.expires_in,
        "apiTime": g.api_time,
        "token_type": g.token_type,
        "scope": g.scope,
    })
}

fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    json_response(
        status,
        json!({ "error": error, "error_description": description.into() }),
    )
}

/// The base URL of this control listener as the client addressed it.
fn base_url(st: &ControlState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    format!("{}://{host}", if st.tls { "https" } else { "http" })
}

async fn device_code(
    State(st): State<Arc<ControlState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(r) = json_body(&headers, body).await {
        return r;
    }
    match st.cp.start_device_login().await {
        Ok(d) => {
            let uri = format!("{}/device", base_url(&st, &headers));
            json_response(
                StatusCode::OK,
                json!({
                    "device_code": d.device_code,
                    "user_code": d.user_code,
                    "verification_uri": uri,
                    "verification_uri_complete": format!("{uri}?user_code={}", d.user_code),
                    "expires_in": d.expires_in,
                    "interval": d.interval,
                }),
            )
        }
        Err(e) => control_error(e),
    }
}

fn string_field(m: &Map<String, Value>, name: &str) -> Option<String> {
    m.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty())
}

async fn access_token(
    State(st): State<Arc<ControlState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let m = match json_body(&headers, body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Some(code) = string_field(&m, "deviceCode").or_else(|| string_field(&m, "device_code"))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "deviceCode is required",
        );
    };
    match st.cp.poll_device_login(&code).await {
        Ok(DevicePoll::Granted(g)) => json_response(StatusCode::OK, grant_json(&g)),
        Ok(DevicePoll::Pending) => oauth_error(
            StatusCode::BAD_REQUEST,
            "authorization_pending",
            "the login has not been approved yet",
        ),
        Err(ControlError::Invalid(m)) => oauth_error(StatusCode::BAD_REQUEST, "expired_token", m),
        Err(ControlError::NotFound(m)) => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", m),
        Err(e) => control_error(e),
    }
}

/// The refresh token in a `/command-line/access-token/{refresh,revoke}` body: `refreshToken`
/// (what the CLI sends) or the OAuth spelling `refresh_token`.
async fn refresh_token_of(headers: &HeaderMap, body: Body) -> Result<String, Response> {
    let m = json_body(headers, body).await?;
    string_field(&m, "refreshToken")
        .or_else(|| string_field(&m, "refresh_token"))
        .ok_or_else(|| {
            oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "refreshToken is required",
            )
        })
}

async fn refresh(State(st): State<Arc<ControlState>>, headers: HeaderMap, body: Body) -> Response {
    let token = match refresh_token_of(&headers, body).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match st.cp.refresh_session(&token).await {
        Ok(g) => json_response(StatusCode::OK, grant_json(&g)),
        Err(ControlError::Unauthenticated(m)) => {
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_grant", m)
        }
        Err(e) => control_error(e),
    }
}

async fn revoke(State(st): State<Arc<ControlState>>, headers: HeaderMap, body: Body) -> Response {
    let token = match refresh_token_of(&headers, body).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    match st.cp.revoke_refresh_token(&token).await {
        Ok(revoked) => json_response(StatusCode::OK, json!({ "revoked": revoked })),
        Err(e) => control_error(e),
    }
}

async fn revoke_all(
    State(st): State<Arc<ControlState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let actor = match bearer(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = json_body(&headers, body).await {
        return r;
    }
    match st.cp.revoke_all_sessions(&actor).await {
        Ok(n) => json_response(StatusCode::OK, json!({ "tokens_count": n })),
        Err(e) => control_error(e),
    }
}

/// `GET /deployments`: every deployment of the caller, or one page with `?first=N` (1 to
/// 1000) and `?after=<uid>` (the last uid of the previous page), as in the GraphQL field.
async fn list_deployments(
    State(st): State<Arc<ControlState>>,
    headers: HeaderMap,
    query: Result<
        axum::extract::Query<std::collections::HashMap<String, String>>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Response {
    let actor = match bearer(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(axum::extract::Query(params)) = query else {
        return control_error(ControlError::Invalid(
            "the query string could not be parsed".into(),
        ));
    };
    let first = match params.get("first").map(|f| f.trim()) {
        None | Some("") => None,
        Some(f) => match f.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return control_error(ControlError::Invalid(format!(
                    "first must be an integer, not {f:?}"
                )));
            }
        },
    };
    let after = params.get("after").map(String::as_str);
    let listed = match st.cp.list_deployments_page(&actor, first, after).await {
        Ok(mut list) => lambda::fill_scripts(&st.backends, &mut list)
            .await
            .map(|_| list),
        Err(e) => Err(e),
    };
    match listed {
        Ok(list) => json_response(
            StatusCode::OK,
            Value::Array(list.iter().map(deployment_json).collect()),
        ),
        Err(e) => control_error(e),
    }
}

async fn create_deployment(
    State(st): State<Arc<ControlState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let actor = match bearer(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input: NewDeploymentIn = match json_body(&headers, body).await.and_then(typed) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let new = match input.into_model() {
        Ok(n) => n,
        Err(e) => return control_error(e),
    };
    match lambda::create(&st.cp, &st.backends, &actor, new).await {
        Ok(d) => json_response(StatusCode::OK, deployment_json(&d)),
        Err(e) => control_error(e),
    }
}

async fn missing_uid() -> Response {
    rest_error(
        StatusCode::BAD_REQUEST,
        "invalid",
        "a deployment uid is required in the path: /deployment/<uid>",
    )
}

async fn update_deployment(
    State(st): State<Arc<ControlState>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let actor = match bearer(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input: UpdateDeploymentIn = match json_body(&headers, body).await.and_then(typed) {
        Ok(i) => i,
        Err(r) => return r,
    };
    match lambda::update(&st.cp, &st.backends, &actor, &uid, input).await {
        Ok(_) => json_response(
            StatusCode::OK,
            json!({ "response": { "message": UPDATED_TEXT } }),
        ),
        Err(e) => control_error(e),
    }
}

async fn delete_deployment(
    State(st): State<Arc<ControlState>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
) -> Response {
    let actor = match bearer(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match st.cp.delete_deployment(&actor, &uid).await {
        Ok(id) => {
            st.backends.deployment_deleted(id).await;
            json_response(
                StatusCode::OK,
                json!({ "response": { "message": DELETED_TEXT } }),
            )
        }
        Err(e) => control_error(e),
    }
}

async fn create_api_key(
    State(st): State<Arc<ControlState>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let actor = match bearer(&st, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let m = match json_body(&headers, body).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    if let Some(k) = m
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "role" | "expiresAt"))
    {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("invalid request body: unknown field `{k}`"),
        );
    }
    let name = string_field(&m, "name").unwrap_or_else(|| "slash-graphql-cli".into());
    let role = string_field(&m, "role").unwrap_or_else(|| "client".into());
    let expires = match parse_expiry(m.get("expiresAt")) {
        Ok(e) => e,
        Err(e) => return control_error(e),
    };
    match st
        .cp
        .create_api_key(&actor, &uid, &name, &role, expires)
        .await
    {
        Ok(k) => json_response(StatusCode::OK, created_api_key_json(&k)),
        Err(e) => control_error(e),
    }
}
