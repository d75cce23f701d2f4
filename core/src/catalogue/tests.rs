//! The seed use-case against mocks: order of writes, batching, all-or-nothing.

use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::{CategoryId, Error, ProductId, StoreId};

/// A deterministic source: `n` of everything, product ids as asked.
struct FixedSource;

impl CatalogueSource for FixedSource {
    fn categories(&mut self, plan: &SeedPlan) -> Vec<NewCategory> {
        (1..=i64::from(plan.categories))
            .map(|i| NewCategory {
                id: CategoryId::new(i).unwrap(),
                name: format!("C{i}"),
            })
            .collect()
    }
    fn products(&mut self, _plan: &SeedPlan, first_id: i64, count: u32) -> Vec<NewProduct> {
        (first_id..first_id + i64::from(count))
            .map(|i| NewProduct {
                id: ProductId::new(i).unwrap(),
                title: format!("P{i}"),
                description: None,
                price: Decimal::new(100, 2),
                category_id: CategoryId::new(1).unwrap(),
                created_at: Utc.timestamp_opt(0, 0).unwrap(),
            })
            .collect()
    }
    fn stores(&mut self, plan: &SeedPlan) -> Vec<NewStore> {
        (1..=i64::from(plan.stores))
            .map(|i| NewStore {
                id: StoreId::new(i).unwrap(),
                name: format!("S{i}"),
                location: "x".into(),
            })
            .collect()
    }
    fn stock(&mut self, plan: &SeedPlan, store_id: StoreId) -> Vec<NewStockLevel> {
        (1..=i64::from(plan.inventory_per_store))
            .map(|p| NewStockLevel {
                store_id,
                product_id: ProductId::new(p).unwrap(),
                quantity: 1,
            })
            .collect()
    }
}

fn quiet() -> MockSeedProgress {
    let mut progress = MockSeedProgress::new();
    progress.expect_start().return_const(());
    progress.expect_advance().return_const(());
    progress.expect_finish().return_const(());
    progress
}

fn loader_with(load: MockCatalogueLoad, expect_reset: bool) -> MockCatalogueLoader {
    let mut loader = MockCatalogueLoader::new();
    let mut load = Some(load);
    loader
        .expect_begin()
        .withf(move |reset| *reset == expect_reset)
        .times(1)
        .returning(move |_| Ok(Box::new(load.take().unwrap()) as Box<dyn CatalogueLoad>));
    loader
}

#[tokio::test]
async fn writes_everything_in_batches_then_commits_once() {
    let writes = Arc::new(Mutex::new(Vec::new()));
    let mut load = MockCatalogueLoad::new();
    let log = Arc::clone(&writes);
    load.expect_add_categories().times(1).returning(move |rows| {
        log.lock().unwrap().push(format!("categories {}", rows.len()));
        Ok(())
    });
    let log = Arc::clone(&writes);
    load.expect_add_products().returning(move |rows| {
        log.lock()
            .unwrap()
            .push(format!("products {}..={}", rows[0].id, rows[rows.len() - 1].id));
        Ok(())
    });
    let log = Arc::clone(&writes);
    load.expect_add_stores().times(1).returning(move |rows| {
        log.lock().unwrap().push(format!("stores {}", rows.len()));
        Ok(())
    });
    let log = Arc::clone(&writes);
    load.expect_add_stock().returning(move |rows| {
        log.lock()
            .unwrap()
            .push(format!("stock {} x{}", rows[0].store_id, rows.len()));
        Ok(())
    });
    load.expect_commit().times(1).returning(|| Ok(()));
    load.expect_rollback().never();

    let plan = SeedPlan {
        categories: 3,
        products: 45_000,
        stores: 2,
        inventory_per_store: 45_000,
    };
    let report = seed_catalogue(&loader_with(load, true), &mut FixedSource, &plan, true, &quiet())
        .await
        .unwrap();

    assert_eq!(
        report,
        SeedReport {
            categories: 3,
            products: 45_000,
            stores: 2,
            inventory_rows: 90_000
        }
    );
    assert_eq!(
        *writes.lock().unwrap(),
        [
            "categories 3",
            "products 1..=20000",
            "products 20001..=40000",
            "products 40001..=45000",
            "stores 2",
            "stock 1 x45000",
            "stock 2 x45000",
        ]
    );
}

#[tokio::test]
async fn a_failed_write_rolls_back_and_commits_nothing() {
    let mut load = MockCatalogueLoad::new();
    load.expect_add_categories().returning(|_| Ok(()));
    load.expect_add_products()
        .returning(|_| Err(Error::Unavailable("connection lost".into())));
    load.expect_add_stores().never();
    load.expect_commit().never();
    load.expect_rollback().times(1).returning(|| Ok(()));

    let error = seed_catalogue(
        &loader_with(load, false),
        &mut FixedSource,
        &SeedPlan::default(),
        false,
        &quiet(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Unavailable(_)));
}

#[tokio::test]
async fn a_non_empty_catalogue_is_refused_before_any_write() {
    let mut loader = MockCatalogueLoader::new();
    loader
        .expect_begin()
        .returning(|_| Err(Error::Conflict("the catalogue is not empty".into())));
    let mut source = MockCatalogueSource::new();
    source.expect_categories().never();

    let error = seed_catalogue(&loader, &mut source, &SeedPlan::default(), false, &quiet())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Conflict(_)));
}

#[tokio::test]
async fn impossible_plans_are_refused_before_touching_storage() {
    let mut loader = MockCatalogueLoader::new();
    loader.expect_begin().never();
    let plans = [
        (
            SeedPlan {
                products: 10,
                inventory_per_store: 11,
                ..SeedPlan::default()
            },
            "inventory_per_store",
        ),
        (
            SeedPlan {
                categories: 0,
                ..SeedPlan::default()
            },
            "categories",
        ),
        (
            SeedPlan {
                stores: 0,
                ..SeedPlan::default()
            },
            "stores",
        ),
    ];
    for (plan, field) in plans {
        let error = seed_catalogue(&loader, &mut FixedSource, &plan, false, &quiet())
            .await
            .unwrap_err();
        let Error::Invalid(errors) = error else {
            panic!("expected invalid")
        };
        assert_eq!(errors[0].field, field);
    }
}

#[test]
fn default_plan_meets_the_assignment_minimums() {
    let plan = SeedPlan::default();
    assert!(
        plan.categories >= 10
            && plan.products >= 1000
            && plan.stores >= 20
            && plan.inventory_per_store >= 300
    );
    assert!(plan.validate().is_ok());
}
