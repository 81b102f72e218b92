//! What the platform publishes for other tools to pull, built from the records on each
//! request (never typed twice): CSAF 2.0 advisories per published case and per public
//! record, with the revision history of the records' stored changes; the CSAF provider
//! layout; the Atom feed of bulletins; the OSV export of every public record.
//!
//! A record is public when an anonymous caller may read it: it belongs to a published
//! case, or to no case (imported from public sources).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;
use vulnrelay_domain::{Action, EventKind, Localized, Timestamp, Vulnerability};
use vulnrelay_formats::csaf::{self, Publisher, Revision, Tracking};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_publish::Publication;
use vulnrelay_store::{RecordRevision, StoredVulnerability};

use crate::App;
use crate::caller::Caller;
use crate::casefile::{Loaded, built, load};
use crate::error::{Error, Result};

/// Who this installation publishes as, in CSAF documents and feeds.
pub const PUBLISHER_NAME: &str = "vulnrelay";
/// The publisher's namespace in CSAF documents.
pub const PUBLISHER_NAMESPACE: &str = "https://vulnrelay.invalid";

/// This installation as a CSAF provider, at its public URL.
pub fn provider(state: &App) -> vulnrelay_publish::provider::Provider {
    vulnrelay_publish::provider::Provider {
        base_url: state.base_url(),
        category: "coordinator".into(),
        name: PUBLISHER_NAME.into(),
        namespace: PUBLISHER_NAMESPACE.into(),
    }
}

/// Reads the armoured OpenPGP secret key at `path` that signs the CSAF provider's
/// documents, or makes an Ed25519 key for `user_id` and writes it there (readable by its
/// owner only) when there is none.
pub fn load_or_create_csaf_key(
    path: &std::path::Path,
    user_id: &str,
) -> std::io::Result<vulnrelay_publish::openpgp::DocumentSigner> {
    use vulnrelay_publish::openpgp::DocumentSigner;
    let invalid = |e: vulnrelay_publish::openpgp::KeyError| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => DocumentSigner::from_armored(&text).map_err(invalid),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let signer =
                DocumentSigner::generate(user_id, Utc::now(), rand::thread_rng()).map_err(invalid)?;
            vulnrelay_store::checkpoint::write_key_file(path, signer.to_armored().as_bytes())?;
            Ok(signer)
        }
        Err(e) => Err(e),
    }
}

/// The CSAF publisher of this installation.
pub fn publisher() -> Publisher {
    Publisher {
        category: "coordinator".into(),
        name: PUBLISHER_NAME.into(),
        namespace: PUBLISHER_NAMESPACE.into(),
    }
}

/// A record, decoded.
pub fn decode(stored: &StoredVulnerability) -> Result<Vulnerability> {
    let json: VulnerabilityJson = serde_json::from_value(stored.record.clone())
        .map_err(|e| Error::internal(format!("{}: {e}", stored.id)))?;
    json.into_domain("$").map_err(|p| Error::internal(format!("{}: {:?}", stored.id, p)))
}

/// An advisory: a published case's records, or one public record of no case.
#[derive(Debug, Clone)]
pub struct Advisory {
    /// Its id: the case's first record id, or the record's id.
    pub id: String,
    /// The case, if any.
    pub case: Option<Loaded>,
    /// The records, by id.
    pub records: Vec<(StoredVulnerability, Vulnerability)>,
}

/// When a record was published — the one answer every view gives (case page, dashboard,
/// bulletin, CSAF, OSV, feed): the record's own publication time where it has one;
/// for a record of a case, else the case's first `published` event (none while the
/// case is unpublished); for a record of no case (public from the start), else when it
/// was stored.
pub fn publication_time(
    case: Option<&Loaded>,
    stored: &StoredVulnerability,
    v: &Vulnerability,
) -> Option<Timestamp> {
    v.published.or_else(|| match case {
        Some(loaded) => first_published_event(loaded),
        None if stored.case_id.is_none() => Some(stored.created_at),
        None => None,
    })
}

