//! Identification from every source a jar offers: several pom.properties (the outer one
//! first), pom.xml, OSGi and JPMS names, the package prefix of the classes, the table of
//! well-known artifacts and the file name, each with its evidence.

use crate::common::*;
use vulnrelay_scan::{Finding, Report};

fn coordinates(f: &Finding) -> String {
    let c = &f.component;
    format!("{}:{}:{}", c.group.as_deref().unwrap_or("?"), c.artifact, c.version.as_deref().unwrap_or("?"))
}

fn only(r: &Report) -> &Finding {
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    &r.findings[0]
}

fn has_evidence(f: &Finding, kind: &str, detail: &str) -> bool {
    f.evidence.iter().any(|e| e.kind.as_str() == kind && e.detail.contains(detail))
}

#[test]
fn two_pom_properties_are_each_reported_the_outer_one_first() {
    let dir = tempfile::tempdir().unwrap();
    // The shaded library's pom comes first in the archive; the jar's own is second.
    let jar = ZipBuilder::new()
        .add(
            "META-INF/maven/org.shaded/inner-lib/pom.properties",
            b"groupId=org.shaded\nartifactId=inner-lib\nversion=3.2\n",
            false,
        )
        .add(
            "META-INF/maven/com.acme/app/pom.properties",
            b"groupId=com.acme\nartifactId=app\nversion=1.0\n",
            false,
        )
        .add("com/acme/App.class", b"\xca\xfe\xba\xbe", false)
        .build();
    let r = scan_bytes(dir.path(), "app-1.0.jar", &jar);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let got: Vec<String> = r.findings.iter().map(coordinates).collect();
    assert_eq!(got, ["com.acme:app:1.0", "org.shaded:inner-lib:3.2"]);
    assert!(r.findings.iter().all(|f| f.confidence.as_str() == "high"));
    assert!(has_evidence(&r.findings[0], "pom.properties", "the outer one of 2 poms"));
    assert!(has_evidence(&r.findings[1], "pom.properties", "inside com.acme:app:1.0 (one of 2 poms)"));
    // Renamed so the file name says nothing: the package of its classes still points at it.
    let r = scan_bytes(dir.path(), "renamed.jar", &jar);
    let got: Vec<String> = r.findings.iter().map(coordinates).collect();
    assert_eq!(got, ["com.acme:app:1.0", "org.shaded:inner-lib:3.2"]);
    // Nothing points anywhere (no name, no classes, no manifest): the order of the entries.
    let bare = rebuild(&jar, |n| n.ends_with("pom.properties"));
    let r = scan_bytes(dir.path(), "renamed.jar", &bare);
    let got: Vec<String> = r.findings.iter().map(coordinates).collect();
    assert_eq!(got, ["org.shaded:inner-lib:3.2", "com.acme:app:1.0"]);
    // The real uber jar: its own pom (clt, named in the file name) before the shaded ones.
    let r = scan_paths(&[&jar_path("vulnerable/shaded-clt-1.0-SNAPSHOT.jar")]);
    assert_eq!(r.findings[0].component.artifact, "clt", "{:#?}", r.findings);
    assert_eq!(r.findings.len(), 4);
}

#[test]
fn a_jar_whose_own_pom_is_missing_is_named_by_its_manifest_before_the_poms_it_holds() {
    // As guice.jar in Debian: only the pom of the cglib it shaded in.
    let dir = tempfile::tempdir().unwrap();
    let jar = ZipBuilder::new()
        .add(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nAutomatic-Module-Name: com.google.guice\nBundle-SymbolicName: com.google.inject\nBundle-Version: 4.2.3\n",
            false,
        )
        .add("META-INF/maven/cglib/cglib/pom.properties", b"groupId=cglib\nartifactId=cglib\nversion=3.2.12\n", false)
        .add("com/google/inject/Guice.class", b"\xca\xfe\xba\xbe", false)
        .add("com/google/inject/internal/cglib/core/X.class", b"\xca\xfe\xba\xbe", false)
        .build();
    let r = scan_bytes(dir.path(), "guice.jar", &jar);
    let got: Vec<String> = r.findings.iter().map(coordinates).collect();
    assert_eq!(got, ["com.google.inject:guice:4.2.3", "cglib:cglib:3.2.12"]);
    assert!(has_evidence(&r.findings[0], "well-known", "com.google.inject is com.google.inject:guice"));
    assert!(has_evidence(&r.findings[1], "pom.properties", "inside com.google.inject:guice:4.2.3"));
}

