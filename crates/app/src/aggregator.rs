//! The CSAF aggregator (CSAF 2.0 §7.1.8): this instance lists and mirrors the CSAF
//! providers of its peers, so one portal shows the advisories of the whole chain.
//!
//! - **Mirroring** is the worker's ([`mirror_all`]), never a request's. For each peer it
//!   fetches `provider-metadata.json` (it must validate against the provider schema and
//!   point only under the peer's URL), the public OpenPGP key it lists (whose
//!   fingerprint must be the one listed), the directory's `index.txt`, and each listed
//!   document with its `.sha512` (and `.sha256` when there is one) and `.asc`. A
//!   document is stored only when every hash and the signature check out; a mismatch is
//!   refused and logged (the federation's refusal log) and an earlier good copy stays.
//!   A document whose `.sha512` did not change is not fetched again.
//! - **Serving** reads what was stored: `aggregator.json` under
//!   `/.well-known/csaf-aggregator/` (this instance's own provider first, then each
//!   mirrored one with its mirror), and per peer a mirror of its provider: its metadata
//!   pointing at the mirror, `white/index.txt` and each document with its `.sha256`,
//!   `.sha512` and the provider's `.asc`.

use std::collections::HashMap;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};
use vulnrelay_formats::schemas::{Schema, validate};
use vulnrelay_publish::openpgp::VerifyingKey;
use vulnrelay_store::federation::{MirroredDocument, MirroredProvider, Peer};

use crate::App;
use crate::error::{Error, Result};

/// Where the aggregator's files are served.
pub const AGGREGATOR_ROOT: &str = "/.well-known/csaf-aggregator";
/// The largest file the aggregator fetches (a document, a key, an index).
const MAX_FILE: usize = 8 * 1024 * 1024;
/// The most documents mirrored from one provider per round.
const MAX_DOCUMENTS: usize = 10_000;

/// One mirroring round over every peer: returns how many documents were stored (new or
/// changed). Failures are logged per peer; refusals go to the refusal log.
pub async fn mirror_all(state: &App, client: &reqwest::Client) -> usize {
    let peers = match state.store.peers().await {
        Ok(peers) => peers,
        Err(error) => {
            tracing::warn!(%error, "listing peers to mirror failed");
            return 0;
        }
    };
    let mut stored = 0;
    for peer in &peers {
        match mirror_peer(state, client, peer).await {
            Ok(count) => stored += count,
            Err(error) => {
                tracing::warn!(peer = %peer.id, %error, "mirroring the peer's CSAF provider failed")
            }
        }
    }
    stored
}

