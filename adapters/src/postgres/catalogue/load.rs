//! [`CatalogueLoader`] on PostgreSQL: one transaction, large multi-row inserts.
//!
//! Each batch is one `INSERT … SELECT * FROM unnest($1, $2, …)` with one array parameter per
//! column: a single statement and round trip for tens of thousands of rows, with no SQL text
//! growing with the batch (diesel-async has no COPY support).

use aforro_core::catalogue::{
    CatalogueLoad, CatalogueLoader, NewCategory, NewProduct, NewStockLevel, NewStore,
};
use aforro_core::{Error, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, TransactionManager};
use rust_decimal::Decimal;

use crate::postgres::error::db_error;
use crate::postgres::Postgres;

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    value: bool,
}

#[async_trait]
impl CatalogueLoader for Postgres {
    async fn begin(&self, reset: bool) -> Result<Box<dyn CatalogueLoad>> {
        let mut conn = self.conn().await?;
        AnsiTransactionManager::begin_transaction(&mut *conn)
            .await
            .map_err(db_error)?;
        let mut load = PgCatalogueLoad {
            conn,
            deferred_foreign_keys: Vec::new(),
            deferred_indexes: Vec::new(),
        };
        match load.prepare(reset).await {
            Ok(()) => Ok(Box::new(load)),
            Err(error) => {
                let _ = load.rollback().await;
                Err(error)
            }
        }
    }
}

/// Tables whose foreign keys are checked once at the end of a load instead of row by row.
const BULK_TABLES: [&str; 5] = [
    "products",
    "inventory",
    "product_titles",
    "product_title_words",
    "product_search_terms",
];

/// Triggers that keep derived tables current, switched off for a bulk load …
const DERIVED_TABLE_TRIGGERS: [(&str, &str); 26] = [
    ("inventory", "inventory_out_of_stock_insert"),
    ("inventory", "inventory_out_of_stock_update"),
    ("inventory", "inventory_out_of_stock_delete"),
    ("inventory", "inventory_level_changes_insert"),
    ("inventory", "inventory_level_changes_update"),
    ("inventory", "inventory_level_changes_delete"),
    ("inventory", "inventory_title_words_insert"),
    ("inventory", "inventory_title_words_delete"),
    ("inventory", "inventory_product_store_ids_insert"),
    ("inventory", "inventory_product_store_ids_delete"),
    ("inventory", "inventory_sold_out_stores_insert"),
    ("inventory", "inventory_sold_out_stores_update"),
    ("inventory", "inventory_sold_out_stores_delete"),
    ("inventory", "inventory_lock_products_insert"),
    ("inventory", "inventory_lock_products_delete"),
    ("products", "products_title_words_insert"),
    ("products", "products_title_words_update"),
    ("products", "products_title_words_delete"),
    ("products", "products_out_of_stock_insert"),
    ("products", "products_titles_insert"),
    ("products", "products_titles_update"),
    ("products", "products_titles_delete"),
    ("products", "products_count_insert"),
    ("products", "products_search_terms_insert"),
    ("products", "products_search_terms_update"),
    ("products", "products_search_terms_delete"),
];

/// … and the functions (migrations 4, 5, 9, 22, 23, 25 and 26; 32 widened the stores' rebuild to
/// the sold-out stores) that rebuild what they keep once at its end, in this order (the search
/// terms copy the stores kept on products).
const DERIVED_TABLE_REBUILDS: [&str; 7] = [
    "rebuild_out_of_stock_products",
    "rebuild_product_titles",
    "rebuild_product_count",
    "rebuild_stock_level_counts",
    "rebuild_product_title_words",
    "rebuild_product_store_ids",
    "rebuild_product_search_terms",
];

struct PgCatalogueLoad {
    conn: Object<AsyncPgConnection>,
    /// `(table, constraint name, definition)` of the foreign keys dropped for the load.
    deferred_foreign_keys: Vec<(String, String, String)>,
    /// `CREATE INDEX` statements of the secondary indexes dropped for the load.
    deferred_indexes: Vec<String>,
}

#[derive(QueryableByName)]
struct SecondaryIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

#[derive(QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    definition: String,
}

