//! Log4j knowledge: which classes mark log4j-core 2.x and log4j 1.x (under any package
//! prefix, so shaded/relocated copies count), and how to date a log4j-core copy that has no
//! `pom.properties`:
//!
//! 1. exact fingerprints: SHA-256 of classes that changed between releases
//!    (`JndiLookup`, `JndiManager`, `Interpolator`), taken from the real Maven Central jars
//!    in `reference/jars/log4j` (a test recomputes them); when every fingerprinted class
//!    present is known, the intersection of their versions dates the copy;
//! 2. otherwise (relocated copies, releases not in the table) string constants that survive
//!    relocation (`log4j2.enableJndi`, `allowedJndiProtocols`, `isJndiLookupEnabled`,
//!    `isJndiJdbcEnabled`, `JNDI is not supported`) place the copy in a feature class whose
//!    possible versions are a Maven range; verdicts are then decided over every release in
//!    that range (all affected, none, or `unknown-version`).

use sha2::{Digest, Sha256};

/// Class-name suffix of the JNDI lookup (relative to the log4j root, e.g. `org/apache/logging/log4j/`).
pub const JNDI_LOOKUP: &str = "core/lookup/JndiLookup.class";
/// Class-name suffix of the JNDI manager.
pub const JNDI_MANAGER: &str = "core/net/JndiManager.class";
/// Class-name suffix of the interpolator (fingerprint only).
pub const INTERPOLATOR: &str = "core/lookup/Interpolator.class";
/// Marker classes of log4j-core present in every 2.x release.
pub const CORE_MARKERS: [&str; 2] = ["core/LoggerContext.class", "core/lookup/StrLookup.class"];

/// Log4j 1.x: the class marking the root (`org/apache/log4j/`).
pub const LOG4J1_MARKER: &str = "Category.class";
/// Log4j 1.x CVEs and the class (suffix, relative to the root) each lives in.
pub const LOG4J1_CVES: [(&str, &str); 5] = [
    ("CVE-2019-17571", "net/SocketServer.class"),
    ("CVE-2021-4104", "net/JMSAppender.class"),
    ("CVE-2022-23302", "net/JMSSink.class"),
    ("CVE-2022-23305", "jdbc/JDBCAppender.class"),
    ("CVE-2022-23307", "chainsaw/"),
];

/// A backported fix of a log4j 1.x CVE, recognised by the classes that carry it (relative to
/// the root, so relocated copies count): the fix is in when one of `fix_classes` is present
/// **and** `user`, the class the vulnerable path goes through, refers to it by name (its
/// simple name survives relocation). Distribution builds carry these without a new version:
/// Debian's `log4j-1.2-1.2.17.jar` (1.2.17-9 and -11) reads sockets through
/// `FilteredObjectInputStream`, chainsaw through `HardenedLoggingEventInputStream`, and
/// JDBCAppender's statements through `JdbcPatternParser`; reload4j uses the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Log4j1Fix {
    /// The CVE it fixes.
    pub cve: &'static str,
    /// The class that must use the fix (suffix relative to the root).
    pub user: &'static str,
    /// Classes that carry the fix (suffixes relative to the root); any one suffices.
    pub fix_classes: &'static [&'static str],
}

/// Backported fixes recognised in log4j 1.x copies.
pub const LOG4J1_FIXES: [Log4j1Fix; 3] = [
    Log4j1Fix {
        cve: "CVE-2019-17571",
        user: "net/SocketNode.class",
        fix_classes: &[
            "FilteredObjectInputStream.class",
            "net/HardenedLoggingEventInputStream.class",
            "net/HardenedObjectInputStream.class",
        ],
    },
    Log4j1Fix {
        cve: "CVE-2022-23307",
        user: "chainsaw/LoggingReceiver$Slurper.class",
        fix_classes: &[
            "net/HardenedLoggingEventInputStream.class",
            "net/HardenedObjectInputStream.class",
            "FilteredObjectInputStream.class",
        ],
    },
    Log4j1Fix {
        cve: "CVE-2022-23305",
        user: "jdbc/JDBCAppender.class",
        fix_classes: &["jdbc/JdbcPatternParser.class"],
    },
];

/// Whether class bytes `user` refer to the class of suffix `fix_class` (by its simple name,
/// as a whole constant-pool name component: `/Name;`, `/Name` at the end of a UTF-8 entry).
pub fn refers_to(user: &[u8], fix_class: &str) -> bool {
    let simple = fix_class.rsplit('/').next().unwrap_or(fix_class).trim_end_matches(".class");
    let needle = format!("/{simple}");
    memchr::memmem::find_iter(user, needle.as_bytes()).any(|i| {
        // The name must end there: not `/FilteredObjectInputStreamFoo`.
        user.get(i + needle.len()).is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$'))
    })
}

