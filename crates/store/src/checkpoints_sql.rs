// Signing the heads of the hash chains (`Store::sign_heads`), a module of both back ends
// like `common.rs`. Appending an event marks its chain in `unsigned_chains` (triggers,
// migration 0029); a pass reads the marked chains a page at a time with their heads,
// signs each head its key has not signed, and removes a mark only while it is the one
// the page read. What a pass costs is what changed since the last one, and it holds one
// page in memory.

use sqlx::Row;

use super::{BACKEND, Inner};
use crate::checkpoint::Signer;
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
    /// Signs the head of every marked chain (of the one chain `only`, `(kind, id)`) that
    /// `signer` has not signed at that head; returns how many checkpoints it wrote. A
    /// key other than the one that signed last marks every chain first.
    pub(super) async fn sign_marked(
        &self,
        signer: &Signer,
        now: Timestamp,
        only: Option<(&str, &str)>,
    ) -> Result<usize> {
        let key = signer.public_key();
        self.mark_all_for(&key).await?;
        let signed_at = format_ts(now);
        let mut written = 0;
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
                for marked in &page {
                    if let (Some((seq, hash)), false) = (&marked.head, marked.signed) {
                        let checkpoint = signer.sign(&format!("{kind}/{}", marked.id), *seq, hash, now);
                        written += sqlx::query(
                            "INSERT INTO checkpoints (chain, seq, hash, signed_at, public_key, signature) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chain, seq, public_key) DO NOTHING",
                        )
                        .bind(&checkpoint.chain)
                        .bind(checkpoint.seq)
                        .bind(&checkpoint.hash)
                        .bind(&signed_at)
                        .bind(&checkpoint.public_key)
                        .bind(&checkpoint.signature)
                        .execute(&self.writer)
                        .await?
                        .rows_affected() as usize;
                    }
                    // Each removal its own statement: it waits on no other row while it
                    // holds one (a writer appending to the chain upserts its mark).
                    sqlx::query("DELETE FROM unsigned_chains WHERE kind = $1 AND id = $2 AND mark = $3")
                        .bind(kind)
                        .bind(&marked.id)
                        .bind(marked.mark)
                        .execute(&self.writer)
                        .await?;
                }
                if !full {
                    break;
                }
            }
        }
        Ok(written)
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
        let statement = format!(
            "SELECT u.id, u.mark, e.seq, e.hash, \
             EXISTS (SELECT 1 FROM checkpoints c WHERE c.chain = $1 || '/' || u.id AND c.seq = e.seq \
                     AND c.public_key = $2) AS signed \
             FROM unsigned_chains u LEFT JOIN {table} e ON e.{column} = u.id \
                 AND e.seq = (SELECT MAX(m.seq) FROM {table} m WHERE m.{column} = u.id) \
             WHERE u.kind = $1 AND u.id > $3 AND ($4 = '' OR u.id = $4) ORDER BY u.id LIMIT {PAGE}"
        );
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
