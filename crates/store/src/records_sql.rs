// The query set of `Records`, a module of both back ends like `common.rs`. Counters
// advance with one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING`, which both
// databases run atomically, so racing requests never get the same number.

use serde_json::Value;
use vulnrelay_domain::Timestamp;

use super::common::{DbRow, json, not_found, ts};
use super::{FOR_UPDATE, Inner, SKIP_LOCKED};
use crate::records::{RecordListing, RecordPageQuery, sql};
use crate::{Result, StoreError};

#[async_trait::async_trait]
impl crate::records::Records for Inner {
    async fn assign_id(&self, template: &vulnrelay_domain::IdTemplate, at: Timestamp) -> Result<String> {
        use chrono::Datelike;
        let counter = template.counter(at.year(), at.month());
        let row = sqlx::query(
            "INSERT INTO id_counters (counter, last) VALUES ($1, 1) \
             ON CONFLICT (counter) DO UPDATE SET last = id_counters.last + 1 RETURNING last",
        )
        .bind(&counter)
        .fetch_one(&self.writer)
        .await?;
        let n: i64 = sqlx::Row::try_get(&row, "last")?;
        Ok(template.format(at.year(), at.month(), u64::try_from(n).unwrap_or_default()))
    }

    async fn load_cve_pool(&self, ids: &[String], at: Timestamp) -> Result<usize> {
        let mut tx = self.writer.begin().await?;
        let mut added = 0;
        for id in ids {
            let done = sqlx::query(
                "INSERT INTO cve_pool (cve_id, loaded_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(crate::time::format_ts(at))
            .execute(&mut *tx)
            .await?;
            added += usize::try_from(done.rows_affected()).unwrap_or_default();
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn take_cve_id(&self, vulnerability_id: &str, at: Timestamp) -> Result<String> {
        let mut tx = self.writer.begin().await?;
        let existing = sqlx::query("SELECT cve_id FROM cve_pool WHERE vulnerability_id = $1")
            .bind(vulnerability_id)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(row) = existing {
            return Ok(sqlx::Row::try_get(&row, "cve_id")?);
        }
        let sql = format!(
            "UPDATE cve_pool SET vulnerability_id = $1, assigned_at = $2 WHERE cve_id = \
             (SELECT cve_id FROM cve_pool WHERE vulnerability_id IS NULL ORDER BY cve_id LIMIT 1{SKIP_LOCKED}) \
             RETURNING cve_id"
        );
        let row = sqlx::query(&sql)
            .bind(vulnerability_id)
            .bind(crate::time::format_ts(at))
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "free CVE id in the pool",
                id: vulnerability_id.to_owned(),
            })?;
        let cve: String = sqlx::Row::try_get(&row, "cve_id")?;
        tx.commit().await?;
        Ok(cve)
    }

    async fn free_cve_ids(&self) -> Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS free FROM cve_pool WHERE vulnerability_id IS NULL")
            .fetch_one(&self.reader)
            .await?;
        let free: i64 = sqlx::Row::try_get(&row, "free")?;
        Ok(u64::try_from(free).unwrap_or_default())
    }

