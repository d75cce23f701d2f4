//! Catalogue writes against mocks: authorisation first, validation, and the invalidation that
//! follows a committed category or product write (or its hand-over to the worker).

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use mockall::predicate::eq;
use mockall::Sequence;
use rust_decimal::Decimal;

use super::*;
use crate::auth::{Principal, TokenName, TokenScope};
use crate::cache::{bump_deferred, MockCache, Scope, Stale, WritePorts};
use crate::outbox::{Job, MockOutbox};
use crate::{CategoryId, Entity, Error, ProductId, StoreId};

fn catalogue_token() -> Principal {
    Principal {
        name: TokenName::parse("buyer").unwrap(),
        scope: TokenScope::Catalogue,
    }
}

fn store_token() -> Principal {
    Principal {
        name: TokenName::parse("till-1").unwrap(),
        scope: TokenScope::Stores(BTreeSet::from([StoreId::new(1).unwrap()])),
    }
}

fn category(id: i64, name: &str) -> Category {
    Category {
        id: CategoryId::new(id).unwrap(),
        name: name.into(),
    }
}

fn product(id: i64) -> Product {
    Product {
        id: ProductId::new(id).unwrap(),
        title: "Matcha".into(),
        description: None,
        price: Decimal::new(900, 2),
        category: category(1, "Beverages"),
        created_at: Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap(),
    }
}

fn store(id: i64) -> Store {
    Store {
        id: StoreId::new(id).unwrap(),
        name: "Chiado".into(),
        location: "Lisbon".into(),
    }
}

fn text(value: &str) -> Field<String> {
    Field::Value(value.to_owned())
}

fn new_product() -> ProductInput {
    ProductInput {
        title: text("Matcha"),
        price: text("9.00"),
        category_id: Field::Value(1),
        ..Default::default()
    }
}

fn invalid_product() -> ProductInput {
    ProductInput {
        title: Field::Null,
        category_id: Field::Value(7),
        ..Default::default()
    }
}

fn tea_category() -> CategoryInput {
    CategoryInput {
        name: text("Tea"),
        unknown: Vec::new(),
    }
}

fn new_store() -> StoreInput {
    StoreInput {
        name: text("Chiado"),
        location: text("Lisbon"),
        unknown: Vec::new(),
    }
}

/// Mocks that expect a given set of calls; any other call fails the test.
#[derive(Default)]
struct Ports {
    catalogue: MockCatalogueRepository,
    cache: MockCache,
    outbox: MockOutbox,
}

impl Ports {
    fn writer(&self) -> CatalogueWriter<'_> {
        WritePorts {
            repository: &self.catalogue,
            cache: &self.cache,
            outbox: &self.outbox,
        }
    }

    fn bumps_catalogue(mut self, outcome: fn() -> crate::Result<()>) -> Self {
        self.cache
            .expect_bump()
            .withf(|scopes| scopes == [Scope::Catalogue])
            .times(1)
            .returning(move |_| outcome());
        self
    }
}

fn unavailable() -> crate::Result<()> {
    Err(Error::Unavailable("redis unreachable".into()))
}

fn invalid_fields(error: Error) -> Vec<String> {
    match error {
        Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a 422, got {other:?}"),
    }
}

#[tokio::test]
async fn a_store_token_is_refused_before_anything_is_read_or_looked_up() {
    // No expectation is set: any call to a port panics.
    let ports = Ports::default();
    let (w, p) = (ports.writer(), store_token());
    let invalid_category = CategoryInput::default();
    let invalid_store = StoreInput::default();
    let results = [
        create_category(w, &p, &invalid_category).await.map(|_| ()),
        rename_category(w, &p, 999, &invalid_category).await.map(|_| ()),
        create_product(w, &p, &invalid_product()).await.map(|_| ()),
        update_product(w, &p, 999, &invalid_product()).await.map(|_| ()),
        update_product(w, &p, -1, &new_product()).await.map(|_| ()),
        create_store(w, &p, &invalid_store).await.map(|_| ()),
        update_store(w, &p, 999, &invalid_store).await.map(|_| ()),
    ];
    for result in results {
        assert!(matches!(result, Err(Error::Forbidden(_))), "{result:?}");
    }
}

