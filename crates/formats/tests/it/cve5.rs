//! CVE JSON 5 import and export against the real Log4j records and the official schema.

use crate::common::*;
use chrono::{TimeZone, Utc};
use vulnrelay_domain::{Localized, RangeEnd, Score, VersionRange, Vulnerability};
use vulnrelay_formats::cve5::{self, Cna, ExportError};

fn cna() -> Cna {
    Cna { org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(), short_name: "apache".into() }
}

fn updated() -> vulnrelay_domain::Timestamp {
    Utc.with_ymd_and_hms(2021, 12, 28, 0, 0, 0).unwrap()
}

fn import(file: &str) -> Vulnerability {
    cve5::import(&load(file)).unwrap_or_else(|problems| panic!("{file}: {problems:#?}"))
}

fn range(introduced: &str, fixed: &str) -> VersionRange {
    VersionRange { introduced: introduced.into(), end: RangeEnd::Fixed(fixed.into()) }
}

#[test]
fn every_real_record_imports() {
    for file in CVE_EXAMPLES {
        let v = import(file);
        assert!(v.id.starts_with("CVE-"), "{file}");
        assert!(v.description.en.is_some(), "{file}");
        assert!(!v.affected.is_empty(), "{file}");
    }
}

#[test]
fn log4shell_keeps_every_source() {
    let v = import("examples/cve/CVE-2021-44228.json");
    assert_eq!(v.id, "CVE-2021-44228");
    assert_eq!(v.cwes, ["CWE-502", "CWE-400", "CWE-20"]);
    // The CNA's custom version block with changes unrolls into the three stretches.
    let apache = &v.affected[0];
    assert_eq!(apache.source, "apache");
    assert_eq!(
        apache.ranges,
        [range("2.0-beta9", "2.3.1"), range("2.4", "2.12.2"), range("2.13.0", "2.15.0")]
    );
    // The CVSS score comes from CISA's ADP container, and says so.
    assert_eq!(
        v.scores,
        [Score { source: "CISA-ADP".into(), vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into() }]
    );
    assert!(v.credits[0].contains("Chen Zhaojun"));
    assert_eq!(v.published.unwrap().to_rfc3339(), "2021-12-10T00:00:00+00:00");
}

#[test]
fn unordered_changes_and_non_version_starts_are_read_as_the_cna_meant() {
    let v = import("examples/cve/CVE-2021-44832.json");
    assert_eq!(
        v.affected[0].ranges,
        [range("2.0-beta7", "2.3.2"), range("2.4", "2.12.4"), range("2.13.0", "2.17.1")]
    );
    let v = import("examples/cve/CVE-2021-45105.json");
    assert_eq!(
        v.affected[0].ranges,
        [range("2.0-alpha1", "2.3.1"), range("2.4", "2.12.3"), range("2.13.0", "2.17.0")]
    );
    // `"version": "Apache Log4j2"` with no changes: kept as written, never `0`.
    let v = import("examples/cve/CVE-2021-45046.json");
    assert_eq!(v.affected[0].ranges, [range("Apache Log4j2", "2.16.0")]);
    // Free text where a version should be is kept as written, not guessed at.
    let v = import("examples/cve/CVE-2019-17571.json");
    assert_eq!(v.affected[0].versions, ["versions up to 1.2.17"]);
}

#[test]
fn exports_validate_and_round_trip_what_the_format_shares() {
    for file in CVE_EXAMPLES {
        let original = import(file);
        let cna = Cna {
            org_id: "f0158376-9dc2-43b6-827c-5f631a4d8d09".into(),
            short_name: original.affected[0].source.clone(),
        };
        let exported = cve5::export(&original, &cna, updated()).unwrap();
        let problems = errors(Schema::Cve, &exported);
        assert!(problems.is_empty(), "{file}: {problems:#?}");
        let again = cve5::import(&exported).unwrap();
        assert_eq!(again.id, original.id, "{file}");
        assert_eq!(again.title, original.title, "{file}");
        assert_eq!(again.description, original.description, "{file}");
        assert_eq!(again.cwes, original.cwes, "{file}");
        assert_eq!(again.credits, original.credits, "{file}");
        assert_eq!(again.published, original.published, "{file}");
        // Every source's score survives, the CNA's as CVSS metrics, others as `other`.
        assert_eq!(again.scores, original.scores, "{file}");
        let urls = |v: &Vulnerability| v.references.iter().map(|r| r.url.clone()).collect::<Vec<_>>();
        assert_eq!(urls(&again), urls(&original), "{file}");
        // The CNA's view of what is affected survives (other sources' views go to OSV).
        assert_eq!(again.affected[0].ranges, original.affected[0].ranges, "{file}");
        assert_eq!(again.affected[0].versions, original.affected[0].versions, "{file}");
    }
}

