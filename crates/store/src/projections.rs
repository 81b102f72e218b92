//! Derived views of the cases, kept as data: each case's state, the organisations that
//! stand in a relation to it, and the open obligations of its parties with when they
//! fall due. A [`Projector`] (the server's, which knows the policy packs) computes them
//! from a case as a writing transaction leaves it, and the store writes them in that
//! same transaction; the event log stays the truth, and [`Projections::rebuild_projections`]
//! recomputes every view from it.
//!
//! A list request then costs what it returns: cases come by keyset pages in their
//! order, obligations by due time through an index, and "overdue" is `due_at` compared
//! with the clock when asked, never a stored state. The statistics read kept totals
//! (the published cases, their obligations, their intervals by kind, quarter and length
//! class) moved by each rewrite, so they cost the same at any number of cases.

use std::fmt::Debug;

use async_trait::async_trait;
use vulnrelay_domain::Timestamp;

use crate::{CaseRecord, Fragment, Result, StoredEvent};

/// A case as a writing transaction leaves it: what a projector reads.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSnapshot {
    /// The case's record.
    pub record: CaseRecord,
    /// Its parties, in the order they joined.
    pub parties: Vec<Fragment>,
    /// Its products.
    pub products: Vec<Fragment>,
    /// Its events, in log order.
    pub events: Vec<StoredEvent>,
    /// See [`crate::Coordination::one_product_until`].
    pub one_product_until: Option<i64>,
    /// The first risk warning issued for one of its records: when, and to which
    /// organisation (what closes its `first_warning` interval).
    pub first_warning: Option<(Timestamp, String)>,
}

/// What the derived views keep of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseProjection {
    /// The case's state, as its events make it (e.g. `triaging`, `published`).
    pub state: String,
    /// Whether the public may read it.
    pub published: bool,
    /// The organisations in a relation to the case other than the public's, with the
    /// relation's name (`platform`, `reporter`, `notified_provider`), by organisation.
    pub relations: Vec<(String, String)>,
    /// The open obligations, by organisation, rule and product.
    pub obligations: Vec<OpenObligation>,
    /// How many downstream vendors (providers of a product that names an upstream
    /// product) the case has: a projector reusing earlier views knows from it that the
    /// vendors are those they were made with (parties never leave a case).
    pub vendors: i64,
    /// How many products the case has: those after the first `products` joined since.
    pub products: i64,
    /// Its key intervals that have a start, for the statistics.
    pub intervals: Vec<IntervalLength>,
    /// Its downstream vendors that a platform of the case told something and that have
    /// not answered since, by vendor (what the coordination reminders are due from).
    pub waiting: Vec<WaitingVendor>,
}

/// A downstream vendor of a case that a platform told something and that has not
/// answered since.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WaitingVendor {
    /// The vendor's organisation id.
    pub vendor: String,
    /// When a platform of the case last told it something.
    pub last_told: Timestamp,
}

/// One key interval of a case as the statistics count it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IntervalLength {
    /// The interval's kind (e.g. `vendor_notified`).
    pub kind: String,
    /// The quarter of its start, UTC (`2021-Q4`).
    pub quarter: String,
    /// Its length in seconds (`None`: still open).
    pub seconds: Option<i64>,
}

/// The interval statistics of one kind and quarter over the cases in a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntervalQuarter {
    /// The quarter (`2021-Q4`).
    pub quarter: String,
    /// How many are closed (both ends known).
    pub closed: i64,
    /// How many are still open.
    pub open: i64,
    /// The two middle lengths in seconds of the closed ones (the same one twice for an
    /// odd count): their mean is the median.
    pub middle: Option<(i64, i64)>,
    /// The longest closed one, in seconds.
    pub worst: Option<i64>,
}

/// The interval statistics of every kind over the published cases (and a caller's
/// extra lengths, when asked with some), as of one state of the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntervalStats {
    /// The version of the published intervals the public part was computed at (see
    /// [`Projections::interval_stats`]): it moves with every change to them.
    pub version: i64,
    /// How many cases are published.
    pub published_cases: i64,
    /// How many unpublished cases the statistics count: none for the public ones; every
    /// unpublished case with views for [`Projections::every_interval_stats`].
    pub unpublished_cases: i64,
    /// Per kind (e.g. `vendor_notified`), its statistics per quarter, ascending; a kind
    /// with no interval is absent.
    pub kinds: std::collections::BTreeMap<String, Vec<IntervalQuarter>>,
}

/// A case's views as they were after event `seq`, made by the same projector: what a
/// projector may reuse for a change that appended events after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousViews {
    /// The last event they were made from.
    pub seq: i64,
    /// What they held.
    pub projection: CaseProjection,
}

/// An open obligation of a party on a case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpenObligation {
    /// The bound organisation.
    pub org_id: String,
    /// The rule, `pack/rule`.
    pub rule: String,
    /// The product concerned (empty: the case as a whole).
    pub product: String,
    /// When it falls due (`None`: no numeric deadline).
    pub due_at: Option<Timestamp>,
    /// Where it stands.
    pub status: OpenStatus,
}

