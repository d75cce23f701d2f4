//! Words drawn from the seeder's own vocabulary, for the generated workloads (console, search):
//! the words the seeded titles are made of, so a draw meets the catalogue's real frequencies.

use rand::rngs::StdRng;
use rand::RngExt;

// The seeder's word lists (a binary's module, read as a file: the words products are made of).
#[path = "../../seeder/src/words.rs"]
#[allow(dead_code)]
mod words;

pub use words::CATEGORIES;

/// One word of a product kind, a variety or a quality, the three pools equally likely (one
/// word of a several-word entry such as "Sea Salt").
pub fn word(rng: &mut StdRng) -> String {
    let kinds: Vec<&str> = CATEGORIES
        .iter()
        .flat_map(|(_, kinds)| kinds.iter().copied())
        .collect();
    let pool: [&[&str]; 3] = [&kinds, words::VARIETIES, words::QUALITIES];
    let list = pool[rng.random_range(0..pool.len())];
    let phrase = list[rng.random_range(0..list.len())];
    let parts: Vec<&str> = phrase.split_whitespace().collect();
    parts[rng.random_range(0..parts.len())].to_owned()
}

/// The first three letters or more of a drawn word.
pub fn prefix(rng: &mut StdRng) -> String {
    let whole = word(rng);
    let length = rng.random_range(3..=whole.len().max(3));
    whole[..length.min(whole.len())].to_owned()
}

/// A word no title holds.
pub fn no_match(rng: &mut StdRng) -> String {
    format!("zq{}x", rng.random_range(100..999))
}
