//! Naming a Java component that carries no `pom.properties`: from its `pom.xml`, its OSGi
//! and JPMS names (`Bundle-SymbolicName`, `Automatic-Module-Name`), its
//! `Implementation-Vendor-Id`, the package prefix of its classes, a table of well-known
//! artifacts, and its file name last. Pure functions of text, no IO.

use vulnrelay_formats::maven_version::MavenVersion;

/// Well-known artifacts by a dotted name (a bundle symbolic name, a module name or a package
/// prefix): the exact name, its Maven group and artifact.
const WELL_KNOWN: &[(&str, &str, &str)] = &[
    ("org.apache.log4j", "log4j", "log4j"),
    ("org.apache.logging.log4j", "org.apache.logging.log4j", "log4j-api"),
    ("org.apache.logging.log4j.core", "org.apache.logging.log4j", "log4j-core"),
    ("com.google.common", "com.google.guava", "guava"),
    ("com.google.guava", "com.google.guava", "guava"),
    ("com.google.gson", "com.google.code.gson", "gson"),
    ("org.apache.commons.io", "commons-io", "commons-io"),
    ("org.apache.commons.lang", "commons-lang", "commons-lang"),
    ("org.apache.commons.lang3", "org.apache.commons", "commons-lang3"),
    ("org.apache.commons.text", "org.apache.commons", "commons-text"),
    ("org.apache.commons.collections", "commons-collections", "commons-collections"),
    ("org.apache.commons.collections4", "org.apache.commons", "commons-collections4"),
    ("org.apache.commons.codec", "commons-codec", "commons-codec"),
    ("org.apache.commons.logging", "commons-logging", "commons-logging"),
    ("org.apache.commons.compress", "org.apache.commons", "commons-compress"),
    ("org.apache.commons.beanutils", "commons-beanutils", "commons-beanutils"),
    ("org.apache.commons.cli", "commons-cli", "commons-cli"),
    ("org.apache.commons.net", "commons-net", "commons-net"),
    ("org.apache.commons.pool2", "org.apache.commons", "commons-pool2"),
    ("org.apache.commons.dbcp2", "org.apache.commons", "commons-dbcp2"),
    ("org.apache.commons.configuration2", "org.apache.commons", "commons-configuration2"),
    ("org.apache.commons.math3", "org.apache.commons", "commons-math3"),
    ("org.apache.commons.fileupload", "commons-fileupload", "commons-fileupload"),
    ("org.apache.commons.digester", "commons-digester", "commons-digester"),
    ("org.apache.commons.validator", "commons-validator", "commons-validator"),
    ("org.apache.commons.jxpath", "commons-jxpath", "commons-jxpath"),
    ("org.slf4j", "org.slf4j", "slf4j-api"),
    ("slf4j.api", "org.slf4j", "slf4j-api"),
    ("junit", "junit", "junit"),
    ("org.junit", "junit", "junit"),
    ("junit.framework", "junit", "junit"),
    ("org.hamcrest", "org.hamcrest", "hamcrest"),
    ("com.fasterxml.jackson.core", "com.fasterxml.jackson.core", "jackson-core"),
    ("com.fasterxml.jackson.databind", "com.fasterxml.jackson.core", "jackson-databind"),
    ("com.fasterxml.jackson.annotation", "com.fasterxml.jackson.core", "jackson-annotations"),
    ("org.yaml.snakeyaml", "org.yaml", "snakeyaml"),
    ("org.objectweb.asm", "org.ow2.asm", "asm"),
    ("org.apache.xerces", "xerces", "xercesImpl"),
    ("org.dom4j", "org.dom4j", "dom4j"),
    ("org.jdom2", "org.jdom", "jdom2"),
    ("org.jsoup", "org.jsoup", "jsoup"),
    ("javax.servlet", "javax.servlet", "javax.servlet-api"),
    ("javax.inject", "javax.inject", "javax.inject"),
    ("org.antlr.runtime", "org.antlr", "antlr-runtime"),
    ("org.antlr.v4.runtime", "org.antlr", "antlr4-runtime"),
    ("org.xerial.snappy", "org.xerial.snappy", "snappy-java"),
    ("org.tukaani.xz", "org.tukaani", "xz"),
    ("com.jcraft.jsch", "com.jcraft", "jsch"),
    ("org.codehaus.plexus.util", "org.codehaus.plexus", "plexus-utils"),
    ("org.apache.httpcomponents.httpcore", "org.apache.httpcomponents", "httpcore"),
    ("org.apache.httpcomponents.httpclient", "org.apache.httpcomponents", "httpclient"),
    ("org.apache.http", "org.apache.httpcomponents", "httpcore"),
    ("org.apache.http.impl.client", "org.apache.httpcomponents", "httpclient"),
    ("org.mockito", "org.mockito", "mockito-core"),
    ("net.bytebuddy", "net.bytebuddy", "byte-buddy"),
    ("org.osgi.core", "org.osgi", "osgi.core"),
    ("com.google.inject", "com.google.inject", "guice"),
    ("org.aopalliance", "aopalliance", "aopalliance"),
    // Rhino's bundle and module name.
    ("org.mozilla.rhino", "org.mozilla", "rhino"),
];

