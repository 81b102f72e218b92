//! The security bulletin and the investigation-and-repair manual, in both languages.

use std::fmt::Write;

use chrono::SecondsFormat;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};
use vulnrelay_domain::{
    Ecosystem, Localized, RangeEnd, ThreatKind, Timestamp, VendorStatement, VendorStatus, Vulnerability,
};
use vulnrelay_formats::severity;

/// The language of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The BCP 47 tag: `en` or `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// The text in this language, else in the other one.
    fn text(self, text: &Localized) -> Option<&str> {
        let (first, second) = match self {
            Lang::En => (&text.en, &text.zh),
            Lang::Zh => (&text.zh, &text.en),
        };
        first.as_deref().filter(|t| !t.is_empty()).or(second.as_deref().filter(|t| !t.is_empty()))
    }
}

/// A published case: a bulletin id, its title, who publishes it, when, and its records.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The bulletin's id, e.g. `VR-2021-0001`.
    pub id: String,
    /// Its title.
    pub title: Localized,
    /// Who publishes it.
    pub publisher: String,
    /// First publication.
    pub published: Timestamp,
    /// Last update.
    pub updated: Timestamp,
    /// The vulnerabilities it covers.
    pub vulnerabilities: Vec<Vulnerability>,
    /// The downstream vendors' public statuses and statements (never their private
    /// notes, which are not part of them).
    pub vendors: Vec<VendorStatement>,
}

/// Makes record text safe inside Markdown: no raw HTML, no table breaks.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|")
}

fn date(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn title(p: &Publication, lang: Lang) -> String {
    lang.text(&p.title).map(esc).unwrap_or_else(|| p.id.clone())
}

fn ranges(v: &Vulnerability, lang: Lang) -> String {
    let mut out = String::new();
    let header = lang.pick(
        "| Source | Package | Affected versions |\n|---|---|---|\n",
        "| 来源 | 组件 | 受影响版本 |\n|---|---|---|\n",
    );
    out.push_str(header);
    for a in &v.affected {
        let package = match &a.package.ecosystem {
            Some((eco, name)) => format!("{} `{}`", eco.osv_name(), esc(name)),
            None => format!("{} {}", esc(&a.package.vendor), esc(&a.package.product)),
        };
        let list: Vec<String> = a
            .ranges
            .iter()
            .map(|r| match &r.end {
                RangeEnd::Fixed(f) => format!("≥ {} , < {}", esc(&r.introduced), esc(f)),
                RangeEnd::LastAffected(l) => format!("≥ {} , ≤ {}", esc(&r.introduced), esc(l)),
                RangeEnd::Open => format!("≥ {}", esc(&r.introduced)),
            })
            .chain(a.versions.iter().map(|v| esc(v)))
            .collect();
        let _ = writeln!(out, "| {} | {package} | {} |", esc(&a.source), list.join("; "));
    }
    out
}

fn scores(v: &Vulnerability, lang: Lang) -> String {
    let mut out = String::from(lang.pick(
        "| Source | CVSS | Score | Rating | CNVD | CNNVD |\n|---|---|---|---|---|---|\n",
        "| 来源 | CVSS | 评分 | 等级 | CNVD | CNNVD |\n|---|---|---|---|---|---|\n",
    ));
    for score in &v.scores {
        match severity::score(&score.vector) {
            Ok(s) => {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {:.1} | {} | {} | {} |",
                    esc(&score.source),
                    s.vector,
                    s.base_score,
                    rating(s.rating, lang),
                    s.cnvd().zh(),
                    s.cnnvd().zh()
                );
            }
            Err(_) => {
                let _ = writeln!(out, "| {} | `{}` | | | | |", esc(&score.source), esc(&score.vector));
            }
        }
    }
    out
}

/// A CVSS rating in the document's language: `CRITICAL` as CVE and CSAF write it, or
/// its Chinese name (严重, 高, 中, 低, 无).
fn rating(rating: severity::Rating, lang: Lang) -> &'static str {
    use severity::Rating;
    match (lang, rating) {
        (Lang::En, r) => r.as_str(),
        (Lang::Zh, Rating::Critical) => "严重",
        (Lang::Zh, Rating::High) => "高",
        (Lang::Zh, Rating::Medium) => "中",
        (Lang::Zh, Rating::Low) => "低",
        (Lang::Zh, Rating::None) => "无",
    }
}

fn ids(v: &Vulnerability) -> String {
    v.ids().map(esc).collect::<Vec<_>>().join(", ")
}

fn highest(v: &Vulnerability) -> Option<severity::Scored> {
    v.scores
        .iter()
        .filter_map(|s| severity::score(&s.vector).ok())
        .max_by(|a, b| a.base_score.total_cmp(&b.base_score))
}

