//! Bulletins, manuals, the CSAF provider layout and the Atom feed, generated from the
//! Log4Shell records.

use chrono::{TimeZone, Utc};
use vulnrelay_domain::Localized;
use vulnrelay_formats::csaf::{self, Lang as CsafLang, Publisher, Revision, Tracking};
use vulnrelay_formats::record;
use vulnrelay_formats::schemas::{Schema, validate};
use vulnrelay_publish::openpgp::DocumentSigner;
use vulnrelay_publish::provider::{Provider, layout, listing};
use vulnrelay_publish::{Lang, Publication, bulletin_markdown, feed, manual_markdown, markdown_to_html};

fn publication() -> Publication {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/log4shell-records.json");
    Publication {
        id: "VR-2021-0001".into(),
        title: Localized::both(
            "Apache Log4j2 系列漏洞",
            "Apache Log4j2 vulnerabilities (Log4Shell and follow-ups)",
        ),
        publisher: "vulnrelay demo platform".into(),
        published: Utc.with_ymd_and_hms(2021, 12, 10, 0, 0, 0).unwrap(),
        updated: Utc.with_ymd_and_hms(2021, 12, 28, 0, 0, 0).unwrap(),
        vulnerabilities: record::parse_all(&std::fs::read_to_string(path).unwrap()).unwrap(),
        vendors: Vec::new(),
    }
}

#[test]
fn the_bulletin_shows_every_id_and_every_source_in_both_languages() {
    let en = bulletin_markdown(&publication(), Lang::En);
    assert!(en.starts_with("# Security bulletin VR-2021-0001: Apache Log4j2 vulnerabilities"));
    assert!(en.contains("CVE-2021-44228, CNVD-2021-95914, CNNVD-202112-799"));
    assert!(
        en.contains("| apache | `CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H` | 5.9 | MEDIUM | 中 | 中危 |"),
        "{en}"
    );
    assert!(
        en.contains("| github | `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:H` | 8.6 | HIGH | 高 | 高危 |")
    );
    assert!(en.contains("| cnvd | Maven `org.apache.logging.log4j:log4j-core` | ≥ 2.0 , ≤ 2.15.0-rc1 |"));
    assert!(en.contains("### Interim mitigations"));
    assert!(en.contains("- 2021-12-10T00:00:00Z — actively exploited (CISA KEV)"), "{en}");
    assert!(en.contains("fix in 2.15.0-rc1 bypassed (CNVD)"));
    let zh = bulletin_markdown(&publication(), Lang::Zh);
    assert!(zh.starts_with("# 安全公告 VR-2021-0001: Apache Log4j2 系列漏洞"));
    assert!(zh.contains("Apache Log4j2 远程代码执行漏洞"));
    assert!(zh.contains("### 修复措施"));
    assert!(zh.contains("### 威胁状态"));
    assert!(zh.contains("将 log4j-core 升级至 2.17.1"));
}

#[test]
fn the_manual_tells_how_to_find_and_fix_it() {
    let en = manual_markdown(&publication(), Lang::En);
    assert!(en.contains("vulnrelay scan /opt /srv /home /var/lib --format table"));
    assert!(en.contains("vulnrelay scan /opt --advisories vr-2021-0001-osv.json"));
    assert!(en.contains("mvn dependency:tree -Dincludes=org.apache.logging.log4j:log4j-core"));
    assert!(en.contains("find / -name 'log4j-core-*.jar'"));
    assert!(en.contains("vulnrelay scan --fix PATH"));
    let zh = manual_markdown(&publication(), Lang::Zh);
    assert!(zh.starts_with("# 排查及修复手册"));
    assert!(zh.contains("## 2. 排查方法"));
    assert!(zh.contains("## 3. 修复方法"));
}

#[test]
fn html_is_rendered_from_the_markdown_and_never_passes_raw_html() {
    let mut p = publication();
    p.vulnerabilities[0].title.en = Some("<script>alert(1)</script> & <b>bold</b>".into());
    p.vulnerabilities[0].description.en = Some("<img src=x onerror=alert(1)>".into());
    let html = markdown_to_html(&bulletin_markdown(&p, Lang::En));
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("<table>"));
    // Even raw HTML typed into the Markdown itself is shown as text.
    assert_eq!(markdown_to_html("<div onclick=x>hi</div>").trim(), "&lt;div onclick=x&gt;hi&lt;/div&gt;");
    // Only http(s) and mailto links stay links; any other target becomes its text.
    for hostile in [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "[x](vbscript:msgbox)",
        "![x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "[x]: javascript:alert(1)\n\n[x]",
    ] {
        let html = markdown_to_html(hostile);
        assert!(!html.to_ascii_lowercase().contains("href=\"javascript"), "{hostile}: {html}");
        assert!(!html.contains("href=\"data:") && !html.contains("<img"), "{hostile}: {html}");
        assert!(!html.contains("href=\"vbscript"), "{hostile}: {html}");
    }
    assert_eq!(markdown_to_html("[x](javascript:alert(1))").trim(), "<p>x</p>");
    assert!(
        markdown_to_html("[NVD](https://nvd.nist.gov/)")
            .contains("<a href=\"https://nvd.nist.gov/\">NVD</a>")
    );
    assert!(markdown_to_html("<mailto:psirt@example.org>").contains("href=\"mailto:psirt@example.org\""));
}

