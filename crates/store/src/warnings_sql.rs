// The query set of `Warnings`, a module of both back ends like `common.rs`. Deliveries
// are claimed with one `UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP
// LOCKED) RETURNING *` on PostgreSQL; on SQLite the same statement without the locking
// clause is atomic because every write goes through the one writer connection.

use serde_json::Value;
use sqlx::{Row, Transaction};
use vulnrelay_domain::Timestamp;

use super::common::{DbRow, json, not_found, opt_ts, ts};
use super::{Db, FOR_UPDATE, Inner, SKIP_LOCKED};
use crate::chain::canonical_json;
use crate::time::format_ts;
use crate::warnings::{
    Acknowledgement, AssetComponent, AssetGroup, AssetRevision, AssetStatus, Attempt, Channel, Delivery,
    DeliveryCounts, DeliveryFilter, DeliveryResult, DeliveryState, InboxMessage, NewReminder, OrgComponent,
    Outcome, RematchKind, RematchMark, Warning, WarningDraft, WarningFilter, WarningState, WarningSummary,
    Webhook,
};
use crate::{Result, StoreError, new_id};

fn w_components_json(components: &[AssetComponent]) -> String {
    let list: Vec<Value> = components
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "version": c.version, "purl": c.purl, "bom_ref": c.bom_ref}))
        .collect();
    canonical_json(&Value::Array(list))
}

fn w_components_from_json(value: &Value) -> Vec<AssetComponent> {
    let text = |c: &Value, key: &str| c.get(key).and_then(Value::as_str).map(str::to_owned);
    value
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| AssetComponent {
            name: text(c, "name").unwrap_or_default(),
            version: text(c, "version"),
            purl: text(c, "purl"),
            bom_ref: text(c, "bom_ref"),
        })
        .collect()
}

fn w_group_from_row(row: &DbRow) -> Result<AssetGroup> {
    Ok(AssetGroup {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        source: row.try_get("source")?,
        revision: row.try_get("revision")?,
        components: row.try_get("component_count")?,
        created_at: ts(&row.try_get::<String, _>("created_at")?)?,
        updated_at: ts(&row.try_get::<String, _>("updated_at")?)?,
    })
}

fn w_component_from_row(row: &DbRow) -> Result<AssetComponent> {
    Ok(AssetComponent {
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        purl: row.try_get("purl")?,
        bom_ref: row.try_get("bom_ref")?,
    })
}

/// Rewrites the views of the cases whose first risk warning was just issued (to one of
/// `warned`'s records, at `at`): it closes their `first_warning` interval.
async fn first_warnings_closed(
    tx: &mut Transaction<'_, Db>,
    projector: Option<&dyn crate::Projector>,
    warned: &std::collections::BTreeSet<String>,
    at: Timestamp,
) -> Result<()> {
    let mut cases = std::collections::BTreeSet::new();
    for record in warned {
        let case: Option<String> = sqlx::query("SELECT case_id FROM vulnerabilities WHERE id = $1")
            .bind(record)
            .fetch_optional(&mut **tx)
            .await?
            .map(|row| row.try_get("case_id"))
            .transpose()?
            .flatten();
        cases.extend(case);
    }
    let mut totals = super::projections_sql::Totals::default();
    for case_id in cases {
        let first: Option<String> = sqlx::query(crate::projections::sql::FIRST_WARNING)
            .bind(&case_id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|row| row.try_get("created_at"))
            .transpose()?;
        if first.as_deref() == Some(format_ts(at).as_str()) {
            // Taken as a writer of the case would take it, as `project_case` does.
            sqlx::query(&format!("SELECT last_seq FROM cases WHERE id = $1{FOR_UPDATE}"))
                .bind(&case_id)
                .fetch_one(&mut **tx)
                .await?;
            super::projections_sql::reproject_into(tx, &mut totals, projector, &case_id, at).await?;
        }
    }
    totals.write(tx).await
}

fn w_org_component_from_row(row: &DbRow) -> Result<OrgComponent> {
    Ok(OrgComponent {
        org_id: row.try_get("org_id")?,
        group: row.try_get("group_name")?,
        component: w_component_from_row(row)?,
    })
}