/// The security bulletin (安全公告) as Markdown.
pub fn bulletin_markdown(p: &Publication, lang: Lang) -> String {
    let mut md = String::new();
    let _ =
        writeln!(md, "# {} {}: {}\n", lang.pick("Security bulletin", "安全公告"), esc(&p.id), title(p, lang));
    let _ = writeln!(
        md,
        "{} {} · {} {} · {} {}\n",
        lang.pick("Published", "发布"),
        date(p.published),
        lang.pick("Updated", "更新"),
        date(p.updated),
        lang.pick("Publisher", "发布方"),
        esc(&p.publisher)
    );
    let _ = writeln!(md, "## {}\n", lang.pick("Summary", "概要"));
    md.push_str(lang.pick(
        "| Identifiers | Title | Highest score |\n|---|---|---|\n",
        "| 编号 | 名称 | 最高评分 |\n|---|---|---|\n",
    ));
    for v in &p.vulnerabilities {
        let top = highest(v)
            .map(|s| {
                format!(
                    "{:.1} {} ({} / {})",
                    s.base_score,
                    rating(s.rating, lang),
                    s.cnvd().zh(),
                    s.cnnvd().zh()
                )
            })
            .unwrap_or_default();
        let _ = writeln!(md, "| {} | {} | {top} |", ids(v), lang.text(&v.title).map(esc).unwrap_or_default());
    }
    for v in &p.vulnerabilities {
        let _ = writeln!(md, "\n## {}: {}\n", esc(&v.id), lang.text(&v.title).map(esc).unwrap_or_default());
        if let Some(description) = lang.text(&v.description) {
            let _ = writeln!(md, "{}\n", esc(description));
        }
        if !v.cwes.is_empty() {
            let _ = writeln!(md, "{}: {}\n", lang.pick("Weakness", "缺陷类型"), v.cwes.join(", "));
        }
        let _ = writeln!(
            md,
            "### {}\n\n{}",
            lang.pick("Severity (per source)", "严重程度（按来源）"),
            scores(v, lang)
        );
        if !v.threats.is_empty() {
            let _ = writeln!(md, "### {}\n", lang.pick("Threat status", "威胁状态"));
            let mut threats: Vec<&vulnrelay_domain::ThreatEvent> = v.threats.iter().collect();
            threats.sort_by_key(|t| t.at);
            for t in threats {
                let what = match (&t.kind, lang) {
                    (ThreatKind::ExploitDetailsPublic, Lang::En) => "exploitation details public".to_owned(),
                    (ThreatKind::ExploitDetailsPublic, Lang::Zh) => "漏洞利用细节公开".to_owned(),
                    (ThreatKind::ProofOfConcept, Lang::En) => "proof-of-concept code published".to_owned(),
                    (ThreatKind::ProofOfConcept, Lang::Zh) => "概念验证代码已发布".to_owned(),
                    (ThreatKind::ActivelyExploited, Lang::En) => "actively exploited".to_owned(),
                    (ThreatKind::ActivelyExploited, Lang::Zh) => "积极利用".to_owned(),
                    (ThreatKind::FixBypassed { version }, Lang::En) => {
                        format!("fix in {} bypassed", esc(version))
                    }
                    (ThreatKind::FixBypassed { version }, Lang::Zh) => {
                        format!("{} 的修复被绕过", esc(version))
                    }
                };
                let _ = writeln!(md, "- {} — {what} ({})", date(t.at), esc(&t.source));
            }
            md.push('\n');
        }
        let _ = writeln!(
            md,
            "### {}\n\n{}",
            lang.pick("Affected (per source)", "受影响范围（按来源）"),
            ranges(v, lang)
        );
        if !v.fixed_versions.is_empty() {
            let _ = writeln!(
                md,
                "### {}\n\n{}\n",
                lang.pick("Fixed in", "修复版本"),
                v.fixed_versions.iter().map(|f| esc(f)).collect::<Vec<_>>().join(", ")
            );
        }
        let _ = writeln!(
            md,
            "### {}\n\n{}\n",
            lang.pick("Remediation", "修复措施"),
            lang.text(&v.remediation)
                .map(esc)
                .unwrap_or_else(|| lang.pick("None published yet.", "暂未发布。").into())
        );
        if let Some(workarounds) = lang.text(&v.workarounds) {
            let _ = writeln!(
                md,
                "### {}\n\n{}\n",
                lang.pick("Interim mitigations", "临时缓解措施"),
                esc(workarounds)
            );
        }
        if !v.credits.is_empty() {
            let _ = writeln!(
                md,
                "### {}\n\n{}\n",
                lang.pick("Credits", "致谢"),
                v.credits.iter().map(|c| esc(c)).collect::<Vec<_>>().join("; ")
            );
        }
        if !v.references.is_empty() {
            let _ = writeln!(md, "### {}\n", lang.pick("References", "参考链接"));
            for r in &v.references {
                let _ = writeln!(md, "- <{}>", r.url.replace('>', "%3E"));
            }
        }
    }
    md.push_str(&vendor_section(p, lang));
    md
}