/// Where an open obligation stands; "overdue" is not a stored state but a pending
/// obligation whose `due_at` has passed when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpenStatus {
    /// Not met yet.
    Pending,
    /// Met, but without all the content the rule asks for.
    Incomplete,
    /// Its clock waits for an event (e.g. a fix).
    NotStarted,
}

impl OpenStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OpenStatus::Pending => "pending",
            OpenStatus::Incomplete => "incomplete",
            OpenStatus::NotStarted => "not_started",
        }
    }

    /// The status a stored name names.
    pub fn parse(text: &str) -> Option<OpenStatus> {
        [OpenStatus::Pending, OpenStatus::Incomplete, OpenStatus::NotStarted]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The open obligations on the cases in a scope, by where they stand at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObligationCounts {
    /// Not met, not yet due.
    pub pending: i64,
    /// Not met, past due.
    pub overdue: i64,
    /// Waiting for the event that starts their clock.
    pub not_started: i64,
}

/// Computes a case's derived views. Pure: the same snapshot gives the same projection.
pub trait Projector: Debug + Send + Sync {
    /// A name for what the projection depends on besides the case (e.g. a digest of the
    /// policy packs and settings): views made under another name are recomputed.
    fn version(&self) -> String;
    /// The views of `case`, evaluated at `at` (or at its latest event, when later).
    fn project(&self, case: &CaseSnapshot, at: Timestamp) -> std::result::Result<CaseProjection, String>;
    /// The same views, given what they were before the change that appended the events
    /// after `previous.seq` (which a projector may reuse for what those events cannot
    /// change); by default recomputed whole.
    fn project_after(
        &self,
        case: &CaseSnapshot,
        at: Timestamp,
        previous: Option<&PreviousViews>,
    ) -> std::result::Result<CaseProjection, String> {
        let _ = previous;
        self.project(case, at)
    }
}

/// One case of a keyset page of the case list, with the caller's relation to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseListing {
    /// The case's record.
    pub record: CaseRecord,
    /// Its state.
    pub state: String,
    /// Whether the public may read it.
    pub published: bool,
    /// The asking organisation's relation to it, if any other than the public's.
    pub relation: Option<String>,
}

/// An unpublished case an organisation stands in a relation to, with its intervals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedIntervals {
    /// The case.
    pub case_id: String,
    /// Its state.
    pub state: String,
    /// The organisation's relation to it.
    pub relation: String,
    /// Its intervals that have a start.
    pub intervals: Vec<IntervalLength>,
}

/// What a page of the case list asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CasePageQuery {
    /// The asking organisation (none: the public).
    pub org_id: Option<String>,
    /// Only cases in this state.
    pub state: Option<String>,
    /// Cases after this one, in the list's order (oldest first).
    pub after: Option<String>,
    /// At most this many.
    pub limit: i64,
}

/// One open obligation with its case, in due order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueObligation {
    /// The case.
    pub case_id: String,
    /// The obligation.
    pub obligation: OpenObligation,
}

/// Where a page of obligations starts: after this one, in due order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCursor {
    /// Its due key (`due_at` in the store's time format, or `~`).
    pub due_key: String,
    /// Its case.
    pub case_id: String,
    /// Its rule.
    pub rule: String,
    /// Its product.
    pub product: String,
}

impl DueObligation {
    /// The cursor of the page that follows this obligation.
    pub fn cursor(&self) -> DueCursor {
        DueCursor {
            due_key: due_key(self.obligation.due_at),
            case_id: self.case_id.clone(),
            rule: self.obligation.rule.clone(),
            product: self.obligation.product.clone(),
        }
    }
}

/// The ordering key of a due time: the time in the store's format, or `~` (after every
/// time) for a duty with no numeric deadline.
pub fn due_key(due_at: Option<Timestamp>) -> String {
    due_at.map_or_else(|| "~".to_owned(), crate::time::format_ts)
}

/// The length class of a closed interval of `seconds`, as the kept interval totals
/// count it: the class's shortest length — the whole hour below two days, the whole day
/// below a year, the whole week (counted from zero) beyond — or -1 for any negative
/// length. A longer length never has a lower class, and every class is its own class
/// (so "shorter than class `b`" and "in a class below `b`" are the same lengths).
pub fn interval_bucket(seconds: i64) -> i64 {
    const HOUR: i64 = 3_600;
    const DAY: i64 = 86_400;
    match seconds {
        ..0 => -1,
        0..172_800 => seconds - seconds % HOUR,
        172_800..31_536_000 => seconds - seconds % DAY,
        _ => seconds - seconds % (7 * DAY),
    }
}

/// The shortest length of class `bucket` (see [`interval_bucket`]): where a read of the
/// class's lengths through the index starts.
pub fn interval_bucket_floor(bucket: i64) -> i64 {
    if bucket < 0 { i64::MIN } else { bucket }
}

