//! Public distribution that grows with the change. Each public advisory's documents are
//! kept in the store ([`vulnrelay_store::publication`]): its CSAF document with its
//! `.sha512` and `.asc`, its entries of the ROLIE and Atom feeds, its records as OSV,
//! deflated. The store's triggers queue an advisory's source (`case:<id>`, or
//! `record:<id>` for a record of no case) in the transaction of any change it is built
//! from; before anything public is served, [`public_snapshot`] rebuilds the queued
//! sources — only those — and reads the stored changes above the last it holds into a
//! [`PublicSnapshot`], from which the shared files (`index.txt`, `changes.csv`, the OSV
//! zip) are put together without writing any document again. So a reader is never
//! served a document from before a change it could have seen, and a case that is no
//! longer public loses its documents at the moment it stops being public.
//!
//! What the stored documents were made with — this module's writers, the public URL in
//! their links and the key that signs them — is their identity: any other and every
//! source is queued again (a full rebuild, also at first start and by
//! [`republish`], which `vulnrelay rebuild-projections` runs).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::{Value, json};
use vulnrelay_domain::{Action, Localized};
use vulnrelay_publish::archive;
use vulnrelay_publish::feed::FeedEntry;
use vulnrelay_store::publication::{Dirty, PublicAdvisory, PublicCsaf, PublicOsv, PublicationStatus};

use crate::App;
use crate::caller::Caller;
use crate::casefile::load;
use crate::distribution::{
    Advisory, decode, provider, provider_advisory, record_updated, settle_publication,
};
use crate::error::{Error, Result};

/// The version of the writers below: a change of what a stored document holds bumps
/// it, and every stored document is made again.
const WRITERS: &str = "public-documents/1";
/// How many sources one rebuild transaction takes.
const BATCH: i64 = 256;
/// After how many sources taken off the queue a drain compacts it
/// ([`vulnrelay_store::publication::Publications::compact_queue`]) before it goes on.
const COMPACT_EVERY: usize = 50_000;
/// How many stored changes one read takes.
const PAGE: i64 = 10_000;
/// How many of the latest changed advisories the Atom feed lists.
pub const FEED_ENTRIES: i64 = 500;

/// What this process makes the stored documents with: the writers' version, the public
/// URL and the signing key's fingerprint.
pub fn identity(state: &App) -> String {
    let key = state.csaf_signer.get().map(|s| s.fingerprint().to_string()).unwrap_or_default();
    format!("{WRITERS} {} {key}", state.base_url())
}

