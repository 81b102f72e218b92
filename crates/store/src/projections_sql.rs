// The derived views' queries (see `projections.rs`), a module of both back ends like
// `common.rs`.

use std::collections::{BTreeMap, HashMap};

use sqlx::{Row, Transaction};
use vulnrelay_domain::Timestamp;

use super::common::{
    CASE_COLUMNS, CaseColumns, DbRow, case_from_columns, case_from_row, event_from_row, json, not_found,
    opt_ts, page_statement, read_page, receipt_from_row, ts,
};
use super::staged::{Cell, Staged, Table};
use super::{BACKEND, Db, FOR_UPDATE, Inner, insert_rows};
use crate::model::*;
use crate::projections::{
    CaseListing, CasePageQuery, CaseProjection, CaseSnapshot, DueCursor, DueObligation, IntervalLength,
    IntervalQuarter, IntervalStats, ObligationCounts, OpenObligation, OpenStatus, PreviousViews, Projections,
    Projector, RelatedIntervals, WaitingVendor, due_key, interval_bucket, interval_bucket_floor, sql,
};
use crate::time::format_ts;
use crate::{Backend, Result, StoreError};

/// The projector the write paths use, shared by the store's clones.
pub(crate) type ProjectorSlot = std::sync::Arc<std::sync::RwLock<Option<std::sync::Arc<dyn Projector>>>>;

/// The public interval statistics at one version (migration 0021), as a process keeps
/// them: the public answer, and what a caller's extra lengths are merged with.
#[derive(Debug)]
pub(crate) struct PublicIntervals {
    /// The public answer, with its version.
    stats: IntervalStats,
    /// Per kind and quarter, the kept counts of the public closed lengths by length
    /// class, ascending.
    classes: HashMap<(String, String), Vec<(i64, i64)>>,
    /// Per kind and quarter with a closed length, the public closed lengths around its
    /// middle ranks, ascending (a sixteenth of them on each side, at most [`WINDOW`]),
    /// with the rank of the first.
    windows: HashMap<(String, String), (i64, Vec<i64>)>,
}

/// How many public lengths on each side of a quarter's middle ranks the kept answer
/// holds at most (a sixteenth of the quarter's below that, so a small quarter is not
/// read half over): the middle ranks of a caller's answer with a few extra lengths in
/// the quarter (up to about twice as many) lie among them and the extra ones, and are
/// found with nothing read.
const WINDOW: i64 = 32;

/// The last interval statistics this process computed, shared by the store's clones:
/// the public ones, and those over every case with the version of the unpublished
/// intervals they were computed at (none yet).
#[derive(Debug, Default)]
pub(crate) struct IntervalMemos {
    public: std::sync::Mutex<Option<std::sync::Arc<PublicIntervals>>>,
    every: std::sync::Mutex<Option<std::sync::Arc<(i64, IntervalStats)>>>,
}

/// The store's kept interval statistics.
pub(crate) type IntervalMemo = std::sync::Arc<IntervalMemos>;

/// A connection of the back end (what a transaction derefs to).
type DbConnection = <Db as sqlx::Database>::Connection;

impl Inner {
    pub(super) fn projector(&self) -> Option<std::sync::Arc<dyn Projector>> {
        self.projector.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The kept public interval statistics, if they are those of `version`.
    fn intervals_at(&self, version: i64) -> Option<std::sync::Arc<PublicIntervals>> {
        let kept = self.interval_memo.public.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.as_ref().filter(|kept| kept.stats.version == version).cloned()
    }

    /// Keeps `computed` unless what is kept is of a later version.
    fn keep_intervals(&self, computed: std::sync::Arc<PublicIntervals>) {
        let mut kept = self.interval_memo.public.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.as_ref().is_none_or(|kept| kept.stats.version <= computed.stats.version) {
            *kept = Some(computed);
        }
    }

    /// The kept statistics over every case, if they are those of the published
    /// intervals' `version` and the unpublished ones' `unpublished`.
    fn every_at(&self, version: i64, unpublished: i64) -> Option<IntervalStats> {
        let kept = self.interval_memo.every.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.as_ref()
            .filter(|kept| kept.0 == unpublished && kept.1.version == version)
            .map(|kept| kept.1.clone())
    }

    /// Keeps `computed` (at the unpublished intervals' version `unpublished`) unless
    /// what is kept is of a later state.
    fn keep_every(&self, unpublished: i64, computed: &IntervalStats) {
        let mut kept = self.interval_memo.every.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.as_ref().is_none_or(|kept| kept.0 <= unpublished && kept.1.version <= computed.version) {
            *kept = Some(std::sync::Arc::new((unpublished, computed.clone())));
        }
    }
}

/// Reads a case as the transaction sees it.
async fn read_snapshot(tx: &mut Transaction<'_, Db>, case_id: &str) -> Result<CaseSnapshot> {
    let mut snapshot = read_case(&mut **tx, case_id).await?;
    snapshot.first_warning = sqlx::query(sql::FIRST_WARNING)
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(warning_from_row)
        .transpose()?;
    Ok(snapshot)
}

/// A case's head row in [`sql::case_snapshot`]: its record's columns, its parties, its
/// products, (on SQLite) its events and, when asked for, its report.
type SnapshotHead = (
    CaseColumns,
    Vec<(String, String, i64)>,
    Vec<(String, String, i64, Option<i64>)>,
    Option<Vec<EventColumns>>,
    Option<ReportColumns>,
);

/// A report in a [`SnapshotHead`]: `id`, `submitted_by`, `body`, `created_at`.
type ReportColumns = (String, Option<String>, String, String);

/// An event in a [`SnapshotHead`]: `seq`, `at`, `recorded_at`, `recorded_by`,
/// `override_reason`, `body`, `prev_hash`, `hash`.
type EventColumns = (i64, String, String, Option<String>, Option<String>, String, String, String);

/// Reads a case's record, parties, products, events and `one_product_until` (no
/// first warning) in one statement ([`sql::case_snapshot`]): as a transaction sees it
/// when `executor` is one, else as one snapshot of its own.
pub(super) async fn read_case<'e, E>(executor: E, case_id: &str) -> Result<CaseSnapshot>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    Ok(read_case_and_report(executor, case_id, false).await?.0)
}

/// [`read_case`], and with `with_report` the case's report in the same statement (none
/// when it has none, or when not asked for).
pub(super) async fn read_case_and_report<'e, E>(
    executor: E,
    case_id: &str,
    with_report: bool,
) -> Result<(CaseSnapshot, Option<ReportRecord>)>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let rows =
        sqlx::query(sql::case_snapshot(BACKEND)).bind(case_id).bind(with_report).fetch_all(executor).await?;
    let mut head = None;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        match row.try_get::<Option<String>, _>("head")? {
            Some(text) => head = Some(text),
            None => events.push(event_from_row(row)?),
        }
    }
    drop(rows);
    let head = head.ok_or_else(|| StoreError::NotFound { what: "case", id: case_id.to_owned() })?;
    let head: SnapshotHead = serde_json::from_str(&head)
        .map_err(|e| StoreError::Corrupt(format!("case {case_id}: its snapshot: {e}")))?;
    let (columns, mut parties, mut products, head_events, report) = head;
    let record = case_from_columns(columns)?;
    let report = match report {
        Some((id, submitted_by, body, created_at)) => Some(ReportRecord {
            id,
            case_id: record.id.clone(),
            submitted_by,
            body: json(&body)?,
            created_at: ts(&created_at)?,
        }),
        None => None,
    };
    for (seq, at, recorded_at, recorded_by, override_reason, body, prev_hash, hash) in
        head_events.unwrap_or_default()
    {
        events.push(StoredEvent {
            case_id: record.id.clone(),
            seq,
            at: ts(&at)?,
            recorded_at: ts(&recorded_at)?,
            recorded_by,
            override_reason,
            body,
            prev_hash,
            hash,
        });
    }
    // Each part comes in its index's order or none: sorted here (runs already in
    // order cost one pass).
    let fragment = |id: String, value: String| Ok(Fragment { id, value: json(&value)? });
    events.sort_by_key(|event: &StoredEvent| event.seq);
    parties.sort_by_key(|(_, _, position)| *position);
    let parties =
        parties.into_iter().map(|(id, value, _)| fragment(id, value)).collect::<Result<Vec<_>>>()?;
    products.sort_by_key(|(_, _, position, _)| *position);
    let one_product_until = products.iter().filter_map(|(.., after)| *after).min();
    let products =
        products.into_iter().map(|(id, value, ..)| fragment(id, value)).collect::<Result<Vec<_>>>()?;
    Ok((CaseSnapshot { record, parties, products, events, one_product_until, first_warning: None }, report))
}

/// The open obligations the views hold for a case, each with its `public` flag.
async fn stored_obligations(
    tx: &mut Transaction<'_, Db>,
    case_id: &str,
) -> Result<Vec<(OpenObligation, bool)>> {
    sqlx::query("SELECT * FROM open_obligations WHERE case_id = $1")
        .bind(case_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok((due_from_row(row)?.obligation, row.try_get("public")?)))
        .collect()
}

