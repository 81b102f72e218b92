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

/// An optional JSON body: empty means `{}`.
pub fn optional_json(bytes: &[u8]) -> Result<Value, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|e| Error::bad_request(format!("malformed JSON: {e}")))
}
