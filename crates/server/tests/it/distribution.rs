//! Distribution: the public advisory list, each advisory's bulletin, manual and CSAF
//! documents (validated against the official schemas, with the revision history of the
//! records' changes), the CSAF provider layout, the Atom feed and the OSV zip; nothing
//! of an unpublished case leaks into any of them.

use crate::common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use vulnrelay_formats::schemas::{Schema, validate};
use vulnrelay_store::testing::{TestDb, for_each_backend};

async fn fetch(app: &App, path: &str) -> (StatusCode, String, Vec<u8>) {
    let request = Request::builder().uri(path).header("host", "vr.example").body(Body::empty()).unwrap();
    let (status, headers, body) = app.raw(request).await;
    let content_type =
        headers.iter().find(|(k, _)| k == "content-type").map(|(_, v)| v.clone()).unwrap_or_default();
    (status, content_type, body)
}

#[tokio::test]
async fn the_published_case_is_one_advisory_in_every_format() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let (code, list) = app.get("/api/v1/advisories", "").await;
        assert_eq!(code, StatusCode::OK, "{list}");
        let advisories = list["advisories"].as_array().unwrap();
        assert_eq!(advisories.len(), 1, "{list}");
        let advisory = &advisories[0];
        assert_eq!(advisory["id"], "CVE-2021-44228");
        assert_eq!(advisory["case"], app.case_id.as_str());
        // The records' own publication time (the CVE record's), which every view shows.
        assert_eq!(advisory["published"], "2021-12-10T00:00:00+00:00");
        let ids: Vec<&str> = advisory["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["CVE-2021-44228", "CVE-2021-44832", "CVE-2021-45046", "CVE-2021-45105"]);
        // One bulletin and one manual over the whole case, in both languages.
        for (lang, word) in [("en", "Security bulletin"), ("zh", "安全公告")] {
            let (code, kind, body) =
                fetch(&app, &format!("/api/v1/advisories/CVE-2021-44228/bulletin?lang={lang}")).await;
            let page = String::from_utf8(body).unwrap();
            assert_eq!((code, kind.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
            assert!(page.contains(word), "{lang}: {page}");
            for id in &ids {
                assert!(page.contains(id), "{lang} bulletin lacks {id}");
            }
            let (code, kind, body) =
                fetch(&app, &format!("/api/v1/advisories/CVE-2021-44228/manual?lang={lang}&format=md")).await;
            assert_eq!((code, kind.as_str()), (StatusCode::OK, "text/markdown; charset=utf-8"));
            assert!(String::from_utf8(body).unwrap().contains("vulnrelay scan"));
        }
        // The case's CSAF advisory validates and starts its history with the first version.
        let (code, csaf) = app.get("/api/v1/advisories/CVE-2021-44228.csaf.json", "").await;
        assert_eq!(code, StatusCode::OK, "{csaf}");
        assert_eq!(validate(Schema::Csaf, &csaf), []);
        assert_eq!(csaf["vulnerabilities"].as_array().unwrap().len(), 4);
        let history = csaf["document"]["tracking"]["revision_history"].as_array().unwrap();
        assert_eq!(history.len(), 1, "{history:?}");
        // A change of a record is a new revision of the advisory and of the record's own CSAF.
        let threat =
            json!({"kind": "actively_exploited", "source": "CNCERT", "at": "2021-12-10T12:00:00+08:00"});
        assert_eq!(
            app.post("/api/v1/vulnerabilities/CVE-2021-45046/threats", MIIT, threat).await.0,
            StatusCode::CREATED
        );
        let (_, csaf) = app.get("/api/v1/advisories/CVE-2021-44228.csaf.json", "").await;
        assert_eq!(validate(Schema::Csaf, &csaf), []);
        let history = csaf["document"]["tracking"]["revision_history"].as_array().unwrap();
        assert_eq!(history.len(), 2, "{history:?}");
        assert_eq!(history[1]["number"], "2");
        assert_eq!(history[1]["summary"], "CVE-2021-45046: Added threat events: actively_exploited (CNCERT)");
        assert_eq!(csaf["document"]["tracking"]["version"], "2");
        let (_, own) = app.get("/api/v1/vulnerabilities/CVE-2021-45046.csaf.json", "").await;
        assert_eq!(validate(Schema::Csaf, &own), []);
        assert_eq!(own["document"]["tracking"]["revision_history"].as_array().unwrap().len(), 2);
        // The product status as CSAF VEX.
        let (code, vex) = app.get("/api/v1/vulnerabilities/CVE-2021-44228.vex.json", "").await;
        assert_eq!(code, StatusCode::OK, "{vex}");
        assert_eq!(validate(Schema::Csaf, &vex), []);
        assert_eq!(vex["document"]["category"], "csaf_vex");
        let status = &vex["vulnerabilities"][0]["product_status"];
        assert!(status["known_affected"].as_array().is_some_and(|a| !a.is_empty()), "{status}");
        assert!(status["fixed"].as_array().is_some_and(|a| !a.is_empty()), "{status}");
    })
    .await;
}

