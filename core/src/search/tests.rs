//! Validation and use-case tests of search, against mocks.

use rust_decimal::Decimal;

use super::*;
use crate::stores::MockStoreRepository;
use crate::{Entity, Error, Page, PageRequest};

fn page() -> PageRequest {
    PageRequest::new(None, None, 20).unwrap()
}

fn fields(error: Error) -> Vec<String> {
    match error {
        Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn search_text_keeps_only_words() {
    let text = SearchText::parse("q", "  Choc & \"Dark\" |!:*() thé-vert  ")
        .unwrap()
        .unwrap();
    assert_eq!(text.words(), ["choc", "dark", "thé", "vert"]);
    assert_eq!(text.phrase(), "choc & \"dark\" |!:*() thé-vert");
    assert!(SearchText::parse("q", "   ").unwrap().is_none());
    assert!(SearchText::parse("q", "&|!").unwrap().unwrap().words().is_empty());
    assert_eq!(
        fields(SearchText::parse("q", &"x".repeat(201)).unwrap_err()),
        ["q"]
    );
}

#[test]
fn defaults_depend_on_q() {
    let with_q = ProductSearch::parse(
        &SearchRequest {
            q: Some("tea".into()),
            ..Default::default()
        },
        page(),
    )
    .unwrap();
    assert_eq!(with_q.sort, SearchSort::Relevance);
    let without = ProductSearch::parse(&SearchRequest::default(), page()).unwrap();
    assert_eq!(without.sort, SearchSort::Newest);
    let blank = ProductSearch::parse(
        &SearchRequest {
            q: Some("  ".into()),
            ..Default::default()
        },
        page(),
    )
    .unwrap();
    assert_eq!((blank.text, blank.sort), (None, SearchSort::Newest));
}

#[test]
fn category_is_an_id_or_a_name() {
    let parse = |c: &str| {
        ProductSearch::parse(
            &SearchRequest {
                category: Some(c.into()),
                ..Default::default()
            },
            page(),
        )
    };
    assert!(matches!(parse("2").unwrap().category, Some(CategoryFilter::Id(id)) if id.get() == 2));
    assert_eq!(
        parse("Beverages").unwrap().category,
        Some(CategoryFilter::Name("Beverages".into()))
    );
    assert_eq!(fields(parse("-1").unwrap_err()), ["category"]);
}

#[test]
fn every_bad_parameter_is_named() {
    let request = SearchRequest {
        min_price: Some(Decimal::new(500, 2)),
        max_price: Some(Decimal::new(-100, 2)),
        store_id: Some(0),
        sort: Some("cheapest".into()),
        ..Default::default()
    };
    assert_eq!(
        fields(ProductSearch::parse(&request, page()).unwrap_err()),
        ["max_price", "min_price", "store_id", "sort"]
    );
    let sorts = ["relevance", "price", "-price", "newest"].map(|s| SearchSort::parse(s).is_some());
    assert_eq!(sorts, [true; 4]);
}

#[tokio::test]
async fn unknown_store_is_not_found_and_not_searched() {
    let mut stores = MockStoreRepository::new();
    stores.expect_store_exists().returning(|_| Ok(false));
    let mut search = MockCatalogSearch::new();
    search.expect_search().never();
    let request = SearchRequest {
        store_id: Some(5),
        ..Default::default()
    };
    let error = search_products(&stores, &search, &request, page())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::NotFound {
            entity: Entity::Store,
            id: 5
        }
    ));
}

#[tokio::test]
async fn search_without_store_skips_the_store_check() {
    let mut stores = MockStoreRepository::new();
    stores.expect_store_exists().never();
    let mut search = MockCatalogSearch::new();
    search.expect_search().times(1).returning(|q| {
        Ok(Page {
            items: vec![],
            total: 0,
            request: q.page,
        })
    });
    let page = search_products(&stores, &search, &SearchRequest::default(), page())
        .await
        .unwrap();
    assert_eq!(page.total, 0);
}

#[tokio::test]
async fn suggest_needs_three_characters_after_trimming() {
    let mut search = MockCatalogSearch::new();
    search.expect_suggest().never();
    for q in [None, Some(""), Some("  ab  "), Some("ab")] {
        assert_eq!(fields(suggest_titles(&search, q).await.unwrap_err()), ["q"]);
    }
    let mut search = MockCatalogSearch::new();
    search
        .expect_suggest()
        .withf(|text, limit| text.as_str() == "gre" && *limit == 10)
        .times(1)
        .returning(|_, _| Ok(vec!["Green Tea".into()]));
    assert_eq!(
        suggest_titles(&search, Some("  GRE ")).await.unwrap(),
        ["Green Tea"]
    );
}