fn w_warning_from_row(row: &DbRow) -> Result<Warning> {
    let state: String = row.try_get("state")?;
    Ok(Warning {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        vulnerability_id: row.try_get("vulnerability_id")?,
        case_id: row.try_get("case_id")?,
        state: match state.as_str() {
            "active" => WarningState::Active,
            "withdrawn" => WarningState::Withdrawn,
            other => return Err(StoreError::Corrupt(format!("unknown warning state `{other}`"))),
        },
        tlp: row.try_get("tlp")?,
        severity: row.try_get("severity")?,
        content: json(&row.try_get::<String, _>("content")?)?,
        fingerprint: row.try_get("fingerprint")?,
        revision: row.try_get("revision")?,
        created_at: ts(&row.try_get::<String, _>("created_at")?)?,
        updated_at: ts(&row.try_get::<String, _>("updated_at")?)?,
    })
}

/// Limits `query` to the asset groups (`g`) of `org_id`, when given. Written only when
/// given: `WHERE $1 IS NULL OR g.org_id = $1` made SQLite's plan read every group of
/// every organisation for one organisation's inventory.
fn of_org<'q>(query: &mut sqlx::QueryBuilder<'q, Db>, org_id: Option<&'q str>) {
    if let Some(org) = org_id {
        query.push(" WHERE g.org_id = ").push_bind(org);
    }
}

/// Adds to `query` (`… WHERE true`) the conditions of `filter` on the organisation and
/// the vulnerability, only those given (a condition written `$1 IS NULL OR org_id = $1`
/// is planned as a read of every warning).
fn of_filter<'q>(query: &mut sqlx::QueryBuilder<'q, Db>, filter: &'q WarningFilter) {
    if let Some(org) = &filter.org_id {
        query.push(" AND org_id = ").push_bind(org);
    }
    if let Some(id) = &filter.vulnerability_id {
        query.push(" AND vulnerability_id = ").push_bind(id);
    }
}

/// The columns of a warning's summary, from `warnings`.
const SUMMARY_COLUMNS: &str = "SELECT id, org_id, vulnerability_id, state, fingerprint FROM warnings";

fn w_summary_from_row(row: &DbRow) -> Result<WarningSummary> {
    let state: String = row.try_get("state")?;
    Ok(WarningSummary {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        vulnerability_id: row.try_get("vulnerability_id")?,
        state: if state == "withdrawn" { WarningState::Withdrawn } else { WarningState::Active },
        fingerprint: row.try_get("fingerprint")?,
    })
}

fn w_webhook_from_row(row: &DbRow) -> Result<Webhook> {
    Ok(Webhook {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        active: row.try_get("active")?,
        created_at: ts(&row.try_get::<String, _>("created_at")?)?,
    })
}

fn w_delivery_from_row(row: &DbRow) -> Result<Delivery> {
    let channel: String = row.try_get("channel")?;
    let state: String = row.try_get("state")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        org_id: row.try_get("org_id")?,
        channel: match channel.as_str() {
            "inbox" => Channel::Inbox,
            "webhook" => Channel::Webhook,
            other => return Err(StoreError::Corrupt(format!("unknown channel `{other}`"))),
        },
        webhook_id: row.try_get("webhook_id")?,
        topic: row.try_get("topic")?,
        warning_id: row.try_get("warning_id")?,
        payload: json(&row.try_get::<String, _>("payload")?)?,
        state: DeliveryState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown delivery state `{state}`")))?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: ts(&row.try_get::<String, _>("next_attempt_at")?)?,
        claim_token: row.try_get("claim_token")?,
        last_error: row.try_get("last_error")?,
        created_at: ts(&row.try_get::<String, _>("created_at")?)?,
        delivered_at: opt_ts(row.try_get("delivered_at")?)?,
    })
}

fn w_status_from_row(row: &DbRow) -> Result<AssetStatus> {
    Ok(AssetStatus {
        asset: row.try_get("asset")?,
        status: row.try_get("status")?,
        justification: row.try_get("justification")?,
        detail: row.try_get("detail")?,
        by_account: row.try_get("by_account")?,
        at: ts(&row.try_get::<String, _>("at")?)?,
    })
}

