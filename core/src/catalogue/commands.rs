//! Catalogue writes as the client sent them ([`CategoryInput`], [`ProductInput`],
//! [`StoreInput`]) and as the rules accept them (parse, don't validate): once a command is
//! built, every value in it is known to be valid, and nothing downstream checks again.
//!
//! A parse reports every offending field at once: `null` where a value is required, an empty
//! change, and each value that breaks its rule. Fields a body should not have are the shell's
//! to refuse, before it builds an input.

use super::values::{Description, Location, Name, Price};
use crate::{CategoryId, Error, FieldError, Result};

/// One field of a request body: left out, `null`, or a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    /// The body does not have the field.
    #[default]
    Absent,
    /// The field is `null`.
    Null,
    /// The field's value.
    Value(T),
}

/// The body of a category write (`{"name"}`), as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CategoryInput {
    /// `name`.
    pub name: Field<String>,
}

/// The body of a product write, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductInput {
    /// `title`.
    pub title: Field<String>,
    /// `description`.
    pub description: Field<String>,
    /// `price` as decimal text: a JSON string as it is, a JSON number as it was written.
    pub price: Field<String>,
    /// `category_id`.
    pub category_id: Field<i64>,
}

/// The body of a store write, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoreInput {
    /// `name`.
    pub name: Field<String>,
    /// `location`.
    pub location: Field<String>,
}

/// A new category, or a category's new name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCommand {
    /// The name.
    pub name: Name,
}

/// A new product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateProduct {
    /// Title.
    pub title: Name,
    /// Description, if any.
    pub description: Option<Description>,
    /// Price.
    pub price: Price,
    /// Its category (to be checked to exist by the repository).
    pub category_id: CategoryId,
}

/// Changes to a product; `None` leaves a field as it is. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductChanges {
    /// New title.
    pub title: Option<Name>,
    /// New description; `Some(None)` removes it.
    pub description: Option<Option<Description>>,
    /// New price.
    pub price: Option<Price>,
    /// New category (to be checked to exist by the repository).
    pub category_id: Option<CategoryId>,
}

/// A new store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateStore {
    /// Name.
    pub name: Name,
    /// Location.
    pub location: Location,
}

/// Changes to a store; `None` leaves a field as it is. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreChanges {
    /// New name.
    pub name: Option<Name>,
    /// New location.
    pub location: Option<Location>,
}

/// Collects field errors while a command is parsed.
#[derive(Default)]
struct Checks(Vec<FieldError>);

impl Checks {
    fn value<R, T>(
        &mut self,
        field: &str,
        raw: &R,
        parse: impl FnOnce(&R) -> Result<T, String>,
    ) -> Option<T> {
        match parse(raw) {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// A field every create needs.
    fn required<R, T>(
        &mut self,
        field: &str,
        raw: &Field<R>,
        parse: impl FnOnce(&R) -> Result<T, String>,
    ) -> Option<T> {
        match raw {
            Field::Absent => self.fail(field, "is required"),
            Field::Null => self.fail(field, "must not be null"),
            Field::Value(raw) => self.value(field, raw, parse),
        }
    }

    /// A field a change may leave out but not set to null: `Some(None)` when left out.
    fn change<R, T>(
        &mut self,
        field: &str,
        raw: &Field<R>,
        parse: impl FnOnce(&R) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match raw {
            Field::Absent => Some(None),
            Field::Null => self.fail(field, "must not be null"),
            Field::Value(raw) => self.value(field, raw, parse).map(Some),
        }
    }

    /// A field that may be null (removed): `Some(None)` when left out, `Some(Some(None))` when null.
    fn nullable_change<R, T>(
        &mut self,
        field: &str,
        raw: &Field<R>,
        parse: impl FnOnce(&R) -> Result<T, String>,
    ) -> Option<Option<Option<T>>> {
        match raw {
            Field::Absent => Some(None),
            Field::Null => Some(Some(None)),
            Field::Value(raw) => self.value(field, raw, parse).map(|v| Some(Some(v))),
        }
    }

    fn fail<T>(&mut self, field: &str, message: &str) -> Option<T> {
        self.0.push(FieldError::new(field, message));
        None
    }

    /// `Ok(value)` when nothing failed (then every `Option` the parse built is `Some`).
    fn finish<T>(self, value: Option<T>) -> Result<T> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ if self.0.is_empty() => Err(Error::internal("a command parse failed without naming a field")),
            _ => Err(Error::Invalid(self.0)),
        }
    }
}

