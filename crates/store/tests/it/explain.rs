//! The hot read paths of the derived views are served by indexes: PostgreSQL, told not to
//! scan a table whole unless nothing else can answer, EXPLAINs each statement, and none
//! reads a table from end to end. Runs when `VULNRELAY_TEST_DATABASE_URL` names a
//! PostgreSQL server (as `.ci/run` does).

use sqlx::{Connection, PgConnection, Row};
use vulnrelay_store::Backend;
use vulnrelay_store::match_keys::sql as match_sql;
use vulnrelay_store::projections::sql;
use vulnrelay_store::testing::TestDb;

/// Each statement with literal values for its parameters, highest number first so that
/// `$1` never eats the start of `$10`.
fn with_values(statement: &str, values: &[&str]) -> String {
    let mut text = statement.to_owned();
    for (i, value) in values.iter().enumerate().rev() {
        text = text.replace(&format!("${}", i + 1), value);
    }
    text
}

#[tokio::test]
async fn hot_queries_use_indexes_on_postgresql() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: {} is not set", vulnrelay_store::testing::DATABASE_URL_VAR);
        return;
    };
    let mut connection = PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query("SET enable_seqscan = off").execute(&mut connection).await.expect("set");
    let time = "'2026-01-01T00:00:00.000000Z'";
    let statements = [
        ("cases, published", with_values(sql::CASES_PUBLISHED, &["'org'", time, "'case'", "''", "51"])),
        ("cases, related", with_values(sql::CASES_RELATED, &["'org'", time, "'case'", "''", "51"])),
        (
            "deadlines",
            with_values(sql::DUE_OBLIGATIONS, &["'org'", time, time, "'case'", "'rule'", "''", "101"]),
        ),
        ("reminders", with_values(sql::CASES_DUE, &[time, time])),
        ("receipts", with_values(sql::RECEIPTS, &[time, "'r'", "101"])),
        ("receipts of a platform", with_values(sql::RECEIPTS_OF_PLATFORM, &[time, "'r'", "101", "'org'"])),
        ("an organisation's cases", with_values(sql::PARTY_CASES, &["'org'"])),
        ("the public's metrics", with_values(sql::PUBLIC_OBLIGATION_COUNTS, &[time])),
        (
            "components by package",
            with_values(&match_sql::components(Backend::Postgres), &[r#"'["Maven:org.example:widget"]'"#]),
        ),
        (
            "records by package",
            with_values(&match_sql::records(Backend::Postgres), &[r#"'["Maven:org.example:widget"]'"#]),
        ),
    ];
    for (name, statement) in statements {
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN {statement}"))
            .fetch_all(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}\n{statement}"))
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect();
        let plan = plan.join("\n");
        assert!(!plan.contains("Seq Scan"), "{name} reads a table whole:\n{plan}");
        assert!(plan.contains("Index"), "{name} uses no index:\n{plan}");
    }
}
