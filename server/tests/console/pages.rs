//! What the scenarios do on the console's pages, by the markup the console promises
//! (`server/templates/console/`): the sign-in form, the header's sign-out form, the inventory
//! table and its stock forms. Also the API reads the scenarios check the pages against.

use reqwest::Method;
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::TestApp;

/// The sign-in form, the one that asks for a token.
const SIGN_IN_FORM: &str = "form[method='post'][action='/console/login']";
/// The catalogue's pages and their create or rename forms: none is for a store token.
pub const CATALOGUE_FORMS: &str = "form[method='post'][action^='/console/products'], \
     form[method='post'][action^='/console/categories'], \
     form[method='post'][action='/console/stores'], form[method='post'][action$='/edit']";

/// The header's sign-out form, on every page of a signed-in person.
const SIGN_OUT_FORM: &str = "header form[method='post'][action='/console/logout']";

impl Browser {
    /// Signs in with `token` from the sign-in page, and checks that it lands on the overview.
    pub async fn sign_in(&self, token: &str) {
        self.goto("/console/").await;
        assert!(
            self.asks_for_sign_in().await,
            "GET /console/ without a session shows the sign-in form"
        );
        self.fill("#token", token).await;
        self.click(&format!(
            "{SIGN_IN_FORM} button[type='submit'], {SIGN_IN_FORM} button:not([type])"
        ))
        .await;
        assert_eq!(
            self.path().await,
            "/console/",
            "a valid token leads to the overview"
        );
        assert_eq!(self.status().await, 200);
        assert!(self.is_signed_in().await, "the overview has the sign-out form");
    }

    /// Signs out with the header's button.
    pub async fn sign_out(&self) {
        self.click(&format!("{SIGN_OUT_FORM} button")).await;
    }

    /// Whether the page is the sign-in form: a token field with its label, and nothing of a
    /// signed-in page.
    pub async fn asks_for_sign_in(&self) -> bool {
        self.has(&format!(
            "{SIGN_IN_FORM} input#token[name='token'][type='password']"
        ))
        .await
            && self.has("label[for='token']").await
            && !self.is_signed_in().await
    }

    /// Whether the page is a signed-in one (its header offers to sign out, with the CSRF token).
    pub async fn is_signed_in(&self) -> bool {
        self.has(&format!("{SIGN_OUT_FORM} input[type='hidden'][name='csrf']"))
            .await
    }

    /// The quantity the store page shows for `product` (its row's `quantity` cell).
    pub async fn shown_quantity(&self, product: i64) -> i64 {
        let text = self.text(&format!("tr#product-{product} td.quantity")).await;
        text.parse()
            .unwrap_or_else(|_| panic!("product {product}'s quantity cell says {text:?}"))
    }

    /// The CSS selector of the stock form in `product`'s row of `store`'s page.
    pub fn stock_form(store: i64, product: i64) -> String {
        format!(
            "tr#product-{product} form[method='post'][action='/console/stores/{store}/inventory/{product}/adjust']"
        )
    }

    /// Fills `product`'s stock form on `store`'s page (delta, reason, note) without sending it.
    pub async fn fill_stock_form(&self, store: i64, product: i64, delta: &str, reason: &str, note: &str) {
        let form = Self::stock_form(store, product);
        self.fill(&format!("{form} [name='delta']"), delta).await;
        self.find(&format!("{form} select[name='reason']"))
            .await
            .select_by_value(reason)
            .await
            .unwrap_or_else(|e| panic!("reason {reason}: {e}"));
        self.fill(&format!("{form} [name='note']"), note).await;
    }

    /// Fills and sends `product`'s stock form with its "Apply" button.
    pub async fn adjust_stock(&self, store: i64, product: i64, delta: &str, reason: &str, note: &str) {
        self.fill_stock_form(store, product, delta, reason, note).await;
        self.click(&format!("{} button", Self::stock_form(store, product)))
            .await;
    }
}

/// The quantity `GET /stores/{store}/inventory/` lists for `product`, if it lists it.
pub async fn api_quantity(app: &TestApp, store: i64, product: i64) -> Option<i64> {
    let response = app
        .get(&format!("/stores/{store}/inventory/?page_size=100"))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("inventory JSON");
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|item| item["product_id"] == product)
        .map(|item| item["quantity"].as_i64().expect("quantity"))
}

/// A product search in `store` (`GET /api/search/products/?q=…&store_id=…`): the `X-Cache`
/// header and each result's (id, quantity).
pub async fn search_in_store(app: &TestApp, q: &str, store: i64) -> (String, Vec<(i64, i64)>) {
    let response = app
        .get_with(
            "/api/search/products/",
            &[("q", q), ("store_id", &store.to_string())],
        )
        .await;
    assert_eq!(response.status(), 200);
    let cache = header(&response, "x-cache");
    let body: Value = response.json().await.expect("search JSON");
    let results = body["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().expect("id"),
                r["quantity"].as_i64().expect("quantity"),
            )
        })
        .collect();
    (cache, results)
}

/// How many movements the stock row's ledger holds (`count` of its movements list).
pub async fn movement_count(app: &TestApp, token: &str, store: i64, product: i64) -> i64 {
    let path = format!("/stores/{store}/inventory/{product}/movements/");
    let response = app
        .staff(Method::GET, &path, token)
        .send()
        .await
        .expect("movements");
    assert_eq!(response.status(), 200, "GET {path}");
    let body: Value = response.json().await.expect("movements JSON");
    body["count"].as_i64().expect("count")
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
