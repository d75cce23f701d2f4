//! The bodies of catalogue writes: what the server reads is what the OpenAPI document says,
//! from one type each. Fields are [`WireField`]s (left out, `null`, or a value), so that the
//! core's rules — required on create, never null except `description`, a non-empty change —
//! judge them; the patterns and bounds are the core's own (`Name::PATTERN`, `Price::PATTERN`…).

use aforro_core::catalogue::{CategoryInput, Description, Name, Price, ProductInput, StoreInput};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use utoipa::ToSchema;

use crate::extract::{WireField, WireInt, WirePrice};

/// Body of `POST /categories/` and `PATCH /categories/{id}/`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryBody {
    /// Trimmed; 1 to 200 characters, not blank; unique ignoring case.
    #[serde(default)]
    #[schema(schema_with = name_schema, required = true)]
    name: WireField<String>,
}

/// Body of `POST /products/`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewProductBody {
    /// Trimmed; 1 to 200 characters, not blank.
    #[serde(default)]
    #[schema(schema_with = name_schema, required = true)]
    title: WireField<String>,
    /// At most 2,000 characters; null or absent for none.
    #[serde(default)]
    #[schema(schema_with = description_schema)]
    description: WireField<String>,
    /// A decimal string (`"4.20"`) or a JSON number, 0 to 1,000,000, at most two decimal places.
    #[serde(default)]
    #[schema(schema_with = price_schema, required = true)]
    price: WireField<WirePrice>,
    /// An existing category.
    #[serde(default)]
    #[schema(schema_with = id_schema, required = true)]
    category_id: WireField<WireInt>,
}

/// Body of `PATCH /products/{id}/`: any non-empty subset of the product's fields; only
/// `description` may be null (removed).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductChangesBody {
    /// Trimmed; 1 to 200 characters, not blank.
    #[serde(default)]
    #[schema(schema_with = name_schema)]
    title: WireField<String>,
    /// At most 2,000 characters; null removes it.
    #[serde(default)]
    #[schema(schema_with = description_schema)]
    description: WireField<String>,
    /// A decimal string or a JSON number, 0 to 1,000,000, at most two decimal places.
    #[serde(default)]
    #[schema(schema_with = price_schema)]
    price: WireField<WirePrice>,
    /// An existing category.
    #[serde(default)]
    #[schema(schema_with = id_schema)]
    category_id: WireField<WireInt>,
}

/// Body of `POST /stores/`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewStoreBody {
    /// Trimmed; 1 to 200 characters, not blank.
    #[serde(default)]
    #[schema(schema_with = name_schema, required = true)]
    name: WireField<String>,
    /// Trimmed; 1 to 200 characters, not blank.
    #[serde(default)]
    #[schema(schema_with = name_schema, required = true)]
    location: WireField<String>,
}

/// Body of `PATCH /stores/{id}/`: `name`, `location` or both, neither null.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StoreChangesBody {
    /// Trimmed; 1 to 200 characters, not blank.
    #[serde(default)]
    #[schema(schema_with = name_schema)]
    name: WireField<String>,
    /// Trimmed; 1 to 200 characters, not blank.
    #[serde(default)]
    #[schema(schema_with = name_schema)]
    location: WireField<String>,
}

/// A catalogue body: becomes the core's input, with the paths of its unknown fields.
pub trait CatalogueBody: DeserializeOwned + 'static {
    /// The use-case's input.
    type Input;
    /// The input, with `unknown` for the core to refuse.
    fn into_input(self, unknown: Vec<String>) -> Self::Input;
}

impl CatalogueBody for CategoryBody {
    type Input = CategoryInput;
    fn into_input(self, unknown: Vec<String>) -> CategoryInput {
        CategoryInput {
            name: self.name.into_field(|name| name),
            unknown,
        }
    }
}

impl CatalogueBody for NewProductBody {
    type Input = ProductInput;
    fn into_input(self, unknown: Vec<String>) -> ProductInput {
        product_input(
            self.title,
            self.description,
            self.price,
            self.category_id,
            unknown,
        )
    }
}

impl CatalogueBody for ProductChangesBody {
    type Input = ProductInput;
    fn into_input(self, unknown: Vec<String>) -> ProductInput {
        product_input(
            self.title,
            self.description,
            self.price,
            self.category_id,
            unknown,
        )
    }
}

fn product_input(
    title: WireField<String>,
    description: WireField<String>,
    price: WireField<WirePrice>,
    category_id: WireField<WireInt>,
    unknown: Vec<String>,
) -> ProductInput {
    ProductInput {
        title: title.into_field(|title| title),
        description: description.into_field(|description| description),
        price: price.into_field(|price| price.0),
        category_id: category_id.into_field(|id| id.0),
        unknown,
    }
}

impl CatalogueBody for NewStoreBody {
    type Input = StoreInput;
    fn into_input(self, unknown: Vec<String>) -> StoreInput {
        store_input(self.name, self.location, unknown)
    }
}

impl CatalogueBody for StoreChangesBody {
    type Input = StoreInput;
    fn into_input(self, unknown: Vec<String>) -> StoreInput {
        store_input(self.name, self.location, unknown)
    }
}

fn store_input(name: WireField<String>, location: WireField<String>, unknown: Vec<String>) -> StoreInput {
    StoreInput {
        name: name.into_field(|name| name),
        location: location.into_field(|location| location),
        unknown,
    }
}
/// A name, title or location ([`Name::parse`]; a location has the same rule).
fn name_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(Name::MAX_CHARS))
        .pattern(Some(Name::PATTERN))
        .examples(["Green Tea"])
        .into()
}

/// A description, or null ([`Description::parse`]).
fn description_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(Description::MAX_CHARS))
        .pattern(Some(Description::PATTERN))
        .into()
}

/// A positive id.
fn id_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(1))
        .into()
}

/// A price as [`Price::parse`] reads it: the money rule as a string, or a JSON number with
/// the same bounds.
fn price_schema() -> Schema {
    let one_of = OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(Price::PATTERN))
                .examples(["4.20"]),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(1_000_000))
                .multiple_of(Some(0.01)),
        )
        .description(Some(
            "A decimal string or a number, 0 to 1,000,000, at most two decimal places",
        ))
        .build();
    Schema::OneOf(one_of)
}
