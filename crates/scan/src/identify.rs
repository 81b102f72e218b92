//! Identification: decide from entry names which few entries to read, collect their
//! evidence per container (an archive, or the exploded trees on disk), then resolve the
//! evidence into components, in order of trust: every `META-INF/maven/*/*/pom.properties`,
//! Log4j class roots (paired with their pom.properties when there is one, else dated by
//! fingerprints), the MANIFEST (only when no pom.properties is there and it is not borrowed),
//! and the file name last.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use vulnrelay_formats::maven_version::MavenVersion;

use crate::advisory::{Advisories, ClassFacts, LOG4J2_GROUP, VersionKnowledge, log4j_candidates};
use crate::log4j::{self, CORE_MARKERS, CoreClasses, Dating, INTERPOLATOR, JNDI_LOOKUP, JNDI_MANAGER};
use crate::report::{Component, Confidence, Evidence, EvidenceKind, Finding};

/// Why an entry is interesting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// `<unit>META-INF/maven/<g>/<a>/pom.properties`.
    Pom {
        /// Prefix before `META-INF/`.
        unit: String,
    },
    /// `<unit>META-INF/maven/<g>/<a>/pom.xml` (used when no pom.properties is beside it).
    PomXml {
        /// Prefix before `META-INF/`.
        unit: String,
    },
    /// `<unit>META-INF/MANIFEST.MF`.
    Manifest {
        /// Prefix before `META-INF/`.
        unit: String,
    },
    /// A log4j-core class under `root` (e.g. `org/apache/logging/log4j/`).
    Core {
        /// Package root.
        root: String,
        /// Which class (one of the `log4j` suffix constants).
        class: &'static str,
    },
    /// log4j 1.x `Category.class` under `root` (e.g. `org/apache/log4j/`).
    Log4j1Marker {
        /// Package root.
        root: String,
    },
    /// A log4j 1.x class that carries a CVE.
    Log4j1Cve {
        /// Package root.
        root: String,
        /// The CVE.
        cve: &'static str,
    },
    /// A class that carries a backported log4j 1.x fix ([`log4j::LOG4J1_FIXES`]).
    Log4j1FixClass {
        /// Package root.
        root: String,
        /// Which class (a suffix of [`log4j::Log4j1Fix::fix_classes`]).
        class: &'static str,
    },
    /// The log4j 1.x class that must use a fix class for the fix to be in
    /// ([`log4j::Log4j1Fix::user`]); its bytes are read.
    Log4j1FixUser {
        /// Package root.
        root: String,
        /// Which class.
        class: &'static str,
        /// The CVE the class carries itself (JDBCAppender, chainsaw), if any.
        cve: Option<&'static str>,
    },
}

impl Want {
    /// Whether the entry's bytes are needed.
    pub fn needs_bytes(&self) -> bool {
        match self {
            Want::Pom { .. } | Want::PomXml { .. } | Want::Manifest { .. } | Want::Log4j1FixUser { .. } => {
                true
            }
            Want::Core { class, .. } => log4j::FINGERPRINT_CLASSES.contains(class),
            _ => false,
        }
    }

    /// Whether the entry is a class read only to date a log4j-core copy that no
    /// pom.properties describes: its reading can wait for [`Collector::undated_core_roots`].
    pub fn is_fingerprint(&self) -> bool {
        matches!(self, Want::Core { class, .. } if log4j::FINGERPRINT_CLASSES.contains(class))
    }
}

fn root_of<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    let root = name.strip_suffix(suffix)?;
    (root.is_empty() || root.ends_with('/')).then_some(root)
}

/// The last path component of every class [`classify`] looks for: a quick filter, since
/// nearly every class name ends in none of them.
static CLASS_BASE_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let last = |suffix: &'static str| suffix.rsplit('/').next().unwrap_or(suffix);
    [JNDI_LOOKUP, JNDI_MANAGER, INTERPOLATOR, CORE_MARKERS[0], CORE_MARKERS[1], log4j::LOG4J1_MARKER]
        .into_iter()
        .chain(log4j::LOG4J1_CVES.iter().map(|(_, suffix)| *suffix).filter(|s| !s.ends_with('/')))
        .chain(log4j::LOG4J1_FIXES.iter().flat_map(|f| f.fix_classes.iter().copied().chain([f.user])))
        .map(last)
        .collect()
});

/// Whether `name` (a `.class`) may be one [`classify`] wants: its last component is one of
/// the wanted classes, or it lies directly in a directory that a log4j 1.x CVE names whole.
fn maybe_wanted_class(name: &str) -> bool {
    let (dir, base) = match memchr::memrchr(b'/', name.as_bytes()) {
        Some(i) => (&name[..=i], &name[i + 1..]),
        None => ("", name),
    };
    CLASS_BASE_NAMES.contains(&base)
        || log4j::LOG4J1_CVES.iter().any(|(_, suffix)| {
            suffix.ends_with('/')
                && dir.strip_suffix(suffix).is_some_and(|root| root.is_empty() || root.ends_with('/'))
        })
}

/// The log4j 1.x CVE class `name` is, with its root.
fn log4j1_cve(name: &str) -> Option<(&str, &'static str)> {
    for (cve, suffix) in log4j::LOG4J1_CVES {
        if let Some(dir) = suffix.strip_suffix('/') {
            // Any class directly in `<root>chainsaw/`.
            let parent = name.as_bytes().iter().rposition(|&b| b == b'/').map_or("", |i| &name[..i]);
            if let Some(root) = parent.strip_suffix(dir)
                && (root.is_empty() || root.ends_with('/'))
            {
                return Some((root, cve));
            }
        } else if let Some(root) = root_of(name, suffix) {
            return Some((root, cve));
        }
    }
    None
}

/// Classifies an entry name (or a path on disk, with `/` separators).
pub fn classify(name: &str) -> Option<Want> {
    if name.ends_with(".class") {
        if !maybe_wanted_class(name) {
            return None;
        }
        for class in [JNDI_LOOKUP, JNDI_MANAGER, INTERPOLATOR, CORE_MARKERS[0], CORE_MARKERS[1]] {
            if let Some(root) = root_of(name, class) {
                return Some(Want::Core { root: root.to_owned(), class });
            }
        }
        if let Some(root) = root_of(name, log4j::LOG4J1_MARKER) {
            return Some(Want::Log4j1Marker { root: root.to_owned() });
        }
        let cve = log4j1_cve(name);
        for fix in log4j::LOG4J1_FIXES {
            if let Some(root) = root_of(name, fix.user) {
                return Some(Want::Log4j1FixUser {
                    root: root.to_owned(),
                    class: fix.user,
                    cve: cve.map(|(_, cve)| cve),
                });
            }
        }
        if let Some((root, cve)) = cve {
            return Some(Want::Log4j1Cve { root: root.to_owned(), cve });
        }
        for class in log4j::LOG4J1_FIXES.iter().flat_map(|f| f.fix_classes.iter().copied()) {
            if let Some(root) = root_of(name, class) {
                return Some(Want::Log4j1FixClass { root: root.to_owned(), class });
            }
        }
        return None;
    }
    let pom_xml = name.ends_with("/pom.xml");
    if name.ends_with("/pom.properties") || pom_xml {
        let idx = name.rfind("META-INF/maven/")?;
        let unit = &name[..idx];
        let rest = &name[idx + "META-INF/maven/".len()..];
        if (unit.is_empty() || unit.ends_with('/')) && rest.split('/').count() == 3 {
            let unit = unit.to_owned();
            return Some(if pom_xml { Want::PomXml { unit } } else { Want::Pom { unit } });
        }
        return None;
    }
    if let Some(unit) = name.strip_suffix("META-INF/MANIFEST.MF")
        && (unit.is_empty() || unit.ends_with('/'))
    {
        return Some(Want::Manifest { unit: unit.to_owned() });
    }
    None
}

#[derive(Debug, Clone)]
struct Pom {
    unit: String,
    entry: String,
    /// `pom.properties` or `pom.xml`.
    kind: EvidenceKind,
    group: String,
    artifact: String,
    version: Option<String>,
}

#[derive(Debug, Default)]
struct CoreRoot {
    classes: CoreClasses,
    entries: Vec<String>,
    lookup_entry: Option<String>,
}

