//! [`TokenRepository`] on PostgreSQL: the `staff_tokens` table (migration 12).

use std::collections::BTreeSet;

use aforro_core::auth::{NewToken, StaffToken, TokenHash, TokenName, TokenRepository, TokenScope};
use aforro_core::{Error, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::rows::id;
use super::schema::staff_tokens;
use super::Postgres;

pub(super) type TokenRow = (
    i64,
    String,
    Option<Vec<i64>>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

pub(super) const COLUMNS: (
    staff_tokens::id,
    staff_tokens::name,
    staff_tokens::store_ids,
    staff_tokens::created_at,
    staff_tokens::last_used_at,
    staff_tokens::revoked_at,
) = (
    staff_tokens::id,
    staff_tokens::name,
    staff_tokens::store_ids,
    staff_tokens::created_at,
    staff_tokens::last_used_at,
    staff_tokens::revoked_at,
);

pub(super) fn token(
    (row_id, name, store_ids, created_at, last_used_at, revoked_at): TokenRow,
) -> Result<StaffToken> {
    let scope = match store_ids {
        None => TokenScope::Catalogue,
        Some(ids) => TokenScope::Stores(
            ids.into_iter()
                .map(|raw| id(raw, StoreId::new))
                .collect::<Result<BTreeSet<_>>>()?,
        ),
    };
    Ok(StaffToken {
        id: row_id,
        name: TokenName::parse(&name)
            .map_err(|_| Error::internal(format!("stored token name {name:?} is invalid")))?,
        scope,
        created_at,
        last_used_at,
        revoked_at,
    })
}

#[async_trait]
impl TokenRepository for Postgres {
    async fn insert_token(&self, new: &NewToken) -> Result<StaffToken> {
        let store_ids = match &new.scope {
            TokenScope::Catalogue => None,
            TokenScope::Stores(stores) => Some(stores.iter().map(|s| s.get()).collect::<Vec<_>>()),
        };
        let row: TokenRow = diesel::insert_into(staff_tokens::table)
            .values((
                staff_tokens::name.eq(new.name.as_str()),
                staff_tokens::token_hash.eq(new.hash.0.to_vec()),
                staff_tokens::store_ids.eq(store_ids),
            ))
            .returning(COLUMNS)
            .get_result(&mut *self.conn().await?)
            .await
            .map_err(|error| match error {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    Error::Conflict(format!("an active token is already named '{}'", new.name))
                }
                other => db_error(other),
            })?;
        token(row)
    }

    async fn find_token(&self, hash: &TokenHash) -> Result<Option<StaffToken>> {
        let row: Option<TokenRow> = staff_tokens::table
            .filter(staff_tokens::token_hash.eq(hash.0.to_vec()))
            .select(COLUMNS)
            .first(&mut *self.conn().await?)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(token).transpose()
    }

    async fn list_tokens(&self) -> Result<Vec<StaffToken>> {
        let rows: Vec<TokenRow> = staff_tokens::table
            .select(COLUMNS)
            .order((staff_tokens::name, staff_tokens::created_at, staff_tokens::id))
            .load(&mut *self.conn().await?)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(token).collect()
    }

    async fn revoke_token(&self, name: &TokenName, at: DateTime<Utc>) -> Result<bool> {
        let revoked = diesel::update(
            staff_tokens::table
                .filter(staff_tokens::name.eq(name.as_str()))
                .filter(staff_tokens::revoked_at.is_null()),
        )
        .set(staff_tokens::revoked_at.eq(at))
        .execute(&mut *self.conn().await?)
        .await
        .map_err(db_error)?;
        Ok(revoked > 0)
    }

    /// Never moves `last_used_at` back (two servers touching at once).
    async fn touch_token(&self, token_id: i64, at: DateTime<Utc>) -> Result<()> {
        diesel::update(
            staff_tokens::table.filter(staff_tokens::id.eq(token_id)).filter(
                staff_tokens::last_used_at
                    .is_null()
                    .or(staff_tokens::last_used_at.lt(at)),
            ),
        )
        .set(staff_tokens::last_used_at.eq(at))
        .execute(&mut *self.conn().await?)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}