/// Families whose bundles are named `<prefix><rest>`: the group, and how the artifact is
/// formed from `<rest>` (`{}` replaced by it, dots turned into dashes).
const FAMILIES: &[(&str, &str, &str)] = &[
    ("org.eclipse.jetty.", "org.eclipse.jetty", "jetty-{}"),
    ("org.springframework.", "org.springframework", "spring-{}"),
    ("spring.", "org.springframework", "spring-{}"),
    ("io.netty.", "io.netty", "netty-{}"),
    ("com.fasterxml.jackson.dataformat.", "com.fasterxml.jackson.dataformat", "jackson-dataformat-{}"),
    ("com.fasterxml.jackson.datatype.", "com.fasterxml.jackson.datatype", "jackson-datatype-{}"),
    ("org.apache.maven.", "org.apache.maven", "maven-{}"),
    ("com.google.inject.", "com.google.inject.extensions", "guice-{}"),
];

/// Well-known artifact ids (exact, or a family `prefix-*`) and their group, for jars named
/// only by their file or an artifact-like bundle name.
const ARTIFACT_GROUPS: &[(&str, &str)] = &[
    ("ant", "org.apache.ant"),
    ("ant-*", "org.apache.ant"),
    ("derby", "org.apache.derby"),
    ("derby*", "org.apache.derby"),
    ("fop", "org.apache.xmlgraphics"),
    ("fop-*", "org.apache.xmlgraphics"),
    ("batik-*", "org.apache.xmlgraphics"),
    ("xmlgraphics-commons", "org.apache.xmlgraphics"),
    ("xmlbeans", "org.apache.xmlbeans"),
    ("picocli", "info.picocli"),
    ("picocli-*", "info.picocli"),
    ("hamcrest-*", "org.hamcrest"),
    ("mongodb-driver", "org.mongodb"),
    ("mongodb-driver-*", "org.mongodb"),
    ("jsr311-api", "javax.ws.rs"),
    ("javax.ws.rs-api", "javax.ws.rs"),
    ("junit", "junit"),
    ("commons-io", "commons-io"),
    ("commons-lang", "commons-lang"),
    ("commons-logging", "commons-logging"),
    ("commons-logging-*", "commons-logging"),
    ("commons-codec", "commons-codec"),
    ("commons-cli", "commons-cli"),
    ("commons-collections", "commons-collections"),
    ("commons-lang3", "org.apache.commons"),
    ("commons-text", "org.apache.commons"),
    ("commons-compress", "org.apache.commons"),
    ("guava", "com.google.guava"),
    ("gson", "com.google.code.gson"),
    ("jackson-core", "com.fasterxml.jackson.core"),
    ("jackson-databind", "com.fasterxml.jackson.core"),
    ("jackson-annotations", "com.fasterxml.jackson.core"),
    ("slf4j-*", "org.slf4j"),
    ("tomcat-embed-*", "org.apache.tomcat.embed"),
    ("tomcat-*", "org.apache.tomcat"),
    ("log4j", "log4j"),
    // OpenJFX's modules since 11: org.openjfx:javafx-base, javafx-controls, javafx-web, ...
    ("javafx-*", "org.openjfx"),
    // LibreOffice's UNO jars are published as org.libreoffice:juh, jurt, ridl, unoil and
    // libreoffice.
    ("juh", "org.libreoffice"),
    ("jurt", "org.libreoffice"),
    ("ridl", "org.libreoffice"),
    ("unoil", "org.libreoffice"),
    ("unoloader", "org.libreoffice"),
    ("libreoffice", "org.libreoffice"),
    // Old projects whose group is their artifact id on Maven Central.
    ("xpp3", "xpp3"),
    ("ognl", "ognl"),
    ("jdepend", "jdepend"),
    ("logkit", "logkit"),
    ("isorelax", "isorelax"),
    ("proxool", "proxool"),
    ("axis", "axis"),
    ("axis-jaxrpc", "axis"),
    ("axis-saaj", "axis"),
    ("axis-ant", "axis"),
    // The OSGi Alliance's specification jars: org.osgi:osgi.core, osgi.annotation, osgi.cmpn.
    ("osgi.*", "org.osgi"),
    // Projects published under a group that is not in their package names.
    ("lombok", "org.projectlombok"),
    ("trove4j", "net.sf.trove4j"),
    ("jxl", "net.sourceforge.jexcelapi"),
    ("ij", "net.imagej"),
    ("jfreechart", "org.jfree"),
    ("jcommon", "org.jfree"),
    ("jide-oss", "com.jidesoft"),
    ("jamon", "com.jamonapi"),
    ("swing-layout", "org.swinglabs"),
    ("beansbinding", "org.jdesktop"),
    ("itext-rtf", "com.lowagie"),
    ("btm", "org.codehaus.btm"),
    ("ganymed-ssh2", "ch.ethz.ganymed"),
    ("proguard-core", "com.guardsquare"),
    ("glazedlists_java15", "net.java.dev.glazedlists"),
    ("osmpbf", "org.openstreetmap.pbf"),
    ("biojava-*", "org.biojava"),
    ("spock-*", "org.spockframework"),
    ("atomicfu-*", "org.jetbrains.kotlinx"),
    ("sop-java-*", "org.pgpainless"),
    ("castor-*", "org.codehaus.castor"),
    ("apacheds-jdbm1", "org.apache.directory.jdbm"),
    ("apacheds-jdbm2", "org.apache.directory.jdbm"),
    ("aspectjweaver", "org.aspectj"),
    ("aspectjrt", "org.aspectj"),
    ("aspectjtools", "org.aspectj"),
    ("h2", "com.h2database"),
    ("jna", "net.java.dev.jna"),
    ("jna-platform", "net.java.dev.jna"),
    ("jbcrypt", "org.mindrot"),
    ("findbugs", "com.google.code.findbugs"),
    ("josql", "net.sf.josql"),
    ("gentlyweb-utils", "net.sf.josql"),
    ("AbsoluteLayout", "org.netbeans.external"),
    ("org-openide-*", "org.netbeans.api"),
    ("commons-daemon", "commons-daemon"),
    ("bsf", "bsf"),
    ("xom", "xom"),
    ("xmlunit", "xmlunit"),
    ("xmlenc", "xmlenc"),
    ("werken-xpath", "werken-xpath"),
    ("jgraph", "jgraph"),
    ("easyconf", "easyconf"),
    ("eigenbase-*", "eigenbase"),
    ("xml-apis", "xml-apis"),
    ("xml-apis-ext", "xml-apis"),
    ("atomicfu", "org.jetbrains.kotlinx"),
    ("jets3t", "net.java.dev.jets3t"),
    ("apksig", "com.android.tools.build"),
    ("vldocking", "com.vldocking"),
    ("jing", "org.relaxng"),
    ("jsr305", "com.google.code.findbugs"),
    ("junit5-system-exit", "com.ginsberg"),
    ("jargs", "jargs"),
    // Apache Commons components whose group is their artifact id (the later ones, and
    // the new majors such as commons-pool2, are in org.apache.commons).
    ("commons-beanutils", "commons-beanutils"),
    ("commons-betwixt", "commons-betwixt"),
    ("commons-chain", "commons-chain"),
    ("commons-configuration", "commons-configuration"),
    ("commons-dbcp", "commons-dbcp"),
    ("commons-dbutils", "commons-dbutils"),
    ("commons-digester", "commons-digester"),
    ("commons-discovery", "commons-discovery"),
    ("commons-el", "commons-el"),
    ("commons-fileupload", "commons-fileupload"),
    ("commons-httpclient", "commons-httpclient"),
    ("commons-jelly", "commons-jelly"),
    ("commons-jxpath", "commons-jxpath"),
    ("commons-launcher", "commons-launcher"),
    ("commons-modeler", "commons-modeler"),
    ("commons-net", "commons-net"),
    ("commons-pool", "commons-pool"),
    ("commons-primitives", "commons-primitives"),
    ("commons-transaction", "commons-transaction"),
    ("commons-validator", "commons-validator"),
    // More old projects whose group is their artifact id.
    ("stax", "stax"),
    ("stax-api", "stax"),
    ("relaxngDatatype", "relaxngDatatype"),
    ("httpunit", "httpunit"),
    ("dumbster", "dumbster"),
    ("swarmcache", "swarmcache"),
    ("xml-resolver", "xml-resolver"),
    // Xalan-J's serializer, published beside xalan:xalan.
    ("serializer", "xalan"),
    // ZeroC Ice 3.7's jars, of both Java mappings (the compat one's classes have no
    // organisation in their packages).
    ("ice", "com.zeroc"),
    ("ice-compat", "com.zeroc"),
    ("glacier2", "com.zeroc"),
    ("glacier2-compat", "com.zeroc"),
    ("icebox", "com.zeroc"),
    ("icebox-compat", "com.zeroc"),
    ("icediscovery", "com.zeroc"),
    ("icediscovery-compat", "com.zeroc"),
    ("icegrid", "com.zeroc"),
    ("icegrid-compat", "com.zeroc"),
    ("icelocatordiscovery", "com.zeroc"),
    ("icelocatordiscovery-compat", "com.zeroc"),
    ("icepatch2", "com.zeroc"),
    ("icepatch2-compat", "com.zeroc"),
    ("icestorm", "com.zeroc"),
    ("icestorm-compat", "com.zeroc"),
    // Projects published under a group that is not in their package names (2).
    ("kotlinx-*", "org.jetbrains.kotlinx"),
    ("lucene-*", "org.apache.lucene"),
    ("fontawesomefx-*", "de.jensd"),
    ("gatk-*", "org.broadinstitute"),
    ("jsr166y", "org.codehaus.jsr166-mirror"),
    ("extra166y", "org.codehaus.jsr166-mirror"),
    ("j2ssh-*", "sshtools"),
    ("jFormatString", "com.google.code.findbugs"),
    ("pmaven-*", "org.sonatype.pmaven"),
    ("smali", "org.smali"),
    ("baksmali", "org.smali"),
    ("dexlib2", "org.smali"),
    ("gpars", "org.codehaus.gpars"),
    ("jcsp", "org.codehaus.jcsp"),
    ("jarjar", "com.googlecode.jarjar"),
    ("autocomplete", "com.fifesoft"),
    ("zipflinger", "com.android"),
    ("jchart2d", "net.sf.jchart2d"),
    ("jt400", "net.sf.jt400"),
    ("jutils", "net.java.jutils"),
    ("native-platform", "net.rubygrapefruit"),
    ("milib", "com.milaboratory"),
    ("nekohtml", "net.sourceforge.nekohtml"),
    // iText up to 2.1.7 (iText 5 is com.itextpdf:itextpdf).
    ("itext", "com.lowagie"),
    // Guice's extensions (guice-assistedinject, guice-servlet, guice-multibindings, ...).
    ("guice-*", "com.google.inject.extensions"),
    ("caffeine", "com.github.ben-manes.caffeine"),
    // Mojarra's API and implementation before Jakarta EE.
    ("jsf-api", "com.sun.faces"),
    ("jsf-impl", "com.sun.faces"),
    // Truffle's first releases (later ones are com.oracle.truffle:truffle-api).
    ("truffle", "com.oracle"),
    ("texhyphj", "com.googlecode.texhyphj"),
    ("simple-validation", "org.netbeans"),
    // Artifact ids with an underscore, which a file name may spell with a dash
    // ([`group_of_artifact`] reads `xpp3-min` as `xpp3_min`).
    ("xpp3_min", "xpp3"),
    ("xpp3_xpath", "xpp3"),
];

