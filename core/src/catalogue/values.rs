//! The values of catalogue writes, each checked once when it is made: names and titles,
//! locations, descriptions and prices.

use std::str::FromStr;

use rust_decimal::Decimal;

/// A name or title: trimmed, 1 to [`Name::MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims and checks `raw`; the error says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded_text(raw.trim(), 1, Self::MAX_CHARS).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A store's location: trimmed, 1 to [`Location::MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location(String);

impl Location {
    /// Longest accepted location, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Trims and checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded_text(raw.trim(), 1, Self::MAX_CHARS).map(Self)
    }

    /// The location.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product description: at most [`Description::MAX_CHARS`] characters, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Longest accepted description, in characters.
    pub const MAX_CHARS: usize = 2_000;

    /// Checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded_text(raw, 0, Self::MAX_CHARS).map(Self)
    }

    /// The description.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn bounded_text(text: &str, min: usize, max: usize) -> Result<String, String> {
    let chars = text.chars().count();
    // Postgres text cannot hold NUL: refused here, not failed on at the database.
    if text.contains('\0') {
        Err("must not contain NUL characters".into())
    } else if chars < min {
        Err("must not be empty".into())
    } else if chars > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(text.to_owned())
    }
}

/// A price: a decimal ≥ 0 and ≤ 1,000,000 with at most two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price(Decimal);

impl Price {
    /// The highest accepted price.
    pub const MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

    /// Parses plain decimal notation — digits, optionally a point and one or two digits
    /// (`"4.20"`, `"7"`; a JSON number arrives as it was written, `4.2`) — exactly what the
    /// OpenAPI document's pattern says, so no client or fuzzer can find a form one accepts and
    /// the other refuses. The error says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let malformed = || "must be a decimal number such as \"4.20\"".to_owned();
        let (negative, unsigned) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || unsigned.ends_with('.') {
            return Err(malformed());
        }
        if fraction.len() > 2 {
            return Err("must have at most two decimal places".into());
        }
        let too_high = || format!("must be at most {}", Self::MAX);
        // Only overflow fails here (29 digits and more): far above the maximum.
        let value = Decimal::from_str(unsigned).map_err(|_| too_high())?;
        if negative && !value.is_zero() {
            return Err("must not be negative".into());
        }
        if value > Self::MAX {
            return Err(too_high());
        }
        Ok(Self(value.round_dp(2)))
    }

    /// The amount.
    pub fn get(self) -> Decimal {
        self.0
    }
}
