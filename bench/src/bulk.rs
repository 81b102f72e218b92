//! A bench-only bulk loader for national-scale data sets on SQLite: the rows that
//! `save_vulnerability` and `put_asset_group` write — records with their alias, first
//! revision and package keys; asset groups with their components (package key
//! included) and first upload in the history — written many to a statement, in large
//! transactions, with `synchronous = OFF` while loading (restored to `FULL` after).
//! The keys come from the store's own functions (`vulnrelay_store::match_keys`), so the
//! match index is the one the store would have written.

use serde_json::{Value, json};
use sqlx::{Pool, Sqlite, SqliteConnection};
use vulnrelay_domain::{Timestamp, Vulnerability};
use vulnrelay_store::chain::canonical_json;
use vulnrelay_store::match_keys::{component_key, record_keys};
use vulnrelay_store::time::format_ts;

/// Rows per multi-row `INSERT` (at most 7 parameters each, within SQLite's limit).
const ROWS: usize = 500;

/// One asset group to load: its organisation, name, and component package URLs.
pub struct Group {
    /// The organisation (it must exist).
    pub org_id: String,
    /// The group's name.
    pub name: String,
    /// The components' package URLs (each also the component's name).
    pub purls: Vec<String>,
}

async fn insert(conn: &mut SqliteConnection, table: &str, columns: &[&str], rows: &[Vec<Value>]) {
    for chunk in rows.chunks(ROWS) {
        let width = columns.len();
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let cells: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), tuples.join(", "));
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for cell in row {
                query = match cell {
                    Value::Null => query.bind(None::<String>),
                    Value::Number(n) => query.bind(n.as_i64().expect("an integer")),
                    Value::String(s) => query.bind(s.clone()),
                    other => query.bind(other.to_string()),
                };
            }
        }
        query.execute(&mut *conn).await.expect("a bulk insert");
    }
}

async fn pragma(pool: &Pool<Sqlite>, statement: &str) {
    sqlx::query(statement).execute(pool).await.expect("a pragma");
}

/// Writes `records` as records of no case, saved at `at`, in one transaction.
pub async fn records(pool: &Pool<Sqlite>, records: &[Vulnerability], at: Timestamp) {
    let now = format_ts(at);
    pragma(pool, "PRAGMA synchronous = OFF").await;
    let mut tx = pool.begin().await.expect("a transaction");
    for batch in records.chunks(5_000) {
        let (mut rows, mut aliases, mut revisions, mut keys) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for v in batch {
            let value =
                serde_json::to_value(vulnrelay_formats::record::VulnerabilityJson::from(v)).expect("JSON");
            rows.push(vec![json!(v.id), Value::Null, json!(canonical_json(&value)), json!(now), json!(now)]);
            aliases.push(vec![json!(v.id), json!(v.id)]);
            revisions.push(vec![json!(v.id), json!(1), json!(now), json!("Initial version")]);
            keys.extend(record_keys(&value).into_iter().map(|k| vec![json!(k), json!(v.id)]));
        }
        let columns = ["id", "case_id", "record", "created_at", "updated_at"];
        insert(&mut tx, "vulnerabilities", &columns, &rows).await;
        insert(&mut tx, "vulnerability_aliases", &["alias", "vulnerability_id"], &aliases).await;
        let columns = ["vulnerability_id", "number", "at", "summary"];
        insert(&mut tx, "vulnerability_revisions", &columns, &revisions).await;
        insert(&mut tx, "record_packages", &["package_key", "vulnerability_id"], &keys).await;
    }
    tx.commit().await.expect("commit");
    pragma(pool, "PRAGMA synchronous = FULL").await;
}

/// Writes `groups` as first uploads (`sbom`) at `at`, in one transaction.
pub async fn groups(pool: &Pool<Sqlite>, groups: &[Group], at: Timestamp) {
    let now = format_ts(at);
    pragma(pool, "PRAGMA synchronous = OFF").await;
    let mut tx = pool.begin().await.expect("a transaction");
    let (mut rows, mut components, mut revisions) = (Vec::new(), Vec::new(), Vec::new());
    for group in groups {
        let id = vulnrelay_store::new_id();
        rows.push(vec![
            json!(id),
            json!(group.org_id),
            json!(group.name),
            json!("sbom"),
            json!(1),
            json!(now),
            json!(now),
        ]);
        let mut listed = Vec::with_capacity(group.purls.len());
        for (position, purl) in group.purls.iter().enumerate() {
            components.push(vec![
                json!(id),
                json!(position),
                json!(purl),
                Value::Null,
                json!(purl),
                Value::Null,
                json!(component_key(Some(purl))),
            ]);
            listed.push(json!({"name": purl, "version": null, "purl": purl, "bom_ref": null}));
        }
        let history = canonical_json(&Value::Array(listed));
        revisions.push(vec![json!(id), json!(1), json!("sbom"), Value::Null, json!(now), json!(history)]);
    }
    let columns = ["id", "org_id", "name", "source", "revision", "created_at", "updated_at"];
    insert(&mut tx, "asset_groups", &columns, &rows).await;
    let columns = ["group_id", "position", "name", "version", "purl", "bom_ref", "package_key"];
    insert(&mut tx, "asset_components", &columns, &components).await;
    let columns = ["group_id", "revision", "source", "uploaded_by", "uploaded_at", "components"];
    insert(&mut tx, "asset_group_revisions", &columns, &revisions).await;
    tx.commit().await.expect("commit");
    pragma(pool, "PRAGMA synchronous = FULL").await;
}
