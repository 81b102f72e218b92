//! Importing vulnerability documents: CVE JSON 5, CSAF 2.0, OSV or vulnrelay record
//! documents (detected by content, validated against the official schemas) become
//! records, each keeping its sources.

use chrono::Utc;
use serde_json::{Value, json};
use vulnrelay_formats::import;
use vulnrelay_formats::record::VulnerabilityJson;

use crate::App;
use crate::caller::Caller;
use crate::distribution::decode;
use crate::error::{Error, Result};
use crate::records::may_change;

/// `POST /api/v1/import`: imports the documents in `body`, taken whole or not at all:
/// every record is checked before any is written. An existing record needs the right
/// to change it, and gains the import as a source beside its others
/// (`Vulnerability::add_source`); a record of a case stays with it. Analysts of a
/// platform and administrators only.
pub async fn import_documents(state: &App, caller: &Caller, body: &[u8]) -> Result<Value> {
    if crate::relations::admin(caller).is_none() {
        crate::relations::platform_staff(state, caller).await?;
    }
    let text = std::str::from_utf8(body).map_err(|_| Error::bad_request("the body is not UTF-8"))?;
    let imported = import::import(text, "import")?;
    let mut writes = Vec::with_capacity(imported.records.len());
    for v in &imported.records {
        match state.store.vulnerability(&v.id).await {
            Ok(existing) => {
                may_change(state, caller, &existing).await?;
                let mut merged = decode(&existing)?;
                merged.add_source(v);
                writes.push((existing.case_id.clone(), merged));
            }
            Err(vulnrelay_store::StoreError::NotFound { .. }) => writes.push((None, v.clone())),
            Err(other) => return Err(other.into()),
        }
    }
    let now = Utc::now();
    let mut ids = Vec::new();
    for (case_id, v) in &writes {
        let value = serde_json::to_value(VulnerabilityJson::from(v)).map_err(Error::internal)?;
        state.store.save_vulnerability(&v.id, case_id.as_deref(), &value, &v.aliases, now).await?;
        ids.push(v.id.clone());
    }
    crate::warnings::after_records_changed(state, &ids).await;
    Ok(json!({"format": imported.format.to_string(), "imported": ids}))
}