/// When a record last changed as its readers are told: its latest stored change after
/// its first version, never before `published` — the first version is the publication,
/// however late this instance stored it — or, unpublished and unchanged, when it was
/// stored. The CSAF revision history's last date; every view of an advisory or a record
/// shows this one time.
pub fn record_updated(stored: &StoredVulnerability, published: Option<Timestamp>) -> Timestamp {
    let changed = (stored.updated_at > stored.created_at).then_some(stored.updated_at);
    match (published, changed) {
        (Some(published), Some(changed)) => changed.max(published),
        (Some(published), None) => published,
        (None, Some(changed)) => changed,
        (None, None) => stored.created_at,
    }
}

/// The case's first `published` event.
fn first_published_event(loaded: &Loaded) -> Option<Timestamp> {
    loaded.case.events().iter().filter(|e| matches!(e.kind, EventKind::Published { .. })).map(|e| e.at).min()
}

/// Sets the record's publication time to [`publication_time`], so every document made
/// from it says the same.
pub fn settle_publication(case: Option<&Loaded>, stored: &StoredVulnerability, v: &mut Vulnerability) {
    v.published = publication_time(case, stored, v);
}

/// When an advisory — a case's records, or one record — was first published: the
/// earliest publication time of its records ([`publication_time`]), else the case's
/// first `published` event.
pub fn advisory_published(
    case: Option<&Loaded>,
    records: &[(StoredVulnerability, Vulnerability)],
) -> Option<Timestamp> {
    records
        .iter()
        .filter_map(|(s, v)| publication_time(case, s, v))
        .min()
        .or_else(|| case.and_then(first_published_event))
}

/// When the advisory of a case was first published ([`advisory_published`] over its
/// records), or `None` while the case is unpublished.
pub async fn case_published(state: &App, loaded: &Loaded) -> Result<Option<Timestamp>> {
    if !loaded.state().is_published() {
        return Ok(None);
    }
    let mut records = Vec::new();
    for stored in state.store.vulnerabilities(Some(&loaded.record.id)).await? {
        let v = decode(&stored)?;
        records.push((stored, v));
    }
    Ok(advisory_published(Some(loaded), &records))
}

impl Advisory {
    /// When it was first published ([`advisory_published`]), else when its records
    /// were stored.
    pub fn published(&self) -> Timestamp {
        advisory_published(self.case.as_ref(), &self.records)
            .unwrap_or_else(|| self.records.iter().map(|(s, _)| s.created_at).min().unwrap_or_else(Utc::now))
    }

    /// When a record of it last changed ([`record_updated`]): its CSAF document's
    /// current release date.
    pub fn updated(&self) -> Timestamp {
        let published = self.published();
        self.records.iter().map(|(s, _)| record_updated(s, Some(published))).max().unwrap_or(published)
    }

    /// Its title: the case's, or the record's.
    pub fn title(&self) -> Localized {
        match (&self.case, self.records.first()) {
            (Some(loaded), _) => Localized::en(loaded.record.title.clone()),
            (None, Some((_, v))) if !v.title.is_empty() => v.title.clone(),
            _ => Localized::en(self.id.clone()),
        }
    }

    /// The downstream vendors' public statuses on a published case (none otherwise).
    pub fn vendors(&self) -> Vec<vulnrelay_domain::VendorStatement> {
        self.case
            .as_ref()
            .filter(|l| l.state().is_published())
            .map(|l| l.case.vendor_statements())
            .unwrap_or_default()
    }

    /// The bulletin's publication.
    pub fn publication(&self) -> Publication {
        Publication {
            id: self.id.clone(),
            title: self.title(),
            publisher: PUBLISHER_NAME.into(),
            published: self.published(),
            updated: self.updated(),
            vulnerabilities: self.records.iter().map(|(_, v)| v.clone()).collect(),
            vendors: self.vendors(),
        }
    }
}

