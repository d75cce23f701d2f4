//! Money as the API writes it, read by one rule wherever it arrives (a product's price, a
//! search's price filters): plain decimal text — digits, then optionally a point and one or
//! two digits (`"4.20"`, `"7"`, `"0.5"`) — with no sign, no exponent and no spaces. The OpenAPI
//! document states the same rule as a pattern, so no client or fuzzer finds a form one accepts
//! and the other refuses.

use std::str::FromStr;

use rust_decimal::Decimal;

/// The pattern of [`parse_amount`] with at most `max_whole_digits` before the point
/// (leading zeros count, as in the pattern).
pub fn amount_pattern(max_whole_digits: usize) -> String {
    format!(r"^[0-9]{{1,{max_whole_digits}}}(\.[0-9]{{1,2}})?$")
}

/// Parses plain decimal text with at most `max_whole_digits` digits before the point. The
/// error says what is wrong, in words for the client.
pub fn parse_amount(raw: &str, max_whole_digits: usize) -> Result<Decimal, String> {
    let (whole, fraction) = split_amount(raw)?;
    if whole.len() > max_whole_digits {
        return Err(format!(
            "must have at most {max_whole_digits} digits before the point"
        ));
    }
    to_decimal(whole, fraction)
}

/// Splits plain decimal text into its whole digits (leading zeros kept) and its fraction
/// digits (possibly empty), or says what is wrong with it.
pub(crate) fn split_amount(raw: &str) -> Result<(&str, &str), String> {
    if raw.starts_with('-') {
        // `-0` too: the rule is about the text, and the pattern has no sign.
        return Err("must not be negative (and is written without a sign)".into());
    }
    let (whole, fraction) = match raw.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (raw, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err("must be a decimal number such as \"4.20\"".into());
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > 2 {
        return Err("must have at most two decimal places".into());
    }
    Ok((whole, fraction))
}

/// The value of digits split by [`split_amount`] whose whole part, without leading zeros, has
/// at most 28 digits (what a `Decimal` holds).
pub(crate) fn to_decimal(whole: &str, fraction: &str) -> Result<Decimal, String> {
    let significant = whole.trim_start_matches('0');
    let text = format!(
        "{}.{fraction}",
        if significant.is_empty() { "0" } else { significant }
    );
    Decimal::from_str(text.trim_end_matches('.')).map_err(|_| "is too large".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimals_with_at_most_two_places_and_no_sign() {
        for (raw, value) in [("4.20", "4.20"), ("7", "7"), ("0.5", "0.5"), ("007.10", "7.10")] {
            assert_eq!(
                parse_amount(raw, 10),
                Ok(Decimal::from_str(value).unwrap()),
                "{raw}"
            );
        }
        for raw in [
            "-0", "+1", "-1.00", "1.001", "1.", ".5", "", " 1", "1 ", "1e2", "abc", "1,5", "0x1",
        ] {
            assert!(parse_amount(raw, 10).is_err(), "{raw:?}");
        }
        assert!(parse_amount("12345678901", 10).is_err());
        assert!(parse_amount("1234567890.99", 10).is_ok());
    }

    #[test]
    fn the_pattern_says_the_same() {
        assert_eq!(amount_pattern(10), r"^[0-9]{1,10}(\.[0-9]{1,2})?$");
    }
}