#[test]
fn a_record_with_chinese_texts_and_disagreeing_sources_exports_valid() {
    let mut v = import("examples/cve/CVE-2021-45105.json");
    v.add_alias("CNVD-2021-00000");
    v.title.zh = Some("Apache Log4j2 自引用查找导致的拒绝服务漏洞".into());
    v.description.zh = Some("Apache Log4j2 在处理自引用查找时存在无限递归，可导致拒绝服务。".into());
    v.remediation = Localized::both("升级到 2.17.0 或更高版本", "Upgrade to 2.17.0 or later");
    v.scores = vec![
        Score { source: "apache".into(), vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H".into() },
        Score { source: "github".into(), vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:H".into() },
    ];
    let exported = cve5::export(&v, &cna(), updated()).unwrap();
    assert!(errors(Schema::Cve, &exported).is_empty(), "{:#?}", errors(Schema::Cve, &exported));
    let metrics = exported["containers"]["cna"]["metrics"].as_array().unwrap();
    assert_eq!(metrics[0]["cvssV3_1"]["baseScore"], 5.9);
    assert_eq!(metrics[1]["other"]["content"]["source"], "github");
    assert_eq!(metrics[1]["other"]["content"]["baseScore"], 8.6);
    let back = cve5::import(&exported).unwrap();
    assert_eq!(back.scores, v.scores);
    assert_eq!(back.remediation, v.remediation);
    assert_eq!(back.description.zh, v.description.zh);
}

#[test]
fn export_refuses_what_the_format_cannot_carry() {
    let mut v = import("examples/cve/CVE-2021-4104.json");
    v.id = "VR-2021-0001".into();
    assert_eq!(cve5::export(&v, &cna(), updated()), Err(ExportError::NoCveId("VR-2021-0001".into())));
    let mut v = import("examples/cve/CVE-2021-4104.json");
    v.references.clear();
    assert!(matches!(
        cve5::export(&v, &cna(), updated()),
        Err(ExportError::Missing { what: "at least one reference", .. })
    ));
}

#[test]
fn import_reports_every_schema_problem_by_path() {
    let mut record = load("examples/cve/CVE-2021-44228.json");
    record["containers"]["cna"]["descriptions"] = serde_json::json!([]);
    record["containers"]["cna"]["references"][0]["url"] = serde_json::json!(42);
    let problems = cve5::import(&record).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"$.containers.cna.descriptions"), "{problems:#?}");
    assert!(paths.contains(&"$.containers.cna.references[0].url"), "{problems:#?}");
}

/// The instant of a CVE time (some records write no zone: UTC).
fn instant(value: &serde_json::Value) -> Option<chrono::DateTime<Utc>> {
    let text = value.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).ok().or_else(|| {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc())
    })
}

