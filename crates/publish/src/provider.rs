//! The CSAF provider layout (CSAF 2.0 §7.1): `provider-metadata.json`; a TLP:WHITE
//! directory with per-year folders, `index.txt` and `changes.csv` (Requirements 11–13)
//! and server-side directory listings (14); the ROLIE feed, its service and category
//! documents (15–17); a `.sha512` (18) and, when the provider has a key, an OpenPGP
//! `.asc` (19) beside every document, with the public key under `openpgp/` (20). Paths
//! are relative to `/.well-known/csaf/`.

use chrono::SecondsFormat;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use vulnrelay_domain::Timestamp;

use crate::openpgp::{DocumentSigner, KeyError};

/// One file of the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFile {
    /// Path under `/.well-known/csaf/`, e.g. `white/2021/vr-2021-0001.json`.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Who provides the documents.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The site's base URL, e.g. `https://vulnrelay.example.org` (no trailing slash).
    pub base_url: String,
    /// Publisher category (`coordinator`, `vendor`, ...).
    pub category: String,
    /// Publisher name.
    pub name: String,
    /// Publisher namespace URL.
    pub namespace: String,
}

/// The file name CSAF 2.0 §5.1 gives a document: its tracking id in lower case, every
/// run of characters other than `+`, `-`, `a`–`z` and `0`–`9` replaced by one `_`,
/// then `.json`.
pub fn file_name(tracking_id: &str) -> String {
    let mut stem = String::with_capacity(tracking_id.len());
    let mut in_run = false;
    for c in tracking_id.to_lowercase().chars() {
        if c == '+' || c == '-' || c.is_ascii_lowercase() || c.is_ascii_digit() {
            stem.push(c);
            in_run = false;
        } else if !in_run {
            stem.push('_');
            in_run = true;
        }
    }
    format!("{stem}.json")
}

/// Where a document lives in the provider's TLP:WHITE directory under `base_url`: its
/// canonical URL (`{base_url}/.well-known/csaf/white/{year}/{file name}`).
pub fn canonical_url(base_url: &str, document: &Value) -> String {
    format!("{}/.well-known/csaf/white/{}", base_url.trim_end_matches('/'), place(document).1)
}

/// A document's file name and its path under the TLP:WHITE directory
/// (`{year of the initial release}/{file name}`).
fn place(document: &Value) -> (String, String) {
    let tracking = &document["document"]["tracking"];
    let name = file_name(tracking["id"].as_str().unwrap_or("unnamed"));
    let year = tracking["initial_release_date"].as_str().and_then(|d| d.get(..4)).unwrap_or("0000");
    let relative = format!("{year}/{name}");
    (name, relative)
}

/// The ROLIE feed of the TLP:WHITE documents, beside `provider-metadata.json`.
pub const FEED: &str = "feed-tlp-white.json";
/// The ROLIE category document of that feed (vendors and products of its documents).
pub const CATEGORIES: &str = "category-tlp-white.json";
/// The ROLIE service document listing the feed.
pub const SERVICE: &str = "service.json";

/// The `sha512sum`-style line for `bytes` named `name`.
fn sha512_line(bytes: &[u8], name: &str) -> Vec<u8> {
    format!("{}  {name}\n", hex::encode(Sha512::digest(bytes))).into_bytes()
}

/// `value` as the pretty JSON file at `path`.
pub fn json_file(path: impl Into<String>, value: &Value) -> ProviderFile {
    ProviderFile {
        path: path.into(),
        bytes: serde_json::to_vec_pretty(value).expect("JSON values serialise"),
    }
}

/// Where the public OpenPGP key of `signer` is published (Requirement 20).
pub fn public_key_path(signer: &DocumentSigner) -> String {
    format!("openpgp/{}.asc", signer.fingerprint())
}

/// Builds the layout for `documents` (CSAF JSON documents), as of `now`: the
/// [`directory`] and the [`metadata`].
pub fn layout(
    provider: &Provider,
    documents: &[Value],
    now: Timestamp,
    signer: Option<&DocumentSigner>,
) -> Result<Vec<ProviderFile>, KeyError> {
    let mut files = directory(provider, documents, signer)?;
    files.push(metadata(provider, now, signer));
    Ok(files)
}