/// A trusted provider: with a key, every document has its OpenPGP signature, the ROLIE
/// feed lists document, hash and signature, every link of the feed and of the metadata
/// is served, and every folder has a listing.
#[tokio::test]
async fn the_signed_provider_its_rolie_feed_and_its_listings() {
    let configured = vulnrelay_server::Config { public_url: Some("https://vr.example".into()), ..config() };
    let app = App::with_config(TestDb::sqlite().await, configured).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("csaf-key.asc");
    let key = vulnrelay_server::distribution::load_or_create_csaf_key(&key_file, "vulnrelay test").unwrap();
    // The key is kept: read again, it is the same key.
    let again = vulnrelay_server::distribution::load_or_create_csaf_key(&key_file, "other").unwrap();
    assert_eq!(again.fingerprint(), key.fingerprint());
    app.state.sign_csaf_with(key.clone());
    let (_, _, body) = fetch(&app, "/.well-known/csaf/provider-metadata.json").await;
    let metadata: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(validate(Schema::CsafProvider, &metadata), []);
    assert_eq!(metadata["role"], "csaf_trusted_provider");
    let local =
        |url: &str| url.strip_prefix("https://vr.example").unwrap_or_else(|| panic!("{url}")).to_owned();
    let key_url = local(metadata["public_openpgp_keys"][0]["url"].as_str().unwrap());
    let (code, kind, public) = fetch(&app, &key_url).await;
    assert_eq!((code, kind.as_str()), (StatusCode::OK, "application/pgp-keys"));
    assert_eq!(String::from_utf8(public).unwrap(), key.public_key_armored());
    let rolie = &metadata["distributions"][0]["rolie"];
    for url in [&rolie["feeds"][0]["url"], &rolie["services"][0], &rolie["categories"][0]] {
        let (code, kind, _) = fetch(&app, &local(url.as_str().unwrap())).await;
        assert_eq!((code, kind.as_str()), (StatusCode::OK, "application/json"), "{url}");
    }
    let (_, _, body) = fetch(&app, &local(rolie["feeds"][0]["url"].as_str().unwrap())).await;
    let feed: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(validate(Schema::RolieFeed, &feed), []);
    let entry = &feed["feed"]["entry"][0];
    assert_eq!(entry["id"], "CVE-2021-44228");
    let links: Vec<(&str, String)> = entry["link"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["rel"].as_str().unwrap(), local(l["href"].as_str().unwrap())))
        .collect();
    assert_eq!(links.iter().map(|(rel, _)| *rel).collect::<Vec<_>>(), ["self", "hash", "signature"]);
    let (_, _, document) = fetch(&app, &links[0].1).await;
    let (code, kind, signature) = fetch(&app, &links[2].1).await;
    assert_eq!((code, kind.as_str()), (StatusCode::OK, "application/pgp-signature"));
    let signature = String::from_utf8(signature).unwrap();
    assert!(key.verify(&document, &signature), "the served signature is over the served document");
    let (_, _, digest) = fetch(&app, &links[1].1).await;
    assert!(String::from_utf8(digest).unwrap().starts_with(&hex::encode(Sha512::digest(&document))));
    // Listings of every folder, for people and text browsers (Requirement 14).
    for (path, shows) in [
        ("/.well-known/csaf/", "/.well-known/csaf/white/"),
        ("/.well-known/csaf/white/", "/.well-known/csaf/white/2021/"),
        ("/.well-known/csaf/white", "/.well-known/csaf/white/changes.csv"),
        ("/.well-known/csaf/white/2021/", "/.well-known/csaf/white/2021/cve-2021-44228.json.asc"),
        ("/.well-known/csaf/openpgp/", &key_url),
    ] {
        let (code, kind, body) = fetch(&app, path).await;
        let page = String::from_utf8(body).unwrap();
        assert_eq!((code, kind.as_str()), (StatusCode::OK, "text/html; charset=utf-8"), "{path}");
        assert!(page.contains(&format!("href=\"{shows}\"")), "{path} lacks {shows}: {page}");
    }
    assert_eq!(fetch(&app, "/.well-known/csaf/white/1999/").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_csaf_provider_layout_and_the_feed() {
    // The public URL comes from the configuration (the request's Host header is ignored).
    let configured = vulnrelay_server::Config { public_url: Some("http://vr.example".into()), ..config() };
    let app = App::with_config(TestDb::sqlite().await, configured).await;
    let (code, kind, body) = fetch(&app, "/.well-known/csaf/provider-metadata.json").await;
    assert_eq!((code, kind.as_str()), (StatusCode::OK, "application/json"));
    let metadata: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(validate(Schema::CsafProvider, &metadata), []);
    assert_eq!(metadata["canonical_url"], "http://vr.example/.well-known/csaf/provider-metadata.json");
    let (_, _, index) = fetch(&app, "/.well-known/csaf/white/index.txt").await;
    assert_eq!(String::from_utf8(index).unwrap(), "2021/cve-2021-44228.json\n");
    let (_, _, changes) = fetch(&app, "/.well-known/csaf/white/changes.csv").await;
    assert!(String::from_utf8(changes).unwrap().starts_with("\"2021/cve-2021-44228.json\","));
    let (code, _, document) = fetch(&app, "/.well-known/csaf/white/2021/cve-2021-44228.json").await;
    assert_eq!(code, StatusCode::OK);
    // Its canonical URL is where it is (6.2.11), and the API serves the same document.
    let parsed: Value = serde_json::from_slice(&document).unwrap();
    let own = parsed["document"]["references"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == "self")
        .unwrap_or_else(|| panic!("no self reference"));
    assert!(
        own["url"].as_str().unwrap().ends_with("/.well-known/csaf/white/2021/cve-2021-44228.json"),
        "{own}"
    );
    assert_eq!(app.get("/api/v1/advisories/CVE-2021-44228.csaf.json", "").await.1, parsed);
    let (_, _, digest) = fetch(&app, "/.well-known/csaf/white/2021/cve-2021-44228.json.sha512").await;
    assert_eq!(
        String::from_utf8(digest).unwrap(),
        format!("{}  cve-2021-44228.json\n", hex::encode(Sha512::digest(&document)))
    );
    assert_eq!(fetch(&app, "/.well-known/csaf/white/2021/nothing.json").await.0, StatusCode::NOT_FOUND);
    for (lang, title) in [("en", "vulnrelay security bulletins"), ("zh", "vulnrelay 安全公告")] {
        let (code, kind, body) = fetch(&app, &format!("/advisories/feed.atom?lang={lang}")).await;
        let feed = String::from_utf8(body).unwrap();
        assert_eq!((code, kind.as_str()), (StatusCode::OK, "application/atom+xml; charset=utf-8"));
        assert!(
            feed.contains(title) && feed.contains("<id>http://vr.example/advisories/CVE-2021-44228</id>"),
            "{feed}"
        );
    }
}

#[tokio::test]
async fn the_osv_zip_holds_every_public_record_and_nothing_else() {
    let app = App::new(TestDb::sqlite().await).await;
    // A record on an unpublished case stays out of every public list.
    let case = app.submit(json!({})).await;
    let secret = json!({"id": "VR-2026-0001", "aliases": [], "title": {"en": "undisclosed"}});
    app.db
        .store
        .save_vulnerability("VR-2026-0001", Some(&case), &secret, &[], chrono::Utc::now())
        .await
        .unwrap();
    let (code, kind, body) = fetch(&app, "/api/v1/osv/all.zip").await;
    assert_eq!((code, kind.as_str()), (StatusCode::OK, "application/zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        names.push(entry.name().unwrap().into_owned());
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        let document: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(validate(Schema::Osv, &document), [], "{}", names.last().unwrap());
    }
    assert_eq!(
        names,
        ["CVE-2021-44228.json", "CVE-2021-44832.json", "CVE-2021-45046.json", "CVE-2021-45105.json"]
    );
    let (_, list) = app.get("/api/v1/advisories", "").await;
    assert!(!list.to_string().contains("VR-2026-0001"));
    assert_eq!(app.get("/api/v1/advisories/VR-2026-0001", "").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/advisories/VR-2026-0001.csaf.json", REPORTER).await.0, StatusCode::NOT_FOUND);
    let (_, _, index) = fetch(&app, "/.well-known/csaf/white/index.txt").await;
    assert!(!String::from_utf8(index).unwrap().contains("vr-2026"));
}

/// Saves `VR-2026-0002`, a public record of no case.
async fn save_public_record(app: &App) {
    let public = json!({"id": "VR-2026-0002", "title": {"en": "Widget template injection"},
                        "affected": [{"source": "miit", "vendor": "Example", "product": "Widget",
                                      "ranges": [{"introduced": "1.0", "fixed": "1.5"}]}],
                        "published": "2026-11-01T00:00:00Z"});
    app.db.store.save_vulnerability("VR-2026-0002", None, &public, &[], chrono::Utc::now()).await.unwrap();
}

/// A request for a provider file with `headers` (name, value).
async fn fetch_with(
    app: &App,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let mut request = Request::builder().uri(path).header("host", "vr.example");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.raw(request.body(Body::empty()).unwrap()).await
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn shared_provider_files_carry_a_tag_and_a_gzip() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        for path in [
            "/.well-known/csaf/white/index.txt",
            "/.well-known/csaf/white/changes.csv",
            "/.well-known/csaf/feed-tlp-white.json",
        ] {
            let (status, plain_headers, plain) = fetch_with(&app, path, &[]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(!plain.is_empty(), "{path}");
            assert_eq!(header(&plain_headers, "content-encoding"), None, "{path}");
            assert_eq!(header(&plain_headers, "vary"), Some("accept-encoding"), "{path}");
            let tag = header(&plain_headers, "etag").expect("an entity tag").to_owned();
            // A client that takes gzip gets the same file compressed, under another tag.
            let (status, gzip_headers, gzip) =
                fetch_with(&app, path, &[("accept-encoding", "br;q=1.0, gzip;q=0.8")]).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(header(&gzip_headers, "content-encoding"), Some("gzip"), "{path}");
            let gzip_tag = header(&gzip_headers, "etag").expect("an entity tag").to_owned();
            assert_ne!(gzip_tag, tag, "{path}");
            let mut unzipped = Vec::new();
            flate2::read::GzDecoder::new(&gzip[..]).read_to_end(&mut unzipped).unwrap();
            assert_eq!(unzipped, plain, "{path}");
            // Refused gzip, or none named: the file as it is.
            for refused in ["gzip;q=0", "identity", "gzip;q=0, *"] {
                let (_, headers, body) = fetch_with(&app, path, &[("accept-encoding", refused)]).await;
                assert_eq!(header(&headers, "content-encoding"), None, "{path} {refused}");
                assert_eq!(body, plain, "{path} {refused}");
            }
            // A client whose copy is current gets the headers only; one whose copy is
            // another gets the file.
            for current in [tag.as_str(), gzip_tag.as_str(), &format!("W/{tag}"), &format!("\"x\", {tag}")] {
                let (status, headers, body) = fetch_with(&app, path, &[("if-none-match", current)]).await;
                assert_eq!(status, StatusCode::NOT_MODIFIED, "{path} {current}");
                assert!(body.is_empty(), "{path} {current}");
                assert_eq!(header(&headers, "etag"), Some(tag.as_str()), "{path} {current}");
            }
            let (status, _, body) = fetch_with(&app, path, &[("if-none-match", "\"stale\"")]).await;
            assert_eq!((status, body), (StatusCode::OK, plain.clone()), "{path}");
        }
        // A change to what the index lists changes its tag; the old tag gets the file.
        let (_, headers, _) = fetch_with(&app, "/.well-known/csaf/white/index.txt", &[]).await;
        let before = header(&headers, "etag").unwrap().to_owned();
        save_public_record(&app).await;
        let (status, headers, body) =
            fetch_with(&app, "/.well-known/csaf/white/index.txt", &[("if-none-match", &before)]).await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(header(&headers, "etag"), Some(before.as_str()));
        assert!(String::from_utf8(body).unwrap().contains("vr-2026-0002.json"));
    })
    .await;
}

#[tokio::test]
async fn the_installation_names_its_cna_and_public_url() {
    use tower::ServiceExt;
    let app = App::new(TestDb::sqlite().await).await;
    let config = vulnrelay_server::Config {
        public_url: Some("https://vr.miit.example/".into()),
        cna_org_id: "8254265b-2729-46b6-b9e3-3dfca2d5bfca".into(),
        cna_short_name: "vulnrelay-cn".into(),
        ..config()
    };
    let router = vulnrelay_server::router(vulnrelay_server::AppState::new(app.db.store.clone(), config));
    let get = |path: &str| Request::builder().uri(path).body(Body::empty()).unwrap();
    let response =
        router.clone().oneshot(get("/api/v1/vulnerabilities/CVE-2021-44228.cve.json")).await.unwrap();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let cve: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(cve["cveMetadata"]["assignerOrgId"], "8254265b-2729-46b6-b9e3-3dfca2d5bfca");
    assert_eq!(cve["cveMetadata"]["assignerShortName"], "vulnrelay-cn");
    assert_eq!(validate(Schema::Cve, &cve), []);
    let response = router.oneshot(get("/.well-known/csaf/provider-metadata.json")).await.unwrap();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let metadata: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(metadata["canonical_url"], "https://vr.miit.example/.well-known/csaf/provider-metadata.json");
}

#[tokio::test]
async fn public_documents_are_built_once_per_change_of_what_they_show() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let snapshot = || vulnrelay_server::distribution::public_snapshot(&app.state);
        let first = snapshot().await.unwrap();
        // Nothing changed: every provider file, the feed and the OSV zip share one build.
        assert!(std::sync::Arc::ptr_eq(&first, &snapshot().await.unwrap()));
        let (_, _, index) = fetch(&app, "/.well-known/csaf/white/index.txt").await;
        assert_eq!(String::from_utf8(index).unwrap(), "2021/cve-2021-44228.json\n");
        assert!(std::sync::Arc::ptr_eq(&first, &snapshot().await.unwrap()));
        // A record of an unpublished case: rebuilt, and still nothing of it is public.
        let case = app.submit(json!({})).await;
        let secret = json!({"id": "VR-2026-0001", "title": {"en": "undisclosed"}});
        app.db
            .store
            .save_vulnerability("VR-2026-0001", Some(&case), &secret, &[], chrono::Utc::now())
            .await
            .unwrap();
        // Its case is rebuilt and stays unpublished: nothing public changed, so the
        // same build is served.
        let second = snapshot().await.unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &second));
        assert_eq!(second.osv_zip().unwrap(), first.osv_zip().unwrap());
        // Each answer shares the snapshot's one zip and index, not a copy of its own.
        assert_eq!(second.osv_zip().unwrap().as_ptr(), first.osv_zip().unwrap().as_ptr());
        assert_eq!(second.index_txt().bytes.as_ptr(), first.index_txt().bytes.as_ptr());
        // A public record (of no case) appears on the next request.
        save_public_record(&app).await;
        let (_, _, index) = fetch(&app, "/.well-known/csaf/white/index.txt").await;
        let index = String::from_utf8(index).unwrap();
        assert!(index.contains("cve-2021-44228.json") && index.contains("vr-2026-0002.json"), "{index}");
        assert_eq!(snapshot().await.unwrap().documents.len(), 2, "on {}", app.db.name);
        // A public record that names no product has no valid CSAF document: it is left
        // out of the provider (never served invalid), and the rest stays served.
        let bare = json!({"id": "VR-2026-0003", "title": {"en": "No product named"},
                          "published": "2026-11-02T00:00:00Z"});
        app.db.store.save_vulnerability("VR-2026-0003", None, &bare, &[], chrono::Utc::now()).await.unwrap();
        let (status, _, index) = fetch(&app, "/.well-known/csaf/white/index.txt").await;
        let index = String::from_utf8(index).unwrap();
        assert_eq!(status, StatusCode::OK);
        assert!(index.contains("vr-2026-0002.json") && !index.contains("vr-2026-0003.json"), "{index}");
    })
    .await;
}