fn jar_path(rel: &str) -> std::path::PathBuf {
    jar(rel)
}

#[test]
fn a_bundle_named_only_by_its_manifest() {
    // groovy-json as Debian ships it: no pom, an unversioned file name, a title that is a
    // sentence, and its name in Bundle-SymbolicName.
    let dir = tempfile::tempdir().unwrap();
    let manifest = "Manifest-Version: 1.0\r\n\
        Implementation-Title: Groovy: a powerful, dynamic language for the JVM\r\n\
        Implementation-Version: 2.4.21\r\n\
        Bundle-ManifestVersion: 2\r\n\
        Bundle-Name: groovy-json\r\n\
        Bundle-SymbolicName: groovy-json\r\n\
        Bundle-Version: 2.4.21\r\n\
        Export-Package: groovy.json;version=\"2.4.21\",org.apache.groovy.json.i\r\n nternal;version=\"2.4.21\"\r\n\r\n";
    let jar = ZipBuilder::new()
        .add("META-INF/MANIFEST.MF", manifest.as_bytes(), false)
        .add("groovy/json/JsonSlurper.class", b"\xca\xfe\xba\xbe", false)
        .add("groovy/json/JsonOutput.class", b"\xca\xfe\xba\xbe", false)
        .build();
    let r = scan_bytes(dir.path(), "groovy-json.jar", &jar);
    let f = only(&r);
    assert_eq!(coordinates(f), "org.codehaus.groovy:groovy-json:2.4.21");
    assert_eq!(f.confidence.as_str(), "medium");
    assert!(has_evidence(f, "manifest", "Bundle-SymbolicName: groovy-json"));
    assert!(has_evidence(f, "manifest", "Implementation-Version: 2.4.21"));
    assert!(has_evidence(f, "well-known", "org.codehaus.groovy"));
}

#[test]
fn bundle_names_module_names_and_vendor_ids() {
    let dir = tempfile::tempdir().unwrap();
    let jar = |manifest: &str, classes: &[&str]| {
        let mut b = ZipBuilder::new().add("META-INF/MANIFEST.MF", manifest.as_bytes(), false);
        for c in classes {
            b = b.add(c, b"\xca\xfe\xba\xbe", false);
        }
        b.build()
    };
    // maven-bundle-plugin's `group.artifact`, inverted with the (unversioned) file name.
    let r = scan_bytes(
        dir.path(),
        "jackson-core.jar",
        &jar(
            "Bundle-SymbolicName: com.fasterxml.jackson.core.jackson-core\nBundle-Version: 2.14.1\n",
            &["com/fasterxml/jackson/core/JsonParser.class"],
        ),
    );
    assert_eq!(coordinates(only(&r)), "com.fasterxml.jackson.core:jackson-core:2.14.1");
    // A family: jetty's bundles.
    let r = scan_bytes(
        dir.path(),
        "jetty-util.jar",
        &jar("Bundle-SymbolicName: org.eclipse.jetty.util\nBundle-Version: 9.4.50.v20221201\n", &[]),
    );
    let f = only(&r);
    assert_eq!(coordinates(f), "org.eclipse.jetty:jetty-util:9.4.50.v20221201");
    assert!(has_evidence(f, "well-known", "org.eclipse.jetty.* is org.eclipse.jetty:jetty-util"));
    // The module name in the table.
    let r = scan_bytes(
        dir.path(),
        "x.jar",
        &jar("Automatic-Module-Name: org.apache.commons.lang3\nImplementation-Version: 3.12.0\n", &[]),
    );
    assert_eq!(coordinates(only(&r)), "org.apache.commons:commons-lang3:3.12.0");
    // A vendor id as the group, the file name as the artifact.
    let r = scan_bytes(
        dir.path(),
        "widget-2.0.jar",
        &jar(
            "Implementation-Title: The Widget Library\nImplementation-Vendor-Id: com.example.widgets\n",
            &[],
        ),
    );
    let f = only(&r);
    assert_eq!(coordinates(f), "com.example.widgets:widget:2.0");
    assert!(has_evidence(f, "file-name", "widget-2.0.jar"));
    assert!(has_evidence(f, "manifest", "Implementation-Vendor-Id: com.example.widgets"));
}