/// One document's own files, and what the directory's shared files (`index.txt`,
/// `changes.csv`, the ROLIE feed and category documents) take from it: made once per
/// change of the document, so the shared files can be put together from many without
/// writing, hashing or signing any document again.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFiles {
    /// `{year}/{file name}` under `white/`.
    pub relative: String,
    /// The document as served.
    pub bytes: Vec<u8>,
    /// Its `.sha512` file.
    pub sha512: Vec<u8>,
    /// Its `.asc` file, when the provider signs.
    pub asc: Option<Vec<u8>>,
    /// Its `current_release_date` as written in it: `changes.csv` orders by it.
    pub released: String,
    /// Its entry of the ROLIE feed.
    pub rolie: Value,
    /// Its terms of the ROLIE category document.
    pub terms: Vec<String>,
}

/// The files of `document` (a CSAF JSON document) and its part of the shared files.
pub fn document_files(
    provider: &Provider,
    document: &Value,
    signer: Option<&DocumentSigner>,
) -> Result<DocumentFiles, KeyError> {
    let tracking = &document["document"]["tracking"];
    let (name, relative) = place(document);
    let bytes = serde_json::to_vec_pretty(document).expect("JSON values serialise");
    let asc = match signer {
        Some(signer) => {
            let at = tracking["current_release_date"]
                .as_str()
                .and_then(|t| t.parse::<Timestamp>().ok())
                .unwrap_or_else(|| signer.created());
            Some(signer.sign(&bytes, at)?.into_bytes())
        }
        None => None,
    };
    let date = |field: &str| tracking[field].as_str().unwrap_or_default().to_owned();
    Ok(DocumentFiles {
        sha512: sha512_line(&bytes, &name),
        rolie: rolie_entry(provider, &relative, document, signer.is_some()),
        terms: category_terms(document).into_iter().collect(),
        released: date("current_release_date"),
        relative,
        bytes,
        asc,
    })
}

/// Everything of the layout but the metadata (which names the time of the request):
/// each document under its year with its `.sha512` and, given a `signer`, its `.asc`;
/// `index.txt`, `changes.csv`, the ROLIE feed, category and service documents, and the
/// public key. It depends on the documents and the key alone, so it can be built once
/// per change of them.
pub fn directory(
    provider: &Provider,
    documents: &[Value],
    signer: Option<&DocumentSigner>,
) -> Result<Vec<ProviderFile>, KeyError> {
    let mut files = Vec::new();
    let mut listed = Vec::new();
    for document in documents {
        let made = document_files(provider, document, signer)?;
        let path = format!("white/{}", made.relative);
        files.push(ProviderFile { path: format!("{path}.sha512"), bytes: made.sha512.clone() });
        if let Some(asc) = &made.asc {
            files.push(ProviderFile { path: format!("{path}.asc"), bytes: asc.clone() });
        }
        files.push(ProviderFile { path, bytes: made.bytes.clone() });
        listed.push(made);
    }
    files.push(ProviderFile {
        path: INDEX.into(),
        bytes: index_text(listed.iter().map(|d| d.relative.as_str())),
    });
    files.push(ProviderFile {
        path: CHANGES.into(),
        bytes: changes_text(listed.iter().map(|d| (d.relative.as_str(), d.released.as_str()))),
    });
    let mut entries: Vec<(&str, &str, &Value)> =
        listed.iter().map(|d| (d.released.as_str(), d.relative.as_str(), &d.rolie)).collect();
    files.push(json_file(FEED, &rolie_feed(provider, &mut entries)));
    files.push(json_file(CATEGORIES, &rolie_categories(listed.iter().flat_map(|d| d.terms.iter().cloned()))));
    files.push(json_file(SERVICE, &rolie_service(provider)));
    if let Some(signer) = signer {
        files.push(public_key_file(signer));
    }
    Ok(files)
}

/// `white/index.txt`: every document's path.
pub const INDEX: &str = "white/index.txt";
/// `white/changes.csv`: every document's path and last change, newest first.
pub const CHANGES: &str = "white/changes.csv";

