//! Reading JSON request bodies: every problem at once, each with its JSON path.
//!
//! Bodies are checked field by field, so that an invalid request lists every missing
//! or wrong field, not only serde's first.

use serde_json::{Map, Value};
use vulnrelay_formats::fields::Fields;

use crate::error::Error;

/// The API's field checker: the one of `vulnrelay_formats::fields`, where a `null` is
/// the key left out (made by `Checker::default()`).
pub type Checker = Fields;

pub use vulnrelay_formats::fields::kind_of;

/// A request body read field by field into a type: every problem at once, each with its
/// JSON path, where serde would stop at the first. The type also derives its OpenAPI
/// schema (`utoipa::ToSchema`), whose properties are [`Body::FIELDS`].
pub trait Body: Sized {
    /// The keys the body may have; any other is a problem, unless [`Body::OPEN`].
    const FIELDS: &'static [&'static str];

    /// Whether the body may have keys beyond [`Body::FIELDS`], read by a later check
    /// (an event's fields of its type, checked as a case-file event).
    const OPEN: bool = false;

    /// Reads the fields of `object` (its keys already checked against
    /// [`Body::FIELDS`]), noting each problem in `check`; `None` when a required part
    /// could not be read.
    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self>;
}

/// Reads `value` as a `B`, or fails with every problem.
pub fn read<B: Body>(value: &Value) -> Result<B, Error> {
    let mut check = Checker::default();
    let body = read_with(&mut check, value);
    check.finish()?;
    body.ok_or_else(|| Error::bad_request("unreadable body"))
}

/// Reads `value` as a `B` into a checker the caller goes on with, for an operation that
/// finds more problems (a reference to something stored) in the same round.
pub fn read_with<B: Body>(check: &mut Checker, value: &Value) -> Option<B> {
    let object = if B::OPEN {
        let object = value.as_object();
        if object.is_none() {
            check.problem("$", format!("expected an object, found {}", kind_of(value)));
        }
        object?
    } else {
        check.object(value, "$", B::FIELDS)?
    };
    B::read_fields(check, object)
}

/// An optional JSON body: empty means `{}`.
pub fn optional_json(bytes: &[u8]) -> Result<Value, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::bad_request(format!("malformed JSON: {e}")))
}