/// The case's views as the transaction finds them (its `stored` obligations read
/// already), when `projector` made them (views made under another version are not
/// reused).
async fn previous_views(
    tx: &mut Transaction<'_, Db>,
    projector: &dyn Projector,
    case_id: &str,
    stored: &[(OpenObligation, bool)],
) -> Result<Option<PreviousViews>> {
    let Some(view) = sqlx::query(
        "SELECT seq, state, published, projector, vendors, products FROM case_views WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    if view.try_get::<String, _>("projector")? != projector.version() {
        return Ok(None);
    }
    let published: bool = view.try_get("published")?;
    // As `projection` reads them: one whose flag disagrees with its view is left out.
    let obligations =
        stored.iter().filter(|(_, public)| *public == published).map(|(o, _)| o.clone()).collect();
    Ok(Some(PreviousViews {
        seq: view.try_get("seq")?,
        projection: CaseProjection {
            state: view.try_get("state")?,
            published,
            relations: Vec::new(),
            obligations,
            vendors: view.try_get("vendors")?,
            products: view.try_get("products")?,
            intervals: Vec::new(),
            waiting: Vec::new(),
        },
    }))
}

/// Rewrites a case's views inside the transaction that changed it, and the kept totals
/// with them: [`reproject_into`] for a transaction that changes this one case.
pub(super) async fn reproject(
    tx: &mut Transaction<'_, Db>,
    projector: Option<&dyn Projector>,
    case_id: &str,
    at: Timestamp,
) -> Result<()> {
    let mut totals = Totals::default();
    reproject_into(tx, &mut totals, projector, case_id, at).await?;
    totals.write(tx).await
}

/// Rewrites a case's views inside the transaction that changed it, the kept totals'
/// changes into `totals` (written by the transaction's owner before it commits, once
/// for all the cases it changes). A case its
/// projector cannot read loses its views (it is then listed nowhere, as a case that
/// cannot be loaded never was) and is retried by `project_stale`; the change itself
/// stands, the event log being the truth.
pub(super) async fn reproject_into(
    tx: &mut Transaction<'_, Db>,
    totals: &mut Totals,
    projector: Option<&dyn Projector>,
    case_id: &str,
    at: Timestamp,
) -> Result<()> {
    let Some(projector) = projector else { return Ok(()) };
    let started = std::time::Instant::now();
    let snapshot = read_snapshot(tx, case_id).await?;
    let stored = stored_obligations(tx, case_id).await?;
    let previous = previous_views(tx, projector, case_id, &stored).await?;
    let relations = sqlx::query("SELECT org_id, relation FROM case_relations WHERE case_id = $1")
        .bind(case_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("org_id")?, row.try_get("relation")?)))
        .collect::<Result<_>>()?;
    let waiting = sqlx::query("SELECT vendor, last_told FROM case_waiting WHERE case_id = $1")
        .bind(case_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("vendor")?, row.try_get("last_told")?)))
        .collect::<Result<_>>()?;
    let read = started.elapsed();
    let had_views = sqlx::query("DELETE FROM case_views WHERE case_id = $1 RETURNING published")
        .bind(case_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| row.try_get::<bool, _>("published"))
        .transpose()?;
    let intervals =
        sqlx::query("DELETE FROM case_intervals WHERE case_id = $1 RETURNING kind, quarter, seconds, public")
            .bind(case_id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| Ok((interval_from_row(row)?, row.try_get("public")?)))
            .collect::<Result<_>>()?;
    let views = Stored {
        obligations: stored,
        relations,
        waiting,
        previous,
        intervals,
        fresh: false,
        published: had_views == Some(true),
        had_views: had_views.is_some(),
    };
    let mut staged = Staged::default();
    let gone = stage_views(totals, &mut staged, projector, &snapshot, views, at, read);
    gone.delete(tx, case_id).await?;
    staged.write(tx).await
}

/// Stages the views of a case the transaction opens, from what it writes (`snapshot`):
/// a new case has no views to read or replace, so nothing is read or deleted. Its rows
/// go into `staged` (written after the case's own rows), the kept totals' changes into
/// `totals`, as with [`reproject_into`].
pub(super) fn stage_opened(
    totals: &mut Totals,
    staged: &mut Staged,
    projector: Option<&dyn Projector>,
    snapshot: &CaseSnapshot,
    at: Timestamp,
) {
    let Some(projector) = projector else { return };
    let views = Stored {
        obligations: Vec::new(),
        relations: HashMap::new(),
        waiting: HashMap::new(),
        previous: None,
        intervals: Vec::new(),
        fresh: true,
        published: false,
        had_views: false,
    };
    let gone = stage_views(totals, staged, projector, snapshot, views, at, std::time::Duration::ZERO);
    debug_assert!(gone.is_empty(), "a new case's views take nothing away");
}

/// What the views hold of a case before a change.
struct Stored {
    /// Its open obligations, each with its `public` flag.
    obligations: Vec<(OpenObligation, bool)>,
    /// Its relations, by organisation.
    relations: HashMap<String, String>,
    /// Its waiting vendors: when each was last told, as stored.
    waiting: HashMap<String, String>,
    /// Its views, when the same projector made them.
    previous: Option<PreviousViews>,
    /// Its intervals (already deleted), each with its `public` flag.
    intervals: Vec<(IntervalLength, bool)>,
    /// Whether the case was opened in this transaction: it has no records, relations
    /// or intervals yet, so none is marked or deleted.
    fresh: bool,
    /// Whether its views had it published (what the published-case count holds of it).
    published: bool,
    /// Whether it had views (what the unpublished-case count holds of it, when not
    /// published).
    had_views: bool,
}

/// Projects `snapshot` and stages its views where they differ from `stored` (its
/// `case_views` row and intervals already deleted, or never written) into `staged`,
/// which the caller writes before anything reads them; answers what is to be deleted
/// ([`Gone::delete`]). Nothing here reads or writes the database.
fn stage_views(
    totals: &mut Totals,
    staged: &mut Staged,
    projector: &dyn Projector,
    snapshot: &CaseSnapshot,
    stored: Stored,
    at: Timestamp,
    read: std::time::Duration,
) -> Gone {
    let Stored {
        obligations: stored,
        mut relations,
        mut waiting,
        previous,
        intervals,
        fresh,
        published: was_published,
        had_views,
    } = stored;
    let before = Listed { views: had_views, published: was_published };
    let removed: Vec<(OpenStatus, bool)> =
        stored.iter().filter(|(_, public)| *public).map(|(o, _)| (o.status, o.due_at.is_some())).collect();
    let case_id = snapshot.record.id.as_str();
    let projected = std::time::Instant::now();
    let projection = match projector.project_after(snapshot, at, previous.as_ref()) {
        Ok(projection) => projection,
        Err(error) => {
            tracing::error!(case = %case_id, %error, "case views not written: the case cannot be read");
            stage_intervals(totals, staged, case_id, None, &intervals, before);
            totals.obligations(case_id, &removed, &[]);
            // A case opened in this transaction has no rows to take away.
            return Gone { everything: !fresh, records_public: (!fresh).then_some(false), ..Gone::default() };
        }
    };
    let project = projected.elapsed();
    let written = std::time::Instant::now();
    let created_at = format_ts(snapshot.record.created_at);
    staged.row(
        Table::CaseViews,
        [
            case_id.into(),
            (&created_at).into(),
            snapshot.record.last_seq.into(),
            (&projection.state).into(),
            projection.published.into(),
            projector.version().into(),
            format_ts(at).into(),
            projection.vendors.into(),
            projection.products.into(),
        ],
    );
    stage_intervals(totals, staged, case_id, Some(&projection), &intervals, before);
    // Only the rows that differ from what the views hold are written: a change to a
    // case with thousands of parties leaves most of its relations and obligations as
    // they were.
    let mut wanted = std::collections::HashSet::new();
    let mut changed = Vec::new();
    for (org_id, relation) in &projection.relations {
        // The first relation named for an organisation is the one kept.
        if !wanted.insert(org_id.as_str()) {
            continue;
        }
        if relations.remove(org_id).is_some_and(|stored| stored == *relation) {
            continue;
        }
        changed.push((org_id, relation));
    }
    // Staged, so written several rows a statement (each statement is a round trip); the
    // keys are distinct.
    for (org_id, relation) in changed {
        staged.row(
            Table::CaseRelations,
            [
                case_id.into(),
                org_id.as_str().into(),
                relation.as_str().into(),
                (&created_at).into(),
                projection.published.into(),
            ],
        );
    }
    // The waiting vendors the same way: a vendor's answer removes one, a platform's
    // message adds or moves one, and the others stay as they are.
    for WaitingVendor { vendor, last_told } in &projection.waiting {
        let told = format_ts(*last_told);
        if waiting.remove(vendor).is_some_and(|stored| stored == told) {
            continue;
        }
        staged.row(Table::CaseWaiting, [case_id.into(), vendor.into(), told.into()]);
    }
    let mut obligations: HashMap<(String, String, String), (OpenObligation, bool)> = stored
        .into_iter()
        .map(|(o, public)| ((o.org_id.clone(), o.rule.clone(), o.product.clone()), (o, public)))
        .collect();
    let mut wanted = std::collections::HashSet::new();
    let mut changed = Vec::new();
    for o in &projection.obligations {
        let key = (o.org_id.clone(), o.rule.clone(), o.product.clone());
        if !wanted.insert(key.clone()) {
            continue;
        }
        // Due times compared as stored (at the store's precision).
        let unchanged = obligations.remove(&key).is_some_and(|(stored, public)| {
            stored.due_at.map(format_ts) == o.due_at.map(format_ts)
                && stored.status == o.status
                && public == projection.published
        });
        if unchanged {
            continue;
        }
        changed.push(o);
    }
    for o in changed {
        staged.row(
            Table::OpenObligations,
            [
                case_id.into(),
                (&o.org_id).into(),
                (&o.rule).into(),
                (&o.product).into(),
                due_key(o.due_at).into(),
                o.due_at.map(format_ts).into(),
                o.status.as_str().into(),
                projection.published.into(),
            ],
        );
    }
    let mut kept = std::collections::HashSet::new();
    let added: Vec<(OpenStatus, bool)> = projection
        .obligations
        .iter()
        .filter(|o| projection.published && kept.insert((&o.org_id, &o.rule, &o.product)))
        .map(|o| (o.status, o.due_at.is_some()))
        .collect();
    totals.obligations(case_id, &removed, &added);
    tracing::debug!(
        case = %case_id,
        read_ms = read.as_secs_f64() * 1e3,
        project_ms = project.as_secs_f64() * 1e3,
        write_ms = written.elapsed().as_secs_f64() * 1e3,
        relations = projection.relations.len(),
        obligations = projection.obligations.len(),
        "case views rewritten"
    );
    Gone {
        everything: false,
        // A new case has no records yet.
        records_public: (!fresh).then_some(projection.published),
        relations: relations.into_keys().collect(),
        obligations: obligations.into_keys().collect(),
        waiting: waiting.into_keys().collect(),
    }
}