/// The public key of `signer`, at [`public_key_path`].
pub fn public_key_file(signer: &DocumentSigner) -> ProviderFile {
    ProviderFile { path: public_key_path(signer), bytes: signer.public_key_armored().into_bytes() }
}

/// `index.txt` (Requirement 12) of the documents at `relatives`: one path a line, sorted.
pub fn index_text<'a>(relatives: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut index: Vec<&str> = relatives.into_iter().collect();
    index.sort_unstable();
    index.iter().map(|p| format!("{p}\n")).collect::<String>().into_bytes()
}

/// `changes.csv` (Requirement 13) of the documents given as (path, current release
/// date): newest change first (CSAF 2.0 §7.1.13), then by path.
pub fn changes_text<'a>(documents: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let mut rows: Vec<(&str, &str)> = documents.into_iter().collect();
    rows.sort_unstable_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    rows.iter().map(|(path, date)| format!("\"{path}\",\"{date}\"\n")).collect::<String>().into_bytes()
}

fn url(provider: &Provider, path: &str) -> String {
    format!("{}/.well-known/csaf/{path}", provider.base_url.trim_end_matches('/'))
}

fn information_type() -> Value {
    json!({"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"})
}

/// A document's entry of the ROLIE feed, with its self, hash and (when `signed`)
/// signature links.
fn rolie_entry(provider: &Provider, relative: &str, document: &Value, signed: bool) -> Value {
    let tracking = &document["document"]["tracking"];
    let href = url(provider, &format!("white/{relative}"));
    let mut links =
        vec![json!({"rel": "self", "href": href}), json!({"rel": "hash", "href": format!("{href}.sha512")})];
    if signed {
        links.push(json!({"rel": "signature", "href": format!("{href}.asc")}));
    }
    let date = |field: &str| tracking[field].as_str().unwrap_or_default().to_owned();
    let mut item = json!({
        "id": tracking["id"],
        "title": document["document"]["title"],
        "link": links,
        "published": date("initial_release_date"),
        "updated": date("current_release_date"),
        "content": {"type": "application/json", "src": href},
        "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
    });
    let summary = document["document"]["notes"]
        .as_array()
        .and_then(|notes| notes.iter().find(|n| n["category"] == "summary").and_then(|n| n["text"].as_str()));
    if let Some(text) = summary.filter(|t| !t.is_empty()) {
        item["summary"] = json!({"content": text});
    }
    item
}

/// The ROLIE feed (Requirement 15) of the documents given as (current release date,
/// path, feed entry), newest change first, then by path; `updated` is the latest
/// change.
pub fn rolie_feed(provider: &Provider, entries: &mut [(&str, &str, &Value)]) -> Value {
    entries.sort_unstable_by(|a, b| b.0.cmp(a.0).then(a.1.cmp(b.1)));
    let updated = entries.first().map(|e| e.0.to_owned()).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    json!({"feed": {
        "id": "vulnrelay-csaf-feed-tlp-white",
        "title": format!("{} CSAF feed (TLP:WHITE)", provider.name),
        "link": [{"rel": "self", "href": url(provider, FEED)}],
        "category": [information_type()],
        "updated": updated,
        "entry": entries.iter().map(|e| e.2.clone()).collect::<Vec<_>>(),
    }})
}

/// A document's terms of the ROLIE category document: its category and the `vendor`
/// and `product_name` branches of its product tree.
fn category_terms(document: &Value) -> std::collections::BTreeSet<String> {
    fn walk(branches: &Value, terms: &mut std::collections::BTreeSet<String>) {
        for branch in branches.as_array().into_iter().flatten() {
            if matches!(branch["category"].as_str(), Some("vendor" | "product_name"))
                && let Some(name) = branch["name"].as_str()
            {
                terms.insert(name.to_owned());
            }
            walk(&branch["branches"], terms);
        }
    }
    let mut terms = std::collections::BTreeSet::new();
    if let Some(category) = document["document"]["category"].as_str() {
        terms.insert(category.to_owned());
    }
    walk(&document["product_tree"]["branches"], &mut terms);
    terms
}

