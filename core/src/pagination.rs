//! Page requests and pages, shared by every list use-case.

use crate::{Error, FieldError, Result};

/// The largest `page_size` a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The largest `page` accepted: far past any real data, small enough that `offset` never overflows.
pub const MAX_PAGE: u32 = 10_000_000;

/// A validated page request: `page` ≥ 1 and `page_size` in `1..=100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    page_size: u32,
}

impl PageRequest {
    /// Validates raw query values; `None` takes the default (`page` 1, `page_size` = `default_size`).
    /// Fails with [`Error::Invalid`] naming `page` and/or `page_size`.
    pub fn new(page: Option<i64>, page_size: Option<i64>, default_size: u32) -> Result<Self> {
        let mut errors = Vec::new();
        let page = match page {
            None => 1,
            Some(p) if (1..=i64::from(MAX_PAGE)).contains(&p) => p as u32,
            Some(_) => {
                errors.push(FieldError::new(
                    "page",
                    format!("must be between 1 and {MAX_PAGE}"),
                ));
                1
            }
        };
        let page_size = match page_size {
            None => default_size.clamp(1, MAX_PAGE_SIZE),
            Some(s) if (1..=i64::from(MAX_PAGE_SIZE)).contains(&s) => s as u32,
            Some(_) => {
                errors.push(FieldError::new(
                    "page_size",
                    format!("must be between 1 and {MAX_PAGE_SIZE}"),
                ));
                1
            }
        };
        if errors.is_empty() {
            Ok(Self { page, page_size })
        } else {
            Err(Error::Invalid(errors))
        }
    }

    /// 1-based page number.
    pub fn page(self) -> u32 {
        self.page
    }

    /// Items per page.
    pub fn page_size(self) -> u32 {
        self.page_size
    }

    /// Rows to skip.
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.page_size)
    }

    /// Rows to return.
    pub fn limit(self) -> i64 {
        i64::from(self.page_size)
    }
}

/// One page of results and the total they are drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page (empty past the end).
    pub items: Vec<T>,
    /// How many items there are in all pages.
    pub total: u64,
    /// The request that produced this page.
    pub request: PageRequest,
}

impl<T> Page<T> {
    /// Number of pages (0 when there are no items).
    pub fn total_pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.request.page_size))
    }

    /// Whether a page follows this one.
    pub fn has_next(&self) -> bool {
        u64::from(self.request.page) < self.total_pages()
    }

    /// Whether a page precedes this one.
    pub fn has_previous(&self) -> bool {
        self.request.page > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let req = PageRequest::new(None, None, 50).unwrap();
        assert_eq!((req.page(), req.page_size(), req.offset()), (1, 50, 0));
        let req = PageRequest::new(Some(3), Some(100), 20).unwrap();
        assert_eq!(req.offset(), 200);
        let Err(Error::Invalid(errors)) = PageRequest::new(Some(0), Some(101), 20) else {
            panic!("expected both fields to be refused")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["page", "page_size"]);
        assert!(PageRequest::new(Some(-1), None, 20).is_err());
        assert!(PageRequest::new(None, Some(0), 20).is_err());
    }

    #[test]
    fn page_arithmetic() {
        let page = |p, total| Page::<()> {
            items: vec![],
            total,
            request: PageRequest::new(Some(p), Some(20), 20).unwrap(),
        };
        assert_eq!(page(1, 0).total_pages(), 0);
        assert!(!page(1, 0).has_next());
        assert_eq!(page(1, 41).total_pages(), 3);
        assert!(page(2, 41).has_next() && page(2, 41).has_previous());
        assert!(!page(3, 41).has_next());
        assert!(page(9, 41).has_previous());
    }
}