#[tokio::test]
async fn public_documents_asked_for_at_once_are_current_and_built_once() {
    for_each_backend(|db: TestDb| async move {
        let app = std::sync::Arc::new(App::new(db).await);
        let at_once = |n: usize| {
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let app = std::sync::Arc::clone(&app);
                    tokio::spawn(async move {
                        vulnrelay_server::distribution::public_snapshot(&app.state).await.unwrap()
                    })
                })
                .collect();
            async move {
                let mut snapshots = Vec::new();
                for task in tasks {
                    snapshots.push(task.await.unwrap());
                }
                snapshots
            }
        };
        // A second server on the same database.
        let other = vulnrelay_server::AppState::new(app.db.store.clone(), config());
        let first = vulnrelay_server::distribution::public_snapshot(&app.state).await.unwrap();
        // Nothing changed: every request is answered from the kept build.
        for snapshot in at_once(16).await {
            assert!(std::sync::Arc::ptr_eq(&first, &snapshot));
        }
        // A public record lands: every request after it sees it, from one new build.
        save_public_record(&app).await;
        let after = at_once(16).await;
        assert_eq!(after[0].documents.len(), 2, "on {}", app.db.name);
        assert!(!std::sync::Arc::ptr_eq(&first, &after[0]));
        for snapshot in &after {
            assert!(std::sync::Arc::ptr_eq(&after[0], snapshot), "on {}", app.db.name);
        }
        // The other server kept nothing yet; it builds from the store once.
        let others = vulnrelay_server::distribution::public_snapshot(&other).await.unwrap();
        assert_eq!(others.documents.len(), 2);
        // A change the other server drains: this one's kept build is stale by its number
        // alone (nothing is queued any more), and it catches up.
        let bare = json!({"id": "VR-2026-0004", "title": {"en": "Gadget"},
                          "affected": [{"source": "miit", "vendor": "Example", "product": "Gadget",
                                        "ranges": [{"introduced": "2.0", "fixed": "2.1"}]}],
                          "published": "2026-11-03T00:00:00Z"});
        app.db.store.save_vulnerability("VR-2026-0004", None, &bare, &[], chrono::Utc::now()).await.unwrap();
        let drained = vulnrelay_server::distribution::public_snapshot(&other).await.unwrap();
        assert_eq!(drained.documents.len(), 3, "on {}", app.db.name);
        for snapshot in at_once(16).await {
            assert_eq!(snapshot.seq, drained.seq, "on {}", app.db.name);
            assert_eq!(snapshot.documents.len(), 3, "on {}", app.db.name);
        }
    })
    .await;
}