/// The group of a well-known artifact id ([`ARTIFACT_GROUPS`]), with the entry that matched.
pub(crate) fn group_of_artifact(artifact: &str) -> Option<(&'static str, &'static str)> {
    ARTIFACT_GROUPS.iter().find_map(|(key, group)| key_matches(key, artifact).then_some((*group, *key)))
}

/// Whether a table's `key` (an artifact id, or a family `prefix-*`) names `artifact`.
fn key_matches(key: &str, artifact: &str) -> bool {
    match key.strip_suffix('*') {
        Some(prefix) => artifact.starts_with(prefix) && artifact.len() > prefix.len(),
        None => artifact == key,
    }
}

/// The artifact id a file name spells with dashes where the id has underscores
/// (`xpp3-min` for `xpp3_min`), when the table holds that id exactly: its group and the
/// id. A dashed name that is an id of its own in the table is not respelled.
pub(crate) fn underscored_artifact(artifact: &str) -> Option<(&'static str, &'static str)> {
    if !artifact.contains('-') || group_of_artifact(artifact).is_some() {
        return None;
    }
    let respelled = artifact.replace('-', "_");
    ARTIFACT_GROUPS.iter().find(|(key, _)| key.contains('_') && **key == respelled).map(|(key, g)| (*g, *key))
}