/// The advisory of `source` as the public may read it, or `None` when nothing of it is
/// public (an unpublished, embargoed or withdrawn case; a case without records; a
/// record that is gone or now belongs to a case).
pub async fn advisory_of(state: &App, source: &str) -> Result<Option<Advisory>> {
    match source.split_once(':') {
        Some(("record", id)) => {
            let stored = match state.store.vulnerability(id).await {
                Ok(stored) if stored.id == id && stored.case_id.is_none() => stored,
                Ok(_) | Err(vulnrelay_store::StoreError::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let mut v = decode(&stored)?;
            settle_publication(None, &stored, &mut v);
            Ok(Some(Advisory { id: v.id.clone(), case: None, records: vec![(stored, v)] }))
        }
        Some(("case", id)) => {
            let loaded = match load(state, id).await {
                Ok(loaded) => loaded,
                Err(e) if e.code() == "not_found" => return Ok(None),
                Err(e) => return Err(e),
            };
            if !loaded.state().is_published() || !loaded.can(&Caller::default(), Action::Read) {
                return Ok(None);
            }
            let mut records = Vec::new();
            for stored in state.store.vulnerabilities(Some(id)).await? {
                let mut v = decode(&stored)?;
                settle_publication(Some(&loaded), &stored, &mut v);
                records.push((stored, v));
            }
            let Some(first) = records.first().map(|(s, _)| s.id.clone()) else { return Ok(None) };
            Ok(Some(Advisory { id: first, case: Some(loaded), records }))
        }
        _ => {
            tracing::warn!(source, "unknown source of public documents, dropped");
            Ok(None)
        }
    }
}

/// An Atom entry as stored.
fn feed_json(entry: &FeedEntry) -> String {
    json!({
        "id": entry.id,
        "title": {"en": entry.title.en, "zh": entry.title.zh},
        "publisher": entry.publisher,
        "published": entry.published.to_rfc3339(),
        "updated": entry.updated.to_rfc3339(),
        "ids": entry.ids,
    })
    .to_string()
}

/// A stored Atom entry, read back.
fn feed_entry(text: &str) -> Result<FeedEntry> {
    let bad = |what: &str| Error::internal(format!("stored feed entry: {what}"));
    let value: Value = serde_json::from_str(text).map_err(Error::internal)?;
    let string = |v: &Value| v.as_str().map(str::to_owned);
    let time = |field: &str| {
        value[field]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .ok_or_else(|| bad(field))
    };
    Ok(FeedEntry {
        id: string(&value["id"]).ok_or_else(|| bad("id"))?,
        title: Localized { en: string(&value["title"]["en"]), zh: string(&value["title"]["zh"]) },
        publisher: string(&value["publisher"]).ok_or_else(|| bad("publisher"))?,
        published: time("published")?,
        updated: time("updated")?,
        ids: value["ids"].as_array().map(|ids| ids.iter().filter_map(string).collect()).unwrap_or_default(),
    })
}

/// Everything published of `advisory`: its CSAF files (none when the CSAF writer
/// refuses it: no product named, so no valid document — left out of the provider, not
/// served invalid; its other formats stay published), its Atom entry and its records as
/// OSV (`{id}.json`, what `vulnrelay scan --advisories` reads).
pub async fn documents_of(state: &App, advisory: &Advisory) -> Result<PublicAdvisory> {
    let csaf = match provider_advisory(state, advisory).await {
        Ok(document) => {
            let files = vulnrelay_publish::provider::document_files(
                &provider(state),
                &document,
                state.csaf_signer.get(),
            )
            .map_err(Error::internal)?;
            Some(PublicCsaf {
                path: files.relative,
                released: files.released,
                document: files.bytes,
                sha512: files.sha512,
                asc: files.asc,
                rolie: files.rolie.to_string(),
                terms: serde_json::to_string(&files.terms).map_err(Error::internal)?,
            })
        }
        Err(e) if e.code() == "not_exportable" => {
            tracing::warn!(advisory = %advisory.id, reason = %e, "advisory left out of the CSAF provider");
            None
        }
        Err(e) => return Err(e),
    };
    let published = advisory.published();
    let vendors = advisory.vendors();
    let mut osv = Vec::with_capacity(advisory.records.len());
    for (stored, v) in &advisory.records {
        let mut document = vulnrelay_formats::osv_record::export(v, record_updated(stored, Some(published)));
        vulnrelay_formats::osv_record::add_vendor_statuses(&mut document, &vendors);
        let bytes = serde_json::to_vec_pretty(&document).map_err(Error::internal)?;
        let entry = archive::deflate(&format!("{}.json", v.id), &bytes);
        osv.push(PublicOsv {
            record_id: stored.id.clone(),
            name: entry.name,
            crc32: entry.crc32,
            size: entry.size,
            deflated: entry.deflated,
        });
    }
    Ok(PublicAdvisory {
        advisory_id: advisory.id.clone(),
        updated: advisory.updated(),
        feed: feed_json(&FeedEntry::from(&advisory.publication())),
        csaf,
        osv,
    })
}

/// Rebuilds every queued source, a batch per transaction, until the queue is empty (or
/// holds only sources that change faster than they are built, which the next read takes
/// up again).
pub async fn drain(state: &App) -> Result<()> {
    let mut idle = 0;
    let mut taken = 0;
    loop {
        if taken >= COMPACT_EVERY {
            state.store.compact_queue().await?;
            taken = 0;
        }
        let dirty = state.store.dirty_sources(BATCH).await?;
        if dirty.is_empty() {
            if taken >= vulnrelay_store::COMPACT_AFTER {
                state.store.compact_queue().await?;
            }
            return Ok(());
        }
        taken += dirty.len();
        let mut built: Vec<(Dirty, Option<PublicAdvisory>)> = Vec::with_capacity(dirty.len());
        for d in dirty {
            let documents = match advisory_of(state, &d.source).await? {
                Some(advisory) => Some(documents_of(state, &advisory).await?),
                None => None,
            };
            built.push((d, documents));
        }
        if state.store.publish_built(&built).await? == 0 {
            idle += 1;
            if idle > 3 {
                return Ok(());
            }
        }
    }
}

/// Makes every public document again, from the store: queues every source and
/// rebuilds them (`vulnrelay rebuild-projections`; the first start does the same).
pub async fn republish(state: &App) -> Result<()> {
    let _making = state.public.making.lock().await;
    state.store.republish_all(&identity(state)).await?;
    drain(state).await?;
    state.public.keep(None);
    Ok(())
}

/// One public advisory as a snapshot holds it.
#[derive(Debug, Clone)]
struct Listed {
    /// Its CSAF document's path under `white/`, if it has one.
    path: Option<String>,
}

/// What public distribution serves, as of one stored change: the public CSAF documents'
/// paths and release dates and every public record's OSV entry, and the shared files
/// put together from them when first asked. Documents themselves are read from the
/// store by path.
#[derive(Debug)]
pub struct PublicSnapshot {
    identity: String,
    /// The number of the last stored change it holds.
    pub seq: i64,
    sources: Arc<HashMap<String, Listed>>,
    /// The public CSAF documents: path under `white/` → current release date.
    pub documents: Arc<BTreeMap<String, String>>,
    /// Every public record's OSV entry, by record id, with its source.
    osv: Arc<BTreeMap<String, (String, Arc<archive::Entry>)>>,
    index_txt: OnceLock<Arc<SharedFile>>,
    changes_csv: OnceLock<Arc<SharedFile>>,
    osv_zip: OnceLock<Bytes>,
    rolie: tokio::sync::OnceCell<(Arc<SharedFile>, Arc<SharedFile>)>,
}

/// A file of a [`PublicSnapshot`] that every answer shares (`index.txt`, `changes.csv`,
/// the ROLIE feed and categories): its bytes, a strong entity tag of its content, and
/// its gzip, made when a client that takes gzip first asks. These files grow with
/// every public document (20 MB of `changes.csv` at a million cases); a client that
/// polls them (a CSAF aggregator) fetches a tenth of that compressed, and nothing but
/// the headers when its copy is current.
#[derive(Debug)]
pub struct SharedFile {
    /// The file as it is.
    pub bytes: Bytes,
    tag: String,
    gzip: OnceLock<Option<Bytes>>,
}

impl SharedFile {
    /// Keeps `bytes`, tagged by the first 128 bits of their SHA-256.
    pub fn new(bytes: Bytes) -> SharedFile {
        use sha2::Digest;
        let tag = hex::encode(&sha2::Sha256::digest(&bytes)[..16]);
        SharedFile { bytes, tag, gzip: OnceLock::new() }
    }

    /// The entity tag of the file as it is, quoted (`"…"`).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.tag)
    }

    /// The entity tag of its gzip (another representation, so another tag).
    pub fn gzip_etag(&self) -> String {
        format!("\"{}-gzip\"", self.tag)
    }

    /// Whether an `If-None-Match` list names this file as it is or as gzip (the weak
    /// comparison of RFC 9110 §13.1.2: a `W/` prefix is ignored; `*` names any).
    pub fn matches(&self, if_none_match: &str) -> bool {
        if_none_match.split(',').map(str::trim).any(|tag| {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || tag == self.etag() || tag == self.gzip_etag()
        })
    }

    /// The file gzip-compressed (the default level: made once, served many times), or
    /// none if it could not be made (then the file is served as it is).
    pub fn gzip(&self) -> Option<Bytes> {
        self.gzip
            .get_or_init(|| {
                use std::io::Write;
                let mut encoder = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.bytes.len() / 8),
                    flate2::Compression::default(),
                );
                encoder.write_all(&self.bytes).and_then(|()| encoder.finish()).ok().map(Bytes::from)
            })
            .clone()
    }
}