/// What a full build from every public advisory serves — the CSAF provider's directory
/// (`provider::directory` over every document), every record's OSV document and the
/// Atom feed — made the way distribution was made before it was kept as data.
async fn full_build(
    app: &App,
) -> (std::collections::BTreeMap<String, Vec<u8>>, Vec<(String, Vec<u8>)>, String) {
    use vulnrelay_server::Caller;
    use vulnrelay_server::distribution as d;
    let state = &app.state;
    let advisories = d::advisories(state, &Caller::default()).await.unwrap();
    let mut documents = Vec::new();
    let mut osv = Vec::new();
    for advisory in &advisories {
        match d::provider_advisory(state, advisory).await {
            Ok(document) => documents.push(document),
            Err(e) => assert_eq!(e.code(), "not_exportable", "{e}"),
        }
        for (stored, v) in &advisory.records {
            let modified = d::record_updated(stored, Some(advisory.published()));
            let mut document = vulnrelay_formats::osv_record::export(v, modified);
            vulnrelay_formats::osv_record::add_vendor_statuses(&mut document, &advisory.vendors());
            osv.push((format!("{}.json", v.id), serde_json::to_vec_pretty(&document).unwrap()));
        }
    }
    osv.sort();
    let directory =
        vulnrelay_publish::provider::directory(&d::provider(state), &documents, state.csaf_signer.get())
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.bytes))
            .collect();
    let publications: Vec<_> = advisories.iter().map(|a| a.publication()).collect();
    let atom = vulnrelay_publish::feed::atom(
        &state.base_url(),
        "vulnrelay security bulletins",
        &publications,
        vulnrelay_publish::Lang::En,
    );
    (directory, osv, atom)
}

