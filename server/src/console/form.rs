//! What the console's forms need beyond reading the body (`crate::extract::read_form`): the
//! errors shown beside their fields, and the filters of a listing as they were typed.

use aforro_core::{Error, FieldError};

/// Messages by field name; the empty name is the form's own (not one field's).
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// The core's field errors.
    pub fn from_fields(fields: &[FieldError]) -> Self {
        Self(
            fields
                .iter()
                .map(|error| (error.field.clone(), error.message.clone()))
                .collect(),
        )
    }

    /// One message for the whole form.
    pub fn general(message: &str) -> Self {
        Self(vec![(String::new(), message.to_owned())])
    }

    /// The message for `field` (every message for it, joined).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    /// Adds the field errors of `error` (other errors are not a field's).
    pub fn record(&mut self, error: &Error) {
        if let Error::Invalid(fields) = error {
            self.0.extend(Self::from_fields(fields).0);
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A listing's search form as typed, and what was wrong with it.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// The title search.
    pub q: String,
    /// The stock level.
    pub stock: String,
    /// The order.
    pub sort: String,
    errors: FieldErrors,
}

impl Filters {
    /// The filters as typed.
    pub fn new(q: &str, stock: &str, sort: &str) -> Self {
        Self {
            q: q.to_owned(),
            stock: stock.to_owned(),
            sort: sort.to_owned(),
            errors: FieldErrors::default(),
        }
    }

    /// The value of a parse, or `None` with its field errors kept for the page.
    pub fn check<T>(&mut self, parsed: Result<T, Error>) -> Option<T> {
        parsed.map_err(|error| self.errors.record(&error)).ok()
    }

    /// The message for `field`.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    /// Whether any filter was refused.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// The page a listing's `page` field asks for (blank is the first), `size` rows each.
///
/// Errors: [`Error::Invalid`] naming `page` for anything but a page number in range.
pub fn page_request(raw: &str, size: u32) -> Result<aforro_core::PageRequest, Error> {
    let number = match raw.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| Error::invalid("page", "must be a page number"))?,
        ),
    };
    aforro_core::PageRequest::new(number, Some(i64::from(size)), size)
}

/// Links to the pages either side of a listing's page.
#[derive(Debug, Clone, Default)]
pub struct Pager {
    /// The page shown.
    pub page: u32,
    /// How many pages there are (by the page's count: past a bounded count, the pages counted).
    pub total_pages: u64,
    /// The previous page's URL, if any.
    pub previous_url: Option<String>,
    /// The next page's URL, if any.
    pub next_url: Option<String>,
}

impl Pager {
    /// The pager of `page`, with `url` making a page's link.
    pub fn new<T>(page: &aforro_core::Page<T>, url: impl Fn(u32) -> String) -> Self {
        let current = page.request.page();
        Self {
            page: current,
            total_pages: page.total_pages(),
            previous_url: page.has_previous().then(|| url(current - 1)),
            next_url: page.has_next().then(|| url(current + 1)),
        }
    }
}

/// A moment as the console shows it: to the second, in UTC (the stores' days are UTC days).
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
