//! `GET /healthz` (the process runs) and `GET /readyz` (its dependencies answer).

use actix_web::{web, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{ApiError, ProblemCause};
use crate::state::AppState;

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// 200 while the process runs.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness and the state of each dependency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ok")]
    postgres: &'static str,
    #[schema(example = "ok")]
    redis: &'static str,
    /// Operations this process could not do in Redis since it started (cache reads and writes
    /// bypassed, rate-limit decisions taken locally).
    redis_failed_operations: u64,
}

/// 200 when Postgres and Redis answer, 503 naming the ones that do not, and 503 from the moment
/// a shutdown begins (so a proxy stops routing here while requests are still served).
#[utoipa::path(
    get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, body = Readiness),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.draining.is_draining() {
        return Err(ApiError::Unavailable(
            "shutting down: finishing the requests in flight, taking no new ones soon".into(),
        ));
    }
    let (postgres, redis) = futures_util::join!(state.postgres.ping(), state.redis.ping());
    // Why each is down goes to the request's one log line as its cause (nothing is logged
    // here: the middleware logs a failed request once).
    let mut down = Vec::new();
    let mut causes = Vec::new();
    if let Err(error) = &postgres {
        down.push("postgres");
        causes.push(format!("postgres: {error}"));
    }
    if let Err(error) = &redis {
        down.push("redis");
        causes.push(format!("redis: {error}"));
    }
    if down.is_empty() {
        Ok(HttpResponse::Ok().json(Readiness {
            postgres: "ok",
            redis: "ok",
            redis_failed_operations: state.redis.failed_operations(),
        }))
    } else {
        let mut response = ApiError::Unavailable(format!(
            "not ready: {} down ({} redis operations failed since start)",
            down.join(" and "),
            state.redis.failed_operations()
        ))
        .error_response();
        response.extensions_mut().insert(ProblemCause(causes.join("; ")));
        Ok(response)
    }
}