/// Every file the full build has is served byte for byte, and nothing else is listed;
/// the OSV zip holds exactly its documents; the feed is its feed. Returns what was
/// served.
async fn served_as_full_build(app: &App, step: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    let (directory, osv, atom) = full_build(app).await;
    let mut served = std::collections::BTreeMap::new();
    for (path, bytes) in &directory {
        let (status, _, body) = fetch(app, &format!("/.well-known/csaf/{path}")).await;
        assert_eq!(status, StatusCode::OK, "{step}: {path} on {}", app.db.name);
        assert!(
            body == *bytes,
            "{step}: {path} differs on {}: {}",
            app.db.name,
            String::from_utf8_lossy(&body)
        );
        served.insert(path.clone(), body);
    }
    let (_, _, listing) = fetch(app, "/.well-known/csaf/white/").await;
    let listing = String::from_utf8(listing).unwrap();
    for line in listing.lines().filter(|l| l.contains("href=\"/.well-known/csaf/white/2")) {
        let year = line.split("white/").nth(1).unwrap().split('/').next().unwrap();
        let (_, _, folder) = fetch(app, &format!("/.well-known/csaf/white/{year}/")).await;
        for name in String::from_utf8(folder)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("<li>"))
            .filter_map(|l| l.split("\">").nth(1))
        {
            let name = name.trim_end_matches("</a></li>");
            if name != "../" {
                let path = format!("white/{year}/{name}");
                assert!(directory.contains_key(&path), "{step}: {path} listed, not in a full build");
            }
        }
    }
    let (status, _, zip) = fetch(app, "/api/v1/osv/all.zip").await;
    assert_eq!(status, StatusCode::OK);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut entries = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.push((entry.name().unwrap().into_owned(), bytes));
    }
    entries.sort();
    assert!(entries == osv, "{step}: OSV zip differs on {}", app.db.name);
    served.insert(
        "all.zip".into(),
        serde_json::to_vec(&entries.iter().map(|e| &e.0).collect::<Vec<_>>()).unwrap(),
    );
    let (_, _, feed) = fetch(app, "/advisories/feed.atom").await;
    assert_eq!(String::from_utf8(feed).unwrap(), atom, "{step}");
    served
}

