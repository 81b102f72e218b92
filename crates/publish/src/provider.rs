//! The CSAF provider layout (CSAF 2.0 §7.1): `provider-metadata.json`, a TLP:WHITE
//! directory with per-year folders, `index.txt`, `changes.csv`, and a `.sha512` file
//! beside every document. Paths are relative to `/.well-known/csaf/`.

use chrono::SecondsFormat;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use vulnrelay_domain::Timestamp;

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
    let tracking = &document["document"]["tracking"];
    let id = tracking["id"].as_str().unwrap_or("unnamed");
    let year = tracking["initial_release_date"].as_str().and_then(|d| d.get(..4)).unwrap_or("0000");
    format!("{}/.well-known/csaf/white/{year}/{}", base_url.trim_end_matches('/'), file_name(id))
}

/// The `sha512sum`-style line for `bytes` named `name`.
fn sha512_line(bytes: &[u8], name: &str) -> Vec<u8> {
    format!("{}  {name}\n", hex::encode(Sha512::digest(bytes))).into_bytes()
}

/// Builds the layout for `documents` (CSAF JSON documents), as of `now`: the
/// [`directory`] and the [`metadata`].
pub fn layout(provider: &Provider, documents: &[Value], now: Timestamp) -> Vec<ProviderFile> {
    let mut files = directory(documents);
    files.push(metadata(provider, now));
    files
}

/// The TLP:WHITE directory of `documents`: each document under its year with its
/// `.sha512`, `index.txt` and `changes.csv`. It depends on the documents alone, so it can
/// be built once per change of them.
pub fn directory(documents: &[Value]) -> Vec<ProviderFile> {
    let mut files = Vec::new();
    let mut entries: Vec<(String, String)> = Vec::new();
    for document in documents {
        let tracking = &document["document"]["tracking"];
        let id = tracking["id"].as_str().unwrap_or("unnamed");
        let year = tracking["initial_release_date"].as_str().and_then(|d| d.get(..4)).unwrap_or("0000");
        let name = file_name(id);
        let relative = format!("{year}/{name}");
        let bytes = serde_json::to_vec_pretty(document).expect("JSON values serialise");
        files.push(ProviderFile {
            path: format!("white/{relative}.sha512"),
            bytes: sha512_line(&bytes, &name),
        });
        files.push(ProviderFile { path: format!("white/{relative}"), bytes });
        let current = tracking["current_release_date"].as_str().unwrap_or_default().to_owned();
        entries.push((relative, current));
    }
    let mut index: Vec<&str> = entries.iter().map(|(path, _)| path.as_str()).collect();
    index.sort_unstable();
    let index_text: String = index.iter().map(|p| format!("{p}\n")).collect();
    files.push(ProviderFile { path: "white/index.txt".into(), bytes: index_text.into_bytes() });
    let mut changes = entries.clone();
    changes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let changes_text: String = changes.iter().map(|(path, at)| format!("\"{path}\",\"{at}\"\n")).collect();
    files.push(ProviderFile { path: "white/changes.csv".into(), bytes: changes_text.into_bytes() });
    files
}

/// `provider-metadata.json`: where the directory is and who provides it, as of `now`.
pub fn metadata(provider: &Provider, now: Timestamp) -> ProviderFile {
    let metadata = json!({
        "canonical_url": format!("{}/.well-known/csaf/provider-metadata.json", provider.base_url),
        "distributions": [{"directory_url": format!("{}/.well-known/csaf/white/", provider.base_url)}],
        "last_updated": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": {"category": provider.category, "name": provider.name, "namespace": provider.namespace},
        "role": "csaf_provider",
    });
    ProviderFile {
        path: "provider-metadata.json".into(),
        bytes: serde_json::to_vec_pretty(&metadata).expect("JSON values serialise"),
    }
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
