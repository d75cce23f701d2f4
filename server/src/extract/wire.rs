//! Values as they arrive on the wire, read by one rule each: integers (in bodies and query
//! strings alike, so "too big" is a 422 on the field, not a 400 or a 500), prices (a decimal
//! string or a JSON number), fields that may be left out or `null` (PATCH), path ids.

use std::fmt;

use aforro_core::catalogue::Field;
use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::problem::ApiError;

/// One rule for every integer the API reads, in JSON bodies and query strings alike: a number
/// with no fractional part is that integer, however it is written (`3`, `3.0`, `3e0` — JSON
/// Schema's own definition of an integer, so a generated client's `3.0` means 3); a number
/// with a fractional part (`2.5`) is refused as "must be an integer"; a whole number beyond
/// `i64` saturates, so range checks in the core report it as out of range (422), never as a
/// wrong type.
fn whole_number(v: f64) -> Option<i64> {
    if !v.is_finite() || v.fract() != 0.0 {
        return None;
    }
    // 2^63 is exactly representable: every f64 below it (and ≥ -2^63) converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    Some(if v >= LIMIT {
        i64::MAX
    } else if v < -LIMIT {
        i64::MIN
    } else {
        v as i64
    })
}

/// An integer from JSON read by the API's one integer rule (see `whole_number`): never a type error for being large or
/// for being written with a zero fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireInt(pub i64);

impl<'de> serde::Deserialize<'de> for WireInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntVisitor;
        impl Visitor<'_> for IntVisitor {
            type Value = WireInt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireInt, E> {
                Ok(WireInt(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireInt, E> {
                Ok(WireInt(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<WireInt, E> {
                // serde_json reads `1.0`, `1e0` and integers beyond u64 as floats.
                whole_number(v)
                    .map(WireInt)
                    .ok_or_else(|| E::custom("must be an integer"))
            }
        }
        deserializer.deserialize_any(IntVisitor)
    }
}

/// A body field that may be left out, `null`, or a value — three different things in a
/// PATCH (keep, remove, set). Declare it `#[serde(default)]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WireField<T> {
    /// Not in the body.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A value.
    Value(T),
}

impl<T> WireField<T> {
    /// The core's [`Field`], each value converted by `convert`.
    pub fn into_field<U>(self, convert: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            WireField::Absent => Field::Absent,
            WireField::Null => Field::Null,
            WireField::Value(value) => Field::Value(convert(value)),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for WireField<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| value.map_or(WireField::Null, WireField::Value))
    }
}

/// A price as sent: a JSON string as it is, or a JSON number as decimal text. The core's
/// money rule judges the text (`Price::parse`), so both forms follow one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WirePrice(pub String);

impl<'de> Deserialize<'de> for WirePrice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PriceVisitor;
        impl Visitor<'_> for PriceVisitor {
            type Value = WirePrice;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WirePrice, E> {
                Ok(WirePrice(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WirePrice, E> {
                Ok(WirePrice(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WirePrice, E> {
                Ok(WirePrice(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<WirePrice, E> {
                // -0.0 is zero to JSON Schema's `minimum: 0` too: a number carries no sign
                // rule of its own (the string form does).
                let text = if v == 0.0 { "0".to_owned() } else { v.to_string() };
                Ok(WirePrice(text))
            }
        }
        deserializer.deserialize_any(PriceVisitor)
    }
}

/// Parses an optional integer query parameter by the same rule as [`WireInt`]: absent →
/// `None`; digits, or a number with no fractional part (`2.0`, `1e2`) → that integer
/// (saturating beyond `i64`, then refused by range checks as 422); anything else → 400 naming it.
pub fn query_int(name: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(raw.parse::<i64>().unwrap_or(if raw.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        })));
    }
    // Only plain decimal notation: Rust's float parser would also take "inf" and "NaN".
    let numeric = !raw.is_empty()
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    match raw.parse::<f64>().ok().filter(|_| numeric).and_then(whole_number) {
        Some(value) => Ok(Some(value)),
        None => Err(ApiError::bad_field(name, "must be an integer")),
    }
}

/// Parses a path id. Anything that is not a positive integer names nothing: 404.
pub fn path_id(what: &str, raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::NotFound(format!("{what} {raw} not found"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(json: &str) -> Result<i64, String> {
        serde_json::from_str::<WireInt>(json)
            .map(|w| w.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_are_integers_however_written() {
        for (json, value) in [
            ("3", 3),
            ("3.0", 3),
            ("3e0", 3),
            ("-2.0", -2),
            ("1E2", 100),
            ("0.0", 0),
        ] {
            assert_eq!(wire(json), Ok(value), "{json}");
            assert_eq!(query_int("n", Some(json)).ok().flatten(), Some(value), "{json}");
        }
    }

    #[test]
    fn fractions_are_refused_and_huge_numbers_saturate() {
        for json in ["2.5", "1e-1", "0.000001"] {
            assert!(wire(json).is_err(), "{json}");
            assert!(query_int("n", Some(json)).is_err(), "{json}");
        }
        for json in ["1e30", "9223372036854775808", "99999999999999999999", "9.3e18"] {
            assert_eq!(wire(json), Ok(i64::MAX), "{json}");
            assert_eq!(
                query_int("n", Some(json)).ok().flatten(),
                Some(i64::MAX),
                "{json}"
            );
        }
        assert_eq!(wire("-1e30"), Ok(i64::MIN));
        for raw in ["", "abc", "inf", "NaN", "1,5", " 1", "0x10"] {
            assert!(query_int("n", Some(raw)).is_err(), "{raw:?}");
        }
    }
}