/// A name from the table: (group, artifact, the table entry that matched).
pub(crate) fn well_known(name: &str) -> Option<(String, String, String)> {
    if let Some((key, g, a)) = WELL_KNOWN.iter().find(|(k, _, _)| *k == name) {
        return Some(((*g).to_owned(), (*a).to_owned(), (*key).to_owned()));
    }
    for (prefix, group, pattern) in FAMILIES {
        if let Some(rest) = name.strip_prefix(prefix)
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            let artifact = pattern.replace("{}", &rest.replace('.', "-"));
            return Some(((*group).to_owned(), artifact, format!("{prefix}*")));
        }
    }
    None
}

/// Artifact ids (exact, or a family `prefix-*`) whose group changed with a version: (artifact,
/// first version of the new group, group before it if one is known, group from it).
const GROUP_BY_VERSION: &[(&str, &str, Option<&str>, &str)] = &[
    // JLine 0.9 to 2.x are jline:jline; 3.x is org.jline:jline.
    ("jline", "3", Some("jline"), "org.jline"),
    // ANTLR 2 is antlr:antlr; ANTLR 3's tool is org.antlr:antlr.
    ("antlr", "3", Some("antlr"), "org.antlr"),
    // StringTemplate 2 is antlr:stringtemplate; 3 is org.antlr:stringtemplate.
    ("stringtemplate", "3", Some("antlr"), "org.antlr"),
    // Commons JEXL 1.x is commons-jexl:commons-jexl; 2.x is org.apache.commons:commons-jexl.
    ("commons-jexl", "2", Some("commons-jexl"), "org.apache.commons"),
    // Saxon 6 is saxon:saxon (and saxon:saxon-jdom, ...); Saxon 8 to 9.1 are net.sf.saxon's.
    ("saxon", "7", Some("saxon"), "net.sf.saxon"),
    ("saxon-*", "7", Some("saxon"), "net.sf.saxon"),
    // c3p0 is c3p0:c3p0 up to 0.9.1.2 and com.mchange:c3p0 from 0.9.2-pre1.
    ("c3p0", "0.9.2-pre1", Some("c3p0"), "com.mchange"),
    // jMock 1 is jmock:jmock (and jmock:jmock-cglib); jMock 2 is org.jmock's.
    ("jmock", "2", Some("jmock"), "org.jmock"),
    ("jmock-*", "2", Some("jmock"), "org.jmock"),
    // ProGuard up to 6.x is net.sf.proguard:proguard-base, proguard-retrace, ...; from 7.0
    // com.guardsquare's.
    ("proguard-*", "7", Some("net.sf.proguard"), "com.guardsquare"),
    // Insubstantial, the fork of Kirill Grouchnikov's Swing projects, published their 7.x
    // releases as com.github.insubstantial:trident, flamingo, substance, ...; the originals
    // never reached 7.
    ("trident", "7", None, "com.github.insubstantial"),
    ("flamingo", "7", None, "com.github.insubstantial"),
    ("laf-widget", "7", None, "com.github.insubstantial"),
    ("laf-plugin", "7", None, "com.github.insubstantial"),
    ("substance", "7", None, "com.github.insubstantial"),
    ("substance-*", "7", None, "com.github.insubstantial"),
];