/// Writes one delivery per channel of `org_id` (the inbox and every active webhook) for
/// a message, keyed `{key}.{channel}` so the same message is never written twice.
pub(super) async fn w_enqueue(
    tx: &mut Transaction<'_, Db>,
    org_id: &str,
    topic: &str,
    warning_id: Option<&str>,
    key: &str,
    payload: &Value,
    at: Timestamp,
) -> Result<()> {
    let hooks: Vec<String> =
        sqlx::query("SELECT id FROM webhooks WHERE org_id = $1 AND active ORDER BY created_at, id")
            .bind(org_id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get::<String, _>("id"))
            .collect::<std::result::Result<_, _>>()?;
    let now = format_ts(at);
    let body = canonical_json(payload);
    let targets =
        std::iter::once((Channel::Inbox, None)).chain(hooks.iter().map(|h| (Channel::Webhook, Some(h))));
    for (channel, hook) in targets {
        let target = hook.map_or("inbox", String::as_str);
        sqlx::query(
            "INSERT INTO deliveries (id, idempotency_key, org_id, channel, webhook_id, topic, warning_id, payload, \
             state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(new_id())
        .bind(format!("{key}.{target}"))
        .bind(org_id)
        .bind(channel.as_str())
        .bind(hook)
        .bind(topic)
        .bind(warning_id)
        .bind(&body)
        .bind(&now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Components written per statement (7 parameters each, within every back end's limit).
const COMPONENTS_PER_INSERT: usize = 500;

/// Writes the components of group `id`, numbered from 0, each with its package key
/// ([`crate::match_keys::component_key`]), several rows per statement.
async fn w_insert_components(
    tx: &mut Transaction<'_, Db>,
    id: &str,
    components: &[AssetComponent],
) -> Result<()> {
    for (chunk_no, chunk) in components.chunks(COMPONENTS_PER_INSERT).enumerate() {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO asset_components (group_id, position, name, version, purl, bom_ref, package_key) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (i, c) in chunk.iter().enumerate() {
            let position = chunk_no * COMPONENTS_PER_INSERT + i;
            query = query
                .bind(id)
                .bind(i64::try_from(position).unwrap_or(i64::MAX))
                .bind(&c.name)
                .bind(&c.version)
                .bind(&c.purl)
                .bind(&c.bom_ref)
                .bind(crate::match_keys::component_key(c.purl.as_deref()));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl crate::warnings::Warnings for Inner {
    async fn put_asset_group(
        &self,
        org_id: &str,
        name: &str,
        source: &str,
        components: &[AssetComponent],
        by: Option<&str>,
        at: Timestamp,
    ) -> Result<AssetGroup> {
        let mut tx = self.writer.begin().await?;
        let now = format_ts(at);
        let existing = sqlx::query(&format!(
            "SELECT id, revision FROM asset_groups WHERE org_id = $1 AND name = $2{FOR_UPDATE}"
        ))
        .bind(org_id)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, revision) = match existing {
            Some(row) => {
                let id: String = row.try_get("id")?;
                let revision: i64 = row.try_get::<i64, _>("revision")? + 1;
                sqlx::query(
                    "UPDATE asset_groups SET revision = $1, source = $2, updated_at = $3 WHERE id = $4",
                )
                .bind(revision)
                .bind(source)
                .bind(&now)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM asset_components WHERE group_id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                (id, revision)
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO asset_groups (id, org_id, name, source, revision, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 1, $5, $5)",
                )
                .bind(&id)
                .bind(org_id)
                .bind(name)
                .bind(source)
                .bind(&now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                        StoreError::InvalidReference(format!("organisation `{org_id}`"))
                    }
                    other => other.into(),
                })?;
                (id, 1)
            }
        };
        w_insert_components(&mut tx, &id, components).await?;
        sqlx::query(
            "INSERT INTO asset_group_revisions (group_id, revision, source, uploaded_by, uploaded_at, components) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(revision)
        .bind(source)
        .bind(by)
        .bind(&now)
        .bind(w_components_json(components))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(self.asset_group(org_id, name).await?.0)
    }

    async fn asset_groups(&self, org_id: Option<&str>) -> Result<Vec<AssetGroup>> {
        let mut query = sqlx::QueryBuilder::<Db>::new(
            "SELECT g.*, (SELECT COUNT(*) FROM asset_components c WHERE c.group_id = g.id) AS component_count \
             FROM asset_groups g",
        );
        of_org(&mut query, org_id);
        query.push(" ORDER BY g.org_id, g.name");
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(w_group_from_row).collect()
    }

    async fn asset_group(&self, org_id: &str, name: &str) -> Result<(AssetGroup, Vec<AssetComponent>)> {
        let row = sqlx::query(
            "SELECT g.*, (SELECT COUNT(*) FROM asset_components c WHERE c.group_id = g.id) AS component_count \
             FROM asset_groups g WHERE g.org_id = $1 AND g.name = $2",
        )
        .bind(org_id)
        .bind(name)
        .fetch_one(&self.writer)
        .await
        .map_err(not_found("asset group", name))?;
        let group = w_group_from_row(&row)?;
        let rows = sqlx::query("SELECT * FROM asset_components WHERE group_id = $1 ORDER BY position")
            .bind(&group.id)
            .fetch_all(&self.writer)
            .await?;
        let components = rows.iter().map(w_component_from_row).collect::<Result<_>>()?;
        Ok((group, components))
    }

    async fn asset_history(&self, org_id: &str, name: &str) -> Result<Vec<AssetRevision>> {
        let (group, _) = self.asset_group(org_id, name).await?;
        let rows = sqlx::query("SELECT * FROM asset_group_revisions WHERE group_id = $1 ORDER BY revision")
            .bind(&group.id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(AssetRevision {
                    revision: row.try_get("revision")?,
                    source: row.try_get("source")?,
                    uploaded_by: row.try_get("uploaded_by")?,
                    uploaded_at: ts(&row.try_get::<String, _>("uploaded_at")?)?,
                    components: w_components_from_json(&json(&row.try_get::<String, _>("components")?)?),
                })
            })
            .collect()
    }

    async fn inventory(&self, org_id: Option<&str>) -> Result<Vec<OrgComponent>> {
        let mut query = sqlx::QueryBuilder::<Db>::new(
            "SELECT g.org_id, g.name AS group_name, c.name, c.version, c.purl, c.bom_ref \
             FROM asset_components c JOIN asset_groups g ON g.id = c.group_id",
        );
        of_org(&mut query, org_id);
        query.push(" ORDER BY g.org_id, g.name, c.position");
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(w_org_component_from_row).collect()
    }

    async fn inventory_for_packages(&self, keys: &[String]) -> Result<Vec<OrgComponent>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&crate::match_keys::sql::components(super::BACKEND))
            .bind(super::match_sql::key_list(keys))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(w_org_component_from_row).collect()
    }

    async fn rematch_marks(&self, after: Option<&RematchMark>, limit: i64) -> Result<Vec<RematchMark>> {
        let (kind, id) = after.map_or(("", ""), |m| (m.kind.as_str(), m.id.as_str()));
        let rows = sqlx::query(crate::warnings::REMATCH_MARKS_PAGE)
            .bind(kind)
            .bind(id)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(RematchMark {
                    kind: RematchKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown re-match mark kind `{kind}`")))?,
                    id: row.try_get("id")?,
                    mark: row.try_get("mark")?,
                })
            })
            .collect()
    }

    async fn clear_rematch_marks(&self, marks: &[RematchMark]) -> Result<()> {
        for kind in [RematchKind::Record, RematchKind::Case, RematchKind::Org] {
            let of_kind: Vec<(&str, i64)> =
                marks.iter().filter(|m| m.kind == kind).map(|m| (m.id.as_str(), m.mark)).collect();
            self.remove_marks("rematch_marks", kind.as_str(), &of_kind).await?;
        }
        Ok(())
    }

    async fn save_warnings(&self, drafts: &[WarningDraft], at: Timestamp) -> Result<Vec<Warning>> {
        let mut tx = self.writer.begin().await?;
        let now = format_ts(at);
        let select =
            format!("SELECT * FROM warnings WHERE org_id = $1 AND vulnerability_id = $2{FOR_UPDATE}");
        let mut written = Vec::new();
        // The records that got their first warning to an organisation here.
        let mut warned = std::collections::BTreeSet::new();
        for draft in drafts {
            let mut existing = sqlx::query(&select)
                .bind(&draft.org_id)
                .bind(&draft.vulnerability_id)
                .fetch_optional(&mut *tx)
                .await?;
            if existing.is_none() {
                if draft.state == WarningState::Withdrawn {
                    continue;
                }
                // Another process may insert the same warning concurrently: whoever
                // commits first wins, the other then sees its row (and its fingerprint).
                sqlx::query(
                    "INSERT INTO warnings (id, org_id, vulnerability_id, case_id, state, tlp, severity, content, \
                     fingerprint, revision, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'active', $5, $6, '{}', '', 0, $7, $7) \
                     ON CONFLICT (org_id, vulnerability_id) DO NOTHING",
                )
                .bind(new_id())
                .bind(&draft.org_id)
                .bind(&draft.vulnerability_id)
                .bind(&draft.case_id)
                .bind(&draft.tlp)
                .bind(&draft.severity)
                .bind(&now)
                .execute(&mut *tx)
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                        StoreError::InvalidReference(format!("organisation `{}`", draft.org_id))
                    }
                    other => other.into(),
                })?;
                existing = sqlx::query(&select)
                    .bind(&draft.org_id)
                    .bind(&draft.vulnerability_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                warned.insert(draft.vulnerability_id.clone());
            }
            let Some(row) = existing else { continue };
            let current = w_warning_from_row(&row)?;
            if current.fingerprint == draft.fingerprint && current.state == draft.state {
                continue;
            }
            if current.state == WarningState::Withdrawn && draft.state == WarningState::Withdrawn {
                continue;
            }
            let revision = current.revision + 1;
            sqlx::query(
                "UPDATE warnings SET case_id = $1, state = $2, tlp = $3, severity = $4, content = $5, \
                 fingerprint = $6, revision = $7, updated_at = $8 WHERE id = $9",
            )
            .bind(&draft.case_id)
            .bind(draft.state.as_str())
            .bind(&draft.tlp)
            .bind(&draft.severity)
            .bind(canonical_json(&draft.content))
            .bind(&draft.fingerprint)
            .bind(revision)
            .bind(&now)
            .bind(&current.id)
            .execute(&mut *tx)
            .await?;
            if draft.state == WarningState::Active {
                let topic = if current.revision == 0 { "warning.issued" } else { "warning.updated" };
                let payload = serde_json::json!({
                    "type": topic,
                    "warning_id": current.id,
                    "revision": revision,
                    "org": draft.org_id,
                    "sent_at": crate::time::format_ts(at),
                    "warning": draft.content,
                });
                let key = format!("warning.{}.{revision}", current.id);
                w_enqueue(&mut tx, &draft.org_id, topic, Some(&current.id), &key, &payload, at).await?;
            }
            let row = sqlx::query("SELECT * FROM warnings WHERE id = $1")
                .bind(&current.id)
                .fetch_one(&mut *tx)
                .await?;
            written.push(w_warning_from_row(&row)?);
        }
        first_warnings_closed(&mut tx, self.projector().as_deref(), &warned, at).await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn warning(&self, id: &str) -> Result<Warning> {
        let row = sqlx::query("SELECT * FROM warnings WHERE id = $1")
            .bind(id)
            .fetch_one(&self.writer)
            .await
            .map_err(not_found("warning", id))?;
        w_warning_from_row(&row)
    }

    async fn warnings(&self, filter: &WarningFilter) -> Result<Vec<Warning>> {
        // Only the conditions given, so a page is read from an index in its order
        // (migration 0031). Keyset paging: times are stored in one fixed format, so
        // they compare as text; `updated_at <= cursor` bounds the index range.
        let mut query = sqlx::QueryBuilder::<Db>::new("SELECT * FROM warnings WHERE true");
        of_filter(&mut query, filter);
        if let Some(after) = &filter.after {
            let at = format_ts(after.updated_at);
            query.push(" AND updated_at <= ").push_bind(at.clone());
            query.push(" AND (updated_at < ").push_bind(at).push(" OR id > ").push_bind(&after.id).push(")");
        }
        query.push(" ORDER BY updated_at DESC, id");
        if let Some(limit) = filter.limit {
            query.push(" LIMIT ").push_bind(limit);
        }
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(w_warning_from_row).collect()
    }

    async fn warning_summaries(&self, filter: &WarningFilter) -> Result<Vec<WarningSummary>> {
        let mut query = sqlx::QueryBuilder::<Db>::new(format!("{SUMMARY_COLUMNS} WHERE true"));
        of_filter(&mut query, filter);
        query.push(" ORDER BY org_id, vulnerability_id");
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(w_summary_from_row).collect()
    }

    async fn warning_summaries_of(&self, vulnerability_ids: &[String]) -> Result<Vec<WarningSummary>> {
        if vulnerability_ids.is_empty() {
            return Ok(Vec::new());
        }
        // The ids as the match index's key list: one JSON array bound as `$1`.
        let statement = format!(
            "{SUMMARY_COLUMNS} WHERE vulnerability_id IN ({}) ORDER BY org_id, vulnerability_id",
            crate::match_keys::sql::keys(super::BACKEND)
        );
        let rows = sqlx::query(&statement)
            .bind(super::match_sql::key_list(vulnerability_ids))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(w_summary_from_row).collect()
    }

    async fn acknowledge(
        &self,
        warning_id: &str,
        account_id: &str,
        at: Timestamp,
    ) -> Result<Acknowledgement> {
        let mut tx = self.writer.begin().await?;
        let revision: i64 = sqlx::query("SELECT revision FROM warnings WHERE id = $1")
            .bind(warning_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found("warning", warning_id))?
            .try_get("revision")?;
        sqlx::query(
            "INSERT INTO warning_acks (warning_id, account_id, revision, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (warning_id, account_id) DO UPDATE SET revision = excluded.revision, at = excluded.at",
        )
        .bind(warning_id)
        .bind(account_id)
        .bind(revision)
        .bind(format_ts(at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Acknowledgement { account_id: account_id.to_owned(), revision, at: crate::time::truncate(at) })
    }

    async fn acknowledgements(&self, warning_id: &str) -> Result<Vec<Acknowledgement>> {
        let rows = sqlx::query("SELECT * FROM warning_acks WHERE warning_id = $1 ORDER BY at, account_id")
            .bind(warning_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Acknowledgement {
                    account_id: row.try_get("account_id")?,
                    revision: row.try_get("revision")?,
                    at: ts(&row.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    async fn set_asset_status(&self, warning_id: &str, status: &AssetStatus) -> Result<()> {
        sqlx::query(
            "INSERT INTO warning_asset_status (id, warning_id, asset, status, justification, detail, by_account, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id())
        .bind(warning_id)
        .bind(&status.asset)
        .bind(&status.status)
        .bind(&status.justification)
        .bind(&status.detail)
        .bind(&status.by_account)
        .bind(format_ts(status.at))
        .execute(&self.writer)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::NotFound { what: "warning", id: warning_id.to_owned() }
            }
            other => other.into(),
        })?;
        Ok(())
    }

    async fn asset_statuses(&self, warning_id: &str) -> Result<Vec<AssetStatus>> {
        let rows =
            sqlx::query("SELECT * FROM warning_asset_status WHERE warning_id = $1 ORDER BY asset, at, id")
                .bind(warning_id)
                .fetch_all(&self.writer)
                .await?;
        let mut latest: Vec<AssetStatus> = Vec::new();
        for row in &rows {
            let status = w_status_from_row(row)?;
            match latest.iter_mut().find(|s| s.asset == status.asset) {
                Some(slot) => *slot = status,
                None => latest.push(status),
            }
        }
        Ok(latest)
    }

    async fn create_webhook(&self, org_id: &str, url: &str, secret: &str, at: Timestamp) -> Result<Webhook> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO webhooks (id, org_id, url, secret, active, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(url)
        .bind(secret)
        .bind(true)
        .bind(format_ts(at))
        .execute(&self.writer)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::InvalidReference(format!("organisation `{org_id}`"))
            }
            other => other.into(),
        })?;
        self.webhook(&id).await
    }

    async fn webhooks(&self, org_id: Option<&str>) -> Result<Vec<Webhook>> {
        let rows =
            sqlx::query("SELECT * FROM webhooks WHERE $1 IS NULL OR org_id = $1 ORDER BY created_at, id")
                .bind(org_id)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(w_webhook_from_row).collect()
    }

    async fn webhook(&self, id: &str) -> Result<Webhook> {
        let row = sqlx::query("SELECT * FROM webhooks WHERE id = $1")
            .bind(id)
            .fetch_one(&self.writer)
            .await
            .map_err(not_found("webhook", id))?;
        w_webhook_from_row(&row)
    }

    async fn deactivate_webhook(&self, id: &str) -> Result<()> {
        let done = sqlx::query("UPDATE webhooks SET active = $1 WHERE id = $2")
            .bind(false)
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "webhook", id: id.to_owned() });
        }
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        limit: i64,
        now: Timestamp,
        lease_seconds: i64,
    ) -> Result<Vec<Delivery>> {
        let now_text = format_ts(now);
        let until = format_ts(now + chrono::TimeDelta::seconds(lease_seconds));
        let token = new_id();
        let rows = sqlx::query(&format!(
            "UPDATE deliveries SET claimed_until = $1, claim_token = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $3 \
             AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY next_attempt_at, id LIMIT $4{SKIP_LOCKED}) \
             RETURNING *"
        ))
        .bind(&until)
        .bind(&token)
        .bind(&now_text)
        .bind(limit)
        .fetch_all(&self.writer)
        .await?;
        let mut claimed = rows.iter().map(w_delivery_from_row).collect::<Result<Vec<_>>>()?;
        claimed.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
        Ok(claimed)
    }

    async fn finish_deliveries(&self, results: &[DeliveryResult], at: Timestamp) -> Result<usize> {
        let mut tx = self.writer.begin().await?;
        let now = format_ts(at);
        let mut recorded = 0;
        for result in results {
            let (done, outcome, error) = match &result.outcome {
                // A delivery that went through counts even if its claim lapsed meanwhile:
                // it was delivered, and a later attempt's outcome is then ignored.
                Outcome::Delivered => (
                    sqlx::query(
                        "UPDATE deliveries SET state = 'delivered', delivered_at = $1, claimed_until = NULL, \
                         claim_token = NULL, last_error = NULL WHERE id = $2 AND state = 'pending'",
                    )
                    .bind(&now)
                    .bind(&result.id)
                    .execute(&mut *tx)
                    .await?,
                    "delivered",
                    None,
                ),
                Outcome::Retry { at: next, error } => (
                    sqlx::query(
                        "UPDATE deliveries SET next_attempt_at = $1, claimed_until = NULL, claim_token = NULL, \
                         last_error = $2 WHERE id = $3 AND claim_token = $4 AND state = 'pending'",
                    )
                    .bind(format_ts(*next))
                    .bind(error)
                    .bind(&result.id)
                    .bind(&result.claim_token)
                    .execute(&mut *tx)
                    .await?,
                    "retry",
                    Some(error.as_str()),
                ),
                Outcome::Dead { error } => (
                    sqlx::query(
                        "UPDATE deliveries SET state = 'dead', dead_at = $1, claimed_until = NULL, claim_token = NULL, \
                         last_error = $2 WHERE id = $3 AND claim_token = $4 AND state = 'pending'",
                    )
                    .bind(&now)
                    .bind(error)
                    .bind(&result.id)
                    .bind(&result.claim_token)
                    .execute(&mut *tx)
                    .await?,
                    "dead",
                    Some(error.as_str()),
                ),
            };
            if done.rows_affected() == 0 {
                continue;
            }
            recorded += 1;
            if matches!(result.outcome, Outcome::Delivered) {
                sqlx::query(
                    "INSERT INTO inbox (delivery_id, org_id, topic, payload, at) \
                     SELECT id, org_id, topic, payload, $1 FROM deliveries WHERE id = $2 AND channel = 'inbox' \
                     ON CONFLICT (delivery_id) DO NOTHING",
                )
                .bind(&now)
                .bind(&result.id)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "INSERT INTO delivery_attempts (delivery_id, attempt, at, outcome, error) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&result.id)
            .bind(result.attempt)
            .bind(&now)
            .bind(outcome)
            .bind(error)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    async fn deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>> {
        let after = match &filter.after {
            Some(id) => Some(
                sqlx::query("SELECT created_at FROM deliveries WHERE id = $1")
                    .bind(id)
                    .fetch_one(&self.reader)
                    .await
                    .map_err(not_found("delivery", id))?
                    .try_get::<String, _>("created_at")?,
            ),
            None => None,
        };
        // Only the conditions given, so that an index on them can answer (a condition
        // written `$1 IS NULL OR org_id = $1` is planned as a read of every delivery).
        let mut query = sqlx::QueryBuilder::<Db>::new("SELECT * FROM deliveries WHERE true");
        if let Some(org) = &filter.org_id {
            query.push(" AND org_id = ").push_bind(org);
        }
        if let Some(state) = filter.state {
            query.push(" AND state = ").push_bind(state.as_str());
        }
        if let Some(warning) = &filter.warning_id {
            query.push(" AND warning_id = ").push_bind(warning);
        }
        if let (Some(at), Some(id)) = (after, &filter.after) {
            query.push(" AND created_at >= ").push_bind(at.clone());
            query.push(" AND (created_at > ").push_bind(at).push(" OR id > ").push_bind(id).push(")");
        }
        query.push(" ORDER BY created_at, id LIMIT ");
        query.push_bind(if filter.limit > 0 { filter.limit } else { i64::MAX });
        let rows = query.build().fetch_all(&self.reader).await?;
        rows.iter().map(w_delivery_from_row).collect()
    }

    async fn delivery(&self, id: &str) -> Result<Delivery> {
        let row = sqlx::query("SELECT * FROM deliveries WHERE id = $1")
            .bind(id)
            .fetch_one(&self.writer)
            .await
            .map_err(not_found("delivery", id))?;
        w_delivery_from_row(&row)
    }

    async fn delivery_attempts(&self, id: &str) -> Result<Vec<Attempt>> {
        let rows = sqlx::query("SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY at, attempt")
            .bind(id)
            .fetch_all(&self.writer)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Attempt {
                    attempt: row.try_get("attempt")?,
                    at: ts(&row.try_get::<String, _>("at")?)?,
                    outcome: row.try_get("outcome")?,
                    error: row.try_get("error")?,
                })
            })
            .collect()
    }

    async fn replay_delivery(&self, id: &str, at: Timestamp) -> Result<Delivery> {
        let mut tx = self.writer.begin().await?;
        let now = format_ts(at);
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1, claimed_until = NULL, \
             claim_token = NULL, dead_at = NULL WHERE id = $2",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "delivery", id: id.to_owned() });
        }
        sqlx::query(
            "INSERT INTO delivery_attempts (delivery_id, attempt, at, outcome, error) VALUES ($1, 0, $2, 'replayed', NULL) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.delivery(id).await
    }

    async fn delivery_counts(&self) -> Result<DeliveryCounts> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")
            .fetch_all(&self.reader)
            .await?;
        let mut counts = DeliveryCounts::default();
        for row in &rows {
            let n: i64 = row.try_get("n")?;
            match row.try_get::<String, _>("state")?.as_str() {
                "pending" => counts.pending = n,
                "delivered" => counts.delivered = n,
                "dead" => counts.dead = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    async fn inbox(&self, org_id: &str, limit: i64) -> Result<Vec<InboxMessage>> {
        let rows =
            sqlx::query("SELECT * FROM inbox WHERE org_id = $1 ORDER BY at DESC, delivery_id LIMIT $2")
                .bind(org_id)
                .bind(if limit > 0 { limit } else { i64::MAX })
                .fetch_all(&self.reader)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(InboxMessage {
                    delivery_id: row.try_get("delivery_id")?,
                    org_id: row.try_get("org_id")?,
                    topic: row.try_get("topic")?,
                    payload: json(&row.try_get::<String, _>("payload")?)?,
                    at: ts(&row.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    async fn send_reminders(&self, reminders: &[NewReminder], at: Timestamp) -> Result<usize> {
        let mut tx = self.writer.begin().await?;
        let now = format_ts(at);
        let mut sent = 0;
        for reminder in reminders {
            let done = sqlx::query(
                "INSERT INTO reminders (case_id, rule_id, org_id, stage, due_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (case_id, rule_id, org_id, stage) DO NOTHING",
            )
            .bind(&reminder.case_id)
            .bind(&reminder.rule_id)
            .bind(&reminder.org_id)
            .bind(&reminder.stage)
            .bind(reminder.due_at.map(format_ts))
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                continue;
            }
            sent += 1;
            let topic = format!("reminder.{}", reminder.stage);
            let key = format!(
                "reminder.{}.{}.{}.{}",
                reminder.case_id, reminder.rule_id, reminder.org_id, reminder.stage
            );
            w_enqueue(&mut tx, &reminder.org_id, &topic, None, &key, &reminder.payload, at).await?;
        }
        tx.commit().await?;
        Ok(sent)
    }
}
