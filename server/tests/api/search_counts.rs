//! Search counts are exact up to a bound (`SEARCH_COUNT_LIMIT`), "at least" beyond it, and
//! pages reach only as far as the bound. The fixture catalogue of `search.rs` (8 products)
//! crosses a bound of 2 or 5 set in the test configuration.

use serde_json::Value;

use crate::helpers::{problem_fields, TestApp};
use crate::search::{ids, search, search_app, seeded};

async fn app_with_bound(bound: u32) -> TestApp {
    seeded(TestApp::spawn_with(|settings| settings.search_count_limit = bound).await).await
}

fn count(body: &Value) -> (i64, bool, i64) {
    (
        body["count"].as_i64().unwrap(),
        body["count_exact"].as_bool().expect("count_exact is a boolean"),
        body["total_pages"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn counts_say_at_least_past_the_bound_and_exact_within_it() {
    let app = app_with_bound(5).await;
    // 8 products, bound 5: "at least 5", and pages computed from the bound.
    assert_eq!(count(&search(&app, "page_size=2").await), (5, false, 3));
    // q=tea matches 5 products: exactly the bound is still exact.
    assert_eq!(count(&search(&app, "q=tea&page_size=2").await), (5, true, 3));
    assert_eq!(count(&search(&app, "q=choc").await), (2, true, 1));
    assert_eq!(count(&search(&app, "q=xylophone").await), (0, true, 0));
    // The substring fallback ("ree" starts no word; five titles contain it) is bounded too.
    assert_eq!(count(&search(&app, "q=ree").await), (5, true, 1));
}

#[tokio::test]
async fn pages_reach_the_bound_and_no_further() {
    let app = app_with_bound(5).await;
    // Newest first: 8, 7, 6, 5, 4, 3, 2, 1. Page 3 of 2 starts at the 5th result (inside the
    // bound) and is a full page.
    let last = search(&app, "page_size=2&page=3").await;
    assert_eq!(ids(&last), [4, 3]);
    assert_eq!(last["next"], Value::Null, "the bound's last page has no next");
    // Page 4 starts at the 7th result: past the bound, refused naming `page`.
    let response = app.get("/api/search/products/?page_size=2&page=4").await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(problem_fields(&body), ["page"]);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("narrow the search"));
    // Below the bound, a page past the end of the matches is empty, as on every list.
    let past = search(&app, "q=choc&page_size=1&page=4").await;
    assert_eq!((ids(&past), count(&past)), (vec![], (2, true, 2)));
}

/// Every filter, with a bound of 2, against the same search with the default bound: the
/// count is min(exact, 2), `count_exact` says whether it was cut, and the page is the same.
#[tokio::test]
async fn every_filter_counts_up_to_the_bound() {
    let bounded = app_with_bound(2).await;
    let exact = search_app().await;
    let queries = [
        "category=3",
        "category=confectionery",
        "min_price=2.50&max_price=4.20",
        "in_stock=true",
        "in_stock=false",
        "store_id=1",
        "store_id=1&in_stock=true",
        "store_id=1&in_stock=false",
        "store_id=2",
        "q=tea",
        "q=tea&category=1",
        "q=green&sort=price",
        "q=tea&store_id=1",
        "q=tea&in_stock=true",
        "q=chocolate&min_price=2",
        "q=olate",
        "q=ree",
        "",
    ];
    let mut cut = 0;
    for query in queries {
        let full = search(&exact, query).await;
        let (all, all_exact, _) = count(&full);
        assert!(
            all_exact,
            "{query}: the default bound counts this catalogue exactly"
        );
        let page = search(&bounded, &format!("{query}&page_size=2")).await;
        assert_eq!(
            count(&page),
            (all.min(2), all <= 2, all.min(2).div_euclid(2) + all.min(2) % 2),
            "{query}"
        );
        assert_eq!(
            ids(&page),
            ids(&full).into_iter().take(2).collect::<Vec<_>>(),
            "{query}"
        );
        cut += usize::from(all > 2);
    }
    assert!(cut >= 10, "most queries must cross the bound to test it: {cut}");
}