    async fn save_vulnerability(
        &self,
        id: &str,
        case_id: Option<&str>,
        record: &Value,
        aliases: &[String],
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        save_in(&mut tx, id, case_id, record, aliases, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_vulnerabilities(&self, records: &[(String, Value)], at: Timestamp) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for (id, record) in records {
            save_in(&mut tx, id, None, record, &[], at).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn vulnerability(&self, id_or_alias: &str) -> Result<crate::records::StoredVulnerability> {
        let row = sqlx::query(sql::RECORD_BY_ALIAS)
            .bind(id_or_alias)
            .fetch_one(&self.reader)
            .await
            .map_err(not_found("vulnerability", id_or_alias))?;
        stored_vulnerability(&row)
    }

    async fn advisory_parts(&self, id_or_alias: &str) -> Result<crate::records::AdvisoryParts> {
        // One connection for both statements: one hand-off to the pool and one check of
        // the connection on its return, not one each.
        let mut connection = self.reader.acquire().await?;
        let rows = sqlx::query(sql::ADVISORY_RECORDS).bind(id_or_alias).fetch_all(&mut *connection).await?;
        let mut lead = None;
        let mut records = Vec::with_capacity(rows.len());
        for row in &rows {
            if sqlx::Row::try_get::<bool, _>(row, "lead")? {
                lead = Some(records.len());
            }
            records.push(stored_vulnerability(row)?);
        }
        let lead =
            lead.ok_or_else(|| StoreError::NotFound { what: "vulnerability", id: id_or_alias.to_owned() })?;
        let case = match &records[lead].case_id {
            Some(case_id) => Some(super::projections_sql::read_case(&mut *connection, case_id).await),
            None => None,
        };
        Ok(crate::records::AdvisoryParts { records, lead, case })
    }

    async fn vulnerabilities(
        &self,
        case_id: Option<&str>,
    ) -> Result<Vec<crate::records::StoredVulnerability>> {
        let rows = match case_id {
            // A case's records, through its index.
            Some(case_id) => sqlx::query(sql::CASE_RECORDS).bind(case_id).fetch_all(&self.reader).await?,
            None => {
                sqlx::query(
                    "SELECT id, case_id, record, created_at, updated_at FROM vulnerabilities ORDER BY id",
                )
                .fetch_all(&self.reader)
                .await?
            }
        };
        rows.iter().map(stored_vulnerability).collect()
    }

    async fn vulnerability_page(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<crate::records::StoredVulnerability>> {
        let rows = sqlx::query(sql::RECORDS_BY_ID)
            .bind(after.unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(stored_vulnerability).collect()
    }

    async fn record_page(&self, query: &RecordPageQuery) -> Result<Vec<RecordListing>> {
        let org = query.org_id.clone().unwrap_or_default();
        let (listed_at, case_key, after_id) = match &query.after {
            Some(id) => match list_key(&self.reader, id).await? {
                Some((listed_at, case_key)) => (listed_at, case_key, id.clone()),
                // An unknown cursor starts nowhere: the page is empty.
                None => return Ok(Vec::new()),
            },
            None => (String::new(), String::new(), String::new()),
        };
        // Two index-ordered runs — the public records and those of the organisation's
        // cases — each cut at the page size, merged here.
        let runs: &[&str] = if query.org_id.is_some() {
            &[sql::RECORDS_PUBLIC, sql::RECORDS_RELATED]
        } else {
            &[sql::RECORDS_PUBLIC]
        };
        let mut keyed = Vec::new();
        for statement in runs {
            let rows = sqlx::query(statement)
                .bind(&org)
                .bind(&listed_at)
                .bind(&case_key)
                .bind(&after_id)
                .bind(query.limit)
                .fetch_all(&self.reader)
                .await?;
            for row in &rows {
                let listing = RecordListing {
                    stored: stored_vulnerability(row)?,
                    state: sqlx::Row::try_get(row, "state")?,
                    relation: sqlx::Row::try_get(row, "relation")?,
                };
                keyed.push((sqlx::Row::try_get::<String, _>(row, "listed_at")?, listing));
            }
        }
        keyed.sort_by(|(a_at, a), (b_at, b)| {
            let key = |at: &String, l: &RecordListing| {
                (at.clone(), l.stored.case_id.clone().unwrap_or_default(), l.stored.id.clone())
            };
            key(a_at, a).cmp(&key(b_at, b))
        });
        keyed.dedup_by(|(_, a), (_, b)| a.stored.id == b.stored.id);
        keyed.truncate(usize::try_from(query.limit).unwrap_or(0));
        Ok(keyed.into_iter().map(|(_, listing)| listing).collect())
    }

    async fn advisory_page(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<crate::records::StoredVulnerability>> {
        let rows = match after {
            None => sqlx::query(sql::ADVISORIES_FIRST).bind(limit).fetch_all(&self.reader).await?,
            Some(id) => {
                let Some((listed_at, case_key)) = list_key(&self.reader, id).await? else {
                    return Ok(Vec::new());
                };
                sqlx::query(sql::ADVISORIES_AFTER)
                    .bind(limit)
                    .bind(listed_at)
                    .bind(case_key)
                    .bind(id)
                    .fetch_all(&self.reader)
                    .await?
            }
        };
        rows.iter().map(stored_vulnerability).collect()
    }

    async fn vulnerabilities_for_packages(
        &self,
        keys: &[String],
    ) -> Result<Vec<crate::records::StoredVulnerability>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&crate::match_keys::sql::records(super::BACKEND))
            .bind(super::match_sql::key_list(keys))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(stored_vulnerability).collect()
    }

    async fn vulnerability_revisions(&self, id: &str) -> Result<Vec<crate::records::RecordRevision>> {
        let rows = sqlx::query(
            "SELECT number, at, summary FROM vulnerability_revisions WHERE vulnerability_id = $1 ORDER BY number",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(record_revision).collect()
    }

    async fn publication_version(&self) -> Result<String> {
        // Cheap aggregates only: no table is read row by row into the process.
        let row = sqlx::query(
            "SELECT (SELECT count(*) FROM vulnerabilities) AS records, \
                    (SELECT max(updated_at) FROM vulnerabilities) AS last_change, \
                    (SELECT count(*) FROM vulnerability_revisions) AS revisions, \
                    (SELECT count(*) FROM cases) AS cases, \
                    (SELECT CAST(coalesce(sum(last_seq), 0) AS BIGINT) FROM cases) AS events, \
                    (SELECT count(*) FROM case_parties) AS parties, \
                    (SELECT count(*) FROM case_products) AS products, \
                    (SELECT count(*) FROM embargoes) AS embargoes",
        )
        .fetch_one(&self.reader)
        .await?;
        let mut parts = Vec::new();
        for column in ["records", "revisions", "cases", "events", "parties", "products", "embargoes"] {
            parts.push(sqlx::Row::try_get::<i64, _>(&row, column)?.to_string());
        }
        parts.push(sqlx::Row::try_get::<Option<String>, _>(&row, "last_change")?.unwrap_or_default());
        Ok(parts.join(":"))
    }
}

/// Where record `id` stands in the lists: its `listed_at` and `case_key` (none: no such
/// record).
async fn list_key(reader: &sqlx::Pool<super::Db>, id: &str) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT listed_at, case_key FROM vulnerabilities WHERE id = $1")
        .bind(id)
        .fetch_optional(reader)
        .await?;
    row.map(|row| Ok((sqlx::Row::try_get(&row, "listed_at")?, sqlx::Row::try_get(&row, "case_key")?)))
        .transpose()
}

fn record_revision(row: &DbRow) -> Result<crate::records::RecordRevision> {
    Ok(crate::records::RecordRevision {
        number: sqlx::Row::try_get(row, "number")?,
        at: ts(&sqlx::Row::try_get::<String, _>(row, "at")?)?,
        summary: sqlx::Row::try_get(row, "summary")?,
    })
}

fn stored_vulnerability(row: &DbRow) -> Result<crate::records::StoredVulnerability> {
    Ok(crate::records::StoredVulnerability {
        id: sqlx::Row::try_get(row, "id")?,
        case_id: sqlx::Row::try_get(row, "case_id")?,
        record: json(&sqlx::Row::try_get::<String, _>(row, "record")?)?,
        created_at: ts(&sqlx::Row::try_get::<String, _>(row, "created_at")?)?,
        updated_at: ts(&sqlx::Row::try_get::<String, _>(row, "updated_at")?)?,
    })
}

/// Stores a record in `tx` (see `Records::save_vulnerability`).
async fn save_in(
    tx: &mut sqlx::Transaction<'_, super::Db>,
    id: &str,
    case_id: Option<&str>,
    record: &Value,
    aliases: &[String],
    at: Timestamp,
) -> Result<()> {
    let now = crate::time::format_ts(at);
    let previous = sqlx::query(&format!("SELECT record FROM vulnerabilities WHERE id = $1{FOR_UPDATE}"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|row| json(&sqlx::Row::try_get::<String, _>(&row, "record")?))
        .transpose()?;
    let summary = crate::records::revision_summary(previous.as_ref(), record);
    // Where the record stands in the lists: its case's place and publication, read
    // with the case's row taken as a writer would, so a concurrent change of the case
    // (which rewrites its records' `public` with its views) cannot interleave.
    let (listed_at, public) = match case_id {
        Some(case_id) => {
            let Some(case) = sqlx::query(&format!("SELECT created_at FROM cases WHERE id = $1{FOR_UPDATE}"))
                .bind(case_id)
                .fetch_optional(&mut **tx)
                .await?
            else {
                return Err(StoreError::InvalidReference(format!("case `{case_id}`")));
            };
            let published = sqlx::query("SELECT published FROM case_views WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&mut **tx)
                .await?
                .map(|row| sqlx::Row::try_get::<bool, _>(&row, "published"))
                .transpose()?
                .unwrap_or(false);
            (sqlx::Row::try_get::<String, _>(&case, "created_at")?, published)
        }
        None => (now.clone(), true),
    };
    if summary.is_some() || previous.is_none() {
        sqlx::query(
        "INSERT INTO vulnerabilities (id, case_id, record, created_at, updated_at, public, listed_at, case_key) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET record = excluded.record, case_id = excluded.case_id, \
         updated_at = excluded.updated_at, public = excluded.public, case_key = excluded.case_key, \
         listed_at = CASE WHEN excluded.case_key = '' THEN vulnerabilities.created_at ELSE excluded.listed_at END",
    )
    .bind(id)
    .bind(case_id)
    .bind(crate::chain::canonical_json(record))
    .bind(&now)
    .bind(public)
    .bind(&listed_at)
    .bind(case_id.unwrap_or_default())
    .execute(&mut **tx)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::InvalidReference(format!("case `{}`", case_id.unwrap_or_default()))
        }
        other => other.into(),
    })?;
        super::match_sql::m_record_keys(tx, id, record).await?;
    }
    if let Some(summary) = summary {
        sqlx::query(
            "INSERT INTO vulnerability_revisions (vulnerability_id, number, at, summary) \
             SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3 FROM vulnerability_revisions WHERE vulnerability_id = $1",
        )
        .bind(id)
        .bind(&now)
        .bind(summary)
        .execute(&mut **tx)
        .await?;
    }
    for alias in std::iter::once(id).chain(aliases.iter().map(String::as_str)) {
        let owner = sqlx::query("SELECT vulnerability_id FROM vulnerability_aliases WHERE alias = $1")
            .bind(alias)
            .fetch_optional(&mut **tx)
            .await?;
        match owner {
            Some(row) => {
                let owner: String = sqlx::Row::try_get(&row, "vulnerability_id")?;
                if owner != id {
                    return Err(StoreError::Conflict(format!("`{alias}` already names `{owner}`")));
                }
            }
            None => {
                sqlx::query("INSERT INTO vulnerability_aliases (alias, vulnerability_id) VALUES ($1, $2)")
                    .bind(alias)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    Ok(())
}
