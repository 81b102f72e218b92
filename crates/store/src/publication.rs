//! Public distribution kept as data: each public advisory's documents, stored when it
//! changes, and the queue of advisories to rebuild. Triggers put the source of an
//! advisory (`case:<id>`, or `record:<id>` for a record of no case) in the queue in the
//! transaction of any change it is built from (a record, its revisions, a case, its
//! events, parties, products and embargoes); the application rebuilds the queued ones
//! before it serves anything public ([`Publications::publish_built`]), and every stored
//! change has a number (`seq`), so a process keeping the shared files in memory reads
//! only the changes above the last it saw.

use async_trait::async_trait;
use vulnrelay_domain::Timestamp;

use crate::Result;

/// A source waiting to be rebuilt, with the mark of its latest change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirty {
    /// `case:<id>` or `record:<id>`.
    pub source: String,
    /// Changes with every change of the source.
    pub mark: i64,
}

/// An advisory's CSAF document, as the provider's directory serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicCsaf {
    /// `{year}/{file name}` under `white/`.
    pub path: String,
    /// Its current release date as written in it.
    pub released: String,
    /// The document's bytes.
    pub document: Vec<u8>,
    /// Its `.sha512` file.
    pub sha512: Vec<u8>,
    /// Its `.asc` file, when signed.
    pub asc: Option<Vec<u8>>,
    /// Its entry of the ROLIE feed (JSON).
    pub rolie: String,
    /// Its ROLIE category terms (a JSON array).
    pub terms: String,
}

/// One record of an advisory as an OSV document, deflated for the zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicOsv {
    /// The record's id.
    pub record_id: String,
    /// Its file name in the zip.
    pub name: String,
    /// CRC-32 of the document.
    pub crc32: u32,
    /// The document's length.
    pub size: u64,
    /// The document, deflated (RFC 1951).
    pub deflated: Vec<u8>,
}

/// What is published of one public advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicAdvisory {
    /// Its id.
    pub advisory_id: String,
    /// When it last changed (the Atom feed's order).
    pub updated: Timestamp,
    /// Its entry of the Atom feed (JSON).
    pub feed: String,
    /// Its CSAF document, unless the CSAF writer refused it.
    pub csaf: Option<PublicCsaf>,
    /// Its records as OSV.
    pub osv: Vec<PublicOsv>,
}

/// A stored change: a source's advisory as it now is (`None`: no longer public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicChange {
    /// `case:<id>` or `record:<id>`.
    pub source: String,
    /// The change's number.
    pub seq: i64,
    /// The advisory's id, while it is public.
    pub advisory_id: Option<String>,
    /// Its CSAF document's path under `white/` and current release date, if it has one.
    pub csaf: Option<(String, String)>,
}

/// An advisory's part of the ROLIE feed and category document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRolie {
    /// The source, the key of the pages.
    pub source: String,
    /// Its path under `white/`.
    pub path: String,
    /// Its current release date.
    pub released: String,
    /// Its ROLIE entry (JSON).
    pub rolie: String,
    /// Its category terms (a JSON array).
    pub terms: String,
}

/// Where the stored documents stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationStatus {
    /// What they were made with (`""` before the first build).
    pub identity: String,
    /// Whether any source waits to be rebuilt: 1 if one does, 0 if none (the queue is
    /// not counted, so the read stays cheap however long it grew).
    pub dirty: i64,
    /// The number of the last stored change (0: none yet).
    pub seq: i64,
}

/// Storage of the published documents.
#[async_trait]
pub trait Publications: Send + Sync {
    /// Where the stored documents stand, in one cheap read: what they were made with,
    /// whether any source waits in the queue and the number of the last stored change.
    async fn publication_status(&self) -> Result<PublicationStatus>;

    /// Gives back the room of the sources taken off the queue. On PostgreSQL each one
    /// leaves a dead row that every read of the queue steps over until the table is
    /// vacuumed (a drain of a million sources slows itself and the status read to a
    /// second); `VACUUM` does it at once. Nothing to do on SQLite.
    async fn compact_queue(&self) -> Result<()>;

    /// Records `identity` and puts every source in the queue: every case, every record
    /// of no case, and every stored advisory (a full rebuild).
    async fn republish_all(&self, identity: &str) -> Result<()>;

    /// Up to `limit` queued sources, by source.
    async fn dirty_sources(&self, limit: i64) -> Result<Vec<Dirty>>;

    /// Stores what was built for each queued source (`None`: nothing public), in one
    /// transaction, and takes it off the queue — each only if its mark is still the one
    /// it was built after (else it changed since, and stays queued; nothing is stored
    /// for it). Returns how many were stored.
    async fn publish_built(&self, built: &[(Dirty, Option<PublicAdvisory>)]) -> Result<usize>;

    /// The stored changes numbered above `after`, up to `limit`, in order.
    async fn public_changes(&self, after: i64, limit: i64) -> Result<Vec<PublicChange>>;

    /// The CSAF document at `path` under `white/`, with its `.sha512` and `.asc`.
    async fn public_csaf(&self, path: &str) -> Result<Option<PublicCsaf>>;

    /// The OSV documents of `sources`, each with its source.
    async fn public_osv(&self, sources: &[String]) -> Result<Vec<(String, PublicOsv)>>;

    /// The ROLIE parts of the public CSAF documents whose source sorts after `after`,
    /// up to `limit`, by source.
    async fn public_rolie(&self, after: &str, limit: i64) -> Result<Vec<PublicRolie>>;

    /// The Atom entries (JSON) of the `limit` latest changed public advisories.
    async fn public_feed(&self, limit: i64) -> Result<Vec<String>>;
}