#[tokio::test]
async fn a_product_write_commits_then_bumps_the_catalogue_before_returning() {
    let mut ports = Ports::default();
    let mut order = Sequence::new();
    ports
        .catalogue
        .expect_insert_product()
        .withf(|p| p.title.as_str() == "Matcha" && p.price.get() == Decimal::new(900, 2))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(product(5)));
    ports
        .cache
        .expect_bump()
        .with(eq(vec![Scope::Catalogue]))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_| Ok(()));
    ports.outbox.expect_enqueue().never();
    let created = create_product(ports.writer(), &catalogue_token(), &new_product())
        .await
        .unwrap();
    assert_eq!(created.id.get(), 5);
}

#[tokio::test]
async fn category_and_product_changes_bump_the_catalogue() {
    let mut ports = Ports::default().bumps_catalogue(|| Ok(()));
    ports
        .catalogue
        .expect_rename_category()
        .withf(|id, c| id.get() == 2 && c.name.as_str() == "Tea")
        .returning(|_, _| Ok(Some(category(2, "Tea"))));
    let renamed = rename_category(ports.writer(), &catalogue_token(), 2, &tea_category())
        .await
        .unwrap();
    assert_eq!(renamed.name, "Tea");

    let mut ports = Ports::default().bumps_catalogue(|| Ok(()));
    ports
        .catalogue
        .expect_update_product()
        .withf(|id, changes| id.get() == 5 && changes.description == Some(None))
        .returning(|_, _| Ok(Some(product(5))));
    let remove_description = ProductInput {
        description: Field::Null,
        ..Default::default()
    };
    update_product(ports.writer(), &catalogue_token(), 5, &remove_description)
        .await
        .unwrap();

    let mut ports = Ports::default().bumps_catalogue(|| Ok(()));
    ports
        .catalogue
        .expect_insert_category()
        .returning(|_| Ok(category(3, "Tea")));
    create_category(ports.writer(), &catalogue_token(), &tea_category())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failed_bump_goes_to_the_outbox_and_the_write_stands() {
    let mut ports = Ports::default().bumps_catalogue(unavailable);
    ports
        .catalogue
        .expect_insert_category()
        .returning(|_| Ok(category(3, "Tea")));
    ports
        .outbox
        .expect_enqueue()
        .with(eq(Job::CatalogueInvalidation))
        .times(1)
        .returning(|_| Ok(true));
    let created = create_category(ports.writer(), &catalogue_token(), &tea_category())
        .await
        .unwrap();
    assert_eq!(created.id.get(), 3);

    // Even when the outbox fails too, the committed write is what the client gets.
    let mut ports = Ports::default().bumps_catalogue(unavailable);
    ports
        .catalogue
        .expect_update_product()
        .returning(|_, _| Ok(Some(product(5))));
    ports
        .outbox
        .expect_enqueue()
        .times(1)
        .returning(|_| Err(Error::Unavailable("postgres unreachable".into())));
    let price = ProductInput {
        price: text("1"),
        ..Default::default()
    };
    assert!(update_product(ports.writer(), &catalogue_token(), 5, &price)
        .await
        .is_ok());
}

#[tokio::test]
async fn nothing_is_bumped_when_the_write_fails() {
    let mut ports = Ports::default();
    ports
        .catalogue
        .expect_insert_category()
        .returning(|_| Err(Error::Conflict("another category is named tea".into())));
    ports.cache.expect_bump().never();
    ports.outbox.expect_enqueue().never();
    let error = create_category(ports.writer(), &catalogue_token(), &tea_category())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Conflict(_)));

    ports.catalogue.expect_update_product().returning(|_, _| Ok(None));
    let error = update_product(ports.writer(), &catalogue_token(), 9, &new_product())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::NotFound {
                entity: Entity::Product,
                id: 9
            }
        ),
        "{error:?}"
    );

    ports
        .catalogue
        .expect_insert_product()
        .returning(|_| Err(unknown_category(CategoryId::new(1).unwrap())));
    let error = create_product(ports.writer(), &catalogue_token(), &new_product())
        .await
        .unwrap_err();
    assert_eq!(invalid_fields(error), ["category_id"]);
}

