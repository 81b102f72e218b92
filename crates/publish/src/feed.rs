//! The Atom feed (RFC 4287) of published bulletins.

use chrono::SecondsFormat;

use crate::{Lang, Publication};

/// Escapes text for XML content and attributes (Atom and SVG alike).
pub(crate) fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow are dropped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// What the feed says of one publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The bulletin's id.
    pub id: String,
    /// Its title.
    pub title: vulnrelay_domain::Localized,
    /// Who publishes it.
    pub publisher: String,
    /// First publication.
    pub published: chrono::DateTime<chrono::Utc>,
    /// Last update.
    pub updated: chrono::DateTime<chrono::Utc>,
    /// Every identifier of every vulnerability it covers, in order (the summary).
    pub ids: Vec<String>,
}

impl From<&Publication> for FeedEntry {
    fn from(p: &Publication) -> FeedEntry {
        FeedEntry {
            id: p.id.clone(),
            title: p.title.clone(),
            publisher: p.publisher.clone(),
            published: p.published,
            updated: p.updated,
            ids: p.vulnerabilities.iter().flat_map(|v| v.ids()).map(str::to_owned).collect(),
        }
    }
}

/// The feed of `publications`, newest first, linking to bulletins under
/// `{base_url}/advisories/{id}`.
pub fn atom(base_url: &str, feed_title: &str, publications: &[Publication], lang: Lang) -> String {
    let entries: Vec<FeedEntry> = publications.iter().map(FeedEntry::from).collect();
    atom_entries(base_url, feed_title, &entries, lang)
}

/// The feed of `entries`, newest first (then by id), linking to bulletins under
/// `{base_url}/advisories/{id}`.
pub fn atom_entries(base_url: &str, feed_title: &str, entries: &[FeedEntry], lang: Lang) -> String {
    let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut sorted: Vec<&FeedEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| b.updated.cmp(&a.updated).then(a.id.cmp(&b.id)));
    let updated = sorted.first().map(|p| time(p.updated)).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n", lang.tag()));
    out.push_str(&format!("  <id>{}/advisories/feed.atom</id>\n", xml(base_url)));
    out.push_str(&format!("  <title>{}</title>\n", xml(feed_title)));
    out.push_str(&format!("  <updated>{updated}</updated>\n"));
    out.push_str(&format!("  <link rel=\"self\" href=\"{}/advisories/feed.atom\"/>\n", xml(base_url)));
    for p in sorted {
        let title = match lang {
            Lang::En => p.title.en.as_deref().or(p.title.zh.as_deref()),
            Lang::Zh => p.title.zh.as_deref().or(p.title.en.as_deref()),
        }
        .unwrap_or(&p.id);
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>{}/advisories/{}</id>\n", xml(base_url), xml(&p.id)));
        out.push_str(&format!("    <title>{}: {}</title>\n", xml(&p.id), xml(title)));
        out.push_str(&format!("    <published>{}</published>\n", time(p.published)));
        out.push_str(&format!("    <updated>{}</updated>\n", time(p.updated)));
        out.push_str(&format!("    <author><name>{}</name></author>\n", xml(&p.publisher)));
        out.push_str(&format!(
            "    <link rel=\"alternate\" href=\"{}/advisories/{}\"/>\n",
            xml(base_url),
            xml(&p.id)
        ));
        out.push_str(&format!("    <summary>{}</summary>\n", xml(&p.ids.join(", "))));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(xml("<a href=\"x\">&'</a>\u{1}"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
    }
}
