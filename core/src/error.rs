//! The one error type of the core layer. Adapters translate their failures into it at the
//! port boundary; shells map it to their protocol (HTTP problem+json, exit codes) once.

use std::fmt;

/// A boxed error from an adapter, kept as the `source` of [`Error::Unavailable`] / [`Error::Internal`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result of every use-case and port method.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One invalid input field, named the way the client spelled it (`items[1].quantity_requested`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request (`store_id`, `items[0].product_id`, `page_size`).
    pub field: String,
    /// What is wrong with it, in words a client developer can act on.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The errors of fields a request does not define (their paths as sent, found by the
    /// shell that read the request): every write refuses them, listed with its other errors.
    pub fn unknown(fields: &[String]) -> impl Iterator<Item = FieldError> + '_ {
        fields
            .iter()
            .map(|field| FieldError::new(field.as_str(), "is not a field of this request"))
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.message)
    }
}

/// The kinds of thing a path can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A store.
    Store,
    /// An order.
    Order,
    /// A store's inventory summary (the id is the store's).
    Summary,
    /// A category.
    Category,
    /// A product.
    Product,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::Store => "store",
            Entity::Order => "order",
            Entity::Summary => "inventory summary of store",
            Entity::Category => "category",
            Entity::Product => "product",
        })
    }
}

/// What can go wrong in a use-case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is well-formed but breaks a rule; every offending field is listed.
    #[error("invalid input: {}", join(.0))]
    Invalid(Vec<FieldError>),
    /// The entity named by the request does not exist.
    #[error("{entity} {id} not found")]
    NotFound {
        /// What kind of thing was looked for.
        entity: Entity,
        /// The id that was asked for.
        id: i64,
    },
    /// The request conflicts with the current state (e.g. seeding a catalogue that is not empty).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller did not prove who it is: no credentials, malformed, unknown or revoked ones.
    /// The message says which, without naming anything the caller may not see.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The caller is known but its scope does not cover the action.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A dependency (database, cache) could not be reached; retrying later may succeed.
    #[error("a dependency is unavailable: {0}")]
    Unavailable(#[source] BoxError),
    /// A bug or an unexpected state in an adapter; not the client's fault.
    #[error("internal error: {0}")]
    Internal(#[source] BoxError),
}

impl Error {
    /// A single-field validation error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, message)])
    }

    /// An internal error from a plain message.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into().into())
    }
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
