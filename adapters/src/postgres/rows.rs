//! Checked conversions from database values to domain values. The schema's constraints make
//! failures impossible in practice; if one happens it is reported, never papered over.

use aforro_core::{Error, Result};

/// A database id as a domain id (`StoreId::new`, `ProductId::new`, …).
pub(crate) fn id<T>(raw: i64, make: fn(i64) -> Option<T>) -> Result<T> {
    make(raw).ok_or_else(|| Error::internal(format!("database returned a non-positive id {raw}")))
}

/// A non-negative database integer (a quantity) as `u32`.
pub(crate) fn count(raw: i32) -> Result<u32> {
    u32::try_from(raw).map_err(|_| Error::internal(format!("database returned a negative quantity {raw}")))
}

/// A `count(*)` or `sum(...)` as `u64`.
pub(crate) fn total(raw: i64) -> Result<u64> {
    u64::try_from(raw).map_err(|_| Error::internal(format!("database returned a negative total {raw}")))
}
