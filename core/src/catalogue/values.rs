//! The values of catalogue writes, each checked once when it is made: names and titles,
//! locations, descriptions and prices.

use rust_decimal::Decimal;

use crate::money;

/// A name or title: at most [`Name::MAX_CHARS`] characters as sent, not blank, kept trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// Longest accepted name, in characters (counted as sent, as the document's `maxLength`).
    pub const MAX_CHARS: usize = 200;

    /// The OpenAPI pattern of a name, title or location: exactly what [`Name::parse`] accepts
    /// (with `maxLength`): no NUL, and at least one character that is not blank
    /// (`is_blank`'s set, spelled out).
    pub const PATTERN: &'static str = concat!(
        r"^[^\u0000]*[^\u0000\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a",
        r"\u2028\u2029\u202f\u205f\u3000\ufeff][^\u0000]*$"
    );

    /// Checks `raw` and trims it; the error says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        trimmed_text(raw, Self::MAX_CHARS).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A store's location: the same rule as a [`Name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location(String);

impl Location {
    /// Longest accepted location, in characters (as sent).
    pub const MAX_CHARS: usize = 200;

    /// Checks `raw` and trims it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        trimmed_text(raw, Self::MAX_CHARS).map(Self)
    }

    /// The location.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What names are trimmed of and what a name may not consist of only: Unicode `White_Space`
/// and U+FEFF — the characters `Name::PATTERN` lists, so that the document and the server
/// agree on what "blank" means (regex flavours disagree on `\s`).
pub fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// A product description: at most [`Description::MAX_CHARS`] characters, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Longest accepted description, in characters.
    pub const MAX_CHARS: usize = 2_000;

    /// The OpenAPI pattern of a description (with `maxLength`): anything but NUL.
    pub const PATTERN: &'static str = r"^[^\u0000]*$";

    /// Checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded_text(raw, Self::MAX_CHARS).map(Self)
    }

    /// The description.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text of at most `max` characters as sent, with no NUL (Postgres text cannot hold one:
/// refused here, not failed on at the database).
fn bounded_text(text: &str, max: usize) -> Result<String, String> {
    if text.contains('\0') {
        Err("must not contain NUL characters".into())
    } else if text.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else {
        Ok(text.to_owned())
    }
}

/// [`bounded_text`], trimmed of blanks, and not empty once trimmed.
fn trimmed_text(raw: &str, max: usize) -> Result<String, String> {
    let text = bounded_text(raw, max)?;
    match text.trim_matches(is_blank) {
        "" => Err("must not be empty".into()),
        trimmed => Ok(trimmed.to_owned()),
    }
}

/// A price: plain decimal text by the API's money rule ([`crate::money`]), from 0 to
/// 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price(Decimal);

impl Price {
    /// The highest accepted price.
    pub const MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

    /// The OpenAPI pattern of a price written as a string: exactly what [`Price::parse`]
    /// accepts — the money rule, and at most 1,000,000 (leading zeros allowed).
    pub const PATTERN: &'static str = r"^0*([0-9]{1,6}(\.[0-9]{1,2})?|1000000(\.0{1,2})?)$";

    /// Parses a price (a JSON string as sent; a JSON number as its decimal text). The error
    /// says what is wrong.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (whole, fraction) = money::split_amount(raw)?;
        let too_high = || format!("must be at most {}", Self::MAX);
        if whole.trim_start_matches('0').len() > 7 {
            return Err(too_high());
        }
        let value = money::to_decimal(whole, fraction)?;
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