/// Storage of the derived views.
#[async_trait]
pub trait Projections: Send + Sync {
    /// Sets the projector the write paths use from now on.
    fn set_projector(&self, projector: std::sync::Arc<dyn Projector>);
    /// Recomputes one case's views now, in one transaction.
    async fn project_case(&self, case_id: &str, at: Timestamp) -> Result<()>;
    /// Recomputes the views of every case whose views are missing, behind its log, or
    /// made by another projector version; returns how many.
    async fn project_stale(&self, at: Timestamp) -> Result<usize>;
    /// Recomputes every case's views; returns how many cases.
    async fn rebuild_projections(&self, at: Timestamp) -> Result<usize>;
    /// A case's stored views (none: never projected).
    async fn projection(&self, case_id: &str) -> Result<Option<CaseProjection>>;
    /// One keyset page of the cases an organisation (or the public) may list: the
    /// published ones and those it stands in a relation to, oldest first. The caller
    /// applies the access function to each; the page may hold cases it then drops.
    async fn case_page(&self, query: &CasePageQuery) -> Result<Vec<CaseListing>>;
    /// The open obligations of `org_id` not waiting for their clock to start, due at or
    /// before `due_before` (`None`: any time) or with no numeric deadline, in due
    /// order, after `after`.
    async fn due_obligations(
        &self,
        org_id: &str,
        due_before: Option<Timestamp>,
        after: Option<&DueCursor>,
        limit: i64,
    ) -> Result<Vec<DueObligation>>;
    /// The cases with an open obligation (not waiting for its clock) due in
    /// `(from, to]`, oldest due first (the reminders' index).
    async fn cases_with_obligations_due(&self, from: Timestamp, to: Timestamp) -> Result<Vec<String>>;
    /// One keyset page of the receipt log, oldest first, after the receipt `after`:
    /// the whole log, or (with `platform`) the receipts of the cases that organisation
    /// works as a platform.
    async fn receipt_page(
        &self,
        platform: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<crate::Receipt>>;
    /// The cases an organisation is a party to, oldest first (an organisation's record).
    async fn party_cases(&self, org_id: &str) -> Result<Vec<String>>;
    /// How many cases are in each state.
    async fn cases_by_state(&self) -> Result<Vec<(String, i64)>>;
    /// The interval statistics of every kind per quarter over the published cases and,
    /// with `extra`, the lengths of some more cases (a caller's unpublished cases, see
    /// [`Projections::related_intervals`]), all as of one state of the database.
    ///
    /// The public part is kept in memory with the version it was computed at (migration
    /// 0021: a counter every change to the published intervals moves in its own
    /// transaction), read from the database on each call: while it has not moved, the
    /// public answer costs that one read. When it has, the public part is computed again
    /// in one read-only snapshot: counts from the kept totals by length class
    /// ([`interval_bucket`]), each quarter's lengths around its middle ranks read from
    /// their class on and its worst through the index, every kind's reads together, and
    /// kept, whoever asked. `extra` is merged into the kept answer: a quarter whose merged
    /// middle lies among the kept lengths around the public one reads nothing, another
    /// its ranks, in that same snapshot. Only the public answer is kept.
    async fn interval_stats(&self, extra: &[IntervalLength]) -> Result<IntervalStats>;
    /// The interval statistics of kind `kind` per quarter, ascending, as
    /// [`Projections::interval_stats`] gives them (the extra lengths of other kinds are
    /// left aside).
    async fn interval_quarters(&self, kind: &str, extra: &[IntervalLength]) -> Result<Vec<IntervalQuarter>> {
        let extra: Vec<IntervalLength> = extra.iter().filter(|i| i.kind == kind).cloned().collect();
        Ok(self.interval_stats(&extra).await?.kinds.remove(kind).unwrap_or_default())
    }
    /// The interval statistics over every case with views, published or not: the kept
    /// totals of both and the few ranks of each median's class, read in one snapshot
    /// (what an organisation that may read every case is shown).
    /// Each store keeps the last answer with the versions of the published and the
    /// unpublished intervals it was computed at, and answers from it until either moves.
    async fn every_interval_stats(&self) -> Result<IntervalStats>;
    /// Whether organisation `org_id` received every case (each case's platform, so it
    /// stands in the platform relation to each): two ends of an index.
    async fn platform_of_every_case(&self, org_id: &str) -> Result<bool>;
    /// How many cases are published (a kept total).
    async fn published_cases(&self) -> Result<i64>;
    /// The kept totals (the published cases' obligations, intervals and count) that
    /// differ from a recount of the rows they total, and the public interval
    /// statistics ([`Projections::interval_stats`], the kept answer if this process has
    /// one at the current version) if they differ from a computation over every
    /// published interval, each described; empty when all agree. Reads every row: for
    /// checks and tests, never for a request.
    async fn kept_totals_drift(&self) -> Result<Vec<String>>;
    /// The first risk warning issued for one of case `case_id`'s records: when, and to
    /// which organisation.
    async fn first_warning(&self, case_id: &str) -> Result<Option<(Timestamp, String)>>;
    /// The unpublished cases organisation `org_id` stands in a relation to, each with
    /// its state, the relation and its intervals (what a caller adds to the public
    /// statistics, once the access function allows it).
    async fn related_intervals(&self, org_id: &str) -> Result<Vec<RelatedIntervals>>;
    /// The open obligations at `now` on the published cases and, with `related`, on
    /// the cases where `related.0` stands in one of the relations `related.1` (the
    /// metrics gauges of a caller).
    async fn obligation_counts(
        &self,
        now: Timestamp,
        related: Option<(&str, &[&str])>,
    ) -> Result<ObligationCounts>;
}

/// The statements of the hot read paths, shared by both back ends (`$N` placeholders),
/// public so that a test can have PostgreSQL EXPLAIN each one against the indexes.
pub mod sql {
    use crate::Backend;