/// What a change of a case's views takes away, deleted in the transaction by
/// [`Gone::delete`] (nothing for a case the transaction opens).
#[derive(Debug, Default)]
struct Gone {
    /// Every relation and obligation of the case (its projector could not read it).
    everything: bool,
    /// The flag its records and relations are to carry, when they may have any.
    records_public: Option<bool>,
    /// The organisations whose relation to the case ends.
    relations: Vec<String>,
    /// The obligations that end: (organisation, rule, product).
    obligations: Vec<(String, String, String)>,
    /// The vendors that answered (or are no longer waiting).
    waiting: Vec<String>,
}

impl Gone {
    /// Whether nothing is to be deleted or marked.
    fn is_empty(&self) -> bool {
        !self.everything
            && self.records_public.is_none()
            && self.relations.is_empty()
            && self.obligations.is_empty()
            && self.waiting.is_empty()
    }

    /// Deletes and marks it in `tx`.
    async fn delete(self, tx: &mut Transaction<'_, Db>, case_id: &str) -> Result<()> {
        if self.everything {
            for table in ["open_obligations", "case_relations", "case_waiting"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE case_id = $1"))
                    .bind(case_id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        if let Some(public) = self.records_public {
            set_records_public(tx, case_id, public).await?;
        }
        for org_id in &self.relations {
            sqlx::query("DELETE FROM case_relations WHERE case_id = $1 AND org_id = $2")
                .bind(case_id)
                .bind(org_id)
                .execute(&mut **tx)
                .await?;
        }
        for vendor in &self.waiting {
            sqlx::query("DELETE FROM case_waiting WHERE case_id = $1 AND vendor = $2")
                .bind(case_id)
                .bind(vendor)
                .execute(&mut **tx)
                .await?;
        }
        for (org_id, rule, product) in &self.obligations {
            sqlx::query(
                "DELETE FROM open_obligations WHERE case_id = $1 AND org_id = $2 AND rule = $3 AND product = $4",
            )
            .bind(case_id)
            .bind(org_id)
            .bind(rule)
            .bind(product)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// Marks the records of a case public or not, as its views say (the records' lists and
/// the advisories read the flag through their index).
async fn set_records_public(tx: &mut Transaction<'_, Db>, case_id: &str, public: bool) -> Result<()> {
    for table in ["vulnerabilities", "case_relations"] {
        sqlx::query(&format!("UPDATE {table} SET public = $2 WHERE case_id = $1 AND public <> $2"))
            .bind(case_id)
            .bind(public)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The slot of `public_obligation_totals` (and of the other kept totals in slots) a
/// case adds to. SQLite's one writer never waits on a row, so there every case adds to
/// slot 0: a group of reports then changes one row of a total, not sixteen.
fn totals_slot(case_id: &str) -> i32 {
    if BACKEND == Backend::Sqlite {
        return 0;
    }
    i32::from(case_id.bytes().fold(0u8, |sum, b| sum.wrapping_add(b)) % 16)
}

/// The kept totals' changes of one transaction, written together at its end
/// ([`Totals::write`]): table by table, each table's rows in key order, as every
/// writer takes them — so two transactions that each change many cases (an import, a
/// risk-warning run) never wait on each other's rows crosswise.
#[derive(Debug, Default, Clone)]
pub(super) struct Totals {
    /// `public_interval_buckets`: (kind, quarter, length class).
    buckets: BTreeMap<(String, String, i64), i64>,
    /// `public_interval_open`: (kind, quarter, slot).
    open: BTreeMap<(String, String, i32), i64>,
    /// `published_case_totals`: slot.
    published: BTreeMap<i32, i64>,
    /// `unpublished_interval_buckets`: (kind, quarter, length class, slot).
    unpublished_buckets: BTreeMap<(String, String, i64, i32), i64>,
    /// `unpublished_interval_open`: (kind, quarter, slot).
    unpublished_open: BTreeMap<(String, String, i32), i64>,
    /// `unpublished_case_totals`: slot.
    unpublished: BTreeMap<i32, i64>,
    /// `public_obligation_totals`: (slot, status, dated).
    obligations: BTreeMap<(i32, &'static str, bool), i64>,
    /// `public_interval_version`: the slot to add one to, when the published intervals
    /// or the published-case count changed (that of the first case that changed them).
    version: Option<i32>,
    /// `unpublished_interval_version`: the same for the unpublished intervals and count.
    unpublished_version: Option<i32>,
}

impl Totals {
    /// Adds `other`'s changes to these.
    pub(super) fn add(&mut self, other: &Totals) {
        for (key, n) in &other.buckets {
            *self.buckets.entry(key.clone()).or_default() += n;
        }
        for (key, n) in &other.open {
            *self.open.entry(key.clone()).or_default() += n;
        }
        for (key, n) in &other.published {
            *self.published.entry(*key).or_default() += n;
        }
        for (key, n) in &other.unpublished_buckets {
            *self.unpublished_buckets.entry(key.clone()).or_default() += n;
        }
        for (key, n) in &other.unpublished_open {
            *self.unpublished_open.entry(key.clone()).or_default() += n;
        }
        for (key, n) in &other.unpublished {
            *self.unpublished.entry(*key).or_default() += n;
        }
        for (key, n) in &other.obligations {
            *self.obligations.entry(*key).or_default() += n;
        }
        if self.version.is_none() {
            self.version = other.version;
        }
        if self.unpublished_version.is_none() {
            self.unpublished_version = other.unpublished_version;
        }
    }

    /// Moves the published obligations' totals by what a case's views lost (`removed`)
    /// and now hold (`added`), each by status and whether it has a numeric deadline.
    fn obligations(&mut self, case_id: &str, removed: &[(OpenStatus, bool)], added: &[(OpenStatus, bool)]) {
        let slot = totals_slot(case_id);
        for (status, dated) in removed {
            *self.obligations.entry((slot, status.as_str(), *dated)).or_default() -= 1;
        }
        for (status, dated) in added {
            *self.obligations.entry((slot, status.as_str(), *dated)).or_default() += 1;
        }
    }

    /// Notes that case `case_id` changed the published intervals or the published-case
    /// count (`public`), or the unpublished ones: that side's version moves when the
    /// totals are written.
    fn intervals_moved(&mut self, case_id: &str, public: bool) {
        let version = if public { &mut self.version } else { &mut self.unpublished_version };
        version.get_or_insert_with(|| totals_slot(case_id));
    }

    /// Writes the changes, in the one order every writer uses, the version of the
    /// public interval statistics last.
    pub(super) async fn write(self, tx: &mut Transaction<'_, Db>) -> Result<()> {
        use Cell::{Bool, Int, Text};
        let slot = |s: i32| Int(s.into());
        let tables: [(&str, &str, Vec<KeptRow>); 7] = [
            (
                "public_interval_buckets",
                "kind, quarter, bucket",
                self.buckets.into_iter().map(|((k, q, b), n)| (vec![Text(k), Text(q), Int(b)], n)).collect(),
            ),
            (
                "public_interval_open",
                "kind, quarter, slot",
                self.open.into_iter().map(|((k, q, s), n)| (vec![Text(k), Text(q), slot(s)], n)).collect(),
            ),
            (
                "published_case_totals",
                "slot",
                self.published.into_iter().map(|(s, n)| (vec![slot(s)], n)).collect(),
            ),
            (
                "unpublished_interval_buckets",
                "kind, quarter, bucket, slot",
                self.unpublished_buckets
                    .into_iter()
                    .map(|((k, q, b, s), n)| (vec![Text(k), Text(q), Int(b), slot(s)], n))
                    .collect(),
            ),
            (
                "unpublished_interval_open",
                "kind, quarter, slot",
                self.unpublished_open
                    .into_iter()
                    .map(|((k, q, s), n)| (vec![Text(k), Text(q), slot(s)], n))
                    .collect(),
            ),
            (
                "unpublished_case_totals",
                "slot",
                self.unpublished.into_iter().map(|(s, n)| (vec![slot(s)], n)).collect(),
            ),
            (
                "public_obligation_totals",
                "slot, status, dated",
                self.obligations
                    .into_iter()
                    .map(|((s, status, d), n)| (vec![slot(s), Text(status.into()), Bool(d)], n))
                    .collect(),
            ),
        ];
        // A table's changes in as few statements as the back end allows (its keys are
        // distinct, as one statement must have them).
        for (table, keys, rows) in tables {
            let rows: Vec<Vec<Cell>> = rows
                .into_iter()
                .filter(|(_, n)| *n != 0)
                .map(|(mut key, n)| {
                    key.push(Int(n));
                    key
                })
                .collect();
            let rows: Vec<&[Cell]> = rows.iter().map(Vec::as_slice).collect();
            let head = format!("INSERT INTO {table} ({keys}, n) ");
            let tail = format!(" ON CONFLICT ({keys}) DO UPDATE SET n = {table}.n + excluded.n");
            insert_rows(tx, &head, &tail, &rows).await?;
        }
        if let Some(slot) = self.unpublished_version {
            sqlx::query(sql::BUMP_UNPUBLISHED_VERSION).bind(slot).execute(&mut **tx).await?;
        }
        if let Some(slot) = self.version {
            sqlx::query(sql::BUMP_INTERVAL_VERSION).bind(slot).execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// A kept total's change: its key's columns' values, and what to add.
type KeptRow = (Vec<Cell>, i64);

/// What the kept case counts held of a case: whether it had views, and whether they
/// had it published.
#[derive(Debug, Clone, Copy)]
struct Listed {
    views: bool,
    published: bool,
}

/// Stages a case's intervals as its projection has them (a handful of rows; none when
/// the case lost its views), its `old` ones already deleted, and moves the kept totals
/// by what changed: the closed intervals by length class and the open ones, of the
/// published cases and of the unpublished ones, and the counts of both (`before`: what
/// they held of the case), and notes whether anything public changed (the version of
/// the public statistics). The totals' changes go into `totals`, which the transaction
/// writes at its end.
fn stage_intervals(
    totals: &mut Totals,
    staged: &mut Staged,
    case_id: &str,
    projection: Option<&CaseProjection>,
    old: &[(IntervalLength, bool)],
    before: Listed,
) {
    let published = projection.is_some_and(|p| p.published);
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<&IntervalLength> = projection
        .map_or(&[][..], |p| &p.intervals)
        .iter()
        .filter(|i| seen.insert(i.kind.as_str()))
        .collect();
    for i in &rows {
        staged.row(
            Table::CaseIntervals,
            [case_id.into(), (&i.kind).into(), (&i.quarter).into(), i.seconds.into(), published.into()],
        );
    }
    let unpublished_after = projection.is_some() && !published;
    let unpublished_before = before.views && !before.published;
    // Each side's version moves when its intervals or its count of the case changed.
    for public in [true, false] {
        let mut was: Vec<&IntervalLength> =
            old.iter().filter(|(_, p)| *p == public).map(|(i, _)| i).collect();
        let mut is: Vec<&IntervalLength> = rows.iter().filter(|_| published == public).copied().collect();
        was.sort_unstable();
        is.sort_unstable();
        let counted =
            if public { (before.published, published) } else { (unpublished_before, unpublished_after) };
        if was != is || counted.0 != counted.1 {
            totals.intervals_moved(case_id, public);
        }
    }
    let slot = totals_slot(case_id);
    let removed = old.iter().map(|(i, public)| (i, *public, -1));
    let added = rows.iter().map(|i| (*i, published, 1));
    for (i, public, n) in removed.chain(added) {
        let (kind, quarter) = (i.kind.clone(), i.quarter.clone());
        match (i.seconds, public) {
            (Some(seconds), true) => {
                *totals.buckets.entry((kind, quarter, interval_bucket(seconds))).or_default() += n
            }
            (None, true) => *totals.open.entry((kind, quarter, slot)).or_default() += n,
            (Some(seconds), false) => {
                *totals
                    .unpublished_buckets
                    .entry((kind, quarter, interval_bucket(seconds), slot))
                    .or_default() += n
            }
            (None, false) => *totals.unpublished_open.entry((kind, quarter, slot)).or_default() += n,
        }
    }
    if published != before.published {
        *totals.published.entry(slot).or_default() += i64::from(published) - i64::from(before.published);
    }
    if unpublished_after != unpublished_before {
        *totals.unpublished.entry(slot).or_default() +=
            i64::from(unpublished_after) - i64::from(unpublished_before);
    }
}

/// One quarter of one kind to answer: its public counts (the closed ones' count and the
/// open ones, the extra open ones added), the public closed lengths' counts by length
/// class (ascending), the extra closed lengths (ascending), and the public worst when
/// known already (outer `None`: to be read).
struct QuarterWork<'a> {
    kind: &'a str,
    counts: IntervalQuarter,
    classes: &'a [(i64, i64)],
    extra: Vec<i64>,
    worst: Option<Option<i64>>,
}

/// Where the length of rank `rank` (from 0, ascending) lies among a quarter's public
/// closed lengths — `classes` their counts by length class, ascending — and its `extra`
/// lengths (ascending): the classes of both are walked to the one holding the rank; of
/// its public lengths only those that may hold it are to be read through the index, at
/// most one more than the class's extra lengths, from the class's shortest on, past
/// those ranked below them (which each come before the rank, as the class's extra
/// lengths are all that may come between). None if there is no length at all.
fn plan_rank(classes: &[(i64, i64)], extra: &[i64], rank: i64) -> Option<RankRead> {
    let (mut below, mut next_public, mut next_extra) = (0, 0, 0);
    loop {
        let public_class = classes.get(next_public).map(|(class, _)| *class);
        let extra_class = extra.get(next_extra).map(|seconds| interval_bucket(*seconds));
        let class = public_class.into_iter().chain(extra_class).min()?;
        let public = match classes.get(next_public) {
            Some((c, n)) if *c == class => {
                next_public += 1;
                *n
            }
            _ => 0,
        };
        let first_extra = next_extra;
        while extra.get(next_extra).is_some_and(|seconds| interval_bucket(*seconds) == class) {
            next_extra += 1;
        }
        let in_class = &extra[first_extra..next_extra];
        let extras = i64::try_from(in_class.len()).unwrap_or(i64::MAX);
        if below + public + extras <= rank {
            below += public + extras;
            continue;
        }
        let rank = rank - below;
        let skip = (rank - extras).max(0);
        return Some(RankRead {
            floor: interval_bucket_floor(class),
            take: if public > skip { rank - skip + 1 } else { 0 },
            skip,
            extra: in_class.to_vec(),
            at: rank - skip,
        });
    }
}

/// What [`plan_rank`] found: read `take` public lengths of the class from `floor` on,
/// after the first `skip` ([`sql::INTERVAL_RANKS`]); among them and the class's `extra`
/// lengths, ascending, the wanted one is at `at`.
struct RankRead {
    floor: i64,
    take: i64,
    skip: i64,
    extra: Vec<i64>,
    at: i64,
}

impl RankRead {
    /// The wanted length, given the public lengths read.
    fn answer(&self, read: &[i64]) -> Option<i64> {
        let mut around: Vec<i64> = read.iter().chain(&self.extra).copied().collect();
        around.sort_unstable();
        usize::try_from(self.at).ok().and_then(|i| around.get(i).copied())
    }
}

/// One read of a quarter's public lengths (its kind and quarter): ranks of a class, or
/// its longest.
enum LengthRead<'a> {
    /// [`sql::INTERVAL_RANKS`] for a [`RankRead`].
    Ranks(&'a str, &'a str, &'a RankRead),
    /// [`sql::INTERVAL_WORST`].
    Worst(&'a str, &'a str),
}

/// How many reads go into one statement (SQLite takes at most 500 parts of a compound).
const READS_PER_STATEMENT: usize = 200;

/// `statement` with each placeholder `$N` made `$(N + by)`, in one pass.
fn renumber(statement: &str, by: usize) -> String {
    let mut out = String::with_capacity(statement.len() + 8);
    let mut rest = statement;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// The lengths each read gives, in one round trip per [`READS_PER_STATEMENT`] reads: the
/// reads' own statements, each entered through the index, joined by `UNION ALL`.
async fn read_lengths(
    conn: &mut DbConnection,
    reads: &[LengthRead<'_>],
    over: Over,
) -> Result<Vec<Vec<i64>>> {
    let (ranks, worst) = match over {
        Over::Published => (sql::INTERVAL_RANKS, sql::INTERVAL_WORST),
        Over::Every => (sql::EVERY_INTERVAL_RANKS, sql::EVERY_INTERVAL_WORST),
    };
    let mut out = vec![Vec::new(); reads.len()];
    for (chunk, reads) in reads.chunks(READS_PER_STATEMENT).enumerate() {
        let first = chunk * READS_PER_STATEMENT;
        let mut parts = Vec::with_capacity(reads.len());
        let mut params = 0;
        for (i, read) in reads.iter().enumerate() {
            let (statement, n) = match read {
                LengthRead::Ranks(..) => (ranks, 5),
                LengthRead::Worst(..) => (worst, 2),
            };
            parts.push(format!(
                "SELECT CAST({} AS BIGINT) AS part, seconds FROM ({}) p{i}",
                first + i,
                renumber(statement, params)
            ));
            params += n;
        }
        let text = parts.join(" UNION ALL ");
        let mut query = sqlx::query(&text);
        for read in reads {
            query = match read {
                LengthRead::Ranks(kind, quarter, plan) => {
                    query.bind(*kind).bind(*quarter).bind(plan.floor).bind(plan.take).bind(plan.skip)
                }
                LengthRead::Worst(kind, quarter) => query.bind(*kind).bind(*quarter),
            };
        }
        for row in query.fetch_all(&mut *conn).await? {
            let part: i64 = row.try_get("part")?;
            let slot = usize::try_from(part).ok().and_then(|p| out.get_mut(p));
            slot.ok_or_else(|| StoreError::Corrupt("a length read's number".into()))?
                .push(row.try_get("seconds")?);
        }
    }
    Ok(out)
}

/// Answers each quarter of `work`: where its middle ranks lie among its public classes
/// and extra lengths ([`plan_rank`]), then every length to read for them and for the
/// public worst not known yet, read together ([`read_lengths`]); the closed count is
/// then the public and the extra ones.
async fn answer_quarters(
    conn: &mut DbConnection,
    work: &[QuarterWork<'_>],
    over: Over,
) -> Result<Vec<IntervalQuarter>> {
    let mut planned = Vec::with_capacity(work.len());
    for w in work {
        let n = w.counts.closed + i64::try_from(w.extra.len()).unwrap_or(i64::MAX);
        let (lo, hi) = ((n - 1) / 2, n / 2);
        // The high rank's read, or none where it is the low one.
        let ranks = if n > 0 {
            let low = plan_rank(w.classes, &w.extra, lo);
            let high = (hi != lo).then(|| plan_rank(w.classes, &w.extra, hi));
            (low, high)
        } else {
            (None, None)
        };
        planned.push((n, ranks));
    }
    let mut reads = Vec::new();
    for (w, (n, (low, high))) in work.iter().zip(&planned) {
        for plan in [low.as_ref(), high.as_ref().and_then(Option::as_ref)]
            .into_iter()
            .flatten()
            .filter(|p| p.take > 0)
        {
            reads.push(LengthRead::Ranks(w.kind, &w.counts.quarter, plan));
        }
        if *n > 0 && w.counts.closed > 0 && w.worst.is_none() {
            reads.push(LengthRead::Worst(w.kind, &w.counts.quarter));
        }
    }
    let mut read = read_lengths(conn, &reads, over).await?.into_iter();
    let mut out = Vec::with_capacity(work.len());
    for (w, (n, (low, high))) in work.iter().zip(&planned) {
        let mut counts = w.counts.clone();
        if *n > 0 {
            let mut answer = |plan: &RankRead| {
                if plan.take > 0 { plan.answer(&read.next().unwrap_or_default()) } else { plan.answer(&[]) }
            };
            let low = low.as_ref().and_then(&mut answer);
            let high = match high {
                Some(plan) => plan.as_ref().and_then(&mut answer),
                None => low,
            };
            counts.middle = low.zip(high);
            let public_worst = match w.worst {
                Some(worst) => worst,
                None if counts.closed > 0 => read.next().unwrap_or_default().first().copied(),
                None => None,
            };
            counts.worst = public_worst.max(w.extra.last().copied());
        }
        counts.closed = *n;
        out.push(counts);
    }
    Ok(out)
}

/// A quarter's public counts, and its closed lengths' counts by length class.
type KeptQuarter = (IntervalQuarter, Vec<(i64, i64)>);

/// Whose intervals the statistics take: the published cases' (the public statistics)
/// or every case's (an organisation that may read every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Over {
    Published,
    Every,
}

/// How many cases the statistics count: published, and unpublished (none for the
/// public statistics).
#[derive(Debug, Clone, Copy)]
struct Cases {
    published: i64,
    unpublished: i64,
}

/// The case counts and the kept interval totals of every kind, per kind and quarter, of
/// the cases `over` names, as `conn`'s snapshot sees them: the published cases' totals,
/// and for every case the unpublished ones' added class by class.
async fn kept_interval_totals(
    conn: &mut DbConnection,
    over: Over,
) -> Result<(Cases, BTreeMap<(String, String), KeptQuarter>)> {
    let mut cases = Cases {
        published: sqlx::query(sql::PUBLISHED_CASES).fetch_one(&mut *conn).await?.try_get("n")?,
        unpublished: 0,
    };
    let mut statements = vec![(sql::INTERVAL_BUCKETS, sql::INTERVAL_OPEN)];
    if over == Over::Every {
        cases.unpublished = sqlx::query(sql::UNPUBLISHED_CASES).fetch_one(&mut *conn).await?.try_get("n")?;
        statements.push((sql::UNPUBLISHED_INTERVAL_BUCKETS, sql::UNPUBLISHED_INTERVAL_OPEN));
    }
    let mut quarters: BTreeMap<(String, String), (IntervalQuarter, BTreeMap<i64, i64>)> = BTreeMap::new();
    for (buckets, open) in statements {
        for row in sqlx::query(buckets).fetch_all(&mut *conn).await? {
            let (kind, quarter): (String, String) = (row.try_get("kind")?, row.try_get("quarter")?);
            let (counts, classes) = quarters
                .entry((kind, quarter.clone()))
                .or_insert_with(|| (IntervalQuarter { quarter, ..Default::default() }, BTreeMap::new()));
            let n: i64 = row.try_get("n")?;
            counts.closed += n;
            *classes.entry(row.try_get("bucket")?).or_default() += n;
        }
        for row in sqlx::query(open).fetch_all(&mut *conn).await? {
            let n: i64 = row.try_get("n")?;
            if n != 0 {
                let (kind, quarter): (String, String) = (row.try_get("kind")?, row.try_get("quarter")?);
                quarters
                    .entry((kind, quarter.clone()))
                    .or_insert_with(|| (IntervalQuarter { quarter, ..Default::default() }, BTreeMap::new()))
                    .0
                    .open += n;
            }
        }
    }
    let quarters = quarters
        .into_iter()
        .map(|(key, (counts, classes))| {
            (key, (counts, classes.into_iter().filter(|(_, n)| *n != 0).collect()))
        })
        .collect();
    Ok((cases, quarters))
}

/// Extra lengths by kind and quarter: how many are open, and the closed ones ascending.
fn extra_by_quarter(extra: &[IntervalLength]) -> BTreeMap<(&str, &str), (i64, Vec<i64>)> {
    let mut added: BTreeMap<(&str, &str), (i64, Vec<i64>)> = BTreeMap::new();
    for i in extra {
        let (open, lengths) = added.entry((&i.kind, &i.quarter)).or_default();
        match i.seconds {
            Some(seconds) => lengths.push(seconds),
            None => *open += 1,
        }
    }
    for (_, lengths) in added.values_mut() {
        lengths.sort_unstable();
    }
    added
}

/// The statistics of every kind over the kept totals `quarters` of the cases `over`
/// names (and their `cases`, at `version`), every quarter answered: its middle ranks
/// and its worst read in one statement.
async fn answer_all(
    conn: &mut DbConnection,
    version: i64,
    cases: Cases,
    quarters: &BTreeMap<(String, String), KeptQuarter>,
    over: Over,
) -> Result<IntervalStats> {
    let work: Vec<QuarterWork<'_>> = quarters
        .iter()
        .map(|((kind, _), (counts, classes))| QuarterWork {
            kind,
            counts: counts.clone(),
            classes,
            extra: Vec::new(),
            worst: None,
        })
        .collect();
    let answered = answer_quarters(conn, &work, over).await?;
    let mut stats = IntervalStats {
        version,
        published_cases: cases.published,
        unpublished_cases: cases.unpublished,
        kinds: BTreeMap::new(),
    };
    for (w, answer) in work.iter().zip(answered) {
        stats.kinds.entry(w.kind.to_owned()).or_default().push(answer);
    }
    Ok(stats)
}

/// Where public rank `rank` (from 0, ascending) of a quarter lies, given its closed
/// lengths' counts by length class: the shortest length of its class, and how many of
/// the class come before it (none if there are not as many lengths).
fn locate(classes: &[(i64, i64)], rank: i64) -> Option<(i64, i64)> {
    let mut below = 0;
    for (class, n) in classes {
        if below + n > rank {
            return Some((interval_bucket_floor(*class), rank - below));
        }
        below += n;
    }
    None
}

/// The public interval statistics of the state `conn`'s snapshot sees (its `version`),
/// to keep: the kept totals, then every quarter's lengths around its middle ranks
/// (see [`WINDOW`]; read from the class of the first on through the index) and its worst,
/// in one statement.
async fn public_intervals(conn: &mut DbConnection, version: i64) -> Result<PublicIntervals> {
    let (Cases { published: published_cases, .. }, quarters) =
        kept_interval_totals(conn, Over::Published).await?;
    let mut plans = Vec::new();
    for ((kind, quarter), (counts, classes)) in &quarters {
        let n = counts.closed;
        let side = (n / 16).min(WINDOW);
        let (start, end) = (((n - 1) / 2 - side).max(0), (n / 2 + side).min(n - 1));
        if let Some((floor, skip)) = locate(classes, start).filter(|_| n > 0) {
            let plan = RankRead { floor, take: end - start + 1, skip, extra: Vec::new(), at: 0 };
            plans.push((kind.as_str(), quarter.as_str(), start, plan));
        }
    }
    let mut reads = Vec::with_capacity(2 * plans.len());
    for (kind, quarter, _, plan) in &plans {
        reads.push(LengthRead::Ranks(kind, quarter, plan));
        reads.push(LengthRead::Worst(kind, quarter));
    }
    let mut read = read_lengths(conn, &reads, Over::Published).await?.into_iter();
    let mut windows = HashMap::with_capacity(plans.len());
    let mut worst = HashMap::with_capacity(plans.len());
    for (kind, quarter, start, _) in &plans {
        let key = ((*kind).to_owned(), (*quarter).to_owned());
        windows.insert(key.clone(), (*start, read.next().unwrap_or_default()));
        worst.insert(key, read.next().unwrap_or_default().first().copied());
    }
    let mut stats = IntervalStats { version, published_cases, unpublished_cases: 0, kinds: BTreeMap::new() };
    for (key, (counts, _)) in &quarters {
        let mut answer = counts.clone();
        if let Some((start, window)) = windows.get(key) {
            let n = answer.closed;
            let at = |rank: i64| usize::try_from(rank - start).ok().and_then(|i| window.get(i)).copied();
            answer.middle = at((n - 1) / 2).zip(at(n / 2));
            answer.worst = worst.get(key).copied().flatten();
        }
        stats.kinds.entry(key.0.clone()).or_default().push(answer);
    }
    let classes = quarters.into_iter().map(|(key, (_, classes))| (key, classes)).collect();
    Ok(PublicIntervals { stats, classes, windows })
}

/// The length of rank `rank` among a quarter's public lengths and its `extra` ones
/// (ascending), from the kept public lengths around its middle (`window`, the first of
/// public rank `start`): the public ones below the window and the extra ones below its
/// shortest come first, those above it after, so the ranks between are the window's and
/// the extra ones within it, merged. None when the rank is not among those.
fn from_window(start: i64, window: &[i64], extra: &[i64], rank: i64) -> Option<i64> {
    let (first, last) = (*window.first()?, *window.last()?);
    let below = extra.partition_point(|x| *x < first);
    let within = extra.partition_point(|x| *x <= last);
    let mut merged: Vec<i64> = window.iter().chain(&extra[below..within]).copied().collect();
    merged.sort_unstable();
    let at = rank - start - i64::try_from(below).ok()?;
    usize::try_from(at).ok().and_then(|i| merged.get(i)).copied()
}

/// The public statistics `public` with the `extra` lengths merged in: only the quarters
/// they fall in are answered again (the public worst known), their middle ranks read in
/// `conn`'s snapshot (the one `public` was computed at).
async fn with_extra(
    conn: &mut DbConnection,
    public: &PublicIntervals,
    extra: &[IntervalLength],
) -> Result<IntervalStats> {
    let mut stats = public.stats.clone();
    let mut work = Vec::new();
    let mut answered = Vec::new();
    for ((kind, quarter), (open, lengths)) in extra_by_quarter(extra) {
        let found = stats.kinds.get(kind).and_then(|quarters| {
            quarters.binary_search_by(|q| q.quarter.as_str().cmp(quarter)).ok().map(|i| &quarters[i])
        });
        let mut counts = IntervalQuarter { quarter: quarter.to_owned(), ..Default::default() };
        if let Some(q) = found {
            (counts.closed, counts.open) = (q.closed, q.open);
        }
        counts.open += open;
        let key = (kind.to_owned(), quarter.to_owned());
        let public_worst = found.and_then(|q| q.worst);
        // The middle ranks among the kept lengths around the public ones, if they are.
        let n = counts.closed + i64::try_from(lengths.len()).unwrap_or(i64::MAX);
        if let Some((start, window)) = public.windows.get(&key) {
            let middle = |rank| from_window(*start, window, &lengths, rank);
            if let (Some(low), Some(high)) = (middle((n - 1) / 2), middle(n / 2)) {
                counts.middle = Some((low, high));
                counts.worst = public_worst.max(lengths.last().copied());
                counts.closed = n;
                answered.push((kind, counts));
                continue;
            }
        }
        let classes = public.classes.get(&key).map_or(&[][..], Vec::as_slice);
        work.push(QuarterWork { kind, counts, classes, extra: lengths, worst: Some(public_worst) });
    }
    let read = answer_quarters(conn, &work, Over::Published).await?;
    answered.extend(work.iter().map(|w| w.kind).zip(read));
    for (kind, answer) in answered {
        let quarters = stats.kinds.entry(kind.to_owned()).or_default();
        match quarters.binary_search_by(|q| q.quarter.cmp(&answer.quarter)) {
            Ok(i) => quarters[i] = answer,
            Err(i) => quarters.insert(i, answer),
        }
    }
    Ok(stats)
}

/// A page of the case list as SQLite aggregates it (see `case_page`): one flat array a
/// case of its columns ([`CASE_COLUMNS`]), then its state, published flag (0 or 1) and
/// relation (a nested array a case cost SQLite more than it saved).
fn listings_from_json(page: &str) -> Result<Vec<CaseListing>> {
    type Listed =
        (String, String, String, String, String, String, i64, Option<String>, String, i64, Option<String>);
    serde_json::from_str::<Vec<Listed>>(page)
        .map_err(|e| StoreError::Corrupt(format!("a page of the case list: {e}")))?
        .into_iter()
        .map(|(id, title, tz, reporter, platform, created, seq, planned, state, published, relation)| {
            let record = case_from_columns((id, title, tz, reporter, platform, created, seq, planned))?;
            Ok(CaseListing { record, state, published: published != 0, relation })
        })
        .collect()
}

/// A case's intervals as [`sql::related_intervals`] aggregates them: `kind quarter
/// seconds` (`-`: open), separated by `,`.
fn parse_related_intervals(text: &str) -> Result<Vec<IntervalLength>> {
    let bad = || StoreError::Corrupt(format!("a case's aggregated intervals `{text}`"));
    text.split(',')
        .map(|interval| {
            let mut parts = interval.split(' ');
            let (Some(kind), Some(quarter), Some(seconds), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            let seconds = match seconds {
                "-" => None,
                n => Some(n.parse().map_err(|_| bad())?),
            };
            Ok(IntervalLength { kind: kind.to_owned(), quarter: quarter.to_owned(), seconds })
        })
        .collect()
}

/// The kept totals: each table, its columns besides `n` (as its recount gives them),
/// those of them a total is kept by (its slot apart), and the statement that counts
/// them again from the rows they total.
const KEPT_TOTALS: [(&str, &str, &[&str], &str); 7] = [
    ("public_obligation_totals", "slot, status, dated", &["status", "dated"], sql::RECOUNT_OBLIGATION_TOTALS),
    (
        "public_interval_buckets",
        "kind, quarter, bucket",
        &["kind", "quarter", "bucket"],
        sql::RECOUNT_INTERVAL_BUCKETS,
    ),
    ("public_interval_open", "kind, quarter, slot", &["kind", "quarter"], sql::RECOUNT_INTERVAL_OPEN),
    ("published_case_totals", "slot", &[], sql::RECOUNT_PUBLISHED_CASES),
    (
        "unpublished_interval_buckets",
        "kind, quarter, bucket, slot",
        &["kind", "quarter", "bucket"],
        sql::RECOUNT_UNPUBLISHED_BUCKETS,
    ),
    ("unpublished_interval_open", "kind, quarter, slot", &["kind", "quarter"], sql::RECOUNT_UNPUBLISHED_OPEN),
    ("unpublished_case_totals", "slot", &[], sql::RECOUNT_UNPUBLISHED_CASES),
];

/// Each total of `statement` (its `key` as text, its `n`), ascending.
async fn totals_by_key(pool: &sqlx::Pool<Db>, statement: &str) -> Result<Vec<(String, i64)>> {
    let mut totals = sqlx::query(statement)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("key")?, row.try_get("n")?)))
        .collect::<Result<Vec<_>>>()?;
    totals.sort();
    Ok(totals)
}

fn warning_from_row(row: &DbRow) -> Result<(Timestamp, String)> {
    Ok((ts(&row.try_get::<String, _>("created_at")?)?, row.try_get("org_id")?))
}

fn interval_from_row(row: &DbRow) -> Result<IntervalLength> {
    Ok(IntervalLength {
        kind: row.try_get("kind")?,
        quarter: row.try_get("quarter")?,
        seconds: row.try_get("seconds")?,
    })
}

fn due_from_row(row: &DbRow) -> Result<DueObligation> {
    Ok(DueObligation {
        case_id: row.try_get("case_id")?,
        obligation: OpenObligation {
            org_id: row.try_get("org_id")?,
            rule: row.try_get("rule")?,
            product: row.try_get("product")?,
            due_at: opt_ts(row.try_get("due_at")?)?,
            status: OpenStatus::parse(&row.try_get::<String, _>("status")?)
                .ok_or_else(|| StoreError::Corrupt("an open obligation's status".into()))?,
        },
    })
}

#[async_trait::async_trait]
impl Projections for Inner {
    fn set_projector(&self, projector: std::sync::Arc<dyn Projector>) {
        *self.projector.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(projector);
    }

    async fn project_case(&self, case_id: &str, at: Timestamp) -> Result<()> {
        let projector = self.projector();
        let mut tx = self.writer.begin().await?;
        // Taking the case's row as a writer would keeps a concurrent change from
        // interleaving with the recomputation.
        sqlx::query(&format!("SELECT last_seq FROM cases WHERE id = $1{FOR_UPDATE}"))
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found("case", case_id))?;
        reproject(&mut tx, projector.as_deref(), case_id, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn project_stale(&self, at: Timestamp) -> Result<usize> {
        let Some(projector) = self.projector() else { return Ok(0) };
        let stale: Vec<String> = sqlx::query(
            "SELECT c.id FROM cases c LEFT JOIN case_views v ON v.case_id = c.id \
             WHERE v.case_id IS NULL OR v.seq <> c.last_seq OR v.projector <> $1 ORDER BY c.created_at, c.id",
        )
        .bind(projector.version())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
        for case_id in &stale {
            self.project_case(case_id, at).await?;
        }
        Ok(stale.len())
    }

    async fn rebuild_projections(&self, at: Timestamp) -> Result<usize> {
        let ids = crate::Store::case_ids(self).await?;
        for case_id in &ids {
            self.project_case(case_id, at).await?;
        }
        // The totals counted again from the rows they total (what the rewrites kept them).
        let mut tx = self.writer.begin().await?;
        for (table, columns, _, recount) in KEPT_TOTALS {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            sqlx::query(&format!("INSERT INTO {table} ({columns}, n) {recount}")).execute(&mut *tx).await?;
        }
        // And the statistics computed again by every process that kept them.
        sqlx::query(sql::BUMP_INTERVAL_VERSION).bind(0).execute(&mut *tx).await?;
        sqlx::query(sql::BUMP_UNPUBLISHED_VERSION).bind(0).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(ids.len())
    }

    async fn projection(&self, case_id: &str) -> Result<Option<CaseProjection>> {
        let Some(view) =
            sqlx::query("SELECT state, published, vendors, products FROM case_views WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&self.reader)
                .await?
        else {
            return Ok(None);
        };
        let relations =
            sqlx::query("SELECT org_id, relation FROM case_relations WHERE case_id = $1 ORDER BY org_id")
                .bind(case_id)
                .fetch_all(&self.reader)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("org_id")?, row.try_get("relation")?)))
                .collect::<Result<Vec<_>>>()?;
        // An obligation whose `public` flag disagrees with its case's view is left out,
        // so a comparison with a recomputation finds it.
        let published: bool = view.try_get("published")?;
        let obligations = sqlx::query(
            "SELECT * FROM open_obligations WHERE case_id = $1 AND public = $2 ORDER BY org_id, rule, product",
        )
        .bind(case_id)
        .bind(published)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| due_from_row(row).map(|d| d.obligation))
        .collect::<Result<Vec<_>>>()?;
        let intervals = sqlx::query(
            "SELECT kind, quarter, seconds FROM case_intervals WHERE case_id = $1 AND public = $2 ORDER BY kind",
        )
        .bind(case_id)
        .bind(published)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(interval_from_row)
        .collect::<Result<Vec<_>>>()?;
        let waiting =
            sqlx::query("SELECT vendor, last_told FROM case_waiting WHERE case_id = $1 ORDER BY vendor")
                .bind(case_id)
                .fetch_all(&self.reader)
                .await?
                .iter()
                .map(|row| {
                    Ok(WaitingVendor {
                        vendor: row.try_get("vendor")?,
                        last_told: ts(&row.try_get::<String, _>("last_told")?)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
        Ok(Some(CaseProjection {
            state: view.try_get("state")?,
            published,
            relations,
            obligations,
            vendors: view.try_get("vendors")?,
            products: view.try_get("products")?,
            intervals,
            waiting,
        }))
    }

    async fn case_page(&self, query: &CasePageQuery) -> Result<Vec<CaseListing>> {
        if query.after.as_deref() == Some("") {
            // No case has the empty id: an unknown cursor starts nowhere.
            return Ok(Vec::new());
        }
        // One statement: the cursor's place, and for an organisation its two runs (the
        // published cases, its own unpublished ones) merged in the database.
        let in_state = query.state.as_deref().is_some_and(|state| !state.is_empty());
        let statement = match query.org_id {
            Some(_) => sql::cases_of_org(BACKEND, in_state),
            None => sql::cases_published(BACKEND, in_state),
        };
        // On SQLite the page crosses from its connection thread as one row (`one_row`).
        let sql = sql::with_page_size(
            &page_statement(
                statement,
                &format!("{CASE_COLUMNS}, state, published, relation"),
                "page_at, page_id",
            ),
            "$4",
            query.limit,
        );
        let page = sqlx::query(&sql)
            .bind(query.org_id.as_deref().unwrap_or_default())
            .bind(query.after.as_deref().unwrap_or_default())
            .bind(query.state.as_deref().unwrap_or_default());
        let from_row = |row: &DbRow| {
            Ok(CaseListing {
                record: case_from_row(row)?,
                state: row.try_get("state")?,
                published: row.try_get("published")?,
                relation: row.try_get("relation")?,
            })
        };
        let mut listings = read_page(page, &self.reader, listings_from_json, from_row).await?;
        // The runs do not overlap (a case is published or not); a case in both, were its
        // relation's flag ever behind its views, is listed once.
        listings.dedup_by(|a, b| a.record.id == b.record.id);
        Ok(listings)
    }

    async fn due_obligations(
        &self,
        org_id: &str,
        due_before: Option<Timestamp>,
        after: Option<&DueCursor>,
        limit: i64,
    ) -> Result<Vec<DueObligation>> {
        let horizon = due_before.map_or_else(|| "~".to_owned(), format_ts);
        let (key, case, rule, product) = after.map_or(("", "", "", ""), |c| {
            (c.due_key.as_str(), c.case_id.as_str(), c.rule.as_str(), c.product.as_str())
        });
        sqlx::query(sql::DUE_OBLIGATIONS)
            .bind(org_id)
            .bind(horizon)
            .bind(key)
            .bind(case)
            .bind(rule)
            .bind(product)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(due_from_row)
            .collect()
    }

    async fn cases_with_obligations_due(&self, from: Timestamp, to: Timestamp) -> Result<Vec<String>> {
        sqlx::query(sql::CASES_DUE)
            .bind(format_ts(from))
            .bind(format_ts(to))
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|row| Ok(row.try_get("case_id")?))
            .collect()
    }

    async fn receipt_page(
        &self,
        platform: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<crate::Receipt>> {
        let (after_at, after_id) = match after {
            Some(id) => match sqlx::query("SELECT received_at FROM receipts WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.reader)
                .await?
            {
                Some(row) => (row.try_get::<String, _>("received_at")?, id.to_owned()),
                None => return Ok(Vec::new()),
            },
            None => (String::new(), String::new()),
        };
        let rows = match platform {
            None => {
                sqlx::query(sql::RECEIPTS)
                    .bind(&after_at)
                    .bind(&after_id)
                    .bind(limit)
                    .fetch_all(&self.reader)
                    .await?
            }
            Some(org) => {
                sqlx::query(sql::RECEIPTS_OF_PLATFORM)
                    .bind(&after_at)
                    .bind(&after_id)
                    .bind(limit)
                    .bind(org)
                    .fetch_all(&self.reader)
                    .await?
            }
        };
        rows.iter().map(receipt_from_row).collect()
    }

    async fn party_cases(&self, org_id: &str) -> Result<Vec<String>> {
        sqlx::query(sql::PARTY_CASES)
            .bind(org_id)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|row| Ok(row.try_get("case_id")?))
            .collect()
    }

    async fn cases_by_state(&self) -> Result<Vec<(String, i64)>> {
        sqlx::query("SELECT state, COUNT(*) AS n FROM case_views GROUP BY state ORDER BY state")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|row| Ok((row.try_get("state")?, row.try_get("n")?)))
            .collect()
    }

    async fn interval_stats(&self, extra: &[IntervalLength]) -> Result<IntervalStats> {
        // The public answer while the version has not moved: one read.
        if extra.is_empty() {
            let version: i64 =
                sqlx::query(sql::INTERVAL_VERSION).fetch_one(&self.reader).await?.try_get("v")?;
            if let Some(kept) = self.intervals_at(version) {
                return Ok(kept.stats.clone());
            }
        }
        // Otherwise the version, the public part and the extra ranks in one snapshot.
        let mut tx = self.reader.begin().await?;
        if BACKEND == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let version: i64 = sqlx::query(sql::INTERVAL_VERSION).fetch_one(&mut *tx).await?.try_get("v")?;
        // Nothing kept at this version: the public answer is computed and kept first,
        // whoever asks, so that the next caller with extra lengths merges them into it
        // rather than reading every quarter again.
        let public = match self.intervals_at(version) {
            Some(kept) => kept,
            None => {
                let computed = std::sync::Arc::new(public_intervals(&mut tx, version).await?);
                self.keep_intervals(computed.clone());
                computed
            }
        };
        let stats =
            if extra.is_empty() { public.stats.clone() } else { with_extra(&mut tx, &public, extra).await? };
        tx.commit().await?;
        Ok(stats)
    }

    async fn kept_totals_drift(&self) -> Result<Vec<String>> {
        let mut drift = Vec::new();
        for (table, _, keys, recount) in KEPT_TOTALS {
            // One text key for both sides (a boolean reads as each back end writes it).
            let key = match keys {
                [] => "'all'".to_owned(),
                keys => {
                    keys.iter().map(|k| format!("CAST({k} AS TEXT)")).collect::<Vec<_>>().join(" || '/' || ")
                }
            };
            let group =
                if keys.is_empty() { String::new() } else { format!(" GROUP BY {}", keys.join(", ")) };
            let kept = totals_by_key(
                &self.reader,
                &format!(
                    "SELECT {key} AS key, CAST(SUM(n) AS BIGINT) AS n FROM {table}{group} HAVING SUM(n) <> 0"
                ),
            )
            .await?;
            let counted = totals_by_key(
                &self.reader,
                &format!("SELECT {key} AS key, n FROM ({recount}) r WHERE n <> 0"),
            )
            .await?;
            if kept != counted {
                drift.push(format!("{table}: kept {kept:?}, counted {counted:?}"));
            }
        }
        // The public interval statistics (this process's kept answer, if it is of the
        // current version) against every published interval.
        let kept = self.interval_stats(&[]).await?;
        let mut lengths: BTreeMap<(String, String), (Vec<i64>, i64)> = BTreeMap::new();
        for row in sqlx::query(sql::PUBLIC_LENGTHS).fetch_all(&self.reader).await? {
            let key = (row.try_get("kind")?, row.try_get("quarter")?);
            lengths.entry(key).or_default().0.push(row.try_get("seconds")?);
        }
        for row in sqlx::query(sql::RECOUNT_INTERVAL_OPEN).fetch_all(&self.reader).await? {
            let key = (row.try_get("kind")?, row.try_get("quarter")?);
            lengths.entry(key).or_default().1 += row.try_get::<i64, _>("n")?;
        }
        let published_cases: i64 =
            sqlx::query(sql::RECOUNT_PUBLISHED_CASES).fetch_one(&self.reader).await?.try_get("n")?;
        let mut counted = IntervalStats {
            version: kept.version,
            published_cases,
            unpublished_cases: 0,
            kinds: BTreeMap::new(),
        };
        for ((kind, quarter), (mut closed, open)) in lengths {
            closed.sort_unstable();
            let n = closed.len();
            counted.kinds.entry(kind).or_default().push(IntervalQuarter {
                quarter,
                closed: i64::try_from(n).unwrap_or(i64::MAX),
                open,
                middle: (n > 0).then(|| (closed[(n - 1) / 2], closed[n / 2])),
                worst: closed.last().copied(),
            });
        }
        if kept != counted {
            drift.push(format!("the public interval statistics: kept {kept:?}, counted {counted:?}"));
        }
        Ok(drift)
    }

    async fn first_warning(&self, case_id: &str) -> Result<Option<(Timestamp, String)>> {
        sqlx::query(sql::FIRST_WARNING)
            .bind(case_id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(warning_from_row)
            .transpose()
    }

    async fn every_interval_stats(&self) -> Result<IntervalStats> {
        // The kept answer while neither version has moved: one read.
        let versions = sqlx::query(sql::EVERY_INTERVAL_VERSION).fetch_one(&self.reader).await?;
        if let Some(kept) = self.every_at(versions.try_get("v")?, versions.try_get("u")?) {
            return Ok(kept);
        }
        let mut tx = self.reader.begin().await?;
        if BACKEND == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let versions = sqlx::query(sql::EVERY_INTERVAL_VERSION).fetch_one(&mut *tx).await?;
        let (version, unpublished): (i64, i64) = (versions.try_get("v")?, versions.try_get("u")?);
        let (cases, quarters) = kept_interval_totals(&mut tx, Over::Every).await?;
        let stats = answer_all(&mut tx, version, cases, &quarters, Over::Every).await?;
        tx.commit().await?;
        self.keep_every(unpublished, &stats);
        Ok(stats)
    }

    async fn platform_of_every_case(&self, org_id: &str) -> Result<bool> {
        let row = sqlx::query(sql::PLATFORMS_RANGE).fetch_one(&self.reader).await?;
        let (first, last): (Option<String>, Option<String>) = (row.try_get("first")?, row.try_get("last")?);
        Ok(match (first, last) {
            (Some(first), Some(last)) => first == org_id && last == org_id,
            _ => true,
        })
    }

    async fn published_cases(&self) -> Result<i64> {
        Ok(sqlx::query(sql::PUBLISHED_CASES).fetch_one(&self.reader).await?.try_get("n")?)
    }

    async fn related_intervals(&self, org_id: &str) -> Result<Vec<RelatedIntervals>> {
        let rows = sqlx::query(sql::related_intervals(BACKEND)).bind(org_id).fetch_all(&self.reader).await?;
        rows.iter()
            .map(|row| {
                let intervals: Option<String> = row.try_get("intervals")?;
                Ok(RelatedIntervals {
                    case_id: row.try_get("case_id")?,
                    state: row.try_get("state")?,
                    relation: row.try_get("relation")?,
                    intervals: intervals.as_deref().map_or(Ok(Vec::new()), parse_related_intervals)?,
                })
            })
            .collect()
    }

    async fn obligation_counts(
        &self,
        now: Timestamp,
        related: Option<(&str, &[&str])>,
    ) -> Result<ObligationCounts> {
        let now = format_ts(now);
        let related = related.filter(|(_, relations)| !relations.is_empty());
        let statement = sql::obligation_gauges(BACKEND, related.map_or(0, |(_, relations)| relations.len()));
        let mut query = sqlx::query(&statement).bind(&now);
        if let Some((org, relations)) = related {
            query = query.bind(org);
            for relation in relations {
                query = query.bind(*relation);
            }
        }
        // The published cases' obligations: the kept totals, and those still due in the
        // future through the due index (the dated pending ones past due are the rest);
        // and the unpublished ones of the cases the organisation stands in a relation to.
        let mut counts = ObligationCounts::default();
        let (mut dated_pending, mut future) = (0, 0);
        for row in query.fetch_all(&self.reader).await? {
            let part: String = row.try_get("part")?;
            let status: Option<String> = row.try_get("status")?;
            match (part.as_str(), status.as_deref()) {
                ("totals", Some(status)) => {
                    let n: i64 = row.try_get("n")?;
                    match (status, row.try_get::<bool, _>("dated")?) {
                        ("not_started", _) => counts.not_started += n,
                        ("pending", true) => dated_pending += n,
                        ("pending", false) => counts.pending += n,
                        _ => {}
                    }
                }
                ("ahead", _) => future = row.try_get("n")?,
                ("related", Some(status)) => {
                    let due_key: Option<String> = row.try_get("due_key")?;
                    match status {
                        "not_started" => counts.not_started += 1,
                        "pending" if due_key.as_deref().is_some_and(|due| due <= now.as_str()) => {
                            counts.overdue += 1
                        }
                        "pending" => counts.pending += 1,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        counts.pending += future;
        counts.overdue += dated_pending - future;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    /// A rank found among the kept lengths around the public middle and the extra ones
    /// is the rank of all the lengths merged, whatever part of the public lengths the
    /// window holds (the interval test's quarters are smaller than a window).
    #[test]
    fn ranks_from_the_window_are_those_of_every_length() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut below = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            i64::try_from(state % n).unwrap()
        };
        let mut found = 0;
        for _ in 0..2_000 {
            let mut public: Vec<i64> = (0..below(300)).map(|_| below(500)).collect();
            let mut extra: Vec<i64> = (0..below(80)).map(|_| below(520) - 10).collect();
            public.sort_unstable();
            extra.sort_unstable();
            let n = i64::try_from(public.len()).unwrap();
            if n == 0 {
                continue;
            }
            let side = below(65);
            let (start, end) = (((n - 1) / 2 - side).max(0), (n / 2 + side).min(n - 1));
            let window = &public[usize::try_from(start).unwrap()..=usize::try_from(end).unwrap()];
            let mut all: Vec<i64> = public.iter().chain(&extra).copied().collect();
            all.sort_unstable();
            for (rank, length) in all.iter().enumerate() {
                if let Some(at) = super::from_window(start, window, &extra, i64::try_from(rank).unwrap()) {
                    assert_eq!(at, *length, "rank {rank} of {public:?} and {extra:?}");
                    found += 1;
                }
            }
        }
        assert!(found > 10_000, "{found}");
    }

    #[test]
    fn a_cases_aggregated_intervals_are_read_back() {
        let read = super::parse_related_intervals(
            "vendor_notified 2024-Q1 3600,fix_available 2024-Q1 -,bulletin 2023-Q4 -5",
        )
        .expect("well formed");
        let read: Vec<(&str, &str, Option<i64>)> =
            read.iter().map(|i| (i.kind.as_str(), i.quarter.as_str(), i.seconds)).collect();
        assert_eq!(
            read,
            [
                ("vendor_notified", "2024-Q1", Some(3600)),
                ("fix_available", "2024-Q1", None),
                ("bulletin", "2023-Q4", Some(-5))
            ]
        );
        for bad in
            ["", "vendor_notified 2024-Q1", "vendor_notified 2024-Q1 1 2", "vendor_notified 2024-Q1 soon"]
        {
            assert!(super::parse_related_intervals(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_aggregated_page_of_the_case_list_is_read_back_and_a_bad_one_refused() {
        let page = r#"[["c-1","T","Asia/Shanghai","r","p","2024-03-01T02:00:00.000000Z",3,null,"triaging",0,null],
                       ["c-2","U","UTC","r","p","2024-03-02T02:00:00.000000Z",9,"2024-06-01T00:00:00.000000Z","published",1,"reporter"]]"#;
        let listed = super::listings_from_json(page).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!((listed[0].record.id.as_str(), listed[0].record.last_seq), ("c-1", 3));
        assert_eq!((listed[0].published, listed[0].relation.as_deref()), (false, None));
        assert_eq!(listed[0].record.planned_public_at, None);
        assert_eq!((listed[1].published, listed[1].relation.as_deref()), (true, Some("reporter")));
        assert!(listed[1].record.planned_public_at.is_some());
        assert!(super::listings_from_json("[]").unwrap().is_empty());
        for bad in
            [r#"[["c-1"]]"#, "{", r#"[["c-1","T","UTC","r","p","yesterday",3,null,"triaging",0,null]]"#]
        {
            assert!(super::listings_from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn placeholders_are_renumbered_in_one_pass() {
        assert_eq!(super::renumber("a = $1 AND b = $10 LIMIT $2", 5), "a = $6 AND b = $15 LIMIT $7");
        assert_eq!(super::renumber("no $ placeholder $", 3), "no $ placeholder $");
    }
}
