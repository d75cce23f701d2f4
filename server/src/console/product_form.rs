//! The product form (create and edit): the core's input from what was posted, the form as it
//! was typed, and the categories it offers.

use aforro_core::backoffice;
use aforro_core::catalogue::{Field, Product, ProductInput};
use aforro_core::FieldError;
use serde::Deserialize;

use super::editing::{text, Typed};
use super::page::ConsoleError;
use super::session::Signed;
use crate::routes::money;
use crate::state::AppState;

/// A product form (create or edit), as posted.
#[derive(Debug, Deserialize)]
pub struct ProductForm {
    title: Option<String>,
    description: Option<String>,
    price: Option<String>,
    category_id: Option<String>,
}

/// A category of the form's list.
pub struct Choice {
    /// The category's id.
    pub value: String,
    /// Its name.
    pub label: String,
}

/// The core's input from the form: a blank description is none; a category that is not a
/// number is a forged form (the list offers ids only).
pub fn input(form: &ProductForm) -> Result<ProductInput, FieldError> {
    let category_id = match form.category_id.as_deref().map(str::trim) {
        None | Some("") => Field::Absent,
        Some(raw) => Field::Value(
            raw.parse::<i64>()
                .map_err(|_| FieldError::new("category_id", "must be one of the listed categories"))?,
        ),
    };
    let description = match form.description.as_deref() {
        None => Field::Absent,
        Some(text) if text.trim().is_empty() => Field::Null,
        Some(text) => Field::Value(text.to_owned()),
    };
    Ok(ProductInput {
        title: text(form.title.as_deref()),
        description,
        price: text(form.price.as_deref().map(str::trim)),
        category_id,
        unknown: Vec::new(),
    })
}

/// The form as typed.
pub fn typed(form: &ProductForm) -> Typed {
    Typed::new(&[
        ("title", form.title.as_deref().unwrap_or_default()),
        ("description", form.description.as_deref().unwrap_or_default()),
        ("price", form.price.as_deref().unwrap_or_default()),
        ("category_id", form.category_id.as_deref().unwrap_or_default()),
    ])
}

/// The edit form of `product`, showing it as it stands.
pub fn edit_form(product: &Product) -> Typed {
    Typed::new(&[
        ("title", &product.title),
        ("description", product.description.as_deref().unwrap_or_default()),
        ("price", &money(product.price)),
        ("category_id", &product.category.id.to_string()),
    ])
}

/// The categories a catalogue token's form offers (none for a store token: no form).
pub async fn choices(
    state: &AppState,
    signed: &Signed,
    can_write: bool,
) -> Result<Vec<Choice>, ConsoleError> {
    if !can_write {
        return Ok(Vec::new());
    }
    let categories = backoffice::category_choices(state.backoffice.as_ref())
        .await
        .map_err(|error| signed.failed(error))?;
    Ok(categories
        .into_iter()
        .map(|category| Choice {
            value: category.id.to_string(),
            label: category.name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::form::FieldErrors;

    fn form(category: Option<&str>, description: Option<&str>) -> ProductForm {
        ProductForm {
            title: Some("Tea".into()),
            description: description.map(String::from),
            price: Some(" 4.20 ".into()),
            category_id: category.map(String::from),
        }
    }

    #[test]
    fn a_form_is_the_cores_input_and_a_blank_description_is_none() {
        let read = input(&form(Some("3"), Some("  "))).unwrap();
        assert_eq!(read.category_id, Field::Value(3));
        assert_eq!(read.description, Field::Null);
        assert_eq!(read.price, Field::Value("4.20".into()));
        let read = input(&form(Some(""), None)).unwrap();
        assert_eq!(read.category_id, Field::Absent);
        assert_eq!(read.description, Field::Absent);
        let bad = input(&form(Some("tea"), None)).unwrap_err();
        assert_eq!(bad.field, "category_id");
    }

    #[test]
    fn a_refused_form_keeps_what_was_typed() {
        let typed = typed(&form(Some("3"), Some("Loose"))).refused(FieldErrors::general("no"));
        assert_eq!(typed.value("price"), " 4.20 ");
        assert_eq!(typed.value("category_id"), "3");
        assert_eq!(typed.general_error(), Some("no"));
    }
}
