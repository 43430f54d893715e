//! HTTP helpers shared by both listeners: JSON error bodies, bounded body reading, and
//! GraphQL-over-HTTP request parsing.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::backend::GraphQLRequest;

/// Largest accepted request body (after gzip decompression).
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Longest wait for the next piece of a request body: a client that stops sending mid-body
/// (a chunked body that never ends, a `Content-Length` larger than what follows) gets a 408
/// instead of holding the request open forever.
pub const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A JSON response with the given status.
pub fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A response whose JSON body is already written.
pub fn raw_json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// REST-style error: `{"error": message, "code": code}`.
pub fn rest_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    json_response(status, json!({ "error": message.into(), "code": code }))
}

/// GraphQL-style error body: `{"errors":[{"message", "extensions":{"code"}}]}`.
pub fn graphql_error_body(code: &str, message: impl Into<String>) -> Value {
    json!({ "errors": [{ "message": message.into(), "extensions": { "code": code } }] })
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    Stalled,
    Unreadable(String),
    /// `Content-Encoding: gzip` but the body does not start with a gzip header (the text is
    /// the decoder's error, e.g. `gzip: invalid header`).
    GzipHeader(String),
    /// The gzip header was fine but the compressed stream is corrupt or truncated.
    GzipStream(String),
}

impl BodyError {
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Stalled => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            BodyError::TooLarge => "payload_too_large",
            BodyError::Stalled => "request_timeout",
            _ => "bad_request",
        }
    }

    pub fn message(&self) -> String {
        match self {
            BodyError::TooLarge => format!(
                "request body is larger than the limit of {} MiB",
                BODY_LIMIT / (1024 * 1024)
            ),
            BodyError::Stalled => format!(
                "the request body stalled: no data for {} seconds",
                BODY_IDLE_TIMEOUT.as_secs()
            ),
            BodyError::Unreadable(e) => format!("could not read the request body: {e}"),
            BodyError::GzipHeader(e) => format!("Unable to parse gzip: {e}"),
            BodyError::GzipStream(e) => format!("could not read the request body: {e}"),
        }
    }
}

/// Reads a whole body, refusing more than [`BODY_LIMIT`] bytes.
pub async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, BodyError> {
    read_body_limited(headers, body, BODY_LIMIT).await
}

/// Bodies of `POST /admin/import` (data files) may be this large, compressed or not.
pub const IMPORT_BODY_LIMIT: usize = 1024 * 1024 * 1024;

/// Whether a path is one whose body may exceed [`BODY_LIMIT`] (it reads its own, larger
/// limit).
pub fn large_body_path(path: &str) -> bool {
    path.ends_with("/admin/import")
}

/// Reads a whole body, refusing more than `limit` bytes.
pub async fn read_body_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, BodyError> {
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
        && !headers.contains_key(header::CONTENT_ENCODING)
    {
        return Err(BodyError::TooLarge);
    }
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    let mut buf = bytes::BytesMut::new();
    loop {
        let chunk = match tokio::time::timeout(BODY_IDLE_TIMEOUT, stream.next()).await {
            Err(_) => return Err(BodyError::Stalled),
            Ok(None) => return Ok(buf.freeze()),
            Ok(Some(Ok(chunk))) => chunk,
            Ok(Some(Err(e))) => {
                let mut text = e.to_string();
                let mut src = std::error::Error::source(&e);
                while let Some(s) = src {
                    let part = s.to_string();
                    if !text.contains(&part) {
                        text.push_str(": ");
                        text.push_str(&part);
                    }
                    src = s.source();
                }
                return Err(BodyError::Unreadable(text));
            }
        };
        if buf.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
}

/// Whether the request declares `Content-Encoding: gzip` (the first value, as Dgraph reads
/// it; `x-gzip` is the same coding).
pub fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip"))
}

/// Reads a whole body like [`read_body`] and, when it is `Content-Encoding: gzip`,
/// decompresses it. [`BODY_LIMIT`] bounds the compressed and the decompressed size alike, so
/// a small body that inflates without end (a "gzip bomb") stops at the limit with
/// [`BodyError::TooLarge`]. Other content codings are passed through untouched (the caller's
/// parser then reports what it cannot read).
pub async fn read_body_decoded(headers: &HeaderMap, body: Body) -> Result<Bytes, BodyError> {
    let raw = read_body(headers, body).await?;
    if !is_gzip(headers) {
        return Ok(raw);
    }
    gunzip(&raw, BODY_LIMIT).map(Bytes::from)
}