/// The group of an artifact id whose group depends on its version ([`GROUP_BY_VERSION`]);
/// `None` without a version, with one that does not start with a number, or before the new
/// group when the group before it is not known.
pub(crate) fn group_by_version(artifact: &str, version: Option<&str>) -> Option<&'static str> {
    let (_, from, before, after) = GROUP_BY_VERSION.iter().find(|(key, ..)| key_matches(key, artifact))?;
    let version = version.filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))?;
    // A bare major: every version of that major (`3.0.0-M1` too); else by Maven's ordering.
    let new = match from.parse::<u32>() {
        Ok(major) => version.split(|c: char| !c.is_ascii_digit()).next()?.parse::<u32>().ok()? >= major,
        Err(_) => MavenVersion::parse(version) >= MavenVersion::parse(from),
    };
    if new { Some(after) } else { *before }
}

/// Groovy's modules are bundles named `groovy` or `groovy-<module>`, in group
/// `org.codehaus.groovy` before 4.0 and `org.apache.groovy` from 4.0.
pub(crate) fn groovy_group(bundle: &str, version: Option<&str>) -> Option<&'static str> {
    if bundle != "groovy" && !bundle.starts_with("groovy-") {
        return None;
    }
    let major = version.and_then(|v| v.split('.').next()).and_then(|m| m.parse::<u32>().ok());
    Some(if major.is_some_and(|m| m >= 4) { "org.apache.groovy" } else { "org.codehaus.groovy" })
}

/// Whether dotted name `name` is `package` or lies inside it (`org.eclipse.wst.sse.ui` in
/// `org.eclipse.wst.sse`; `org.eclipse.wst.ssex` is not).
pub(crate) fn in_package(name: &str, package: &str) -> bool {
    name.strip_prefix(package).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Whether `s` may be a Maven artifact id: letters, digits, `-`, `_`, `.`, no spaces.
pub(crate) fn artifact_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
}

