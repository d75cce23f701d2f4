//! Translation of diesel and pool failures into the core's error, done once, here.

use aforro_core::Error;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;

/// Maps a diesel error: lost or refused connections are [`Error::Unavailable`]
/// (the client may retry), everything else is [`Error::Internal`].
pub fn db_error(error: DieselError) -> Error {
    let unavailable = match &error {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _) => true,
        // The server is shutting down or restarting (SQLSTATE 57P01 / 57P03).
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message();
            message.contains("terminating connection") || message.contains("the database system is")
        }
        _ => false,
    };
    if unavailable {
        Error::Unavailable(Box::new(error))
    } else {
        Error::Internal(Box::new(error))
    }
}

/// Every failure to get a pooled connection means the database cannot be reached in time.
pub(crate) fn pool_error(error: PoolError) -> Error {
    Error::Unavailable(Box::new(error))
}