#[tokio::test]
async fn the_documents_kept_as_data_are_a_full_build_after_every_change() {
    for_each_backend(|db: TestDb| async move {
        let app = App::new(db).await;
        let signer = vulnrelay_publish::openpgp::DocumentSigner::generate(
            "vulnrelay test <csaf@vr.example>",
            "2021-01-01T00:00:00Z".parse().unwrap(),
            rand::thread_rng(),
        )
        .unwrap();
        app.state.sign_csaf_with(signer);
        let case = app.case_id.clone();
        served_as_full_build(&app, "the published case").await;
        // A record of the published case changes.
        let threat = json!({"kind": "actively_exploited", "source": "CNCERT", "at": "2021-12-10T12:00:00+08:00"});
        assert_eq!(app.post("/api/v1/vulnerabilities/CVE-2021-45046/threats", MIIT, threat).await.0, StatusCode::CREATED);
        served_as_full_build(&app, "a record of the case changed").await;
        // New records of no case: one with a product, one the CSAF writer refuses.
        let store = &app.db.store;
        let mut public = json!({"id": "VR-2026-0002", "title": {"en": "Widget template injection"},
                                "affected": [{"source": "miit", "vendor": "Example", "product": "Widget",
                                              "ranges": [{"introduced": "1.0", "fixed": "1.5"}]}],
                                "published": "2026-11-01T00:00:00Z"});
        store.save_vulnerability("VR-2026-0002", None, &public, &[], chrono::Utc::now()).await.unwrap();
        let bare = json!({"id": "VR-2026-0003", "title": {"en": "No product named"}, "published": "2026-11-02T00:00:00Z"});
        store.save_vulnerability("VR-2026-0003", None, &bare, &[], chrono::Utc::now()).await.unwrap();
        served_as_full_build(&app, "records of no case").await;
        public["title"] = json!({"en": "Widget template injection (revised)"});
        store.save_vulnerability("VR-2026-0002", None, &public, &[], chrono::Utc::now()).await.unwrap();
        served_as_full_build(&app, "a record of no case changed").await;
        // A record of an unpublished case: nothing of it is public.
        let secret_case = app.submit(json!({})).await;
        let secret = json!({"id": "VR-2026-0004", "title": {"en": "undisclosed"},
                            "affected": [{"source": "miit", "vendor": "Example", "product": "Gadget",
                                          "ranges": [{"introduced": "2.0", "fixed": "2.1"}]}]});
        store.save_vulnerability("VR-2026-0004", Some(&secret_case), &secret, &[], chrono::Utc::now()).await.unwrap();
        let served = served_as_full_build(&app, "an unpublished case").await;
        assert!(!served.keys().any(|p| p.contains("vr-2026-0004")), "{:?}", served.keys());
        // The published case is closed: no longer public, its documents go at once.
        let (_, _, index) = fetch(&app, "/.well-known/csaf/white/index.txt").await;
        let gone = String::from_utf8(index).unwrap().lines().find(|l| l.contains("cve-2021-44228")).unwrap().to_owned();
        let closed = json!({"type": "closed", "at": "2021-12-30T10:00:00+08:00"});
        let (status, answer) = app.post(&format!("/api/v1/cases/{case}/events"), MIIT, closed).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let served = served_as_full_build(&app, "the case closed").await;
        assert!(!served.contains_key(&format!("white/{gone}")));
        for suffix in ["", ".sha512", ".asc"] {
            let (status, _, _) = fetch(&app, &format!("/.well-known/csaf/white/{gone}{suffix}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{gone}{suffix} on {}", app.db.name);
        }
        // A full rebuild makes every document again: the same bytes.
        vulnrelay_server::publication::republish(&app.state).await.unwrap();
        assert_eq!(served_as_full_build(&app, "after a full rebuild").await, served, "on {}", app.db.name);
    })
    .await;
}
