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

fn json_file(path: impl Into<String>, value: &Value) -> ProviderFile {
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

/// One document of the directory, as the feed lists it.
struct Entry<'a> {
    /// `{year}/{file name}`.
    relative: String,
    document: &'a Value,
}

impl Entry<'_> {
    fn tracking(&self) -> &Value {
        &self.document["document"]["tracking"]
    }

    fn date(&self, field: &str) -> String {
        self.tracking()[field].as_str().unwrap_or_default().to_owned()
    }
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
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for document in documents {
        let tracking = &document["document"]["tracking"];
        let (name, relative) = place(document);
        let bytes = serde_json::to_vec_pretty(document).expect("JSON values serialise");
        files.push(ProviderFile {
            path: format!("white/{relative}.sha512"),
            bytes: sha512_line(&bytes, &name),
        });
        if let Some(signer) = signer {
            let at = tracking["current_release_date"]
                .as_str()
                .and_then(|t| t.parse::<Timestamp>().ok())
                .unwrap_or_else(|| signer.created());
            files.push(ProviderFile {
                path: format!("white/{relative}.asc"),
                bytes: signer.sign(&bytes, at)?.into_bytes(),
            });
        }
        files.push(ProviderFile { path: format!("white/{relative}"), bytes });
        entries.push(Entry { relative, document });
    }
    let mut index: Vec<&str> = entries.iter().map(|e| e.relative.as_str()).collect();
    index.sort_unstable();
    let index_text: String = index.iter().map(|p| format!("{p}\n")).collect();
    files.push(ProviderFile { path: "white/index.txt".into(), bytes: index_text.into_bytes() });
    // Newest change first, for changes.csv and the feed alike.
    entries.sort_by(|a, b| {
        b.date("current_release_date").cmp(&a.date("current_release_date")).then(a.relative.cmp(&b.relative))
    });
    let changes_text: String = entries
        .iter()
        .map(|e| format!("\"{}\",\"{}\"\n", e.relative, e.date("current_release_date")))
        .collect();
    files.push(ProviderFile { path: "white/changes.csv".into(), bytes: changes_text.into_bytes() });
    files.push(json_file(FEED, &rolie_feed(provider, &entries, signer.is_some())));
    files.push(json_file(CATEGORIES, &rolie_categories(documents)));
    files.push(json_file(SERVICE, &rolie_service(provider)));
    if let Some(signer) = signer {
        files.push(ProviderFile {
            path: public_key_path(signer),
            bytes: signer.public_key_armored().into_bytes(),
        });
    }
    Ok(files)
}

fn url(provider: &Provider, path: &str) -> String {
    format!("{}/.well-known/csaf/{path}", provider.base_url.trim_end_matches('/'))
}

fn information_type() -> Value {
    json!({"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"})
}

/// The ROLIE feed (Requirement 15): every document with its self, hash and (when
/// signed) signature links, in the order of `entries` (newest change first); `updated`
/// is the latest change.
fn rolie_feed(provider: &Provider, entries: &[Entry<'_>], signed: bool) -> Value {
    let items: Vec<Value> = entries
        .iter()
        .map(|e| {
            let href = url(provider, &format!("white/{}", e.relative));
            let mut links = vec![json!({"rel": "self", "href": href}), json!({"rel": "hash", "href": format!("{href}.sha512")})];
            if signed {
                links.push(json!({"rel": "signature", "href": format!("{href}.asc")}));
            }
            let mut item = json!({
                "id": e.tracking()["id"],
                "title": e.document["document"]["title"],
                "link": links,
                "published": e.date("initial_release_date"),
                "updated": e.date("current_release_date"),
                "content": {"type": "application/json", "src": href},
                "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
            });
            let summary = e.document["document"]["notes"].as_array().and_then(|notes| {
                notes.iter().find(|n| n["category"] == "summary").and_then(|n| n["text"].as_str())
            });
            if let Some(text) = summary.filter(|t| !t.is_empty()) {
                item["summary"] = json!({"content": text});
            }
            item
        })
        .collect();
    let updated = entries
        .first()
        .map(|e| e.date("current_release_date"))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    json!({"feed": {
        "id": "vulnrelay-csaf-feed-tlp-white",
        "title": format!("{} CSAF feed (TLP:WHITE)", provider.name),
        "link": [{"rel": "self", "href": url(provider, FEED)}],
        "category": [information_type()],
        "updated": updated,
        "entry": items,
    }})
}

/// The ROLIE category document (Requirement 17): the document categories and the
/// `vendor` and `product_name` branches of every product tree, each once, sorted.
fn rolie_categories(documents: &[Value]) -> Value {
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
    for document in documents {
        if let Some(category) = document["document"]["category"].as_str() {
            terms.insert(category.to_owned());
        }
        walk(&document["product_tree"]["branches"], &mut terms);
    }
    json!({"categories": {"category": terms.into_iter().map(|term| json!({"term": term})).collect::<Vec<_>>()}})
}

/// The ROLIE service document (Requirement 16): the one feed.
fn rolie_service(provider: &Provider) -> Value {
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