/// The vendors' statuses as a Markdown section (nothing when there are none).
fn vendor_section(p: &Publication, lang: Lang) -> String {
    if p.vendors.is_empty() {
        return String::new();
    }
    let mut md = format!("\n## {}\n\n", lang.pick("Vendors", "厂商处置状态"));
    md.push_str(lang.pick(
        "| Vendor | Product | Vulnerability | Status | Statement |\n|---|---|---|---|---|\n",
        "| 厂商 | 产品 | 漏洞 | 状态 | 声明 |\n|---|---|---|---|---|\n",
    ));
    for v in &p.vendors {
        let mut status = match (v.status, lang) {
            (VendorStatus::UnderInvestigation, Lang::En) => "under investigation".to_owned(),
            (VendorStatus::UnderInvestigation, Lang::Zh) => "调查中".to_owned(),
            (VendorStatus::Affected, Lang::En) => "affected".to_owned(),
            (VendorStatus::Affected, Lang::Zh) => "受影响".to_owned(),
            (VendorStatus::NotAffected, Lang::En) => "not affected".to_owned(),
            (VendorStatus::NotAffected, Lang::Zh) => "不受影响".to_owned(),
            (VendorStatus::Fixed, Lang::En) => "fixed".to_owned(),
            (VendorStatus::Fixed, Lang::Zh) => "已修复".to_owned(),
        };
        if let Some(j) = v.justification {
            let _ = write!(status, " (`{}`)", j.as_str());
        }
        if let Some(version) = &v.fixed_version {
            let _ = write!(status, " {} {}", lang.pick("in", "版本"), esc(version));
        }
        let statement = v.statement.as_deref().map(|t| esc(t).replace('\n', " ")).unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {status} | {statement} |",
            esc(&v.vendor),
            esc(&v.product),
            esc(&v.vulnerability)
        );
    }
    md
}

/// How to find a package on a machine or in a build, per ecosystem.
fn find_commands(eco: &Ecosystem, name: &str) -> Vec<String> {
    match eco {
        Ecosystem::Maven => {
            let artifact = name.split(':').nth(1).unwrap_or(name);
            vec![
                format!("mvn dependency:tree -Dincludes={name}"),
                format!("gradle dependencies | grep {artifact}"),
                format!("find / -name '{artifact}-*.jar' 2>/dev/null"),
            ]
        }
        Ecosystem::Npm => vec![format!("npm ls {name}")],
        Ecosystem::PyPi => vec![format!("pip show {name}")],
        Ecosystem::Cargo => vec![format!("cargo tree -i {name}")],
        Ecosystem::Other(_) => Vec::new(),
    }
}