/// The group a bundle symbolic name `bundle` gives with artifact `artifact` (from the file
/// name), inverting maven-bundle-plugin's default naming: `group.artifact`; `group` when the
/// artifact is the group's last part; `group.rest` for `last-rest` artifacts.
pub(crate) fn group_from_bundle(bundle: &str, artifact: &str) -> Option<String> {
    // `org.apache` is no project's group (only the Apache parent pom's): `org.apache.thrift`
    // with `thrift` is maven-bundle-plugin's name for an artifact that is its group's last part.
    if let Some(group) = bundle.strip_suffix(artifact).and_then(|g| g.strip_suffix('.'))
        && group.contains('.')
        && group != "org.apache"
    {
        return Some(group.to_owned());
    }
    if bundle.rsplit('.').next() == Some(artifact) && bundle.contains('.') {
        return Some(bundle.to_owned());
    }
    // `org.apache.felix.core` for org.apache.felix:felix-core.
    let mut at = 0;
    while let Some(i) = bundle[at..].find('.') {
        let (group, rest) = (&bundle[..at + i], &bundle[at + i + 1..]);
        let last = group.rsplit('.').next().unwrap_or(group);
        if group.contains('.') && artifact == format!("{last}-{}", rest.replace('.', "-")) {
            return Some(group.to_owned());
        }
        at += i + 1;
    }
    None
}

/// Eclipse Web Tools Platform bundles by the repository whose Tycho build publishes them,
/// with that build's group: `webtools.common`'s poms declare
/// `org.eclipse.webtools.common:org.eclipse.wst.common.core` (its `plugins/` hold
/// `org.eclipse.wst.common.*`, `org.eclipse.wst.validation*`, `org.eclipse.jem.util`,
/// `org.eclipse.jst.common.*`), and `webtools.sourceediting`'s bundles (`org.eclipse.wst.sse.*`,
/// `xml`, `xsd`, `dtd`, `css`, `html`, `org.eclipse.jst.jsp.*`) are in
/// `org.eclipse.webtools.sourceediting` (Fedora's eclipse-webtools packaging splits its
/// Maven artifacts by these two groups).
const WTP_GROUPS: &[(&str, &str)] = &[
    ("org.eclipse.wst.common", "org.eclipse.webtools.common"),
    ("org.eclipse.wst.validation", "org.eclipse.webtools.common"),
    ("org.eclipse.jem.util", "org.eclipse.webtools.common"),
    ("org.eclipse.jst.common", "org.eclipse.webtools.common"),
    ("org.eclipse.wst.sse", "org.eclipse.webtools.sourceediting"),
    ("org.eclipse.wst.xml", "org.eclipse.webtools.sourceediting"),
    ("org.eclipse.wst.xsd", "org.eclipse.webtools.sourceediting"),
    ("org.eclipse.wst.dtd", "org.eclipse.webtools.sourceediting"),
    ("org.eclipse.wst.css", "org.eclipse.webtools.sourceediting"),
    ("org.eclipse.wst.html", "org.eclipse.webtools.sourceediting"),
    ("org.eclipse.jst.jsp", "org.eclipse.webtools.sourceediting"),
];

/// The group of an Eclipse bundle that Tycho publishes under its symbolic name
/// (`org.eclipse.equinox.p2.updatechecker`): its first three parts (`org.eclipse.equinox`).
/// `None` for other names, and for Jetty, whose bundles are Maven artifacts of their own
/// ([`well_known`] names them).
/// Web Tools Platform bundles take the group of the repository whose Tycho build publishes
/// them, not their first three parts: [`WTP_GROUPS`].
pub(crate) fn eclipse_group(bundle: &str) -> Option<String> {
    if let Some((_, group)) = WTP_GROUPS.iter().find(|(prefix, _)| in_package(bundle, prefix)) {
        return Some((*group).to_owned());
    }
    let rest = bundle.strip_prefix("org.eclipse.")?;
    let (project, module) = rest.split_once('.')?;
    (project != "jetty" && !module.is_empty()).then(|| format!("org.eclipse.{project}"))
}

