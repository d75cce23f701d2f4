//! The headers every console response carries, errors included.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// - `Content-Security-Policy: default-src 'self'`: no inline script or style, nothing from
///   another origin — an injected tag can neither run nor load anything. `form-action 'self'`
///   and `frame-ancestors 'none'` are not covered by `default-src`, so they are named too.
/// - `X-Frame-Options: DENY`: no other page may frame the console (click-jacking), for
///   browsers older than `frame-ancestors`.
/// - `Referrer-Policy: same-origin`: console URLs (store ids, searches) never leave the site.
/// - `Cache-Control: no-store`: a shared tablet's back button or cache never shows the stock
///   of a signed-out session.
/// - `X-Content-Type-Options: nosniff`: the stylesheet is a stylesheet.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let set = |headers: &mut header::HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    Ok(response)
}
