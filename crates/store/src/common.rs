// The queries of `Store` itself, one of the query modules of both back ends
// (`queries.rs`). Both schemas have the same tables and column types (TEXT times, TEXT
// JSON), and both drivers accept `$N` placeholders, so each statement is written once.
// The helpers the other query modules share are `pub(super)`.

use serde_json::Value;
use sqlx::{Row, Transaction};
use vulnrelay_domain::{AccountRole, Jurisdiction, Role, Timestamp};

use super::coordination_sql::{c_insert_notes, c_insert_products, c_send_notices};
use super::projections_sql::{Totals, reproject, stage_opened};
use super::staged::{Staged, Table};
use super::{BACKEND, Db, FOR_UPDATE, GROUP_COMMIT, Inner, SKIP_LOCKED};
use crate::chain::{canonical_json, event_hash};
use crate::model::*;
use crate::projections::CaseSnapshot;
use crate::time::{format_ts, parse_ts};
use crate::{NewCase, OrgFilter, Result, StoreError, new_id, new_ordered_id};

pub(super) type DbRow = <Db as sqlx::Database>::Row;

/// Writes what an organisation is found by: its roles and its search keys
/// ([`crate::org_pages`]).
async fn index_org(tx: &mut Transaction<'_, Db>, org: &Organisation) -> Result<()> {
    let mut roles: Vec<&str> = org.roles.iter().map(|r| r.as_str()).collect();
    roles.sort_unstable();
    roles.dedup();
    if !roles.is_empty() {
        sqlx::QueryBuilder::<Db>::new("INSERT INTO org_roles (role, org_id) ")
            .push_values(roles, |mut row, role| {
                row.push_bind(role).push_bind(&org.id);
            })
            .push(" ON CONFLICT DO NOTHING")
            .build()
            .execute(&mut **tx)
            .await?;
    }
    sqlx::QueryBuilder::<Db>::new("INSERT INTO org_search_keys (key, org_id) ")
        .push_values(crate::org_pages::search_keys(org), |mut row, key| {
            row.push_bind(key).push_bind(&org.id);
        })
        .push(" ON CONFLICT DO NOTHING")
        .build()
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A transaction that has set the one-row flag table `flags` (`id = 1`, `built`) from
/// not built to built, or none if another process built it already: work to do once
/// after a migration goes in it (on PostgreSQL, a process opening at the same time waits
/// on the flag's row until the transaction ends).
pub(super) async fn claim_once(
    pool: &sqlx::Pool<Db>,
    flags: &str,
) -> Result<Option<Transaction<'static, Db>>> {
    let mut tx = pool.begin().await?;
    let claimed = sqlx::query(&format!("UPDATE {flags} SET built = 1 WHERE id = 1 AND built = 0"))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if claimed == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    Ok(Some(tx))
}

/// Writes the roles and search keys of the organisations stored before they were kept,
/// once: the first process to open the store after the migration does it, in one
/// transaction (on PostgreSQL, another process opening at the same time waits on the
/// flag's row and then finds it built).
pub(crate) async fn build_org_search(pool: &sqlx::Pool<Db>) -> Result<()> {
    let Some(mut tx) = claim_once(pool, "org_search_index").await? else { return Ok(()) };
    let rows = sqlx::query(
        "SELECT * FROM organisations o WHERE NOT EXISTS (SELECT 1 FROM org_search_keys k WHERE k.org_id = o.id)",
    )
    .fetch_all(&mut *tx)
    .await?;
    for row in &rows {
        index_org(&mut tx, &org_from_row(row)?).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) fn ts(text: &str) -> Result<Timestamp> {
    parse_ts(text).ok_or_else(|| StoreError::Corrupt(format!("bad time `{text}`")))
}

pub(super) fn opt_ts(text: Option<String>) -> Result<Option<Timestamp>> {
    text.as_deref().map(ts).transpose()
}

pub(super) fn json(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("bad JSON: {e}")))
}

pub(super) fn not_found(what: &'static str, id: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let id = id.to_owned();
    move |e| match e {
        sqlx::Error::RowNotFound => StoreError::NotFound { what, id },
        other => other.into(),
    }
}

fn split_roles<T: std::str::FromStr>(text: &str) -> Result<Vec<T>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|_| StoreError::Corrupt(format!("unknown role `{s}`"))))
        .collect()
}

fn status(text: &str) -> Result<Status> {
    Status::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown status `{text}`")))
}

/// An organisation's columns as stored, in [`ORG_COLUMNS`]' order.
type OrgColumns = (String, String, Option<String>, String, String, String, String, String);

/// The columns of `organisations` as [`OrgColumns`] holds them.
const ORG_COLUMNS: &str = "id, name, name_zh, roles, jurisdiction, kind, status, created_at";

fn org_from_columns(columns: OrgColumns) -> Result<Organisation> {
    let (id, name, name_zh, roles, jurisdiction, kind, org_status, created_at) = columns;
    Ok(Organisation {
        id,
        name,
        name_zh,
        roles: split_roles::<Role>(&roles)?,
        jurisdiction: jurisdiction.parse::<Jurisdiction>().map_err(|e| StoreError::Corrupt(e.to_string()))?,
        individual: kind == "individual",
        status: status(&org_status)?,
        created_at: ts(&created_at)?,
    })
}

fn org_from_row(row: &DbRow) -> Result<Organisation> {
    org_from_columns((
        row.try_get("id")?,
        row.try_get("name")?,
        row.try_get("name_zh")?,
        row.try_get("roles")?,
        row.try_get("jurisdiction")?,
        row.try_get("kind")?,
        row.try_get("status")?,
        row.try_get("created_at")?,
    ))
}

/// The aggregate that gives SQLite's rows as one row: a JSON array of `columns` a row,
/// in `order`. SQLite's rows cross from its connection's thread one by one, each a
/// hand-off and a wake-up; a page crosses as one.
pub(super) fn one_row(columns: &str, order: &str) -> String {
    format!("json_group_array(json_array({columns}) ORDER BY {order})")
}

/// `statement` as it is read as a page: on SQLite [`one_row`] of its `columns` in
/// `order` (the column `page`), on PostgreSQL the statement itself.
pub(super) fn page_statement<'s>(
    statement: &'s str,
    columns: &str,
    order: &str,
) -> std::borrow::Cow<'s, str> {
    match BACKEND {
        crate::Backend::Sqlite => {
            std::borrow::Cow::Owned(format!("SELECT {} AS page FROM ({statement})", one_row(columns, order)))
        }
        crate::Backend::Postgres => std::borrow::Cow::Borrowed(statement),
    }
}

/// The page `query` (a [`page_statement`]) gives: on SQLite its one row read by
/// `from_json`, on PostgreSQL each row read by `from_row`.
pub(super) async fn read_page<'q, T>(
    query: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    pool: &sqlx::Pool<Db>,
    from_json: impl FnOnce(&str) -> Result<Vec<T>>,
    from_row: impl FnMut(&DbRow) -> Result<T>,
) -> Result<Vec<T>> {
    match BACKEND {
        crate::Backend::Sqlite => from_json(&query.fetch_one(pool).await?.try_get::<String, _>("page")?),
        crate::Backend::Postgres => query.fetch_all(pool).await?.iter().map(from_row).collect(),
    }
}

