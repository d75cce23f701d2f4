//! [`CatalogueRepository`] on PostgreSQL: categories, products and stores one at a time.
//!
//! What keeps search and suggest exact after a write is in the database, not here: triggers
//! (migrations 2, 4, 5 and 9) recompute a product's search vector on every insert and on
//! every change of its title, description or category, every product's vector of a renamed
//! category, its distinct title for suggest, the product count and the out-of-stock set.
//!
//! A product write locks the row of the category it puts the product in (`FOR SHARE`) before
//! writing, so a concurrent rename of that category waits for it (or it for the rename) and
//! the trigger that copies the category's name into the search vector reads the name that
//! stands once both have committed. A rename that runs first is seen by the product write;
//! one that runs after updates the product's vector itself. A write that leaves the product's
//! category as it is needs no lock: a rename's update of the category's products waits for
//! the product's row and recomputes its vector from the row as this write left it.

use aforro_core::catalogue::{
    unknown_category, CatalogueRepository, Category, CategoryCommand, CreateProduct, CreateStore, Product,
    ProductChanges, Store, StoreChanges,
};
use aforro_core::{CategoryId, Error, Page, PageRequest, ProductId, Result, StoreId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::postgres::error::db_error;
use crate::postgres::rows::{id, total};
use crate::postgres::schema::{categories, products, stores};
use crate::postgres::Postgres;

#[diesel::declare_sql_function]
extern "SQL" {
    /// SQL `lower(text)`: names sort ignoring case.
    fn lower(text: Text) -> Text;
}

type CategoryRow = (i64, String);
type StoreRow = (i64, String, String);
type ProductRow = (i64, String, Option<String>, Decimal, i64, DateTime<Utc>);

const STORE_COLUMNS: (stores::id, stores::name, stores::location) =
    (stores::id, stores::name, stores::location);
const PRODUCT_COLUMNS: (
    products::id,
    products::title,
    products::description,
    products::price,
    products::category_id,
    products::created_at,
) = (
    products::id,
    products::title,
    products::description,
    products::price,
    products::category_id,
    products::created_at,
);

fn category((row_id, name): CategoryRow) -> Result<Category> {
    Ok(Category {
        id: id(row_id, CategoryId::new)?,
        name,
    })
}

fn store((row_id, name, location): StoreRow) -> Result<Store> {
    Ok(Store {
        id: id(row_id, StoreId::new)?,
        name,
        location,
    })
}

fn product(
    (row_id, title, description, price, category_id, created_at): ProductRow,
    category_name: String,
) -> Result<Product> {
    Ok(Product {
        id: id(row_id, ProductId::new)?,
        title,
        description,
        price,
        category: category((category_id, category_name))?,
        created_at,
    })
}

/// The changed columns of a product (`None`: unchanged; `Some(None)` description: NULL).
#[derive(AsChangeset)]
#[diesel(table_name = products)]
struct ProductChangeset<'a> {
    title: Option<&'a str>,
    description: Option<Option<&'a str>>,
    price: Option<Decimal>,
    category_id: Option<i64>,
}

/// The changed columns of a store.
#[derive(AsChangeset)]
#[diesel(table_name = stores)]
struct StoreChangeset<'a> {
    name: Option<&'a str>,
    location: Option<&'a str>,
}

/// What fails inside a write's transaction: the database, or a rule it found broken.
enum TxError {
    Db(DieselError),
    Refused(Error),
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> Self {
        TxError::Db(error)
    }
}

impl From<TxError> for Error {
    fn from(error: TxError) -> Self {
        match error {
            TxError::Db(error) => db_error(error),
            TxError::Refused(error) => error,
        }
    }
}

/// A category write's unique violation on its name (`categories_name_key`, or the
/// case-insensitive `categories_name_lower_key` of migration 12) is the 409 of the contract.
fn category_write_error(error: DieselError, name: &str) -> Error {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if matches!(
                info.constraint_name(),
                Some("categories_name_key" | "categories_name_lower_key")
            ) =>
        {
            Error::Conflict(format!(
                "another category is already named '{name}' (names are compared ignoring case)"
            ))
        }
        _ => db_error(error),
    }
}

