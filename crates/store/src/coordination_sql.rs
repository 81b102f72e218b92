// The query set of `Coordination`, a module of both back ends like `common.rs`.

use std::collections::HashSet;

use sqlx::{Row, Transaction};
use vulnrelay_domain::Timestamp;

use super::common::{DbRow, ROWS_PER_INSERT, ts};
use super::warnings_sql::w_enqueue;
use super::{Db, Inner};
use crate::chain::canonical_json;
use crate::coordination::{CaseSchedule, Notice, PrivateNote, ReminderSchedule, Silence, StoredNote, sql};
use crate::model::*;
use crate::time::format_ts;
use crate::{Result, StoreError};

/// Writes the private notes of a change whose events were stored as `stored`.
pub(super) async fn c_insert_notes(
    tx: &mut Transaction<'_, Db>,
    case_id: &str,
    notes: &[PrivateNote],
    stored: &[StoredEvent],
    at: Timestamp,
) -> Result<()> {
    for note in notes {
        let Some(event) = stored.get(note.event) else {
            return Err(StoreError::InvalidReference(format!(
                "a private note for event {} of a change of {} events",
                note.event,
                stored.len()
            )));
        };
        sqlx::query("INSERT INTO case_private_notes (case_id, seq, org_id, note, recorded_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(case_id)
            .bind(event.seq)
            .bind(&note.org_id)
            .bind(&note.note)
            .bind(format_ts(at))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Sends the notices not sent before; returns how many were sent.
pub(super) async fn c_send_notices(
    tx: &mut Transaction<'_, Db>,
    notices: &[Notice],
    at: Timestamp,
) -> Result<usize> {
    let mut sent = 0;
    for notice in notices {
        let done = sqlx::query(
            "INSERT INTO coordination_notices (key, case_id, org_id, sent_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(&notice.key)
        .bind(&notice.case_id)
        .bind(&notice.org_id)
        .bind(format_ts(at))
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            continue;
        }
        sent += 1;
        w_enqueue(tx, &notice.org_id, &notice.topic, None, &notice.key, &notice.payload, at).await?;
    }
    Ok(sent)
}

/// Adds products to a case (ignored when already on it), after the ones it has,
/// recording the last event before the change (`added_after_seq`).
pub(super) async fn c_insert_products(
    tx: &mut Transaction<'_, Db>,
    case_id: &str,
    products: &[Fragment],
    added_after_seq: i64,
) -> Result<()> {
    if products.is_empty() {
        return Ok(());
    }
    let mut position: i64 = sqlx::query("SELECT COUNT(*) AS n FROM case_products WHERE case_id = $1")
        .bind(case_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
    for product in products {
        let done = sqlx::query(
            "INSERT INTO case_products (case_id, product_id, position, product, added_after_seq) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, product_id) DO NOTHING",
        )
        .bind(case_id)
        .bind(&product.id)
        .bind(position)
        .bind(canonical_json(&product.value))
        .bind(added_after_seq)
        .execute(&mut **tx)
        .await?;
        position += done.rows_affected() as i64;
    }
    Ok(())
}

#[async_trait::async_trait]
impl crate::coordination::Coordination for Inner {
    async fn private_notes(&self, case_id: &str) -> Result<Vec<StoredNote>> {
        let rows = sqlx::query("SELECT * FROM case_private_notes WHERE case_id = $1 ORDER BY seq")
            .bind(case_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredNote {
                    case_id: row.try_get("case_id")?,
                    seq: row.try_get("seq")?,
                    org_id: row.try_get("org_id")?,
                    note: row.try_get("note")?,
                    recorded_at: ts(&row.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }

    async fn send_notices(&self, notices: &[Notice], at: Timestamp) -> Result<usize> {
        let mut tx = self.writer.begin().await?;
        let sent = c_send_notices(&mut tx, notices, at).await?;
        tx.commit().await?;
        Ok(sent)
    }

    async fn one_product_until(&self, case_id: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(added_after_seq) AS seq FROM case_products WHERE case_id = $1")
            .bind(case_id)
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get::<Option<i64>, _>("seq")?)
    }

    async fn notices_sent(&self, case_id: &str) -> Result<Vec<(String, Timestamp)>> {
        let rows = sqlx::query(
            "SELECT key, sent_at FROM coordination_notices WHERE case_id = $1 ORDER BY sent_at, key",
        )
        .bind(case_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("key")?, ts(&row.try_get::<String, _>("sent_at")?)?))).collect()
    }

    async fn set_case_schedule(&self, case_id: &str, schedule: Option<&CaseSchedule>) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM coordination_schedules WHERE case_id = $1")
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        if let Some(set) = schedule {
            sqlx::query(
                "INSERT INTO coordination_schedules (case_id, after_days, every_days, set_by, set_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(case_id)
            .bind(set.schedule.map(|s| s.after_days))
            .bind(set.schedule.map_or(0, |s| s.every_days))
            .bind(&set.set_by)
            .bind(format_ts(set.set_at))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn products_joined_after(&self, case_id: &str, seq: i64) -> Result<()> {
        sqlx::query(
            "UPDATE case_products SET added_after_seq = $2 \
             WHERE case_id = $1 AND position > 0 AND added_after_seq IS NULL",
        )
        .bind(case_id)
        .bind(seq)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn case_schedules(&self) -> Result<Vec<CaseSchedule>> {
        let rows = sqlx::query("SELECT * FROM coordination_schedules ORDER BY case_id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(schedule_from_row).collect()
    }

    async fn case_schedule(&self, case_id: &str) -> Result<Option<CaseSchedule>> {
        let row = sqlx::query("SELECT * FROM coordination_schedules WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(schedule_from_row).transpose()
    }

    async fn silences(
        &self,
        told_by: Timestamp,
        after: Option<&Silence>,
        limit: i64,
    ) -> Result<Vec<Silence>> {
        // Times are stored in one fixed format, so their text order is their order; the
        // first page starts after the empty key, below every stored one.
        let (at, case_id, vendor) = match after {
            Some(s) => (format_ts(s.last_told), s.case_id.as_str(), s.vendor.as_str()),
            None => (String::new(), "", ""),
        };
        let rows = sqlx::query(sql::SILENCES)
            .bind(format_ts(told_by))
            .bind(at)
            .bind(case_id)
            .bind(vendor)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(silence_from_row).collect()
    }

    async fn silences_of(&self, case_ids: &[String]) -> Result<Vec<Silence>> {
        // Sorted first, so that the pages of ids give the silences in one order.
        let mut ids = case_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for ids in ids.chunks(ROWS_PER_INSERT) {
            let mut query = in_list(
                "SELECT case_id, vendor, last_told FROM case_waiting WHERE case_id IN (",
                ids,
                ") ORDER BY case_id, vendor",
            );
            for row in query.build().fetch_all(&self.reader).await? {
                out.push(silence_from_row(&row)?);
            }
        }
        Ok(out)
    }

    async fn sent_keys(&self, keys: &[String]) -> Result<HashSet<String>> {
        let mut sent = HashSet::new();
        for keys in keys.chunks(ROWS_PER_INSERT) {
            let mut query = in_list("SELECT key FROM coordination_notices WHERE key IN (", keys, ")");
            for row in query.build().fetch_all(&self.reader).await? {
                sent.insert(row.try_get("key")?);
            }
        }
        Ok(sent)
    }
}

/// The statement `head`, `values` bound as a list, then `tail`.
fn in_list<'q>(head: &str, values: &'q [String], tail: &str) -> sqlx::QueryBuilder<'q, Db> {
    let mut query = sqlx::QueryBuilder::<Db>::new(head);
    let mut list = query.separated(", ");
    for value in values {
        list.push_bind(value.as_str());
    }
    query.push(tail);
    query
}

/// A case's own reminder schedule from its `coordination_schedules` row.
fn schedule_from_row(row: &DbRow) -> Result<CaseSchedule> {
    let after: Option<i64> = row.try_get("after_days")?;
    let every: i64 = row.try_get("every_days")?;
    Ok(CaseSchedule {
        case_id: row.try_get("case_id")?,
        schedule: after.map(|after_days| ReminderSchedule { after_days, every_days: every }),
        set_by: row.try_get("set_by")?,
        set_at: ts(&row.try_get::<String, _>("set_at")?)?,
    })
}

/// A silence from its `case_waiting` row.
fn silence_from_row(row: &DbRow) -> Result<Silence> {
    Ok(Silence {
        last_told: ts(&row.try_get::<String, _>("last_told")?)?,
        case_id: row.try_get("case_id")?,
        vendor: row.try_get("vendor")?,
    })
}
