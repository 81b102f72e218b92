//! A value derived from the store, kept while the store's publication version
//! ([`Records::publication_version`](vulnrelay_store::Records::publication_version)) stays
//! the same: requests between two changes share one build, and a change made by any
//! process sharing the database is seen on the next request.

use std::sync::Arc;

use crate::error::Result;

/// The last build of a `T` and the version it was built at. One build at a time:
/// concurrent callers wait for it rather than repeat it.
pub struct Versioned<T>(tokio::sync::Mutex<Option<(String, Arc<T>)>>);

impl<T> Default for Versioned<T> {
    fn default() -> Self {
        Versioned(tokio::sync::Mutex::new(None))
    }
}

impl<T> std::fmt::Debug for Versioned<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Versioned")
    }
}

impl<T> Versioned<T> {
    /// The value built at `version`: the kept one when it was, else `build`'s, kept.
    pub async fn get(&self, version: String, build: impl AsyncFnOnce() -> Result<T>) -> Result<Arc<T>> {
        let mut kept = self.0.lock().await;
        if let Some((built, value)) = kept.as_ref()
            && *built == version
        {
            return Ok(Arc::clone(value));
        }
        let value = Arc::new(build().await?);
        *kept = Some((version, Arc::clone(&value)));
        Ok(value)
    }
}
