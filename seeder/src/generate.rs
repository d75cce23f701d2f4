//! The fake-data source: a seeded RNG drives `fake` and the word lists, so the same seed and
//! sizes always give the same catalogue (ids included).

use aforro_core::catalogue::{CatalogueSource, NewCategory, NewProduct, NewStockLevel, NewStore, SeedPlan};
use aforro_core::{CategoryId, ProductId, StoreId};
use chrono::{DateTime, Duration, TimeZone, Utc};
use fake::faker::address::en::{BuildingNumber, CityName, StreetName};
use fake::faker::company::en::CatchPhrase;
use fake::faker::lorem::en::Sentence;
use fake::faker::name::en::LastName;
use fake::Fake;
use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

use crate::words::{CATEGORIES, QUALITIES, SIZES, VARIETIES};

/// Products are created over the two years before this instant. A fixed anchor (not "now")
/// keeps the data identical for the same seed.
fn newest_product_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Deterministic fake catalogue.
pub struct FakeCatalogue {
    rng: StdRng,
}

impl FakeCatalogue {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.rng.random_range(0..words.len())]
    }

    fn title(&mut self, kinds: &[&str]) -> String {
        let kind = self.pick(kinds);
        let variety = self.pick(VARIETIES);
        match self.rng.random_range(0..4) {
            0 => format!("{} {variety} {kind}", self.pick(QUALITIES)),
            1 => {
                let brand: String = LastName().fake_with_rng(&mut self.rng);
                format!("{brand} {variety} {kind} {}", self.pick(SIZES))
            }
            2 => format!("{variety} {kind} {}", self.pick(SIZES)),
            _ => format!("{} {variety} {kind}", self.pick(QUALITIES)),
        }
    }

    /// Prices between 0.49 and ~250.00, most of them cheap, as in a grocery store.
    fn price(&mut self) -> Decimal {
        let spread: f64 = self.rng.random_range(0.0..1.0);
        let cents = (49.0 * (25_000.0_f64 / 49.0).powf(spread * spread)).round() as i64;
        Decimal::new(cents, 2)
    }

    /// About one in ten stock levels is zero; the rest mostly small, a few large.
    fn quantity(&mut self) -> u32 {
        match self.rng.random_range(0..10) {
            0 => 0,
            1 => self.rng.random_range(100..=1000),
            _ => self.rng.random_range(1..=60),
        }
    }
}

fn category_name(index: usize) -> String {
    let (name, _) = CATEGORIES[index % CATEGORIES.len()];
    match index / CATEGORIES.len() {
        0 => name.to_string(),
        round => format!("{name} {}", round + 1),
    }
}

impl CatalogueSource for FakeCatalogue {
    fn categories(&mut self, plan: &SeedPlan) -> Vec<NewCategory> {
        (0..plan.categories as usize)
            .filter_map(|i| {
                Some(NewCategory {
                    id: CategoryId::new(i as i64 + 1)?,
                    name: category_name(i),
                })
            })
            .collect()
    }

    fn products(&mut self, plan: &SeedPlan, first_id: i64, count: u32) -> Vec<NewProduct> {
        let span_seconds = Duration::days(730).num_seconds();
        (first_id..first_id + i64::from(count))
            .filter_map(|id| {
                let category = self.rng.random_range(0..plan.categories as usize);
                let (_, kinds) = CATEGORIES[category % CATEGORIES.len()];
                let title = self.title(kinds);
                let description = match self.rng.random_range(0..6) {
                    0 => None,
                    1 => Some(CatchPhrase().fake_with_rng::<String, _>(&mut self.rng)),
                    _ => Some(Sentence(6..14).fake_with_rng::<String, _>(&mut self.rng)),
                };
                let age = Duration::seconds(self.rng.random_range(0..span_seconds));
                Some(NewProduct {
                    id: ProductId::new(id)?,
                    title,
                    description,
                    price: self.price(),
                    category_id: CategoryId::new(category as i64 + 1)?,
                    created_at: newest_product_at() - age,
                })
            })
            .collect()
    }

    fn stores(&mut self, plan: &SeedPlan) -> Vec<NewStore> {
        (1..=i64::from(plan.stores))
            .filter_map(|id| {
                let city: String = CityName().fake_with_rng(&mut self.rng);
                let street: String = StreetName().fake_with_rng(&mut self.rng);
                let number: String = BuildingNumber().fake_with_rng(&mut self.rng);
                Some(NewStore {
                    id: StoreId::new(id)?,
                    name: format!("aforro {city} #{id}"),
                    location: format!("{number} {street}, {city}"),
                })
            })
            .collect()
    }

    fn stock(&mut self, plan: &SeedPlan, store_id: StoreId) -> Vec<NewStockLevel> {
        let mut picked = sample(
            &mut self.rng,
            plan.products as usize,
            plan.inventory_per_store as usize,
        )
        .into_vec();
        // Ascending product ids: inserts land at the end of the (store, product) primary key.
        picked.sort_unstable();
        picked
            .into_iter()
            .filter_map(|index| {
                Some(NewStockLevel {
                    store_id,
                    product_id: ProductId::new(index as i64 + 1)?,
                    quantity: self.quantity(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let plan = SeedPlan {
            categories: 3,
            products: 50,
            stores: 2,
            inventory_per_store: 20,
        };
        let run = |seed| {
            let mut source = FakeCatalogue::new(seed);
            (
                source.categories(&plan),
                source.products(&plan, 1, 50),
                source.stores(&plan),
                source.stock(&plan, StoreId::new(1).unwrap()),
            )
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7).1, run(8).1);
    }

    #[test]
    fn stock_is_distinct_products_in_range() {
        let plan = SeedPlan {
            categories: 1,
            products: 400,
            stores: 1,
            inventory_per_store: 300,
        };
        let stock = FakeCatalogue::new(1).stock(&plan, StoreId::new(1).unwrap());
        let mut ids: Vec<_> = stock.iter().map(|s| s.product_id.get()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 300);
        assert!(ids.iter().all(|&id| (1..=400).contains(&id)));
    }

    #[test]
    fn titles_have_several_words_and_prices_are_sane() {
        let plan = SeedPlan::default();
        let products = FakeCatalogue::new(3).products(&plan, 1, 500);
        assert!(products.iter().all(|p| p.title.split_whitespace().count() >= 2));
        assert!(products
            .iter()
            .all(|p| p.price >= Decimal::new(49, 2) && p.price <= Decimal::new(25_000, 2)));
        assert!(products.iter().any(|p| p.description.is_none()));
        assert!(products.iter().any(|p| p.description.is_some()));
        let names: Vec<_> = (0..30).map(category_name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "category names are unique");
    }
}