#[test]
fn a_group_from_the_package_root_and_a_version_cut_from_its_words() {
    // Lucene as Debian builds it: no pom, no group anywhere, a version followed by words.
    let dir = tempfile::tempdir().unwrap();
    let manifest = "Manifest-Version: 1.0\r\n\
        Implementation-Title: org.apache.lucene\r\n\
        Implementation-Version: 4.10.4 ${svnversion} - buildd - 1969-12-31 10:29:09\r\n\r\n";
    let jar = ZipBuilder::new()
        .add("META-INF/MANIFEST.MF", manifest.as_bytes(), false)
        .add("org/apache/lucene/analysis/core/KeywordAnalyzer.class", b"\xca\xfe\xba\xbe", false)
        .add("org/apache/lucene/analysis/util/CharArraySet.class", b"\xca\xfe\xba\xbe", false)
        .build();
    let r = scan_bytes(dir.path(), "lucene-analyzers-common.jar", &jar);
    let f = only(&r);
    assert_eq!(coordinates(f), "org.apache.lucene:lucene-analyzers-common:4.10.4");
    // Lucene's artifacts are in the table; the package root gives another project's group.
    assert!(has_evidence(f, "well-known", "lucene-* is in org.apache.lucene"));
    assert!(has_evidence(f, "manifest", "Implementation-Version: 4.10.4 ${svnversion}"));
    // Two classes in `package` and a manifest stating `version`.
    let classes = |package: &str, version: &str| {
        let manifest = format!("Implementation-Version: {version}\r\n\r\n");
        ZipBuilder::new()
            .add("META-INF/MANIFEST.MF", manifest.as_bytes(), false)
            .add(&format!("{package}/A.class"), b"\xca\xfe\xba\xbe", false)
            .add(&format!("{package}/B.class"), b"\xca\xfe\xba\xbe", false)
            .build()
    };
    let r = scan_bytes(dir.path(), "gizmo-core.jar", &classes("org/example/gizmo/core", "2.1"));
    let f = only(&r);
    assert_eq!(coordinates(f), "org.example.gizmo:gizmo-core:2.1");
    assert!(has_evidence(f, "package-prefix", "org/example/gizmo/core/"));
    // A package whose parts do not name the artifact's first word gives no group.
    let r = scan_bytes(dir.path(), "widgets.jar", &classes("com/example/util", "1.0"));
    assert_eq!(coordinates(only(&r)), "?:widgets:1.0");
}

