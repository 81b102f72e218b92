//! How hostile input is reported: one error per archive with the count of its bad entries,
//! named paths that are not regular files or directories, links not followed.

use crate::common::*;
use vulnrelay_scan::{Limits, Options, ScanError, scan};

/// A ZIP whose central directory lists `n` entries that all point at the one local header
/// (of `lib/a0.jar`, a small jar): the overlapping-entries shape of a zip bomb.
fn overlapping(n: usize) -> Vec<u8> {
    let inner = ZipBuilder::new().add("x.txt", &[b'x'; 64], false).build();
    let one = ZipBuilder::new().add("lib/a0.jar", &inner, true).build();
    // Keep the local header and data of `one`; write a new central directory.
    let cd_off = u32::from_le_bytes(one[one.len() - 6..one.len() - 2].try_into().unwrap()) as usize;
    let first_cd = &one[cd_off..one.len() - 22];
    let fixed = &first_cd[..46];
    let mut out = one[..cd_off].to_vec();
    let mut cd = Vec::new();
    for i in 0..n {
        let name = format!("lib/a{i}.jar");
        let mut rec = fixed.to_vec();
        rec[28..30].copy_from_slice(&(name.len() as u16).to_le_bytes());
        cd.extend_from_slice(&rec);
        cd.extend_from_slice(name.as_bytes());
    }
    let cd_start = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn overlapping_entries_are_one_error_with_their_count() {
    let dir = tempfile::tempdir().unwrap();
    let r = scan_bytes(dir.path(), "overlap.jar", &overlapping(250));
    assert_eq!(r.errors.len(), 1, "{:#?}", r.errors);
    let e = &r.errors[0];
    assert!(e.path.ends_with("overlap.jar"), "{}", e.path);
    match &e.error {
        ScanError::BadEntries { count, kinds, first, entries } => {
            assert_eq!(entries.len(), 249);
            assert_eq!(entries[0], "lib/a1.jar");
            assert_eq!(*count, 249, "every entry but the one the header belongs to");
            assert_eq!(kinds, &[("local-header-mismatch", 249)]);
            assert!(e.error.to_string().starts_with("249 bad entries (249 local-header-mismatch); first: "));
            assert!(first.starts_with("lib/a1.jar: local header"), "{first}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.error.kind(), "bad-entries");
    assert_eq!(r.exit_code(), 2);
    // One bad entry keeps its own path and kind.
    let r = scan_bytes(dir.path(), "overlap2.jar", &overlapping(2));
    assert_eq!(r.errors.len(), 1, "{:#?}", r.errors);
    assert_eq!(r.errors[0].error.kind(), "local-header-mismatch");
    assert!(r.errors[0].path.ends_with("overlap2.jar!/lib/a1.jar"), "{}", r.errors[0].path);
}

#[test]
fn a_budget_that_runs_out_is_one_error_per_archive_at_every_depth() {
    let dir = tempfile::tempdir().unwrap();
    // Ten compressed jars of 1 MiB each (stored zeros inside), in a war, in an ear.
    let inner = ZipBuilder::new().add("zeros.bin", &vec![0u8; 1 << 20], true).build();
    let mut war = ZipBuilder::new();
    for i in 0..10 {
        war = war.add(&format!("WEB-INF/lib/z{i}.jar"), &inner, false);
    }
    let war = war.add("WEB-INF/lib/log4j-core-2.14.1.jar", &read("vulnerable/log4j-core-2.14.1.jar"), true);
    let ear = ZipBuilder::new().add("app.war", &war.build(), false).build();
    let path = dir.path().join("app.ear");
    std::fs::write(&path, &ear).unwrap();
    let mut opts = Options::new(vec![path]);
    opts.limits = Limits { max_total_bytes: (1 << 20) * 5 / 2 + 200_000, ..Limits::default() };
    opts.dedup = false;
    let r = scan(&opts).unwrap();
    assert_eq!(r.errors.len(), 1, "{:#?}", r.errors);
    // The ear's one bad entry is the war; the war's are its jars past the budget.
    assert!(r.errors[0].path.ends_with("app.ear!/app.war"), "{}", r.errors[0].path);
    let ScanError::BadEntries { count, kinds, first, .. } = &r.errors[0].error else {
        panic!("{:?}", r.errors[0].error)
    };
    assert!(*count >= 8, "{count}");
    assert!(kinds.iter().all(|(k, _)| *k == "limit-exceeded"), "{kinds:?}");
    assert!(first.starts_with("WEB-INF/lib/z"), "{first}");
}

#[cfg(unix)]
#[test]
fn named_paths_that_are_not_files_or_directories_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let jar = dir.path().join("log4j-core-2.14.1.jar");
    std::fs::write(&jar, read("vulnerable/log4j-core-2.14.1.jar")).unwrap();
    let devnull = std::path::PathBuf::from("/dev/null");
    let r = scan(&Options::new(vec![fifo.clone(), socket.clone(), devnull, jar])).unwrap();
    let got: Vec<(String, String)> = r.errors.iter().map(|e| (e.path.clone(), e.error.to_string())).collect();
    assert_eq!(
        got,
        [
            ("/dev/null".to_owned(), "not a regular file or directory: a character device".to_owned()),
            (fifo.display().to_string(), "not a regular file or directory: a FIFO".to_owned()),
            (socket.display().to_string(), "not a regular file or directory: a socket".to_owned()),
        ]
    );
    assert!(r.errors.iter().all(|e| e.error.kind() == "not-a-file"));
    assert_eq!(cves(core_finding(&r)), ALL4, "the regular file is still scanned");
    assert_eq!(r.exit_code(), 2);
    // In a directory (not named) they are skipped: only named paths are the user's request.
    let r = scan(&Options::new(vec![dir.path().to_path_buf()])).unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.files_scanned, 1);
}

#[cfg(unix)]
#[test]
fn links_not_followed_are_counted_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("log4j-core-2.14.1.jar"), read("vulnerable/log4j-core-2.14.1.jar"))
        .unwrap();
    std::fs::write(dir.path().join("plain.txt"), b"plain").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("to-dir")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("log4j-core-2.14.1.jar"), dir.path().join("to-jar.jar"))
        .unwrap();
    let r = scan(&Options::new(vec![dir.path().to_path_buf()])).unwrap();
    assert_eq!(r.links_not_followed, 2);
    assert!(r.findings.is_empty());
    assert_eq!(
        r.notes(),
        ["2 symbolic links not followed (their targets were not scanned; --follow-symlinks follows them)"]
    );
    assert_eq!(r.exit_code(), 0);
    let mut opts = Options::new(vec![dir.path().to_path_buf()]);
    opts.follow_symlinks = true;
    let r = scan(&opts).unwrap();
    assert_eq!(r.links_not_followed, 0);
    assert!(r.notes().is_empty());
    assert_eq!(r.findings.iter().filter(|f| f.component.artifact == "log4j-core").count(), 2);
}
