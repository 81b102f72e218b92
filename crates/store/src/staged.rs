// Rows staged in memory and written together, a module of both back ends like
// `common.rs`.
//
// A new case is written as rows of a dozen tables (the case, its parties, products
// and events, the report, the receipt, the outbox message, its views). Each statement
// is a round trip — to SQLite's worker thread, or to the PostgreSQL server — so
// writing a group of reports statement by statement costs a dozen round trips a
// report. Staged, the rows of any number of cases go out a table at a time, several
// hundred rows a statement, in the order the tables' foreign keys need.

use sqlx::Transaction;

use super::{Db, insert_rows};
use crate::Result;
pub(super) use crate::rows::Cell;

/// A table rows are staged for, in the order [`Staged::write`] writes them (a row's
/// foreign keys point to tables written before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Table {
    /// `cases`.
    Cases,
    /// `case_parties`.
    CaseParties,
    /// `case_products`.
    CaseProducts,
    /// `events`.
    Events,
    /// `reports`.
    Reports,
    /// `attachments`.
    Attachments,
    /// `receipts`.
    Receipts,
    /// `outbox`.
    Outbox,
    /// `case_views`.
    CaseViews,
    /// `case_intervals`.
    CaseIntervals,
    /// `case_relations`, replacing a case's relation to an organisation.
    CaseRelations,
    /// `open_obligations`, replacing an obligation's due time, status and flag.
    OpenObligations,
    /// `case_waiting`, replacing when a waiting vendor was last told.
    CaseWaiting,
}

/// Every table, in writing order.
const TABLES: [Table; 13] = [
    Table::Cases,
    Table::CaseParties,
    Table::CaseProducts,
    Table::Events,
    Table::Reports,
    Table::Attachments,
    Table::Receipts,
    Table::Outbox,
    Table::CaseViews,
    Table::CaseIntervals,
    Table::CaseRelations,
    Table::OpenObligations,
    Table::CaseWaiting,
];

impl Table {
    /// The statement's head (`INSERT INTO t (columns) `) and tail (after the values).
    fn statement(self) -> (&'static str, &'static str) {
        match self {
            Table::Cases => (
                "INSERT INTO cases (id, title, timezone, reporter_org, platform_org, created_at, last_seq) ",
                "",
            ),
            Table::CaseParties => {
                ("INSERT INTO case_parties (case_id, party_id, position, party, added_at) ", "")
            }
            Table::CaseProducts => {
                ("INSERT INTO case_products (case_id, product_id, position, product) ", "")
            }
            Table::Events => (
                "INSERT INTO events (case_id, seq, at, recorded_at, recorded_by, override_reason, body, prev_hash, hash) ",
                "",
            ),
            Table::Reports => {
                ("INSERT INTO reports (id, case_id, idempotency_key, submitted_by, body, created_at) ", "")
            }
            Table::Attachments => (
                "INSERT INTO attachments (id, case_id, filename, media_type, size, sha256, exploit_code, content) ",
                "",
            ),
            Table::Receipts => ("INSERT INTO receipts (id, case_id, received_at, channel, submitter) ", ""),
            Table::Outbox => ("INSERT INTO outbox (id, topic, payload, created_at) ", ""),
            Table::CaseViews => (
                "INSERT INTO case_views (case_id, created_at, seq, state, published, projector, projected_at, \
                 vendors, products) ",
                "",
            ),
            Table::CaseIntervals => {
                ("INSERT INTO case_intervals (case_id, kind, quarter, seconds, public) ", "")
            }
            Table::CaseRelations => (
                "INSERT INTO case_relations (case_id, org_id, relation, created_at, public) ",
                " ON CONFLICT (case_id, org_id) DO UPDATE SET relation = excluded.relation",
            ),
            Table::OpenObligations => (
                "INSERT INTO open_obligations (case_id, org_id, rule, product, due_key, due_at, status, public) ",
                " ON CONFLICT (case_id, org_id, rule, product) DO UPDATE SET due_key = excluded.due_key, \
                 due_at = excluded.due_at, status = excluded.status, public = excluded.public",
            ),
            Table::CaseWaiting => (
                "INSERT INTO case_waiting (case_id, vendor, last_told) ",
                " ON CONFLICT (case_id, vendor) DO UPDATE SET last_told = excluded.last_told",
            ),
        }
    }
}

/// Rows staged for one transaction, by table, written by [`Staged::write`].
#[derive(Debug, Default)]
pub(super) struct Staged {
    rows: [Vec<Vec<Cell>>; TABLES.len()],
}

impl Staged {
    /// Stages a row of `table` (its cells in the statement's column order).
    pub(super) fn row<const N: usize>(&mut self, table: Table, cells: [Cell; N]) {
        self.rows[table as usize].push(Vec::from(cells));
    }

    /// Writes every staged row in `tx`, table by table in [`Table`] order (each table
    /// in as few statements as its back end allows, `rows.rs`).
    pub(super) async fn write(&self, tx: &mut Transaction<'_, Db>) -> Result<()> {
        Staged::write_all(&[self], tx).await
    }

    /// Writes the rows of every stage in `stages` as one: each table's rows of all of
    /// them together, in [`Table`] order.
    pub(super) async fn write_all(stages: &[&Staged], tx: &mut Transaction<'_, Db>) -> Result<()> {
        for table in TABLES {
            let rows: Vec<&[Cell]> =
                stages.iter().flat_map(|stage| &stage.rows[table as usize]).map(Vec::as_slice).collect();
            let (head, tail) = table.statement();
            insert_rows(tx, head, tail, &rows).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_written_in_declaration_order_and_each_has_a_slot() {
        for (i, table) in TABLES.iter().enumerate() {
            assert_eq!(*table as usize, i, "{table:?} in its slot");
        }
        assert!(TABLES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn staged_rows_are_counted_by_table() {
        let mut staged = Staged::default();
        staged.row(Table::Outbox, ["a".into(), "t".into(), "{}".into(), "now".into()]);
        staged
            .row(Table::CaseIntervals, ["c".into(), "k".into(), "q".into(), Some(5i64).into(), true.into()]);
        assert_eq!(staged.rows[Table::Outbox as usize].len(), 1);
        assert_eq!(staged.rows[Table::CaseIntervals as usize].len(), 1);
        assert_eq!(staged.rows.iter().map(Vec::len).sum::<usize>(), 2);
    }
}
