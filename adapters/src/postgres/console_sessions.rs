//! [`SessionRepository`] on PostgreSQL: the `console_sessions` table (migration 21).

use aforro_core::auth::{SessionHash, SessionRepository, StoredSession};
use aforro_core::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::auth::{token, TokenRow, COLUMNS as TOKEN_COLUMNS};
use super::error::db_error;
use super::schema::{console_sessions, staff_tokens};
use super::Postgres;

#[async_trait]
impl SessionRepository for Postgres {
    async fn insert_session(
        &self,
        hash: &SessionHash,
        token_id: i64,
        at: DateTime<Utc>,
        expired_before: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.conn().await?;
        // Pruning first: the table holds live sessions only. The two need no transaction: a
        // prune without its insert (a failed sign-in) is still a correct prune.
        diesel::delete(console_sessions::table.filter(console_sessions::last_seen_at.lt(expired_before)))
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        diesel::insert_into(console_sessions::table)
            .values((
                console_sessions::session_hash.eq(hash.0.to_vec()),
                console_sessions::token_id.eq(token_id),
                console_sessions::created_at.eq(at),
                console_sessions::last_seen_at.eq(at),
            ))
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn find_session(&self, hash: &SessionHash) -> Result<Option<StoredSession>> {
        let row: Option<((i64, DateTime<Utc>), TokenRow)> = console_sessions::table
            .inner_join(staff_tokens::table)
            .filter(console_sessions::session_hash.eq(hash.0.to_vec()))
            .select((
                (console_sessions::id, console_sessions::last_seen_at),
                TOKEN_COLUMNS,
            ))
            .first(&mut *self.conn().await?)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(|((id, last_seen_at), token_row)| {
            Ok(StoredSession {
                id,
                last_seen_at,
                token: token(token_row)?,
            })
        })
        .transpose()
    }

    /// Never moves `last_seen_at` back (two requests touching at once).
    async fn touch_session(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        diesel::update(
            console_sessions::table
                .filter(console_sessions::id.eq(id))
                .filter(console_sessions::last_seen_at.lt(at)),
        )
        .set(console_sessions::last_seen_at.eq(at))
        .execute(&mut *self.conn().await?)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn delete_session(&self, hash: &SessionHash) -> Result<()> {
        diesel::delete(console_sessions::table.filter(console_sessions::session_hash.eq(hash.0.to_vec())))
            .execute(&mut *self.conn().await?)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