impl PublicSnapshot {
    fn new(
        identity: String,
        seq: i64,
        sources: Arc<HashMap<String, Listed>>,
        documents: Arc<BTreeMap<String, String>>,
        osv: Arc<BTreeMap<String, (String, Arc<archive::Entry>)>>,
    ) -> PublicSnapshot {
        PublicSnapshot {
            identity,
            seq,
            sources,
            documents,
            osv,
            index_txt: OnceLock::new(),
            changes_csv: OnceLock::new(),
            osv_zip: OnceLock::new(),
            rolie: tokio::sync::OnceCell::new(),
        }
    }

    /// How many public advisories it holds.
    pub fn advisories(&self) -> usize {
        self.sources.len()
    }

    /// `white/index.txt` (made once per snapshot; each answer shares it).
    pub fn index_txt(&self) -> Arc<SharedFile> {
        self.index_txt
            .get_or_init(|| {
                let text = vulnrelay_publish::provider::index_text(self.documents.keys().map(String::as_str));
                Arc::new(SharedFile::new(text.into()))
            })
            .clone()
    }

    /// `white/changes.csv`, newest change first (made once per snapshot; each answer
    /// shares it).
    pub fn changes_csv(&self) -> Arc<SharedFile> {
        self.changes_csv
            .get_or_init(|| {
                let text = vulnrelay_publish::provider::changes_text(
                    self.documents.iter().map(|(p, r)| (p.as_str(), r.as_str())),
                );
                Arc::new(SharedFile::new(text.into()))
            })
            .clone()
    }

