//! Validation and use-case tests of search, against mocks.

use super::*;
use crate::stores::MockStoreRepository;
use crate::{Entity, Error, PageRequest};

fn page() -> PageRequest {
    PageRequest::new(None, None, 20).unwrap()
}

fn bound() -> CountLimit {
    CountLimit::new(1_000).unwrap()
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
        bound(),
    )
    .unwrap();
    assert_eq!(with_q.sort, SearchSort::Relevance);
    let without = ProductSearch::parse(&SearchRequest::default(), page(), bound()).unwrap();
    assert_eq!(without.sort, SearchSort::Newest);
    let blank = ProductSearch::parse(
        &SearchRequest {
            q: Some("  ".into()),
            ..Default::default()
        },
        page(),
        bound(),
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
            bound(),
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
        min_price: Some("5.00".into()),
        max_price: Some("-1.00".into()),
        store_id: Some(0),
        sort: Some("cheapest".into()),
        ..Default::default()
    };
    assert_eq!(
        fields(ProductSearch::parse(&request, page(), bound()).unwrap_err()),
        ["max_price", "store_id", "sort"]
    );
    let inverted = SearchRequest {
        min_price: Some("5".into()),
        max_price: Some("1.5".into()),
        ..Default::default()
    };
    assert_eq!(
        fields(ProductSearch::parse(&inverted, page(), bound()).unwrap_err()),
        ["min_price"]
    );
    // The money rule: no sign (not even on zero), at most two decimals.
    for raw in ["-0", "1.001", "+1", " 1", "1e2", "12345678901"] {
        let request = SearchRequest {
            min_price: Some(raw.into()),
            ..Default::default()
        };
        assert_eq!(
            fields(ProductSearch::parse(&request, page(), bound()).unwrap_err()),
            ["min_price"],
            "{raw}"
        );
    }
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
    let error = search_products(&stores, &search, &request, page(), bound())
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
    search.expect_search().times(1).returning(|_| {
        Ok(SearchResults {
            items: vec![],
            count: 0,
            count_exact: true,
        })
    });
    let found = search_products(&stores, &search, &SearchRequest::default(), page(), bound())
        .await
        .unwrap();
    assert_eq!((found.page.total, found.count_exact), (0, true));
}

#[test]
fn pages_reach_as_far_as_the_count_limit() {
    let at = |page: i64, size: i64| {
        let request = PageRequest::new(Some(page), Some(size), 20).unwrap();
        ProductSearch::parse(&SearchRequest::default(), request, bound())
    };
    // 1,000 results: page 50 of 20 starts at 980, page 51 at 1,000 (the 1,001st result).
    assert!(at(50, 20).is_ok());
    assert_eq!(fields(at(51, 20).unwrap_err()), ["page"]);
    // A page may start inside the bound and end past it.
    assert!(at(11, 99).is_ok());
    assert_eq!(fields(at(12, 99).unwrap_err()), ["page"]);
    assert_eq!(fields(at(10_000_000, 100).unwrap_err()), ["page"]);
}

#[test]
fn a_count_past_the_bound_says_the_bound_and_not_exact() {
    let results = |counted| SearchResults::bounded(vec![], counted, bound());
    assert_eq!((results(0).count, results(0).count_exact), (0, true));
    assert_eq!((results(1_000).count, results(1_000).count_exact), (1_000, true));
    assert_eq!((results(1_001).count, results(1_001).count_exact), (1_000, false));
    let page = results(1_001).into_page(PageRequest::new(None, Some(20), 20).unwrap());
    assert_eq!((page.page.total_pages(), page.count_exact), (50, false));
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
