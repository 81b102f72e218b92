// The query set of `Federation`, a module of both back ends like `common.rs`.

use sqlx::{Row, Transaction};
use vulnrelay_domain::Timestamp;

use super::common::{
    DbRow, append_events, insert_case, insert_outbox, insert_parties, insert_report, not_found, opt_ts, ts,
};
use super::projections_sql::reproject;
use super::{Db, Inner, SKIP_LOCKED};
use crate::model::*;
use crate::time::format_ts;
use crate::{NewCase, Result, StoreError, new_id};

fn peer_from_row(row: &DbRow) -> Result<crate::federation::Peer> {
    Ok(crate::federation::Peer {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        public_key: row.try_get("public_key")?,
        orgs: row
            .try_get::<String, _>("orgs")?
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: ts(&row.try_get::<String, _>("created_at")?)?,
    })
}

fn relay_from_row(row: &DbRow) -> Result<crate::federation::Relay> {
    let state: String = row.try_get("state")?;
    Ok(crate::federation::Relay {
        id: row.try_get("id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        peer_id: row.try_get("peer_id")?,
        kind: row.try_get("kind")?,
        case_id: row.try_get("case_id")?,
        event_seq: row.try_get("event_seq")?,
        to_org: row.try_get("to_org")?,
        envelope: row.try_get("envelope")?,
        state: crate::warnings::DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown relay state `{state}`")))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: ts(&row.try_get::<String, _>("next_attempt_at")?)?,
        claim_token: row.try_get("claim_token")?,
        last_error: row.try_get("last_error")?,
        receipt: row.try_get("receipt")?,
        created_at: ts(&row.try_get::<String, _>("created_at")?)?,
        delivered_at: opt_ts(row.try_get("delivered_at")?)?,
    })
}

fn accepted_from_row(row: &DbRow) -> Result<crate::federation::Accepted> {
    Ok(crate::federation::Accepted {
        case_id: row.try_get("case_id")?,
        receipt: row.try_get("receipt")?,
        envelope_sha256: row.try_get("envelope_sha256")?,
        created: false,
    })
}

/// Stores an accepted envelope with its receipt, built from the stored case's head.
async fn insert_inbound(
    tx: &mut Transaction<'_, Db>,
    inbound: &crate::federation::Inbound,
    case_id: &str,
    receipt: crate::federation::ReceiptFn<'_>,
    at: Timestamp,
) -> Result<crate::federation::Accepted> {
    let head: String = sqlx::query("SELECT hash FROM events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1")
        .bind(case_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("hash")?;
    let receipt = receipt(case_id, &head);
    sqlx::query(
        "INSERT INTO relay_inbox (peer_id, idempotency_key, kind, envelope_sha256, envelope, case_id, receipt, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&inbound.peer_id)
    .bind(&inbound.idempotency_key)
    .bind(&inbound.kind)
    .bind(&inbound.envelope_sha256)
    .bind(&inbound.envelope)
    .bind(case_id)
    .bind(&receipt)
    .bind(format_ts(at))
    .execute(&mut **tx)
    .await?;
    Ok(crate::federation::Accepted {
        case_id: case_id.to_owned(),
        receipt,
        envelope_sha256: inbound.envelope_sha256.clone(),
        created: true,
    })
}

async fn inbound_in(
    tx: &mut Transaction<'_, Db>,
    inbound: &crate::federation::Inbound,
) -> Result<Option<crate::federation::Accepted>> {
    let row = sqlx::query("SELECT * FROM relay_inbox WHERE peer_id = $1 AND idempotency_key = $2")
        .bind(&inbound.peer_id)
        .bind(&inbound.idempotency_key)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(accepted_from_row).transpose()
}

#[async_trait::async_trait]
impl crate::federation::Federation for Inner {
    async fn add_peer(&self, peer: &crate::federation::Peer) -> Result<()> {
        sqlx::query("INSERT INTO peers (id, url, public_key, orgs, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&peer.id)
            .bind(&peer.url)
            .bind(&peer.public_key)
            .bind(peer.orgs.join(","))
            .bind(format_ts(peer.created_at))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn peers(&self) -> Result<Vec<crate::federation::Peer>> {
        let rows = sqlx::query("SELECT * FROM peers ORDER BY id").fetch_all(&self.reader).await?;
        rows.iter().map(peer_from_row).collect()
    }

    async fn remove_peer(&self, id: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM peers WHERE id = $1").bind(id).execute(&self.writer).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "peer", id: id.to_owned() });
        }
        Ok(())
    }

    async fn relay_marks(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<crate::federation::RelayMark>> {
        let rows = sqlx::query(
            "SELECT id, mark FROM relay_marks WHERE kind = 'case' AND id > $1 ORDER BY kind, id LIMIT $2",
        )
        .bind(after.unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(crate::federation::RelayMark { case_id: row.try_get("id")?, mark: row.try_get("mark")? })
            })
            .collect()
    }

    async fn clear_relay_marks(&self, marks: &[crate::federation::RelayMark]) -> Result<()> {
        let marks: Vec<(&str, i64)> = marks.iter().map(|m| (m.case_id.as_str(), m.mark)).collect();
        self.remove_marks("relay_marks", "case", &marks).await
    }

    async fn compact_relay_marks(&self) -> Result<()> {
        self.vacuum_on_postgres("relay_marks").await
    }

    async fn queue_relays(&self, relays: &[crate::federation::NewRelay], at: Timestamp) -> Result<usize> {
        let mut tx = self.writer.begin().await?;
        let mut written = 0;
        for relay in relays {
            let done = sqlx::query(
                "INSERT INTO relays (id, idempotency_key, peer_id, kind, case_id, event_seq, to_org, envelope, state, \
                 attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9) \
                 ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(new_id())
            .bind(&relay.idempotency_key)
            .bind(&relay.peer_id)
            .bind(&relay.kind)
            .bind(&relay.case_id)
            .bind(relay.event_seq)
            .bind(&relay.to_org)
            .bind(&relay.envelope)
            .bind(format_ts(at))
            .execute(&mut *tx)
            .await?;
            written += done.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(written)
    }

    async fn relays(&self, case_id: Option<&str>) -> Result<Vec<crate::federation::Relay>> {
        let rows = match case_id {
            Some(case_id) => {
                sqlx::query("SELECT * FROM relays WHERE case_id = $1 ORDER BY created_at, event_seq, id")
                    .bind(case_id)
                    .fetch_all(&self.reader)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM relays ORDER BY created_at, id").fetch_all(&self.reader).await?
            }
        };
        rows.iter().map(relay_from_row).collect()
    }

    async fn relay(&self, id: &str) -> Result<crate::federation::Relay> {
        let row = sqlx::query("SELECT * FROM relays WHERE id = $1")
            .bind(id)
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("relay", id))?;
        relay_from_row(&row)
    }

    async fn claim_relays(
        &self,
        limit: i64,
        now: Timestamp,
        lease_seconds: i64,
    ) -> Result<Vec<crate::federation::Relay>> {
        let now_text = format_ts(now);
        let until = format_ts(now + chrono::TimeDelta::seconds(lease_seconds));
        let rows = sqlx::query(&format!(
            "UPDATE relays SET claimed_until = $1, claim_token = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM relays WHERE state = 'pending' AND next_attempt_at <= $3 \
             AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY next_attempt_at, id LIMIT $4{SKIP_LOCKED}) \
             RETURNING *"
        ))
        .bind(&until)
        .bind(new_id())
        .bind(&now_text)
        .bind(limit)
        .fetch_all(&self.writer)
        .await?;
        let mut claimed = rows.iter().map(relay_from_row).collect::<Result<Vec<_>>>()?;
        claimed.sort_by(|a, b| (a.created_at, a.event_seq, &a.id).cmp(&(b.created_at, b.event_seq, &b.id)));
        Ok(claimed)
    }

    async fn finish_relay(
        &self,
        id: &str,
        claim_token: &str,
        outcome: &crate::warnings::Outcome,
        receipt: Option<&str>,
        evidence: Option<&NewEvent>,
        at: Timestamp,
    ) -> Result<bool> {
        use crate::warnings::Outcome;
        let mut tx = self.writer.begin().await?;
        let now = format_ts(at);
        let done = match outcome {
            // A relay the peer answered counts even if its claim lapsed meanwhile.
            Outcome::Delivered => {
                sqlx::query(
                    "UPDATE relays SET state = 'delivered', delivered_at = $1, receipt = $2, claimed_until = NULL, \
                     claim_token = NULL, last_error = NULL WHERE id = $3 AND state = 'pending'",
                )
                .bind(&now)
                .bind(receipt)
                .bind(id)
                .execute(&mut *tx)
                .await?
            }
            Outcome::Retry { at: next, error } => {
                sqlx::query(
                    "UPDATE relays SET next_attempt_at = $1, claimed_until = NULL, claim_token = NULL, last_error = $2 \
                     WHERE id = $3 AND claim_token = $4 AND state = 'pending'",
                )
                .bind(format_ts(*next))
                .bind(error)
                .bind(id)
                .bind(claim_token)
                .execute(&mut *tx)
                .await?
            }
            Outcome::Dead { error } => {
                sqlx::query(
                    "UPDATE relays SET state = 'dead', claimed_until = NULL, claim_token = NULL, last_error = $1 \
                     WHERE id = $2 AND claim_token = $3 AND state = 'pending'",
                )
                .bind(error)
                .bind(id)
                .bind(claim_token)
                .execute(&mut *tx)
                .await?
            }
        };
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if let (Outcome::Delivered, Some(event)) = (outcome, evidence) {
            let case_id: String = sqlx::query("SELECT case_id FROM relays WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("case_id")?;
            append_events(&mut tx, &case_id, None, std::slice::from_ref(event), at).await?;
            reproject(&mut tx, self.projector().as_deref(), &case_id, at).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn replay_relay(&self, id: &str, at: Timestamp) -> Result<crate::federation::Relay> {
        let done = sqlx::query(
            "UPDATE relays SET state = 'pending', attempts = 0, next_attempt_at = $1, claimed_until = NULL, \
             claim_token = NULL WHERE id = $2 AND state <> 'delivered'",
        )
        .bind(format_ts(at))
        .bind(id)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            let relay = self.relay(id).await?;
            return Err(StoreError::Conflict(format!("relay `{}` was delivered", relay.id)));
        }
        self.relay(id).await
    }

    async fn inbound(&self, peer_id: &str, key: &str) -> Result<Option<crate::federation::Accepted>> {
        let row = sqlx::query("SELECT * FROM relay_inbox WHERE peer_id = $1 AND idempotency_key = $2")
            .bind(peer_id)
            .bind(key)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(accepted_from_row).transpose()
    }

    async fn accept_forward(
        &self,
        inbound: &crate::federation::Inbound,
        mirror: &crate::federation::Mirror,
        case: &NewCase,
        report: Option<&crate::federation::RelayedReport>,
        receipt: crate::federation::ReceiptFn<'_>,
    ) -> Result<crate::federation::Accepted> {
        let mut tx = self.writer.begin().await?;
        if let Some(known) = inbound_in(&mut tx, inbound).await? {
            return Ok(known);
        }
        let case_id = insert_case(&mut tx, case).await?;
        if let Some(report) = report {
            insert_report(&mut tx, &case_id, &report.body, None, None, &report.attachments, case.created_at)
                .await?;
        }
        sqlx::query(
            "INSERT INTO mirrors (case_id, peer_id, origin_instance, origin_case, origin_org, relayed_events) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&case_id)
        .bind(&mirror.peer_id)
        .bind(&mirror.origin_instance)
        .bind(&mirror.origin_case)
        .bind(&mirror.origin_org)
        .bind(mirror.relayed_events)
        .execute(&mut *tx)
        .await?;
        let message =
            NewOutboxMessage { topic: "case.relayed".into(), payload: serde_json::json!({"case": case_id}) };
        insert_outbox(&mut tx, &message, case.created_at).await?;
        reproject(&mut tx, self.projector().as_deref(), &case_id, case.created_at).await?;
        let accepted = insert_inbound(&mut tx, inbound, &case_id, receipt, case.created_at).await?;
        tx.commit().await?;
        Ok(accepted)
    }

    async fn accept_update(
        &self,
        inbound: &crate::federation::Inbound,
        case_id: &str,
        parties: &[Fragment],
        events: &[NewEvent],
        receipt: crate::federation::ReceiptFn<'_>,
        at: Timestamp,
    ) -> Result<crate::federation::Accepted> {
        let mut tx = self.writer.begin().await?;
        if let Some(known) = inbound_in(&mut tx, inbound).await? {
            return Ok(known);
        }
        insert_parties(&mut tx, case_id, parties, at).await?;
        append_events(&mut tx, case_id, None, events, at).await?;
        reproject(&mut tx, self.projector().as_deref(), case_id, at).await?;
        let accepted = insert_inbound(&mut tx, inbound, case_id, receipt, at).await?;
        tx.commit().await?;
        Ok(accepted)
    }

    async fn mirror(&self, case_id: &str) -> Result<Option<crate::federation::Mirror>> {
        let row = sqlx::query("SELECT * FROM mirrors WHERE case_id = $1")
            .bind(case_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|row| {
            Ok(crate::federation::Mirror {
                case_id: row.try_get("case_id")?,
                peer_id: row.try_get("peer_id")?,
                origin_instance: row.try_get("origin_instance")?,
                origin_case: row.try_get("origin_case")?,
                origin_org: row.try_get("origin_org")?,
                relayed_events: row.try_get("relayed_events")?,
            })
        })
        .transpose()
    }

    async fn refuse_relay(&self, refusal: &crate::federation::RelayRefusal) -> Result<()> {
        sqlx::query(
            "INSERT INTO relay_refusals (id, at, from_instance, idempotency_key, reason) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(format_ts(refusal.at))
        .bind(&refusal.from_instance)
        .bind(&refusal.idempotency_key)
        .bind(&refusal.reason)
        .execute(&self.writer)
        .await?;
        // Anyone may post garbage: the log keeps the latest refusals only.
        sqlx::query(
            "DELETE FROM relay_refusals WHERE at < \
             (SELECT at FROM relay_refusals ORDER BY at DESC LIMIT 1 OFFSET $1)",
        )
        .bind(crate::federation::REFUSALS_KEPT)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn relay_refusals(&self, limit: i64) -> Result<Vec<crate::federation::RelayRefusal>> {
        let rows = sqlx::query("SELECT * FROM relay_refusals ORDER BY at DESC, id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(crate::federation::RelayRefusal {
                    at: ts(&row.try_get::<String, _>("at")?)?,
                    from_instance: row.try_get("from_instance")?,
                    idempotency_key: row.try_get("idempotency_key")?,
                    reason: row.try_get("reason")?,
                })
            })
            .collect()
    }

    async fn save_mirrored_provider(&self, provider: &crate::federation::MirroredProvider) -> Result<()> {
        sqlx::query(
            "INSERT INTO csaf_mirror_providers (peer_id, url, metadata, fetched_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (peer_id) DO UPDATE SET url = excluded.url, metadata = excluded.metadata, \
             fetched_at = excluded.fetched_at",
        )
        .bind(&provider.peer_id)
        .bind(&provider.url)
        .bind(&provider.metadata)
        .bind(format_ts(provider.fetched_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn mirrored_providers(&self) -> Result<Vec<crate::federation::MirroredProvider>> {
        let rows = sqlx::query("SELECT * FROM csaf_mirror_providers ORDER BY peer_id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(crate::federation::MirroredProvider {
                    peer_id: row.try_get("peer_id")?,
                    url: row.try_get("url")?,
                    metadata: row.try_get("metadata")?,
                    fetched_at: ts(&row.try_get::<String, _>("fetched_at")?)?,
                })
            })
            .collect()
    }

    async fn save_mirrored_document(&self, document: &crate::federation::MirroredDocument) -> Result<()> {
        sqlx::query(
            "INSERT INTO csaf_mirror_documents (peer_id, path, url, tracking_id, title, document, sha256, \
             sha512, signature, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (peer_id, path) DO UPDATE SET url = excluded.url, tracking_id = excluded.tracking_id, \
             title = excluded.title, document = excluded.document, sha256 = excluded.sha256, \
             sha512 = excluded.sha512, signature = excluded.signature, fetched_at = excluded.fetched_at",
        )
        .bind(&document.peer_id)
        .bind(&document.path)
        .bind(&document.url)
        .bind(&document.tracking_id)
        .bind(&document.title)
        .bind(&document.document)
        .bind(&document.sha256)
        .bind(&document.sha512)
        .bind(&document.signature)
        .bind(format_ts(document.fetched_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn mirrored_documents(
        &self,
        peer_id: Option<&str>,
    ) -> Result<Vec<crate::federation::MirroredDocument>> {
        let rows = match peer_id {
            Some(peer_id) => {
                sqlx::query("SELECT * FROM csaf_mirror_documents WHERE peer_id = $1 ORDER BY path")
                    .bind(peer_id)
                    .fetch_all(&self.reader)
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM csaf_mirror_documents ORDER BY peer_id, path")
                    .fetch_all(&self.reader)
                    .await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok(crate::federation::MirroredDocument {
                    peer_id: row.try_get("peer_id")?,
                    path: row.try_get("path")?,
                    url: row.try_get("url")?,
                    tracking_id: row.try_get("tracking_id")?,
                    title: row.try_get("title")?,
                    document: row.try_get("document")?,
                    sha256: row.try_get("sha256")?,
                    sha512: row.try_get("sha512")?,
                    signature: row.try_get("signature")?,
                    fetched_at: ts(&row.try_get::<String, _>("fetched_at")?)?,
                })
            })
            .collect()
    }
}