/// The advisories of `caller`: the published (readable) cases' records grouped per
/// case, and records of no case one by one; ordered by id.
pub async fn advisories(state: &App, caller: &Caller) -> Result<Vec<Advisory>> {
    let mut by_case: BTreeMap<String, Vec<(StoredVulnerability, Vulnerability)>> = BTreeMap::new();
    let mut out = Vec::new();
    for stored in state.store.vulnerabilities(None).await? {
        let mut v = decode(&stored)?;
        match stored.case_id.clone() {
            Some(case_id) => by_case.entry(case_id).or_default().push((stored, v)),
            None => {
                settle_publication(None, &stored, &mut v);
                out.push(Advisory { id: v.id.clone(), case: None, records: vec![(stored, v)] })
            }
        }
    }
    for (case_id, mut records) in by_case {
        let loaded = load(state, &case_id).await?;
        if !loaded.state().is_published() || !loaded.can(caller, Action::Read) {
            continue;
        }
        for (stored, v) in &mut records {
            settle_publication(Some(&loaded), stored, v);
        }
        let id = records.first().map(|(s, _)| s.id.clone()).unwrap_or_else(|| case_id.clone());
        out.push(Advisory { id, case: Some(loaded), records });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The CSAF revision history of some records: the first version at `published`, then
/// every later stored change in time order, numbered from 2, each summary naming its
/// record when there are several.
pub fn revisions(per_record: &[(String, Vec<RecordRevision>)], published: Timestamp) -> Vec<Revision> {
    let several = per_record.len() > 1;
    let mut later: Vec<(Timestamp, String)> = per_record
        .iter()
        .flat_map(|(id, revisions)| {
            revisions.iter().filter(|r| r.number > 1).map(move |r| {
                (r.at, if several { format!("{id}: {}", r.summary) } else { r.summary.clone() })
            })
        })
        .collect();
    later.sort();
    let mut out = vec![Revision { number: 1, date: published, summary: "Initial version".into() }];
    for (i, (at, summary)) in later.into_iter().enumerate() {
        out.push(Revision {
            number: u32::try_from(i + 2).unwrap_or(u32::MAX),
            date: at.max(published),
            summary,
        });
    }
    out
}

async fn revision_lists(state: &App, advisory: &Advisory) -> Result<Vec<(String, Vec<RecordRevision>)>> {
    let mut lists = Vec::new();
    for (stored, _) in &advisory.records {
        lists.push((stored.id.clone(), state.store.vulnerability_revisions(&stored.id).await?));
    }
    Ok(lists)
}

/// The advisory as a CSAF 2.0 `csaf_security_advisory`, its revision history following
/// every stored change of its records.
pub async fn csaf_advisory(state: &App, advisory: &Advisory) -> Result<Value> {
    let tracking = Tracking {
        id: advisory.id.clone(),
        status: "final".into(),
        revisions: revisions(&revision_lists(state, advisory).await?, advisory.published()),
    };
    let title = advisory.title();
    let title = title.any().unwrap_or(&advisory.id).to_owned();
    let records: Vec<Vulnerability> = advisory.records.iter().map(|(_, v)| v.clone()).collect();
    let mut document = csaf::security_advisory(&title, &publisher(), &tracking, &records, csaf::Lang::En)
        .map_err(|e| Error::conflict("not_exportable", e.to_string()))?;
    csaf::add_vendor_statuses(&mut document, &advisory.vendors(), csaf::Lang::En);
    Ok(document)
}

/// The advisory as the CSAF provider serves it: [`csaf_advisory`] with its canonical URL
/// in the provider's directory (the `self` reference).
pub async fn provider_advisory(state: &App, advisory: &Advisory) -> Result<Value> {
    let mut document = csaf_advisory(state, advisory).await?;
    let url = vulnrelay_publish::provider::canonical_url(&state.base_url(), &document);
    csaf::set_self_reference(&mut document, &url);
    Ok(document)
}

/// The product status the record states, per product version stretch: each affected
/// range of the first source as `known_affected`, each fixed version as `fixed`.
pub fn product_statuses(v: &Vulnerability) -> Vec<(String, csaf::VexStatus)> {
    use vulnrelay_domain::RangeEnd;
    let mut out: Vec<(String, csaf::VexStatus)> = Vec::new();
    let mut push = |name: String, status: csaf::VexStatus| {
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, status));
        }
    };
    let Some(first) = v.affected.first() else { return out };
    for a in v.affected.iter().filter(|a| a.source == first.source) {
        let product = &a.package.product;
        for range in &a.ranges {
            let name = match &range.end {
                RangeEnd::Fixed(fixed) => format!("{product} >= {} < {fixed}", range.introduced),
                RangeEnd::LastAffected(last) => format!("{product} >= {} <= {last}", range.introduced),
                RangeEnd::Open => format!("{product} >= {}", range.introduced),
            };
            push(name, csaf::VexStatus::KnownAffected);
        }
        for version in &a.versions {
            push(format!("{product} {version}"), csaf::VexStatus::KnownAffected);
        }
        for range in &a.ranges {
            if let RangeEnd::Fixed(fixed) = &range.end {
                push(format!("{product} {fixed}"), csaf::VexStatus::Fixed);
            }
        }
        for fixed in &v.fixed_versions {
            push(format!("{product} {fixed}"), csaf::VexStatus::Fixed);
        }
    }
    out
}