/// Each official record imported and exported again, compared with the original field by
/// field: the assigner, `dateReserved`, the CNA's `source`, `timeline` and `x_` fields,
/// its references with their names and tags, and the ADP containers as they were.
/// Documented exceptions: a URL the record repeats is written once, the wording of CWE
/// descriptions (the official name where vulnrelay knows it, else the id alone), the
/// CNA's non-CVSS `other` metrics (free text such as `"critical"`), and the shape of
/// `versions` (entries with `changes` come back as one entry per range: compared by what
/// they mean).
#[test]
fn official_records_round_trip_field_by_field() {
    for file in CVE_EXAMPLES {
        let original = load(file);
        let meta = &original["cveMetadata"];
        let cna = Cna {
            org_id: meta["assignerOrgId"].as_str().unwrap().into(),
            short_name: meta["assignerShortName"].as_str().unwrap().into(),
        };
        let exported = cve5::export(&import(file), &cna, updated()).unwrap();
        // Exported under another CNA's configuration, the record stays its assigner's.
        let elsewhere =
            Cna { org_id: "00000000-0000-4000-8000-000000000000".into(), short_name: "other".into() };
        assert_eq!(cve5::export(&import(file), &elsewhere, updated()).unwrap(), exported, "{file}");
        assert_eq!(exported["containers"]["adp"], original["containers"]["adp"], "{file}: ADP containers");
        assert!(errors(Schema::Cve, &exported).is_empty(), "{file}");
        let back = &exported["cveMetadata"];
        for key in ["cveId", "assignerOrgId", "assignerShortName", "state", "dateReserved"] {
            assert_eq!(back[key], meta[key], "{file}: cveMetadata.{key}");
        }
        for key in ["datePublished", "dateUpdated"] {
            assert_eq!(instant(&back[key]), instant(&meta[key]), "{file}: cveMetadata.{key}");
        }
        let (was, now) = (&original["containers"]["cna"], &exported["containers"]["cna"]);
        assert_eq!(now["title"], was["title"], "{file}: title");
        let english = |c: &serde_json::Value| -> Vec<String> {
            c["descriptions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["lang"].as_str().unwrap().starts_with("en"))
                .map(|d| d["value"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(english(now).join("\n\n"), english(was).join("\n\n"), "{file}: descriptions");
        let list = |c: &serde_json::Value, key: &str, field: &str| -> Vec<String> {
            c[key]
                .as_array()
                .map(|items| items.iter().filter_map(|i| i[field].as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        // References: the CNA's as written (names and tags), each URL once (a record may
        // repeat one); those only the ADP containers give stay there.
        let mut references: Vec<&serde_json::Value> = Vec::new();
        for reference in was["references"].as_array().unwrap() {
            if !references.iter().any(|r| r["url"] == reference["url"]) {
                references.push(reference);
            }
        }
        let written: Vec<&serde_json::Value> = now["references"].as_array().unwrap().iter().collect();
        assert_eq!(written, references, "{file}: references");
        for (key, value) in was.as_object().unwrap() {
            if key == "source" || key == "timeline" || key.starts_with("x_") {
                assert_eq!(&now[key], value, "{file}: cna.{key}");
            }
        }
        assert_eq!(list(now, "credits", "value"), list(was, "credits", "value"), "{file}: credits");
        let cwes = |c: &serde_json::Value| -> Vec<String> {
            c["problemTypes"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|p| p["descriptions"].as_array().unwrap().iter())
                .filter_map(|d| d["cweId"].as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(cwes(now), cwes(was), "{file}: problemTypes");
        // CWE names: the official name of each CWE vulnrelay knows, which the CNA's own
        // wording contains (`CWE-502 Deserialization ...`, `CWE-502: Deserialization ...`).
        let descriptions = |c: &serde_json::Value| -> Vec<(String, String)> {
            c["problemTypes"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|p| p["descriptions"].as_array().unwrap().iter())
                .filter_map(|d| {
                    Some((d["cweId"].as_str()?.to_owned(), d["description"].as_str()?.to_owned()))
                })
                .collect()
        };
        for ((id, written), (_, original)) in descriptions(now).iter().zip(descriptions(was).iter()) {
            if let Some(name) = vulnrelay_formats::csaf::cwe_name(id) {
                assert_eq!(*written, format!("{id} {name}"), "{file}");
                assert!(original.contains(name), "{file}: {original} against {name}");
            }
        }
        let cvss = |c: &serde_json::Value| -> Vec<String> {
            c["metrics"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|m| {
                    ["cvssV4_0", "cvssV3_1", "cvssV3_0", "cvssV2_0"].map(|k| m[k]["vectorString"].clone())
                })
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        assert_eq!(cvss(now), cvss(was), "{file}: the CNA's CVSS");
        assert!(now.get("defaultStatus").is_none());
        let (was_affected, now_affected) =
            (was["affected"].as_array().unwrap(), now["affected"].as_array().unwrap());
        assert_eq!(now_affected.len(), was_affected.len().min(now_affected.len()), "{file}");
        for (a, b) in was_affected.iter().zip(now_affected) {
            for key in ["vendor", "product", "packageName", "collectionURL", "defaultStatus"] {
                assert_eq!(b[key], a[key], "{file}: affected.{key}");
            }
        }
        // What the versions mean: the CNA's affected data read from both is the same.
        let source = cna.short_name.clone();
        let of = |v: &Vulnerability| -> Vec<vulnrelay_domain::Affected> {
            v.affected.iter().filter(|a| a.source == source).cloned().collect()
        };
        assert_eq!(of(&cve5::import(&exported).unwrap()), of(&import(file)), "{file}: affected versions");
    }
}

/// The CVE `dateUpdated` and the OSV `modified` of the same record are the same instant,
/// the record's own, to the digit.
#[test]
fn cve_and_osv_agree_on_when_the_record_changed() {
    for file in CVE_EXAMPLES {
        let v = import(file);
        let cve = cve5::export(&v, &cna(), updated()).unwrap();
        let osv = vulnrelay_formats::osv_record::export(&v, updated());
        assert_eq!(cve["cveMetadata"]["dateUpdated"], osv["modified"], "{file}");
        assert_eq!(instant(&cve["cveMetadata"]["dateUpdated"]), v.modified, "{file}");
        assert_eq!(cve["cveMetadata"]["datePublished"], osv["published"], "{file}");
    }
}

#[test]
fn vendor_statuses_become_affected_entries_and_the_record_stays_valid() {
    use vulnrelay_domain::{VendorStatement, VendorStatus, VexJustification};
    let v = import("examples/cve/CVE-2021-44228.json");
    let mut exported = cve5::export(&v, &cna(), updated()).unwrap();
    let before = exported["containers"]["cna"]["affected"].as_array().unwrap().len();
    let statement = |product: &str, vulnerability: &str, status: VendorStatus| VendorStatement {
        vendor: "Example Vendor".into(),
        product: product.into(),
        vulnerability: vulnerability.into(),
        status,
        justification: None,
        fixed_version: None,
        statement: None,
        at: updated(),
    };
    let mut fixed = statement("Gateway 3", "CVE-2021-44228", VendorStatus::Fixed);
    fixed.fixed_version = Some("3.0.7".into());
    let mut not_affected = statement("Mail 2", "cve-2021-44228", VendorStatus::NotAffected);
    not_affected.justification = Some(VexJustification::VulnerableCodeNotInExecutePath);
    not_affected.statement = Some("Mail never logs user input.".into());
    let vendors = [
        statement("ERP 5", "CVE-2021-44228", VendorStatus::Affected),
        not_affected,
        fixed,
        statement("CRM 1", "CVE-2021-44228", VendorStatus::UnderInvestigation),
        // Another vulnerability's status is not this record's.
        statement("Other 1", "CVE-2021-45046", VendorStatus::Affected),
    ];
    cve5::add_vendor_statuses(&mut exported, &v, &vendors);
    assert!(errors(Schema::Cve, &exported).is_empty(), "{:#?}", errors(Schema::Cve, &exported));
    let affected = exported["containers"]["cna"]["affected"].as_array().unwrap();
    assert_eq!(affected.len(), before + 4);
    let of = |product: &str| affected.iter().find(|a| a["product"] == product).unwrap().clone();
    assert_eq!(of("ERP 5")["defaultStatus"], "affected");
    assert_eq!(of("Mail 2")["defaultStatus"], "unaffected");
    assert_eq!(of("CRM 1")["defaultStatus"], "unknown");
    let gateway = of("Gateway 3");
    assert_eq!(gateway["defaultStatus"], "unaffected");
    assert_eq!(
        gateway["versions"],
        serde_json::json!([{"version": "0", "lessThan": "3.0.7", "status": "affected", "versionType": "custom"}])
    );
    assert!(affected.iter().all(|a| a["product"] != "Other 1"));
    let statements = &exported["containers"]["cna"][cve5::VENDORS_FIELD];
    assert_eq!(statements.as_array().unwrap().len(), 4);
    assert_eq!(statements[1]["justification"], "vulnerable_code_not_in_execute_path");
    assert_eq!(statements[1]["statement"], "Mail never logs user input.");
    // No vendor status: the record is as exported.
    let mut plain = cve5::export(&v, &cna(), updated()).unwrap();
    cve5::add_vendor_statuses(&mut plain, &v, &vendors[4..]);
    assert_eq!(plain, cve5::export(&v, &cna(), updated()).unwrap());
}