/// Fetches `url` (at most [`MAX_FILE`] bytes); `None` when the server has no such file.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Option<Vec<u8>>, String> {
    let mut response = client.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !response.status().is_success() {
        return Err(format!("{url}: {}", response.status()));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        if bytes.len() + chunk.len() > MAX_FILE {
            return Err(format!("{url}: larger than {MAX_FILE} bytes"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

async fn fetch_required(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    fetch(client, url).await?.ok_or_else(|| format!("{url}: not found"))
}

/// The hash a `sha256sum`/`sha512sum`-style file gives (its first word), lower case.
fn listed_hash(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).split_whitespace().next().unwrap_or_default().to_ascii_lowercase()
}

/// A path of `index.txt` the mirror takes: relative, inside the directory, a `.json`.
fn acceptable_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 512
        && path.ends_with(".json")
        && !path.starts_with('/')
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && path.chars().all(|c| c.is_ascii_alphanumeric() || "-_+./".contains(c))
}

async fn mirror_peer(state: &App, client: &reqwest::Client, peer: &Peer) -> Result<usize, String> {
    let base = format!("{}/", peer.url.trim_end_matches('/'));
    let metadata_url = format!("{base}.well-known/csaf/provider-metadata.json");
    let Some(metadata_bytes) = fetch(client, &metadata_url).await? else {
        return Ok(0); // The peer is no CSAF provider.
    };
    let metadata: Value =
        serde_json::from_slice(&metadata_bytes).map_err(|e| format!("{metadata_url}: not JSON: {e}"))?;
    if let Some(problem) = validate(Schema::CsafProvider, &metadata).first() {
        return Err(format!("{metadata_url}: {}: {}", problem.path, problem.message));
    }
    let under_peer = |url: &str| url.starts_with(&base);
    let directory = metadata["distributions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["directory_url"].as_str())
        .find(|url| under_peer(url))
        .map(|url| format!("{}/", url.trim_end_matches('/')))
        .ok_or_else(|| format!("{metadata_url}: no directory under the peer's URL"))?;
    let key_entry = metadata["public_openpgp_keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["url"].as_str().is_some_and(under_peer)))
        .ok_or_else(|| format!("{metadata_url}: no OpenPGP key to check signatures with"))?;
    let key_url = key_entry["url"].as_str().unwrap_or_default();
    let armored = fetch_required(client, key_url).await?;
    let key = VerifyingKey::from_armored(&String::from_utf8_lossy(&armored))
        .map_err(|e| format!("{key_url}: {e}"))?;
    let listed = key_entry["fingerprint"].as_str().unwrap_or_default();
    if !key.fingerprint().eq_ignore_ascii_case(listed) {
        let reason = format!("the key at {key_url} is {}, not the listed {listed}", key.fingerprint());
        crate::federation::log_refusal(state, &peer.public_key, &format!("csaf:{key_url}"), &reason).await;
        return Err(reason);
    }
    let now = Utc::now();
    state
        .store
        .save_mirrored_provider(&MirroredProvider {
            peer_id: peer.id.clone(),
            url: metadata_url.clone(),
            metadata: String::from_utf8_lossy(&metadata_bytes).into_owned(),
            fetched_at: now,
        })
        .await
        .map_err(|e| e.to_string())?;
    let index_url = format!("{directory}index.txt");
    let index = String::from_utf8_lossy(&fetch_required(client, &index_url).await?).into_owned();
    let known: HashMap<String, String> = state
        .store
        .mirrored_documents(Some(&peer.id))
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| (d.path, d.sha512))
        .collect();
    let mut stored = 0;
    for path in index.lines().map(str::trim).filter(|l| !l.is_empty()).take(MAX_DOCUMENTS) {
        if !acceptable_path(path) {
            tracing::warn!(peer = %peer.id, %path, "index.txt names a path the mirror does not take");
            continue;
        }
        let url = format!("{directory}{path}");
        match mirror_document(client, &key, peer, path, &url, &known).await {
            Ok(Some(document)) => {
                state.store.save_mirrored_document(&document).await.map_err(|e| e.to_string())?;
                stored += 1;
            }
            Ok(None) => {}
            Err(Mismatch(reason)) => {
                tracing::warn!(peer = %peer.id, %url, %reason, "mirrored document refused");
                crate::federation::log_refusal(state, &peer.public_key, &format!("csaf:{url}"), &reason)
                    .await;
            }
        }
    }
    Ok(stored)
}

/// Why a document was not mirrored.
struct Mismatch(String);

impl From<String> for Mismatch {
    fn from(reason: String) -> Mismatch {
        Mismatch(reason)
    }
}

/// Fetches and checks one document: `None` when the copy held has the same `.sha512`.
async fn mirror_document(
    client: &reqwest::Client,
    key: &VerifyingKey,
    peer: &Peer,
    path: &str,
    url: &str,
    known: &HashMap<String, String>,
) -> Result<Option<MirroredDocument>, Mismatch> {
    let listed_sha512 = listed_hash(&fetch_required(client, &format!("{url}.sha512")).await?);
    if known.get(path) == Some(&listed_sha512) {
        return Ok(None);
    }
    let bytes = fetch_required(client, url).await?;
    let signature =
        String::from_utf8_lossy(&fetch_required(client, &format!("{url}.asc")).await?).into_owned();
    let sha512 = hex::encode(Sha512::digest(&bytes));
    let sha256 = hex::encode(Sha256::digest(&bytes));
    if sha512 != listed_sha512 {
        return Err(Mismatch(format!(
            "SHA-512 mismatch: the document hashes to {sha512}, its .sha512 says {listed_sha512}"
        )));
    }
    if let Some(listed) = fetch(client, &format!("{url}.sha256")).await?.map(|b| listed_hash(&b))
        && listed != sha256
    {
        return Err(Mismatch(format!(
            "SHA-256 mismatch: the document hashes to {sha256}, its .sha256 says {listed}"
        )));
    }
    if !key.verify(&bytes, &signature) {
        return Err(Mismatch(format!(
            "the OpenPGP signature does not verify under key {}",
            key.fingerprint()
        )));
    }
    let document: Value =
        serde_json::from_slice(&bytes).map_err(|e| Mismatch(format!("not a JSON document: {e}")))?;
    let tracking_id = document["document"]["tracking"]["id"]
        .as_str()
        .ok_or_else(|| Mismatch("not a CSAF document: no document.tracking.id".into()))?;
    Ok(Some(MirroredDocument {
        peer_id: peer.id.clone(),
        path: path.to_owned(),
        url: url.to_owned(),
        tracking_id: tracking_id.to_owned(),
        title: document["document"]["title"].as_str().unwrap_or_default().to_owned(),
        document: String::from_utf8_lossy(&bytes).into_owned(),
        sha256,
        sha512,
        signature,
        fetched_at: Utc::now(),
    }))
}

fn mirror_url(state: &App, peer_id: &str, file: &str) -> String {
    format!("{}{AGGREGATOR_ROOT}/{peer_id}/{file}", state.base_url())
}

/// `aggregator.json` (CSAF 2.0 §7.1.8): this instance as aggregator, its own provider
/// and each mirrored peer's, with the mirror.
pub async fn aggregator_json(state: &App) -> Result<Value> {
    let own = vulnrelay_publish::provider::metadata(
        &crate::distribution::provider(state),
        Utc::now(),
        state.csaf_signer.get(),
    );
    let own: Value = serde_json::from_slice(&own.bytes).map_err(Error::internal)?;
    let entry = |metadata: &Value| {
        json!({
            "last_updated": metadata["last_updated"],
            "publisher": metadata["publisher"],
            "role": metadata["role"],
            "url": metadata["canonical_url"],
        })
    };
    let mut providers = vec![json!({"metadata": entry(&own)})];
    for provider in state.store.mirrored_providers().await? {
        let Ok(metadata) = serde_json::from_str::<Value>(&provider.metadata) else { continue };
        providers.push(json!({
            "metadata": entry(&metadata),
            "mirrors": [mirror_url(state, &provider.peer_id, "provider-metadata.json")],
        }));
    }
    Ok(json!({
        "aggregator": {
            "category": "aggregator",
            "name": crate::distribution::PUBLISHER_NAME,
            "namespace": crate::distribution::PUBLISHER_NAMESPACE,
        },
        "aggregator_version": "2.0",
        "canonical_url": format!("{}{AGGREGATOR_ROOT}/aggregator.json", state.base_url()),
        "csaf_providers": providers,
        "last_updated": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    }))
}

/// A mirrored file of peer `peer_id`: its provider metadata pointing at the mirror,
/// `white/index.txt`, or a document (`white/{path}`) with its `.sha256`, `.sha512` and
/// `.asc`. Returns the content type and the bytes.
pub async fn mirrored_file(state: &App, peer_id: &str, file: &str) -> Result<(&'static str, Vec<u8>)> {
    if file == "provider-metadata.json" {
        let provider = state
            .store
            .mirrored_providers()
            .await?
            .into_iter()
            .find(|p| p.peer_id == peer_id)
            .ok_or_else(|| Error::not_found("mirrored provider"))?;
        let mut metadata: Value = serde_json::from_str(&provider.metadata).map_err(Error::internal)?;
        metadata["canonical_url"] = json!(mirror_url(state, peer_id, "provider-metadata.json"));
        metadata["distributions"] = json!([{"directory_url": mirror_url(state, peer_id, "white/")}]);
        let bytes = serde_json::to_vec_pretty(&metadata).map_err(Error::internal)?;
        return Ok(("application/json", bytes));
    }
    let relative = file.strip_prefix("white/").ok_or_else(|| Error::not_found("file"))?;
    let documents = state.store.mirrored_documents(Some(peer_id)).await?;
    if relative == "index.txt" {
        let index: String = documents.iter().map(|d| format!("{}\n", d.path)).collect();
        return Ok(("text/plain; charset=utf-8", index.into_bytes()));
    }
    for (suffix, content_type) in [
        (".sha256", "text/plain; charset=utf-8"),
        (".sha512", "text/plain; charset=utf-8"),
        (".asc", "application/pgp-signature"),
        ("", "application/json"),
    ] {
        let Some(path) = relative.strip_suffix(suffix) else { continue };
        let Some(document) = documents.iter().find(|d| d.path == path) else { continue };
        let name = path.rsplit('/').next().unwrap_or(path);
        let bytes = match suffix {
            ".sha256" => format!("{}  {name}\n", document.sha256).into_bytes(),
            ".sha512" => format!("{}  {name}\n", document.sha512).into_bytes(),
            ".asc" => document.signature.clone().into_bytes(),
            _ => document.document.clone().into_bytes(),
        };
        return Ok((content_type, bytes));
    }
    Err(Error::not_found("file"))
}
