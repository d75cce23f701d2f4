//! `POST /console/login` and `POST /console/logout`. (`GET /console/` shows the sign-in page
//! to a visitor without a session: see [`super::overview`].)

use std::time::Duration;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth;
use aforro_core::rate_limit::{check_rate, RateLimit};
use aforro_core::Error;
use serde::Deserialize;

use super::page::{render, ConsoleError, Layout, SignInPage};
use super::session::{idle, removal_cookie, safe_next, session_cookie, Signed, COOKIE};
use crate::client_ip::client_ip;
use crate::extract::read_form;
use crate::problem::ApiError;
use crate::state::AppState;

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    token: Option<String>,
    next: Option<String>,
}

/// Sign-out's form: nothing but its CSRF token (checked by `Signed::submitted`).
#[derive(Debug, Deserialize)]
pub struct SignOutForm {}

/// Exchanges a staff token for a session: `303` to the page asked for, with the cookie; a
/// wrong token is the sign-in page again with `401` and no cookie. Attempts are rate limited
/// per client IP (`429`), before the form is read.
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let client = client_ip(&req, &state.trusted_proxies);
    let rule = RateLimit {
        limit: state.console.console_login_rate_limit_per_minute,
        window: Duration::from_secs(60),
    };
    let decision = check_rate(
        state.shared_limiter.as_ref(),
        state.local_limiter.as_ref(),
        "console-login",
        &client,
        rule,
    )
    .await;
    if !decision.allowed {
        tracing::warn!(client = %client, "console sign-in attempts over the limit");
        return Err(ApiError::TooManyRequests(decision.reset_after.as_secs().max(1)).into());
    }
    let form: SignInForm = read_form(&req, payload.into_inner()).await?;
    let next = safe_next(form.next.as_deref());
    let signed_in = auth::sign_in(
        state.tokens.as_ref(),
        state.sessions.as_ref(),
        form.token.as_deref().unwrap_or_default(),
        chrono::Utc::now(),
        idle(&state.console),
        rand::random(),
    )
    .await;
    match signed_in {
        Ok((secret, _)) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .cookie(session_cookie(secret.reveal(), &state.console))
            .finish()),
        Err(Error::Unauthenticated(message)) => {
            tracing::info!(client = %client, reason = %message, "console sign-in refused");
            Ok(render(
                StatusCode::UNAUTHORIZED,
                &SignInPage {
                    layout: Layout::default(),
                    message: Some(format!("Not signed in: {message}.")),
                    next,
                },
            ))
        }
        Err(other) => Err(other.into()),
    }
}

/// Ends the session (the CSRF token must match: another site cannot sign a person out) and
/// sends the browser to the sign-in page without its cookie.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    signed: Signed,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let SignOutForm {} = signed.submitted(&req, payload).await?;
    let cookie = req.cookie(COOKIE).map(|cookie| cookie.value().to_owned());
    auth::sign_out(state.sessions.as_ref(), cookie.as_deref())
        .await
        .map_err(|error| signed.failed(error))?;
    tracing::info!(token = %signed.session.principal.name, "console session closed");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/"))
        .cookie(removal_cookie(&state.console))
        .finish())
}
