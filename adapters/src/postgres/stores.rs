//! [`StoreRepository`] on PostgreSQL.

use aforro_core::stores::StoreRepository;
use aforro_core::{Result, StoreId};
use async_trait::async_trait;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::error::db_error;
use super::schema::stores;
use super::Postgres;

/// One query: `SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1)`.
pub(crate) async fn store_exists(conn: &mut AsyncPgConnection, id: StoreId) -> Result<bool> {
    diesel::select(exists(stores::table.find(id.get())))
        .get_result(conn)
        .await
        .map_err(db_error)
}

#[async_trait]
impl StoreRepository for Postgres {
    async fn store_exists(&self, id: StoreId) -> Result<bool> {
        store_exists(&mut *self.conn().await?, id).await
    }
}
