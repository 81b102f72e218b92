//! Organisations a page at a time ([`Store::orgs_page`](crate::Store::orgs_page)): by
//! id after a cursor, of one status, holding one of some roles, or found by the start of
//! a word of their names. The candidates come by id from an index range (the
//! statements are public for the EXPLAIN test), then their rows by key, so a page
//! reads about what it returns.

use std::collections::BTreeSet;

use vulnrelay_domain::Role;

use crate::model::{Organisation, Status};

/// Organisations of one status (`$1`) after id `$2`, at most `$3`.
pub const OF_STATUS: &str = "SELECT * FROM organisations WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3";

/// On PostgreSQL, the organisations whose ids are in the JSON array `$1`, by id, each
/// looked up by the key.
pub const BY_IDS: &str = "SELECT * FROM organisations \
     WHERE id = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST($1 AS jsonb)))) ORDER BY id";

/// Organisations of every status after id `$2`, at most `$3` (`$1` is the empty status).
pub const ANY_STATUS: &str = "SELECT * FROM organisations WHERE $1 = '' AND id > $2 ORDER BY id LIMIT $3";

/// On SQLite, the organisations holding role `$1` after id `$2`, by id, at most `$3`, of
/// status `$4` (of any status when it is empty): a range of the roles' index, each row
/// by its key, in one statement. PostgreSQL plans this join as a merge over every
/// organisation up to the page (4,050 rows read for 51 at 10,000 cases, half the
/// requests a second of two statements); there the ids come first ([`ROLE_IDS`]), then
/// their rows ([`BY_IDS`]).
pub const OF_ROLE: &str = "SELECT o.* FROM org_roles r JOIN organisations o ON o.id = r.org_id \
     WHERE r.role = $1 AND r.org_id > $2 AND ($4 = '' OR o.status = $4) ORDER BY r.org_id LIMIT $3";

/// The ids of the organisations holding role `$1` after id `$2`, by id, at most `$3`
/// (a range of the roles' index).
pub const ROLE_IDS: &str =
    "SELECT org_id FROM org_roles WHERE role = $1 AND org_id > $2 ORDER BY org_id LIMIT $3";

/// The ids of the organisations with a search key in [`$1`, `$2`) — the keys that start
/// with the searched text — after id `$3`, holding one of the roles `$4`, `$5`, …
/// (`roles` of them; any role, if none): at most [`CANDIDATES`] of them, as the key
/// range gives them (a range of the keys' index, each role by the roles' key).
pub fn key_ids(roles: usize) -> String {
    let mut sql = String::from(
        "SELECT DISTINCT k.org_id FROM org_search_keys k WHERE k.key >= $1 AND k.key < $2 AND k.org_id > $3",
    );
    if roles > 0 {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM org_roles r WHERE r.org_id = k.org_id AND r.role IN ({}))",
            crate::placeholders(4, roles)
        ));
    }
    sql.push_str(&format!(" LIMIT {CANDIDATES}"));
    sql
}

/// How many organisations a search considers at most ([`key_ids`]' limit): a text that
/// starts more names than this finds some of them only, and a longer text narrows it.
pub const CANDIDATES: usize = 1000;

/// The longest search key, in characters; a longer search is cut to it.
pub const KEY_CHARS: usize = 64;

/// The most search keys one organisation is given (its id first, then its names' words).
pub const MAX_KEYS: usize = 100;

/// Which organisations a page holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgFilter<'a> {
    /// Only those of this status (any, if none).
    pub status: Option<Status>,
    /// Only those holding one of these roles (any role, if empty).
    pub roles: &'a [Role],
    /// Only those whose id or a word of a name (English or Chinese) starts with this
    /// text, compared without case ([`search_text`]); all, if none or blank.
    pub text: Option<&'a str>,
    /// Only those whose ids sort after this one (the previous page's last).
    pub after: Option<&'a str>,
    /// At most this many.
    pub limit: usize,
}

/// A text as the search keys hold it: trimmed, lowercased, its inner spaces made one,
/// at most [`KEY_CHARS`] characters.
pub fn search_text(text: &str) -> String {
    normalise(text).chars().take(KEY_CHARS).collect()
}

