//! Parsing catalogue write bodies: every rule, and every bad field reported at once.

use rust_decimal::Decimal;

use super::*;
use crate::{CategoryId, Error};

fn text(value: &str) -> Field<String> {
    Field::Value(value.to_owned())
}

/// The fields a parse refused, in order.
fn refused<T: std::fmt::Debug>(result: crate::Result<T>) -> Vec<String> {
    match result {
        Err(Error::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a 422, got {other:?}"),
    }
}

#[test]
fn names_are_trimmed_and_one_to_two_hundred_characters() {
    assert_eq!(Name::parse("  Green Tea \n").unwrap().as_str(), "Green Tea");
    assert!(Name::parse(&"é".repeat(200)).is_ok(), "characters, not bytes");
    for bad in ["", "   ", &"x".repeat(201)] {
        assert!(Name::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(Location::parse(" Porto ").unwrap().as_str(), "Porto");
    assert!(Location::parse(" ").is_err() && Location::parse(&"x".repeat(201)).is_err());
    assert_eq!(
        Description::parse(" kept as sent ").unwrap().as_str(),
        " kept as sent "
    );
    assert!(Description::parse("").is_ok() && Description::parse(&"x".repeat(2000)).is_ok());
    assert!(Description::parse(&"x".repeat(2001)).is_err());
    // Postgres text cannot hold NUL: a 422, never a database error.
    for bad in [
        Name::parse("Te\0a").err(),
        Location::parse("\0").err(),
        Description::parse("a\0").err(),
    ] {
        assert!(bad.is_some_and(|m| m.contains("NUL")));
    }
}

#[test]
fn prices_are_decimals_from_zero_to_a_million_with_two_places_at_most() {
    for (raw, cents) in [
        ("4.20", 420),
        ("4.2", 420),
        ("7", 700),
        ("0", 0),
        ("007.5", 750),
        ("1000000", 100_000_000),
        ("1000000.00", 100_000_000),
        ("100.0", 10_000),
    ] {
        assert_eq!(Price::parse(raw).unwrap().get(), Decimal::new(cents, 2), "{raw}");
    }
    for (raw, says) in [
        ("1.234", "two decimal places"),
        ("-1", "negative"),
        ("-0.01", "negative"),
        ("1000000.01", "at most 1000000"),
        ("10000000", "at most"),
        ("abc", "decimal number"),
        ("", "decimal number"),
        ("4,20", "decimal number"),
        // Only plain notation, as the schema's pattern says.
        (" 7 ", "decimal number"),
        ("1e2", "decimal number"),
        ("+1", "decimal number"),
        ("4.", "decimal number"),
        (".5", "decimal number"),
        ("4.200", "two decimal places"),
        ("99999999999999999999999999999999", "at most"),
    ] {
        let message = Price::parse(raw).unwrap_err();
        assert!(message.contains(says), "{raw}: {message}");
    }
}

#[test]
fn a_new_product_needs_title_price_and_category_and_reports_every_bad_field() {
    let valid = ProductInput {
        title: text(" Matcha "),
        price: text("9"),
        category_id: Field::Value(2),
        ..Default::default()
    };
    let product = CreateProduct::parse(&valid).unwrap();
    assert_eq!(product.title.as_str(), "Matcha");
    assert_eq!(product.description, None);
    assert_eq!(product.category_id, CategoryId::new(2).unwrap());
    let with_null_description = ProductInput {
        description: Field::Null,
        ..valid.clone()
    };
    assert_eq!(
        CreateProduct::parse(&with_null_description).unwrap().description,
        None
    );

    let everything_wrong = ProductInput {
        title: Field::Null,
        description: text(&"x".repeat(2001)),
        price: text("1.234"),
        category_id: Field::Absent,
    };
    assert_eq!(
        refused(CreateProduct::parse(&everything_wrong)),
        ["title", "description", "price", "category_id"]
    );
    let zero_category = ProductInput {
        category_id: Field::Value(0),
        ..valid
    };
    assert_eq!(refused(CreateProduct::parse(&zero_category)), ["category_id"]);
}

#[test]
fn product_changes_are_a_non_empty_subset_where_only_description_may_be_null() {
    let price_only = ProductInput {
        price: text("3.50"),
        ..Default::default()
    };
    let changes = ProductChanges::parse(&price_only).unwrap();
    assert_eq!(changes.price.map(Price::get), Some(Decimal::new(350, 2)));
    assert_eq!(
        (changes.title, changes.description, changes.category_id),
        (None, None, None)
    );

    let remove_description = ProductInput {
        description: Field::Null,
        ..Default::default()
    };
    assert_eq!(
        ProductChanges::parse(&remove_description).unwrap().description,
        Some(None)
    );

    assert_eq!(refused(ProductChanges::parse(&ProductInput::default())), ["body"]);
    let nulls = ProductInput {
        title: Field::Null,
        price: Field::Null,
        category_id: Field::Null,
        ..Default::default()
    };
    assert_eq!(
        refused(ProductChanges::parse(&nulls)),
        ["title", "price", "category_id"]
    );
}

#[test]
fn categories_need_a_name() {
    let command = CategoryCommand::parse(&CategoryInput { name: text("  Tea ") }).unwrap();
    assert_eq!(command.name.as_str(), "Tea");
    for (input, fields) in [
        (CategoryInput::default(), vec!["name"]),
        (CategoryInput { name: Field::Null }, vec!["name"]),
        (CategoryInput { name: text("") }, vec!["name"]),
    ] {
        assert_eq!(refused(CategoryCommand::parse(&input)), fields, "{input:?}");
    }
}

#[test]
fn stores_need_name_and_location_and_their_changes_at_least_one() {
    let store = CreateStore::parse(&StoreInput {
        name: text("Baixa"),
        location: text(" Lisbon "),
    })
    .unwrap();
    assert_eq!(
        (store.name.as_str(), store.location.as_str()),
        ("Baixa", "Lisbon")
    );
    assert_eq!(
        refused(CreateStore::parse(&StoreInput {
            name: Field::Null,
            ..Default::default()
        })),
        ["name", "location"]
    );

    let rename = StoreChanges::parse(&StoreInput {
        name: text("Chiado"),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        rename.name.map(|n| n.as_str().to_owned()),
        Some("Chiado".to_owned())
    );
    assert!(rename.location.is_none());
    assert_eq!(refused(StoreChanges::parse(&StoreInput::default())), ["body"]);
    assert_eq!(
        refused(StoreChanges::parse(&StoreInput {
            location: Field::Null,
            ..Default::default()
        })),
        ["location"]
    );
}