    /// Every public record as OSV, one `{id}.json` each in the order of their ids,
    /// zipped from the stored deflated entries (made once per snapshot; each answer
    /// shares it, so concurrent downloads cost no copy each).
    pub fn osv_zip(&self) -> Result<Bytes> {
        if let Some(zip) = self.osv_zip.get() {
            return Ok(zip.clone());
        }
        let zip = archive::assemble(self.osv.values().map(|(_, e)| e.as_ref())).map_err(Error::internal)?;
        Ok(self.osv_zip.get_or_init(|| zip.into()).clone())
    }

    /// The ROLIE feed and category documents, from the stored entries of every public
    /// CSAF document.
    pub async fn rolie(&self, state: &App) -> Result<&(Arc<SharedFile>, Arc<SharedFile>)> {
        self.rolie
            .get_or_try_init(|| async {
                let mut rows = Vec::new();
                let mut after = String::new();
                loop {
                    let page = state.store.public_rolie(&after, PAGE).await?;
                    let Some(last) = page.last() else { break };
                    after = last.source.clone();
                    let full = page.len() as i64 == PAGE;
                    rows.extend(page);
                    if !full {
                        break;
                    }
                }
                let mut terms = Vec::new();
                let mut entries = Vec::with_capacity(rows.len());
                for row in &rows {
                    let entry: Value = serde_json::from_str(&row.rolie).map_err(Error::internal)?;
                    let its: Vec<String> = serde_json::from_str(&row.terms).map_err(Error::internal)?;
                    terms.extend(its);
                    entries.push((row.released.as_str(), row.path.as_str(), entry));
                }
                let mut refs: Vec<(&str, &str, &Value)> =
                    entries.iter().map(|(r, p, e)| (*r, *p, e)).collect();
                let provider = provider(state);
                let feed = vulnrelay_publish::provider::rolie_feed(&provider, &mut refs);
                let categories = vulnrelay_publish::provider::rolie_categories(terms);
                let pretty = |v: &Value| serde_json::to_vec_pretty(v).map_err(Error::internal);
                let shared = |bytes: Vec<u8>| Arc::new(SharedFile::new(bytes.into()));
                Ok::<_, Error>((shared(pretty(&feed)?), shared(pretty(&categories)?)))
            })
            .await
    }
}

/// The last [`PublicSnapshot`] this process made, read by every public request without
/// waiting; one made at a time.
#[derive(Debug, Default)]
pub struct PublicSlot {
    /// The last snapshot made.
    kept: std::sync::RwLock<Option<Arc<PublicSnapshot>>>,
    /// Held while a snapshot is made (or every document is made again).
    making: tokio::sync::Mutex<()>,
}