impl PgCatalogueLoad {
    async fn exec(&mut self, sql: &str) -> Result<()> {
        diesel::sql_query(sql)
            .execute(&mut *self.conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn prepare(&mut self, reset: bool) -> Result<()> {
        // Two seeders at once would both see an empty catalogue: the second waits here.
        self.exec("SELECT pg_advisory_xact_lock(727275)").await?;
        // Building indexes and checking keys of big batches goes faster with more memory.
        self.exec("SET LOCAL maintenance_work_mem = '512MB'").await?;
        if reset {
            // CASCADE also empties every table that refers to the catalogue (orders, …); the
            // ledger has no foreign keys (migration 18), so it is named.
            self.exec("TRUNCATE categories, products, stores, stock_movements RESTART IDENTITY CASCADE")
                .await?;
        } else {
            self.refuse_non_empty().await?;
        }
        self.defer_foreign_keys().await?;
        self.defer_secondary_indexes().await?;
        // Triggers keep derived tables exact statement by statement; over millions of rows one
        // rebuild at the end is far cheaper (DERIVED_TABLE_TRIGGERS, DERIVED_TABLE_REBUILDS).
        for (table, trigger) in DERIVED_TABLE_TRIGGERS {
            self.exec(&format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
                .await?;
        }
        Ok(())
    }

    /// Likewise, building an index once over all rows beats updating it row by row (the GIN
    /// indexes of search most of all). Indexes that back a constraint (primary keys, UNIQUE)
    /// stay: they are the rules the load must obey as it goes.
    async fn defer_secondary_indexes(&mut self) -> Result<()> {
        let indexes: Vec<SecondaryIndex> = diesel::sql_query(
            "SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
             FROM pg_index i
             WHERE i.indrelid = ANY($1::regclass[])
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
             ORDER BY 1",
        )
        .bind::<Array<Text>, _>(BULK_TABLES.to_vec())
        .load(&mut *self.conn)
        .await
        .map_err(db_error)?;
        for index in &indexes {
            self.exec(&format!("DROP INDEX {}", index.name)).await?;
        }
        self.deferred_indexes = indexes.into_iter().map(|i| i.definition).collect();
        Ok(())
    }

    /// Row-by-row foreign key checks cost three quarters of the insert time of a big load
    /// (measured: 300k inventory rows 3.7 s with them, 0.9 s without). Inside the load's
    /// transaction the keys are dropped, and re-added by `commit`, which validates every row
    /// in one pass; a violation fails the commit and rolls the whole load back. The
    /// definitions are read from the catalogue, so they never drift from the migrations.
    async fn defer_foreign_keys(&mut self) -> Result<()> {
        let keys: Vec<ForeignKey> = diesel::sql_query(
            "SELECT conrelid::regclass::text AS table_name, conname::text AS name,
                    pg_get_constraintdef(oid) AS definition
             FROM pg_constraint
             WHERE contype = 'f' AND conrelid = ANY($1::regclass[])
             ORDER BY conrelid::regclass::text, conname",
        )
        .bind::<Array<Text>, _>(BULK_TABLES.to_vec())
        .load(&mut *self.conn)
        .await
        .map_err(db_error)?;
        for key in &keys {
            self.exec(&format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                key.table_name, key.name
            ))
            .await?;
        }
        self.deferred_foreign_keys = keys
            .into_iter()
            .map(|k| (k.table_name, k.name, k.definition))
            .collect();
        Ok(())
    }

    async fn restore_foreign_keys(&mut self) -> Result<()> {
        for (table, name, definition) in std::mem::take(&mut self.deferred_foreign_keys) {
            self.exec(&format!("ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
                .await?;
        }
        Ok(())
    }

    async fn refuse_non_empty(&mut self) -> Result<()> {
        let found: Flag = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM categories) OR EXISTS (SELECT 1 FROM products)
                 OR EXISTS (SELECT 1 FROM stores) AS value",
        )
        .get_result(&mut *self.conn)
        .await
        .map_err(db_error)?;
        if found.value {
            return Err(Error::Conflict(
                "the database already holds a catalogue; pass --reset to wipe it and seed again".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl CatalogueLoad for PgCatalogueLoad {
    async fn add_categories(&mut self, rows: &[NewCategory]) -> Result<()> {
        diesel::sql_query("INSERT INTO categories (id, name) SELECT * FROM unnest($1::bigint[], $2::text[])")
            .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.id.get()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>())
            .execute(&mut *self.conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn add_products(&mut self, rows: &[NewProduct]) -> Result<()> {
        diesel::sql_query(
            "INSERT INTO products (id, title, description, price, category_id, created_at)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::numeric[], $5::bigint[], $6::timestamptz[])",
        )
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.id.get()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.title.as_str()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.description.as_deref()).collect::<Vec<_>>())
        .bind::<Array<Numeric>, _>(rows.iter().map(|r| r.price).collect::<Vec<Decimal>>())
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.category_id.get()).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.created_at).collect::<Vec<DateTime<Utc>>>())
        .execute(&mut *self.conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn add_stores(&mut self, rows: &[NewStore]) -> Result<()> {
        diesel::sql_query(
            "INSERT INTO stores (id, name, location) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])",
        )
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.id.get()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.location.as_str()).collect::<Vec<_>>())
        .execute(&mut *self.conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn add_stock(&mut self, rows: &[NewStockLevel]) -> Result<()> {
        let quantities = rows
            .iter()
            .map(|r| i32::try_from(r.quantity).map_err(|_| Error::internal("stock quantity over i32")))
            .collect::<Result<Vec<_>>>()?;
        diesel::sql_query(
            "INSERT INTO inventory (store_id, product_id, quantity)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[])",
        )
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.store_id.get()).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(rows.iter().map(|r| r.product_id.get()).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(quantities)
        .execute(&mut *self.conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn commit(&mut self) -> Result<()> {
        // Before the deferred indexes are rebuilt, so the rebuilt rows are indexed once; and
        // before the triggers are back on, so the products' stores, rebuilt by an UPDATE of
        // every product, do not also go through the product triggers row set by row set.
        for rebuild in DERIVED_TABLE_REBUILDS {
            self.exec(&format!("SELECT {rebuild}()")).await?;
        }
        for (table, trigger) in DERIVED_TABLE_TRIGGERS {
            self.exec(&format!("ALTER TABLE {table} ENABLE TRIGGER {trigger}"))
                .await?;
        }
        for definition in std::mem::take(&mut self.deferred_indexes) {
            self.exec(&definition).await?;
        }
        self.restore_foreign_keys().await?;
        // Ids were chosen by the load: move the identity sequences past them.
        for table in ["categories", "products", "stores"] {
            self.exec(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
            ))
            .await?;
        }
        AnsiTransactionManager::commit_transaction(&mut *self.conn)
            .await
            .map_err(db_error)?;
        // Fresh statistics, so the planner knows the tables are no longer empty, and a set
        // visibility map, so index-only scans (suggest) need not visit the heap.
        self.exec(
            "VACUUM (ANALYZE) categories, products, stores, inventory, out_of_stock_products, product_titles, stock_level_counts, product_title_words",
        )
        .await
    }

    async fn rollback(&mut self) -> Result<()> {
        AnsiTransactionManager::rollback_transaction(&mut *self.conn)
            .await
            .map_err(db_error)
    }
}