#[test]
fn package_prefix_and_pom_xml() {
    let dir = tempfile::tempdir().unwrap();
    // No manifest, no pom: the classes' package is in the table; the file name dates it.
    let jar = ZipBuilder::new()
        .add("org/apache/commons/io/IOUtils.class", b"\xca\xfe\xba\xbe", false)
        .add("org/apache/commons/io/FileUtils.class", b"\xca\xfe\xba\xbe", false)
        .build();
    let r = scan_bytes(dir.path(), "io-2.11.0.jar", &jar);
    let f = only(&r);
    assert_eq!(coordinates(f), "commons-io:commons-io:2.11.0");
    assert!(has_evidence(f, "package-prefix", "org/apache/commons/io/"));
    assert!(has_evidence(f, "well-known", "org.apache.commons.io is commons-io:commons-io"));
    // Classes that share no two-part package name nothing from the table.
    let jar = ZipBuilder::new()
        .add("org/apache/commons/io/IOUtils.class", b"\xca\xfe\xba\xbe", false)
        .add("com/other/Thing.class", b"\xca\xfe\xba\xbe", false)
        .build();
    let r = scan_bytes(dir.path(), "io-2.11.0.jar", &jar);
    assert_eq!(coordinates(only(&r)), "?:io:2.11.0");
    assert_eq!(only(&r).confidence.as_str(), "low");
    // A pom.xml without a pom.properties beside it: group and version from its parent.
    let pom = "<?xml version=\"1.0\"?>\n<project><modelVersion>4.0.0</modelVersion>\
        <parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>4.1</version></parent>\
        <artifactId>child</artifactId><dependencies><dependency><groupId>junit</groupId>\
        <artifactId>junit</artifactId><version>4.13</version></dependency></dependencies></project>";
    let jar =
        ZipBuilder::new().add("META-INF/maven/org.example/child/pom.xml", pom.as_bytes(), false).build();
    let r = scan_bytes(dir.path(), "whatever.jar", &jar);
    let f = only(&r);
    assert_eq!(coordinates(f), "org.example:child:4.1");
    assert_eq!(f.confidence.as_str(), "high");
    assert!(has_evidence(f, "pom.xml", "META-INF/maven/org.example/child/pom.xml"));
    // Beside a pom.properties, the pom.xml is not read: one component.
    let jar = ZipBuilder::new()
        .add("META-INF/maven/org.example/child/pom.xml", pom.as_bytes(), false)
        .add(
            "META-INF/maven/org.example/child/pom.properties",
            b"groupId=org.example\nartifactId=child\nversion=4.1\n",
            false,
        )
        .build();
    let r = scan_bytes(dir.path(), "whatever.jar", &jar);
    assert!(has_evidence(only(&r), "pom.properties", "child/pom.properties"));
}

#[test]
fn components_named_without_a_pom_are_matched_against_advisories() {
    // Every identified component is matched, not only Log4j and not only those with a pom:
    // a bundle named by its manifest, a jar named by its classes' package and file name.
    let dir = tempfile::tempdir().unwrap();
    let groovy = ZipBuilder::new()
        .add(
            "META-INF/MANIFEST.MF",
            b"Implementation-Title: Groovy: a powerful, dynamic language for the JVM\nBundle-SymbolicName: groovy-json\nBundle-Version: 2.4.21\n",
            false,
        )
        .add("groovy/json/JsonSlurper.class", b"\xca\xfe\xba\xbe", false)
        .build();
    std::fs::write(dir.path().join("groovy-json.jar"), groovy).unwrap();
    let io = ZipBuilder::new().add("org/apache/commons/io/IOUtils.class", b"\xca\xfe\xba\xbe", false).build();
    std::fs::write(dir.path().join("io-2.6.jar"), io).unwrap();
    let adv = dir.path().join("advisories.json");
    std::fs::write(
        &adv,
        r#"[{"id": "GHSA-groovy", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2099-0002"],
             "affected": [{"package": {"ecosystem": "Maven", "name": "org.codehaus.groovy:groovy-json"},
               "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.4.22"}]}]}]},
            {"id": "GHSA-io", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2099-0003"],
             "affected": [{"package": {"ecosystem": "Maven", "name": "commons-io:commons-io"},
               "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.7"}]}]}]}]"#,
    )
    .unwrap();
    let mut opts = vulnrelay_scan::Options::new(vec![dir.path().to_path_buf()]);
    assert_eq!(opts.advisories.load_path(&adv).unwrap(), 2);
    let r = vulnrelay_scan::scan(&opts).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let by_artifact = |a: &str| r.findings.iter().find(|f| f.component.artifact == a).unwrap();
    let g = by_artifact("groovy-json");
    assert_eq!(verdicts(g), [("CVE-2099-0002".into(), "affected")]);
    assert_eq!(g.upgrade_to().as_deref(), Some("2.4.22"));
    let io = by_artifact("commons-io");
    assert_eq!(verdicts(io), [("CVE-2099-0003".into(), "affected")]);
    assert_eq!(io.upgrade_to().as_deref(), Some("2.7"));
    assert_eq!(r.exit_code(), 1);
}