#[derive(Debug, Default)]
struct L1Root {
    marker: bool,
    cves: BTreeSet<&'static str>,
    entries: Vec<String>,
    /// Fix classes present ([`log4j::Log4j1Fix::fix_classes`]).
    fix_classes: BTreeSet<&'static str>,
    /// Bytes of the classes that must use them ([`log4j::Log4j1Fix::user`]).
    users: BTreeMap<&'static str, Vec<u8>>,
}

impl L1Root {
    /// The backported fixes in this copy (under `root`): per CVE whose class is present, the
    /// evidence that its fix is in (a fix class present and used by the class it protects).
    fn backported(&self, root: &str) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::new();
        for fix in log4j::LOG4J1_FIXES {
            let Some(user) = self.users.get(fix.user) else { continue };
            if !self.cves.contains(fix.cve) {
                continue;
            }
            let used =
                fix.fix_classes.iter().find(|c| self.fix_classes.contains(*c) && log4j::refers_to(user, c));
            if let Some(class) = used {
                out.insert(fix.cve, format!("{root}{class} used by {root}{}", fix.user));
            }
        }
        out
    }

    /// Evidence of a copy under `root`: its CVE classes, the backported fixes `fixed`, and
    /// the CVE classes absent from a copy whose marker was seen.
    fn evidence(&self, root: &str, fixed: &BTreeMap<&'static str, String>) -> Vec<Evidence> {
        let mut evidence: Vec<Evidence> =
            self.entries.iter().map(|e| Evidence { kind: EvidenceKind::Class, detail: e.clone() }).collect();
        for (cve, detail) in fixed {
            evidence
                .push(Evidence { kind: EvidenceKind::FixClass, detail: format!("{cve} fixed: {detail}") });
        }
        if self.marker {
            for (cve, suffix) in log4j::LOG4J1_CVES {
                if !self.cves.contains(cve) {
                    evidence.push(Evidence {
                        kind: EvidenceKind::Class,
                        detail: format!("{root}{suffix} absent ({cve} does not apply)"),
                    });
                }
            }
        }
        evidence
    }
}

/// Where the evidence came from.
#[derive(Debug, Clone)]
pub struct ContainerInfo {
    /// Display path of the container (`a.ear!/b.war`), empty for trees on disk.
    pub display: String,
    /// File on disk.
    pub file: std::path::PathBuf,
    /// Entry chain inside `file`.
    pub location: Vec<String>,
    /// Base name of the container, for the file-name fallback (`None` for trees on disk).
    pub file_name: Option<String>,
}

impl ContainerInfo {
    fn path_for(&self, unit: &str) -> String {
        let unit = unit.trim_end_matches('/');
        match (self.display.is_empty(), unit.is_empty()) {
            (true, _) => unit.to_owned(),
            (false, true) => self.display.clone(),
            (false, false) => format!("{}!/{unit}", self.display),
        }
    }
}

/// A manifest's entry name and its identifying attributes.
type ManifestEntry = (String, Vec<(String, String)>);

/// Evidence collected in one container.
#[derive(Debug, Default)]
pub struct Collector {
    poms: Vec<Pom>,
    /// From pom.xml files, used only where no pom.properties is beside them.
    pom_xmls: Vec<Pom>,
    /// The common package prefix of the container's classes (`groovy/json/`), if known.
    class_prefix: Option<String>,
    manifests: BTreeMap<String, ManifestEntry>,
    cores: BTreeMap<String, CoreRoot>,
    l1: BTreeMap<String, L1Root>,
}

/// Entry bytes as text: validated in place when they are UTF-8 (nearly always, and much
/// faster than a lossy decoding), decoded lossily otherwise.
fn text_of(bytes: Option<&[u8]>) -> Cow<'_, str> {
    let bytes = bytes.unwrap_or_default();
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let split = line.find(['=', ':']);
        if let Some(i) = split {
            map.insert(line[..i].trim().to_owned(), line[i + 1..].trim().to_owned());
        }
    }
    map
}

/// Main-section attributes of a MANIFEST.MF (continuation lines joined).
pub fn parse_manifest(text: &str) -> Vec<(String, String)> {
    manifest_attributes(text, |_| true)
}

/// The main-section attributes of a manifest whose name `wanted` accepts, in order,
/// continuation lines joined; the others are skipped without being copied.
fn manifest_attributes(text: &str, wanted: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    // Whether the attribute that continuation lines extend is one that is kept.
    let mut keeping = false;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if keeping && let Some(last) = out.last_mut() {
                last.1.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            let k = k.trim();
            keeping = wanted(k);
            if keeping {
                out.push((k.to_owned(), v.trim().to_owned()));
            }
        }
    }
    out
}

/// The main-section attributes identification reads (as in [`parse_manifest`], every other
/// attribute skipped without copying it: OSGi manifests carry kilobytes of package lists).
const IDENTIFYING_ATTRIBUTES: [&str; 6] = [
    "Implementation-Title",
    "Bundle-SymbolicName",
    "Automatic-Module-Name",
    "Implementation-Version",
    "Bundle-Version",
    "Implementation-Vendor-Id",
];

/// [`parse_manifest`], keeping only the [`IDENTIFYING_ATTRIBUTES`].
fn identifying_attributes(text: &str) -> Vec<(String, String)> {
    manifest_attributes(text, |k| IDENTIFYING_ATTRIBUTES.iter().any(|a| a.eq_ignore_ascii_case(k)))
}

fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// Splits `name-1.2.3.jar` into (`name`, `1.2.3`).
pub fn parse_file_name(file_name: &str) -> Option<(String, String)> {
    let stem = file_name.rsplit_once('.').map(|(s, _)| s).unwrap_or(file_name);
    let bytes = stem.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i - 1] == b'-' && bytes[i].is_ascii_digit() {
            let name = &stem[..i - 1];
            let version = &stem[i..];
            if !name.is_empty() {
                return Some((name.to_owned(), version.to_owned()));
            }
        }
    }
    None
}

