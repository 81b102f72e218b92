// The match index's queries (`match_keys.rs`), a module of both back ends
// (`queries.rs`): the keys written with the rows they belong to, the lookups by key, and
// the one-time keying of the rows stored before the index existed. A list of keys is
// bound as one JSON array and read by the back end's JSON function, so every lookup is
// one statement whatever the number of keys, ordered as the full listings are.

use serde_json::Value;
use sqlx::{Pool, Row, Transaction};

use super::{BACKEND, Db};
use crate::Result;
use crate::match_keys::{component_key, record_keys};

/// A subquery giving the keys of the JSON array bound as `$1`, as column `package_key`.
const KEYS: &str = crate::match_keys::sql::keys(BACKEND);

/// How many rows the one-time keying reads at a time.
const PAGE: i64 = 5_000;

/// `keys`, each once, as the JSON array [`KEYS`] reads.
pub(super) fn key_list(keys: &[String]) -> String {
    let mut keys: Vec<&String> = keys.iter().collect();
    keys.sort();
    keys.dedup();
    Value::from(keys.into_iter().cloned().collect::<Vec<_>>()).to_string()
}

/// Replaces the keys of record `id` by those of `record`.
pub(super) async fn m_record_keys(tx: &mut Transaction<'_, Db>, id: &str, record: &Value) -> Result<()> {
    sqlx::query("DELETE FROM record_packages WHERE vulnerability_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let keys = record_keys(record);
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT INTO record_packages (package_key, vulnerability_id) \
         SELECT k.package_key, CAST($2 AS TEXT) FROM ({KEYS}) AS k"
    ))
    .bind(key_list(&keys))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Keys the components and records stored before the match index existed, once: the
/// first process to open the store after the migration does it, in one transaction
/// (on PostgreSQL, another process opening at the same time waits on the flag's row
/// and then finds it built).
pub(crate) async fn m_build_index(pool: &Pool<Db>) -> Result<()> {
    let Some(mut tx) = super::common::claim_once(pool, "match_index").await? else { return Ok(()) };
    let mut after: (String, i64) = (String::new(), -1);
    loop {
        let rows = sqlx::query(
            "SELECT group_id, position, purl FROM asset_components \
             WHERE group_id > $1 OR (group_id = $1 AND position > $2) ORDER BY group_id, position LIMIT $3",
        )
        .bind(&after.0)
        .bind(after.1)
        .bind(PAGE)
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let (group, position): (String, i64) = (row.try_get("group_id")?, row.try_get("position")?);
            if let Some(key) = component_key(row.try_get::<Option<String>, _>("purl")?.as_deref()) {
                sqlx::query(
                    "UPDATE asset_components SET package_key = $1 WHERE group_id = $2 AND position = $3",
                )
                .bind(key)
                .bind(&group)
                .bind(position)
                .execute(&mut *tx)
                .await?;
            }
            after = (group, position);
        }
        if rows.len() < PAGE as usize {
            break;
        }
    }
    let mut after = String::new();
    loop {
        let rows = sqlx::query("SELECT id, record FROM vulnerabilities WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(&after)
            .bind(PAGE)
            .fetch_all(&mut *tx)
            .await?;
        for row in &rows {
            let id: String = row.try_get("id")?;
            let record = super::common::json(&row.try_get::<String, _>("record")?)?;
            m_record_keys(&mut tx, &id, &record).await?;
            after = id;
        }
        if rows.len() < PAGE as usize {
            break;
        }
    }
    tx.commit().await?;
    Ok(())
}