/// The coordinates a `pom.xml` declares: `groupId`, `artifactId` and `version` of the
/// project, group and version inherited from `<parent>` when absent; values holding
/// unresolved `${...}` are dropped. A small tag scanner, not an XML parser: comments,
/// CDATA and declarations are skipped, and only the project's direct children are read.
pub(crate) fn pom_xml(text: &str) -> (Option<String>, Option<String>, Option<String>) {
    let mut path: Vec<&str> = Vec::new();
    let (mut group, mut artifact, mut version) = (None, None, None);
    let (mut parent_group, mut parent_version) = (None, None);
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        let before = &rest[..lt];
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |e| &rest[e + 3..]);
            continue;
        }
        if rest.starts_with("<![CDATA[") {
            rest = rest.find("]]>").map_or("", |e| &rest[e + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            let value = before.trim();
            let value = (!value.is_empty() && !value.contains("${")).then(|| value.to_owned());
            match (path.as_slice(), name) {
                (["project", field], _) if *field == name => match name {
                    "groupId" => group = group.or(value),
                    "artifactId" => artifact = artifact.or(value),
                    "version" => version = version.or(value),
                    _ => {}
                },
                (["project", "parent", field], _) if *field == name => match name {
                    "groupId" => parent_group = parent_group.or(value),
                    "version" => parent_version = parent_version.or(value),
                    _ => {}
                },
                _ => {}
            }
            if path.last() == Some(&name) {
                path.pop();
            }
            if path.is_empty() && name == "project" {
                break;
            }
            continue;
        }
        if tag.ends_with('/') {
            continue;
        }
        let name = tag.split(|c: char| c.is_whitespace()).next().unwrap_or(tag);
        if path.len() > 64 {
            break;
        }
        path.push(name);
    }
    (group.or(parent_group), artifact, version.or(parent_version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pom_xml_reads_the_project_and_inherits_from_its_parent() {
        let text = r#"<?xml version="1.0"?>
<!-- <groupId>not.this</groupId> -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>1.2</version></parent>
  <artifactId>child</artifactId>
  <dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>9</version></dependency></dependencies>
  <build/>
</project>"#;
        assert_eq!(pom_xml(text), (Some("org.example".into()), Some("child".into()), Some("1.2".into())));
        let own =
            "<project><groupId>g</groupId><artifactId>a</artifactId><version>${revision}</version></project>";
        assert_eq!(pom_xml(own), (Some("g".into()), Some("a".into()), None));
        assert_eq!(pom_xml("<<<>>><project"), (None, None, None));
    }

    #[test]
    fn well_known_groups_by_artifact_and_major() {
        assert_eq!(group_of_artifact("javafx-controls"), Some(("org.openjfx", "javafx-*")));
        assert_eq!(group_of_artifact("javafx"), None);
        assert_eq!(group_of_artifact("juh"), Some(("org.libreoffice", "juh")));
        assert_eq!(group_of_artifact("osgi.annotation"), Some(("org.osgi", "osgi.*")));
        assert_eq!(group_of_artifact("xpp3"), Some(("xpp3", "xpp3")));
        assert_eq!(group_of_artifact("xpp3-min"), None);
        let by_version: &[(&str, Option<&str>, Option<&str>)] = &[
            ("jline", Some("2.14.6"), Some("jline")),
            ("jline", Some("3.3.1"), Some("org.jline")),
            ("antlr", Some("2.7.7"), Some("antlr")),
            ("antlr", Some("3.5.2"), Some("org.antlr")),
            ("commons-jexl", Some("1.1"), Some("commons-jexl")),
            ("commons-jexl", Some("2.1.1"), Some("org.apache.commons")),
            // No version, or none that starts with a number: no group.
            ("jline", None, None),
            ("jline", Some("x"), None),
            ("other", Some("1.0"), None),
            // A major's pre-release is of that major; a threshold that is no bare major is by
            // Maven's ordering.
            ("jline", Some("3.0.0-M1"), Some("org.jline")),
            ("c3p0", Some("0.9.1.2"), Some("c3p0")),
            ("c3p0", Some("0.9.2-pre1"), Some("com.mchange")),
            ("c3p0", Some("0.9.5.5"), Some("com.mchange")),
            ("saxon-jdom", Some("6.5.5"), Some("saxon")),
            ("saxon-dom", Some("8.7"), Some("net.sf.saxon")),
            // Only the fork's versions: before them the group is not known.
            ("trident", Some("7.3"), Some("com.github.insubstantial")),
            ("trident", Some("1.3"), None),
        ];
        for (artifact, version, group) in by_version {
            assert_eq!(group_by_version(artifact, *version), *group, "{artifact} {version:?}");
        }
        // A file name's dashes for an id's underscores, only for an id the table holds.
        assert_eq!(underscored_artifact("xpp3-min"), Some(("xpp3", "xpp3_min")));
        assert_eq!(underscored_artifact("xpp3_min"), None);
        assert_eq!(underscored_artifact("xpp3-max"), None);
        assert_eq!(underscored_artifact("javafx-web"), None);
    }

    #[test]
    fn maven_central_groups_of_more_well_known_artifacts() {
        // Some artifacts of each new entry (a family's by one of its members), by group.
        let groups: &[(&str, &[&str])] = &[
            ("commons-pool", &["commons-pool"]),
            ("commons-dbcp", &["commons-dbcp"]),
            ("commons-httpclient", &["commons-httpclient"]),
            ("stax", &["stax", "stax-api"]),
            ("xml-resolver", &["xml-resolver"]),
            ("xalan", &["serializer"]),
            ("com.zeroc", &["ice", "glacier2-compat", "icestorm-compat"]),
            ("org.jetbrains.kotlinx", &["kotlinx-coroutines-core"]),
            ("org.apache.lucene", &["lucene-stempel"]),
            ("de.jensd", &["fontawesomefx-commons"]),
            ("org.broadinstitute", &["gatk-native-bindings"]),
            ("org.codehaus.jsr166-mirror", &["jsr166y", "extra166y"]),
            ("sshtools", &["j2ssh-core"]),
            ("com.google.code.findbugs", &["jFormatString"]),
            ("org.sonatype.pmaven", &["pmaven-common"]),
            ("org.smali", &["smali", "baksmali", "dexlib2"]),
            ("com.lowagie", &["itext"]),
            ("net.sourceforge.nekohtml", &["nekohtml"]),
            ("com.google.inject.extensions", &["guice-multibindings"]),
        ];
        for (group, artifacts) in groups {
            for artifact in *artifacts {
                assert_eq!(group_of_artifact(artifact).map(|(g, _)| g), Some(*group), "{artifact}");
            }
        }
        // The new majors of Commons stay in org.apache.commons; a family needs a rest.
        assert_eq!(group_of_artifact("commons-pool2"), None);
        assert_eq!(group_of_artifact("lucene"), None);
        let by_version: &[(&str, &str, &str)] = &[
            ("jmock", "1.2.0", "jmock"),
            ("jmock-cglib", "1.2.0", "jmock"),
            ("jmock", "2.6.0", "org.jmock"),
            ("proguard-retrace", "6.2.2", "net.sf.proguard"),
            ("proguard-base", "7.0.0", "com.guardsquare"),
        ];
        for (artifact, version, group) in by_version {
            assert_eq!(group_by_version(artifact, Some(version)), Some(*group), "{artifact} {version}");
        }
    }

    #[test]
    fn bundle_names_invert_to_groups() {
        assert_eq!(
            group_from_bundle("com.fasterxml.jackson.core.jackson-core", "jackson-core").as_deref(),
            Some("com.fasterxml.jackson.core")
        );
        assert_eq!(
            group_from_bundle("org.apache.felix.core", "felix-core").as_deref(),
            Some("org.apache.felix")
        );
        assert_eq!(group_from_bundle("groovy-json", "groovy-json"), None);
        assert_eq!(group_from_bundle("org.apache.thrift", "thrift").as_deref(), Some("org.apache.thrift"));
        assert_eq!(group_from_bundle("org.example.thrift", "thrift").as_deref(), Some("org.example"));
        assert_eq!(well_known("org.eclipse.jetty.util").map(|w| w.1).as_deref(), Some("jetty-util"));
        assert_eq!(groovy_group("groovy-json", Some("2.4.21")), Some("org.codehaus.groovy"));
        assert_eq!(groovy_group("groovy-json", Some("4.0.6")), Some("org.apache.groovy"));
        assert!(!artifact_like("Groovy: a powerful, dynamic language for the JVM"));
    }

    #[test]
    fn a_dotted_name_is_in_a_package_or_its_subpackages_only() {
        assert!(in_package("org.eclipse.wst.sse", "org.eclipse.wst.sse"));
        assert!(in_package("org.eclipse.wst.sse.ui", "org.eclipse.wst.sse"));
        assert!(!in_package("org.eclipse.wst.ssex", "org.eclipse.wst.sse"));
        assert!(!in_package("org.eclipse.wst", "org.eclipse.wst.sse"));
    }

    #[test]
    fn web_tools_bundles_are_in_their_repository_group() {
        let by_bundle = [
            ("org.eclipse.wst.common.core", "org.eclipse.webtools.common"),
            ("org.eclipse.wst.validation", "org.eclipse.webtools.common"),
            ("org.eclipse.wst.validation.ui", "org.eclipse.webtools.common"),
            ("org.eclipse.jem.util", "org.eclipse.webtools.common"),
            ("org.eclipse.wst.sse.ui", "org.eclipse.webtools.sourceediting"),
            ("org.eclipse.wst.xsd.core", "org.eclipse.webtools.sourceediting"),
            // Other Eclipse bundles: their first three parts, as before.
            ("org.eclipse.wst.server.core", "org.eclipse.wst"),
            ("org.eclipse.wst.validationx", "org.eclipse.wst"),
            ("org.eclipse.equinox.p2.updatechecker", "org.eclipse.equinox"),
        ];
        for (bundle, group) in by_bundle {
            assert_eq!(eclipse_group(bundle).as_deref(), Some(group), "{bundle}");
        }
    }
}