/// A jar of `classes` (empty class files) with `manifest` when it is not empty.
fn jar_of(manifest: &str, classes: &[&str]) -> Vec<u8> {
    let mut b = ZipBuilder::new();
    if !manifest.is_empty() {
        b = b.add("META-INF/MANIFEST.MF", manifest.as_bytes(), false);
    }
    for c in classes {
        b = b.add(c, b"\xca\xfe\xba\xbe", false);
    }
    b.build()
}

/// The coordinates of the only component of a jar named `name` holding `manifest` and
/// `classes` ([`jar_of`]).
fn named(dir: &std::path::Path, name: &str, manifest: &str, classes: &[&str]) -> String {
    coordinates(only(&scan_bytes(dir, name, &jar_of(manifest, classes))))
}

#[test]
fn well_known_artifact_groups_and_groups_by_major_version() {
    let dir = tempfile::tempdir().unwrap();
    // OpenJFX's modules: the file name's artifact is in the table's family.
    let r =
        scan_bytes(dir.path(), "javafx-web-11.jar", &jar_of("Automatic-Module-Name: javafx.webEmpty\n", &[]));
    let f = only(&r);
    assert_eq!(coordinates(f), "org.openjfx:javafx-web:11");
    assert!(has_evidence(f, "well-known", "javafx-* is in org.openjfx"), "{:?}", f.evidence);
    assert!(has_evidence(f, "file-name", "javafx-web-11.jar"));
    // JLine's group depends on its major version, which the file name states.
    let classes = ["jline/ConsoleReader.class", "jline/Terminal.class"];
    let r = scan_bytes(dir.path(), "jline-1.0.jar", &jar_of("", &classes));
    let f = only(&r);
    assert_eq!(coordinates(f), "jline:jline:1.0");
    assert!(has_evidence(f, "well-known", "jline 1.0 is in jline"), "{:?}", f.evidence);
    assert_eq!(named(dir.path(), "jline-3.3.1.jar", "", &classes), "org.jline:jline:3.3.1");
    // A bundle name in the table, in a jar whose file name extends its artifact: a sibling of
    // the family (commons-logging's api jar carries the same manifest name).
    let bundle = "Bundle-SymbolicName: org.apache.commons.logging\nBundle-Version: 1.2.0\n";
    let got = named(dir.path(), "commons-logging-api-1.2.jar", bundle, &[]);
    assert_eq!(got, "commons-logging:commons-logging-api:1.2");
    // A group that changed at a version that is no bare major: c3p0:c3p0 up to 0.9.1.2.
    let mchange = ["com/mchange/v2/c3p0/A.class", "com/mchange/v2/c3p0/B.class"];
    let m = "Implementation-Vendor-Id: com.mchange\nImplementation-Version: 0.9.1.2\n";
    assert_eq!(named(dir.path(), "c3p0-0.9.1.2.jar", m, &mchange), "c3p0:c3p0:0.9.1.2");
    let m = "Implementation-Vendor-Id: com.mchange\nImplementation-Version: 0.9.5.5\n";
    assert_eq!(named(dir.path(), "c3p0-0.9.5.5.jar", m, &mchange), "com.mchange:c3p0:0.9.5.5");
    // An artifact id with an underscore, spelled with a dash in the file name.
    let xpp3 = ["org/xmlpull/v1/XmlPullParser.class", "org/xmlpull/mxp1/MXParser.class"];
    let r = scan_bytes(dir.path(), "xpp3-min-1.1.4c.jar", &jar_of("", &xpp3));
    let f = only(&r);
    assert_eq!(coordinates(f), "xpp3:xpp3_min:1.1.4c");
    assert!(has_evidence(f, "well-known", "xpp3-min spells the artifact id xpp3_min"), "{:?}", f.evidence);
    // Rhino by its bundle name, whatever the file is called.
    let m = "Bundle-SymbolicName: org.mozilla.rhino\nBundle-Version: 1.7.14\n";
    assert_eq!(named(dir.path(), "js-1.7.14.jar", m, &[]), "org.mozilla:rhino:1.7.14");
}