/// Organisations as [`one_row`] of [`ORG_COLUMNS`] gives them.
fn orgs_from_json(page: &str) -> Result<Vec<Organisation>> {
    serde_json::from_str::<Vec<OrgColumns>>(page)
        .map_err(|e| StoreError::Corrupt(format!("a page of organisations: {e}")))?
        .into_iter()
        .map(org_from_columns)
        .collect()
}

fn account_from_row(row: &DbRow) -> Result<Account> {
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        org_id: row.try_get("org_id")?,
        roles: split_roles::<AccountRole>(&row.try_get::<String, _>("roles")?)?,
        status: status(&row.try_get::<String, _>("status")?)?,
        created_at: ts(&row.try_get::<String, _>("created_at")?)?,
    })
}

fn token_from_row(row: &DbRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        name: row.try_get("name")?,
        created_at: ts(&row.try_get::<String, _>("created_at")?)?,
        revoked_at: opt_ts(row.try_get("revoked_at")?)?,
    })
}

/// A case's columns as stored, in [`CASE_COLUMNS`]' order.
pub(super) type CaseColumns = (String, String, String, String, String, String, i64, Option<String>);

/// The columns of `cases` as [`CaseColumns`] holds them.
pub(super) const CASE_COLUMNS: &str =
    "id, title, timezone, reporter_org, platform_org, created_at, last_seq, planned_public_at";

/// A case's record from its columns.
pub(super) fn case_from_columns(columns: CaseColumns) -> Result<CaseRecord> {
    let (id, title, timezone, reporter_org, platform_org, created_at, last_seq, planned_public_at) = columns;
    Ok(CaseRecord {
        id,
        title,
        timezone,
        reporter_org,
        platform_org,
        created_at: ts(&created_at)?,
        last_seq,
        planned_public_at: opt_ts(planned_public_at)?,
    })
}

pub(super) fn case_from_row(row: &DbRow) -> Result<CaseRecord> {
    case_from_columns((
        row.try_get("id")?,
        row.try_get("title")?,
        row.try_get("timezone")?,
        row.try_get("reporter_org")?,
        row.try_get("platform_org")?,
        row.try_get("created_at")?,
        row.try_get("last_seq")?,
        row.try_get("planned_public_at")?,
    ))
}

