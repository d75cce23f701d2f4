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
    if chars < min {
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

    /// Parses decimal text (`"4.20"`, `4.2`, `1e2`); the error says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let value = Decimal::from_str(raw)
            .or_else(|_| Decimal::from_scientific(raw))
            .map_err(|_| "must be a decimal number such as \"4.20\"".to_owned())?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err("must not be negative".into());
        }
        if value > Self::MAX {
            return Err(format!("must be at most {}", Self::MAX));
        }
        if value.normalize().scale() > 2 {
            return Err("must have at most two decimal places".into());
        }
        Ok(Self(value.round_dp(2)))
    }

    /// The amount.
    pub fn get(self) -> Decimal {
        self.0
    }
}