/// Decompresses a (possibly multi-member) gzip body into at most `limit` bytes.
///
/// Header problems are reported with the texts of Go's `compress/gzip` (what Dgraph answers):
/// `EOF` for an empty body, `unexpected EOF` for a body shorter than a gzip header, and
/// `gzip: invalid header` for anything that is not gzip.
pub fn gunzip(raw: &[u8], limit: usize) -> Result<Vec<u8>, BodyError> {
    use std::io::Read;
    if raw.is_empty() {
        return Err(BodyError::GzipHeader("EOF".into()));
    }
    if raw.len() < 10 {
        return Err(BodyError::GzipHeader("unexpected EOF".into()));
    }
    if raw[0] != 0x1f || raw[1] != 0x8b || raw[2] != 8 {
        return Err(BodyError::GzipHeader("gzip: invalid header".into()));
    }
    let mut out = Vec::with_capacity((raw.len() * 4).min(limit));
    let mut decoder = flate2::read::MultiGzDecoder::new(raw).take(limit as u64 + 1);
    match decoder.read_to_end(&mut out) {
        Ok(_) if out.len() > limit => Err(BodyError::TooLarge),
        Ok(_) => Ok(out),
        Err(e) => Err(match e.kind() {
            std::io::ErrorKind::UnexpectedEof => BodyError::GzipStream("unexpected EOF".into()),
            _ => {
                let text = e.to_string();
                if text.contains("header") && out.is_empty() {
                    BodyError::GzipHeader("gzip: invalid header".into())
                } else if text.contains("header") {
                    // Bytes after a complete member that do not start another member.
                    BodyError::GzipStream("gzip: invalid header".into())
                } else if text.contains("checksum") || text.contains("crc") {
                    BodyError::GzipStream("gzip: invalid checksum".into())
                } else if text.contains("deflate") {
                    BodyError::GzipStream("flate: corrupt input".into())
                } else {
                    BodyError::GzipStream(text)
                }
            }
        }),
    }
}

/// The media type of a request (lowercase, without parameters).
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Why a GraphQL-over-HTTP request could not be parsed (HTTP status, message).
pub struct ParseError(pub StatusCode, pub String);

fn object_param(name: &str, v: Option<Value>) -> Result<Map<String, Value>, ParseError> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(Value::Null) => Ok(Map::new()),
            _ => Err(ParseError(
                StatusCode::BAD_REQUEST,
                format!("{name} must be a JSON object"),
            )),
        },
        Some(_) => Err(ParseError(
            StatusCode::BAD_REQUEST,
            format!("{name} must be a JSON object"),
        )),
    }
}

fn from_json_object(v: Value) -> Result<GraphQLRequest, ParseError> {
    let Value::Object(mut m) = v else {
        return Err(ParseError(
            StatusCode::BAD_REQUEST,
            "the request body must be a JSON object".into(),
        ));
    };
    let query = match m.remove("query") {
        Some(Value::String(q)) => q,
        None | Some(Value::Null) => String::new(),
        Some(_) => {
            return Err(ParseError(
                StatusCode::BAD_REQUEST,
                "query must be a string".into(),
            ));
        }
    };
    let operation_name = match m.remove("operationName") {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        None | Some(Value::Null) | Some(Value::String(_)) => None,
        Some(_) => {
            return Err(ParseError(
                StatusCode::BAD_REQUEST,
                "operationName must be a string".into(),
            ));
        }
    };
    Ok(GraphQLRequest {
        query,
        operation_name,
        variables: object_param("variables", m.remove("variables"))?,
        extensions: object_param("extensions", m.remove("extensions"))?,
    })
}

/// The `extensions.persistedQuery.sha256Hash` of a request, if it names one (an empty hash
/// means none, as in Dgraph). A `persistedQuery` that is not an object, or a hash that is not
/// a string, makes the request unreadable.
pub fn persisted_query_hash(extensions: &Map<String, Value>) -> Result<Option<&str>, ParseError> {
    let bad = |m: &str| {
        ParseError(
            StatusCode::BAD_REQUEST,
            format!("Not a valid GraphQL request body: {m}"),
        )
    };
    match extensions.get("persistedQuery") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(pq)) => match pq.get("sha256Hash") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(h)) if h.is_empty() => Ok(None),
            Some(Value::String(h)) => Ok(Some(h.as_str())),
            Some(_) => Err(bad("extensions.persistedQuery.sha256Hash must be a string")),
        },
        Some(_) => Err(bad("extensions.persistedQuery must be an object")),
    }
}

