//! [`StoreRepository`] on PostgreSQL.

use aforro_core::stores::StoreRepository;
use aforro_core::{Result, StoreId};
use async_trait::async_trait;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::error::db_error;
use super::schema::stores;
use super::Postgres;

#[async_trait]
impl StoreRepository for Postgres {
    /// One query: `SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1)`.
    async fn store_exists(&self, id: StoreId) -> Result<bool> {
        diesel::select(exists(stores::table.find(id.get())))
            .get_result(&mut *self.conn().await?)
            .await
            .map_err(db_error)
    }
}