/// Locks the category a product is written into against renames until the write commits;
/// its name, or `None` when there is no such category.
async fn lock_category(
    conn: &mut diesel_async::AsyncPgConnection,
    category_id: CategoryId,
) -> Result<Option<String>, DieselError> {
    categories::table
        .find(category_id.get())
        .select(categories::name)
        .for_share()
        .first(conn)
        .await
        .optional()
}

#[async_trait]
impl CatalogueRepository for Postgres {
    /// Two queries: the count and the page (`categories_name_lower_key` serves the order).
    async fn list_categories(&self, page: PageRequest) -> Result<Page<Category>> {
        let mut conn = self.conn().await?;
        let count: i64 = categories::table
            .count()
            .get_result(&mut *conn)
            .await
            .map_err(db_error)?;
        let rows: Vec<CategoryRow> = categories::table
            .select((categories::id, categories::name))
            .order((lower(categories::name), categories::id))
            .limit(page.limit())
            .offset(page.offset())
            .load(&mut *conn)
            .await
            .map_err(db_error)?;
        Ok(Page {
            items: rows.into_iter().map(category).collect::<Result<_>>()?,
            total: total(count)?,
            request: page,
        })
    }

    async fn find_category(&self, category_id: CategoryId) -> Result<Option<Category>> {
        let row: Option<CategoryRow> = categories::table
            .find(category_id.get())
            .select((categories::id, categories::name))
            .first(&mut *self.conn().await?)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(category).transpose()
    }

    /// Two queries: the count and the page.
    async fn list_stores(&self, page: PageRequest) -> Result<Page<Store>> {
        let mut conn = self.conn().await?;
        let count: i64 = stores::table
            .count()
            .get_result(&mut *conn)
            .await
            .map_err(db_error)?;
        let rows: Vec<StoreRow> = stores::table
            .select(STORE_COLUMNS)
            .order((lower(stores::name), stores::id))
            .limit(page.limit())
            .offset(page.offset())
            .load(&mut *conn)
            .await
            .map_err(db_error)?;
        Ok(Page {
            items: rows.into_iter().map(store).collect::<Result<_>>()?,
            total: total(count)?,
            request: page,
        })
    }

    async fn find_store(&self, store_id: StoreId) -> Result<Option<Store>> {
        let row: Option<StoreRow> = stores::table
            .find(store_id.get())
            .select(STORE_COLUMNS)
            .first(&mut *self.conn().await?)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(store).transpose()
    }

    /// One query, joined with its category.
    async fn find_product(&self, product_id: ProductId) -> Result<Option<Product>> {
        let row: Option<(ProductRow, String)> = products::table
            .inner_join(categories::table)
            .filter(products::id.eq(product_id.get()))
            .select((PRODUCT_COLUMNS, categories::name))
            .first(&mut *self.conn().await?)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(|(row, name)| product(row, name)).transpose()
    }

    async fn insert_category(&self, command: &CategoryCommand) -> Result<Category> {
        let name = command.name.as_str();
        let row: CategoryRow = diesel::insert_into(categories::table)
            .values(categories::name.eq(name))
            .returning((categories::id, categories::name))
            .get_result(&mut *self.conn().await?)
            .await
            .map_err(|error| category_write_error(error, name))?;
        category(row)
    }

    /// The `categories_rename_refreshes_products` trigger (migration 2) rewrites the search
    /// vector of every product of the category in the same transaction.
    async fn rename_category(
        &self,
        category_id: CategoryId,
        command: &CategoryCommand,
    ) -> Result<Option<Category>> {
        let name = command.name.as_str();
        let row: Option<CategoryRow> = diesel::update(categories::table.find(category_id.get()))
            .set(categories::name.eq(name))
            .returning((categories::id, categories::name))
            .get_result(&mut *self.conn().await?)
            .await
            .optional()
            .map_err(|error| category_write_error(error, name))?;
        row.map(category).transpose()
    }