/// Parses a GraphQL-over-HTTP request: GET with URL parameters, POST with
/// `application/json` or `application/graphql`.
pub fn parse_graphql_request(
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<GraphQLRequest, ParseError> {
    let req = if method == Method::GET {
        let axum::extract::Query(params) =
            axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(uri)
                .map_err(|e| {
                    ParseError(
                        StatusCode::BAD_REQUEST,
                        format!("invalid URL parameters: {e}"),
                    )
                })?;
        let get = |k: &str| params.get(k).cloned();
        GraphQLRequest {
            query: get("query").unwrap_or_default(),
            operation_name: get("operationName").filter(|s| !s.is_empty()),
            variables: object_param("variables", get("variables").map(Value::String))?,
            extensions: object_param("extensions", get("extensions").map(Value::String))?,
        }
    } else if method == Method::POST {
        match media_type(headers).as_str() {
            "application/json" => {
                let v: Value = serde_json::from_slice(body).map_err(|e| {
                    ParseError(
                        StatusCode::BAD_REQUEST,
                        format!("Not a valid GraphQL request body: {e}"),
                    )
                })?;
                from_json_object(v)?
            }
            "application/graphql" => GraphQLRequest {
                query: String::from_utf8(body.to_vec()).map_err(|_| {
                    ParseError(
                        StatusCode::BAD_REQUEST,
                        "the query is not valid UTF-8".into(),
                    )
                })?,
                ..Default::default()
            },
            _ => {
                return Err(ParseError(
                    StatusCode::BAD_REQUEST,
                    "Unrecognised Content-Type.  Please use application/json or application/graphql for GraphQL requests".into(),
                ));
            }
        }
    } else {
        return Err(ParseError(
            StatusCode::METHOD_NOT_ALLOWED,
            "Unrecognised request method.  Please use GET or POST for GraphQL requests".into(),
        ));
    };
    let persisted = persisted_query_hash(&req.extensions)?;
    if req.query.trim().is_empty() && persisted.is_none() {
        return Err(ParseError(
            StatusCode::BAD_REQUEST,
            "no query string supplied in request".into(),
        ));
    }
    Ok(req)
}

/// Declared body length, if any.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Middleware: refuses a declared body over [`BODY_LIMIT`] with 413 before anything else runs
/// (bodies without a length are bounded when read). `graphql_shape` selects the error shape.
pub async fn reject_oversized(
    graphql_shape: bool,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let too_big = declared_length(req.headers()).is_some_and(|n| n > BODY_LIMIT as u64)
        && !req.headers().contains_key(header::CONTENT_ENCODING)
        && !large_body_path(req.uri().path());
    if too_big {
        let e = BodyError::TooLarge;
        return if graphql_shape {
            json_response(e.status(), graphql_error_body(e.code(), e.message()))
        } else {
            rest_error(e.status(), e.code(), e.message())
        };
    }
    next.run(req).await
}

/// Middleware, outermost on both listeners: every error answer is JSON. Errors produced below
/// the handlers (extractor rejections, an unsupported `Content-Encoding`, a method a route does
/// not take) come as plain text or an empty body; they keep their status and get the body of
/// the listener's error shape (`graphql_shape`: `{"errors":[…]}`, else `{"error", "code"}`),
/// with the original text as the message.
pub async fn json_errors(
    graphql_shape: bool,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    // JSON already, or the device-login page's own HTML error page.
    let shaped = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || shaped {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| match status {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                "unsupported Content-Encoding or Content-Type".to_string()
            }
            s => s.canonical_reason().unwrap_or("error").to_string(),
        });
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let mut out = if graphql_shape {
        json_response(status, graphql_error_body(code, text))
    } else {
        rest_error(status, code, text)
    };
    for (name, value) in parts.headers.iter() {
        // The new body is plain JSON: drop the old body's framing and encoding.
        if ![
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
            header::TRANSFER_ENCODING,
        ]
        .contains(name)
        {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use tower::ServiceExt;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn err_text(r: Result<Vec<u8>, BodyError>) -> String {
        match r {
            Err(BodyError::GzipHeader(t)) => format!("header: {t}"),
            Err(BodyError::GzipStream(t)) => format!("stream: {t}"),
            Err(BodyError::TooLarge) => "too large".into(),
            Err(BodyError::Unreadable(t)) => format!("unreadable: {t}"),
            Err(BodyError::Stalled) => "stalled".into(),
            Ok(v) => format!("ok: {} bytes", v.len()),
        }
    }

    #[test]
    fn gunzip_members_and_limits() {
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        assert_eq!(gunzip(&two, 100).unwrap(), b"hello world");
        assert_eq!(gunzip(&gz(&[7; 100]), 100).unwrap().len(), 100);
        assert_eq!(err_text(gunzip(&gz(&[7; 101]), 100)), "too large");
    }

    #[test]
    fn gunzip_errors_use_go_texts() {
        assert_eq!(err_text(gunzip(b"", 100)), "header: EOF");
        assert_eq!(err_text(gunzip(b"\x1f\x8b", 100)), "header: unexpected EOF");
        assert_eq!(
            err_text(gunzip(b"{\"query\": \"{ a }\"}", 100)),
            "header: gzip: invalid header"
        );
        let good = gz(b"some text that compresses");
        assert_eq!(
            err_text(gunzip(&good[..good.len() - 6], 100)),
            "stream: unexpected EOF"
        );
        // Flip a bit of the stored CRC-32 (the trailer's first 4 bytes).
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert_eq!(
            err_text(gunzip(&bad_crc, 100)),
            "stream: gzip: invalid checksum"
        );
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"garbage after the member");
        assert_eq!(
            err_text(gunzip(&trailing, 100)),
            "stream: gzip: invalid header"
        );
    }

    #[test]
    fn persisted_query_hash_shapes() {
        let ext = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(persisted_query_hash(&ext(json!({}))).ok(), Some(None));
        assert_eq!(
            persisted_query_hash(&ext(json!({"persistedQuery": {"sha256Hash": "ab"}}))).ok(),
            Some(Some("ab"))
        );
        assert_eq!(
            persisted_query_hash(&ext(json!({"persistedQuery": {"sha256Hash": ""}}))).ok(),
            Some(None)
        );
        assert!(persisted_query_hash(&ext(json!({"persistedQuery": "x"}))).is_err());
        assert!(persisted_query_hash(&ext(json!({"persistedQuery": {"sha256Hash": 1}}))).is_err());
    }

    async fn through_json_errors(resp: Response, graphql: bool) -> (StatusCode, HeaderMap, Value) {
        let app = axum::Router::new()
            .fallback({
                let resp = std::sync::Arc::new(std::sync::Mutex::new(Some(resp)));
                move || async move { resp.lock().unwrap().take().unwrap() }
            })
            .layer(axum::middleware::from_fn(move |req, next| {
                json_errors(graphql, req, next)
            }));
        let out = app
            .oneshot(axum::http::Request::new(Body::empty()))
            .await
            .unwrap();
        let (parts, body) = out.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&bytes).unwrap(),
        )
    }

    #[tokio::test]
    async fn json_errors_reshapes_plain_errors_only() {
        let plain = (
            StatusCode::UNPROCESSABLE_ENTITY,
            [
                (header::CONTENT_TYPE, "text/plain"),
                (header::CONTENT_ENCODING, "gzip"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            "missing field `email`",
        )
            .into_response();
        let (status, headers, body) = through_json_errors(plain, false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            json!({ "error": "missing field `email`", "code": "bad_request" })
        );
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(headers.get(header::CONTENT_ENCODING).is_none());

        let empty = StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
        let (status, _, body) = through_json_errors(empty, true).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            body,
            graphql_error_body(
                "unsupported_media_type",
                "unsupported Content-Encoding or Content-Type"
            )
        );

        // JSON errors and successes pass untouched.
        let json_err = rest_error(StatusCode::NOT_FOUND, "not_found", "no such path: /x");
        let (_, _, body) = through_json_errors(json_err, true).await;
        assert_eq!(
            body,
            json!({ "error": "no such path: /x", "code": "not_found" })
        );
    }
}
