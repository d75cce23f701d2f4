//! The document says exactly what the server takes: every request body (and every object
//! nested in one) refuses fields it does not define — `additionalProperties: false`, as the
//! core refuses unknown fields — and a PATCH body needs at least one field
//! (`minProperties: 1`, as the core refuses an empty change). Applied to every operation with
//! a body, so a new write cannot forget it. The few bodies the server reads with
//! `read_optional_json` are marked not required ([`OPTIONAL_BODIES`]).

use std::collections::BTreeMap;

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{AdditionalProperties, ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr, Required};
use utoipa::Modify;

use super::operations;

/// The [`Modify`] that makes request bodies strict (see the module doc).
pub struct StrictBodies;

/// `(path, method)` of the operations whose handler reads its body with `read_optional_json`:
/// an empty body is the empty request. (utoipa marks every typed body required.)
pub const OPTIONAL_BODIES: [(&str, &str); 1] = [("/orders/{order_id}/cancel/", "post")];

impl Modify for StrictBodies {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut bodies = Vec::new();
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                if let Some(name) = body_schema(operation) {
                    bodies.push((name, method == "patch"));
                }
                if OPTIONAL_BODIES.contains(&(path.as_str(), method)) {
                    if let Some(RefOr::T(body)) = operation.request_body.as_mut() {
                        body.required = Some(Required::False);
                    }
                }
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, is_patch) in bodies {
            make_strict(&mut components.schemas, &name, is_patch);
        }
    }
}

/// The component name of an operation's JSON body.
fn body_schema(operation: &Operation) -> Option<String> {
    let RefOr::T(body) = operation.request_body.as_ref()? else {
        return None;
    };
    let RefOr::T(content) = body.content.get("application/json")? else {
        return None;
    };
    match content.schema.as_ref()? {
        RefOr::Ref(reference) => component_name(&reference.ref_location),
        RefOr::T(_) => None,
    }
}

fn component_name(location: &str) -> Option<String> {
    location.strip_prefix("#/components/schemas/").map(str::to_owned)
}

/// Marks the named object schema, and every object schema its properties name (directly or as
/// array items), as refusing unknown properties; the named one also as needing one property
/// when `at_least_one`.
fn make_strict(schemas: &mut BTreeMap<String, RefOr<Schema>>, name: &str, at_least_one: bool) {
    let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(name) else {
        return;
    };
    object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
    if at_least_one {
        object.min_properties = Some(1);
    }
    let nested: Vec<String> = object
        .properties
        .values()
        .filter_map(|property| match property {
            RefOr::Ref(reference) => component_name(&reference.ref_location),
            RefOr::T(Schema::Array(array)) => match &array.items {
                ArrayItems::RefOrSchema(items) => match items.as_ref() {
                    RefOr::Ref(reference) => component_name(&reference.ref_location),
                    RefOr::T(_) => None,
                },
                _ => None,
            },
            RefOr::T(_) => None,
        })
        .collect();
    for name in nested {
        make_strict(schemas, &name, false);
    }
}
