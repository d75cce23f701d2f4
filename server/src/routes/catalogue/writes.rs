//! `POST /categories/`, `PATCH /categories/{id}/`, `POST /products/`, `PATCH /products/{id}/`,
//! `POST /stores/`, `PATCH /stores/{id}/`: staff with a catalogue token.
//!
//! Each handler authenticates (the [`Staff`] extractor: 401) and authorises (403) before it
//! reads the body or looks at what the path names; then it reads the body field by field —
//! a field of the wrong JSON type is a 400 naming it, an unknown field a 422 naming it — and
//! leaves every other rule (nulls, lengths, prices, …: a 422 listing every bad field) to the
//! core's use-case, which also invalidates the cache before the response is sent.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use aforro_core::auth::{authorize, Action, Principal};
use aforro_core::cache::WritePorts;
use aforro_core::catalogue::{self, CatalogueWriter, CategoryInput, Field, ProductInput, StoreInput};
use aforro_core::{Error, FieldError};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{product_dto, StoreDto};
use crate::app::AppState;
use crate::auth::Staff;
use crate::extract::{path_id, read_json, WireInt};
use crate::problem::{ApiError, Problem};
use crate::routes::search::{CategoryDto, ProductDto};

/// Body of `POST /categories/` and `PATCH /categories/{id}/`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body; it is read field by field
pub struct CategoryBody {
    /// Trimmed, 1 to 200 characters; unique ignoring case.
    #[schema(example = "Beverages", min_length = 1, max_length = 200)]
    name: String,
}

/// Body of `POST /products/`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body; it is read field by field
pub struct NewProductBody {
    /// Trimmed, 1 to 200 characters.
    #[schema(example = "Green Tea", min_length = 1, max_length = 200)]
    title: String,
    /// At most 2,000 characters.
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// A decimal string (`"4.20"`) or a JSON number, 0 to 1,000,000, at most two decimal places.
    #[schema(schema_with = price_schema)]
    price: String,
    /// An existing category.
    #[schema(minimum = 1)]
    category_id: i64,
}

/// Body of `PATCH /products/{id}/`: any non-empty subset of the product's fields; only
/// `description` may be null (removed).
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body; it is read field by field
pub struct ProductChangesBody {
    /// Trimmed, 1 to 200 characters.
    #[schema(value_type = String, required = false, min_length = 1, max_length = 200)]
    title: Option<String>,
    /// At most 2,000 characters; null removes it.
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// A decimal string or a JSON number, 0 to 1,000,000, at most two decimal places.
    #[schema(schema_with = price_schema, required = false)]
    price: Option<String>,
    /// An existing category.
    #[schema(value_type = i64, required = false, minimum = 1)]
    category_id: Option<i64>,
}

/// Body of `POST /stores/`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body; it is read field by field
pub struct NewStoreBody {
    /// Trimmed, 1 to 200 characters.
    #[schema(example = "Baixa", min_length = 1, max_length = 200)]
    name: String,
    /// Trimmed, 1 to 200 characters.
    #[schema(example = "Lisbon", min_length = 1, max_length = 200)]
    location: String,
}

/// Body of `PATCH /stores/{id}/`: `name`, `location` or both, neither null.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body; it is read field by field
pub struct StoreChangesBody {
    /// Trimmed, 1 to 200 characters.
    #[schema(value_type = String, required = false, min_length = 1, max_length = 200)]
    name: Option<String>,
    /// Trimmed, 1 to 200 characters.
    #[schema(value_type = String, required = false, min_length = 1, max_length = 200)]
    location: Option<String>,
}

/// A price as the server reads it (`Price::parse` in the core): plain decimal text with at
/// most two decimals, or a JSON number, from 0 to 1,000,000.
fn price_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    let one_of = OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[0-9]+(\.[0-9]{1,2})?$"))
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

/// A JSON object body, taken apart field by field. What is left once the known fields are
/// taken are the unknown ones, refused by name before the core is called.
struct ObjectBody(Map<String, Value>);

impl ObjectBody {
    /// 415 unless JSON, 413 over 64 KiB, 400 unless a JSON object.
    async fn read(req: &HttpRequest, payload: web::Payload) -> Result<Self, ApiError> {
        read_json::<Map<String, Value>>(req, payload.into_inner())
            .await
            .map(Self)
    }

    fn field<T>(
        &mut self,
        name: &str,
        read: impl FnOnce(Value) -> Option<T>,
        expected: &str,
    ) -> Result<Field<T>, ApiError> {
        match self.0.remove(name) {
            None => Ok(Field::Absent),
            Some(Value::Null) => Ok(Field::Null),
            Some(value) => read(value)
                .map(Field::Value)
                .ok_or_else(|| ApiError::bad_field(name, expected)),
        }
    }

    fn text(&mut self, name: &str) -> Result<Field<String>, ApiError> {
        let read = |value| match value {
            Value::String(text) => Some(text),
            _ => None,
        };
        self.field(name, read, "must be a string")
    }

    /// A decimal string, or a number as its JSON text.
    fn decimal(&mut self, name: &str) -> Result<Field<String>, ApiError> {
        let read = |value| match value {
            Value::String(text) => Some(text),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        };
        self.field(name, read, "must be a decimal string or a number")
    }

    /// An integer; one too large for 64 bits saturates (and is refused as an id by the core).
    fn integer(&mut self, name: &str) -> Result<Field<i64>, ApiError> {
        let read = |value| serde_json::from_value::<WireInt>(value).ok().map(|n| n.0);
        self.field(name, read, "must be an integer")
    }

