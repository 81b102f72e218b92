// The query set of `OrgLog`, a module of both back ends like `common.rs`. The
// organisation's row is locked while its log grows (PostgreSQL `FOR UPDATE`; SQLite's
// single writer serialises writes anyway).

use sqlx::Row;
use vulnrelay_domain::Timestamp;

use super::common::{DbRow, insert_membership_change, insert_outbox, not_found, ts};
use super::{FOR_UPDATE, Inner};
use crate::chain::canonical_json;
use crate::model::*;
use crate::time::format_ts;
use crate::{Result, StoreError};

fn org_event_from_row(row: &DbRow) -> Result<crate::org_log::StoredOrgEvent> {
    Ok(crate::org_log::StoredOrgEvent {
        org_id: row.try_get("org_id")?,
        seq: row.try_get("seq")?,
        scheme: row.try_get("scheme")?,
        at: ts(&row.try_get::<String, _>("at")?)?,
        recorded_at: ts(&row.try_get::<String, _>("recorded_at")?)?,
        recorded_by: row.try_get("recorded_by")?,
        body: row.try_get("body")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

#[async_trait::async_trait]
impl crate::org_log::OrgLog for Inner {
    async fn append_org_event(
        &self,
        org_id: &str,
        expected_seq: Option<i64>,
        event: &crate::org_log::NewOrgEvent,
        membership: Option<&MembershipChange>,
        outbox: &[NewOutboxMessage],
        at: Timestamp,
    ) -> Result<crate::org_log::StoredOrgEvent> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(&format!("SELECT id FROM organisations WHERE id = $1{FOR_UPDATE}"))
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found("organisation", org_id))?;
        let last =
            sqlx::query("SELECT seq, hash FROM org_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1")
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (last_seq, prev_hash): (i64, String) = match last {
            Some(row) => (row.try_get("seq")?, row.try_get("hash")?),
            None => (0, String::new()),
        };
        if let Some(expected) = expected_seq
            && expected != last_seq
        {
            return Err(StoreError::Stale { case_id: format!("org/{org_id}"), expected, found: last_seq });
        }
        let mut stored = crate::org_log::StoredOrgEvent {
            org_id: org_id.to_owned(),
            seq: last_seq + 1,
            scheme: event.scheme.clone(),
            at: crate::time::truncate(event.at),
            recorded_at: crate::time::truncate(at),
            recorded_by: event.recorded_by.clone(),
            body: canonical_json(&event.body),
            prev_hash,
            hash: String::new(),
        };
        stored.hash = crate::chain::org_event_hash(&stored);
        sqlx::query(
            "INSERT INTO org_events (org_id, seq, scheme, at, recorded_at, recorded_by, body, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&stored.org_id)
        .bind(stored.seq)
        .bind(&stored.scheme)
        .bind(format_ts(stored.at))
        .bind(format_ts(stored.recorded_at))
        .bind(&stored.recorded_by)
        .bind(&stored.body)
        .bind(&stored.prev_hash)
        .bind(&stored.hash)
        .execute(&mut *tx)
        .await?;
        if let Some(change) = membership {
            insert_membership_change(&mut tx, change, at).await?;
        }
        for message in outbox {
            insert_outbox(&mut tx, message, at).await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn org_events(&self, org_id: &str) -> Result<Vec<crate::org_log::StoredOrgEvent>> {
        let rows = sqlx::query("SELECT * FROM org_events WHERE org_id = $1 ORDER BY seq")
            .bind(org_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(org_event_from_row).collect()
    }

    async fn org_log_ids(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT org_id FROM org_events ORDER BY org_id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|row| Ok(row.try_get("org_id")?)).collect()
    }
}
