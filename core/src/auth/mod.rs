//! Staff access: who may write what.
//!
//! Staff authenticate with bearer tokens made on the command line. A token is a long random
//! secret shown once; only its SHA-256 is stored, so a leaked database cannot be replayed as
//! credentials. Whether a token may perform an action is decided here, by [`authorize`], and
//! nowhere else: shells authenticate, then ask.

mod model;
mod ports;
mod session;
mod usecases;

pub use model::{
    authorize, Action, NewToken, Principal, StaffToken, TokenHash, TokenName, TokenScope, TokenSecret,
};
#[cfg(any(test, feature = "mock"))]
pub use ports::MockTokenRepository;
pub use ports::TokenRepository;
#[cfg(any(test, feature = "mock"))]
pub use session::MockSessionRepository;
pub use session::{
    resume_session, sign_in, sign_out, Session, SessionHash, SessionRepository, SessionSecret, StoredSession,
    SESSION_SEEN_RESOLUTION,
};
pub use usecases::{authenticate, create_token, list_tokens, revoke_token, LAST_USED_RESOLUTION};

#[cfg(test)]
mod session_tests;
#[cfg(test)]
mod tests;