#[tokio::test]
async fn an_invalid_body_writes_nothing_and_names_every_field_including_a_missing_category() {
    let mut ports = Ports::default();
    ports
        .catalogue
        .expect_find_category()
        .with(eq(CategoryId::new(7).unwrap()))
        .returning(|_| Ok(None));
    ports.catalogue.expect_insert_product().never();
    ports.cache.expect_bump().never();
    let error = create_product(ports.writer(), &catalogue_token(), &invalid_product())
        .await
        .unwrap_err();
    assert_eq!(invalid_fields(error), ["title", "price", "category_id"]);
}

#[tokio::test]
async fn an_invalid_body_for_an_id_that_does_not_exist_is_a_404() {
    let mut ports = Ports::default();
    ports.catalogue.expect_find_product().returning(|_| Ok(None));
    ports.catalogue.expect_find_category().returning(|_| Ok(None));
    ports.catalogue.expect_find_store().returning(|_| Ok(None));
    let (w, p) = (ports.writer(), catalogue_token());
    let missing = |result: crate::Result<()>, entity: Entity| match result {
        Err(Error::NotFound {
            entity: found,
            id: 404,
        }) => assert_eq!(found, entity),
        other => panic!("expected a 404, got {other:?}"),
    };
    missing(
        update_product(w, &p, 404, &invalid_product()).await.map(|_| ()),
        Entity::Product,
    );
    missing(
        rename_category(w, &p, 404, &CategoryInput::default())
            .await
            .map(|_| ()),
        Entity::Category,
    );
    missing(
        update_store(w, &p, 404, &StoreInput::default()).await.map(|_| ()),
        Entity::Store,
    );

    // The same body for a product that exists is the 422.
    let mut ports = Ports::default();
    ports
        .catalogue
        .expect_find_product()
        .returning(|_| Ok(Some(product(5))));
    ports
        .catalogue
        .expect_find_category()
        .returning(|id| Ok(Some(category(id.get(), "Beverages"))));
    let error = update_product(ports.writer(), &catalogue_token(), 5, &invalid_product())
        .await
        .unwrap_err();
    assert_eq!(invalid_fields(error), ["title"]);
}

#[tokio::test]
async fn store_writes_invalidate_nothing() {
    let mut ports = Ports::default();
    ports.cache.expect_bump().never();
    ports.outbox.expect_enqueue().never();
    ports.catalogue.expect_insert_store().returning(|_| Ok(store(3)));
    ports
        .catalogue
        .expect_update_store()
        .withf(|id, changes| id.get() == 3 && changes.location.is_some() && changes.name.is_none())
        .returning(|_, _| Ok(Some(store(3))));
    let (w, p) = (ports.writer(), catalogue_token());
    assert_eq!(create_store(w, &p, &new_store()).await.unwrap().id.get(), 3);
    let moved = StoreInput {
        location: text("Porto"),
        ..Default::default()
    };
    assert_eq!(update_store(w, &p, 3, &moved).await.unwrap().id.get(), 3);
}

#[tokio::test]
async fn the_worker_job_bumps_the_catalogue_and_fails_when_the_bump_does() {
    let mut cache = MockCache::new();
    cache
        .expect_bump()
        .with(eq(vec![Scope::Catalogue]))
        .times(1)
        .returning(|_| Ok(()));
    bump_deferred(&cache, Stale::Catalogue).await.unwrap();

    let mut cache = MockCache::new();
    cache.expect_bump().returning(|_| unavailable());
    assert!(matches!(
        bump_deferred(&cache, Stale::Catalogue).await,
        Err(Error::Unavailable(_))
    ));
}

#[tokio::test]
async fn reads_of_ids_that_cannot_exist_are_404_without_a_lookup() {
    let catalogue = MockCatalogueRepository::new();
    assert!(matches!(
        get_product(&catalogue, 0).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        get_category(&catalogue, -3).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        get_store(&catalogue, 0).await,
        Err(Error::NotFound { .. })
    ));
}