/// `text` trimmed, lowercased, its inner spaces made one.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The keys an organisation is found by: its id, and each of its names from the start of
/// each word onward, lowercased, at most [`KEY_CHARS`] characters of it. A word starts after a character that is not
/// a letter or digit; in a script without spaces (Chinese) every character starts one,
/// so `国家信息安全漏洞共享平台` is found by `信息安全` too.
pub fn search_keys(org: &Organisation) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    keys.insert(search_text(&org.id));
    for name in std::iter::once(org.name.as_str()).chain(org.name_zh.as_deref()) {
        let name = normalise(name);
        let mut previous: Option<char> = None;
        for (at, c) in name.char_indices() {
            let starts = c.is_alphanumeric()
                && (previous.is_none_or(|p| !p.is_alphanumeric()) || !c.is_ascii() && !c.is_lowercase());
            if starts && keys.len() < MAX_KEYS {
                keys.insert(name[at..].chars().take(KEY_CHARS).collect());
            }
            previous = Some(c);
        }
    }
    keys
}

/// The upper end of the key range of the keys that start with `text`: `text` followed by
/// the last character there is (both back ends compare keys byte by byte).
pub fn key_range_end(text: &str) -> String {
    format!("{text}{}", char::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, name: &str, name_zh: Option<&str>) -> Organisation {
        Organisation {
            id: id.into(),
            name: name.into(),
            name_zh: name_zh.map(Into::into),
            roles: vec![Role::ProductProvider],
            jurisdiction: "CN".parse().expect("a jurisdiction"),
            individual: false,
            status: Status::Active,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn an_organisation_is_found_by_its_id_and_each_word_of_its_names() {
        let keys = search_keys(&org("apache", "Apache Software  Foundation", Some("阿帕奇软件基金会")));
        let found = |text: &str| {
            let text = search_text(text);
            keys.iter().any(|k| k.starts_with(&text))
        };
        for text in [
            "apa",
            "APACHE",
            "software found",
            "Foundation",
            "阿帕奇",
            "软件",
            "基金会",
            "software  foundation",
        ] {
            assert!(found(text), "{text}");
        }
        for text in ["oftware", "pache", "apache foundation", "金会x"] {
            assert!(!found(text), "{text}");
        }
        assert!(keys.contains("apache software foundation"));
    }

    #[test]
    fn words_start_after_punctuation_and_in_mixed_scripts() {
        let keys = search_keys(&org("x-1", "Qi-An-Xin (奇安信) Group", None));
        for key in [
            "x-1",
            "qi-an-xin (奇安信) group",
            "an-xin (奇安信) group",
            "xin (奇安信) group",
            "奇安信) group",
            "安信) group",
            "信) group",
            "group",
        ] {
            assert!(keys.contains(key), "{key}: {keys:?}");
        }
        assert!(!keys.iter().any(|k| k.starts_with(')') || k.starts_with('(')));
    }

    #[test]
    fn a_search_considers_at_most_its_candidates() {
        assert!(key_ids(0).ends_with(&format!("k.org_id > $3 LIMIT {CANDIDATES}")));
        assert!(key_ids(2).contains("r.role IN ($4, $5))"));
    }

    #[test]
    fn keys_and_searches_are_bounded() {
        let long = "word ".repeat(500);
        let keys = search_keys(&org("many", &long, None));
        assert!(keys.len() < 20, "the id and the distinct cuts of the name: {keys:?}");
        let later = search_keys(&org("late", &format!("{} Late word", "x".repeat(80)), None));
        assert!(later.contains("late word"), "a word past the first {KEY_CHARS} characters: {later:?}");
        let varied: String = (0..500).map(|i| format!("w{i} ")).collect();
        let keys = search_keys(&org("varied", &varied, None));
        assert_eq!(keys.len(), MAX_KEYS);
        assert!(keys.iter().all(|k| k.chars().count() <= KEY_CHARS));
        assert_eq!(search_text(&"é".repeat(200)).chars().count(), KEY_CHARS);
        assert!(key_range_end("apa").as_str() > "apache" && key_range_end("apa").as_str() < "apb");
        assert!(key_range_end("软件").as_str() > "软件基金会");
    }
}