#[test]
fn a_package_part_that_extends_the_artifacts_first_word_gives_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let acme = ["com/acmesoft/utils/A.class", "com/acmesoft/proxy/B.class", "com/acmesoft/C.class"];
    let r = scan_bytes(dir.path(), "acme-2.7.jar", &jar_of("", &acme));
    let f = only(&r);
    assert_eq!(coordinates(f), "com.acmesoft:acme:2.7");
    assert!(has_evidence(f, "package-prefix", "com/acmesoft/"), "{:?}", f.evidence);
    // A part that the word extends is no evidence (EclipseLink is not in org.eclipse), nor
    // is a word shorter than four letters.
    let persistence = ["org/eclipse/persistence/A.class", "org/eclipse/persistence/B.class"];
    assert_eq!(named(dir.path(), "eclipselink-2.7.9.jar", "", &persistence), "?:eclipselink:2.7.9");
    let abcdef = ["org/abcdef/x/A.class", "org/abcdef/x/B.class"];
    assert_eq!(named(dir.path(), "abc-1.0.jar", "", &abcdef), "?:abc:1.0");
}

#[test]
fn a_file_named_group_dot_artifact() {
    let dir = tempfile::tempdir().unwrap();
    // Classes of the group's organisation, outside the group's package.
    let builder = ["com/android/builder/A.class", "com/android/dx/B.class"];
    let r = scan_bytes(dir.path(), "com.android.tools.build.builder-2.2.2.jar", &jar_of("", &builder));
    let f = only(&r);
    assert_eq!(coordinates(f), "com.android.tools.build:builder:2.2.2");
    assert!(has_evidence(f, "well-known", "groupId.artifactId-version.jar"), "{:?}", f.evidence);
    assert!(has_evidence(f, "package-prefix", "com/android/"));
    // In the group's package, the last word reads as a module's artifact id.
    let lint = ["com/android/tools/lint/client/A.class", "com/android/tools/lint/detector/B.class"];
    let got = named(dir.path(), "com.android.tools.lint.lint-api-25.2.2.jar", "", &lint);
    assert_eq!(got, "com.android.tools.lint:lint-api:25.2.2");
    // A bundle named after its package and one more word is an artifact id of its own, in
    // the group of the package above it, where its classes are.
    let wala = ["com/ibm/wala/classLoader/A.class", "com/ibm/wala/ipa/B.class"];
    let r = scan_bytes(dir.path(), "com.ibm.wala.core-1.5.2.jar", &jar_of("", &wala));
    let f = only(&r);
    assert_eq!(coordinates(f), "com.ibm.wala:com.ibm.wala.core:1.5.2");
    assert!(has_evidence(f, "well-known", "a bundle named after its package"), "{:?}", f.evidence);
    // Not Eclipse's own bundles, nor when its last part is no package name (an underscore).
    let swt = ["org/eclipse/swt/A.class", "org/eclipse/swt/widgets/B.class"];
    assert_eq!(named(dir.path(), "org.eclipse.swt-4.x.jar", "", &swt), "?:org.eclipse.swt:4.x");
    assert_eq!(named(dir.path(), "com.ibm.wala.core_x-1.5.2.jar", "", &wala), "?:com.ibm.wala.core_x:1.5.2");
    // A last word with a capital is no package name: groupId.artifactId, when the classes
    // share a part of the group after its first; not otherwise.
    let binding = ["android/databinding/A.class", "android/databinding/B.class"];
    let got = named(dir.path(), "com.android.databinding.baseLibrary-2.0.0.jar", "", &binding);
    assert_eq!(got, "com.android.databinding:baseLibrary:2.0.0");
    let got = named(dir.path(), "com.example.tools.baseLibrary-2.0.0.jar", "", &binding);
    assert_eq!(got, "?:com.example.tools.baseLibrary:2.0.0");
    // Another organisation's classes, or none: no group.
    let other = ["org/other/x/A.class"];
    assert_eq!(named(dir.path(), "com.example.tool-1.0.jar", "", &other), "?:com.example.tool:1.0");
    let version = "Implementation-Version: 1.0\n";
    assert_eq!(named(dir.path(), "com.example.tool-1.0.jar", version, &[]), "?:com.example.tool:1.0");
}

