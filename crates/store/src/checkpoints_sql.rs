// Signing the heads of the hash chains (`Store::sign_heads`), a module of both back ends
// like `common.rs`. Appending an event marks its chain in `unsigned_chains` (triggers,
// migration 0029); a pass reads the marked chains a page at a time with their heads,
// signs each head its key has not signed, and removes a mark only while it is the one
// the page read. What a pass costs is what changed since the last one, and it holds one
// page in memory.

use sqlx::Row;

use super::{BACKEND, Db, Inner};
use crate::checkpoint::Signer;
use crate::model::Checkpoint;
use crate::time::format_ts;
use crate::{Backend, Result};
use vulnrelay_domain::Timestamp;

/// Marked chains read and signed together.
const PAGE: i64 = 500;

/// The two kinds of chain: a case's events and an organisation's log, each with the
/// table and column its head is read from.
const KINDS: [(&str, &str, &str); 2] = [("case", "events", "case_id"), ("org", "org_events", "org_id")];

/// A mark as the triggers make it.
fn new_mark() -> &'static str {
    match BACKEND {
        Backend::Sqlite => "random()",
        Backend::Postgres => "nextval('unsigned_chain_marks')",
    }
}

/// One marked chain of a page: its id, its mark, and its head (sequence number and
/// hash; none if it has no event) with whether the key signed that head already.
struct Marked {
    id: String,
    mark: i64,
    head: Option<(i64, String)>,
    signed: bool,
}

impl Inner {
    /// Signs the head of every marked chain that `signer` has not signed at that head,
    /// or of the one chain `only` (`(kind, id)`, marked first whatever its mark); returns
    /// how many checkpoints it wrote. For every chain, a key other than the one that
    /// signed last marks every chain first; for one chain, nothing else is marked.
    pub(super) async fn sign_marked(
        &self,
        signer: &Signer,
        now: Timestamp,
        only: Option<(&str, &str)>,
    ) -> Result<usize> {
        let key = signer.public_key();
        match only {
            None => self.mark_all_for(&key).await?,
            Some((kind, id)) => {
                let statement = format!(
                    "INSERT INTO unsigned_chains (kind, id, mark) VALUES ($1, $2, {}) \
                     ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark",
                    new_mark()
                );
                sqlx::query(&statement).bind(kind).bind(id).execute(&self.writer).await?;
            }
        }
        let (mut written, mut unmarked) = (0, 0);
        for (kind, table, column) in KINDS {
            if only.is_some_and(|(k, _)| k != kind) {
                continue;
            }
            let mut after = String::new();
            loop {
                let page =
                    self.marked_page(kind, table, column, &key, &after, only.map(|(_, id)| id)).await?;
                let Some(last) = page.last() else { break };
                after = last.id.clone();
                let full = page.len() as i64 == PAGE;
                let checkpoints: Vec<Checkpoint> = page
                    .iter()
                    .filter(|marked| !marked.signed)
                    .filter_map(|marked| {
                        let (seq, hash) = marked.head.as_ref()?;
                        Some(signer.sign(&format!("{kind}/{}", marked.id), *seq, hash, now))
                    })
                    .collect();
                written += self.save_checkpoints(&checkpoints).await?;
                self.unmark(kind, &page).await?;
                unmarked += page.len();
                if !full {
                    break;
                }
            }
        }
        if unmarked >= crate::COMPACT_AFTER {
            // The next pass's page would step over 100,000 removed marks for 86 ms.
            self.vacuum_on_postgres("unsigned_chains").await?;
        }
        Ok(written)
    }

