//! The problem answers every endpoint shares, stated once: each operation lists only what is
//! particular to it (a 404 for an unknown store, a 409 and why), and this [`Modify`] adds the
//! rest by what the operation is — a body brings 400, 413, 415 and 422; a bearer token brings
//! 401 (with `WWW-Authenticate`) and 403; everything but `/healthz` may answer 503 — gives
//! every 4xx/5xx the problem+json body, and every response a description (OpenAPI requires
//! one; code generators refuse a document without).

use actix_web::http::StatusCode;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};
use utoipa::Modify;

use super::operations;

/// Where problem bodies are described.
const PROBLEM_JSON: &str = "application/problem+json";

/// The [`Modify`] that completes every operation's responses (see the module doc).
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let liveness = path == "/healthz";
            for (_, operation) in operations(item) {
                complete(operation, liveness);
            }
        }
    }
}

fn complete(operation: &mut Operation, liveness: bool) {
    let has_body = operation.request_body.is_some();
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let responses = &mut operation.responses.responses;
    let mut shared: Vec<u16> = Vec::new();
    if has_body {
        shared.extend([400, 413, 415, 422]);
    }
    if secured {
        shared.extend([401, 403]);
    }
    if !liveness {
        shared.push(503);
    }
    for status in shared {
        responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new("")));
    }
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        let status: u16 = status.parse().unwrap_or(0);
        if response.description.is_empty() {
            response.description = default_description(status, has_body);
        }
        if status >= 400 && response.content.is_empty() {
            let problem = Content::new(Some(Ref::from_schema_name("Problem")));
            response
                .content
                .insert(PROBLEM_JSON.to_owned(), RefOr::T(problem));
        }
        if status == 401 && !response.headers.contains_key("WWW-Authenticate") {
            let mut header = Header::new(ObjectBuilder::new().schema_type(Type::String));
            header.description = Some("`Bearer`".to_owned());
            response
                .headers
                .insert("WWW-Authenticate".to_owned(), RefOr::T(header));
        }
    }
}

/// What a status means on this API, when the operation says nothing more particular.
fn default_description(status: u16, has_body: bool) -> String {
    let text = match status {
        400 if has_body => {
            "The body is not one JSON object in valid UTF-8, or a field has the wrong JSON type (named)"
        }
        400 => "A parameter of the wrong type (named)",
        401 => "Missing, malformed, unknown or revoked token",
        403 => "The token's scope does not cover this",
        404 => "Not found",
        409 => "Conflicts with the current state (the detail says how)",
        413 => "Body over 64 KiB",
        415 => "Not JSON (Content-Type)",
        422 if has_body => "Invalid or unknown fields, every one listed",
        422 => "Invalid parameters, every one listed",
        429 => "Rate limited",
        503 => "A service this request needs is unavailable; retry later",
        other => {
            return StatusCode::from_u16(other)
                .ok()
                .and_then(|code| code.canonical_reason())
                .unwrap_or("Response")
                .to_owned()
        }
    };
    text.to_owned()
}
