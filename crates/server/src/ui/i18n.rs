//! The UI's languages and message catalogues.
//!
//! Every string the UI shows comes from `locales/en.toml` or `locales/zh-CN.toml`
//! (embedded at build time), looked up by key. A key missing from a catalogue renders
//! as `⟦key⟧`, a marker the UI tests look for in every page of both languages; a test
//! also holds the two catalogues to the same keys. Placeholders are `{name}`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::HeaderMap;

/// The name of the cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "vr_lang";

/// What a missing key renders as: the key between these marks.
pub const MISSING: (&str, &str) = ("⟦", "⟧");

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese (zh-CN).
    Zh,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The BCP 47 tag: `en` or `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The language of a tag (`en`, `zh`, `zh-CN`, `zh-Hans`, ...), if it is one of ours.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The language of a request: the `vr_lang` cookie if set, else the first of ours
    /// in `Accept-Language` by quality, else English.
    pub fn of_request(headers: &HeaderMap) -> Lang {
        if let Some(lang) = crate::auth::cookie(headers, LANG_COOKIE).and_then(|v| Lang::from_tag(&v)) {
            return lang;
        }
        let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        let mut offered: Vec<(f32, Lang)> = accept
            .unwrap_or_default()
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let lang = Lang::from_tag(parts.next()?)?;
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0));
        offered.first().map_or(Lang::En, |(_, lang)| *lang)
    }

    /// The publication crate's language (bulletins, manuals, charts).
    pub fn publish(self) -> vulnrelay_publish::Lang {
        match self {
            Lang::En => vulnrelay_publish::Lang::En,
            Lang::Zh => vulnrelay_publish::Lang::Zh,
        }
    }

    /// The catalogue of this language.
    pub fn catalogue(self) -> &'static Catalogue {
        static EN: OnceLock<Catalogue> = OnceLock::new();
        static ZH: OnceLock<Catalogue> = OnceLock::new();
        match self {
            Lang::En => EN.get_or_init(|| Catalogue::parse(include_str!("../../locales/en.toml"))),
            Lang::Zh => ZH.get_or_init(|| Catalogue::parse(include_str!("../../locales/zh-CN.toml"))),
        }
    }

    /// The message `key`, or `⟦key⟧` when the catalogue lacks it.
    pub fn t(self, key: &str) -> String {
        match self.catalogue().messages.get(key) {
            Some(text) => text.clone(),
            None => format!("{}{key}{}", MISSING.0, MISSING.1),
        }
    }

    /// The message `key` with its `{name}` placeholders filled from `args`.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key);
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Whether this is Chinese, for the names kept in both languages
    /// (`Party::name_in`, `Organisation::name_in`).
    pub fn chinese(self) -> bool {
        self == Lang::Zh
    }

    /// One of two texts: the one in this language, else the other.
    pub fn pick<'a>(self, zh: Option<&'a str>, en: Option<&'a str>) -> Option<&'a str> {
        let (first, second) = match self {
            Lang::En => (en, zh),
            Lang::Zh => (zh, en),
        };
        first.filter(|s| !s.is_empty()).or(second.filter(|s| !s.is_empty()))
    }
}

/// A message catalogue: dotted keys (`nav.dashboard`) to text.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// Every message, by key.
    pub messages: BTreeMap<String, String>,
}

impl Catalogue {
    /// Reads a catalogue from TOML: tables nest keys (`[nav] dashboard = "..."` is
    /// `nav.dashboard`); every leaf is a string. The catalogues are embedded and tested,
    /// so a malformed one is a build defect.
    pub fn parse(source: &str) -> Catalogue {
        let table: toml::Table =
            toml::from_str(source).unwrap_or_else(|e| panic!("message catalogue does not parse: {e}"));
        let mut messages = BTreeMap::new();
        flatten("", &table, &mut messages);
        Catalogue { messages }
    }
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (key, value) in table {
        let full = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::String(text) => {
                out.insert(full, text.clone());
            }
            toml::Value::Table(inner) => flatten(&full, inner, out),
            other => panic!("message catalogue: `{full}` is not a string or table: {other}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let en: Vec<&String> = Lang::En.catalogue().messages.keys().collect();
        let zh: Vec<&String> = Lang::Zh.catalogue().messages.keys().collect();
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        assert!(
            only_en.is_empty() && only_zh.is_empty(),
            "only in en: {only_en:?}; only in zh-CN: {only_zh:?}"
        );
    }

    #[test]
    fn a_missing_key_shows_the_marker() {
        assert_eq!(Lang::En.t("no.such.key"), "⟦no.such.key⟧");
    }

    #[test]
    fn the_language_comes_from_the_cookie_then_accept_language() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::of_request(&headers), Lang::En);
        headers.insert("accept-language", "fr;q=0.9, zh-CN;q=0.8, en;q=0.5".parse().unwrap());
        assert_eq!(Lang::of_request(&headers), Lang::Zh);
        headers.insert("cookie", "vr_lang=en".parse().unwrap());
        assert_eq!(Lang::of_request(&headers), Lang::En);
    }
}