    /// Where a page after case `$2` starts: the case's `created_at`, the empty string
    /// for the first page (`$2` empty), NULL for an unknown case (so the page is empty).
    /// Read in the page's own statement (one round trip, not two).
    macro_rules! page_cursor {
        () => {
            "COALESCE((SELECT k.created_at FROM cases k WHERE k.id = $2), CASE WHEN $2 = '' THEN '' END)"
        };
    }

    /// The rows of table alias `$t` after the cursor's case (`$2`) in the page order
    /// (`created_at`, `case_id`). `split`: the first column bounded on its own, so the
    /// index is entered at the cursor, then the tie broken by id. `row`: one row-value
    /// comparison, an index condition on both columns on PostgreSQL, and one whose
    /// estimate is the same whatever `$2` is (see [`cases_of_org`]).
    macro_rules! after_cursor {
        (split, $t:literal) => {
            concat!(
                $t,
                ".created_at >= ",
                page_cursor!(),
                " AND (",
                $t,
                ".created_at > ",
                page_cursor!(),
                " OR ",
                $t,
                ".case_id > $2)"
            )
        };
        (row, $t:literal) => {
            concat!("(", $t, ".created_at, ", $t, ".case_id) > (", page_cursor!(), ", $2)")
        };
    }

    /// The published cases of a page, in no order yet (see [`CASES_PUBLISHED`]), in any
    /// state (`$3` empty) or in state `$3` (`in_state`: through `case_views_published_state`,
    /// migration 0025, so a rare state is not looked for among every published case),
    /// after the cursor as `$keyset` ([`after_cursor`]) says.
    /// The asking organisation's relation is looked up row by row by `case_relations`'
    /// key, not joined: PostgreSQL plans a prepared statement once for every caller
    /// after five runs (its generic plan), and a join planned for the average
    /// organisation read every relation of a platform that stands in one to each case
    /// (4.5 ms a page at 10,000 cases, against 0.3 ms).
    macro_rules! published_run {
        (any, $keyset:ident) => {
            published_run!("v.published = TRUE AND $3 = ''", $keyset)
        };
        (in_state, $keyset:ident) => {
            published_run!("v.published = TRUE AND v.state = $3", $keyset)
        };
        ($filter:literal, $keyset:ident) => {
            concat!(
                "SELECT v.created_at AS page_at, v.case_id AS page_id, c.*, v.state, v.published, \
                 (SELECT r.relation FROM case_relations r WHERE r.case_id = v.case_id AND r.org_id = $1) AS relation \
                 FROM case_views v JOIN cases c ON c.id = v.case_id \
                 WHERE ",
                $filter,
                " AND ",
                after_cursor!($keyset, "v")
            )
        };
    }

    /// The unpublished cases organisation `$org` (`$1`, or an expression of it) stands in
    /// a relation to of a page, in no order yet (see [`cases_of_org`]), in any state or
    /// in state `$3` (`in_state`), after the cursor as `$keyset` says.
    macro_rules! related_run {
        (any, $org:literal, $keyset:ident) => {
            related_run!("", $org, $keyset)
        };
        (in_state, $org:literal, $keyset:ident) => {
            related_run!(" AND v.state = $3", $org, $keyset)
        };
        ($filter:literal, $org:literal, $keyset:ident) => {
            concat!(
                "SELECT rr.created_at AS page_at, rr.case_id AS page_id, c.*, v.state, v.published, rr.relation \
                 FROM case_relations rr JOIN case_views v ON v.case_id = rr.case_id \
                 JOIN cases c ON c.id = rr.case_id \
                 WHERE rr.org_id = ",
                $org,
                " AND rr.public = FALSE AND ",
                after_cursor!($keyset, "rr"),
                $filter
            )
        };
    }

    /// A page of the published cases, with the asking organisation's relation (`$1`),
    /// after case `$2` (empty: from the start; an unknown case: nothing), in any state
    /// (`$3` empty; see [`CASES_PUBLISHED_IN_STATE`] for one), at most `$4`, each with its
    /// place in the list (`page_at`, `page_id`). The keyset's first column is bounded on
    /// its own too, so the index is entered at the cursor, not read from its start.
    /// SQLite's; PostgreSQL's is [`CASES_PUBLISHED_ROW`].
    pub const CASES_PUBLISHED: &str =
        concat!(published_run!(any, split), " ORDER BY v.created_at, v.case_id LIMIT $4");
    /// [`CASES_PUBLISHED`] with the cursor as one row-value comparison: PostgreSQL then
    /// estimates the first page as it does a later one, and keeps one plan for both (the
    /// first page's empty cursor, folded into a plan made for it, had it planned on every
    /// request; see [`cases_of_org`]).
    pub const CASES_PUBLISHED_ROW: &str =
        concat!(published_run!(any, row), " ORDER BY v.created_at, v.case_id LIMIT $4");
    /// [`CASES_PUBLISHED`] in state `$3` (not empty), on both back ends.
    pub const CASES_PUBLISHED_IN_STATE: &str =
        concat!(published_run!(in_state, split), " ORDER BY v.created_at, v.case_id LIMIT $4");