    /// Stores `checkpoints` in one statement (one already stored: nothing); returns how
    /// many were new.
    pub(super) async fn save_checkpoints(&self, checkpoints: &[Checkpoint]) -> Result<usize> {
        if checkpoints.is_empty() {
            return Ok(0);
        }
        let mut insert = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO checkpoints (chain, seq, hash, signed_at, public_key, signature) ",
        );
        insert.push_values(checkpoints, |mut row, c| {
            row.push_bind(&c.chain)
                .push_bind(c.seq)
                .push_bind(&c.hash)
                .push_bind(format_ts(c.signed_at))
                .push_bind(&c.public_key)
                .push_bind(&c.signature);
        });
        insert.push(" ON CONFLICT (chain, seq, public_key) DO NOTHING");
        let done = insert.build().execute(&self.writer).await?;
        Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
    }

    /// Removes the marks of `page`'s chains of `kind` that are still the ones it read (a
    /// chain appended to meanwhile keeps its new mark).
    async fn unmark(&self, kind: &str, page: &[Marked]) -> Result<()> {
        let marks: Vec<(&str, i64)> = page.iter().map(|m| (m.id.as_str(), m.mark)).collect();
        self.remove_marks("unsigned_chains", kind, &marks).await
    }

    /// Removes from `table` (`unsigned_chains` or `rematch_marks`: kind, id, mark) the
    /// marks of kind `kind` among `marks` (id, mark) that are still the ones read, in one
    /// statement. On PostgreSQL it skips a mark a writer holds: it waits on no row, so it
    /// takes part in no deadlock, and a skipped mark is looked at again on the next pass.
    pub(super) async fn remove_marks(&self, table: &str, kind: &str, marks: &[(&str, i64)]) -> Result<()> {
        if marks.is_empty() {
            return Ok(());
        }
        let marks: Vec<serde_json::Value> =
            marks.iter().map(|(id, mark)| serde_json::json!({"id": id, "mark": mark})).collect();
        let statement = match BACKEND {
            Backend::Sqlite => format!(
                "DELETE FROM {table} WHERE kind = $1 AND (id, mark) IN \
                 (SELECT json_extract(value, '$.id'), json_extract(value, '$.mark') FROM json_each($2))"
            ),
            // The rows locked first, once (a semi-join on the locking subquery ran it
            // again for each mark: 390 ms a page of 500, against 6 ms).
            Backend::Postgres => format!(
                "WITH locked AS (SELECT l.id FROM {table} l \
                 JOIN jsonb_to_recordset($2::jsonb) AS m (id TEXT, mark BIGINT) \
                 ON l.kind = $1 AND l.id = m.id AND l.mark = m.mark FOR UPDATE OF l SKIP LOCKED) \
                 DELETE FROM {table} u USING locked WHERE u.kind = $1 AND u.id = locked.id"
            ),
        };
        sqlx::query(&statement)
            .bind(kind)
            .bind(serde_json::Value::Array(marks).to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Marks every chain when `key` is not the key that signed last, and records it as
    /// that key.
    async fn mark_all_for(&self, key: &str) -> Result<()> {
        let last: Option<String> = sqlx::query("SELECT public_key FROM chain_signer WHERE id = 1")
            .fetch_optional(&self.reader)
            .await?
            .map(|row| row.try_get("public_key"))
            .transpose()?;
        if last.as_deref() == Some(key) {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        let mark = new_mark();
        // `WHERE true`: SQLite reads an upsert's ON after a bare SELECT as a join's.
        for statement in [
            format!(
                "INSERT INTO unsigned_chains (kind, id, mark) SELECT 'case', id, {mark} FROM cases WHERE true"
            ),
            format!(
                "INSERT INTO unsigned_chains (kind, id, mark) \
                 SELECT 'org', org_id, {mark} FROM (SELECT DISTINCT org_id FROM org_events) AS o WHERE true"
            ),
        ] {
            sqlx::query(&format!("{statement} ON CONFLICT (kind, id) DO UPDATE SET mark = excluded.mark"))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO chain_signer (id, public_key) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key",
        )
        .bind(key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The marked chains of `kind` after `after` (of id `only`), in id order, a page of
    /// them, each with its head read from `table` by `column` and whether `key` signed it.
    async fn marked_page(
        &self,
        kind: &str,
        table: &str,
        column: &str,
        key: &str,
        after: &str,
        only: Option<&str>,
    ) -> Result<Vec<Marked>> {
        let statement = crate::checkpoint::marked_heads(table, column, PAGE);
        let rows = sqlx::query(&statement)
            .bind(kind)
            .bind(key)
            .bind(after)
            .bind(only.unwrap_or_default())
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                let seq: Option<i64> = row.try_get("seq")?;
                let hash: Option<String> = row.try_get("hash")?;
                Ok(Marked {
                    id: row.try_get("id")?,
                    mark: row.try_get("mark")?,
                    head: seq.zip(hash),
                    signed: row.try_get::<Option<bool>, _>("signed")?.unwrap_or(false),
                })
            })
            .collect()
    }
}