/// The ROLIE category document (Requirement 17) of the documents' `terms`
/// ([`DocumentFiles::terms`]): each once, sorted.
pub fn rolie_categories(terms: impl IntoIterator<Item = String>) -> Value {
    let terms: std::collections::BTreeSet<String> = terms.into_iter().collect();
    json!({"categories": {"category": terms.into_iter().map(|term| json!({"term": term})).collect::<Vec<_>>()}})
}

/// The ROLIE service document (Requirement 16): the one feed.
pub fn rolie_service(provider: &Provider) -> Value {
    json!({"service": {"workspace": [{
        "title": format!("{} public CSAF feeds", provider.name),
        "collection": [{
            "title": format!("{} CSAF feed (TLP:WHITE)", provider.name),
            "href": url(provider, FEED),
            "categories": {"category": [information_type()]},
        }],
    }]}})
}

/// `provider-metadata.json`: where the directory and the ROLIE feed are, who provides
/// them and (given the `signer`) the public key that signs them, as of `now`.
pub fn metadata(provider: &Provider, now: Timestamp, signer: Option<&DocumentSigner>) -> ProviderFile {
    let mut metadata = json!({
        "canonical_url": url(provider, "provider-metadata.json"),
        "distributions": [{
            "directory_url": url(provider, "white/"),
            "rolie": {
                "categories": [url(provider, CATEGORIES)],
                "feeds": [{
                    "summary": format!("Every TLP:WHITE advisory of {}.", provider.name),
                    "tlp_label": "WHITE",
                    "url": url(provider, FEED),
                }],
                "services": [url(provider, SERVICE)],
            },
        }],
        "last_updated": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": {"category": provider.category, "name": provider.name, "namespace": provider.namespace},
        "role": if signer.is_some() { "csaf_trusted_provider" } else { "csaf_provider" },
    });
    if let Some(signer) = signer {
        metadata["public_openpgp_keys"] =
            json!([{"fingerprint": signer.fingerprint(), "url": url(provider, &public_key_path(signer))}]);
    }
    json_file("provider-metadata.json", &metadata)
}

/// The server-side listing (Requirement 14) of directory `path` (`""`, `white`,
/// `white/2021`, with or without a trailing `/`) among the layout's `files` (paths under
/// `/.well-known/csaf/`): an HTML page linking each file and sub-directory, or `None`
/// when no file lies under `path`.
pub fn listing<'a>(path: &str, files: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let dir = path.trim_matches('/');
    let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
    let mut children = std::collections::BTreeSet::new();
    for file in files {
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        match rest.split_once('/') {
            Some((sub, _)) => children.insert(format!("{sub}/")),
            None if !rest.is_empty() => children.insert(rest.to_owned()),
            None => false,
        };
    }
    if children.is_empty() {
        return None;
    }
    let base = format!("/.well-known/csaf/{prefix}");
    let escape = crate::feed::xml;
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of {0}</title></head>\n<body><h1>Index of {0}</h1>\n<ul>\n",
        escape(&base)
    );
    if !dir.is_empty() {
        let parent = match dir.rsplit_once('/') {
            Some((up, _)) => format!("/.well-known/csaf/{up}/"),
            None => "/.well-known/csaf/".to_owned(),
        };
        html.push_str(&format!("<li><a href=\"{}\">../</a></li>\n", escape(&parent)));
    }
    for child in children {
        html.push_str(&format!(
            "<li><a href=\"{}{}\">{}</a></li>\n",
            escape(&base),
            escape(&child),
            escape(&child)
        ));
    }
    html.push_str("</ul></body></html>\n");
    Some(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_follow_csaf_5_1() {
        assert_eq!(file_name("VR-2021-0001"), "vr-2021-0001.json");
        assert_eq!(file_name("RHSA-2021:5186"), "rhsa-2021_5186.json");
        assert_eq!(file_name("cisco-sa-20180328-smi2"), "cisco-sa-20180328-smi2.json");
        assert_eq!(file_name("BSI 2022/0001+x"), "bsi_2022_0001+x.json");
        // A run of disallowed characters is one `_`.
        assert_eq!(file_name("ACME :: 2021 / 01"), "acme_2021_01.json");
        assert_eq!(file_name("例子-1"), "_-1.json");
    }
}