/// The investigation-and-repair manual (排查及修复手册) as Markdown.
pub fn manual_markdown(p: &Publication, lang: Lang) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# {}: {}\n",
        lang.pick("Investigation and repair manual", "排查及修复手册"),
        title(p, lang)
    );
    let _ = writeln!(
        md,
        "{} {} · {} {}\n",
        lang.pick("Bulletin", "对应公告"),
        esc(&p.id),
        lang.pick("Updated", "更新"),
        date(p.updated)
    );

    let _ = writeln!(md, "## 1. {}\n", lang.pick("Who is affected", "影响范围"));
    for v in &p.vulnerabilities {
        let _ = writeln!(md, "**{}** ({})\n", esc(&v.id), ids(v));
        md.push_str(&ranges(v, lang));
        md.push('\n');
    }

    let _ = writeln!(md, "## 2. {}\n", lang.pick("How to find it", "排查方法"));
    let _ = writeln!(md, "### 2.1 {}\n", lang.pick("With vulnrelay scan", "使用 vulnrelay scan 排查"));
    md.push_str(lang.pick(
        "The scanner opens every archive by content, to any depth (jar, war, ear, Spring Boot fat jars, tar.gz), recognises shaded and renamed copies, and exits with 1 when something is affected.\n\n",
        "扫描器按内容识别并逐层打开所有压缩包（jar、war、ear、Spring Boot 胖包、tar.gz），可识别重定位（shaded）和改名的副本；发现受影响组件时以退出码 1 结束。\n\n",
    ));
    md.push_str("```sh\n");
    md.push_str(lang.pick("# servers and application folders\n", "# 服务器及应用目录\n"));
    md.push_str("vulnrelay scan /opt /srv /home /var/lib --format table\n");
    md.push_str(lang.pick("# the whole machine, as JSON for the record\n", "# 全盘扫描，输出 JSON 留档\n"));
    md.push_str(
        "vulnrelay scan / --exclude '/proc/**' --exclude '/sys/**' --format json > vulnrelay-scan.json\n",
    );
    md.push_str(lang.pick("# as an SBOM to register with the platform\n", "# 生成 SBOM 并登记到平台\n"));
    md.push_str("vulnrelay scan /opt --format cyclonedx > sbom.cdx.json\n");
    let _ = writeln!(
        md,
        "{}\nvulnrelay scan /opt --advisories {}-osv.json\n```\n",
        lang.pick("# against these records (OSV export of this bulletin)", "# 使用本公告的 OSV 数据进行匹配"),
        esc(&p.id).to_ascii_lowercase()
    );
    let mut commands: Vec<String> = Vec::new();
    for v in &p.vulnerabilities {
        for a in &v.affected {
            if let Some((eco, name)) = &a.package.ecosystem {
                for command in find_commands(eco, name) {
                    if !commands.contains(&command) {
                        commands.push(command);
                    }
                }
            }
        }
    }
    if !commands.is_empty() {
        let _ = writeln!(
            md,
            "### 2.2 {}\n\n```sh",
            lang.pick("With build tools and by hand", "使用构建工具或手工排查")
        );
        for command in &commands {
            let _ = writeln!(md, "{command}");
        }
        md.push_str("```\n\n");
    }

    let _ = writeln!(md, "## 3. {}\n", lang.pick("How to fix it", "修复方法"));
    for v in &p.vulnerabilities {
        let fix = lang
            .text(&v.remediation)
            .map(esc)
            .unwrap_or_else(|| lang.pick("None published yet.", "暂未发布。").into());
        let _ = writeln!(md, "- **{}**: {fix}", esc(&v.id));
    }
    md.push('\n');
    let _ = writeln!(md, "## 4. {}\n", lang.pick("Interim mitigations", "临时缓解措施"));
    for v in &p.vulnerabilities {
        if let Some(w) = lang.text(&v.workarounds) {
            let _ = writeln!(md, "- **{}**: {}", esc(&v.id), esc(w));
        }
    }
    md.push_str(lang.pick(
        "\nFor Log4j, `vulnrelay scan --fix PATH` removes JndiLookup.class from affected jars at every nesting depth, keeping a backup and every other entry byte for byte.\n\n",
        "\n对于 Log4j，`vulnrelay scan --fix 路径` 可在任意嵌套层级的受影响 jar 中删除 JndiLookup.class，并保留备份，其余条目逐字节不变。\n\n",
    ));
    let _ = writeln!(md, "## 5. {}\n", lang.pick("Verify", "验证"));
    md.push_str(lang.pick(
        "Run the scan again; exit code 0 means nothing affected was found. Report the result to the platform (risk-warning acknowledgement).\n\n",
        "再次运行扫描；退出码为 0 表示未发现受影响组件。将结果报送平台（确认风险预警并报告处置情况）。\n\n",
    ));
    md.push_str("```sh\nvulnrelay scan /opt /srv /home /var/lib --quiet; echo $?\n```\n\n");
    let _ = writeln!(md, "## 6. {}\n", lang.pick("References", "参考链接"));
    for v in &p.vulnerabilities {
        for r in &v.references {
            let _ = writeln!(md, "- <{}>", r.url.replace('>', "%3E"));
        }
    }
    md
}

/// Renders Markdown as an HTML fragment. Raw HTML in the Markdown is shown as text,
/// never passed through.
pub fn markdown_to_html(markdown: &str) -> String {
    // For each open link or image: whether it was kept (its target is a safe URL).
    let mut open: Vec<bool> = Vec::new();
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { ref dest_url, .. } | Tag::Image { ref dest_url, .. }) => {
            let keep = is_safe_url(dest_url);
            open.push(keep);
            keep.then_some(event)
        }
        Event::End(TagEnd::Link | TagEnd::Image) => open.pop().unwrap_or(false).then_some(event),
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut out, parser);
    out
}

/// Whether a link in a published document may stay a link: only `http:`, `https:` and
/// `mailto:` targets (a `javascript:` or `data:` link from imported text becomes its
/// plain text).
fn is_safe_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    ["http://", "https://", "mailto:"].iter().any(|scheme| lower.starts_with(scheme))
}