/// One record's product status as a CSAF 2.0 `csaf_vex` document, its revision history
/// following the record's stored changes.
pub async fn csaf_vex(state: &App, stored: &StoredVulnerability, v: &Vulnerability) -> Result<Value> {
    let history = state.store.vulnerability_revisions(&stored.id).await?;
    let tracking = Tracking {
        id: format!("{}-vex", v.id),
        status: "final".into(),
        revisions: revisions(&[(stored.id.clone(), history)], v.published.unwrap_or(stored.created_at)),
    };
    let title = format!("VEX: {}", v.title.any().unwrap_or(&v.id));
    csaf::vex(&title, &publisher(), &tracking, v, &product_statuses(v), csaf::Lang::En)
        .map_err(|e| Error::conflict("not_exportable", e.to_string()))
}

pub use crate::publication::{PublicSnapshot, SharedFile, public_snapshot};

/// The advisory `lead` leads (see [`vulnrelay_store::Records::advisory_page`]) as
/// `caller` may read it: the record alone, or its published case's records; `None`
/// when its case is not published or not readable (or cannot be read back: logged).
async fn advisory_led_by(
    state: &App,
    caller: &Caller,
    lead: StoredVulnerability,
) -> Result<Option<Advisory>> {
    let Some(case_id) = lead.case_id.clone() else {
        return of_no_case(lead).map(Some);
    };
    let Some(loaded) = readable(caller, &case_id, load(state, &case_id).await) else {
        return Ok(None);
    };
    let records = state.store.vulnerabilities(Some(&case_id)).await?;
    case_advisory(&case_id, loaded, records).map(Some)
}

/// The advisory of a published case, from its records by id.
fn case_advisory(case_id: &str, loaded: Loaded, stored: Vec<StoredVulnerability>) -> Result<Advisory> {
    let mut records = Vec::with_capacity(stored.len());
    for stored in stored {
        let mut v = decode(&stored)?;
        settle_publication(Some(&loaded), &stored, &mut v);
        records.push((stored, v));
    }
    let id = records.first().map(|(s, _)| s.id.clone()).unwrap_or_else(|| case_id.to_owned());
    Ok(Advisory { id, case: Some(loaded), records })
}

/// The advisory of one record of no case.
fn of_no_case(lead: StoredVulnerability) -> Result<Advisory> {
    let mut v = decode(&lead)?;
    settle_publication(None, &lead, &mut v);
    Ok(Advisory { id: v.id.clone(), case: None, records: vec![(lead, v)] })
}

/// The case, when it was read, is published and `caller` may read it: a case that
/// cannot be read is logged and left out.
fn readable(caller: &Caller, case_id: &str, loaded: Result<Loaded>) -> Option<Loaded> {
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(Error::NotFound { .. }) => return None,
        Err(error) => {
            tracing::error!(case = %case_id, code = error.code(), message = %error, "advisory skipped: its case cannot be read");
            return None;
        }
    };
    (loaded.state().is_published() && loaded.can(caller, Action::Read)).then_some(loaded)
}

/// The advisory `id` if the caller may read it (404 otherwise): found through the
/// record it names (by id or alias) — the record of no case by its id, a published
/// case's advisory by any identifier of its records. Read in two statements on one
/// connection ([`vulnrelay_store::Records::advisory_parts`]).
pub async fn find(state: &App, caller: &Caller, id: &str) -> Result<Advisory> {
    let vulnrelay_store::AdvisoryParts { mut records, lead, case } =
        match state.store.advisory_parts(id).await {
            Ok(parts) => parts,
            Err(vulnrelay_store::StoreError::NotFound { .. }) => return Err(Error::not_found("advisory")),
            Err(other) => return Err(other.into()),
        };
    let advisory = match (case, records[lead].case_id.clone()) {
        (Some(read), Some(case_id)) => {
            let loaded = read.map_err(Error::from).and_then(|snapshot| built(&case_id, snapshot));
            readable(caller, &case_id, loaded)
                .map(|loaded| case_advisory(&case_id, loaded, records))
                .transpose()?
        }
        _ => Some(of_no_case(records.swap_remove(lead))?),
    };
    advisory
        .filter(|a| {
            a.id == id
                || (a.case.is_some() && a.records.iter().any(|(_, v)| v.ids().any(|known| known == id)))
        })
        .ok_or_else(|| Error::not_found("advisory"))
}

