//! The hot read paths of the derived views, the records, the checkpoint signer and the
//! re-match sweep are served by indexes: PostgreSQL, told not to scan a table whole
//! unless nothing else can answer, EXPLAINs each statement, and none reads a table from
//! end to end. Runs when `VULNRELAY_TEST_DATABASE_URL` names a
//! PostgreSQL server (as `.ci/run` does).

use sqlx::{Connection, PgConnection, Row};
use vulnrelay_store::Backend;
use vulnrelay_store::checkpoint;
use vulnrelay_store::match_keys::sql as match_sql;
use vulnrelay_store::org_pages;
use vulnrelay_store::projections::sql;
use vulnrelay_store::records::sql as records;
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

/// A PostgreSQL schema of its own and a connection to it (the schema lives as long as the
/// returned `TestDb`), when `VULNRELAY_TEST_DATABASE_URL` is set.
async fn postgres_connection() -> Option<(TestDb, PgConnection)> {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: {} is not set", vulnrelay_store::testing::DATABASE_URL_VAR);
        return None;
    };
    let connection = PgConnection::connect(&db.url).await.expect("connect");
    Some((db, connection))
}

/// What PostgreSQL's `explain` (an `EXPLAIN` statement, of `name`) answers, a line a step.
async fn postgres_plan(connection: &mut PgConnection, name: &str, explain: &str) -> String {
    let plan: Vec<String> = sqlx::query(explain)
        .fetch_all(connection)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}\n{explain}"))
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
    plan.join("\n")
}

/// Tables of kept totals, a few slots each (16 for the published obligations' totals),
/// which a statement may read whole: their size does not follow the cases.
const KEPT_TOTALS: [&str; 1] = ["public_obligation_totals"];

