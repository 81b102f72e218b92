//! The publication marks (`publication_dirty`, migrations 0014 and 0028): every change to a
//! table an advisory is built from marks its source, whether or not the source is already
//! marked, and whatever form the change takes (a plain statement, an upsert's insert or
//! update, SQLite's `OR IGNORE` and `OR REPLACE`). A change that leaves a source unmarked
//! would leave its public documents as they were before it.

use chrono::{TimeZone, Utc};
use sqlx::{PgPool, SqlitePool};
use vulnrelay_store::testing::{TestDb, for_each_backend};

use crate::conformance::{report, seed};

/// A connection to the test's database beside its store.
enum Raw {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Raw {
    async fn open(db: &TestDb) -> Raw {
        match db.name {
            "sqlite" => Raw::Sqlite(SqlitePool::connect(&db.url).await.expect("open SQLite")),
            _ => Raw::Postgres(PgPool::connect(&db.url).await.expect("open PostgreSQL")),
        }
    }

    async fn run(&self, sql: &str) {
        match self {
            Raw::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
            Raw::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The mark of `source`, if it is marked.
    async fn mark(&self, source: &str) -> Option<i64> {
        let sql = "SELECT mark FROM publication_dirty WHERE source = $1";
        match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).bind(source).fetch_optional(pool).await,
            Raw::Postgres(pool) => sqlx::query_scalar(sql).bind(source).fetch_optional(pool).await,
        }
        .expect("read a mark")
    }
}

/// One change: what it needs first (`setup`, not checked), its statement (`{n}` in either
/// is a number of the run's own) and the sources it marks.
struct Change {
    setup: &'static str,
    sql: &'static str,
    marks: &'static [&'static str],
    sqlite_only: bool,
}

const fn change(setup: &'static str, sql: &'static str, marks: &'static [&'static str]) -> Change {
    Change { setup, sql, marks, sqlite_only: false }
}

const fn sqlite_only(sql: &'static str) -> Change {
    Change { setup: "", sql, marks: CASE, sqlite_only: true }
}

const CASE: &[&str] = &["case:{case}"];
const RECORD: &[&str] = &["record:record-{n}"];
const PARTY: &str = "INSERT INTO case_parties (case_id, party_id, position, party, added_at) \
                     VALUES ('{case}', 'party-{n}', {n}, '{}', '2021-12-03T00:00:00Z')";
const PRODUCT: &str = "INSERT INTO case_products (case_id, product_id, position, product) VALUES ('{case}', 'product-{n}', {n}, '{}')";
const EMBARGO: &str = "INSERT INTO embargoes (id, case_id, planned_public_at, set_at) \
                       VALUES ('embargo-{n}', '{case}', NULL, '2021-12-03T00:00:00Z')";
const RECORD_OF_NO_CASE: &str = "INSERT INTO vulnerabilities (id, case_id, record, created_at, updated_at) \
                                 VALUES ('record-{n}', NULL, '{}', '2021-12-03T00:00:00Z', '2021-12-03T00:00:00Z')";