/// The CVEs whose exposure removing `JndiLookup.class` takes away.
pub const JNDI_LOOKUP_CVES: [&str; 2] = ["CVE-2021-44228", "CVE-2021-45046"];

/// Every log4j-core 2.x release (Maven Central), used to decide verdicts over a range.
pub const LOG4J_CORE_RELEASES: &[&str] = &[
    "2.0-alpha1",
    "2.0-alpha2",
    "2.0-beta1",
    "2.0-beta2",
    "2.0-beta3",
    "2.0-beta4",
    "2.0-beta5",
    "2.0-beta6",
    "2.0-beta7",
    "2.0-beta8",
    "2.0-beta9",
    "2.0-rc1",
    "2.0-rc2",
    "2.0",
    "2.0.1",
    "2.0.2",
    "2.1",
    "2.2",
    "2.3",
    "2.3.1",
    "2.3.2",
    "2.4",
    "2.4.1",
    "2.5",
    "2.6",
    "2.6.1",
    "2.6.2",
    "2.7",
    "2.8",
    "2.8.1",
    "2.8.2",
    "2.9.0",
    "2.9.1",
    "2.10.0",
    "2.11.0",
    "2.11.1",
    "2.11.2",
    "2.12.0",
    "2.12.1",
    "2.12.2",
    "2.12.3",
    "2.12.4",
    "2.13.0",
    "2.13.1",
    "2.13.2",
    "2.13.3",
    "2.14.0",
    "2.14.1",
    "2.15.0",
    "2.16.0",
    "2.17.0",
    "2.17.1",
    "2.17.2",
    "2.18.0",
    "2.19.0",
    "2.20.0",
    "2.21.0",
    "2.21.1",
    "2.22.0",
    "2.22.1",
    "2.23.0",
    "2.23.1",
    "2.24.0",
    "2.24.1",
    "2.24.2",
    "2.24.3",
    "2.25.0",
    "2.25.1",
];

