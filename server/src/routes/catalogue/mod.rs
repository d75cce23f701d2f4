//! The catalogue: public reads of categories, products and stores ([`reads`]), and their
//! writes by staff with a catalogue token ([`writes`]).

pub mod bodies;
pub mod reads;
pub mod writes;

use aforro_core::catalogue::{Category, Product, Store};
use aforro_core::search::ProductHit;
use serde::Serialize;
use utoipa::ToSchema;

use super::search::{CategoryDto, ProductDto};

impl From<Category> for CategoryDto {
    fn from(category: Category) -> Self {
        CategoryDto {
            id: category.id.get(),
            name: category.name,
        }
    }
}

/// A product as search shows it, without a store's `quantity`.
pub(crate) fn product_dto(product: Product) -> ProductDto {
    ProductDto::from(ProductHit {
        id: product.id,
        title: product.title,
        description: product.description,
        price: product.price,
        category_id: product.category.id,
        category_name: product.category.name,
        created_at: product.created_at,
        quantity: None,
    })
}

/// A store.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreDto {
    id: i64,
    #[schema(example = "Baixa")]
    name: String,
    #[schema(example = "Lisbon")]
    location: String,
}

impl From<Store> for StoreDto {
    fn from(store: Store) -> Self {
        StoreDto {
            id: store.id.get(),
            name: store.name,
            location: store.location,
        }
    }
}
