//! The page behind `verification_uri_complete`: a plain HTML form where a user signs in with
//! email and password and approves the code a CLI shows.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{ClientAddr, ControlState, client_of};

#[derive(Deserialize)]
pub(super) struct ShowParams {
    user_code: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Submit {
    email: String,
    password: String,
    user_code: String,
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}\
         label{{display:block;margin-top:1rem}}input{{width:100%;padding:.4rem;box-sizing:border-box}}\
         button{{margin-top:1.5rem;padding:.5rem 1.5rem}}.err{{color:#b00020}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    )
}

fn form(code: &str, message: &str) -> String {
    page(
        "Approve CLI login",
        &format!(
            "{message}<p>Sign in to let the command-line tool that shows this code act as you.</p>\
             <form method=\"post\" action=\"/device\">\
             <label>Code<input name=\"user_code\" value=\"{}\" required autocomplete=\"off\"></label>\
             <label>Email<input name=\"email\" type=\"email\" required autocomplete=\"username\"></label>\
             <label>Password<input name=\"password\" type=\"password\" required autocomplete=\"current-password\"></label>\
             <button type=\"submit\">Approve</button></form>",
            escape(code)
        ),
    )
}

pub(super) async fn show(Query(p): Query<ShowParams>) -> Response {
    let mut resp = Html(form(p.user_code.as_deref().unwrap_or(""), "")).into_response();
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    resp
}

pub(super) async fn submit(
    State(st): State<Arc<ControlState>>,
    addr: Option<axum::Extension<ClientAddr>>,
    Form(f): Form<Submit>,
) -> Response {
    let client = client_of(&addr);
    match st
        .cp
        .approve_device_login_with_password(&f.email, &f.password, &f.user_code, client.as_deref())
        .await
    {
        Ok(()) => Html(page(
            "Login approved",
            "<p>You can close this window and return to the command line.</p>",
        ))
        .into_response(),
        Err(e) => {
            let status = super::status_of(&e);
            let msg = format!("<p class=\"err\">{}</p>", escape(&e.public_message()));
            (status, Html(form(&f.user_code, &msg))).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_html() {
        assert_eq!(
            super::escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
