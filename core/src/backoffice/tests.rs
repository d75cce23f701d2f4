use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use mockall::predicate::eq;

use super::*;
use crate::auth::{Principal, TokenName, TokenScope};
use crate::catalogue::{Category, Store};
use crate::stores::MockStoreRepository;
use crate::{CategoryId, Error, Page, PageRequest, StoreId};

fn store(id: i64) -> StoreId {
    StoreId::new(id).unwrap()
}

fn principal(scope: TokenScope) -> Principal {
    Principal {
        name: TokenName::parse("backroom").unwrap(),
        scope,
    }
}

fn store_token(ids: &[i64]) -> Principal {
    principal(TokenScope::Stores(
        ids.iter().map(|&i| store(i)).collect::<BTreeSet<_>>(),
    ))
}

#[tokio::test]
async fn the_overview_counts_a_store_tokens_stores_only_and_orders_since_midnight_utc() {
    let now = Utc.with_ymd_and_hms(2026, 12, 3, 17, 45, 12).unwrap();
    let midnight = Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap();
    let mut repo = MockBackofficeRepository::new();
    repo.expect_store_stock()
        .with(eq(Some(vec![store(2), store(5)])), eq(5))
        .returning(|_, _| Ok(vec![]));
    repo.expect_order_counts()
        .with(eq(midnight), eq(Some(vec![store(2), store(5)])))
        .returning(|_, _| Ok(OrderCounts::default()));
    overview(&repo, &store_token(&[5, 2]), now, 5).await.unwrap();

    let mut every = MockBackofficeRepository::new();
    every
        .expect_store_stock()
        .with(eq(None), eq(1))
        .returning(|_, _| Ok(vec![]));
    every
        .expect_order_counts()
        .with(eq(midnight), eq(None))
        .returning(|_, _| Ok(OrderCounts::default()));
    // A threshold of 0 would make nothing low: it is read as 1.
    overview(&every, &principal(TokenScope::Catalogue), now, 0)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_store_token_may_not_browse_another_stores_inventory_and_learns_nothing_of_it() {
    let repo = MockBackofficeRepository::new(); // a call would panic
    let stores = MockStoreRepository::new(); // no lookup either
    let browse = InventoryBrowse::new("", StockLevel::All, InventorySort::Title, 5).unwrap();
    let page = PageRequest::new(None, None, 50).unwrap();
    let result = browse_inventory(&repo, &stores, &store_token(&[1]), 2, &browse, page).await;
    assert!(matches!(result, Err(Error::Forbidden(_))), "{result:?}");
}

#[tokio::test]
async fn an_unknown_store_is_not_found() {
    let repo = MockBackofficeRepository::new();
    let mut stores = MockStoreRepository::new();
    stores.expect_store_exists().returning(|_| Ok(false));
    let page = PageRequest::new(None, None, 50).unwrap();
    let browse = InventoryBrowse::new("", StockLevel::All, InventorySort::Title, 5).unwrap();
    let result = browse_inventory(
        &repo,
        &stores,
        &principal(TokenScope::Catalogue),
        9,
        &browse,
        page,
    )
    .await;
    assert!(matches!(result, Err(Error::NotFound { .. })), "{result:?}");
}

#[test]
fn form_values_are_read_strictly_and_a_blank_title_filters_nothing() {
    assert_eq!(StockLevel::parse("stock", "").unwrap(), StockLevel::All);
    assert_eq!(StockLevel::parse("stock", "out").unwrap(), StockLevel::Out);
    assert!(StockLevel::parse("stock", "some").is_err());
    assert_eq!(
        InventorySort::parse("sort", "-quantity").unwrap(),
        InventorySort::QuantityDescending
    );
    assert!(InventorySort::parse("sort", "price").is_err());
    let browse = InventoryBrowse::new("   ", StockLevel::Low, InventorySort::Title, 5).unwrap();
    assert_eq!(browse.title, None);
    let browse = InventoryBrowse::new(" green tea ", StockLevel::Low, InventorySort::Title, 5).unwrap();
    let words = browse.title.expect("two words");
    assert_eq!(words.words(), ["green", "tea"]);
    let Err(Error::Invalid(errors)) =
        InventoryBrowse::new(&"x".repeat(201), StockLevel::All, InventorySort::Title, 5)
    else {
        panic!("a 201-character title must be refused");
    };
    assert_eq!(errors[0].field, "q");
}

#[test]
fn order_counts_add_up_by_status() {
    let mut counts = OrderCounts::default();
    counts.add(crate::orders::OrderStatus::Confirmed, 3);
    counts.add(crate::orders::OrderStatus::Cancelled, 1);
    counts.add(crate::orders::OrderStatus::Rejected, 2);
    assert_eq!(
        (
            counts.confirmed,
            counts.cancelled,
            counts.rejected,
            counts.total()
        ),
        (3, 1, 2, 6)
    );
}

#[tokio::test]
async fn a_store_token_sees_its_stores_orders_only_and_learns_nothing_of_others() {
    use crate::orders::{MockOrderRepository, Order, OrderStatus};
    use crate::OrderId;
    let order = |id: i64, store_id: i64| Order {
        id: OrderId::new(id).unwrap(),
        store_id: store(store_id),
        status: OrderStatus::Confirmed,
        created_at: Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap(),
        lines: vec![],
        cancellation: None,
    };
    let mut orders = MockOrderRepository::new();
    orders.expect_get_order().returning(move |id| {
        Ok(match id.get() {
            1 => Some(order(1, 1)),
            2 => Some(order(2, 2)),
            _ => None,
        })
    });
    let baixa = store_token(&[1]);
    assert_eq!(view_order(&orders, &baixa, 1).await.unwrap().id.get(), 1);
    for other in [2, 3, -1] {
        let result = view_order(&orders, &baixa, other).await;
        assert!(matches!(result, Err(Error::Forbidden(_))), "{other}: {result:?}");
    }
    let office = principal(TokenScope::Catalogue);
    assert_eq!(view_order(&orders, &office, 2).await.unwrap().id.get(), 2);
    assert!(matches!(
        view_order(&orders, &office, 3).await,
        Err(Error::NotFound { .. })
    ));

    // A store's list: refused before any lookup.
    let stores = MockStoreRepository::new();
    let page = PageRequest::new(None, None, 50).unwrap();
    let result = store_orders(&orders, &stores, &baixa, 2, page).await;
    assert!(matches!(result, Err(Error::Forbidden(_))), "{result:?}");
}

fn page_of<T>(items: Vec<T>, request: PageRequest) -> Page<T> {
    Page {
        total: items.len() as u64,
        items,
        request,
    }
}

#[tokio::test]
async fn a_store_token_lists_only_its_own_stores_and_a_catalogue_token_every_store() {
    let page = PageRequest::new(Some(2), Some(10), 50).unwrap();
    let baixa = Store {
        id: store(5),
        name: "Baixa".into(),
        location: "Lisbon".into(),
    };
    let mut repo = MockBackofficeRepository::new();
    let listed = baixa.clone();
    repo.expect_list_stores()
        .with(eq(Some(vec![store(2), store(5)])), eq(page))
        .times(1)
        .returning(move |_, page| Ok(page_of(vec![listed.clone()], page)));
    let own = list_stores(&repo, &store_token(&[5, 2]), page).await.unwrap();
    assert_eq!(own.items, vec![baixa]);
    assert_eq!(own.request, page);

    let mut every = MockBackofficeRepository::new();
    every
        .expect_list_stores()
        .with(eq(None), eq(page))
        .times(1)
        .returning(|_, page| Ok(page_of(vec![], page)));
    list_stores(&every, &principal(TokenScope::Catalogue), page)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_product_form_offers_the_categories_up_to_the_bound() {
    let mut repo = MockBackofficeRepository::new();
    repo.expect_category_choices()
        .with(eq(MAX_CATEGORY_CHOICES))
        .times(1)
        .returning(|_| {
            Ok(vec![Category {
                id: CategoryId::new(1).unwrap(),
                name: "Beverages".into(),
            }])
        });
    let choices = category_choices(&repo).await.unwrap();
    assert_eq!(choices.len(), 1);
    assert_eq!(choices[0].name, "Beverages");
}

#[tokio::test]
async fn a_failing_store_list_is_the_repositorys_error() {
    let mut repo = MockBackofficeRepository::new();
    repo.expect_list_stores()
        .returning(|_, _| Err(Error::Unavailable("down".into())));
    let page = PageRequest::new(None, None, 50).unwrap();
    let result = list_stores(&repo, &principal(TokenScope::Catalogue), page).await;
    assert!(matches!(result, Err(Error::Unavailable(_))), "{result:?}");
}