    /// 422 naming the fields left once the known ones are taken: the core knows no others.
    fn refuse_unknown(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let unknown = self
            .0
            .into_iter()
            .map(|(name, _)| FieldError::new(name, "is not a field of this request"));
        Err(Error::Invalid(unknown.collect()).into())
    }
}

async fn category_input(req: &HttpRequest, payload: web::Payload) -> Result<CategoryInput, ApiError> {
    let mut body = ObjectBody::read(req, payload).await?;
    let input = CategoryInput {
        name: body.text("name")?,
    };
    body.refuse_unknown()?;
    Ok(input)
}

async fn product_input(req: &HttpRequest, payload: web::Payload) -> Result<ProductInput, ApiError> {
    let mut body = ObjectBody::read(req, payload).await?;
    let input = ProductInput {
        title: body.text("title")?,
        description: body.text("description")?,
        price: body.decimal("price")?,
        category_id: body.integer("category_id")?,
    };
    body.refuse_unknown()?;
    Ok(input)
}

async fn store_input(req: &HttpRequest, payload: web::Payload) -> Result<StoreInput, ApiError> {
    let mut body = ObjectBody::read(req, payload).await?;
    let input = StoreInput {
        name: body.text("name")?,
        location: body.text("location")?,
    };
    body.refuse_unknown()?;
    Ok(input)
}

/// 403 for a token whose scope does not cover catalogue writes, before anything else.
fn catalogue_staff(staff: &Staff) -> Result<&Principal, ApiError> {
    authorize(&staff.0, Action::WriteCatalogue)?;
    Ok(&staff.0)
}

fn writer(state: &AppState) -> CatalogueWriter<'_> {
    WritePorts {
        repository: state.catalogue.as_ref(),
        cache: state.cache.as_ref(),
        outbox: state.outbox.as_ref(),
    }
}

fn created(location: String, body: impl Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}

/// Creates a category.
#[utoipa::path(
    post, path = "/categories/", tag = "catalogue",
    request_body = CategoryBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CategoryDto, headers(("Location" = String, description = "/categories/{id}/"))),
        (status = 400, description = "Malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "A store token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another category has the name, ignoring case", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, all listed", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let input = category_input(&req, payload).await?;
    let category = catalogue::create_category(writer(&state), principal, &input).await?;
    Ok(created(
        format!("/categories/{}/", category.id),
        CategoryDto::from(category),
    ))
}

/// Renames a category; search finds its products by the new name at once.
#[utoipa::path(
    patch, path = "/categories/{category_id}/", tag = "catalogue",
    params(("category_id" = i64, Path, minimum = 1, description = "Category id")),
    request_body = CategoryBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CategoryDto),
        (status = 400, description = "Malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "A store token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown category", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another category has the name, ignoring case", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, all listed", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rename_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let id = path_id("category", &path)?;
    let input = category_input(&req, payload).await?;
    let category = catalogue::rename_category(writer(&state), principal, id, &input).await?;
    Ok(HttpResponse::Ok().json(CategoryDto::from(category)))
}

/// Creates a product (with no stock anywhere); search and suggest find it at once.
#[utoipa::path(
    post, path = "/products/", tag = "catalogue",
    request_body = NewProductBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ProductDto, headers(("Location" = String, description = "/products/{id}/"))),
        (status = 400, description = "Malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "A store token", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (an unknown category_id too), all listed", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let input = product_input(&req, payload).await?;
    let product = catalogue::create_product(writer(&state), principal, &input).await?;
    Ok(created(
        format!("/products/{}/", product.id),
        product_dto(product),
    ))
}

/// Changes a product; every read (search, suggest, inventory, cached or not) shows the change
/// once this answers.
#[utoipa::path(
    patch, path = "/products/{product_id}/", tag = "catalogue",
    params(("product_id" = i64, Path, minimum = 1, description = "Product id")),
    request_body = ProductChangesBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProductDto),
        (status = 400, description = "Malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "A store token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (an unknown category_id too), or an empty change", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_product(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let id = path_id("product", &path)?;
    let input = product_input(&req, payload).await?;
    let product = catalogue::update_product(writer(&state), principal, id, &input).await?;
    Ok(HttpResponse::Ok().json(product_dto(product)))
}

/// Creates a store.
#[utoipa::path(
    post, path = "/stores/", tag = "catalogue",
    request_body = NewStoreBody,
    security(("bearer" = [])),
    responses(
        (status = 201, body = StoreDto, headers(("Location" = String, description = "/stores/{id}/"))),
        (status = 400, description = "Malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "A store token", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, all listed", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_store(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let input = store_input(&req, payload).await?;
    let store = catalogue::create_store(writer(&state), principal, &input).await?;
    Ok(created(format!("/stores/{}/", store.id), StoreDto::from(store)))
}

/// Changes a store's name or location.
#[utoipa::path(
    patch, path = "/stores/{store_id}/", tag = "catalogue",
    params(("store_id" = i64, Path, minimum = 1, description = "Store id")),
    request_body = StoreChangesBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = StoreDto),
        (status = 400, description = "Malformed JSON or wrong types", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, malformed, unknown or revoked token", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "Bearer"))),
        (status = 403, description = "A store token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown store", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an empty change", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_store(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: Staff,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = catalogue_staff(&staff)?;
    let id = path_id("store", &path)?;
    let input = store_input(&req, payload).await?;
    let store = catalogue::update_store(writer(&state), principal, id, &input).await?;
    Ok(HttpResponse::Ok().json(StoreDto::from(store)))
}
