//! Identification score of `vulnrelay scan` against the truth of Debian's Maven repository
//! layout: `/usr/share/maven-repo/GROUP/ARTIFACT/VERSION/ARTIFACT-VERSION.jar` is a link to
//! the jar a package installed (`/usr/share/java/NAME.jar`, often without a version in its
//! name). Each distinct jar is scanned under its real path (not the repository's name, which
//! would give the answer away) and its first component (the outer one) is compared with
//! the coordinates the repository files it under (any of them, when a jar is filed under
//! several versions, e.g. `1.2.x` and `1.2.17`). Versions named `debian` are skipped.
//! Usage: `cargo run -p vulnrelay-bench --bin ident [-- [ROOT] [--verbose] [--skip FILE] [--right FILE]]`
//! (`--skip`: jars whose real path is a line of FILE are not scored, for a held-out sample;
//! `--right FILE`: the real path of each jar named right is written to FILE, to compare two
//! builds jar by jar without listing a held-out sample's misses);
//! `bench/ident-score.sh` installs a set of Debian Java library packages first.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use vulnrelay_scan::{Options, scan};

/// Every `G/A/V/A-V.jar` under `root`: (group, artifact, version, path).
fn layout(root: &Path) -> Vec<(String, String, String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
                continue;
            }
            let Ok(rel) = p.strip_prefix(root) else { continue };
            let parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
            if parts.len() < 4 {
                continue;
            }
            let n = parts.len();
            let (file, version, artifact) = (&parts[n - 1], &parts[n - 2], &parts[n - 3]);
            if version == "debian" || *file != format!("{artifact}-{version}.jar") {
                continue;
            }
            out.push((parts[..n - 3].join("."), artifact.clone(), version.clone(), p));
        }
    }
    out.sort();
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "--verbose");
    let value_of = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let skip_file = value_of("--skip");
    let right_file = value_of("--right");
    let skip: BTreeSet<PathBuf> = skip_file
        .as_ref()
        .map(|f| fs::read_to_string(f).expect("--skip FILE").lines().map(PathBuf::from).collect())
        .unwrap_or_default();
    let root = PathBuf::from(
        args.iter()
            .find(|a| {
                !a.starts_with("--") && Some(*a) != skip_file.as_ref() && Some(*a) != right_file.as_ref()
            })
            .map_or("/usr/share/maven-repo", String::as_str),
    );
    let mut truth: BTreeMap<PathBuf, Vec<(String, String, String)>> = BTreeMap::new();
    for (g, a, v, p) in layout(&root) {
        let Ok(real) = fs::canonicalize(&p) else { continue };
        if skip.contains(&real) {
            continue;
        }
        truth.entry(real).or_default().push((g, a, v));
    }
    if truth.is_empty() {
        eprintln!("no GROUP/ARTIFACT/VERSION/ARTIFACT-VERSION.jar under {}", root.display());
        std::process::exit(1);
    }
    let report = scan(&Options::new(truth.keys().cloned().collect())).expect("scan");
    let (mut ga, mut gav, mut named, mut any_gav) = (0, 0, 0, 0);
    // The misses by category, counted without listing them (for a held-out sample).
    let mut misses: BTreeMap<&str, usize> = BTreeMap::new();
    let mut right = String::new();
    for (jar, coords) in &truth {
        let display = jar.to_string_lossy();
        let found: Vec<_> = report.findings.iter().filter(|f| f.path == display).collect();
        let first = found.first().map(|f| &f.component);
        named += usize::from(first.is_some());
        let ga_ok = first.is_some_and(|c| {
            coords.iter().any(|(g, a, _)| c.group.as_deref() == Some(g.as_str()) && c.artifact == *a)
        });
        let gav_ok = first.is_some_and(|c| {
            coords.iter().any(|(g, a, v)| {
                c.group.as_deref() == Some(g.as_str()) && c.artifact == *a && c.version.as_deref() == Some(v)
            })
        });
        any_gav += usize::from(found.iter().any(|f| {
            coords.iter().any(|(g, a, v)| {
                f.component.group.as_deref() == Some(g.as_str())
                    && f.component.artifact == *a
                    && f.component.version.as_deref() == Some(v)
            })
        }));
        ga += usize::from(ga_ok);
        gav += usize::from(gav_ok);
        if gav_ok {
            right.push_str(&format!("{}\n", jar.display()));
        } else {
            let category = match first {
                None => "not named",
                Some(c) if c.group.is_none() => "no group",
                Some(_) if ga_ok => "only the version wrong",
                Some(c) => {
                    let group = coords.iter().any(|(g, _, _)| c.group.as_deref() == Some(g.as_str()));
                    let artifact = coords.iter().any(|(_, a, _)| c.artifact == *a);
                    match (group, artifact) {
                        (false, true) => "another group",
                        (true, false) => "another artifact",
                        _ => "another group and artifact",
                    }
                }
            };
            *misses.entry(category).or_default() += 1;
        }
        if verbose && !gav_ok {
            let got = first.map_or("-".to_owned(), |c| {
                format!(
                    "{}:{}:{}",
                    c.group.as_deref().unwrap_or("?"),
                    c.artifact,
                    c.version.as_deref().unwrap_or("?")
                )
            });
            let want: Vec<String> = coords.iter().map(|(g, a, v)| format!("{g}:{a}:{v}")).collect();
            println!("{}\n  got  {got}\n  want {}", jar.display(), want.join(" | "));
        }
    }
    if let Some(f) = &right_file {
        fs::write(f, right).expect("--right FILE");
    }
    let n = truth.len();
    let pct = |k: usize| 100.0 * k as f64 / n as f64;
    println!("maven-repo {}: {n} distinct jars, {} errors", root.display(), report.errors.len());
    println!("named at all:                      {named:>5} ({:.1} %)", pct(named));
    println!("group and artifact right:          {ga:>5} ({:.1} %)", pct(ga));
    println!("group, artifact and version right: {gav:>5} ({:.1} %)", pct(gav));
    println!("the right coordinates among any of its components: {any_gav} ({:.1} %)", pct(any_gav));
    let categories: Vec<String> = misses.iter().map(|(c, k)| format!("{c} {k}")).collect();
    println!("misses by category: {}", categories.join(", "));
}