/// SHA-256 of fingerprinted classes of the real log4j-core jars: (class suffix, hash, versions).
pub const FINGERPRINTS: &[(&str, &str, &[&str])] = &[
    (
        "core/lookup/Interpolator.class",
        "0cc3dcfedfec456507956d4bcbd1242a8ee90b3bdd3072aed018391da7ac8aba",
        &["2.16.0"],
    ),
    (
        "core/lookup/Interpolator.class",
        "52bd39018d9414b2c6543be189741305bcac3805530f8541e2a22345c27595b1",
        &["2.14.1", "2.15.0"],
    ),
    (
        "core/lookup/Interpolator.class",
        "55a7d9dc015c52ab5dcd6041bd3bb4273bb7c3d5101d8db8c4a7b841f8f85428",
        &["2.3.1"],
    ),
    (
        "core/lookup/Interpolator.class",
        "830cd838bb7a496644a9b4b6a1445a7e93f9b1c1f2fe63df1f81ff0256efedac",
        &["2.17.1"],
    ),
    (
        "core/lookup/Interpolator.class",
        "8a8286b902589079ca2711affbb62dd6c0b820759b877a7b8db50010ee68706b",
        &["2.10.0"],
    ),
    (
        "core/lookup/Interpolator.class",
        "97ea54e64b21190f21856a0d9fb22f453d38f9f0ce8ccb5a8c9ebdd4814a3a49",
        &["2.3"],
    ),
    (
        "core/lookup/Interpolator.class",
        "980e6351672929b586505966f8133a29797931f54f803eb93a02800b83145be5",
        &["2.12.1"],
    ),
    (
        "core/lookup/Interpolator.class",
        "a281128d560dbdcda6c17d3802309eaf700d14df62eba7c29c035aa677df0af5",
        &["2.0-beta9"],
    ),
    (
        "core/lookup/Interpolator.class",
        "b53ba0bc9895232f8b1ddf30303c5ad36af40640433222d9a43abe19727b3b27",
        &["2.9.1"],
    ),
    (
        "core/lookup/Interpolator.class",
        "bd4072cc9b76ddd06f72f616fda2ce6dc7b5ce7df074cf2f82170e179539eb4a",
        &["2.12.2"],
    ),
    (
        "core/lookup/Interpolator.class",
        "c25edc77d31856a5f5e60a398ca1c6bd381687c8adf4b0133f02b7e8726c710f",
        &["2.17.0"],
    ),
    (
        "core/lookup/Interpolator.class",
        "f1f6291ab522b05848a2d8b8312295a4ba2a339e5af48ed9a91648858c9686e7",
        &["2.0-beta2"],
    ),
    (
        "core/lookup/JndiLookup.class",
        "0ad99a95ff637fc966fc4ce5fe1f9e78d3b24b113282f9990b95a6fde3383d9c",
        &["2.3.1"],
    ),
    (
        "core/lookup/JndiLookup.class",
        "0f038a1e0aa0aff76d66d1440c88a2b35a3d023ad8b2e3bac8e25a3208499f7e",
        &["2.10.0", "2.9.1"],
    ),
    (
        "core/lookup/JndiLookup.class",
        "39a495034d37c7934b64a9aa686ea06b61df21aa222044cc50a47d6903ba1ca8",
        &["2.0-beta9"],
    ),
    (
        "core/lookup/JndiLookup.class",
        "5c104d16ff9831b456e4d7eaf66bcf531f086767782d08eece3fb37e40467279",
        &["2.12.1"],
    ),
    (
        "core/lookup/JndiLookup.class",
        "84057480ba7da6fb6d9ea50c53a00848315833c1f34bf8f4a47f11a14499ae3f",
        &["2.14.1", "2.15.0", "2.16.0"],
    ),
    (
        "core/lookup/JndiLookup.class",
        "a768e5383990b512f9d4f97217eda94031c2fa4aea122585f5a475ab99dc7307",
        &["2.3"],
    ),
    (
        "core/lookup/JndiLookup.class",
        "ddad241274b834182525eeddc35c3198247507bd2df59645b58b94cd18fada7c",
        &["2.17.0", "2.17.1"],
    ),
    (
        "core/lookup/JndiLookup.class",
        "febbc7867784d0f06934fec59df55ee45f6b24c55b17fff71cc4fca80bf22ebb",
        &["2.12.2"],
    ),
    (
        "core/net/JndiManager.class",
        "1fa92c00fa0b305b6bbe6e2ee4b012b588a906a20a05e135cbe64c9d77d676de",
        &["2.12.1"],
    ),
    (
        "core/net/JndiManager.class",
        "293d7e83d4197f0496855f40a7745cfcdd10026dc057dfc1816de57295be88a6",
        &["2.10.0", "2.9.1"],
    ),
    (
        "core/net/JndiManager.class",
        "3588a6aaf84fa79215a1cc5d12dee69413b8772656c73bdf26ef35df713b1091",
        &["2.17.1"],
    ),
    (
        "core/net/JndiManager.class",
        "5210e6aae7dd8a61cd16c56937c5f2ed43941487830f46e99d0d3f45bfa6f953",
        &["2.16.0"],
    ),
    (
        "core/net/JndiManager.class",
        "6ce4436eca5edc852d375cbc831cd652b80fc16f6238cd2b22bd115b3735460e",
        &["2.3.1"],
    ),
    (
        "core/net/JndiManager.class",
        "77323460255818f4cbfe180141d6001bfb575b429e00a07cbceabd59adf334d6",
        &["2.14.1"],
    ),
    (
        "core/net/JndiManager.class",
        "9c2a6ea36c79fa23da59cc0f6c52c07ce54ca145ddd654790a3116d2b24de51b",
        &["2.17.0"],
    ),
    (
        "core/net/JndiManager.class",
        "ae950f9435c0ef3373d4030e7eff175ee11044e584b7f205b7a9804bbe795f9c",
        &["2.3"],
    ),
    (
        "core/net/JndiManager.class",
        "b1960d63a3946f9e16e1920624f37c152b58b98932ed04df99ed5d9486732afb",
        &["2.12.2"],
    ),
    (
        "core/net/JndiManager.class",
        "db07ef1ea174e000b379732681bd835cfede648a7971bf4e9a0d31981582d69e",
        &["2.15.0"],
    ),
];

/// Classes read to date a copy.
pub const FINGERPRINT_CLASSES: [&str; 3] = [JNDI_LOOKUP, JNDI_MANAGER, INTERPOLATOR];

/// Class bytes of one log4j-core copy (one package root).
#[derive(Debug, Default, Clone)]
pub struct CoreClasses {
    /// `JndiLookup.class`, if present.
    pub lookup: Option<Vec<u8>>,
    /// `JndiManager.class`, if present.
    pub manager: Option<Vec<u8>>,
    /// `Interpolator.class`, if present.
    pub interpolator: Option<Vec<u8>>,
    /// Marker classes seen.
    pub markers: usize,
}

