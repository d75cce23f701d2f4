//! Staff notes: the free text a stock adjustment or an order cancellation may carry.

use crate::FieldError;

/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Adds to `errors` what is wrong with the note in `field`, if anything.
pub fn check_note(field: &str, note: Option<&str>, errors: &mut Vec<FieldError>) {
    let Some(note) = note else { return };
    if note.chars().count() > MAX_NOTE_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must be at most {MAX_NOTE_CHARS} characters long"),
        ));
    } else if note.contains('\0') {
        // Postgres text cannot hold NUL: a 422 here, not a failure at the database.
        errors.push(FieldError::new(field, "must not contain NUL characters"));
    }
}

/// A note as a fingerprint holds it: quoted and escaped, so that no note can imitate the
/// absence of one (`null`, as stock adjustments' stored fingerprints spell it).
pub fn fingerprint(note: Option<&str>) -> String {
    match note {
        Some(note) => format!("{note:?}"),
        None => "null".to_owned(),
    }
}
