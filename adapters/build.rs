//! Rebuilds the adapters when a migration is added or changed: `embed_migrations!` reads the
//! folder at compile time, and cargo would not otherwise know that the crate depends on it.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