    /// The statement of a page of the published cases, in any state or in the query's.
    pub const fn cases_published(backend: Backend, in_state: bool) -> &'static str {
        match (backend, in_state) {
            (_, true) => CASES_PUBLISHED_IN_STATE,
            (Backend::Sqlite, false) => CASES_PUBLISHED,
            (Backend::Postgres, false) => CASES_PUBLISHED_ROW,
        }
    }

    /// A page of the cases organisation `$1` may list (the parameters and columns of
    /// [`CASES_PUBLISHED`]), in one statement: the published cases with its relation,
    /// merged in the case order with the unpublished cases it stands in a relation to
    /// (in that order through `case_relations_org_unpublished`, migration 0023, so that
    /// run never steps over its published cases, which the first run lists). Each run is
    /// index-ordered, and the merge reads from each only as far as the page reaches:
    /// SQLite merges the arms of an ordered compound select as they come, PostgreSQL
    /// merges runs cut at the page size (its Merge Append needs each arm ordered and
    /// limited on its own; SQLite would sort such arms first).
    ///
    /// With `in_state`, the published run reads only the cases in state `$3` (see
    /// [`CASES_PUBLISHED_IN_STATE`]); the organisation's own run is filtered as it is
    /// read (it is bounded by the organisation's unpublished cases, not by all cases).
    ///
    /// On PostgreSQL the statement is written so that a plan made for the values of a
    /// call is estimated to cost what its generic plan does, and the generic plan,
    /// planned once, is kept (a plan made for the values was kept instead, and planned
    /// again on every request: 1.3–2.2 ms of planning for 0.5–0.8 ms of work at 100,000
    /// cases): the cursor is one row-value comparison (`after_cursor!(row, …)`), the
    /// organisation is read as `(SELECT $1)` (estimated for any organisation, as the
    /// generic plan does), and the state is filtered only by the statement that has one.
    pub const fn cases_of_org(backend: Backend, in_state: bool) -> &'static str {
        macro_rules! merged {
            ($state:tt) => {
                match backend {
                    Backend::Sqlite => concat!(
                        published_run!($state, split),
                        " UNION ALL ",
                        related_run!($state, "$1", split),
                        " ORDER BY page_at, page_id LIMIT $4"
                    ),
                    Backend::Postgres => concat!(
                        "SELECT * FROM (",
                        published_run!($state, row),
                        " ORDER BY v.created_at, v.case_id LIMIT $4) published_run UNION ALL SELECT * FROM (",
                        related_run!($state, "(SELECT $1)", row),
                        " ORDER BY rr.created_at, rr.case_id LIMIT $4) related_run ORDER BY page_at, page_id LIMIT $4"
                    ),
                }
            };
        }
        if in_state { merged!(in_state) } else { merged!(any) }
    }

    /// `statement` with its page size written in for its parameter `placeholder` (`LIMIT
    /// $4` becomes `LIMIT 51`). PostgreSQL takes a limit it cannot see to be a tenth of
    /// the rows, so the plan it would keep for every run of a prepared page looked dearer
    /// than one made for the values at hand, and it planned the page afresh on every
    /// request (0.3–0.5 ms, more than reading it); with the size in the text, it keeps one
    /// plan after five runs. Each page size asked for is a statement of its own.
    pub fn with_page_size(statement: &str, placeholder: &str, limit: i64) -> String {
        statement.replace(&format!("LIMIT {placeholder}"), &format!("LIMIT {}", limit.max(0)))
    }

    /// A page of organisation `$1`'s obligations due by `$2` or with no deadline, after
    /// (`$3` due key, `$4` case, `$5` rule, `$6` product), at most `$7`.
    pub const DUE_OBLIGATIONS: &str = "SELECT * FROM open_obligations WHERE org_id = $1 \
         AND (due_key <= $2 OR due_key = '~') AND status <> 'not_started' \
         AND due_key >= $3 AND (due_key > $3 OR (case_id > $4 OR (case_id = $4 AND (rule > $5 \
         OR (rule = $5 AND product > $6))))) \
         ORDER BY due_key, case_id, rule, product LIMIT $7";
    /// The cases with an obligation due in (`$1`, `$2`], by first due.
    pub const CASES_DUE: &str = "SELECT case_id, MIN(due_key) AS first_due FROM open_obligations \
         WHERE due_key > $1 AND due_key <= $2 AND status <> 'not_started' \
         GROUP BY case_id ORDER BY first_due, case_id";
    /// A page of the receipt log after (`$1` received_at, `$2` id), at most `$3`.
    pub const RECEIPTS: &str = "SELECT r.* FROM receipts r \
         WHERE (r.received_at > $1 OR (r.received_at = $1 AND r.id > $2)) ORDER BY r.received_at, r.id LIMIT $3";
    /// [`RECEIPTS`] of the cases platform `$4` works.
    pub const RECEIPTS_OF_PLATFORM: &str = "SELECT r.* FROM receipts r JOIN case_relations c ON c.case_id = r.case_id \
         WHERE c.org_id = $4 AND c.relation = 'platform' \
         AND (r.received_at > $1 OR (r.received_at = $1 AND r.id > $2)) ORDER BY r.received_at, r.id LIMIT $3";
    /// The obligations' gauges (`/metrics`) in one statement, each row named by its
    /// `part`:
    /// - `totals`: the kept totals of the published cases' open obligations (`n`), by
    ///   `status` and whether they have a numeric deadline (`dated`);
    /// - `ahead`: how many of the published cases' pending obligations fall due after `$1`
    ///   (`n`: a range of the due index, what is still ahead, never the history);
    /// - with `relations` above zero, `related`: the `status` and `due_key` of each
    ///   unpublished obligation of the unpublished cases organisation `$2` stands in one
    ///   of `relations` relations to (`$3`, `$4`, …).
    ///
    /// The `related` part reads the organisation's relations through
    /// `case_relations_org_unpublished` and each case's obligations by its key inside:
    /// on SQLite a `CROSS JOIN` keeps that written order (`NOT o.public` rather than
    /// `o.public = FALSE`, which SQLite would look up through `open_obligations_public`:
    /// every unpublished obligation for each case; left to choose, it read every
    /// unpublished obligation and looked each case's relation up, 3 ms a `/metrics` at
    /// 100,000 cases, growing with them); on PostgreSQL a `LATERAL` subquery with `OFFSET
    /// 0` does (the offset keeps PostgreSQL from pulling the subquery up into a join),
    /// where an inner join was planned at 1,000,000 cases as a hash of the relations
    /// against every unpublished obligation read whole (35,304 rows for 29: 6.8–8 ms,
    /// against 2.0 ms by key).
    /// One statement, not three: each is a round trip, a hand-off to the pool and a check
    /// of the connection on its return.
    pub fn obligation_gauges(backend: Backend, relations: usize) -> String {
        let mut statement = String::from(
            "SELECT 'totals' AS part, status, dated, CAST(NULL AS TEXT) AS due_key, CAST(SUM(n) AS BIGINT) AS n \
             FROM public_obligation_totals GROUP BY status, dated \
             UNION ALL SELECT 'ahead', NULL, NULL, NULL, COUNT(*) FROM open_obligations \
             WHERE public = TRUE AND status = 'pending' AND due_key > $1 AND due_key < '~'",
        );
        if relations > 0 {
            let obligations = match backend {
                Backend::Sqlite => {
                    "case_relations r CROSS JOIN open_obligations o WHERE o.case_id = r.case_id AND NOT o.public AND"
                }
                Backend::Postgres => {
                    "case_relations r CROSS JOIN LATERAL (SELECT i.status, i.due_key FROM open_obligations i \
                     WHERE i.case_id = r.case_id AND NOT i.public OFFSET 0) o WHERE"
                }
            };
            statement += &format!(
                " UNION ALL SELECT 'related', o.status, NULL, o.due_key, 1 FROM {obligations} \
                 r.org_id = $2 AND r.public = FALSE AND r.relation IN ({})",
                crate::placeholders(3, relations)
            );
        }
        statement
    }

    /// A case whole in one statement, so one snapshot on either back end with no
    /// transaction: a head row whose `head` holds the case's record (its columns in
    /// order), its parties, its products (each fragment `[id, fragment, position]`, a
    /// product with `added_after_seq` too) and, on SQLite, its events (`[seq, at,
    /// recorded_at, recorded_by, override_reason, body, prev_hash, hash]`) as one JSON
    /// array, and when `$2` is true its report (`[id, submitted_by, body, created_at]`;
    /// NULL otherwise, the reports not read). SQLite's rows cross from its connection's
    /// thread one by one, each a hand-off (see `one_row`), so there the case crosses as
    /// one row; on PostgreSQL the head's events are NULL and the events follow as rows,
    /// each with one NULL beside its own columns. Nothing is in order (the reader sorts:
    /// an `ORDER BY` costs SQLite a temporary B-tree).
    pub const fn case_snapshot(backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => {
                "SELECT json_array(json_array(id, title, timezone, reporter_org, platform_org, created_at, \
                 last_seq, planned_public_at), \
                 json((SELECT json_group_array(json_array(party_id, party, position)) \
                    FROM case_parties WHERE case_id = $1)), \
                 json((SELECT json_group_array(json_array(product_id, product, position, added_after_seq)) \
                    FROM case_products WHERE case_id = $1)), \
                 json((SELECT json_group_array(json_array(seq, at, recorded_at, recorded_by, override_reason, \
                    body, prev_hash, hash)) FROM events WHERE case_id = $1)), \
                 (SELECT json_array(id, submitted_by, body, created_at) FROM reports \
                    WHERE case_id = $1 AND $2)) AS head \
                 FROM cases WHERE id = $1"
            }
            Backend::Postgres => {
                "SELECT NULL AS case_id, CAST(NULL AS BIGINT) AS seq, NULL AS at, NULL AS recorded_at, \
                 NULL AS recorded_by, NULL AS override_reason, NULL AS body, NULL AS prev_hash, NULL AS hash, \
                 CAST(json_build_array(json_build_array(id, title, timezone, reporter_org, platform_org, \
                 created_at, last_seq, planned_public_at), \
                 COALESCE((SELECT json_agg(json_build_array(party_id, party, position)) \
                    FROM case_parties WHERE case_id = $1), '[]'), \
                 COALESCE((SELECT json_agg(json_build_array(product_id, product, position, added_after_seq)) \
                    FROM case_products WHERE case_id = $1), '[]'), NULL, \
                 (SELECT json_build_array(id, submitted_by, body, created_at) FROM reports \
                    WHERE case_id = $1 AND $2)) AS TEXT) AS head \
                 FROM cases WHERE id = $1 \
                 UNION ALL SELECT case_id, seq, at, recorded_at, recorded_by, override_reason, body, \
                 prev_hash, hash, NULL FROM events WHERE case_id = $1"
            }
        }
    }
    /// The first risk warning of case `$1`'s records: each record's first through the
    /// warnings' index, the earliest of them.
    pub const FIRST_WARNING: &str = "SELECT w.created_at, w.org_id FROM vulnerabilities v \
         JOIN warnings w ON w.id = (SELECT w2.id FROM warnings w2 WHERE w2.vulnerability_id = v.id \
         ORDER BY w2.created_at, w2.id LIMIT 1) \
         WHERE v.case_id = $1 ORDER BY w.created_at, w.org_id LIMIT 1";
    /// The version of the published intervals: the sum of its slots (migration 0021).
    pub const INTERVAL_VERSION: &str =
        "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) AS v FROM public_interval_version";
    /// Adds one to the version's slot `$1`.
    pub const BUMP_INTERVAL_VERSION: &str = "INSERT INTO public_interval_version (slot, version) VALUES ($1, 1) \
         ON CONFLICT (slot) DO UPDATE SET version = public_interval_version.version + 1";
    /// Per kind and quarter, ascending, the kept counts of the published cases' closed
    /// intervals by length class ([`super::interval_bucket`]), ascending.
    pub const INTERVAL_BUCKETS: &str = "SELECT kind, quarter, bucket, n FROM public_interval_buckets \
         WHERE n <> 0 ORDER BY kind, quarter, bucket";
    /// Per kind and quarter, the kept count of the published cases' open intervals.
    pub const INTERVAL_OPEN: &str = "SELECT kind, quarter, CAST(SUM(n) AS BIGINT) AS n FROM public_interval_open \
         GROUP BY kind, quarter";
    /// Every closed length of the published cases, by kind and quarter (for checks).
    pub const PUBLIC_LENGTHS: &str =
        "SELECT kind, quarter, seconds FROM case_intervals WHERE public = TRUE AND seconds IS NOT NULL";
    /// The closed lengths of kind `$1` in quarter `$2` of the published cases from `$3`
    /// on, ascending, `$4` of them after the first `$5` (the ranks needed of a class).
    pub const INTERVAL_RANKS: &str = "SELECT seconds FROM case_intervals \
         WHERE public = TRUE AND kind = $1 AND quarter = $2 AND seconds >= $3 \
         ORDER BY seconds LIMIT $4 OFFSET $5";
    /// The longest closed length of kind `$1` in quarter `$2` of the published cases
    /// (the last entry of the index for the quarter).
    pub const INTERVAL_WORST: &str = "SELECT seconds FROM case_intervals \
         WHERE public = TRUE AND kind = $1 AND quarter = $2 AND seconds IS NOT NULL \
         ORDER BY seconds DESC LIMIT 1";
    /// The versions of the published intervals (`v`) and of the unpublished ones (`u`).
    pub const EVERY_INTERVAL_VERSION: &str = "SELECT (SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM public_interval_version) AS v, \
         (SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM unpublished_interval_version) AS u";
    /// Adds one to the unpublished intervals' version's slot `$1`.
    pub const BUMP_UNPUBLISHED_VERSION: &str = "INSERT INTO unpublished_interval_version (slot, version) \
         VALUES ($1, 1) ON CONFLICT (slot) DO UPDATE SET version = unpublished_interval_version.version + 1";
    /// Per kind and quarter, ascending, the kept counts of the unpublished cases' closed
    /// intervals by length class, ascending (their slots summed).
    pub const UNPUBLISHED_INTERVAL_BUCKETS: &str = "SELECT kind, quarter, bucket, CAST(SUM(n) AS BIGINT) AS n \
         FROM unpublished_interval_buckets GROUP BY kind, quarter, bucket HAVING SUM(n) <> 0 \
         ORDER BY kind, quarter, bucket";
    /// Per kind and quarter, the kept count of the unpublished cases' open intervals.
    pub const UNPUBLISHED_INTERVAL_OPEN: &str = "SELECT kind, quarter, CAST(SUM(n) AS BIGINT) AS n \
         FROM unpublished_interval_open GROUP BY kind, quarter";
    /// How many cases with views are not published (the kept total).
    pub const UNPUBLISHED_CASES: &str =
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM unpublished_case_totals";
    /// As [`INTERVAL_RANKS`], over every case's lengths, published or not.
    pub const EVERY_INTERVAL_RANKS: &str = "SELECT seconds FROM case_intervals \
         WHERE kind = $1 AND quarter = $2 AND seconds >= $3 \
         ORDER BY seconds LIMIT $4 OFFSET $5";
    /// As [`INTERVAL_WORST`], over every case's lengths, published or not.
    pub const EVERY_INTERVAL_WORST: &str = "SELECT seconds FROM case_intervals \
         WHERE kind = $1 AND quarter = $2 AND seconds IS NOT NULL \
         ORDER BY seconds DESC LIMIT 1";
    /// The first and the last receiving platform of the cases, by the index (equal when
    /// one organisation received every case; none when there is no case).
    /// (Two subqueries: SQLite reads one end of an index only for a lone `MIN` or `MAX`.)
    pub const PLATFORMS_RANGE: &str = "SELECT (SELECT MIN(platform_org) FROM cases) AS first, \
         (SELECT MAX(platform_org) FROM cases) AS last";
    /// How many cases are published (the kept total).
    pub const PUBLISHED_CASES: &str =
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM published_case_totals";
    /// The published cases' closed intervals counted by kind, quarter and length class
    /// (what `public_interval_buckets` keeps; its migration counts the same way).
    pub const RECOUNT_INTERVAL_BUCKETS: &str = "SELECT kind, quarter, bucket, COUNT(*) AS n FROM (SELECT kind, quarter, CASE WHEN seconds < 0 THEN -1 WHEN seconds < 172800 THEN seconds - seconds % 3600 WHEN seconds < 31536000 THEN seconds - seconds % 86400 ELSE seconds - seconds % 604800 END AS bucket FROM case_intervals WHERE public = TRUE AND seconds IS NOT NULL) b GROUP BY kind, quarter, bucket";
    /// The published cases' open intervals counted by kind and quarter, in slot 0 (what
    /// `public_interval_open` keeps).
    pub const RECOUNT_INTERVAL_OPEN: &str = "SELECT kind, quarter, 0 AS slot, COUNT(*) AS n FROM case_intervals WHERE public = TRUE AND seconds IS NULL GROUP BY kind, quarter";
    /// The published cases counted, in slot 0 (what `published_case_totals` keeps).
    pub const RECOUNT_PUBLISHED_CASES: &str =
        "SELECT 0 AS slot, COUNT(*) AS n FROM case_views WHERE published = TRUE";
    /// The unpublished cases' closed intervals counted by kind, quarter and length class,
    /// in slot 0 (what `unpublished_interval_buckets` keeps; its migration counts the
    /// same way).
    pub const RECOUNT_UNPUBLISHED_BUCKETS: &str = "SELECT kind, quarter, bucket, 0 AS slot, COUNT(*) AS n FROM (SELECT kind, quarter, CASE WHEN seconds < 0 THEN -1 WHEN seconds < 172800 THEN seconds - seconds % 3600 WHEN seconds < 31536000 THEN seconds - seconds % 86400 ELSE seconds - seconds % 604800 END AS bucket FROM case_intervals WHERE public = FALSE AND seconds IS NOT NULL) b GROUP BY kind, quarter, bucket";
    /// The unpublished cases' open intervals counted by kind and quarter, in slot 0
    /// (what `unpublished_interval_open` keeps).
    pub const RECOUNT_UNPUBLISHED_OPEN: &str = "SELECT kind, quarter, 0 AS slot, COUNT(*) AS n FROM case_intervals WHERE public = FALSE AND seconds IS NULL GROUP BY kind, quarter";
    /// The cases with views that are not published counted, in slot 0 (what
    /// `unpublished_case_totals` keeps).
    pub const RECOUNT_UNPUBLISHED_CASES: &str =
        "SELECT 0 AS slot, COUNT(*) AS n FROM case_views WHERE published = FALSE";
    /// The published cases' open obligations counted by status and whether they have a
    /// numeric deadline, in slot 0 (what `public_obligation_totals` keeps).
    pub const RECOUNT_OBLIGATION_TOTALS: &str = "SELECT 0 AS slot, status, due_at IS NOT NULL AS dated, COUNT(*) AS n \
         FROM open_obligations WHERE public = TRUE GROUP BY status, due_at IS NOT NULL";
    /// The unpublished cases organisation `$1` stands in a relation to, with their state,
    /// the relation and their intervals, one row a case (every row crosses from SQLite's
    /// connection thread on its own, so a row an interval cost six times the hand-offs):
    /// `intervals` holds each as `kind quarter seconds` (`-` for an open one), separated
    /// by `,` (`NULL` when it has none). Kinds and quarters have neither character.
    pub const fn related_intervals(backend: Backend) -> &'static str {
        macro_rules! related {
            ($aggregate:literal) => {
                concat!(
                    "SELECT r.case_id, r.relation, v.state, ",
                    $aggregate,
                    "(i.kind || ' ' || i.quarter || ' ' || COALESCE(CAST(i.seconds AS TEXT), '-'), ',') AS intervals \
                     FROM case_relations r JOIN case_views v ON v.case_id = r.case_id \
                     LEFT JOIN case_intervals i ON i.case_id = r.case_id \
                     WHERE r.org_id = $1 AND r.public = FALSE \
                     GROUP BY r.created_at, r.case_id, r.relation, v.state ORDER BY r.created_at, r.case_id"
                )
            };
        }
        match backend {
            Backend::Sqlite => related!("group_concat"),
            Backend::Postgres => related!("string_agg"),
        }
    }
    /// The cases organisation `$1` is a party to, oldest first.
    pub const PARTY_CASES: &str = "SELECT p.case_id FROM case_parties p JOIN cases c ON c.id = p.case_id \
         WHERE p.party_id = $1 ORDER BY c.created_at, c.id";
}
