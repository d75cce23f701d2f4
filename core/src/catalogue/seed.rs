//! The seed use-case.

use super::model::{SeedPlan, SeedReport};
use super::ports::{CatalogueLoad, CatalogueLoader, CatalogueSource, SeedPhase, SeedProgress};
use crate::{Error, Result};

/// Products generated and written per batch: large enough for fast multi-row inserts, small
/// enough to keep memory flat at millions of products.
pub const PRODUCT_BATCH: u32 = 20_000;
/// Inventory rows written per batch.
pub const STOCK_BATCH: usize = 50_000;

/// Fills the catalogue from `source` in one transaction: all of it, or (on any error) none.
///
/// Errors: [`Error::Invalid`] for an impossible plan (nothing is touched),
/// [`Error::Conflict`] when the catalogue is not empty and `reset` is false.
pub async fn seed_catalogue(
    loader: &dyn CatalogueLoader,
    source: &mut dyn CatalogueSource,
    plan: &SeedPlan,
    reset: bool,
    progress: &dyn SeedProgress,
) -> Result<SeedReport> {
    plan.validate()?;
    let mut load = loader.begin(reset).await?;
    match write_all(load.as_mut(), source, plan, progress).await {
        Ok(report) => {
            progress.start(SeedPhase::Commit, 1);
            load.commit().await?;
            progress.finish(SeedPhase::Commit);
            Ok(report)
        }
        Err(error) => {
            let _ = load.rollback().await;
            Err(error)
        }
    }
}

async fn write_all(
    load: &mut dyn CatalogueLoad,
    source: &mut dyn CatalogueSource,
    plan: &SeedPlan,
    progress: &dyn SeedProgress,
) -> Result<SeedReport> {
    let mut report = SeedReport::default();

    let categories = source.categories(plan);
    progress.start(SeedPhase::Categories, categories.len() as u64);
    load.add_categories(&categories).await?;
    report.categories = categories.len() as u64;
    progress.advance(report.categories);
    progress.finish(SeedPhase::Categories);

    progress.start(SeedPhase::Products, u64::from(plan.products));
    let mut next_id: i64 = 1;
    let mut remaining = plan.products;
    while remaining > 0 {
        let count = remaining.min(PRODUCT_BATCH);
        let products = source.products(plan, next_id, count);
        if products.len() != count as usize {
            return Err(Error::internal(format!(
                "source made {} products, {count} asked",
                products.len()
            )));
        }
        load.add_products(&products).await?;
        next_id += i64::from(count);
        remaining -= count;
        report.products += u64::from(count);
        progress.advance(u64::from(count));
    }
    progress.finish(SeedPhase::Products);

    let stores = source.stores(plan);
    progress.start(SeedPhase::Stores, stores.len() as u64);
    load.add_stores(&stores).await?;
    report.stores = stores.len() as u64;
    progress.advance(report.stores);
    progress.finish(SeedPhase::Stores);

    progress.start(
        SeedPhase::Inventory,
        u64::from(plan.stores) * u64::from(plan.inventory_per_store),
    );
    for store in &stores {
        let stock = source.stock(plan, store.id);
        for batch in stock.chunks(STOCK_BATCH) {
            load.add_stock(batch).await?;
            report.inventory_rows += batch.len() as u64;
            progress.advance(batch.len() as u64);
        }
    }
    progress.finish(SeedPhase::Inventory);
    Ok(report)
}
