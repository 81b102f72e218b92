// The query set of `Publications`, a module of both back ends like `common.rs`. A
// rebuild's writes are one transaction; on PostgreSQL it first takes a transaction
// lock, so the change numbers (`seq`, the highest plus one) follow the commit order
// that readers of the changes rely on (SQLite's single writer gives that already).

use super::common::DbRow;
use super::{BACKEND, Inner};
use crate::publication::{
    Dirty, PublicAdvisory, PublicChange, PublicCsaf, PublicOsv, PublicRolie, PublicationStatus,
};
use crate::{Backend, Result};

/// The mark of a change put in the queue by the application (the triggers make their
/// own the same way).
fn new_mark() -> &'static str {
    match BACKEND {
        Backend::Sqlite => "random()",
        Backend::Postgres => "nextval('publication_marks')",
    }
}

fn csaf_of(row: &DbRow) -> Result<PublicCsaf> {
    use sqlx::Row;
    Ok(PublicCsaf {
        path: row.try_get("path")?,
        released: row.try_get("released")?,
        document: row.try_get("document")?,
        sha512: row.try_get("sha512")?,
        asc: row.try_get("signature")?,
        rolie: row.try_get("rolie")?,
        terms: row.try_get("terms")?,
    })
}

#[async_trait::async_trait]
impl crate::publication::Publications for Inner {
    async fn publication_status(&self) -> Result<PublicationStatus> {
        let row = sqlx::query(
            "SELECT identity, (SELECT count(*) FROM (SELECT 1 FROM publication_dirty ORDER BY source LIMIT 1) AS d) AS dirty, \
             (SELECT CAST(coalesce(max(seq), 0) AS BIGINT) FROM public_documents) AS seq \
             FROM publication_state WHERE id = 1",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(PublicationStatus {
            identity: sqlx::Row::try_get(&row, "identity")?,
            dirty: sqlx::Row::try_get(&row, "dirty")?,
            seq: sqlx::Row::try_get(&row, "seq")?,
        })
    }

    async fn compact_queue(&self) -> Result<()> {
        self.vacuum_on_postgres("publication_dirty").await
    }

    async fn republish_all(&self, identity: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE publication_state SET identity = $1 WHERE id = 1")
            .bind(identity)
            .execute(&mut *tx)
            .await?;
        let mark = new_mark();
        sqlx::query(&format!(
            "INSERT INTO publication_dirty (source, mark) \
             SELECT source, {mark} FROM (\
                 SELECT 'case:' || id AS source FROM cases \
                 UNION SELECT 'record:' || id FROM vulnerabilities WHERE case_id IS NULL \
                 UNION SELECT source FROM public_documents WHERE advisory_id IS NOT NULL) AS every_source \
             WHERE true ON CONFLICT (source) DO UPDATE SET mark = excluded.mark"
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn dirty_sources(&self, limit: i64) -> Result<Vec<Dirty>> {
        let rows = sqlx::query("SELECT source, mark FROM publication_dirty ORDER BY source LIMIT $1")
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Dirty {
                    source: sqlx::Row::try_get(row, "source")?,
                    mark: sqlx::Row::try_get(row, "mark")?,
                })
            })
            .collect()
    }

    async fn publish_built(&self, built: &[(Dirty, Option<PublicAdvisory>)]) -> Result<usize> {
        let mut tx = self.writer.begin().await?;
        if BACKEND == Backend::Postgres {
            // One writer of changes at a time: the numbers follow the commits.
            sqlx::query("SELECT pg_advisory_xact_lock(7140014)").execute(&mut *tx).await?;
        }
        let row = sqlx::query("SELECT CAST(coalesce(max(seq), 0) AS BIGINT) AS seq FROM public_documents")
            .fetch_one(&mut *tx)
            .await?;
        let mut seq: i64 = sqlx::Row::try_get(&row, "seq")?;
        let mut stored = 0;
        for (dirty, advisory) in built {
            let taken = sqlx::query("DELETE FROM publication_dirty WHERE source = $1 AND mark = $2")
                .bind(&dirty.source)
                .bind(dirty.mark)
                .execute(&mut *tx)
                .await?;
            if taken.rows_affected() == 0 {
                continue;
            }
            stored += 1;
            sqlx::query("DELETE FROM public_osv WHERE source = $1")
                .bind(&dirty.source)
                .execute(&mut *tx)
                .await?;
            let Some(advisory) = advisory else {
                let gone = sqlx::query(
                    "UPDATE public_documents SET seq = $2, advisory_id = NULL, updated = NULL, feed = NULL, \
                     path = NULL, released = NULL, document = NULL, sha512 = NULL, signature = NULL, rolie = NULL, \
                     terms = NULL WHERE source = $1 AND advisory_id IS NOT NULL",
                )
                .bind(&dirty.source)
                .bind(seq + 1)
                .execute(&mut *tx)
                .await?;
                seq += i64::try_from(gone.rows_affected()).unwrap_or_default();
                continue;
            };
            seq += 1;
            let csaf = advisory.csaf.as_ref();
            sqlx::query(
                "INSERT INTO public_documents (source, seq, advisory_id, updated, feed, path, released, document, \
                 sha512, signature, rolie, terms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (source) DO UPDATE SET seq = excluded.seq, advisory_id = excluded.advisory_id, \
                 updated = excluded.updated, feed = excluded.feed, path = excluded.path, \
                 released = excluded.released, document = excluded.document, sha512 = excluded.sha512, \
                 signature = excluded.signature, rolie = excluded.rolie, terms = excluded.terms",
            )
            .bind(&dirty.source)
            .bind(seq)
            .bind(&advisory.advisory_id)
            .bind(crate::time::format_ts(advisory.updated))
            .bind(&advisory.feed)
            .bind(csaf.map(|c| &c.path))
            .bind(csaf.map(|c| &c.released))
            .bind(csaf.map(|c| &c.document))
            .bind(csaf.map(|c| &c.sha512))
            .bind(csaf.and_then(|c| c.asc.as_ref()))
            .bind(csaf.map(|c| &c.rolie))
            .bind(csaf.map(|c| &c.terms))
            .execute(&mut *tx)
            .await?;
            for osv in &advisory.osv {
                sqlx::query(
                    "INSERT INTO public_osv (record_id, source, name, crc32, size, deflated) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (record_id) DO UPDATE SET \
                     source = excluded.source, name = excluded.name, crc32 = excluded.crc32, \
                     size = excluded.size, deflated = excluded.deflated",
                )
                .bind(&osv.record_id)
                .bind(&dirty.source)
                .bind(&osv.name)
                .bind(i64::from(osv.crc32))
                .bind(i64::try_from(osv.size).unwrap_or(i64::MAX))
                .bind(&osv.deflated)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(stored)
    }

    async fn public_changes(&self, after: i64, limit: i64) -> Result<Vec<PublicChange>> {
        let rows = sqlx::query(
            "SELECT source, seq, advisory_id, path, released FROM public_documents WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                use sqlx::Row;
                let path: Option<String> = row.try_get("path")?;
                let released: Option<String> = row.try_get("released")?;
                Ok(PublicChange {
                    source: row.try_get("source")?,
                    seq: row.try_get("seq")?,
                    advisory_id: row.try_get("advisory_id")?,
                    csaf: path.zip(released),
                })
            })
            .collect()
    }

    async fn public_csaf(&self, path: &str) -> Result<Option<PublicCsaf>> {
        let row = sqlx::query(
            "SELECT path, released, document, sha512, signature, rolie, terms FROM public_documents \
             WHERE path = $1 AND advisory_id IS NOT NULL ORDER BY source LIMIT 1",
        )
        .bind(path)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(csaf_of).transpose()
    }

    async fn public_osv(&self, sources: &[String]) -> Result<Vec<(String, PublicOsv)>> {
        let mut out = Vec::new();
        for chunk in sources.chunks(500) {
            let sql = format!(
                "SELECT record_id, source, name, crc32, size, deflated FROM public_osv WHERE source IN ({})",
                crate::placeholders(1, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for source in chunk {
                query = query.bind(source);
            }
            for row in query.fetch_all(&self.reader).await? {
                use sqlx::Row;
                let crc32: i64 = row.try_get("crc32")?;
                let size: i64 = row.try_get("size")?;
                out.push((
                    row.try_get("source")?,
                    PublicOsv {
                        record_id: row.try_get("record_id")?,
                        name: row.try_get("name")?,
                        crc32: u32::try_from(crc32)
                            .map_err(|_| crate::StoreError::Corrupt(format!("crc32 {crc32}")))?,
                        size: u64::try_from(size)
                            .map_err(|_| crate::StoreError::Corrupt(format!("size {size}")))?,
                        deflated: row.try_get("deflated")?,
                    },
                ));
            }
        }
        Ok(out)
    }

    async fn public_rolie(&self, after: &str, limit: i64) -> Result<Vec<PublicRolie>> {
        let rows = sqlx::query(
            "SELECT source, path, released, rolie, terms FROM public_documents \
             WHERE source > $1 AND advisory_id IS NOT NULL AND path IS NOT NULL ORDER BY source LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                use sqlx::Row;
                Ok(PublicRolie {
                    source: row.try_get("source")?,
                    path: row.try_get("path")?,
                    released: row.try_get("released")?,
                    rolie: row.try_get("rolie")?,
                    terms: row.try_get("terms")?,
                })
            })
            .collect()
    }

    async fn public_feed(&self, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT feed FROM public_documents WHERE advisory_id IS NOT NULL ORDER BY updated DESC, source LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|row| Ok(sqlx::Row::try_get(row, "feed")?)).collect()
    }
}