fn provider_documents() -> Vec<serde_json::Value> {
    let publisher = Publisher {
        category: "coordinator".into(),
        name: "vulnrelay demo".into(),
        namespace: "https://vulnrelay.invalid".into(),
    };
    let tracking = |id: &str, day: u32| Tracking {
        id: id.into(),
        status: "final".into(),
        revisions: vec![Revision {
            number: 1,
            date: Utc.with_ymd_and_hms(2021, 12, day, 0, 0, 0).unwrap(),
            summary: "Initial".into(),
        }],
    };
    let records = publication().vulnerabilities;
    vec![
        csaf::security_advisory(
            "Log4Shell",
            &publisher,
            &tracking("VR-2021-0001", 10),
            &records[..1],
            CsafLang::En,
        )
        .unwrap(),
        csaf::security_advisory(
            "Log4j DoS",
            &publisher,
            &tracking("VR-2021-0002", 18),
            &records[2..3],
            CsafLang::En,
        )
        .unwrap(),
    ]
}

fn provider() -> Provider {
    Provider {
        base_url: "https://vulnrelay.invalid".into(),
        category: "coordinator".into(),
        name: "vulnrelay demo".into(),
        namespace: "https://vulnrelay.invalid".into(),
    }
}

fn signer() -> DocumentSigner {
    DocumentSigner::generate(
        "vulnrelay demo <csaf@vulnrelay.invalid>",
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        rand::thread_rng(),
    )
    .unwrap()
}

type Files = Vec<vulnrelay_publish::provider::ProviderFile>;

fn get<'a>(files: &'a Files, path: &str) -> &'a [u8] {
    &files.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("no {path}")).bytes
}

fn json(files: &Files, path: &str) -> serde_json::Value {
    serde_json::from_slice(get(files, path)).unwrap()
}

#[test]
fn the_provider_layout_is_complete_and_its_metadata_validates() {
    let documents = provider_documents();
    let files =
        layout(&provider(), &documents, Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap(), None).unwrap();
    let metadata = json(&files, "provider-metadata.json");
    let problems = validate(Schema::CsafProvider, &metadata);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(metadata["role"], "csaf_provider", "no key, no trusted provider");
    assert!(metadata.get("public_openpgp_keys").is_none());
    assert!(!files.iter().any(|f| f.path.ends_with(".asc")), "nothing signed without a key");
    assert_eq!(
        String::from_utf8_lossy(get(&files, "white/index.txt")),
        "2021/vr-2021-0001.json\n2021/vr-2021-0002.json\n"
    );
    assert_eq!(
        String::from_utf8_lossy(get(&files, "white/changes.csv")),
        "\"2021/vr-2021-0002.json\",\"2021-12-18T00:00:00Z\"\n\"2021/vr-2021-0001.json\",\"2021-12-10T00:00:00Z\"\n"
    );
    let document = get(&files, "white/2021/vr-2021-0001.json");
    let checksum = String::from_utf8(get(&files, "white/2021/vr-2021-0001.json.sha512").to_vec()).unwrap();
    use sha2::Digest;
    assert_eq!(checksum, format!("{}  vr-2021-0001.json\n", hex::encode(sha2::Sha512::digest(document))));
    let stored: serde_json::Value = serde_json::from_slice(document).unwrap();
    assert!(validate(Schema::Csaf, &stored).is_empty());
}

