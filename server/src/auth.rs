//! The staff bearer-token extractor: the one place HTTP meets authentication.
//!
//! `Staff` reads `Authorization: Bearer <token>` and asks the core who it is
//! ([`aforro_core::auth::authenticate`]); a failure is the 401 problem with
//! `WWW-Authenticate: Bearer`. Scope is not decided here: handlers ask
//! [`aforro_core::auth::authorize`] before they read the body, so that 401 and 403 never depend
//! on what the body holds (and never on whether the target exists).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use aforro_core::auth::{self, Principal};
use aforro_core::Error;

use crate::problem::ApiError;
use crate::state::AppState;

/// An authenticated staff member (the token's principal).
#[derive(Debug, Clone)]
pub struct Staff(pub Principal);

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Core(Error::internal("application state missing")))?;
            let token = token?;
            let principal =
                auth::authenticate(state.tokens.as_ref(), token.as_deref(), chrono::Utc::now()).await?;
            Ok(Staff(principal))
        })
    }
}

/// The token of `Authorization: Bearer <token>`: `None` without the header; a 401 for any
/// other scheme or an unreadable value (the scheme is case-insensitive, RFC 9110 §11.1).
fn bearer_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        ApiError::Core(Error::Unauthenticated(
            "the Authorization header must be `Bearer <token>`".into(),
        ))
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed());
    }
    Ok(Some(token.trim().to_owned()))
}