pub(super) fn event_from_row(row: &DbRow) -> Result<StoredEvent> {
    Ok(StoredEvent {
        case_id: row.try_get("case_id")?,
        seq: row.try_get("seq")?,
        at: ts(&row.try_get::<String, _>("at")?)?,
        recorded_at: ts(&row.try_get::<String, _>("recorded_at")?)?,
        recorded_by: row.try_get("recorded_by")?,
        override_reason: row.try_get("override_reason")?,
        body: row.try_get("body")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

pub(super) fn receipt_from_row(row: &DbRow) -> Result<Receipt> {
    Ok(Receipt {
        id: row.try_get("id")?,
        case_id: row.try_get("case_id")?,
        received_at: ts(&row.try_get::<String, _>("received_at")?)?,
        channel: row.try_get("channel")?,
        submitter: row.try_get("submitter")?,
    })
}

fn attachment_from_row(row: &DbRow) -> Result<Attachment> {
    Ok(Attachment {
        id: row.try_get("id")?,
        case_id: row.try_get("case_id")?,
        filename: row.try_get("filename")?,
        media_type: row.try_get("media_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        exploit_code: row.try_get("exploit_code")?,
    })
}

fn membership_from_row(row: &DbRow) -> Result<MembershipChange> {
    membership_from_columns(row, "")
}

/// A membership change from the columns of `row` whose names start with `prefix` (a
/// change read beside its organisation, its columns renamed `m_…`).
fn membership_from_columns(row: &DbRow, prefix: &str) -> Result<MembershipChange> {
    let column = |name: &str| format!("{prefix}{name}");
    let kind: String = row.try_get(column("change").as_str())?;
    let change = match kind.as_str() {
        "joined" => MembershipChangeKind::Joined,
        "suspended" => MembershipChangeKind::Suspended {
            until: opt_ts(row.try_get(column("until").as_str())?)?,
            reason: row.try_get::<Option<String>, _>(column("reason").as_str())?.unwrap_or_default(),
            findings: serde_json::from_value(json(&row.try_get::<String, _>(column("findings").as_str())?)?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        },
        "restored" => MembershipChangeKind::Restored {
            review: row.try_get::<Option<String>, _>(column("review").as_str())?.unwrap_or_default(),
        },
        "ended" => MembershipChangeKind::Ended,
        other => return Err(StoreError::Corrupt(format!("unknown membership change `{other}`"))),
    };
    Ok(MembershipChange {
        org_id: row.try_get(column("org_id").as_str())?,
        scheme: row.try_get(column("scheme").as_str())?,
        at: ts(&row.try_get::<String, _>(column("at").as_str())?)?,
        change,
        by_account: row.try_get(column("by_account").as_str())?,
    })
}

/// Writes one membership change (history is append-only).
pub(super) async fn insert_membership_change(
    tx: &mut Transaction<'_, Db>,
    change: &MembershipChange,
    recorded_at: Timestamp,
) -> Result<()> {
    let (until, reason, findings, review) = match &change.change {
        MembershipChangeKind::Suspended { until, reason, findings } => {
            (until.map(format_ts), Some(reason.clone()), serde_json::json!(findings), None)
        }
        MembershipChangeKind::Restored { review } => {
            (None, None, serde_json::json!([]), Some(review.clone()))
        }
        _ => (None, None, serde_json::json!([]), None),
    };
    sqlx::query(
        "INSERT INTO membership_changes (id, org_id, scheme, change, at, until, reason, findings, review, \
         by_account, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id())
    .bind(&change.org_id)
    .bind(&change.scheme)
    .bind(change.change.as_str())
    .bind(format_ts(change.at))
    .bind(until)
    .bind(reason)
    .bind(canonical_json(&findings))
    .bind(review)
    .bind(&change.by_account)
    .bind(format_ts(recorded_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_outbox(
    tx: &mut Transaction<'_, Db>,
    message: &NewOutboxMessage,
    at: Timestamp,
) -> Result<()> {
    let mut staged = Staged::default();
    stage_outbox(&mut staged, message, at);
    staged.write(tx).await
}

/// Stages what [`insert_outbox`] writes.
pub(super) fn stage_outbox(staged: &mut Staged, message: &NewOutboxMessage, at: Timestamp) {
    staged.row(
        Table::Outbox,
        [
            new_ordered_id().into(),
            (&message.topic).into(),
            canonical_json(&message.payload).into(),
            format_ts(at).into(),
        ],
    );
}

pub(super) async fn insert_parties(
    tx: &mut Transaction<'_, Db>,
    case_id: &str,
    parties: &[Fragment],
    at: Timestamp,
) -> Result<()> {
    for party in parties {
        let position: i64 = sqlx::query("SELECT COUNT(*) AS n FROM case_parties WHERE case_id = $1")
            .bind(case_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
        sqlx::query(
            "INSERT INTO case_parties (case_id, party_id, position, party, added_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (case_id, party_id) DO NOTHING",
        )
        .bind(case_id)
        .bind(&party.id)
        .bind(position)
        .bind(canonical_json(&party.value))
        .bind(format_ts(at))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Appends events to a case whose row the transaction holds (locked on PostgreSQL;
/// the single writer on SQLite), chaining each to the last.
pub(super) async fn append_events(
    tx: &mut Transaction<'_, Db>,
    case_id: &str,
    expected_seq: Option<i64>,
    events: &[NewEvent],
    recorded_at: Timestamp,
) -> Result<Vec<StoredEvent>> {
    let row = sqlx::query(&format!("SELECT last_seq FROM cases WHERE id = $1{FOR_UPDATE}"))
        .bind(case_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(not_found("case", case_id))?;
    let last_seq: i64 = row.try_get("last_seq")?;
    if let Some(expected) = expected_seq
        && expected != last_seq
    {
        return Err(StoreError::Stale { case_id: case_id.to_owned(), expected, found: last_seq });
    }
    let prev_hash = if last_seq == 0 {
        String::new()
    } else {
        sqlx::query("SELECT hash FROM events WHERE case_id = $1 AND seq = $2")
            .bind(case_id)
            .bind(last_seq)
            .fetch_one(&mut **tx)
            .await?
            .try_get("hash")?
    };
    let stored = insert_chained(tx, case_id, last_seq, prev_hash, events, recorded_at).await?;
    sqlx::query("UPDATE cases SET last_seq = $1 WHERE id = $2")
        .bind(last_seq + events.len() as i64)
        .bind(case_id)
        .execute(&mut **tx)
        .await?;
    Ok(stored)
}

/// Inserts `events` after the event `last_seq` of case `case_id` whose hash is
/// `prev_hash` (none: `last_seq` 0, an empty hash), each chained to the one before;
/// the case's `last_seq` is the caller's to set.
async fn insert_chained(
    tx: &mut Transaction<'_, Db>,
    case_id: &str,
    last_seq: i64,
    prev_hash: String,
    events: &[NewEvent],
    recorded_at: Timestamp,
) -> Result<Vec<StoredEvent>> {
    let mut staged = Staged::default();
    let stored = stage_chained(&mut staged, case_id, last_seq, prev_hash, events, recorded_at);
    staged.write(tx).await?;
    Ok(stored)
}

/// Stages `events` as [`insert_chained`] inserts them, and answers them as stored.
fn stage_chained(
    staged: &mut Staged,
    case_id: &str,
    last_seq: i64,
    mut prev_hash: String,
    events: &[NewEvent],
    recorded_at: Timestamp,
) -> Vec<StoredEvent> {
    let recorded_at = crate::time::truncate(recorded_at);
    let mut stored = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let mut record = StoredEvent {
            case_id: case_id.to_owned(),
            seq: last_seq + 1 + i as i64,
            at: crate::time::truncate(event.at),
            recorded_at,
            recorded_by: event.recorded_by.clone(),
            override_reason: event.override_reason.clone(),
            body: canonical_json(&event.body),
            prev_hash: prev_hash.clone(),
            hash: String::new(),
        };
        record.hash = event_hash(&record);
        prev_hash = record.hash.clone();
        staged.row(
            Table::Events,
            [
                record.case_id.clone().into(),
                record.seq.into(),
                format_ts(record.at).into(),
                format_ts(record.recorded_at).into(),
                record.recorded_by.clone().into(),
                record.override_reason.clone().into(),
                record.body.clone().into(),
                record.prev_hash.clone().into(),
                record.hash.clone().into(),
            ],
        );
        stored.push(record);
    }
    stored
}

/// The most rows one multi-row `INSERT` writes on SQLite, and the most values one bound
/// `IN` list holds (under both back ends' limits on bound parameters).
pub(super) use crate::rows::ROWS_PER_INSERT;

/// Writes the report that opened case `case_id` and its attachments; returns the
/// report's id.
pub(super) async fn insert_report(
    tx: &mut Transaction<'_, Db>,
    case_id: &str,
    body: &Value,
    idempotency_key: Option<&str>,
    submitted_by: Option<&str>,
    attachments: &[NewAttachment],
    at: Timestamp,
) -> Result<String> {
    let mut staged = Staged::default();
    let report_id = stage_report(&mut staged, case_id, body, idempotency_key, submitted_by, attachments, at);
    staged.write(tx).await?;
    Ok(report_id)
}

/// Stages what [`insert_report`] writes; returns the report's id.
fn stage_report(
    staged: &mut Staged,
    case_id: &str,
    body: &Value,
    idempotency_key: Option<&str>,
    submitted_by: Option<&str>,
    attachments: &[NewAttachment],
    at: Timestamp,
) -> String {
    use sha2::Digest;
    let report_id = new_ordered_id();
    staged.row(
        Table::Reports,
        [
            (&report_id).into(),
            case_id.into(),
            idempotency_key.into(),
            submitted_by.into(),
            canonical_json(body).into(),
            format_ts(at).into(),
        ],
    );
    for attachment in attachments {
        staged.row(
            Table::Attachments,
            [
                new_ordered_id().into(),
                case_id.into(),
                (&attachment.filename).into(),
                (&attachment.media_type).into(),
                (attachment.content.len() as i64).into(),
                hex::encode(sha2::Sha256::digest(&attachment.content)).into(),
                attachment.exploit_code.into(),
                attachment.content.clone().into(),
            ],
        );
    }
    report_id
}

pub(super) async fn insert_case(tx: &mut Transaction<'_, Db>, case: &NewCase) -> Result<String> {
    Ok(open_case(tx, case).await?.record.id)
}

/// Opens a case in `tx` with its parties, products and first events, and answers it as
/// the transaction now holds it (what its first views are projected from, without
/// reading back what was just written).
pub(super) async fn open_case(tx: &mut Transaction<'_, Db>, case: &NewCase) -> Result<CaseSnapshot> {
    let mut staged = Staged::default();
    let opened = stage_case(&mut staged, case);
    staged.write(tx).await?;
    Ok(opened)
}

/// Stages a new case with its parties, products and first events (written by
/// [`Staged::write`]), and answers it as the transaction will hold it. A new case's
/// parties take positions from 0 on; a party named twice joins once, as the first time.
pub(super) fn stage_case(staged: &mut Staged, case: &NewCase) -> CaseSnapshot {
    // Its millisecond and 48 random bits (`new_ordered_id`): a group of new cases shares
    // the last pages of every table keyed by the case.
    let case_id = format!("case-{}", &new_ordered_id()[..24]);
    let last_seq = case.events.len() as i64;
    let created_at = format_ts(case.created_at);
    staged.row(
        Table::Cases,
        [
            (&case_id).into(),
            (&case.title).into(),
            (&case.timezone).into(),
            (&case.reporter_org).into(),
            (&case.platform_org).into(),
            (&created_at).into(),
            last_seq.into(),
        ],
    );
    let mut parties: Vec<Fragment> = Vec::with_capacity(case.parties.len());
    let mut seen = std::collections::HashSet::new();
    for party in &case.parties {
        if seen.insert(party.id.as_str()) {
            parties.push(party.clone());
        }
    }
    for (position, party) in parties.iter().enumerate() {
        staged.row(
            Table::CaseParties,
            [
                (&case_id).into(),
                (&party.id).into(),
                (position as i64).into(),
                canonical_json(&party.value).into(),
                (&created_at).into(),
            ],
        );
    }
    for (position, product) in case.products.iter().enumerate() {
        staged.row(
            Table::CaseProducts,
            [
                (&case_id).into(),
                (&product.id).into(),
                (position as i64).into(),
                canonical_json(&product.value).into(),
            ],
        );
    }
    let events = stage_chained(staged, &case_id, 0, String::new(), &case.events, case.created_at);
    let record = CaseRecord {
        id: case_id,
        title: case.title.clone(),
        timezone: case.timezone.clone(),
        reporter_org: case.reporter_org.clone(),
        platform_org: case.platform_org.clone(),
        created_at: crate::time::truncate(case.created_at),
        last_seq,
        planned_public_at: None,
    };
    CaseSnapshot {
        record,
        parties,
        products: case.products.clone(),
        events,
        one_product_until: None,
        first_warning: None,
    }
}

#[async_trait::async_trait]
impl crate::Store for Inner {
    fn backend(&self) -> crate::Backend {
        BACKEND
    }

    async fn create_org(&self, org: &Organisation) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO organisations (id, name, roles, jurisdiction, kind, status, created_at, name_zh) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&org.id)
        .bind(&org.name)
        .bind(Organisation::roles_text(&org.roles))
        .bind(org.jurisdiction.as_str())
        .bind(if org.individual { "individual" } else { "organisation" })
        .bind(org.status.as_str())
        .bind(format_ts(org.created_at))
        .bind(&org.name_zh)
        .execute(&mut *tx)
        .await?;
        index_org(&mut tx, org).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn org(&self, id: &str) -> Result<Organisation> {
        let row = sqlx::query("SELECT * FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("organisation", id))?;
        org_from_row(&row)
    }

    async fn list_orgs(&self, status: Option<Status>) -> Result<Vec<Organisation>> {
        let rows = sqlx::query("SELECT * FROM organisations WHERE $1 = '' OR status = $1 ORDER BY id")
            .bind(status.map_or("", Status::as_str))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(org_from_row).collect()
    }

    async fn orgs_page(&self, filter: &OrgFilter<'_>) -> Result<Vec<Organisation>> {
        use crate::org_pages::{
            ANY_STATUS, OF_ROLE, OF_STATUS, ROLE_IDS, key_ids, key_range_end, search_text,
        };
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let text = filter.text.map(search_text).filter(|t| !t.is_empty());
        let mut after = filter.after.unwrap_or("").to_owned();
        if text.is_none() && filter.roles.is_empty() {
            let sql = if filter.status.is_some() { OF_STATUS } else { ANY_STATUS };
            let sql = page_statement(sql, ORG_COLUMNS, "id");
            let page =
                sqlx::query(&sql).bind(filter.status.map_or("", Status::as_str)).bind(&after).bind(limit);
            return read_page(page, &self.reader, orgs_from_json, org_from_row).await;
        }
        if let (crate::Backend::Sqlite, [role], None) = (BACKEND, filter.roles, &text) {
            // One role's holders, their rows joined by key: one statement (see OF_ROLE).
            let sql = page_statement(OF_ROLE, ORG_COLUMNS, "id");
            let page = sqlx::query(&sql)
                .bind(role.as_str())
                .bind(&after)
                .bind(limit)
                .bind(filter.status.map_or("", Status::as_str));
            return read_page(page, &self.reader, orgs_from_json, org_from_row).await;
        }
        let mut orgs = Vec::new();
        // Rounds of candidates by id, each holding one of the roles (both statements see
        // to it); their rows are read and kept if of the status asked for.
        loop {
            let (candidates, last_round) = match &text {
                // A search's candidates come in one round, at most CANDIDATES of them.
                Some(text) => {
                    let sql = key_ids(filter.roles.len());
                    let mut query = sqlx::query(&sql).bind(text).bind(key_range_end(text)).bind(&after);
                    for role in filter.roles {
                        query = query.bind(role.as_str());
                    }
                    let rows = query.fetch_all(&self.reader).await?;
                    let mut ids = rows
                        .iter()
                        .map(|row| row.try_get("org_id"))
                        .collect::<sqlx::Result<Vec<String>>>()?;
                    ids.sort_unstable();
                    (ids, true)
                }
                // A page of each role's holders, merged by id; the next round starts
                // after the last of them.
                None => {
                    let mut ids = Vec::new();
                    let mut exhausted = true;
                    for role in filter.roles {
                        let sql = page_statement(ROLE_IDS, "org_id", "org_id");
                        let holders = sqlx::query(&sql).bind(role.as_str()).bind(&after).bind(limit);
                        let from_json = |page: &str| {
                            serde_json::from_str::<Vec<(String,)>>(page)
                                .map(|ids| ids.into_iter().map(|(id,)| id).collect())
                                .map_err(|e| StoreError::Corrupt(format!("a role's holders: {e}")))
                        };
                        let from_row = |row: &DbRow| Ok(row.try_get::<String, _>("org_id")?);
                        let mut holders = read_page(holders, &self.reader, from_json, from_row).await?;
                        exhausted &= holders.len() < filter.limit;
                        ids.append(&mut holders);
                    }
                    ids.sort_unstable();
                    ids.dedup();
                    ids.truncate(filter.limit);
                    (ids, exhausted)
                }
            };
            for chunk in candidates.chunks(filter.limit.max(1)) {
                let read = match BACKEND {
                    crate::Backend::Sqlite => {
                        let mut sql = sqlx::QueryBuilder::<Db>::new(format!(
                            "SELECT {} AS page FROM organisations WHERE id IN (",
                            one_row(ORG_COLUMNS, "id")
                        ));
                        let mut list = sql.separated(", ");
                        for id in chunk {
                            list.push_bind(id);
                        }
                        sql.push(")");
                        read_page(sql.build(), &self.reader, orgs_from_json, org_from_row).await?
                    }
                    // One statement for any number of ids, given as a JSON array: planned
                    // once, it looks each id up by the key, where an `IN` list of fifty
                    // was planned afresh each time as a scan of every organisation.
                    crate::Backend::Postgres => {
                        let ids =
                            serde_json::to_string(chunk).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        let sql = sqlx::query(crate::org_pages::BY_IDS).bind(ids);
                        read_page(sql, &self.reader, orgs_from_json, org_from_row).await?
                    }
                };
                orgs.extend(read.into_iter().filter(|org| filter.status.is_none_or(|s| org.status == s)));
                if orgs.len() >= filter.limit {
                    orgs.truncate(filter.limit);
                    return Ok(orgs);
                }
            }
            match candidates.last() {
                Some(last) if !last_round => after.clone_from(last),
                _ => return Ok(orgs),
            }
        }
    }

    async fn decide_org(
        &self,
        id: &str,
        status: Status,
        by: &str,
        note: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let current: String =
            sqlx::query(&format!("SELECT status FROM organisations WHERE id = $1{FOR_UPDATE}"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(not_found("organisation", id))?
                .try_get("status")?;
        if current != "pending" {
            return Err(StoreError::Conflict(format!("organisation `{id}` is {current}, not pending")));
        }
        sqlx::query(
            "UPDATE organisations SET status = $1, decided_at = $2, decided_by = $3, decision_note = $4 WHERE id = $5",
        )
        .bind(status.as_str())
        .bind(format_ts(at))
        .bind(by)
        .bind(note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_membership_change(&self, change: &MembershipChange) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        insert_membership_change(&mut tx, change, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn membership_history(&self, org_id: &str) -> Result<Vec<MembershipChange>> {
        let rows =
            sqlx::query("SELECT * FROM membership_changes WHERE org_id = $1 ORDER BY at, recorded_at, id")
                .bind(org_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(membership_from_row).collect()
    }

    async fn orgs_with_history(&self, ids: &[&str]) -> Result<Vec<(Organisation, Vec<MembershipChange>)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // One statement (one snapshot, one hand-off to the reader): each organisation
        // with its changes, a row per change (or one with none), in history order.
        let mut query = sqlx::QueryBuilder::<Db>::new(
            "SELECT o.*, m.id AS m_id, m.org_id AS m_org_id, m.scheme AS m_scheme, m.change AS m_change, \
             m.at AS m_at, m.until AS m_until, m.reason AS m_reason, m.findings AS m_findings, \
             m.review AS m_review, m.by_account AS m_by_account \
             FROM organisations o LEFT JOIN membership_changes m ON m.org_id = o.id WHERE o.id IN (",
        );
        let mut list = query.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        query.push(") ORDER BY o.id, m.at, m.recorded_at, m.id");
        let rows = query.build().fetch_all(&self.reader).await?;
        let mut out: Vec<(Organisation, Vec<MembershipChange>)> = Vec::new();
        for row in &rows {
            let id: String = row.try_get("id")?;
            if out.last().is_none_or(|(org, _)| org.id != id) {
                out.push((org_from_row(row)?, Vec::new()));
            }
            if row.try_get::<Option<String>, _>("m_id")?.is_some()
                && let Some((_, history)) = out.last_mut()
            {
                history.push(membership_from_columns(row, "m_")?);
            }
        }
        Ok(out)
    }

    async fn create_account(&self, account: &NewAccount, at: Timestamp) -> Result<Account> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO accounts (id, email, name, password_hash, org_id, roles, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(account.email.to_lowercase())
        .bind(&account.name)
        .bind(&account.password_hash)
        .bind(&account.org_id)
        .bind(account_roles_text(&account.roles))
        .bind(account.status.as_str())
        .bind(format_ts(at))
        .execute(&self.writer)
        .await?;
        Ok(Account {
            id,
            email: account.email.to_lowercase(),
            name: account.name.clone(),
            password_hash: account.password_hash.clone(),
            org_id: account.org_id.clone(),
            roles: account.roles.clone(),
            status: account.status,
            created_at: crate::time::truncate(at),
        })
    }

    async fn account(&self, id: &str) -> Result<Account> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("account", id))?;
        account_from_row(&row)
    }

    async fn account_by_email(&self, email: &str) -> Result<Account> {
        let row = sqlx::query("SELECT * FROM accounts WHERE email = $1")
            .bind(email.to_lowercase())
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("account", email))?;
        account_from_row(&row)
    }

    async fn list_accounts(&self, status: Option<Status>) -> Result<Vec<Account>> {
        let rows = sqlx::query("SELECT * FROM accounts WHERE $1 = '' OR status = $1 ORDER BY created_at, id")
            .bind(status.map_or("", Status::as_str))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(account_from_row).collect()
    }

    async fn decide_account(&self, id: &str, status: Status) -> Result<()> {
        let done = sqlx::query("UPDATE accounts SET status = $1 WHERE id = $2 AND status = 'pending'")
            .bind(status.as_str())
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            let account = self.account(id).await?;
            return Err(StoreError::Conflict(format!(
                "account `{id}` is {}, not pending",
                account.status.as_str()
            )));
        }
        Ok(())
    }

    async fn create_token(
        &self,
        account_id: &str,
        name: &str,
        token_hash: &str,
        at: Timestamp,
    ) -> Result<ApiToken> {
        let id = new_id();
        sqlx::query("INSERT INTO api_tokens (id, account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(account_id)
            .bind(name)
            .bind(token_hash)
            .bind(format_ts(at))
            .execute(&self.writer)
            .await?;
        Ok(ApiToken {
            id,
            account_id: account_id.to_owned(),
            name: name.to_owned(),
            created_at: crate::time::truncate(at),
            revoked_at: None,
        })
    }

    async fn account_by_token(&self, token_hash: &str) -> Result<Account> {
        let row = sqlx::query(
            "SELECT a.* FROM accounts a JOIN api_tokens t ON t.account_id = a.id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_one(&self.reader)
        .await
        .map_err(not_found("token", "(hidden)"))?;
        account_from_row(&row)
    }

    async fn list_tokens(&self, account_id: &str) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query("SELECT * FROM api_tokens WHERE account_id = $1 ORDER BY created_at, id")
            .bind(account_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_token(&self, account_id: &str, token_id: &str, at: Timestamp) -> Result<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
        )
        .bind(format_ts(at))
        .bind(token_id)
        .bind(account_id)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "token", id: token_id.to_owned() });
        }
        Ok(())
    }

    async fn create_session(&self, id_hash: &str, session: &Session, at: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, account_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(&session.account_id)
        .bind(&session.csrf_token)
        .bind(format_ts(at))
        .bind(format_ts(session.expires_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> Result<Session> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("session", "(hidden)"))?;
        Ok(Session {
            account_id: row.try_get("account_id")?,
            csrf_token: row.try_get("csrf_token")?,
            expires_at: ts(&row.try_get::<String, _>("expires_at")?)?,
        })
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.writer).await?;
        Ok(())
    }

    async fn take_report(&self, report: &NewReport) -> Result<Intake> {
        // Made ready here, on the caller's task, so that the writer only writes.
        let prepared = prepare_report(self.projector().as_deref(), report);
        let taken = if GROUP_COMMIT {
            let store = self.clone();
            let write = move |group: Vec<PreparedReport>| {
                let store = store.clone();
                async move { store.take_reports(group).await }
            };
            self.intake.submit(prepared, write).await
        } else {
            self.take_report_once(&prepared).await
        };
        match taken {
            // Another server took the same submission in the same moment and committed
            // first (the key is unique): its intake is the answer.
            Err(StoreError::Conflict(conflict)) => match &report.idempotency_key {
                Some(key) => {
                    let mut tx = self.writer.begin().await?;
                    let known = intake_by_key(&mut tx, key).await?;
                    tx.commit().await?;
                    known.ok_or(StoreError::Conflict(conflict))
                }
                None => Err(StoreError::Conflict(conflict)),
            },
            other => other,
        }
    }

    async fn import_case(&self, case: &NewCase) -> Result<String> {
        let ids = self.import_cases(std::slice::from_ref(case)).await?;
        ids.into_iter().next().ok_or_else(|| StoreError::Corrupt("an import wrote no case".into()))
    }

    async fn import_cases(&self, cases: &[NewCase]) -> Result<Vec<String>> {
        let projector = self.projector();
        let mut tx = self.writer.begin().await?;
        let mut ids = Vec::with_capacity(cases.len());
        let (mut staged, mut totals) = (Staged::default(), Totals::default());
        for case in cases {
            let opened = stage_case(&mut staged, case);
            let case_id = opened.record.id.clone();
            let message = NewOutboxMessage {
                topic: "case.imported".into(),
                payload: serde_json::json!({"case": case_id}),
            };
            stage_outbox(&mut staged, &message, case.created_at);
            stage_opened(&mut totals, &mut staged, projector.as_deref(), &opened, case.created_at);
            ids.push(case_id);
        }
        staged.write(&mut tx).await?;
        totals.write(&mut tx).await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn report(&self, case_id: &str) -> Result<ReportRecord> {
        let row = sqlx::query("SELECT * FROM reports WHERE case_id = $1")
            .bind(case_id)
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("report", case_id))?;
        Ok(ReportRecord {
            id: row.try_get("id")?,
            case_id: row.try_get("case_id")?,
            submitted_by: row.try_get("submitted_by")?,
            body: json(&row.try_get::<String, _>("body")?)?,
            created_at: ts(&row.try_get::<String, _>("created_at")?)?,
        })
    }

    async fn refuse_event(&self, refusal: &GateRefusal) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO gate_refusals (id, case_id, at, recorded_by, party, event_type, recipient, rules) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(&refusal.case_id)
        .bind(format_ts(refusal.at))
        .bind(&refusal.recorded_by)
        .bind(&refusal.party)
        .bind(&refusal.event_type)
        .bind(&refusal.recipient)
        .bind(canonical_json(&refusal.rules))
        .execute(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::InvalidReference(format!("case `{}`", refusal.case_id))
            }
            other => other.into(),
        })?;
        sqlx::query(
            "DELETE FROM gate_refusals WHERE case_id = $1 AND id NOT IN \
             (SELECT id FROM gate_refusals WHERE case_id = $1 ORDER BY at DESC, id DESC LIMIT $2)",
        )
        .bind(&refusal.case_id)
        .bind(crate::GATE_REFUSALS_KEPT)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn gate_refusals(&self, case_id: &str) -> Result<Vec<GateRefusal>> {
        let rows = sqlx::query("SELECT * FROM gate_refusals WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(GateRefusal {
                    case_id: row.try_get("case_id")?,
                    at: ts(&row.try_get::<String, _>("at")?)?,
                    recorded_by: row.try_get("recorded_by")?,
                    party: row.try_get("party")?,
                    event_type: row.try_get("event_type")?,
                    recipient: row.try_get("recipient")?,
                    rules: json(&row.try_get::<String, _>("rules")?)?,
                })
            })
            .collect()
    }

    async fn attachments(&self, case_id: &str) -> Result<Vec<Attachment>> {
        let rows = sqlx::query(
            "SELECT id, case_id, filename, media_type, size, sha256, exploit_code FROM attachments \
             WHERE case_id = $1 ORDER BY filename, id",
        )
        .bind(case_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(attachment_from_row).collect()
    }

    async fn attachment(&self, case_id: &str, id: &str) -> Result<(Attachment, Vec<u8>)> {
        let row = sqlx::query("SELECT * FROM attachments WHERE case_id = $1 AND id = $2")
            .bind(case_id)
            .bind(id)
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("attachment", id))?;
        Ok((attachment_from_row(&row)?, row.try_get("content")?))
    }

    async fn case(&self, id: &str) -> Result<CaseRecord> {
        let row = sqlx::query("SELECT * FROM cases WHERE id = $1")
            .bind(id)
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("case", id))?;
        case_from_row(&row)
    }

    async fn case_snapshot(&self, id: &str) -> Result<CaseSnapshot> {
        // One statement: one snapshot without a transaction's round trips.
        super::projections_sql::read_case(&self.reader, id).await
    }

    async fn case_snapshot_with_report(&self, id: &str) -> Result<(CaseSnapshot, Option<ReportRecord>)> {
        super::projections_sql::read_case_and_report(&self.reader, id, true).await
    }

    async fn list_cases(&self) -> Result<Vec<CaseRecord>> {
        let rows = sqlx::query("SELECT * FROM cases ORDER BY created_at, id").fetch_all(&self.reader).await?;
        rows.iter().map(case_from_row).collect()
    }

    async fn case_parties(&self, case_id: &str) -> Result<Vec<Fragment>> {
        let rows =
            sqlx::query("SELECT party_id, party FROM case_parties WHERE case_id = $1 ORDER BY position")
                .bind(case_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(Fragment {
                    id: row.try_get("party_id")?,
                    value: json(&row.try_get::<String, _>("party")?)?,
                })
            })
            .collect()
    }

    async fn case_products(&self, case_id: &str) -> Result<Vec<Fragment>> {
        let rows =
            sqlx::query("SELECT product_id, product FROM case_products WHERE case_id = $1 ORDER BY position")
                .bind(case_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(Fragment {
                    id: row.try_get("product_id")?,
                    value: json(&row.try_get::<String, _>("product")?)?,
                })
            })
            .collect()
    }

    async fn events(&self, case_id: &str) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query("SELECT * FROM events WHERE case_id = $1 ORDER BY seq")
            .bind(case_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn change_case(
        &self,
        case_id: &str,
        change: &CaseChange,
        at: Timestamp,
    ) -> Result<Vec<StoredEvent>> {
        let mut tx = self.writer.begin().await?;
        let stored = append_events(&mut tx, case_id, change.expected_seq, &change.events, at).await?;
        insert_parties(&mut tx, case_id, &change.parties, at).await?;
        let before = stored.first().map_or(0, |e| e.seq - 1);
        c_insert_products(&mut tx, case_id, &change.products, before).await?;
        c_insert_notes(&mut tx, case_id, &change.private_notes, &stored, at).await?;
        c_send_notices(&mut tx, &change.notices, at).await?;
        for message in &change.outbox {
            insert_outbox(&mut tx, message, at).await?;
        }
        reproject(&mut tx, self.projector().as_deref(), case_id, at).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn set_embargo(
        &self,
        case_id: &str,
        planned: Option<Timestamp>,
        by: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("UPDATE cases SET planned_public_at = $1 WHERE id = $2")
            .bind(planned.map(format_ts))
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "case", id: case_id.to_owned() });
        }
        sqlx::query("INSERT INTO embargoes (id, case_id, planned_public_at, set_at, set_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(new_id())
            .bind(case_id)
            .bind(planned.map(format_ts))
            .bind(format_ts(at))
            .bind(by)
            .execute(&mut *tx)
            .await?;
        let message = NewOutboxMessage {
            topic: "case.embargo".into(),
            payload: serde_json::json!({"case": case_id, "planned_public_at": planned.map(format_ts)}),
        };
        insert_outbox(&mut tx, &message, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_comment(
        &self,
        case_id: &str,
        account_id: Option<&str>,
        body: &str,
        at: Timestamp,
    ) -> Result<Comment> {
        let id = new_id();
        sqlx::query("INSERT INTO comments (id, case_id, account_id, at, body) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id)
            .bind(case_id)
            .bind(account_id)
            .bind(format_ts(at))
            .bind(body)
            .execute(&self.writer)
            .await?;
        Ok(Comment {
            id,
            case_id: case_id.to_owned(),
            account_id: account_id.map(str::to_owned),
            at: crate::time::truncate(at),
            body: body.to_owned(),
        })
    }

    async fn comments(&self, case_id: &str) -> Result<Vec<Comment>> {
        let rows = sqlx::query("SELECT * FROM comments WHERE case_id = $1 ORDER BY at, id")
            .bind(case_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    id: row.try_get("id")?,
                    case_id: row.try_get("case_id")?,
                    account_id: row.try_get("account_id")?,
                    at: ts(&row.try_get::<String, _>("at")?)?,
                    body: row.try_get("body")?,
                })
            })
            .collect()
    }

    async fn sign_heads(&self, signer: &crate::checkpoint::Signer, now: Timestamp) -> Result<usize> {
        self.sign_marked(signer, now, None).await
    }

    async fn sign_case_head(
        &self,
        signer: &crate::checkpoint::Signer,
        case_id: &str,
        now: Timestamp,
    ) -> Result<usize> {
        self.sign_marked(signer, now, Some(("case", case_id))).await
    }

    async fn save_checkpoint(&self, c: &Checkpoint) -> Result<()> {
        self.save_checkpoints(std::slice::from_ref(c)).await.map(drop)
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
        let rows = sqlx::query("SELECT * FROM checkpoints ORDER BY chain, seq, public_key")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Checkpoint {
                    chain: row.try_get("chain")?,
                    seq: row.try_get("seq")?,
                    hash: row.try_get("hash")?,
                    signed_at: ts(&row.try_get::<String, _>("signed_at")?)?,
                    public_key: row.try_get("public_key")?,
                    signature: row.try_get("signature")?,
                })
            })
            .collect()
    }

    async fn receipts(&self) -> Result<Vec<Receipt>> {
        let rows =
            sqlx::query("SELECT * FROM receipts ORDER BY received_at, id").fetch_all(&self.reader).await?;
        rows.iter().map(receipt_from_row).collect()
    }

    async fn purge_receipts(&self, before: Timestamp, now: Timestamp, min_age_months: u32) -> Result<u64> {
        let limit = now
            .checked_sub_months(chrono::Months::new(min_age_months))
            .ok_or_else(|| StoreError::Corrupt("retention period out of range".into()))?;
        if before > limit {
            return Err(StoreError::RetentionRefused {
                before: format_ts(before),
                months: min_age_months,
                limit: format_ts(limit),
            });
        }
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("DELETE FROM receipts WHERE received_at < $1")
            .bind(format_ts(before))
            .execute(&mut *tx)
            .await?;
        let message = NewOutboxMessage {
            topic: "receipts.purged".into(),
            payload: serde_json::json!({"before": format_ts(before), "deleted": done.rows_affected()}),
        };
        insert_outbox(&mut tx, &message, now).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    async fn claim_outbox(
        &self,
        limit: i64,
        now: Timestamp,
        lease_seconds: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(&format!(
            "SELECT * FROM outbox WHERE delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until < $1) \
             ORDER BY created_at, id LIMIT $2{SKIP_LOCKED}"
        ))
        .bind(format_ts(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let until = format_ts(now + chrono::TimeDelta::seconds(lease_seconds));
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            sqlx::query("UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 WHERE id = $2")
                .bind(&until)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            claimed.push(OutboxMessage {
                id,
                topic: row.try_get("topic")?,
                payload: json(&row.try_get::<String, _>("payload")?)?,
                created_at: ts(&row.try_get::<String, _>("created_at")?)?,
                attempts: row.try_get::<i64, _>("attempts")? + 1,
            });
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn complete_outbox(&self, id: &str, at: Timestamp) -> Result<()> {
        let done = sqlx::query("UPDATE outbox SET delivered_at = $1 WHERE id = $2")
            .bind(format_ts(at))
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "outbox message", id: id.to_owned() });
        }
        Ok(())
    }

    async fn case_ids(&self) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT id FROM cases ORDER BY created_at, id").fetch_all(&self.reader).await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    async fn case_ids_after(&self, after: Option<&str>, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM cases WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }
}

/// The intake an idempotency key already made, if any.
async fn intake_by_key(tx: &mut Transaction<'_, Db>, key: &str) -> Result<Option<Intake>> {
    Ok(intakes_by_keys(tx, &[key]).await?.remove(key))
}

/// The intakes the idempotency keys of `keys` already made, by key (one statement).
async fn intakes_by_keys(
    tx: &mut Transaction<'_, Db>,
    keys: &[&str],
) -> Result<std::collections::HashMap<String, Intake>> {
    let mut known = std::collections::HashMap::new();
    if keys.is_empty() {
        return Ok(known);
    }
    let mut query = sqlx::QueryBuilder::<Db>::new(
        "SELECT r.idempotency_key, r.id AS report_id, r.case_id, c.id AS receipt_id FROM reports r \
         JOIN receipts c ON c.case_id = r.case_id WHERE r.idempotency_key IN (",
    );
    let mut list = query.separated(", ");
    for key in keys {
        list.push_bind(*key);
    }
    query.push(")");
    for row in query.build().fetch_all(&mut **tx).await? {
        known.insert(
            row.try_get("idempotency_key")?,
            Intake {
                case_id: row.try_get("case_id")?,
                report_id: row.try_get("report_id")?,
                receipt_id: row.try_get("receipt_id")?,
                created: false,
            },
        );
    }
    Ok(known)
}

/// A report made ready for the writer, outside any transaction: its case, report,
/// receipt, outbox message and first views staged, and the kept totals' changes.
#[derive(Debug)]
pub(crate) struct PreparedReport {
    /// The idempotency key it was sent with.
    key: Option<String>,
    /// Its rows.
    staged: Staged,
    /// Its changes to the kept totals.
    totals: Totals,
    /// What it answers once written.
    intake: Intake,
}

/// Makes `report` ready for the writer ([`PreparedReport`]): a new case's rows and
/// views come from the report alone, so nothing needs the database or its lock.
fn prepare_report(
    projector: Option<&dyn crate::projections::Projector>,
    report: &NewReport,
) -> PreparedReport {
    let (mut staged, mut totals) = (Staged::default(), Totals::default());
    let case = NewCase {
        title: report.title.clone(),
        timezone: report.timezone.clone(),
        reporter_org: report.reporter_org.clone(),
        platform_org: report.platform_org.clone(),
        parties: report.parties.clone(),
        products: report.products.clone(),
        events: report.events.clone(),
        created_at: report.received_at,
    };
    let opened = stage_case(&mut staged, &case);
    let case_id = opened.record.id.clone();
    let report_id = stage_report(
        &mut staged,
        &case_id,
        &report.body,
        report.idempotency_key.as_deref(),
        report.submitted_by.as_deref(),
        &report.attachments,
        report.received_at,
    );
    let receipt_id = new_ordered_id();
    staged.row(
        Table::Receipts,
        [
            (&receipt_id).into(),
            (&case_id).into(),
            format_ts(report.received_at).into(),
            (&report.channel).into(),
            (&report.submitter).into(),
        ],
    );
    let message = NewOutboxMessage {
        topic: "case.opened".into(),
        payload: serde_json::json!({"case": case_id, "platform": report.platform_org}),
    };
    stage_outbox(&mut staged, &message, report.received_at);
    stage_opened(&mut totals, &mut staged, projector, &opened, report.received_at);
    PreparedReport {
        key: report.idempotency_key.clone(),
        staged,
        totals,
        intake: Intake { case_id, report_id, receipt_id, created: true },
    }
}

/// Why a group written together was not: refused before its commit (nothing of it
/// written: it may be written again report by report), or its commit failed (whether
/// anything was written is not known).
enum Together {
    /// A statement before the commit failed; the transaction was rolled back.
    Refused(StoreError),
    /// The commit failed.
    NotCommitted(StoreError),
}

impl Inner {
    /// On PostgreSQL, vacuums and analyses `table` on the writer, outside any
    /// transaction (`VACUUM` cannot run in one): the dead rows a pass left, which every
    /// later read would step over until autovacuum came, gone at once. Nothing on SQLite.
    pub(super) async fn vacuum_on_postgres(&self, table: &'static str) -> Result<()> {
        if BACKEND == crate::Backend::Postgres {
            sqlx::query(&format!("VACUUM (ANALYZE) {table}")).execute(&self.writer).await?;
        }
        Ok(())
    }

    /// [`Store::take_report`] in one transaction of its own.
    async fn take_report_once(&self, report: &PreparedReport) -> Result<Intake> {
        let mut tx = self.writer.begin().await?;
        let intake = write_prepared(&mut tx, report).await?;
        tx.commit().await?;
        Ok(intake)
    }

    /// [`Store::take_report`] for a group of reports (`group.rs`), in one transaction
    /// with one commit. The group's rows go out a table at a time
    /// ([`Staged::write_all`]): a dozen statements for the group, not a dozen a report.
    /// When that fails (a report the database refuses: an idempotency key taken
    /// meanwhile, an organisation gone), the group is written again report by report,
    /// each in a savepoint of its own, so that only the refused one answers its error.
    /// A report is answered `Ok` only once the commit has returned.
    async fn take_reports(&self, reports: Vec<PreparedReport>) -> Vec<Result<Intake>> {
        match self.take_reports_together(&reports).await {
            Ok(intakes) => intakes.into_iter().map(Ok).collect(),
            Err(Together::Refused(error)) if reports.len() == 1 => vec![Err(error)],
            Err(Together::Refused(error)) => {
                tracing::debug!(%error, reports = reports.len(), "group refused whole; written report by report");
                self.take_reports_one_by_one(&reports).await
            }
            // Whether a failed commit left anything behind is not known: writing the
            // group again could write it twice, so each report answers the error.
            Err(Together::NotCommitted(error)) => {
                reports.iter().map(|_| Err(not_committed(reports.len(), &error))).collect()
            }
        }
    }

    /// The whole group written in one transaction, or nothing.
    async fn take_reports_together(&self, reports: &[PreparedReport]) -> Result<Vec<Intake>, Together> {
        let keys: Vec<&str> = reports.iter().filter_map(|r| r.key.as_deref()).collect();
        let mut distinct = keys.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() != keys.len() {
            // The same key twice in one group: the second is the first's retry, which
            // only the report-by-report path tells (the first's rows written first).
            return Err(Together::Refused(StoreError::Conflict(
                "an idempotency key twice in one group".into(),
            )));
        }
        let refused = |error: StoreError| Together::Refused(error);
        let mut tx = self.writer.begin().await.map_err(|e| refused(e.into()))?;
        let known = intakes_by_keys(&mut tx, &keys).await.map_err(refused)?;
        let (mut stages, mut totals, mut intakes) = (Vec::new(), Totals::default(), Vec::new());
        for report in reports {
            match report.key.as_deref().and_then(|key| known.get(key)) {
                Some(intake) => intakes.push(intake.clone()),
                None => {
                    stages.push(&report.staged);
                    totals.add(&report.totals);
                    intakes.push(report.intake.clone());
                }
            }
        }
        Staged::write_all(&stages, &mut tx).await.map_err(refused)?;
        totals.write(&mut tx).await.map_err(refused)?;
        tx.commit().await.map_err(|e| Together::NotCommitted(e.into()))?;
        Ok(intakes)
    }

    /// The group report by report, each in a savepoint, one commit for all; the kept
    /// totals of those written go out together at the end, in the one order every
    /// writer uses.
    async fn take_reports_one_by_one(&self, reports: &[PreparedReport]) -> Vec<Result<Intake>> {
        use sqlx::Connection;
        let count = reports.len();
        let failed = |error: &dyn std::fmt::Display| not_committed(count, error);
        let mut tx = match self.writer.begin().await {
            Ok(tx) => tx,
            Err(error) => return reports.iter().map(|_| Err(failed(&error))).collect(),
        };
        let mut totals = Totals::default();
        let mut results = Vec::with_capacity(count);
        for report in reports {
            let step = async {
                let mut savepoint = tx.begin().await?;
                match write_rows(&mut savepoint, report).await {
                    Ok(known) => {
                        savepoint.commit().await?;
                        Ok::<_, sqlx::Error>(Ok(known))
                    }
                    Err(error) => {
                        savepoint.rollback().await?;
                        Ok(Err(error))
                    }
                }
            };
            match step.await {
                Ok(Ok(Some(known))) => results.push(Ok(known)),
                Ok(Ok(None)) => {
                    totals.add(&report.totals);
                    results.push(Ok(report.intake.clone()));
                }
                Ok(Err(error)) => results.push(Err(error)),
                // A savepoint that cannot be made, released or rolled back to leaves the
                // transaction in doubt: nothing of the group is committed.
                Err(error) => return reports.iter().map(|_| Err(failed(&error))).collect(),
            }
        }
        let committed = async {
            totals.write(&mut tx).await?;
            tx.commit().await.map_err(StoreError::from)
        };
        if let Err(error) = committed.await {
            return results.into_iter().map(|result| result.and_then(|_| Err(failed(&error)))).collect();
        }
        results
    }
}

/// Writes a prepared report in `tx`; a known idempotency key answers its intake and
/// writes nothing.
async fn write_prepared(tx: &mut Transaction<'_, Db>, report: &PreparedReport) -> Result<Intake> {
    if let Some(known) = write_rows(tx, report).await? {
        return Ok(known);
    }
    // The totals are this one report's: written as the transaction's last changes.
    report.totals.clone().write(tx).await?;
    Ok(report.intake.clone())
}

/// Writes a prepared report's rows (not its totals) in `tx`, or answers the intake its
/// idempotency key already made (`Some`), writing nothing.
async fn write_rows(tx: &mut Transaction<'_, Db>, report: &PreparedReport) -> Result<Option<Intake>> {
    if let Some(key) = &report.key
        && let Some(known) = intake_by_key(tx, key).await?
    {
        return Ok(Some(known));
    }
    report.staged.write(tx).await?;
    Ok(None)
}

/// The error each report of a group of `count` answers when the group was not committed.
fn not_committed(count: usize, error: &dyn std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::other(format!(
        "the group of {count} reports was not committed: {error}"
    ))))
}