#[test]
fn the_rolie_feed_lists_every_document_with_its_hash_and_signature() {
    let documents = provider_documents();
    let key = signer();
    let files =
        layout(&provider(), &documents, Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap(), Some(&key))
            .unwrap();
    let feed = json(&files, "feed-tlp-white.json");
    let problems = validate(Schema::RolieFeed, &feed);
    assert!(problems.is_empty(), "{problems:#?}");
    let entries = feed["feed"]["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["id"], "VR-2021-0002", "newest change first");
    assert_eq!(feed["feed"]["updated"], "2021-12-18T00:00:00Z");
    let base = "https://vulnrelay.invalid/.well-known/csaf/white/2021/vr-2021-0001.json";
    let links = &entries[1]["link"];
    assert_eq!(links[0], serde_json::json!({"rel": "self", "href": base}));
    assert_eq!(links[1], serde_json::json!({"rel": "hash", "href": format!("{base}.sha512")}));
    assert_eq!(links[2], serde_json::json!({"rel": "signature", "href": format!("{base}.asc")}));
    // Every link of the feed is a file of the layout.
    for entry in entries {
        for link in entry["link"].as_array().unwrap() {
            let path = link["href"]
                .as_str()
                .unwrap()
                .strip_prefix("https://vulnrelay.invalid/.well-known/csaf/")
                .unwrap();
            assert!(files.iter().any(|f| f.path == path), "{path} is linked but not served");
        }
    }
    let metadata = json(&files, "provider-metadata.json");
    assert!(validate(Schema::CsafProvider, &metadata).is_empty());
    assert_eq!(metadata["role"], "csaf_trusted_provider");
    let rolie = &metadata["distributions"][0]["rolie"];
    assert_eq!(rolie["feeds"][0]["url"], "https://vulnrelay.invalid/.well-known/csaf/feed-tlp-white.json");
    assert_eq!(rolie["feeds"][0]["tlp_label"], "WHITE");
    let service = json(&files, "service.json");
    assert_eq!(service["service"]["workspace"][0]["collection"][0]["href"], rolie["feeds"][0]["url"]);
    let categories = json(&files, "category-tlp-white.json");
    let terms: Vec<&str> = categories["categories"]["category"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["term"].as_str().unwrap())
        .collect();
    assert!(terms.contains(&"csaf_security_advisory"), "{terms:?}");
    assert!(terms.contains(&"Apache Software Foundation") && terms.contains(&"Apache Log4j2"), "{terms:?}");
    // The public key is where the metadata says, with the fingerprint it names.
    let key_url = metadata["public_openpgp_keys"][0]["url"].as_str().unwrap();
    assert_eq!(metadata["public_openpgp_keys"][0]["fingerprint"], key.fingerprint());
    let key_path = key_url.strip_prefix("https://vulnrelay.invalid/.well-known/csaf/").unwrap();
    assert_eq!(String::from_utf8_lossy(get(&files, key_path)), key.public_key_armored());
    let document = get(&files, "white/2021/vr-2021-0001.json");
    let signature = String::from_utf8(get(&files, "white/2021/vr-2021-0001.json.asc").to_vec()).unwrap();
    assert!(key.verify(document, &signature));
    assert!(!key.verify(get(&files, "white/2021/vr-2021-0002.json"), &signature));
}

/// GnuPG's own verifier accepts the signatures with the published key: the `.asc`
/// files are what any OpenPGP tool reads, not only this one.
#[test]
fn gnupg_verifies_the_signatures_with_the_published_key() {
    use std::process::Command;
    let documents = provider_documents();
    let key = signer();
    let files =
        layout(&provider(), &documents, Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap(), Some(&key))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("gnupg");
    std::fs::create_dir(&home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    std::fs::write(dir.path().join("key.asc"), key.public_key_armored()).unwrap();
    let dearmor = Command::new("gpg")
        .arg("--homedir")
        .arg(&home)
        .args(["--batch", "--yes", "--dearmor", "-o"])
        .arg(dir.path().join("key.gpg"))
        .arg(dir.path().join("key.asc"))
        .output()
        .expect("gpg runs (Debian package gpg; .ci/run installs it)");
    assert!(dearmor.status.success(), "{}", String::from_utf8_lossy(&dearmor.stderr));
    let document = dir.path().join("vr-2021-0001.json");
    std::fs::write(&document, get(&files, "white/2021/vr-2021-0001.json")).unwrap();
    std::fs::write(dir.path().join("vr-2021-0001.json.asc"), get(&files, "white/2021/vr-2021-0001.json.asc"))
        .unwrap();
    let gpgv = |data: &std::path::Path| {
        Command::new("gpgv")
            .arg("--homedir")
            .arg(&home)
            .arg("--keyring")
            .arg(dir.path().join("key.gpg"))
            .arg(dir.path().join("vr-2021-0001.json.asc"))
            .arg(data)
            .output()
            .expect("gpgv runs (Debian package gpgv; .ci/run installs it)")
    };
    let good = gpgv(&document);
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    let tampered = dir.path().join("tampered.json");
    std::fs::write(&tampered, get(&files, "white/2021/vr-2021-0002.json")).unwrap();
    assert!(!gpgv(&tampered).status.success(), "a signature verifies only its own document");
}

#[test]
fn directory_listings_link_each_file_and_folder() {
    let files =
        layout(&provider(), &provider_documents(), Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap(), None)
            .unwrap();
    let paths = || files.iter().map(|f| f.path.as_str());
    let white = listing("white/", paths()).unwrap();
    assert!(white.contains("<a href=\"/.well-known/csaf/white/2021/\">2021/</a>"), "{white}");
    assert!(white.contains("<a href=\"/.well-known/csaf/white/index.txt\">index.txt</a>"));
    assert!(white.contains("<a href=\"/.well-known/csaf/\">../</a>"));
    let year = listing("white/2021", paths()).unwrap();
    assert!(year.contains("vr-2021-0001.json.sha512"), "{year}");
    assert!(year.contains("<a href=\"/.well-known/csaf/white/\">../</a>"));
    assert!(!year.contains("index.txt"), "only the folder's own files");
    let root = listing("", paths()).unwrap();
    assert!(
        root.contains("provider-metadata.json")
            && root.contains("white/")
            && root.contains("feed-tlp-white.json")
    );
    assert!(listing("white/1999", paths()).is_none());
    assert!(listing("white/2021/vr-2021-0001.json", paths()).is_none(), "a file is not a folder");
}

#[test]
fn the_atom_feed_is_well_formed_and_newest_first() {
    let mut older = publication();
    older.id = "VR-2021-0000".into();
    older.title = Localized::en("Older & <earlier>");
    older.updated = Utc.with_ymd_and_hms(2021, 12, 1, 0, 0, 0).unwrap();
    let xml =
        feed::atom("https://vulnrelay.invalid", "vulnrelay bulletins", &[older, publication()], Lang::En);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut titles = Vec::new();
    let mut in_title = false;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) if e.name().0 == "title" => in_title = true,
            quick_xml::events::Event::Text(t) if in_title => {
                titles.push(t.xml10_content().into_owned());
                in_title = false;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(titles[0], "vulnrelay bulletins");
    assert!(titles[1].starts_with("VR-2021-0001"), "{titles:?}");
    assert!(xml.contains("Older &amp; &lt;earlier&gt;"));
}

fn well_formed(svg: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut elements = Vec::new();
    loop {
        match reader.read_event().expect("well-formed SVG") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                elements.push(e.name().0.to_owned())
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    elements
}

#[test]
fn the_clock_chart_draws_one_bar_per_clock_coloured_by_status() {
    use vulnrelay_publish::charts::{clock_chart, status_colour};
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/log4shell.json"),
    )
    .unwrap();
    let case = vulnrelay_formats::case_file::parse(&text).unwrap();
    let packs = vulnrelay_policy::builtin_packs().unwrap();
    let now = Utc.with_ymd_and_hms(2021, 12, 21, 16, 0, 0).unwrap();
    let findings = vulnrelay_policy::evaluate(
        &case,
        &packs,
        &vulnrelay_policy::Options { as_of: now, interpretation: vulnrelay_policy::Interpretation::Hours },
    );
    let svg = clock_chart(&case, &findings, now, Lang::En);
    let elements = well_formed(&svg);
    // One clock: the cooperating-unit report, overdue, in red.
    assert_eq!(elements.iter().filter(|e| *e == "rect").count(), 1, "{svg}");
    assert!(svg.contains(status_colour(vulnrelay_policy::Status::Overdue)));
    assert!(svg.contains("member-report-2d · alibaba-cloud — overdue"));
    assert!(svg.contains("role=\"img\""));
    // The duty is overdue: a dashed line carries the lateness from the deadline to now.
    assert_eq!(svg.matches("stroke-dasharray=\"6 3\"").count(), 1, "{svg}");
    let zh = clock_chart(&case, &findings, now, Lang::Zh);
    assert!(zh.contains("已逾期"));
    well_formed(&zh);
}

#[test]
fn the_quarter_chart_is_well_formed_and_escapes_its_title() {
    use vulnrelay_domain::{IntervalKind, intervals, quarterly};
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/log4shell.json"),
    )
    .unwrap();
    let case = vulnrelay_formats::case_file::parse(&text).unwrap();
    let stats = quarterly(&[intervals(&case)], IntervalKind::RegulatorReport);
    assert_eq!(stats[0].median_days, Some(15.0));
    let svg = vulnrelay_publish::charts::quarter_chart(&stats, "Blind window <days>");
    well_formed(&svg);
    assert!(svg.contains("Blind window &lt;days&gt;"));
    assert!(svg.contains("2021Q4 (1+0)"));
}
