//! The console's session: the cookie, and the [`Signed`] extractor every signed-in page takes.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use aforro_core::auth::{self, Session};
use aforro_core::Error;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::page::{ConsoleError, Layout};
use crate::config::ConsoleSettings;
use crate::extract::read_form;
use crate::problem::ApiError;
use crate::state::AppState;

/// The session cookie's name (the contract's).
pub const COOKIE: &str = "aforro_console";

/// The cookie scope: the console only, so the JSON API never sees it (and a cookie can never
/// stand in for a bearer token there).
const COOKIE_PATH: &str = "/console";

/// A signed-in staff member: the session, checked against the database on this request.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The live session.
    pub session: Session,
    /// The page frame for it.
    pub layout: Layout,
}

/// A posted form and the CSRF token it carries beside its own fields.
#[derive(Debug, Deserialize)]
struct WithCsrf<F> {
    csrf: Option<String>,
    #[serde(flatten)]
    form: F,
}

impl Signed {
    /// Reads a posted form (`crate::extract::read_form`) and checks its CSRF token before the
    /// handler sees any of it: every console write of a signed-in person comes in here, so none
    /// can forget the check (`403`, nothing changes).
    pub async fn submitted<F: DeserializeOwned + 'static>(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
    ) -> Result<F, ConsoleError> {
        let WithCsrf { csrf, form } = read_form::<WithCsrf<F>>(req, payload.into_inner())
            .await
            .map_err(|error| self.failed(error))?;
        self.session
            .check_csrf(csrf.as_deref())
            .map_err(|error| self.failed(error))?;
        Ok(form)
    }

    /// A failure on this person's page.
    pub fn failed(&self, error: impl Into<ApiError>) -> ConsoleError {
        ConsoleError::failed(error, &self.layout)
    }
}

impl FromRequest for Signed {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ConsoleError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let cookie = req.cookie(COOKIE).map(|cookie| cookie.value().to_owned());
        // Back to this page after signing in; a form's POST goes back to the page it was on.
        let next = if req.method() == actix_web::http::Method::GET {
            req.uri()
                .path_and_query()
                .map_or("/console/", |p| p.as_str())
                .to_owned()
        } else {
            "/console/".to_owned()
        };
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Core(Error::internal("application state missing")))?;
            let session = auth::resume_session(
                state.sessions.as_ref(),
                cookie.as_deref(),
                chrono::Utc::now(),
                idle(&state.console),
            )
            .await
            .map_err(|error| match error {
                Error::Unauthenticated(message) => ConsoleError::SignIn { message, next },
                other => other.into(),
            })?;
            let layout = Layout::signed_in(&session);
            Ok(Signed { session, layout })
        })
    }
}

/// How long an unused session lives.
pub fn idle(settings: &ConsoleSettings) -> Duration {
    Duration::from_secs(settings.console_session_idle_minutes.saturating_mul(60))
}

/// The cookie that carries a new session's secret: `HttpOnly` (no script reads it),
/// `SameSite=Strict` (no other site's page sends it), `Secure` when configured. No expiry of
/// its own: the server ends the session; the browser drops the cookie when it closes.
pub fn session_cookie(secret: &str, settings: &ConsoleSettings) -> Cookie<'static> {
    Cookie::build(COOKIE, secret.to_owned())
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(settings.console_secure_cookie)
        .finish()
}

/// The cookie that makes the browser forget the session.
pub fn removal_cookie(settings: &ConsoleSettings) -> Cookie<'static> {
    let mut cookie = session_cookie("", settings);
    cookie.make_removal();
    cookie
}

/// A console path to return to after signing in: only a path under `/console/` is followed
/// (an open redirect would let a link send a person anywhere after signing in).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with("/console/") && !path.contains("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/console/".to_owned(),
    }
}