/// Every marked table, changed every way the back ends allow.
const CHANGES: &[Change] = &[
    change("", "UPDATE cases SET title = 'retitled {n}' WHERE id = '{case}'", CASE),
    change("", PARTY, CASE),
    // An upsert that updates: the update's trigger runs under the upsert's own handling.
    change(
        "",
        "INSERT INTO case_parties (case_id, party_id, position, party, added_at) \
         VALUES ('{case}', 'reporter', {n}, '{}', '2021-12-03T00:00:00Z') \
         ON CONFLICT (case_id, party_id) DO UPDATE SET position = excluded.position",
        CASE,
    ),
    change(
        "",
        "INSERT INTO case_parties (case_id, party_id, position, party, added_at) \
         VALUES ('{case}', 'other-{n}', {n}, '{}', '2021-12-03T00:00:00Z') ON CONFLICT DO NOTHING",
        CASE,
    ),
    change("", "UPDATE case_parties SET position = {n} WHERE case_id = '{case}'", CASE),
    change(PARTY, "DELETE FROM case_parties WHERE case_id = '{case}' AND party_id = 'party-{n}'", CASE),
    change("", PRODUCT, CASE),
    change("", "UPDATE case_products SET position = {n} WHERE case_id = '{case}' AND product_id = 'p'", CASE),
    change(
        PRODUCT,
        "DELETE FROM case_products WHERE case_id = '{case}' AND product_id = 'product-{n}'",
        CASE,
    ),
    sqlite_only(
        "INSERT OR IGNORE INTO case_products (case_id, product_id, position, product) \
         VALUES ('{case}', 'ignored-{n}', {n}, '{}')",
    ),
    sqlite_only(
        "INSERT OR REPLACE INTO case_products (case_id, product_id, position, product) VALUES ('{case}', 'p', {n}, '{}')",
    ),
    sqlite_only("UPDATE OR IGNORE case_products SET position = {n} WHERE case_id = '{case}'"),
    change(
        "",
        "INSERT INTO events (case_id, seq, at, recorded_at, body, prev_hash, hash) \
         VALUES ('{case}', 1000 + {n}, '2021-12-03T00:00:00Z', '2021-12-03T00:00:00Z', '{}', '', '')",
        CASE,
    ),
    change("", EMBARGO, CASE),
    change(EMBARGO, "UPDATE embargoes SET planned_public_at = '2022-01-{n}' WHERE id = 'embargo-{n}'", CASE),
    change(EMBARGO, "DELETE FROM embargoes WHERE id = 'embargo-{n}'", CASE),
    change("", RECORD_OF_NO_CASE, RECORD),
    change(
        RECORD_OF_NO_CASE,
        "INSERT INTO vulnerability_revisions (vulnerability_id, number, at, summary) \
         VALUES ('record-{n}', 1, '2021-12-03T00:00:00Z', 'revised')",
        RECORD,
    ),
    change(RECORD_OF_NO_CASE, "UPDATE vulnerabilities SET record = '[{n}]' WHERE id = 'record-{n}'", RECORD),
    // A record moved into a case: both the record's own source and the case's.
    change(
        RECORD_OF_NO_CASE,
        "UPDATE vulnerabilities SET case_id = '{case}' WHERE id = 'record-{n}'",
        &["record:record-{n}", "case:{case}"],
    ),
    change(RECORD_OF_NO_CASE, "DELETE FROM vulnerabilities WHERE id = 'record-{n}'", RECORD),
];

fn fill(text: &str, case: &str, n: u32) -> String {
    text.replace("{case}", case).replace("{n}", &n.to_string())
}

#[tokio::test]
async fn every_change_to_what_an_advisory_is_built_from_marks_its_source() {
    for_each_backend(|db| async move {
        let store = db.store.as_ref();
        seed(store).await;
        let raw = Raw::open(&db).await;
        let received = Utc.with_ymd_and_hms(2021, 12, 2, 0, 0, 0).unwrap();
        let case = store.take_report(&report(None, received)).await.unwrap().case_id;
        assert!(raw.mark(&format!("case:{case}")).await.is_some(), "a new case is marked");
        // Each change twice: once with nothing marked, once with its sources marked
        // already (the mark must change, or a rebuild made before it would clear it).
        let mut n = 10;
        for change in CHANGES.iter().filter(|c| !c.sqlite_only || db.name == "sqlite") {
            for already_marked in [false, true] {
                n += 1;
                if !change.setup.is_empty() {
                    raw.run(&fill(change.setup, &case, n)).await;
                }
                raw.run("DELETE FROM publication_dirty").await;
                let sources: Vec<String> = change.marks.iter().map(|s| fill(s, &case, n)).collect();
                if already_marked {
                    for source in &sources {
                        raw.run(&format!(
                            "INSERT INTO publication_dirty (source, mark) VALUES ('{source}', -1)"
                        ))
                        .await;
                    }
                }
                let sql = fill(change.sql, &case, n);
                raw.run(&sql).await;
                for source in &sources {
                    let mark = raw.mark(source).await;
                    assert!(
                        mark.is_some_and(|mark| mark != -1),
                        "{}: `{sql}` left {source} {} (marked before: {already_marked})",
                        db.name,
                        if mark.is_none() { "unmarked" } else { "with its old mark" },
                    );
                }
            }
        }
    })
    .await;
}