#[test]
fn a_manifest_version_takes_the_file_names_spelling_and_apache_is_no_group() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = "Implementation-Vendor-Id: org.bouncycastle\nImplementation-Version: 1.72.0\n";
    let classes = ["org/bouncycastle/crypto/A.class", "org/bouncycastle/asn1/B.class"];
    let r = scan_bytes(dir.path(), "bcprov-1.72.jar", &jar_of(manifest, &classes));
    let f = only(&r);
    assert_eq!(coordinates(f), "org.bouncycastle:bcprov:1.72");
    assert!(has_evidence(f, "manifest", "Implementation-Version: 1.72.0"));
    assert!(has_evidence(f, "file-name", "bcprov-1.72.jar"));
    // Another version in the file name: the manifest's, as it states it.
    assert_eq!(named(dir.path(), "bcprov-1.71.jar", manifest, &classes), "org.bouncycastle:bcprov:1.72.0");
    // Not the same by Maven's ordering (1.70 is not 1.7): the manifest's.
    let m = "Implementation-Version: 1.70\nImplementation-Vendor-Id: com.example\n";
    assert_eq!(named(dir.path(), "widget-1.7.jar", m, &[]), "com.example:widget:1.70");
    // The vendor id the Apache parent poms set is not the project's group.
    let m = "Implementation-Vendor-Id: org.apache\nImplementation-Version: 1.0\n";
    assert_eq!(named(dir.path(), "widget-1.0.jar", m, &["com/example/x/A.class"]), "?:widget:1.0");
}

#[test]
fn the_outer_pom_by_the_bundle_plugins_naming_and_an_artifact_id_the_title_states() {
    let dir = tempfile::tempdir().unwrap();
    // An aggregate bundle holding its modules' poms, named `org.jline`: maven-bundle-plugin's
    // symbolic name of org.jline:jline (the artifact is the group's last part).
    let pom = |a: &str| format!("groupId=org.jline\nartifactId={a}\nversion=3.3.1\n");
    let jar = ZipBuilder::new()
        .add("META-INF/MANIFEST.MF", b"Bundle-SymbolicName: org.jline\nBundle-Version: 3.3.1\n", false)
        .add(
            "META-INF/maven/org.jline/jline-builtins/pom.properties",
            pom("jline-builtins").as_bytes(),
            false,
        )
        .add("META-INF/maven/org.jline/jline/pom.properties", pom("jline").as_bytes(), false)
        .add("org/jline/builtins/A.class", b"\xca\xfe\xba\xbe", false)
        .build();
    let r = scan_bytes(dir.path(), "jline3.jar", &jar);
    let got: Vec<String> = r.findings.iter().map(coordinates).collect();
    assert_eq!(got, ["org.jline:jline:3.3.1", "org.jline:jline-builtins:3.3.1"]);
    // A title that is an artifact id (with a dash) over a file name that says another.
    let m = "Implementation-Title: acme-tools-core\nImplementation-Version: 1.0\nImplementation-Vendor-Id: com.acme\n";
    let r = scan_bytes(dir.path(), "acme2-tools-1.x.jar", &jar_of(m, &[]));
    let f = only(&r);
    assert_eq!(coordinates(f), "com.acme:acme-tools-core:1.0");
    assert!(has_evidence(f, "manifest", "Implementation-Title: acme-tools-core"));
    // A one-word title is no artifact id of its own: the file name's.
    let m = "Implementation-Title: acme\nImplementation-Version: 1.0\nImplementation-Vendor-Id: com.acme\n";
    assert_eq!(named(dir.path(), "acme-tools-1.0.jar", m, &[]), "com.acme:acme-tools:1.0");
    // A family's artifact made from the package name gives way to the one the title states.
    let m = "Implementation-Title: spring-webmvc-portlet\nImplementation-Version: 4.3.30.RELEASE\n";
    let portlet = ["org/springframework/web/portlet/A.class", "org/springframework/web/portlet/B.class"];
    let got = named(dir.path(), "spring3-web.portlet-3.x.jar", m, &portlet);
    assert_eq!(got, "org.springframework:spring-webmvc-portlet:4.3.30.RELEASE");
}