    /// One transaction: lock the category, insert the product.
    async fn insert_product(&self, command: &CreateProduct) -> Result<Product> {
        let mut conn = self.conn().await?;
        let (row, category_name) = conn
            .transaction::<_, TxError, _>(async |conn| {
                let Some(category_name) = lock_category(conn, command.category_id).await? else {
                    return Err(TxError::Refused(unknown_category(command.category_id)));
                };
                let row: ProductRow = diesel::insert_into(products::table)
                    .values((
                        products::title.eq(command.title.as_str()),
                        products::description.eq(command.description.as_ref().map(|d| d.as_str())),
                        products::price.eq(command.price.get()),
                        products::category_id.eq(command.category_id.get()),
                    ))
                    .returning(PRODUCT_COLUMNS)
                    .get_result(conn)
                    .await?;
                Ok((row, category_name))
            })
            .await?;
        product(row, category_name)
    }

    /// One transaction: lock the new category (if it changes), update the product, read its
    /// category's name.
    async fn update_product(
        &self,
        product_id: ProductId,
        changes: &ProductChanges,
    ) -> Result<Option<Product>> {
        let mut conn = self.conn().await?;
        let updated = conn
            .transaction::<_, TxError, _>(async |conn| {
                let mut category_name = None;
                if let Some(category_id) = changes.category_id {
                    category_name = lock_category(conn, category_id).await?;
                    if category_name.is_none() {
                        // An unknown product is a 404 before its unknown category is a 422.
                        let found: bool = diesel::select(exists(products::table.find(product_id.get())))
                            .get_result(conn)
                            .await?;
                        return if found {
                            Err(TxError::Refused(unknown_category(category_id)))
                        } else {
                            Ok(None)
                        };
                    }
                }
                let changeset = ProductChangeset {
                    title: changes.title.as_ref().map(|t| t.as_str()),
                    description: changes
                        .description
                        .as_ref()
                        .map(|d| d.as_ref().map(|d| d.as_str())),
                    price: changes.price.map(|p| p.get()),
                    category_id: changes.category_id.map(CategoryId::get),
                };
                let row: Option<ProductRow> = diesel::update(products::table.find(product_id.get()))
                    .set(&changeset)
                    .returning(PRODUCT_COLUMNS)
                    .get_result(conn)
                    .await
                    .optional()?;
                let Some(row) = row else { return Ok(None) };
                let category_name = match category_name {
                    Some(name) => name,
                    None => {
                        categories::table
                            .find(row.4)
                            .select(categories::name)
                            .first(conn)
                            .await?
                    }
                };
                Ok(Some((row, category_name)))
            })
            .await?;
        updated.map(|(row, name)| product(row, name)).transpose()
    }

    async fn insert_store(&self, command: &CreateStore) -> Result<Store> {
        let row: StoreRow = diesel::insert_into(stores::table)
            .values((
                stores::name.eq(command.name.as_str()),
                stores::location.eq(command.location.as_str()),
            ))
            .returning(STORE_COLUMNS)
            .get_result(&mut *self.conn().await?)
            .await
            .map_err(db_error)?;
        store(row)
    }

    async fn update_store(&self, store_id: StoreId, changes: &StoreChanges) -> Result<Option<Store>> {
        let changeset = StoreChangeset {
            name: changes.name.as_ref().map(|n| n.as_str()),
            location: changes.location.as_ref().map(|l| l.as_str()),
        };
        let row: Option<StoreRow> = diesel::update(stores::table.find(store_id.get()))
            .set(&changeset)
            .returning(STORE_COLUMNS)
            .get_result(&mut *self.conn().await?)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(store).transpose()
    }
}