impl PublicSlot {
    /// The last snapshot made, if any.
    fn kept(&self) -> Option<Arc<PublicSnapshot>> {
        self.kept.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Takes the last snapshot made out, so that the next can be made from it in place.
    fn take(&self) -> Option<Arc<PublicSnapshot>> {
        self.kept.write().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    /// Keeps `snapshot` as the last made.
    fn keep(&self, snapshot: Option<Arc<PublicSnapshot>>) {
        *self.kept.write().unwrap_or_else(std::sync::PoisonError::into_inner) = snapshot;
    }

    /// The kept snapshot if `status` says it is current for `identity`.
    fn current(&self, status: &PublicationStatus, identity: &str) -> Option<Arc<PublicSnapshot>> {
        self.kept().filter(|kept| {
            status.identity == identity
                && status.dirty == 0
                && kept.identity == identity
                && kept.seq == status.seq
        })
    }
}

/// The current [`PublicSnapshot`]: the kept one while nothing public changed (one cheap
/// read of the store says so, made without waiting for other requests), else — after
/// rebuilding the queued sources, one request at a time — the kept one with the stored
/// changes since laid over it.
pub async fn public_snapshot(state: &App) -> Result<Arc<PublicSnapshot>> {
    let identity = identity(state);
    if let Some(current) = state.public.current(&state.store.publication_status().await?, &identity) {
        return Ok(current);
    }
    let _making = state.public.making.lock().await;
    // Read again: another request may have made it while this one waited.
    let status = state.store.publication_status().await?;
    if let Some(current) = state.public.current(&status, &identity) {
        return Ok(current);
    }
    if status.identity != identity {
        state.store.republish_all(&identity).await?;
    }
    if status.identity != identity || status.dirty > 0 {
        drain(state).await?;
    }
    let base = match state.public.take() {
        Some(kept) if kept.identity == identity => kept,
        _ => Arc::new(PublicSnapshot::new(identity, 0, Arc::default(), Arc::default(), Arc::default())),
    };
    let next = catch_up(state, base).await?;
    state.public.keep(Some(Arc::clone(&next)));
    Ok(next)
}

/// `base` with the stored changes numbered above its own laid over it (itself when
/// there are none).
async fn catch_up(state: &App, base: Arc<PublicSnapshot>) -> Result<Arc<PublicSnapshot>> {
    let mut changes = Vec::new();
    let mut after = base.seq;
    loop {
        let page = state.store.public_changes(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let full = page.len() as i64 == PAGE;
        changes.extend(page);
        if !full {
            break;
        }
    }
    if changes.is_empty() {
        return Ok(base);
    }
    let identity = base.identity.clone();
    let (mut sources, mut documents, mut osv) = match Arc::try_unwrap(base) {
        Ok(owned) => (owned.sources, owned.documents, owned.osv),
        Err(shared) => (Arc::clone(&shared.sources), Arc::clone(&shared.documents), Arc::clone(&shared.osv)),
    };
    let (sources_mut, documents_mut, osv_mut) =
        (Arc::make_mut(&mut sources), Arc::make_mut(&mut documents), Arc::make_mut(&mut osv));
    let mut changed = HashSet::new();
    for change in changes {
        if let Some(Listed { path: Some(path) }) = sources_mut.remove(&change.source) {
            documents_mut.remove(&path);
        }
        if change.advisory_id.is_some() {
            let path = change.csaf.map(|(path, released)| {
                documents_mut.insert(path.clone(), released);
                path
            });
            sources_mut.insert(change.source.clone(), Listed { path });
        }
        changed.insert(change.source);
    }
    osv_mut.retain(|_, (source, _)| !changed.contains(source));
    let changed: Vec<String> = changed.into_iter().collect();
    for (source, row) in state.store.public_osv(&changed).await? {
        let entry =
            archive::Entry { name: row.name, crc32: row.crc32, size: row.size, deflated: row.deflated };
        osv_mut.insert(row.record_id, (source, Arc::new(entry)));
    }
    Ok(Arc::new(PublicSnapshot::new(identity, after, sources, documents, osv)))
}

/// The Atom entries of the [`FEED_ENTRIES`] latest changed public advisories (call
/// [`public_snapshot`] first, so the stored ones are current).
pub async fn feed_entries(state: &App) -> Result<Vec<FeedEntry>> {
    state.store.public_feed(FEED_ENTRIES).await?.iter().map(|text| feed_entry(text)).collect()
}