impl Collector {
    /// A new, empty collector.
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Whether nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.poms.is_empty() && self.manifests.is_empty() && self.cores.is_empty() && self.l1.is_empty()
    }

    /// Records an entry classified as `want`, with its bytes when [`Want::needs_bytes`].
    pub fn add(&mut self, name: &str, want: Want, bytes: Option<Vec<u8>>) {
        match want {
            Want::Pom { unit } => {
                let props = parse_properties(&text_of(bytes.as_deref()));
                let mut parts = name.rsplit('/').skip(1);
                let path_artifact = parts.next().unwrap_or_default().to_owned();
                let path_group = parts.next().unwrap_or_default().to_owned();
                self.poms.push(Pom {
                    unit,
                    entry: name.to_owned(),
                    kind: EvidenceKind::PomProperties,
                    group: props.get("groupId").cloned().unwrap_or(path_group),
                    artifact: props.get("artifactId").cloned().unwrap_or(path_artifact),
                    version: props.get("version").cloned().filter(|v| !v.is_empty()),
                });
            }
            Want::PomXml { unit } => {
                let (group, artifact, version) = crate::known::pom_xml(&text_of(bytes.as_deref()));
                let mut parts = name.rsplit('/').skip(1);
                let path_artifact = parts.next().unwrap_or_default().to_owned();
                let path_group = parts.next().unwrap_or_default().to_owned();
                self.pom_xmls.push(Pom {
                    unit,
                    entry: name.to_owned(),
                    kind: EvidenceKind::PomXml,
                    group: group.unwrap_or(path_group),
                    artifact: artifact.unwrap_or(path_artifact),
                    version,
                });
            }
            Want::Manifest { unit } => {
                let attributes = identifying_attributes(&text_of(bytes.as_deref()));
                self.manifests.insert(unit, (name.to_owned(), attributes));
            }
            Want::Core { root, class } => {
                let r = self.cores.entry(root).or_default();
                r.entries.push(name.to_owned());
                match class {
                    JNDI_LOOKUP => {
                        r.classes.lookup = Some(bytes.unwrap_or_default());
                        r.lookup_entry = Some(name.to_owned());
                    }
                    JNDI_MANAGER => r.classes.manager = Some(bytes.unwrap_or_default()),
                    INTERPOLATOR => r.classes.interpolator = Some(bytes.unwrap_or_default()),
                    _ => r.classes.markers += 1,
                }
            }
            Want::Log4j1Marker { root } => self.l1.entry(root).or_default().marker = true,
            Want::Log4j1Cve { root, cve } => {
                let r = self.l1.entry(root).or_default();
                r.cves.insert(cve);
                r.entries.push(name.to_owned());
            }
            Want::Log4j1FixClass { root, class } => {
                self.l1.entry(root).or_default().fix_classes.insert(class);
            }
            Want::Log4j1FixUser { root, class, cve } => {
                let r = self.l1.entry(root).or_default();
                if let Some(cve) = cve {
                    r.cves.insert(cve);
                    r.entries.push(name.to_owned());
                }
                r.users.insert(class, bytes.unwrap_or_default());
            }
        }
    }

    /// Notes the common package prefix of the container's classes (`groovy/json/`).
    pub fn set_class_prefix(&mut self, prefix: Option<String>) {
        self.class_prefix = prefix;
    }

    /// Pairs each log4j-core pom.properties (index in `poms`) with the class root it
    /// describes: the standard package under its unit, else the first copy under it, each root
    /// claimed once, in the order of the poms.
    fn core_pairs(&self) -> BTreeMap<usize, String> {
        let mut pairs = BTreeMap::new();
        let mut claimed: BTreeSet<&str> = BTreeSet::new();
        for (i, pom) in self.poms.iter().enumerate() {
            if pom.group != LOG4J2_GROUP || pom.artifact != "log4j-core" {
                continue;
            }
            let free = |k: &str, r: &CoreRoot| !claimed.contains(k) && r.classes.is_core();
            let standard = format!("{}org/apache/logging/log4j/", pom.unit);
            let key = match self.cores.get_key_value(&standard) {
                Some((k, r)) if free(k, r) => Some(k),
                _ => self.cores.iter().find(|(k, r)| k.starts_with(&pom.unit) && free(k, r)).map(|(k, _)| k),
            };
            if let Some(k) = key {
                claimed.insert(k);
                pairs.insert(i, k.clone());
            }
        }
        pairs
    }

    /// The log4j-core class roots no pom.properties describes: only their fingerprint classes
    /// ([`Want::is_fingerprint`]) need their bytes read, to date them.
    pub fn undated_core_roots(&self) -> BTreeSet<String> {
        let paired: BTreeSet<String> = self.core_pairs().into_values().collect();
        self.cores
            .iter()
            .filter(|(k, r)| r.classes.is_core() && !paired.contains(*k))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Supplies the bytes of a fingerprint class added earlier without them.
    pub fn add_class_bytes(&mut self, root: &str, class: &str, bytes: Vec<u8>) {
        let Some(r) = self.cores.get_mut(root) else { return };
        match class {
            JNDI_LOOKUP => r.classes.lookup = Some(bytes),
            JNDI_MANAGER => r.classes.manager = Some(bytes),
            INTERPOLATOR => r.classes.interpolator = Some(bytes),
            _ => {}
        }
    }

    /// Turns the evidence into findings with verdicts.
    pub fn resolve(mut self, info: &ContainerInfo, advisories: &Advisories) -> Vec<Finding> {
        // A pom.xml stands in for a missing pom.properties beside it.
        let dir = |entry: &str| entry.rsplit_once('/').map(|(d, _)| d.to_owned()).unwrap_or_default();
        let with_properties: BTreeSet<String> = self.poms.iter().map(|p| dir(&p.entry)).collect();
        let xmls = std::mem::take(&mut self.pom_xmls);
        self.poms.extend(xmls.into_iter().filter(|p| !with_properties.contains(&dir(&p.entry))));
        let pointed = order_outer_first(
            &mut self.poms,
            &self.manifests,
            info.file_name.as_deref(),
            self.class_prefix.as_deref(),
        );
        let mut pairs = self.core_pairs();
        let Collector { poms, pom_xmls: _, class_prefix, manifests, mut cores, mut l1 } = self;
        let mut findings = Vec::new();
        let mut identified_units: BTreeSet<String> = BTreeSet::new();
        let new_finding = |path: String, component: Component, confidence| Finding {
            path,
            file: info.file.clone(),
            location: info.location.clone(),
            component,
            evidence: Vec::new(),
            confidence,
            vulnerabilities: Vec::new(),
            fix_targets: Vec::new(),
        };
        // A jar whose own coordinates are in no pom (guice.jar holds only the pom of the cglib
        // it shaded in) is named from its manifest first, when that names a group too; its
        // poms are then what it holds.
        let mut outer: Option<String> = None;
        if !info.display.is_empty() && !pointed && poms.iter().any(|p| p.unit.is_empty()) {
            let (entry, attrs) = manifests.get("").cloned().unwrap_or_default();
            if let Some((component, evidence)) =
                name_unit(&entry, &attrs, class_prefix.as_deref(), info.file_name.as_deref())
                && component.group.is_some()
                && !poms.iter().any(|p| p.unit.is_empty() && p.artifact == component.artifact)
            {
                let v = component.version.clone().unwrap_or_else(|| "?".into());
                outer = Some(format!(
                    "{}:{}:{v}",
                    component.group.as_deref().unwrap_or_default(),
                    component.artifact
                ));
                let mut f = new_finding(info.path_for(""), component, Confidence::Medium);
                f.evidence = evidence;
                match_by_version(advisories, &mut f);
                findings.push(f);
            }
        }
        let reload4j_units: Vec<String> =
            poms.iter().filter(|p| p.group == "ch.qos.reload4j").map(|p| p.unit.clone()).collect();

        for (i, pom) in poms.iter().enumerate() {
            identified_units.insert(pom.unit.clone());
            let mut f = new_finding(
                info.path_for(&pom.unit),
                Component {
                    group: Some(pom.group.clone()),
                    artifact: pom.artifact.clone(),
                    version: pom.version.clone(),
                    version_range: None,
                },
                Confidence::High,
            );
            f.evidence.push(Evidence { kind: pom.kind, detail: pom.entry.clone() });
            let in_unit: Vec<&Pom> = poms.iter().filter(|p| p.unit == pom.unit).collect();
            if let Some(outer) = outer.as_ref().filter(|_| pom.unit.is_empty()) {
                let detail = format!("inside {outer} (named by its manifest; one of {} poms)", in_unit.len());
                f.evidence.push(Evidence { kind: pom.kind, detail });
            } else if in_unit.len() > 1 {
                let outer = in_unit[0];
                let detail = if std::ptr::eq(outer, pom) {
                    format!("the outer one of {} poms in this archive", in_unit.len())
                } else {
                    let v = outer.version.as_deref().unwrap_or("?");
                    format!("inside {}:{}:{v} (one of {} poms)", outer.group, outer.artifact, in_unit.len())
                };
                f.evidence.push(Evidence { kind: pom.kind, detail });
            }
            let mut facts = ClassFacts::default();
            if pom.group == LOG4J2_GROUP && pom.artifact == "log4j-core" {
                let key = pairs.remove(&i);
                if let Some(root) = key.and_then(|k| cores.remove(&k)) {
                    facts.jndi_lookup_present = Some(root.classes.lookup.is_some());
                    for e in &root.entries {
                        f.evidence.push(Evidence { kind: EvidenceKind::Class, detail: e.clone() });
                    }
                    if root.classes.lookup.is_none() {
                        f.evidence.push(Evidence {
                            kind: EvidenceKind::Class,
                            detail: "JndiLookup.class absent (removed)".into(),
                        });
                    }
                    f.fix_targets.extend(root.lookup_entry);
                }
            }
            if pom.group == "log4j" && pom.artifact == "log4j" {
                let standard = format!("{}org/apache/log4j/", pom.unit);
                let key = if l1.get(&standard).is_some_and(|r| r.marker) {
                    Some(standard)
                } else {
                    l1.iter().find(|(k, r)| k.starts_with(&pom.unit) && r.marker).map(|(k, _)| k.clone())
                };
                let root = key.and_then(|k| l1.remove_entry(&k));
                if let Some((k, root)) = &root {
                    facts.log4j1_fixed = root.backported(k);
                    f.evidence.extend(root.evidence(k, &facts.log4j1_fixed));
                }
                facts.log4j1_cves = Some(root.map(|(_, r)| r.cves).unwrap_or_default());
            }
            let knowledge = match &pom.version {
                Some(v) => VersionKnowledge::Exact(MavenVersion::parse(v)),
                None => VersionKnowledge::Unknown,
            };
            f.vulnerabilities = advisories.evaluate(&pom.group, &pom.artifact, &knowledge, &facts);
            findings.push(f);
        }

        let name_hint = info.file_name.as_deref().and_then(parse_file_name);
        for (root, core) in cores {
            if !core.classes.is_core() {
                continue;
            }
            let unit = if info.display.is_empty() { root.clone() } else { String::new() };
            let dating = log4j::date(&core.classes);
            let mut evidence: Vec<Evidence> = core
                .entries
                .iter()
                .map(|e| Evidence { kind: EvidenceKind::Class, detail: e.clone() })
                .collect();
            let (knowledge, version, version_range, confidence) = match &dating {
                Dating::Exact(v) => {
                    evidence.push(Evidence {
                        kind: EvidenceKind::Fingerprint,
                        detail: format!("class hashes match log4j-core {v}"),
                    });
                    (VersionKnowledge::Exact(MavenVersion::parse(v)), Some(v.clone()), None, Confidence::High)
                }
                Dating::Range { range, feature } => {
                    evidence.push(Evidence {
                        kind: EvidenceKind::Fingerprint,
                        detail: format!("{feature}: {range}"),
                    });
                    let candidates = log4j_candidates(range);
                    let hinted = name_hint
                        .as_ref()
                        .filter(|(n, v)| n == "log4j-core" && candidates.contains(&MavenVersion::parse(v)));
                    match hinted {
                        Some((_, v)) => {
                            evidence.push(Evidence {
                                kind: EvidenceKind::FileName,
                                detail: info.file_name.clone().unwrap_or_default(),
                            });
                            (
                                VersionKnowledge::Exact(MavenVersion::parse(v)),
                                Some(v.clone()),
                                Some((*range).to_owned()),
                                Confidence::Medium,
                            )
                        }
                        None => (
                            VersionKnowledge::Candidates(candidates),
                            None,
                            Some((*range).to_owned()),
                            Confidence::Medium,
                        ),
                    }
                }
            };
            if core.classes.lookup.is_none() {
                evidence
                    .push(Evidence { kind: EvidenceKind::Class, detail: "JndiLookup.class absent".into() });
            }
            identified_units.insert(unit.clone());
            let facts = ClassFacts {
                jndi_lookup_present: Some(core.classes.lookup.is_some()),
                ..ClassFacts::default()
            };
            let mut f = new_finding(
                info.path_for(&unit),
                Component {
                    group: Some(LOG4J2_GROUP.into()),
                    artifact: "log4j-core".into(),
                    version,
                    version_range,
                },
                confidence,
            );
            f.evidence = evidence;
            f.vulnerabilities = advisories.evaluate(LOG4J2_GROUP, "log4j-core", &knowledge, &facts);
            f.fix_targets.extend(core.lookup_entry);
            findings.push(f);
        }

        for (root, r) in l1 {
            if !r.marker || r.cves.is_empty() || reload4j_units.iter().any(|u| root.starts_with(u.as_str())) {
                continue;
            }
            let unit = if info.display.is_empty() { root.clone() } else { String::new() };
            identified_units.insert(unit.clone());
            // The version from the container's own manifest, when it is log4j 1.x's
            // (`Bundle-SymbolicName: org.apache.log4j`, as Debian's build has it).
            let manifest = manifests.get(&unit).filter(|(_, attrs)| {
                !info.display.is_empty()
                    && (attr(attrs, "Bundle-SymbolicName")
                        .is_some_and(|s| s.split(';').next().unwrap_or(s).trim() == "org.apache.log4j")
                        || attr(attrs, "Implementation-Title") == Some("log4j"))
            });
            let version = manifest.and_then(|(_, attrs)| {
                attr(attrs, "Bundle-Version").or_else(|| attr(attrs, "Implementation-Version"))
            });
            let mut f = new_finding(
                info.path_for(&unit),
                Component {
                    group: Some("log4j".into()),
                    artifact: "log4j".into(),
                    version: version.map(str::to_owned),
                    version_range: None,
                },
                Confidence::Medium,
            );
            let fixed = r.backported(&root);
            f.evidence = r.evidence(&root, &fixed);
            if let (Some((entry, _)), Some(_)) = (manifest, version) {
                f.evidence.push(Evidence { kind: EvidenceKind::Manifest, detail: entry.clone() });
            }
            let facts = ClassFacts {
                jndi_lookup_present: None,
                log4j1_cves: Some(r.cves.clone()),
                log4j1_fixed: fixed,
            };
            let knowledge = match version {
                Some(v) => VersionKnowledge::Exact(MavenVersion::parse(v)),
                None => VersionKnowledge::Unknown,
            };
            f.vulnerabilities = advisories.evaluate("log4j", "log4j", &knowledge, &facts);
            findings.push(f);
        }

        // Units without a pom: named from their manifest, the package prefix of their
        // classes (the container's own unit only), the table of well-known artifacts and the
        // file name.
        let mut units: Vec<(String, Option<ManifestEntry>)> =
            manifests.into_iter().map(|(unit, m)| (unit, Some(m))).collect();
        if !units.iter().any(|(u, _)| u.is_empty()) && !info.display.is_empty() {
            units.push((String::new(), None));
        }
        for (unit, manifest) in units {
            if identified_units.contains(&unit) {
                continue;
            }
            let own = unit.is_empty() && !info.display.is_empty();
            let (entry, attrs) = manifest.unwrap_or_default();
            let prefix = if own { class_prefix.as_deref() } else { None };
            let file_name = if own { info.file_name.as_deref() } else { None };
            let Some((component, evidence)) = name_unit(&entry, &attrs, prefix, file_name) else { continue };
            identified_units.insert(unit.clone());
            let confidence = if component.group.is_some() && component.version.is_some() {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            let mut f = new_finding(info.path_for(&unit), component, confidence);
            f.evidence = evidence;
            match_by_version(advisories, &mut f);
            findings.push(f);
        }

        if !identified_units.contains("")
            && let (Some(file_name), Some((artifact, version))) = (&info.file_name, name_hint)
        {
            let mut f = new_finding(
                info.path_for(""),
                Component { group: None, artifact, version: Some(version), version_range: None },
                Confidence::Low,
            );
            f.evidence.push(Evidence { kind: EvidenceKind::FileName, detail: file_name.clone() });
            findings.push(f);
        }
        findings
    }
}

/// Puts the outer pom of each unit first: the one the file name, the manifest or the
/// package names point at (an uber jar holds the poms of what it shaded in); otherwise
/// the order of the entries stays.
/// Returns whether a pom of the container's own unit is pointed at (or is alone with nothing
/// pointing elsewhere: no file name, no manifest name).
fn order_outer_first(
    poms: &mut [Pom],
    manifests: &BTreeMap<String, ManifestEntry>,
    file_name: Option<&str>,
    class_prefix: Option<&str>,
) -> bool {
    let stem = file_name.map(|n| n.rsplit_once('.').map_or(n, |(s, _)| s));
    let hint = file_name.and_then(parse_file_name).or_else(|| stem.map(|s| (s.to_owned(), String::new())));
    let dotted_prefix = class_prefix.map(|p| p.trim_end_matches('/').replace('/', "."));
    let score = |p: &Pom| -> u32 {
        let mut s = 0;
        if let Some((a, v)) = &hint {
            if *a == p.artifact {
                s += 4;
            } else if a.ends_with(&format!("-{}", p.artifact)) {
                s += 2;
            }
            if p.version.as_deref() == Some(v.as_str()) {
                s += 2;
            }
        }
        if dotted_prefix.as_deref().is_some_and(|d| crate::known::in_package(d, &p.group)) {
            s += 1;
        }
        if p.unit.is_empty()
            && let Some((_, attrs)) = manifests.get("")
        {
            // maven-bundle-plugin's default symbolic name is `group.artifact`, or the group
            // alone when the artifact is the group's last part (org.jline:jline is `org.jline`).
            let last_part = p.group.rsplit('.').next() == Some(p.artifact.as_str());
            for key in ["Bundle-SymbolicName", "Automatic-Module-Name", "Implementation-Title"] {
                let Some(name) = attr(attrs, key).map(|s| s.split(';').next().unwrap_or(s).trim()) else {
                    continue;
                };
                if name == p.artifact
                    || name == format!("{}.{}", p.group, p.artifact)
                    || (name == p.group && last_part)
                {
                    s += 3;
                } else if name == p.group {
                    s += 2;
                }
            }
            if attr(attrs, "Implementation-Version") == p.version.as_deref() && p.version.is_some() {
                s += 1;
            }
        }
        s
    };
    let mut units: Vec<&str> = Vec::new();
    for p in poms.iter() {
        if !units.contains(&p.unit.as_str()) {
            units.push(&p.unit);
        }
    }
    let units: Vec<String> = units.into_iter().map(str::to_owned).collect();
    let own: Vec<usize> = (0..poms.len()).filter(|&i| poms[i].unit.is_empty()).collect();
    // Something names the container (its file name or its manifest) and no own pom is it.
    let named = file_name.is_some_and(|n| parse_file_name(n).is_some())
        || manifests.get("").is_some_and(|(_, attrs)| {
            ["Bundle-SymbolicName", "Automatic-Module-Name"].iter().any(|k| attr(attrs, k).is_some())
        });
    let pointed = own.is_empty() || own.iter().any(|&i| score(&poms[i]) > 0) || (own.len() == 1 && !named);
    if poms.len() < 2 {
        return pointed;
    }
    for unit in units {
        let idx: Vec<usize> = (0..poms.len()).filter(|&i| poms[i].unit == unit).collect();
        // The first best score wins (stable for ties).
        let best = idx.iter().copied().max_by_key(|&i| (score(&poms[i]), std::cmp::Reverse(i)));
        if let Some(best) = best
            && best != idx[0]
        {
            poms[idx[0]..=best].rotate_right(1);
        }
    }
    pointed
}

/// Names a unit without a pom from its manifest `attrs` (entry `entry`), the package prefix
/// of its classes and its file name: the coordinates and the evidence of each part. `None`
/// when nothing names it, or when its manifest names Log4j (a manifest naming Log4j in a
/// container without Log4j classes was borrowed).
fn name_unit(
    entry: &str,
    attrs: &[(String, String)],
    class_prefix: Option<&str>,
    file_name: Option<&str>,
) -> Option<(Component, Vec<Evidence>)> {
    use crate::known::{
        artifact_like, groovy_group, group_by_version, group_from_bundle, group_of_artifact,
        underscored_artifact, well_known,
    };
    let bundle = attr(attrs, "Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or(s).trim());
    let module = attr(attrs, "Automatic-Module-Name");
    let title = attr(attrs, "Implementation-Title");
    if [bundle, module, title].iter().flatten().any(|n| n.to_ascii_lowercase().contains("log4j")) {
        return None;
    }
    let manifest = |what: &str, value: &str| Evidence {
        kind: EvidenceKind::Manifest,
        detail: format!("{entry}: {what}: {value}"),
    };
    let file = file_name.and_then(|n| {
        parse_file_name(n).map(|(a, v)| (a, Some(v))).or_else(|| {
            let stem = n.rsplit_once('.').map_or(n, |(s, _)| s);
            artifact_like(stem).then(|| (stem.to_owned(), None))
        })
    });
    // A distribution names a package after the project and its major version so that two
    // majors install side by side (`tomcat9-catalina-9.0.70.jar`): the artifact is without
    // the major.
    let file = file.map(|(a, v)| {
        let major = v.as_deref().or(attr(attrs, "Implementation-Version")).or(attr(attrs, "Bundle-Version"));
        (without_distribution_major(&a, major).unwrap_or(a), v)
    });
    let mut evidence = Vec::new();
    let stated = |key: &str| attr(attrs, key).and_then(|v| built_version(v).map(|b| (v, b)));
    let file_version = file.as_ref().and_then(|(_, v)| v.as_deref());
    let version = match (stated("Implementation-Version"), stated("Bundle-Version")) {
        (Some((v, built)), _) => {
            evidence.push(manifest("Implementation-Version", v));
            Some(published_spelling(built, file_version, file_name, &mut evidence))
        }
        (None, Some((v, built))) => {
            evidence.push(manifest("Bundle-Version", v));
            Some(published_spelling(built, file_version, file_name, &mut evidence))
        }
        (None, None) => match &file {
            _ if let Some(v) = attr(attrs, "Bundle-Version")
                && let Some(decoded) = bundle.and_then(|b| derby_version(b, v)) =>
            {
                evidence.push(manifest("Bundle-Version", v));
                evidence.push(Evidence {
                    kind: EvidenceKind::WellKnown,
                    detail: format!(
                        "Derby's bundle version encodes the fix pack and point release: {decoded}"
                    ),
                });
                Some(decoded)
            }
            Some((_, Some(v))) => {
                evidence.push(Evidence {
                    kind: EvidenceKind::FileName,
                    detail: file_name.unwrap_or_default().into(),
                });
                Some(v.clone())
            }
            _ => None,
        },
    };
    let dotted_prefix = class_prefix.map(|p| p.trim_end_matches('/').replace('/', "."));
    // A name that may be an artifact id: no spaces, no dots.
    fn plain(n: Option<&str>) -> Option<&str> {
        n.filter(|n| crate::known::artifact_like(n) && !n.contains('.'))
    }
    // 1. The table of well-known artifacts, by bundle, module or package name.
    let named = [("Bundle-SymbolicName", bundle), ("Automatic-Module-Name", module)];
    for (what, name) in named
        .iter()
        .filter_map(|(w, n)| n.map(|n| (*w, n.to_owned())))
        // The package prefix says whose API the classes are, not who built the jar: a jar
        // that names itself by a bundle name (Tomcat's `org.apache.tomcat-servlet-api`,
        // classes in `javax.servlet`) is not the table's artifact of that package.
        .chain(dotted_prefix.iter().filter(|_| bundle.is_none()).map(|p| ("package prefix", p.clone())))
    {
        if let Some((mut group, mut artifact, key)) = well_known(&name) {
            // A package or bundle name shared by a family (commons-logging's api and adapters
            // jars): the file name's artifact when it extends the table's, in the group the
            // table gives that artifact if it gives one (Guice's extensions, named
            // `com.google.inject` like Guice itself, are in `com.google.inject.extensions`).
            if what != "Automatic-Module-Name"
                && let Some((f, _)) = &file
                && f.len() > artifact.len()
                && f.starts_with(&format!("{artifact}-"))
            {
                evidence.push(Evidence {
                    kind: EvidenceKind::FileName,
                    detail: file_name.unwrap_or_default().into(),
                });
                artifact = f.clone();
                if let Some((g, key)) = group_of_artifact(&artifact) {
                    evidence
                        .push(Evidence { kind: EvidenceKind::WellKnown, detail: format!("{key} is in {g}") });
                    group = g.to_owned();
                }
            }
            // A family's artifact made from a package name (`spring-web-portlet` from
            // `org.springframework.web.portlet`) gives way to the artifact id of the same
            // family that the jar states as its title (`spring-webmvc-portlet`).
            if key.ends_with('*')
                && let Some(t) = plain(title)
                && t != artifact
                && artifact.split_once('-').is_some_and(|(word, _)| t.starts_with(&format!("{word}-")))
            {
                evidence.push(manifest("Implementation-Title", t));
                artifact = t.to_owned();
            }
            if what == "package prefix" {
                evidence.push(Evidence {
                    kind: EvidenceKind::PackagePrefix,
                    detail: class_prefix.unwrap_or_default().into(),
                });
            } else {
                evidence.push(manifest(what, &name));
            }
            evidence.push(Evidence {
                kind: EvidenceKind::WellKnown,
                detail: format!("{key} is {group}:{artifact}"),
            });
            return Some((
                Component { group: Some(group), artifact, version, version_range: None },
                evidence,
            ));
        }
    }
    // 2. The artifact: a bundle name that is one (plain, or an Eclipse bundle's, which
    // Tycho publishes under its symbolic name), the file name, a title that is one.
    if let Some(b) = bundle.filter(|b| artifact_like(b))
        && let Some(group) = crate::known::eclipse_group(b)
    {
        evidence.push(manifest("Bundle-SymbolicName", b));
        evidence.push(Evidence {
            kind: EvidenceKind::WellKnown,
            detail: format!("Eclipse bundles are published under their symbolic name, in group {group} (the first three parts of the name, or its Web Tools repository's)"),
        });
        let component =
            Component { group: Some(group), artifact: b.to_owned(), version, version_range: None };
        return Some((component, evidence));
    }
    let (artifact, from) = if let Some(b) = plain(bundle) {
        evidence.push(manifest("Bundle-SymbolicName", b));
        (b.to_owned(), "bundle")
    } else if let Some(t) =
        plain(title).filter(|t| t.contains('-') && file.as_ref().is_some_and(|(a, _)| a != t))
    {
        evidence.push(manifest("Implementation-Title", t));
        (t.to_owned(), "title")
    } else if let Some((a, _)) = &file {
        evidence
            .push(Evidence { kind: EvidenceKind::FileName, detail: file_name.unwrap_or_default().into() });
        (a.clone(), "file")
    } else if let Some(t) = plain(title) {
        evidence.push(manifest("Implementation-Title", t));
        (t.to_owned(), "title")
    } else if let Some(n) = bundle.or(module).filter(|n| artifact_like(n)) {
        evidence.push(manifest(
            if bundle.is_some() { "Bundle-SymbolicName" } else { "Automatic-Module-Name" },
            n,
        ));
        (n.to_owned(), "dotted")
    } else {
        return None;
    };
    // 3. The group: a family with a known group, the bundle or module name inverted, the
    // vendor id.
    let mut group = None;
    let mut artifact = artifact;
    if let Some((g, key)) = group_of_artifact(&artifact) {
        evidence.push(Evidence { kind: EvidenceKind::WellKnown, detail: format!("{key} is in {g}") });
        group = Some(g.to_owned());
    } else if let Some((g, id)) = underscored_artifact(&artifact) {
        evidence.push(Evidence {
            kind: EvidenceKind::WellKnown,
            detail: format!("{artifact} spells the artifact id {id}, which is in {g}"),
        });
        (group, artifact) = (Some(g.to_owned()), id.to_owned());
    } else if let Some(g) = groovy_group(&artifact, version.as_deref()) {
        evidence
            .push(Evidence { kind: EvidenceKind::WellKnown, detail: format!("groovy modules are in {g}") });
        group = Some(g.to_owned());
    } else if let Some(g) = group_by_version(&artifact, version.as_deref()) {
        let v = version.as_deref().unwrap_or_default();
        evidence
            .push(Evidence { kind: EvidenceKind::WellKnown, detail: format!("{artifact} {v} is in {g}") });
        group = Some(g.to_owned());
    }
    if group.is_none() && from != "dotted" {
        for (what, name) in named {
            if let Some(g) = name.and_then(|n| group_from_bundle(n, &artifact)) {
                if from != "bundle" {
                    evidence.push(manifest(what, name.unwrap_or_default()));
                }
                group = Some(g);
                break;
            }
        }
    }
    // `org.apache` is the vendor id the Apache parent poms set in every project's manifest,
    // not a group (none but that parent pom's is `org.apache`).
    if group.is_none()
        && let Some(v) = attr(attrs, "Implementation-Vendor-Id")
        && artifact_like(v)
        && v.contains('.')
        && v != "org.apache"
    {
        evidence.push(manifest("Implementation-Vendor-Id", v));
        group = Some(v.to_owned());
    }
    if group.is_none()
        && let Some(dotted) = &dotted_prefix
        && let Some(g) = group_from_prefix(dotted, &artifact)
    {
        evidence.push(Evidence {
            kind: EvidenceKind::PackagePrefix,
            detail: class_prefix.unwrap_or_default().into(),
        });
        group = Some(g);
    }
    if group.is_none()
        && from == "file"
        && let Some((g, a)) = dotted_prefix.as_deref().and_then(|d| group_dot_artifact(&artifact, d))
    {
        evidence.push(Evidence {
            kind: EvidenceKind::PackagePrefix,
            detail: class_prefix.unwrap_or_default().into(),
        });
        let detail = if a == artifact {
            format!("a bundle named after its package, in its parent package's group: {g}:{a}")
        } else {
            format!("a file named groupId.artifactId-version.jar: {g}:{a}")
        };
        evidence.push(Evidence { kind: EvidenceKind::WellKnown, detail });
        (group, artifact) = (Some(g), a);
    }
    if group.is_none() && from == "file" && version.is_none() && evidence.len() <= 1 {
        // A bare name and nothing else: not a component.
        return None;
    }
    let mut seen = Vec::with_capacity(evidence.len());
    evidence.retain(|e| {
        let fresh = !seen.contains(e);
        if fresh {
            seen.push(e.clone());
        }
        fresh
    });
    Some((Component { group, artifact, version, version_range: None }, evidence))
}

/// The version at the start of a manifest's version that goes on with words
/// (`4.10.4 ${svnversion} - buildd - 1969-12-31`: `4.10.4`); the value itself otherwise.
fn leading_version(v: &str) -> &str {
    match v.split_once(char::is_whitespace) {
        Some((first, _)) if first.starts_with(|c: char| c.is_ascii_digit()) => first,
        _ => v,
    }
}

/// The version a manifest states, as built: [`leading_version`], without the literal
/// `.qualifier` that an OSGi build leaves when it does not stamp one (`1.3.100.qualifier`:
/// `1.3.100`); `None` when the build left a placeholder (`${version.suffix}`, `unspecified`,
/// `0.0.0`), something that is no version, or nothing.
fn built_version(v: &str) -> Option<&str> {
    let v = leading_version(v);
    let v = v.strip_suffix(".qualifier").unwrap_or(v);
    // Gradle's version of a project that sets none; bnd's default `Bundle-Version` (`0`,
    // `0.0.0`); characters no version has (`10.14.2000000.???`).
    let unset =
        v == "unspecified" || v.ends_with(".unspecified") || v.bytes().all(|b| b == b'0' || b == b'.');
    let odd = !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+~".contains(&b));
    (!v.is_empty() && !unset && !odd).then_some(v)
}

/// The release a Derby bundle's `Bundle-Version` encodes: Derby writes
/// `major.minor.maint.changenumber` with `maint` = fix pack × 1,000,000 + point release and
/// a changenumber that may be unknown (`10.14.2000000.???` is 10.14.2.0). `None` for other
/// bundles (named `derby*`) and other forms.
fn derby_version(bundle: &str, v: &str) -> Option<String> {
    if !bundle.starts_with("derby") {
        return None;
    }
    let mut parts = v.split('.');
    let (major, minor, maint) = (parts.next()?, parts.next()?, parts.next()?);
    let number =
        |p: &str| (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse::<u64>().ok())?;
    let (major, minor, maint) = (number(major)?, number(minor)?, number(maint)?);
    (maint >= 1_000_000).then(|| format!("{major}.{minor}.{}.{}", maint / 1_000_000, maint % 1_000_000))
}

/// The spelling of a version a manifest states (`built`) as the file name writes it, when the
/// two are the same version by Maven's ordering and differ only by trailing zeros
/// (`Implementation-Version: 1.72.0` in `bcprov-1.72.jar`: `1.72`, as published); the
/// manifest's otherwise. The file name is then added to the evidence.
fn published_spelling(
    built: &str,
    file_version: Option<&str>,
    file_name: Option<&str>,
    evidence: &mut Vec<Evidence>,
) -> String {
    let trimmed = |v: &str| v.trim_end_matches(['0', '.']).len();
    match file_version {
        Some(f)
            if f != built
                && MavenVersion::parse(f) == MavenVersion::parse(built)
                && (built.starts_with(f) || f.starts_with(built))
                && trimmed(f) == trimmed(built) =>
        {
            evidence.push(Evidence {
                kind: EvidenceKind::FileName,
                detail: file_name.unwrap_or_default().into(),
            });
            f.to_owned()
        }
        _ => built.to_owned(),
    }
}

/// The artifact a distribution's major-versioned name stands for (`tomcat9-catalina` with
/// version 9.0.70: `tomcat-catalina`; `lucene3-core` with 3.6.2: `lucene-core`): the first
/// word ends in the version's major and more words follow. `None` when the name is not such.
fn without_distribution_major(artifact: &str, version: Option<&str>) -> Option<String> {
    let (first, rest) = artifact.split_once('-')?;
    let major = version?.split(|c: char| !c.is_ascii_digit()).next().filter(|m| !m.is_empty())?;
    let stem = first.strip_suffix(major)?;
    let letters = stem.len() >= 3 && stem.bytes().all(|b| b.is_ascii_alphabetic());
    (letters && !rest.is_empty()).then(|| format!("{stem}-{rest}"))
}

/// The group the package of a unit's classes gives, by Maven's convention that a project's
/// group is its packages' root: the package up to the part that is the artifact's first word
/// (`org.apache.lucene.analysis` and `lucene-analyzers-common`: `org.apache.lucene`), with
/// at least one part before it. Failing that, the first part that extends a word of at least
/// [`MIN_STEM`] letters (`com.jamonapi.utils` and `jamon`: `com.jamonapi`). A part that the
/// word extends is no evidence: `eclipselink` is not in `org.eclipse`, `fontbox2` not in
/// `org.apache.fontbox`. A part with a capital letter is no part of a group (groups are
/// lower-case, as package names are by convention; `com.zeroc.IceBox` and `icebox`:
/// `com.zeroc`): the group ends before it, with at least two parts left.
fn group_from_prefix(dotted: &str, artifact: &str) -> Option<String> {
    let word = artifact.split('-').next()?.to_ascii_lowercase();
    let parts: Vec<String> = dotted.split('.').map(str::to_ascii_lowercase).collect();
    let exact = parts.iter().skip(1).position(|p| *p == word);
    let at = exact.or_else(|| {
        (word.len() >= MIN_STEM).then_some(())?;
        parts.iter().skip(1).position(|p| p.starts_with(word.as_str()))
    })? + 1;
    let upper = dotted.split('.').position(|p| p.bytes().any(|b| b.is_ascii_uppercase()));
    let end = upper.map_or(at + 1, |u| u.min(at + 1));
    (end >= 2).then(|| dotted.split('.').take(end).collect::<Vec<_>>().join("."))
}

/// A file name's artifact that is `groupId.artifactId`, as Maven's dependency plugin writes
/// it with `prependGroupId` (`com.android.tools.build.gradle-2.2.2.jar`): the group (two parts
/// or more, lower-case words) and the artifact after its last dot, when the group is of the
/// same organisation as the classes' package `dotted` (their first two parts agree). When
/// the classes lie in the group's package, the last word must read as a module's artifact id
/// (it has a dash, or extends the group's last word: `com.android.tools.lint.lint-api`);
/// otherwise the name is a bundle named after its package and one more word
/// (`com.ibm.wala.core`), an artifact id of its own, in the group of the package above it. A
/// last word with a capital (`com.android.databinding.baseLibrary`) is no package name: the
/// name is groupId.artifactId when the classes share a part of the group after its first.
fn group_dot_artifact(name: &str, dotted: &str) -> Option<(String, String)> {
    let (group, artifact) = name.rsplit_once('.')?;
    let word = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let grouplike = group.split('.').count() >= 2 && group.split('.').all(word);
    if !grouplike || !crate::known::artifact_like(artifact) {
        return None;
    }
    // A last word with a capital is no package name (`baseLibrary`): the name reads only as
    // groupId.artifactId, when the classes share a part of the group after its first
    // (`android.databinding` for `com.android.databinding`).
    if artifact.bytes().any(|b| b.is_ascii_uppercase())
        && group.split('.').skip(1).any(|g| dotted.split('.').any(|d| d == g))
    {
        return Some((group.to_owned(), artifact.to_owned()));
    }
    if !group.split('.').take(2).eq(dotted.split('.').take(2)) {
        return None;
    }
    if !crate::known::in_package(dotted, group)
        || artifact.contains('-')
        || group.rsplit('.').next().is_some_and(|last| artifact.starts_with(last))
    {
        return Some((group.to_owned(), artifact.to_owned()));
    }
    // The whole name is the artifact id (`com.ibm.wala.core`), in the group of the package
    // above it, where the classes are. Not Eclipse's own bundles, whose groups are not their
    // parent packages (`org.eclipse.swt` is in `org.eclipse.platform` on Maven Central).
    (word(artifact) && !name.starts_with("org.eclipse.")).then(|| (group.to_owned(), name.to_owned()))
}

/// The fewest letters of an artifact's first word that a package part may extend in
/// [`group_from_prefix`].
const MIN_STEM: usize = 4;

/// Matches a component known only by its coordinates (no class facts) against the
/// advisories, when it has a group and an exact version.
fn match_by_version(advisories: &Advisories, f: &mut Finding) {
    if let (Some(g), Some(v)) = (&f.component.group, &f.component.version) {
        f.vulnerabilities = advisories.evaluate(
            g,
            &f.component.artifact,
            &VersionKnowledge::Exact(MavenVersion::parse(v)),
            &ClassFacts::default(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_names() {
        assert_eq!(
            classify("clt/shaded/l/core/lookup/JndiLookup.class"),
            Some(Want::Core { root: "clt/shaded/l/".into(), class: JNDI_LOOKUP })
        );
        assert_eq!(classify("xcore/lookup/JndiLookup.class"), None);
        assert_eq!(
            classify("WEB-INF/classes/META-INF/maven/g/a/pom.properties"),
            Some(Want::Pom { unit: "WEB-INF/classes/".into() })
        );
        assert_eq!(classify("META-INF/maven/g/pom.properties"), None);
        assert_eq!(classify("META-INF/MANIFEST.MF"), Some(Want::Manifest { unit: String::new() }));
        assert_eq!(
            classify("org/apache/log4j/chainsaw/Main.class"),
            Some(Want::Log4j1Cve { root: "org/apache/log4j/".into(), cve: "CVE-2022-23307" })
        );
        assert_eq!(
            classify("org/apache/log4j/net/SocketServer.class"),
            Some(Want::Log4j1Cve { root: "org/apache/log4j/".into(), cve: "CVE-2019-17571" })
        );
        assert_eq!(classify("org/apache/log4j/Logger.class"), None);
    }

    /// [`parse_manifest`] restricted to the identifying attributes, as a reference.
    fn reference(text: &str) -> Vec<(String, String)> {
        parse_manifest(text)
            .into_iter()
            .filter(|(k, _)| IDENTIFYING_ATTRIBUTES.iter().any(|a| a.eq_ignore_ascii_case(k)))
            .collect()
    }

    #[test]
    fn identifying_attributes_are_those_of_the_whole_parse() {
        let mut texts: Vec<String> = [
            "Manifest-Version: 1.0\r\nImplementation-Title: very-long-na\r\n me\r\n\r\nName: x\r\n",
            // A continuation after a skipped attribute, after a line without a colon, twice.
            "Export-Package: a,\n b\nImplementation-Version: 1\n .2\nno colon here\n .3\nBundle-Version: 4\n",
            "bundle-symbolicname: x;singleton:=true\nBUNDLE-SYMBOLICNAME: y\n",
            " leading continuation\nImplementation-Vendor-Id:\n org.example\nA: b\n \n",
            "",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        // Every real manifest of the reference jars.
        let jars = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/jars/log4j");
        for dir in std::fs::read_dir(&jars).expect("reference jars").flatten() {
            for jar in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
                let Ok(file) = std::fs::File::open(jar.path()) else { continue };
                let Ok(mut zip) = zip::ZipArchive::new(file) else { continue };
                if let Ok(mut m) = zip.by_name("META-INF/MANIFEST.MF") {
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut m, &mut text).unwrap();
                    texts.push(text);
                }
            }
        }
        assert!(texts.len() > 15, "{}", texts.len());
        for text in &texts {
            assert_eq!(identifying_attributes(text), reference(text), "{text:?}");
        }
    }

    #[test]
    fn parses_manifests_and_file_names() {
        let m = parse_manifest(
            "Manifest-Version: 1.0\r\nImplementation-Title: very-long-na\r\n me\r\n\r\nName: x\r\nA: b\r\n",
        );
        assert_eq!(attr(&m, "implementation-title"), Some("very-long-name"));
        assert_eq!(attr(&m, "A"), None);
        assert_eq!(parse_file_name("log4j-core-2.14.1.jar"), Some(("log4j-core".into(), "2.14.1".into())));
        assert_eq!(
            parse_file_name("commons-io-2.0-beta1.jar"),
            Some(("commons-io".into(), "2.0-beta1".into()))
        );
        assert_eq!(parse_file_name("app.jar"), None);
    }

    #[test]
    fn distribution_names_and_build_placeholders() {
        let strip = |a: &str, v: Option<&str>| without_distribution_major(a, v);
        assert_eq!(strip("tomcat9-catalina", Some("9.0.70")).as_deref(), Some("tomcat-catalina"));
        assert_eq!(strip("tomcat10-coyote", Some("10.1.60")).as_deref(), Some("tomcat-coyote"));
        assert_eq!(strip("lucene3-benchmark", Some("3.6.2")).as_deref(), Some("lucene-benchmark"));
        // Another major, one word, a short stem, no version: the name is the artifact's.
        assert_eq!(strip("spring3-context", Some("4.3.30.RELEASE")), None);
        assert_eq!(strip("jdom2", Some("2.0.6")), None);
        assert_eq!(strip("h2-mvstore", Some("2.1.214")), None);
        assert_eq!(strip("xpp3-min", Some("1.1.4c")), None);
        assert_eq!(strip("tomcat9-catalina", None), None);
        assert_eq!(built_version("1.3.100.qualifier"), Some("1.3.100"));
        assert_eq!(built_version("4.10.4 ${svnversion} - buildd"), Some("4.10.4"));
        assert_eq!(built_version("${version.suffix}"), None);
        assert_eq!(built_version("2.1"), Some("2.1"));
        assert_eq!(built_version("unspecified"), None);
        assert_eq!(built_version("0.0.0.unspecified"), None);
        assert_eq!(built_version("0"), None);
        assert_eq!(built_version("0.0.0"), None);
        assert_eq!(built_version("10.14.2000000.???"), None);
        assert_eq!(built_version("0.1.0-rc1"), Some("0.1.0-rc1"));
        assert_eq!(built_version("1.0~+svn49"), Some("1.0~+svn49"));
    }

    #[test]
    fn derby_bundle_versions_encode_the_fix_pack() {
        assert_eq!(derby_version("derbyclient", "10.14.2000000.???").as_deref(), Some("10.14.2.0"));
        assert_eq!(derby_version("derby", "10.8.3000001.1234").as_deref(), Some("10.8.3.1"));
        // Another bundle, or a version that encodes nothing: not Derby's.
        assert_eq!(derby_version("other", "10.14.2000000.???"), None);
        assert_eq!(derby_version("derby", "10.14.2"), None);
        assert_eq!(derby_version("derby", "10.x.2000000"), None);
        let attrs = vec![
            ("Bundle-SymbolicName".to_owned(), "derbyclient".to_owned()),
            ("Bundle-Version".to_owned(), "10.14.2000000.???".to_owned()),
        ];
        let (c, evidence) = name_unit("META-INF/MANIFEST.MF", &attrs, None, Some("derbyclient.jar")).unwrap();
        assert_eq!(c.version.as_deref(), Some("10.14.2.0"));
        assert!(evidence.iter().any(|e| e.detail.contains("Derby's bundle version")), "{evidence:?}");
    }

    #[test]
    fn eclipse_bundles_are_named_by_their_symbolic_name() {
        let attrs = vec![
            (
                "Bundle-SymbolicName".to_owned(),
                "org.eclipse.equinox.p2.updatechecker;singleton:=true".to_owned(),
            ),
            ("Bundle-Version".to_owned(), "1.3.100.qualifier".to_owned()),
        ];
        let (c, evidence) =
            name_unit("META-INF/MANIFEST.MF", &attrs, None, Some("equinox-p2-updatechecker-1.3.100.jar"))
                .unwrap();
        assert_eq!(c.group.as_deref(), Some("org.eclipse.equinox"));
        assert_eq!(c.artifact, "org.eclipse.equinox.p2.updatechecker");
        assert_eq!(c.version.as_deref(), Some("1.3.100"));
        assert!(evidence.iter().any(|e| e.kind == EvidenceKind::WellKnown), "{evidence:?}");
        // Jetty's bundles are artifacts of their own.
        let jetty = vec![("Bundle-SymbolicName".to_owned(), "org.eclipse.jetty.util".to_owned())];
        let (c, _) = name_unit("META-INF/MANIFEST.MF", &jetty, None, Some("jetty-util-9.4.50.jar")).unwrap();
        assert_eq!((c.group.as_deref(), c.artifact.as_str()), (Some("org.eclipse.jetty"), "jetty-util"));
    }

    #[test]
    fn a_package_part_with_a_capital_is_no_group_part() {
        assert_eq!(group_from_prefix("com.zeroc.IceBox", "icebox").as_deref(), Some("com.zeroc"));
        assert_eq!(group_from_prefix("com.zeroc.IceGrid.admin", "icegrid").as_deref(), Some("com.zeroc"));
        // Lower-case parts as before; too few parts left: no group.
        assert_eq!(
            group_from_prefix("org.apache.lucene.analysis", "lucene-analyzers-common").as_deref(),
            Some("org.apache.lucene")
        );
        assert_eq!(group_from_prefix("com.Foo.foo", "foo"), None);
    }

    /// `group:artifact` of the unit [`name_unit`] names from manifest attributes, a package
    /// prefix and a file name.
    fn named(attrs: &[(&str, &str)], prefix: Option<&str>, file: &str) -> String {
        let attrs: Vec<(String, String)> =
            attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let (c, _) = name_unit("META-INF/MANIFEST.MF", &attrs, prefix, Some(file)).unwrap();
        format!("{}:{}", c.group.as_deref().unwrap_or("?"), c.artifact)
    }

    #[test]
    fn a_bundle_name_comes_before_the_table_entry_of_its_package() {
        let tomcat =
            [("Bundle-SymbolicName", "org.apache.tomcat-servlet-api"), ("Implementation-Version", "9.0.70")];
        let servlet = Some("javax/servlet/");
        assert_eq!(
            named(&tomcat, servlet, "tomcat9-servlet-api-9.0.70.jar"),
            "org.apache.tomcat:tomcat-servlet-api"
        );
        // Without a bundle name, the package prefix's table entry names it.
        assert_eq!(named(&[], servlet, "servlet-api-4.0.1.jar"), "javax.servlet:javax.servlet-api");
    }

    #[test]
    fn a_sibling_of_a_table_artifact_takes_the_group_the_table_gives_it() {
        let guice = [("Bundle-SymbolicName", "com.google.inject"), ("Bundle-Version", "4.2.3")];
        assert_eq!(
            named(&guice, None, "guice-multibindings-4.2.3.jar"),
            "com.google.inject.extensions:guice-multibindings"
        );
        // Guice itself stays in com.google.inject.
        assert_eq!(named(&guice, None, "guice-4.2.3.jar"), "com.google.inject:guice");
    }

    #[test]
    fn a_distribution_major_comes_off_before_the_bundle_gives_the_group() {
        let attrs = vec![
            ("Bundle-SymbolicName".to_owned(), "org.apache.tomcat-catalina".to_owned()),
            ("Implementation-Version".to_owned(), "9.0.70".to_owned()),
        ];
        let (c, _) = name_unit(
            "META-INF/MANIFEST.MF",
            &attrs,
            Some("org/apache/catalina/"),
            Some("tomcat9-catalina-9.0.70.jar"),
        )
        .unwrap();
        assert_eq!(
            (c.group.as_deref(), c.artifact.as_str(), c.version.as_deref()),
            (Some("org.apache.tomcat"), "tomcat-catalina", Some("9.0.70"))
        );
    }
}
