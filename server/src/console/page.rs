//! Rendering pages, and the console's one error type: every failure becomes a page (never a
//! problem+json document, which a person at a tablet cannot read), with the status the API
//! would give for the same failure.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use aforro_core::auth::{Session, TokenScope};
use askama::Template;

use crate::problem::ApiError;

/// Who is signed in, as the page header shows them.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The token's name.
    pub name: String,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: String,
    /// Whether the token may change the catalogue (shows its forms).
    pub catalogue: bool,
}

impl From<&Session> for Viewer {
    fn from(session: &Session) -> Self {
        Self {
            name: session.principal.name.to_string(),
            csrf: session.csrf.clone(),
            catalogue: matches!(session.principal.scope, TokenScope::Catalogue),
        }
    }
}

/// What every page's frame needs.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The signed-in staff member, if any.
    pub viewer: Option<Viewer>,
}

impl Layout {
    /// The frame of a signed-in page.
    pub fn signed_in(session: &Session) -> Self {
        Self {
            viewer: Some(session.into()),
        }
    }
}

/// Renders `page` as an HTML response with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(html),
        Err(error) => {
            tracing::error!(%error, "a console page failed to render");
            HttpResponse::InternalServerError()
                .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body("the page could not be drawn")
        }
    }
}

/// The sign-in page: a message (why the person must sign in) and where to go afterwards.
#[derive(Template)]
#[template(path = "console/sign_in.html")]
pub struct SignInPage {
    /// An empty frame: nobody is signed in.
    pub layout: Layout,
    /// Why the page is shown, when it is not the first visit.
    pub message: Option<String>,
    /// The console path to return to once signed in.
    pub next: String,
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: String,
}

/// Why a console request failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: the sign-in page, with a 401, and the path to come back to.
    #[error("{message}")]
    SignIn {
        /// Why.
        message: String,
        /// Where to go once signed in.
        next: String,
    },
    /// Anything else, with the status and words the API would give it.
    #[error("{}", .0.error.detail())]
    Failed(Box<Failure>),
}

/// A failure, and the frame of the page it happened on.
#[derive(Debug)]
pub struct Failure {
    /// What failed.
    error: ApiError,
    /// Who was signed in, so the error page keeps its header.
    layout: Layout,
}

impl ConsoleError {
    /// A failure seen while `layout`'s person was signed in.
    pub fn failed(error: impl Into<ApiError>, layout: &Layout) -> Self {
        Self::Failed(Box::new(Failure {
            error: error.into(),
            layout: layout.clone(),
        }))
    }
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        Self::Failed(Box::new(Failure {
            error,
            layout: Layout::default(),
        }))
    }
}

impl From<aforro_core::Error> for ConsoleError {
    fn from(error: aforro_core::Error) -> Self {
        ApiError::Core(error).into()
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn { .. } => StatusCode::UNAUTHORIZED,
            ConsoleError::Failed(failure) => failure.error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ConsoleError::SignIn { message, next } => render(
                status,
                &SignInPage {
                    layout: Layout::default(),
                    message: Some(message.clone()),
                    next: next.clone(),
                },
            ),
            ConsoleError::Failed(failure) => {
                let Failure { error, layout } = failure.as_ref();
                let mut response = render(
                    status,
                    &ErrorPage {
                        layout: layout.clone(),
                        title: status.canonical_reason().unwrap_or("Error"),
                        message: if status.is_server_error() {
                            // The cause is in the log (the request's middleware writes it);
                            // the page says what a person can do.
                            "Something went wrong on our side; try again in a moment.".to_owned()
                        } else {
                            error.detail()
                        },
                    },
                );
                if let ApiError::TooManyRequests(seconds) = error {
                    if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
                        response.headers_mut().insert(header::RETRY_AFTER, value);
                    }
                }
                response
            }
        }
    }
}