/// Up to `limit` advisories `caller` may read, newest first (by when their case, or
/// their record of no case, was stored), after the advisory `after`, and the cursor of
/// the next page. Read by keyset pages of the public records' index: a request costs
/// the advisories it returns and their records.
pub async fn advisory_page(
    state: &App,
    caller: &Caller,
    after: Option<String>,
    limit: usize,
) -> Result<(Vec<Advisory>, Option<String>)> {
    let batch = i64::try_from(limit).unwrap_or(i64::MAX - 1).saturating_add(1);
    let mut cursor = after;
    let mut out: Vec<Advisory> = Vec::new();
    loop {
        let leads = state.store.advisory_page(cursor.as_deref(), batch).await?;
        let exhausted = leads.len() < usize::try_from(batch).unwrap_or(usize::MAX);
        for lead in leads {
            cursor = Some(lead.id.clone());
            let Some(advisory) = advisory_led_by(state, caller, lead).await? else { continue };
            if out.len() == limit {
                // The cursor is the lead record's id (the advisory's id).
                let next = out.last().and_then(|a| a.records.first()).map(|(s, _)| s.id.clone());
                return Ok((out, next));
            }
            out.push(advisory);
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}

/// The publication (bulletin and manual source) of the advisory `id` the caller may
/// read: a case's advisory over all its records, or one record's.
pub async fn publication(state: &App, caller: &Caller, id: &str) -> Result<(Publication, chrono_tz::Tz)> {
    let advisory = find(state, caller, id).await?;
    let tz = advisory.case.as_ref().map_or(chrono_tz::Tz::UTC, |l| l.case.timezone());
    Ok((advisory.publication(), tz))
}

/// An advisory as the API lists it: its records with their threat levels, and the
/// links to its bulletin, manual and CSAF document.
fn advisory_json(a: &Advisory) -> Value {
    let title = a.title();
    serde_json::json!({
        "id": a.id,
        "title": {"en": title.en, "zh": title.zh},
        "case": a.case.as_ref().map(|l| l.record.id.clone()),
        "published": a.published().to_rfc3339(),
        "updated": a.updated().to_rfc3339(),
        "vulnerabilities": a.records.iter().map(|(_, v)| serde_json::json!({
            "id": v.id, "aliases": v.aliases,
            "threat_level": v.threat_status(Utc::now()).level.as_str(),
        })).collect::<Vec<_>>(),
        "links": {
            "bulletin": format!("/api/v1/advisories/{}/bulletin", a.id),
            "manual": format!("/api/v1/advisories/{}/manual", a.id),
            "csaf": format!("/api/v1/advisories/{}.csaf.json", a.id),
        },
    })
}

/// `GET /api/v1/advisories`: the advisories the caller may read, by pages of `limit`
/// (default 50, at most 200) after the advisory `after` (see [`advisory_page`]), with
/// the `next` page's cursor.
pub async fn list_advisories(
    state: &App,
    caller: &Caller,
    after: Option<String>,
    limit: Option<usize>,
) -> Result<Value> {
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let (page, next) = advisory_page(state, caller, after, limit).await?;
    Ok(serde_json::json!({"advisories": page.iter().map(advisory_json).collect::<Vec<_>>(), "next": next}))
}

/// `GET /api/v1/advisories/{id}`: one advisory the caller may read.
pub async fn advisory(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    Ok(advisory_json(&find(state, caller, id).await?))
}

/// `GET /api/v1/advisories/{id}.csaf.json`: one advisory's CSAF 2.0 security advisory,
/// with the revision history of its records' changes, and its file name in the
/// provider's layout.
pub async fn advisory_csaf(state: &App, caller: &Caller, id: &str) -> Result<(String, Value)> {
    let advisory = find(state, caller, id).await?;
    let document = provider_advisory(state, &advisory).await?;
    Ok((vulnrelay_publish::provider::file_name(&advisory.id), document))
}

/// `GET /.well-known/csaf/{path}`: a file of the CSAF provider layout of the public
/// advisories with its media type — `provider-metadata.json` (as of now), a stored
/// document with its `.sha512` and `.asc`, a shared file of the [`PublicSnapshot`]
/// (`index.txt`, `changes.csv`, the ROLIE documents, the public key), or the HTML
/// listing of a folder (not found otherwise).
pub async fn provider_file(state: &App, path: &str) -> Result<(&'static str, ProviderBody)> {
    use vulnrelay_publish::provider::{self as layout, CATEGORIES, CHANGES, FEED, INDEX, SERVICE};
    let own = |bytes: bytes::Bytes| ProviderBody::Own(bytes);
    let signer = state.csaf_signer.get();
    if path == "provider-metadata.json" {
        return Ok((
            "application/json",
            own(layout::metadata(&provider(state), Utc::now(), signer).bytes.into()),
        ));
    }
    let snapshot = public_snapshot(state).await?;
    let json = "application/json";
    match path {
        INDEX => return Ok(("text/plain; charset=utf-8", ProviderBody::Shared(snapshot.index_txt()))),
        CHANGES => return Ok(("text/csv; charset=utf-8", ProviderBody::Shared(snapshot.changes_csv()))),
        FEED => return Ok((json, ProviderBody::Shared(snapshot.rolie(state).await?.0.clone()))),
        CATEGORIES => return Ok((json, ProviderBody::Shared(snapshot.rolie(state).await?.1.clone()))),
        SERVICE => {
            return Ok((
                json,
                own(layout::json_file(SERVICE, &layout::rolie_service(&provider(state))).bytes.into()),
            ));
        }
        _ => {}
    }
    if let Some(signer) = signer
        && path == layout::public_key_path(signer)
    {
        return Ok(("application/pgp-keys", own(layout::public_key_file(signer).bytes.into())));
    }
    if let Some(relative) = path.strip_prefix("white/") {
        let (document, suffix) = match relative.rsplit_once('.') {
            Some((document, suffix @ ("sha512" | "asc"))) => (document, Some(suffix)),
            _ => (relative, None),
        };
        if snapshot.documents.contains_key(document)
            && let Some(stored) = state.store.public_csaf(document).await?
        {
            match suffix {
                None => return Ok((json, own(stored.document.into()))),
                Some("sha512") => return Ok(("text/plain; charset=utf-8", own(stored.sha512.into()))),
                _ => {
                    if let Some(asc) = stored.asc {
                        return Ok(("application/pgp-signature", own(asc.into())));
                    }
                }
            }
        }
    }
    let mut files: Vec<String> = [INDEX, CHANGES, FEED, CATEGORIES, SERVICE, "provider-metadata.json"]
        .iter()
        .map(|f| f.to_string())
        .chain(signer.map(layout::public_key_path))
        .collect();
    for document in snapshot.documents.keys() {
        files.push(format!("white/{document}"));
        files.push(format!("white/{document}.sha512"));
        if signer.is_some() {
            files.push(format!("white/{document}.asc"));
        }
    }
    match layout::listing(path, files.iter().map(String::as_str)) {
        Some(html) => Ok(("text/html; charset=utf-8", own(html.into_bytes().into()))),
        None => Err(Error::not_found("file")),
    }
}

/// The body of a file [`provider_file`] answers.
#[derive(Debug)]
pub enum ProviderBody {
    /// Made or read for this answer.
    Own(bytes::Bytes),
    /// A file of the [`PublicSnapshot`] every answer shares, with its entity tag and
    /// its gzip.
    Shared(Arc<SharedFile>),
}

/// `GET /advisories/feed.atom`: the Atom feed of the latest changed public bulletins
/// ([`FEED_ENTRIES`](crate::publication::FEED_ENTRIES)) in `lang`.
pub async fn feed(state: &App, lang: vulnrelay_publish::Lang) -> Result<String> {
    public_snapshot(state).await?;
    let entries = crate::publication::feed_entries(state).await?;
    let title = match lang {
        vulnrelay_publish::Lang::Zh => "vulnrelay 安全公告",
        vulnrelay_publish::Lang::En => "vulnrelay security bulletins",
    };
    Ok(vulnrelay_publish::feed::atom_entries(&state.base_url(), title, &entries, lang))
}