#[allow(clippy::ptr_arg)] // `Checks` hands each parser a reference to the body's value
fn name(raw: &String) -> Result<Name, String> {
    Name::parse(raw)
}

#[allow(clippy::ptr_arg)] // `Checks` hands each parser a reference to the body's value
fn location(raw: &String) -> Result<Location, String> {
    Location::parse(raw)
}

#[allow(clippy::ptr_arg)] // `Checks` hands each parser a reference to the body's value
fn description(raw: &String) -> Result<Description, String> {
    Description::parse(raw)
}

#[allow(clippy::ptr_arg)] // `Checks` hands each parser a reference to the body's value
fn price(raw: &String) -> Result<Price, String> {
    Price::parse(raw)
}

fn category_id(raw: &i64) -> Result<CategoryId, String> {
    CategoryId::new(*raw).ok_or_else(|| "must be a positive id".to_owned())
}

/// What a change that changes nothing is told, naming the fields it could have had.
fn nothing_to_change(checks: &mut Checks, fields: &str) {
    checks.0.push(FieldError::new(
        "body",
        format!("must change at least one of {fields}"),
    ));
}

impl CategoryCommand {
    /// A category create or rename: `name` is required.
    pub fn parse(input: &CategoryInput) -> Result<Self> {
        let mut checks = Checks::default();
        let name = checks.required("name", &input.name, name);
        checks.finish(name.map(|name| Self { name }))
    }
}

impl CreateProduct {
    /// A new product: `title`, `price` and `category_id` required, `description` optional.
    pub fn parse(input: &ProductInput) -> Result<Self> {
        let mut checks = Checks::default();
        let title = checks.required("title", &input.title, name);
        let description = checks
            .nullable_change("description", &input.description, description)
            .map(Option::flatten);
        let price = checks.required("price", &input.price, price);
        let category_id = checks.required("category_id", &input.category_id, category_id);
        let command = (|| {
            Some(Self {
                title: title?,
                description: description?,
                price: price?,
                category_id: category_id?,
            })
        })();
        checks.finish(command)
    }
}

impl ProductChanges {
    /// Changes to a product: any non-empty subset of the create's fields; `description` may
    /// be null (removed), the others may not.
    pub fn parse(input: &ProductInput) -> Result<Self> {
        let mut checks = Checks::default();
        let title = checks.change("title", &input.title, name);
        let description = checks.nullable_change("description", &input.description, description);
        let price = checks.change("price", &input.price, price);
        let category_id = checks.change("category_id", &input.category_id, category_id);
        let known_fields = [
            input.title == Field::Absent,
            input.description == Field::Absent,
            input.price == Field::Absent,
            input.category_id == Field::Absent,
        ];
        if known_fields.iter().all(|absent| *absent) {
            nothing_to_change(&mut checks, "title, description, price, category_id");
        }
        let command = (|| {
            Some(Self {
                title: title?,
                description: description?,
                price: price?,
                category_id: category_id?,
            })
        })();
        checks.finish(command)
    }
}

impl CreateStore {
    /// A new store: `name` and `location` required.
    pub fn parse(input: &StoreInput) -> Result<Self> {
        let mut checks = Checks::default();
        let name = checks.required("name", &input.name, name);
        let location = checks.required("location", &input.location, location);
        let command = (|| {
            Some(Self {
                name: name?,
                location: location?,
            })
        })();
        checks.finish(command)
    }
}

impl StoreChanges {
    /// Changes to a store: `name`, `location` or both, neither null.
    pub fn parse(input: &StoreInput) -> Result<Self> {
        let mut checks = Checks::default();
        let name = checks.change("name", &input.name, name);
        let location = checks.change("location", &input.location, location);
        if input.name == Field::Absent && input.location == Field::Absent {
            nothing_to_change(&mut checks, "name, location");
        }
        let command = (|| {
            Some(Self {
                name: name?,
                location: location?,
            })
        })();
        checks.finish(command)
    }
}
