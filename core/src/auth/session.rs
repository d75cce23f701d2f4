//! Console sessions: a staff token exchanged, once, for a browser session.
//!
//! A browser cannot send a bearer token by itself, so the console trades one for a session:
//! a random secret in a cookie, of which only the SHA-256 is stored (as for tokens, a leaked
//! table cannot be replayed). The session is checked on the server on every request — it lives
//! as long as its token is active and it is used — so revoking the token, signing out or
//! leaving the tablet idle ends it at once, which a signed cookie alone could not do.
//!
//! Forms carry a CSRF token derived from the session secret: another site can make the browser
//! send the cookie, but cannot read the page, so it cannot know the token.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::model::{Principal, StaffToken, TokenSecret};
use super::ports::TokenRepository;
use crate::{Error, Result};

/// How stale a session's `last_seen_at` may get: a session used all day long is written at
/// most once a minute.
pub const SESSION_SEEN_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

/// The session's secret, as the cookie carries it: 64 hex digits (256 random bits).
#[derive(Clone, PartialEq, Eq)]
pub struct SessionSecret(String);

impl SessionSecret {
    /// A secret from 32 random bytes (the caller draws them from the OS's random source).
    pub fn from_random(bytes: [u8; 32]) -> Self {
        Self(hex(&bytes))
    }

    /// The secret, if `raw` has a secret's shape; `None` otherwise (no lookup is worth making).
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(raw.to_owned()))
    }

    /// What is stored and looked up.
    pub fn hash(&self) -> SessionHash {
        SessionHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The CSRF token of this session's forms: a hash of the secret under its own label, so
    /// that a page's token reveals nothing of the cookie.
    pub fn csrf_token(&self) -> String {
        let mut digest = Sha256::new();
        digest.update(b"aforro-console-csrf\0");
        digest.update(self.0.as_bytes());
        hex(&digest.finalize())
    }

    /// The cookie's value.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionSecret {
    /// Never prints the secret (it would end up in logs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(…)")
    }
}

/// The SHA-256 of a session secret: all that is stored of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionHash(pub [u8; 32]);

/// A stored session, as [`SessionRepository::find_session`] reads it with its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// Row id.
    pub id: i64,
    /// When it was last used, to a minute ([`SESSION_SEEN_RESOLUTION`]).
    pub last_seen_at: DateTime<Utc>,
    /// The token it was opened with, revoked or not.
    pub token: StaffToken,
}

/// A live session: who is signed in, and what their forms must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The token's principal: the console acts with the token's scope and name.
    pub principal: Principal,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

impl Session {
    /// Checks a submitted form's CSRF token (in constant time: a timing difference must not
    /// tell an attacker how much of a guess was right).
    ///
    /// Errors: [`Error::Forbidden`] when it is missing or wrong.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<()> {
        let submitted = submitted.unwrap_or_default().as_bytes();
        if bool::from(submitted.ct_eq(self.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "the form's CSRF token is missing or does not belong to this session; reload the page and try again"
                    .into(),
            ))
        }
    }
}

/// Console sessions storage.
///
/// Errors: [`crate::Error::Unavailable`] when the database cannot be reached;
/// [`crate::Error::Internal`] otherwise.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a session opened at `at` with the token `token_id`, and deletes every session
    /// last seen before `expired_before` (so the table holds live sessions only).
    async fn insert_session(
        &self,
        hash: &SessionHash,
        token_id: i64,
        at: DateTime<Utc>,
        expired_before: DateTime<Utc>,
    ) -> Result<()>;

    /// The session with this hash and its token, or `None`.
    async fn find_session(&self, hash: &SessionHash) -> Result<Option<StoredSession>>;

    /// Records that the session was used at `at`.
    async fn touch_session(&self, id: i64, at: DateTime<Utc>) -> Result<()>;

    /// Deletes the session with this hash (nothing when there is none).
    async fn delete_session(&self, hash: &SessionHash) -> Result<()>;
}

/// Signs in with a staff token (as typed into the sign-in form): a new session for its
/// principal. `random` must come from a cryptographically secure source; `idle` is how long an
/// unused session lives.
///
/// Errors: [`Error::Unauthenticated`] for a missing, malformed, unknown or revoked token;
/// dependency errors as the repositories report them.
pub async fn sign_in(
    tokens: &dyn TokenRepository,
    sessions: &dyn SessionRepository,
    token: &str,
    now: DateTime<Utc>,
    idle: Duration,
    random: [u8; 32],
) -> Result<(SessionSecret, Session)> {
    let secret = TokenSecret::parse(token.trim())
        .ok_or_else(|| Error::Unauthenticated("that is not a staff token: they start with afr_".into()))?;
    let stored = tokens
        .find_token(&secret.hash())
        .await?
        .ok_or_else(|| Error::Unauthenticated("that token is not known".into()))?;
    if stored.revoked_at.is_some() {
        return Err(Error::Unauthenticated("that token was revoked".into()));
    }
    if let Err(error) = tokens.touch_token(stored.id, now).await {
        tracing::warn!(token = %stored.name, %error, "could not record the token's use");
    }
    let principal = stored.principal();
    let session_secret = SessionSecret::from_random(random);
    sessions
        .insert_session(&session_secret.hash(), stored.id, now, now - idle_delta(idle))
        .await?;
    tracing::info!(token = %principal.name, "console session opened");
    let session = Session {
        principal,
        csrf: session_secret.csrf_token(),
    };
    Ok((session_secret, session))
}

/// The live session of a cookie (`None` when the request had none), at `now`.
///
/// Errors: [`Error::Unauthenticated`] when there is no session, or it is unknown, idle for
/// longer than `idle`, or its token has been revoked; dependency errors as the repository
/// reports them. A failure to record the use is logged and does not fail the request.
pub async fn resume_session(
    sessions: &dyn SessionRepository,
    cookie: Option<&str>,
    now: DateTime<Utc>,
    idle: Duration,
) -> Result<Session> {
    let signed_out = |why: &str| Error::Unauthenticated(why.to_owned());
    let secret = cookie
        .and_then(SessionSecret::parse)
        .ok_or_else(|| signed_out("sign in to use the console"))?;
    let stored = sessions
        .find_session(&secret.hash())
        .await?
        .ok_or_else(|| signed_out("your session has ended; sign in again"))?;
    if stored.token.revoked_at.is_some() {
        return Err(signed_out(
            "the token of this session was revoked; sign in with another",
        ));
    }
    if now.signed_duration_since(stored.last_seen_at) > idle_delta(idle) {
        return Err(signed_out("your session was idle too long; sign in again"));
    }
    if now.signed_duration_since(stored.last_seen_at) >= SESSION_SEEN_RESOLUTION {
        if let Err(error) = sessions.touch_session(stored.id, now).await {
            tracing::warn!(token = %stored.token.name, %error, "could not record the session's use");
        }
    }
    Ok(Session {
        principal: stored.token.principal(),
        csrf: secret.csrf_token(),
    })
}

/// Ends the session of a cookie, if it has one.
pub async fn sign_out(sessions: &dyn SessionRepository, cookie: Option<&str>) -> Result<()> {
    if let Some(secret) = cookie.and_then(SessionSecret::parse) {
        sessions.delete_session(&secret.hash()).await?;
    }
    Ok(())
}

fn idle_delta(idle: Duration) -> TimeDelta {
    TimeDelta::from_std(idle).unwrap_or(TimeDelta::MAX)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