impl CoreClasses {
    /// Whether these classes make a log4j-core copy.
    pub fn is_core(&self) -> bool {
        self.lookup.is_some() || self.manager.is_some() || self.markers == CORE_MARKERS.len()
    }
}

/// How a copy was dated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dating {
    /// One release: every fingerprinted class matched the table.
    Exact(String),
    /// A feature class: the possible versions as a Maven range, and a name.
    Range {
        /// Maven range syntax.
        range: &'static str,
        /// Why.
        feature: &'static str,
    },
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Exact version from fingerprints, if every fingerprinted class present is known and the
/// versions intersect to exactly one release.
pub fn exact_version(classes: &CoreClasses) -> Option<String> {
    let mut candidates: Option<Vec<&str>> = None;
    let present = [
        (JNDI_LOOKUP, &classes.lookup),
        (JNDI_MANAGER, &classes.manager),
        (INTERPOLATOR, &classes.interpolator),
    ];
    let mut any = false;
    for (suffix, bytes) in present {
        let Some(bytes) = bytes else { continue };
        any = true;
        let hash = sha256_hex(bytes);
        let versions = FINGERPRINTS.iter().find(|(c, h, _)| *c == suffix && *h == hash)?.2;
        candidates = Some(match candidates {
            None => versions.to_vec(),
            Some(prev) => prev.into_iter().filter(|v| versions.contains(v)).collect(),
        });
    }
    match candidates {
        Some(c) if any && c.len() == 1 => Some(c[0].to_owned()),
        _ => None,
    }
}

/// Feature class of a copy from relocation-proof string constants.
pub fn feature_range(classes: &CoreClasses) -> Dating {
    let r = |range, feature| Dating::Range { range, feature };
    if let Some(m) = &classes.manager {
        if contains(m, b"isJndiJdbcEnabled") {
            return r("[2.3.2,2.4),[2.12.4,2.13.0),[2.17.1,)", "JndiManager.isJndiJdbcEnabled (2.17.1 line)");
        }
        if contains(m, b"isJndiLookupEnabled") {
            return r(
                "[2.3.1,2.3.2),[2.12.3,2.12.4),[2.17.0,2.17.1)",
                "JndiManager.isJndiLookupEnabled (2.17.0 line)",
            );
        }
        let allowed = contains(m, b"allowedJndiProtocols");
        let enable = contains(m, b"log4j2.enableJndi");
        return match (allowed, enable) {
            (true, true) => {
                r("[2.16.0,2.17.0)", "JndiManager allowedJndiProtocols + log4j2.enableJndi (2.16.0)")
            }
            (true, false) => r("[2.15.0,2.16.0)", "JndiManager allowedJndiProtocols (2.15.0)"),
            (false, true) => r("[2.12.2,2.12.4)", "JndiManager log4j2.enableJndi (2.12.2 line)"),
            (false, false) => {
                r("[2.1,2.3.1),[2.4,2.12.2),[2.13.0,2.15.0)", "JndiManager without JNDI restrictions")
            }
        };
    }
    if let Some(l) = &classes.lookup {
        if contains(l, b"JNDI is not supported") {
            return r("[2.12.2,2.12.4)", "JndiLookup 'JNDI is not supported' (2.12.2 line)");
        }
        if contains(l, b"log4j2.enableJndiLookup") {
            return r("[2.3.1,2.4),[2.12.3,2.13.0),[2.17.0,)", "JndiLookup requires log4j2.enableJndiLookup");
        }
        return r("[2.0-beta9,2.1)", "JndiLookup without JndiManager (2.0-beta9 to 2.0.2)");
    }
    r("[2.0-alpha1,2.1)", "log4j-core classes without JndiLookup or JndiManager")
}

/// Dates a copy: exact when the fingerprints allow it, else by feature class.
pub fn date(classes: &CoreClasses) -> Dating {
    exact_version(classes).map(Dating::Exact).unwrap_or_else(|| feature_range(classes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refers_to_whole_simple_names_only() {
        let class = b"\x01\x00\x2aorg/apache/log4j/FilteredObjectInputStream\x07\x00\x01";
        assert!(refers_to(class, "FilteredObjectInputStream.class"));
        assert!(refers_to(b"Lshaded/x/FilteredObjectInputStream;", "FilteredObjectInputStream.class"));
        assert!(!refers_to(b"org/x/FilteredObjectInputStreamFactory\x07", "FilteredObjectInputStream.class"));
        assert!(!refers_to(b"org/x/MyFilteredObjectInputStream\x07", "FilteredObjectInputStream.class"));
        assert!(refers_to(
            b"org/x/net/HardenedLoggingEventInputStream",
            "net/HardenedLoggingEventInputStream.class"
        ));
    }
}