#[tokio::test]
async fn hot_queries_use_indexes_on_postgresql() {
    let Some((_db, mut connection)) = postgres_connection().await else { return };
    sqlx::query("SET enable_seqscan = off").execute(&mut connection).await.expect("set");
    let time = "'2026-01-01T00:00:00.000000Z'";
    let statements = [
        ("cases, first page", with_values(sql::CASES_PUBLISHED_ROW, &["''", "''", "''", "51"])),
        ("cases, published", with_values(sql::CASES_PUBLISHED_ROW, &["'org'", "'case'", "''", "51"])),
        (
            "cases, in a state",
            with_values(sql::CASES_PUBLISHED_IN_STATE, &["''", "'case'", "'published'", "51"]),
        ),
        (
            "cases of an organisation",
            with_values(sql::cases_of_org(Backend::Postgres, false), &["'org'", "'case'", "''", "51"]),
        ),
        (
            "cases of an organisation, first page",
            with_values(sql::cases_of_org(Backend::Postgres, false), &["'org'", "''", "''", "51"]),
        ),
        (
            "cases of an organisation in a state",
            with_values(sql::cases_of_org(Backend::Postgres, true), &["'org'", "''", "'triage'", "51"]),
        ),
        (
            "deadlines",
            with_values(sql::DUE_OBLIGATIONS, &["'org'", time, time, "'case'", "'rule'", "''", "101"]),
        ),
        ("reminders", with_values(sql::CASES_DUE, &[time, time])),
        (
            "silences, a page",
            with_values(
                vulnrelay_store::coordination::sql::SILENCES,
                &[time, time, "'case'", "'vendor'", "500"],
            ),
        ),
        (
            "chains to sign: a case's",
            with_values(
                &checkpoint::marked_heads("events", "case_id", 500),
                &["'case'", "'key'", "''", "''"],
            ),
        ),
        (
            "chains to sign: an organisation's log",
            with_values(
                &checkpoint::marked_heads("org_events", "org_id", 500),
                &["'org'", "'key'", "''", "''"],
            ),
        ),
        (
            "changes owed a re-match",
            with_values(vulnrelay_store::warnings::REMATCH_MARKS_PAGE, &["'org'", "'unit'", "500"]),
        ),
        ("every record, a page", with_values(records::RECORDS_BY_ID, &["'VR-2026-0001'", "500"])),
        ("receipts", with_values(sql::RECEIPTS, &[time, "'r'", "101"])),
        ("receipts of a platform", with_values(sql::RECEIPTS_OF_PLATFORM, &[time, "'r'", "101", "'org'"])),
        ("an organisation's cases", with_values(sql::PARTY_CASES, &["'org'"])),
        ("the metrics' gauges, public", with_values(&sql::obligation_gauges(Backend::Postgres, 0), &[time])),
        (
            "records, public",
            with_values(records::RECORDS_PUBLIC, &["'org'", time, "'case'", "'CVE-1'", "51"]),
        ),
        (
            "records, related",
            with_values(records::RECORDS_RELATED, &["'org'", time, "'case'", "'CVE-1'", "51"]),
        ),
        ("advisories, first page", with_values(records::ADVISORIES_FIRST, &["51"])),
        ("advisories, next page", with_values(records::ADVISORIES_AFTER, &["51", time, "'case'", "'CVE-1'"])),
        ("a case's records", with_values(records::CASE_RECORDS, &["'case'"])),
        ("a record by alias", with_values(records::RECORD_BY_ALIAS, &["'CNVD-2021-95914'"])),
        ("an advisory's records", with_values(records::ADVISORY_RECORDS, &["'CNVD-2021-95914'"])),
        ("organisations of a status", with_values(org_pages::OF_STATUS, &["'active'", "'org'", "51"])),
        ("organisations", with_values(org_pages::ANY_STATUS, &["''", "'org'", "51"])),
        ("organisations of a role", with_values(org_pages::ROLE_IDS, &["'product_provider'", "'org'", "51"])),
        ("organisations by name", with_values(&org_pages::key_ids(0), &["'apa'", "'apb'", "'org'"])),
        ("organisations by ids", with_values(org_pages::BY_IDS, &[r#"'["org-a", "org-b"]'"#])),
        (
            "organisations of some roles by name",
            with_values(&org_pages::key_ids(2), &["'apa'", "'apb'", "'org'", "'product_user'", "'enisa'"]),
        ),
        ("a case's first warning", with_values(sql::FIRST_WARNING, &["'case'"])),
        // The kept interval totals are read whole when the public statistics are computed
        // again (their size follows the kinds, quarters and length classes, not the cases).
        ("interval classes", sql::INTERVAL_BUCKETS.to_owned()),
        ("open intervals", sql::INTERVAL_OPEN.to_owned()),
        (
            "interval ranks in a class",
            with_values(sql::INTERVAL_RANKS, &["'vendor_notified'", "'2021-Q4'", "86400", "2", "10"]),
        ),
        ("the worst interval", with_values(sql::INTERVAL_WORST, &["'vendor_notified'", "'2021-Q4'"])),
        // The same over every case (the statistics of an organisation that received every
        // case), beside the unpublished cases' kept totals.
        ("unpublished interval classes", sql::UNPUBLISHED_INTERVAL_BUCKETS.to_owned()),
        ("unpublished open intervals", sql::UNPUBLISHED_INTERVAL_OPEN.to_owned()),
        (
            "interval ranks in a class, every case",
            with_values(sql::EVERY_INTERVAL_RANKS, &["'vendor_notified'", "'2021-Q4'", "86400", "2", "10"]),
        ),
        (
            "the worst interval, every case",
            with_values(sql::EVERY_INTERVAL_WORST, &["'vendor_notified'", "'2021-Q4'"]),
        ),
        ("the platforms of the cases", sql::PLATFORMS_RANGE.to_owned()),
        // The published cases' count sums the 16 slots of `published_case_totals` (as the
        // obligations' gauges sum theirs): a table of 16 rows, read whole.
        (
            "an organisation's unpublished intervals",
            with_values(sql::related_intervals(Backend::Postgres), &["'org'"]),
        ),
        (
            "components by package",
            with_values(&match_sql::components(Backend::Postgres), &[r#"'["Maven:org.example:widget"]'"#]),
        ),
        (
            "records by package",
            with_values(&match_sql::records(Backend::Postgres), &[r#"'["Maven:org.example:widget"]'"#]),
        ),
        ("a case whole", with_values(sql::case_snapshot(Backend::Postgres), &["'case'", "TRUE"])),
        (
            "the metrics' gauges, an organisation's",
            with_values(
                &sql::obligation_gauges(Backend::Postgres, 2),
                &[time, "'org'", "'platform'", "'reporter'"],
            ),
        ),
    ];
    for (name, statement) in statements {
        let plan = postgres_plan(&mut connection, name, &format!("EXPLAIN {statement}")).await;
        let whole = plan.lines().filter(|line| line.contains("Seq Scan"));
        let kept_totals =
            |line: &str| KEPT_TOTALS.iter().any(|t| line.contains(&format!("Seq Scan on {t} ")));
        assert!(whole.clone().all(kept_totals), "{name} reads a table whole:\n{plan}");
        assert!(plan.contains("Index"), "{name} uses no index:\n{plan}");
        if name.contains("in a state") {
            assert!(plan.contains("case_views_published_state"), "{name} looks for the state:\n{plan}");
        }
        if name == "a case whole" {
            assert!(!plan.contains("Sort"), "{name} sorts:\n{plan}");
        }
        if name.starts_with("cases of an organisation") {
            // The two runs merged as they come, each cut at the page size: never both
            // read whole and sorted.
            assert!(plan.contains("Merge Append"), "{name} does not merge its runs:\n{plan}");
        }
    }
}

/// An organisation's gauges look each related case's obligations up by the case's key,
/// even where a join over every unpublished obligation looks cheaper to PostgreSQL: with
/// the statistics of 1,000,000 cases it hashed the relations against all of them (35,304
/// rows read for 29). Here nested loops are made to look dear to stand in for those
/// statistics; the statement must still look the obligations up case by case.
#[tokio::test]
async fn an_organisations_gauges_read_its_cases_obligations_by_key_on_postgresql() {
    let Some((_db, mut connection)) = postgres_connection().await else { return };
    sqlx::query("SET enable_nestloop = off").execute(&mut connection).await.expect("set");
    let name = "the metrics' gauges, an organisation's";
    let statement = with_values(
        &sql::obligation_gauges(Backend::Postgres, 2),
        &["'2026-01-01T00:00:00.000000Z'", "'org'", "'platform'", "'reporter'"],
    );
    let plan = postgres_plan(&mut connection, name, &format!("EXPLAIN {statement}")).await;
    assert!(
        plan.contains("Index Cond: (case_id = r.case_id)") && !plan.contains("Hash Join"),
        "{name} reads the obligations apart from their cases:\n{plan}"
    );
}

/// A migrated SQLite database of its own and a connection to it (the database lives
/// as long as the returned `TestDb`).
async fn sqlite_connection() -> (TestDb, sqlx::SqliteConnection) {
    let db = TestDb::sqlite().await;
    let path = db.url.strip_prefix("sqlite:").expect("a SQLite URL");
    let connection = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await.expect("connect");
    (db, connection)
}

/// What SQLite's `EXPLAIN QUERY PLAN` answers for `query` (named `name`), a line a step.
async fn sqlite_plan<'q>(
    connection: &mut sqlx::SqliteConnection,
    name: &str,
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
) -> String {
    let plan: Vec<String> = query
        .fetch_all(connection)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .iter()
        .map(|row| row.get::<String, _>("detail"))
        .collect();
    plan.join("\n")
}

/// SQLite serves a page of the case list from the indexes in the list's order: no run
/// is sorted (which would read it whole before the first row), so a first page costs
/// what a deep one does, and an organisation's page merges its two runs as they come.
#[tokio::test]
async fn case_pages_are_read_in_index_order_on_sqlite() {
    let (_db, mut connection) = sqlite_connection().await;
    let statements = [
        ("cases, public", sql::CASES_PUBLISHED, ""),
        ("cases of an organisation", sql::cases_of_org(Backend::Sqlite, false), ""),
        ("cases in a state, public", sql::CASES_PUBLISHED_IN_STATE, "triage"),
        ("cases of an organisation in a state", sql::cases_of_org(Backend::Sqlite, true), "triage"),
    ];
    for (name, statement, state) in statements {
        let explain = format!("EXPLAIN QUERY PLAN {statement}");
        let query = sqlx::query(&explain).bind("org").bind("").bind(state).bind(51_i64);
        let plan = sqlite_plan(&mut connection, name, query).await;
        assert!(!plan.contains("TEMP B-TREE"), "{name} sorts a run:\n{plan}");
        assert!(!plan.contains("SCAN "), "{name} reads a table whole:\n{plan}");
        let published_run = ["SEARCH v USING INDEX", "SEARCH v USING COVERING INDEX"]
            .map(|s| format!("{s} case_views_published"));
        assert!(published_run.iter().any(|run| plan.contains(run.as_str())), "{name}:\n{plan}");
        // A state's page reads that state's run only.
        let state_run = plan.contains("INDEX case_views_published_state ");
        assert_eq!(state_run, !state.is_empty(), "{name}:\n{plan}");
        if name.starts_with("cases of an organisation") {
            assert!(plan.contains("MERGE (UNION ALL)"), "{name} does not merge its runs:\n{plan}");
            assert!(plan.contains("SEARCH rr USING INDEX case_relations_org_unpublished"), "{name}:\n{plan}");
        }
    }
}

/// SQLite reads the interval statistics' lengths and the cases' platforms through their
/// indexes: a class's ranks and a quarter's worst, of the published cases or of every
/// case, without sorting or reading a table; the platforms by the two ends of theirs.
#[tokio::test]
async fn interval_reads_use_their_index_on_sqlite() {
    let (_db, mut connection) = sqlite_connection().await;
    let statements = [
        ("ranks", sql::INTERVAL_RANKS, 5),
        ("worst", sql::INTERVAL_WORST, 2),
        ("ranks, every case", sql::EVERY_INTERVAL_RANKS, 5),
        ("worst, every case", sql::EVERY_INTERVAL_WORST, 2),
        ("platforms", sql::PLATFORMS_RANGE, 0),
    ];
    for (name, statement, params) in statements {
        let explain = format!("EXPLAIN QUERY PLAN {statement}");
        let mut query = sqlx::query(&explain);
        for value in ["vendor_notified", "2021-Q4"].iter().take(params) {
            query = query.bind(*value);
        }
        for value in [86_400_i64, 2, 10].iter().take(params.saturating_sub(2)) {
            query = query.bind(*value);
        }
        let plan = sqlite_plan(&mut connection, name, query).await;
        assert!(!plan.contains("TEMP B-TREE"), "{name} sorts:\n{plan}");
        // (The outer select of the two ends is a constant row.)
        let read = plan.replace("SCAN CONSTANT ROW", "");
        assert!(!read.contains("SCAN "), "{name} reads a table or an index whole:\n{plan}");
        let index = if name == "platforms" { "cases_platform" } else { "case_intervals_stats" };
        assert!(plan.contains(index), "{name} does not use {index}:\n{plan}");
    }
}

/// SQLite reads an organisation's unpublished obligations (a signed-in `/metrics`) from
/// its relations outward: its relations through their index, then each case's
/// obligations by the case's key — not every unpublished obligation, each checked for a
/// relation.
#[tokio::test]
async fn an_organisations_obligations_are_read_from_its_relations_on_sqlite() {
    let (_db, mut connection) = sqlite_connection().await;
    let explain = format!("EXPLAIN QUERY PLAN {}", sql::obligation_gauges(Backend::Sqlite, 3));
    let mut query = sqlx::query(&explain).bind("2026-01-01T00:00:00.000000Z").bind("org");
    for relation in ["platform", "reporter", "notified_provider"] {
        query = query.bind(relation);
    }
    let plan = sqlite_plan(&mut connection, "an organisation's obligations", query).await;
    // The `related` part, the compound's last: from the relations' index to each case's
    // obligations by their key.
    let related: Vec<&str> =
        plan.lines().skip_while(|line| !line.contains("case_relations_org_unpublished")).collect();
    assert!(related.len() >= 2, "the relations are not read first in the related part:\n{plan}");
    assert!(
        related[1].contains("SEARCH o USING") && !related[1].contains("open_obligations_public"),
        "every unpublished obligation is read:\n{plan}"
    );
}

/// SQLite reads a page of one role's organisations from the roles' index, each
/// organisation by its key: none sorted, none read whole.
#[tokio::test]
async fn a_roles_organisations_are_read_by_key_on_sqlite() {
    let (_db, mut connection) = sqlite_connection().await;
    let name = "organisations of a role";
    let explain = format!("EXPLAIN QUERY PLAN {}", org_pages::OF_ROLE);
    let query = sqlx::query(&explain).bind("product_user").bind("").bind(51_i64).bind("active");
    let plan = sqlite_plan(&mut connection, name, query).await;
    assert!(!plan.contains("TEMP B-TREE") && !plan.contains("SCAN "), "{name}:\n{plan}");
    let lines: Vec<&str> = plan.lines().collect();
    assert!(
        lines.first().is_some_and(|l| l.contains("SEARCH r ")),
        "{name}: the roles are not read first:\n{plan}"
    );
    assert!(lines.get(1).is_some_and(|l| l.contains("SEARCH o ") && l.contains("(id=?)")), "{name}:\n{plan}");
}

/// SQLite reads a page of the silences the reminder beat asks for from their index, in
/// its order: from the cursor on, none sorted.
#[tokio::test]
async fn silences_are_read_in_index_order_on_sqlite() {
    let (_db, mut connection) = sqlite_connection().await;
    let name = "silences, a page";
    let explain = format!("EXPLAIN QUERY PLAN {}", vulnrelay_store::coordination::sql::SILENCES);
    let time = "2026-01-01T00:00:00.000000Z";
    let query = sqlx::query(&explain).bind(time).bind(time).bind("case").bind("vendor").bind(500_i64);
    let plan = sqlite_plan(&mut connection, name, query).await;
    assert!(!plan.contains("TEMP B-TREE"), "{name} sorts:\n{plan}");
    assert!(plan.contains("SEARCH case_waiting USING COVERING INDEX case_waiting_told"), "{name}:\n{plan}");
}

/// SQLite reads a case whole, with its report, through the five tables' keys, each
/// table searched through its key: nothing sorted, no table read whole.
#[tokio::test]
async fn a_case_is_read_through_its_keys_on_sqlite() {
    let (_db, mut connection) = sqlite_connection().await;
    let name = "a case whole";
    let explain = format!("EXPLAIN QUERY PLAN {}", sql::case_snapshot(Backend::Sqlite));
    let plan = sqlite_plan(&mut connection, name, sqlx::query(&explain).bind("case").bind(true)).await;
    assert!(!plan.contains("TEMP B-TREE"), "{name} sorts:\n{plan}");
    assert!(!plan.contains("SCAN "), "{name} reads a table whole:\n{plan}");
    for table in ["cases", "events", "case_parties", "case_products", "reports"] {
        assert!(plan.contains(&format!("SEARCH {table} USING")), "{name} does not search {table}:\n{plan}");
    }
}

/// SQLite's planner statistics are kept per index only: `ANALYZE` through the store,
/// or run by an operator before the store opens, leaves no samples of index values
/// (with them every statement with a bound value in its `WHERE` is prepared again on
/// each run), and a statement then still finds its index.
#[tokio::test]
async fn sqlite_statistics_keep_no_value_samples() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("stats.db");
    let tables = |path: std::path::PathBuf| async move {
        let mut connection =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display())).await.expect("connect");
        let names: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE name LIKE 'sqlite_stat%' ORDER BY name")
                .fetch_all(&mut connection)
                .await
                .expect("the schema");
        (connection, names)
    };
    let store = vulnrelay_store::SqliteStore::open(&path).await.expect("open");
    store.gather_statistics().await.expect("ANALYZE");
    let (_, names) = tables(path.clone()).await;
    assert_eq!(names, ["sqlite_stat1"], "statistics per index, no samples");
    drop(store);
    // An operator's own ANALYZE writes samples; the next open drops them.
    let (mut connection, _) = tables(path.clone()).await;
    sqlx::query("ANALYZE").execute(&mut connection).await.expect("ANALYZE");
    connection.close().await.expect("close");
    assert!(tables(path.clone()).await.1.contains(&"sqlite_stat4".to_owned()), "the bundled SQLite samples");
    let store = vulnrelay_store::SqliteStore::open(&path).await.expect("open again");
    assert_eq!(tables(path.clone()).await.1, ["sqlite_stat1"]);
    let plan: Vec<String> = sqlx::query("EXPLAIN QUERY PLAN SELECT * FROM cases WHERE id = ?")
        .bind("case")
        .fetch_all(store.raw_pool())
        .await
        .expect("a plan")
        .iter()
        .map(|row| row.get::<String, _>(3))
        .collect();
    assert!(plan.iter().any(|step| step.contains("USING")), "{plan:?}");
}

/// The pages that carry the asking organisation's relation to each row are planned once
/// for every organisation (PostgreSQL adopts a prepared statement's generic plan after
/// five runs): in that plan the relation is looked up row by row by `case_relations`'
/// key, never read for the organisation whole and joined (a platform stands in a
/// relation to every case).
#[tokio::test]
async fn pages_planned_once_for_every_caller_look_the_relation_up_by_key_on_postgresql() {
    let Some((_db, mut connection)) = postgres_connection().await else { return };
    sqlx::query("SET plan_cache_mode = force_generic_plan").execute(&mut connection).await.expect("set");
    let time = "'2026-01-01T00:00:00.000000Z'";
    let pages = [
        (
            "cases, published",
            sql::CASES_PUBLISHED_ROW.to_owned(),
            "text, text, text, bigint",
            "'org', 'case', '', 51",
        ),
        (
            "cases, in a state",
            sql::CASES_PUBLISHED_IN_STATE.to_owned(),
            "text, text, text, bigint",
            "'org', 'case', 'published', 51",
        ),
        (
            "cases of an organisation",
            sql::cases_of_org(Backend::Postgres, false).to_owned(),
            "text, text, text, bigint",
            "'org', '', '', 51",
        ),
        (
            "records, public",
            records::RECORDS_PUBLIC.to_owned(),
            "text, text, text, text, bigint",
            &*format!("'org', {time}, 'case', 'CVE-1', 51"),
        ),
    ];
    for (i, (name, statement, types, values)) in pages.iter().enumerate() {
        sqlx::query(&format!("PREPARE page{i} ({types}) AS {statement}"))
            .execute(&mut connection)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let plan = postgres_plan(&mut connection, name, &format!("EXPLAIN EXECUTE page{i} ({values})")).await;
        // An index scan in order, cut at the page size, is a run (the organisation's own
        // unpublished cases); a bitmap of the organisation's relations, or a hash of
        // them, is every relation it has.
        let whole: Vec<&str> = plan
            .lines()
            .filter(|line| {
                line.contains("Bitmap") && line.contains("case_relations") || line.contains("Hash")
            })
            .collect();
        assert!(whole.is_empty(), "{name} reads the organisation's relations, not the row's:\n{plan}");
    }
}

/// The case pages, with their page size written in ([`sql::with_page_size`]), are
/// planned once and that plan kept: after a few runs PostgreSQL runs them on its plan
/// for every caller instead of planning each request afresh (which cost more than
/// reading the page): the public pages and an organisation's, each the first (whose
/// empty cursor a plan for the values folds away) and the later ones, asked for in turn
/// by a platform and by a reporter of one case in a hundred, and the public pages in a
/// state.
#[tokio::test]
async fn case_pages_keep_their_plan_on_postgresql() {
    let Some((db, mut connection)) = postgres_connection().await else { return };
    // 10,000 cases, three in five published, each with the platform's relation and its
    // reporter's (one of a hundred), and the planner's statistics of them: the sizes at
    // which a limit the planner cannot see made every run plan afresh.
    for statement in [
        "INSERT INTO organisations (id, name, roles, jurisdiction, kind, status, created_at) \
         SELECT id, id, '[]', 'cn', 'organisation', 'active', '2020-01-01' \
         FROM (SELECT 'platform' AS id UNION ALL SELECT 'r' || n FROM generate_series(0, 99) n) o",
        "INSERT INTO cases (id, title, timezone, reporter_org, platform_org, created_at) \
         SELECT 'case-' || lpad(n::text, 6, '0'), 'a case', 'UTC', 'r' || (n % 100), 'platform', \
         '2020-01-01T' || lpad(n::text, 6, '0') FROM generate_series(1, 10000) n",
        "INSERT INTO case_views (case_id, created_at, seq, state, published, projector, projected_at) \
         SELECT id, created_at, 1, 'published', (right(id, 1)::int % 5) < 3, 'test', created_at FROM cases",
        "INSERT INTO case_relations (case_id, org_id, relation, created_at, public) \
         SELECT c.id, c.platform_org, 'platform', c.created_at, v.published FROM cases c JOIN case_views v ON v.case_id = c.id \
         UNION ALL SELECT c.id, c.reporter_org, 'reporter', c.created_at, v.published \
         FROM cases c JOIN case_views v ON v.case_id = c.id",
        "ANALYZE organisations, cases, case_views, case_relations",
    ] {
        sqlx::query(statement).execute(&mut connection).await.unwrap_or_else(|e| panic!("{e}\n{statement}"));
    }
    let pages = [
        ("cases, published, first page", sql::CASES_PUBLISHED_ROW, "", false),
        ("cases, published, later pages", sql::CASES_PUBLISHED_ROW, "", true),
        ("cases, in a state", sql::CASES_PUBLISHED_IN_STATE, "published", true),
        ("cases of an organisation, first page", sql::cases_of_org(Backend::Postgres, false), "", false),
        ("cases of an organisation, later pages", sql::cases_of_org(Backend::Postgres, false), "", true),
    ];
    for (name, statement, state, after_a_case) in pages {
        // The first page's text and a later page's are the same statement: each gets a
        // connection of its own, so that one's runs are not counted as the other's.
        let mut connection = PgConnection::connect(&db.url).await.expect("connect");
        let text = sql::with_page_size(statement, "$4", 51);
        for run in 0..8 {
            let org = if run % 2 == 0 { "platform" } else { "r1" };
            let cursor =
                if after_a_case { format!("case-{:06}", 1_000 + run * 1_000) } else { String::new() };
            sqlx::query(&text)
                .bind(org)
                .bind(cursor)
                .bind(state)
                .fetch_all(&mut connection)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let (generic, custom): (i64, i64) = sqlx::query_as(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
        )
        .bind(&text)
        .fetch_one(&mut connection)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            generic >= 3,
            "{name} was planned afresh: {custom} plans made for one run, {generic} kept plans run"
        );
    }
}
