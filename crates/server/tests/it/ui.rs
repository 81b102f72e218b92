//! The web UI, rendered in-process in both languages: every page answers, is in the
//! asked language, and shows no message key instead of text (a key missing from a
//! catalogue renders as `⟦key⟧`). The flows (sign in, report, refusal, override,
//! tokens, suspension) are checked here at the HTML level and in a real browser by
//! ui-tests/.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{ADMIN, APACHE, App, BANK, MIIT, REPORTER};
use vulnrelay_server::ui::Lang;
use vulnrelay_store::testing::TestDb;

/// A browser-like client: a language cookie and, once signed in, the session cookie.
struct Client<'a> {
    app: &'a App,
    lang: Lang,
    session: Option<String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

impl<'a> Client<'a> {
    fn new(app: &'a App, lang: Lang) -> Client<'a> {
        Client { app, lang, session: None }
    }

    fn cookies(&self) -> String {
        let mut cookie = format!("vr_lang={}", self.lang.tag());
        if let Some(session) = &self.session {
            cookie.push_str(&format!("; vr_session={session}"));
        }
        cookie
    }

    async fn send(&self, request: axum::http::request::Builder, body: Body) -> Page {
        let request = request.header(header::COOKIE, self.cookies()).body(body).unwrap();
        let (status, headers, bytes) = self.app.raw(request).await;
        let location = headers.iter().find(|(k, _)| k == "location").map(|(_, v)| v.clone());
        Page { status, location, html: String::from_utf8(bytes).unwrap() }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(Request::builder().uri(path), Body::empty()).await
    }

    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(request, Body::from(body.join("&"))).await
    }

    async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let boundary = "vulnrelay-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .bytes(),
            );
        }
        for (name, filename, content) in files {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n").bytes());
            body.extend_from_slice(content);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").bytes());
        let request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
        self.send(request, Body::from(body)).await
    }

    /// Signs in through the form; keeps the session cookie.
    async fn sign_in(&mut self, email: &str) {
        let password = self.app.passwords[email].clone();
        let request = Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, self.cookies())
            .body(Body::from(format!("email={}&password={}&next=%2F", enc(email), enc(&password))))
            .unwrap();
        let (status, headers, _) = self.app.raw(request).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "sign-in of {email}");
        let cookie = headers.iter().find(|(k, _)| k == "set-cookie").map(|(_, v)| v.clone()).unwrap();
        let value = cookie.split(';').next().unwrap().strip_prefix("vr_session=").unwrap();
        self.session = Some(value.to_owned());
    }
}

fn enc(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The page is whole, in `lang`, and shows no message key.
#[track_caller]
fn assert_page(page: &Page, lang: Lang, what: &str) {
    assert!(
        page.html.contains(&format!("<html lang=\"{}\"", lang.tag())),
        "{what} ({}): not a page in {}: {}",
        page.status,
        lang.tag(),
        &page.html[..page.html.len().min(400)]
    );
    // Labels point at ids: every id is unique on the page.
    let mut ids: Vec<&str> =
        page.html.split(" id=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    ids.sort_unstable();
    let repeated: Vec<&&str> = ids.windows(2).filter(|w| w[0] == w[1]).map(|w| &w[0]).collect();
    assert!(repeated.is_empty(), "{what} in {}: repeated ids {repeated:?}", lang.tag());
    if let Some(at) = page.html.find('⟦') {
        let end = page.html[at..].find('⟧').map_or(at + 40, |e| at + e + 3);
        panic!("{what} in {} shows a message key: {}", lang.tag(), &page.html[at..end]);
    }
}

fn csrf_of(page: &Page) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.html.find(marker).expect("a form with a CSRF token") + marker.len();
    page.html[start..start + page.html[start..].find('"').unwrap()].to_owned()
}

async fn app() -> App {
    App::new(TestDb::sqlite().await).await
}

#[tokio::test]
async fn every_page_renders_in_both_languages_without_message_keys_or_the_other_script() {
    let app = app().await;
    let case = app.case_id.clone();
    let names = names(&app).await;
    let mut problems = Vec::new();
    for lang in Lang::ALL {
        let anonymous = Client::new(&app, lang);
        // The Log4Shell case is published: the public may read it, with no actions.
        let published_case = format!("/cases/{case}");
        for path in [
            "/login",
            "/advisories",
            "/advisories/CVE-2021-44228",
            "/no/such/page",
            "/stats",
            &published_case,
        ] {
            let page = anonymous.get(path).await;
            assert_page(&page, lang, path);
            problems.extend(script_problems(&page, lang, &names, path));
        }
        assert!(!anonymous.get(&published_case).await.html.contains("id=\"actions\""));
        assert_eq!(anonymous.get("/no/such/page").await.status, StatusCode::NOT_FOUND);
        let home = anonymous.get("/").await;
        assert_eq!(home.location.as_deref(), Some("/advisories"));
        let dashboard = anonymous.get("/dashboard").await;
        assert_eq!(
            dashboard.location.as_deref(),
            Some("/login?next=/dashboard"),
            "anonymous viewers sign in first"
        );

        for who in [REPORTER, MIIT, APACHE, BANK, ADMIN] {
            let mut client = Client::new(&app, lang);
            client.sign_in(who).await;
            for path in [
                "/dashboard",
                "/account",
                "/advisories",
                "/advisories/CVE-2021-44228",
                "/reports/new",
                &format!("/cases/{case}"),
                "/orgs",
                "/orgs/alibaba-cloud",
                "/warnings",
                "/stats",
                &format!("/cases/{case}/drafts"),
                "/receipts",
                "/assets",
            ] {
                let page = client.get(path).await;
                assert_page(&page, lang, &format!("{path} as {who}"));
                problems.extend(script_problems(&page, lang, &names, &format!("{path} as {who}")));
            }
        }
        // The federation page is the administrators'.
        let mut admin = Client::new(&app, lang);
        admin.sign_in(ADMIN).await;
        let page = admin.get("/federation").await;
        assert_page(&page, lang, "/federation as admin");
        problems.extend(script_problems(&page, lang, &names, "/federation as admin"));
        let mut reporter = Client::new(&app, lang);
        reporter.sign_in(REPORTER).await;
        assert_eq!(reporter.get("/federation").await.status, StatusCode::FORBIDDEN);
    }
    // Words in the wrong script, outside names and identifiers (see `wrong_script`).
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{} texts in the wrong script:\n{}", problems.len(), problems.join("\n"));
}

#[tokio::test]
async fn the_case_page_shows_the_clock_chart_timeline_and_only_allowed_actions() {
    let app = app().await;
    let case = app.case_id.clone();
    let mut analyst = Client::new(&app, Lang::Zh);
    analyst.sign_in(MIIT).await;
    let page = analyst.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("<svg"), "the clock chart");
    assert!(page.html.contains("已逾期") || page.html.contains("逾期履行"), "statuses in Chinese");
    assert!(page.html.contains("(Asia/Shanghai)"), "times carry their time zone");
    let mut bank = Client::new(&app, Lang::En);
    bank.sign_in(BANK).await;
    let page = bank.get(&format!("/cases/{case}")).await;
    assert!(!page.html.contains("id=\"actions\""), "a subscriber gets no actions on a published case");
}

/// The inline SVG of a page (from `<svg` to its `</svg>`), checked to be well formed:
/// every element is closed in order (an HTML void-style `<rect>` inside SVG would nest
/// what follows inside it, and the browser would draw nothing after it).
#[track_caller]
fn chart_of(html: &str) -> &str {
    let start = html.find("<div class=\"chart-scroll\"").expect("a timeline chart");
    let svg_start = start + html[start..].find("<svg").unwrap();
    let end = svg_start + html[svg_start..].find("</svg>").unwrap() + "</svg>".len();
    let svg = &html[svg_start..end];
    let mut open: Vec<&str> = Vec::new();
    for tag in svg.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "a closing </{name}> out of order in {svg}");
        } else if !tag.ends_with('/') {
            open.push(tag.split([' ', '\n']).next().unwrap());
        }
    }
    assert!(open.is_empty(), "unclosed {open:?}");
    svg
}

#[tokio::test]
async fn the_case_page_draws_the_timeline_on_a_date_axis_with_the_blind_window_and_the_clocks() {
    let app = app().await;
    let case = app.case_id.clone();
    for lang in Lang::ALL {
        let mut analyst = Client::new(&app, lang);
        analyst.sign_in(MIIT).await;
        let page = analyst.get(&format!("/cases/{case}")).await;
        assert_page(&page, lang, "case");
        let svg = chart_of(&page.html);
        // The axis: the case's zone named, ticks at local midnights (a week apart for
        // the Log4Shell month), the year once.
        assert!(svg.contains(&lang.tf("timeline.zone", &[("zone", "Asia/Shanghai")])));
        assert!(svg.contains(">2021-11-29</text>") && svg.contains(">12-06</text>"), "{svg}");
        // The blind window: discovery 2021-11-24 to the regulator learning of it on
        // 2021-12-09, shaded and labelled.
        let length = if lang == Lang::Zh { "15 天" } else { "15 d" };
        assert!(svg.contains(&lang.tf("timeline.blind", &[("length", length)])), "{svg}");
        // Every event is a focusable marker with its details as its name: the 14 events
        // of the story, the first risk warning, and the three illustrative vendors
        // notified and answering when the demo loaded (after the break, with "now").
        assert_eq!(svg.matches("<g class=\"ev\" tabindex=\"0\" role=\"img\" aria-label=").count(), 21);
        assert!(svg.contains("2021-12-09 00:00 +08:00 — "), "times in the case's zone");
        assert!(svg.contains(&lang.t("timeline.first_warning")));
        // The cooperating unit's 2-day duty: a bar from discovery to its deadline,
        // overdue to "now", its status in words beside the colour.
        let overdue = lang.t("status.overdue");
        assert!(svg.contains("<g class=\"ob status-overdue\" tabindex=\"0\""), "{svg}");
        assert!(svg.contains(&format!("<tspan font-weight=\"bold\" fill=\"#c62828\">{overdue}</tspan>")));
        assert!(svg.contains(&lang.tf("timeline.due", &[("time", "2021-11-26 00:00 +08:00")])), "{svg}");
        // "Now" lies years after the story: the axis is broken and "now" is at its end.
        assert!(svg.contains("url(#tl-gap)"));
        assert!(svg.contains(&lang.tf("timeline.now", &[("time", "")])));
        // The legend names every marker's shape.
        for mark in ["discovery", "notice", "regulator", "fix", "publication", "warning", "sanction"] {
            assert!(page.html.contains(&lang.t(&format!("timeline.mark.{mark}"))));
        }
    }
    // Evaluated as of a date within the story: no break, "now" inside the axis.
    let mut analyst = Client::new(&app, Lang::En);
    analyst.sign_in(MIIT).await;
    let page = analyst.get(&format!("/cases/{case}?as_of=2021-12-01")).await;
    let svg = chart_of(&page.html);
    assert!(!svg.contains("url(#tl-gap)"));
    assert!(svg.contains(&Lang::En.tf("timeline.now", &[("time", "2021-12-01 00:00 +08:00")])), "{svg}");
    assert!(svg.contains(&Lang::En.tf("timeline.blind_open", &[("length", "7 d")])), "{svg}");
}

#[tokio::test]
async fn a_report_in_chinese_gets_a_receipt_and_its_problems_in_chinese() {
    let app = app().await;
    let mut reporter = Client::new(&app, Lang::Zh);
    reporter.sign_in(REPORTER).await;
    let form = reporter.get("/reports/new").await;
    let token = csrf_of(&form);
    // Missing content: every problem, in Chinese, and nothing stored.
    let before = app.counts().await;
    let page = reporter
        .post_multipart("/reports", &[("csrf_token", &token), ("product_name", "Apache Log4j2")], &[])
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_page(&page, Lang::Zh, "report problems");
    assert!(page.html.contains("此项必填"), "required-field messages in Chinese");
    assert_eq!(app.counts().await, before);
    // A wrong CVSS vector: the intake's own check, in Chinese.
    let fields = [
        ("csrf_token", token.as_str()),
        ("idempotency_key", "ui-test-1"),
        ("title", "JNDI 查找远程代码执行"),
        ("product_name", "Apache Log4j2"),
        ("product_model", "log4j-core"),
        ("affected_versions", "2.0-beta9 至 2.14.1"),
        ("provider", "apache"),
        ("technical_characteristics", "消息查找替换可触达 JNDI。"),
        ("harm", "远程代码执行。"),
        ("scope_of_impact", "使用 log4j-core 2.x 记录外部输入的 Java 应用。"),
        ("timezone", "Asia/Shanghai"),
        ("discovered_at", "2021-11-24T10:00"),
        ("purl", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
        ("note", "请尽快联系厂商"),
        ("cvss_vector", "CVSS:9.9/XX:Y"),
    ];
    let page = reporter.post_multipart("/reports", &fields, &[]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.html.contains(&Lang::Zh.t("problem.cvss")), "{}", page.html);
    // Fixed: the receipt, with the attachments stored (exploit code marked).
    let mut fixed = fields.to_vec();
    fixed.retain(|(k, _)| *k != "cvss_vector");
    let files: [(&str, &str, &[u8]); 2] =
        [("attachments", "README.txt", b"see the PoC"), ("exploit", "Poc.java", b"class Poc {}")];
    let sent = reporter.post_multipart("/reports", &fixed, &files).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    // The receipt has its own address: reloading it, in either language, shows it again.
    let address = sent.location.clone().unwrap();
    assert!(address.starts_with("/receipts/"), "{address}");
    let page = reporter.get(&address).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert_page(&page, Lang::Zh, "receipt");
    reporter.lang = Lang::En;
    assert!(reporter.get(&address).await.html.contains(&Lang::En.t("receipt.number")));
    reporter.lang = Lang::Zh;
    // It is in the reporter's list; another unit's reporter gets no such receipt.
    assert!(reporter.get("/receipts").await.html.contains(&format!("href=\"{address}\"")));
    let mut other = Client::new(&app, Lang::En);
    other.sign_in(BANK).await;
    assert_eq!(other.get(&address).await.status, StatusCode::NOT_FOUND);
    assert!(!other.get("/receipts").await.html.contains(&address));
    assert!(page.html.contains("回执编号"));
    let (cases, receipts) = app.counts().await;
    assert_eq!((cases, receipts), (before.0 + 1, before.1 + 1));
    let receipt = app.db.store.receipts().await.unwrap().pop().unwrap();
    assert!(page.html.contains(&receipt.id), "the receipt number is shown");
    assert_eq!(receipt.channel, "web");
    let attachments = app.db.store.attachments(&receipt.case_id).await.unwrap();
    assert_eq!(attachments.len(), 2);
    assert!(attachments.iter().any(|a| a.filename == "Poc.java" && a.exploit_code));
    // The same form sent again (a reload) opens no second case.
    let again = reporter.post_multipart("/reports", &fixed, &files).await;
    assert_eq!(again.location.as_deref(), Some(address.as_str()), "the same receipt");
    assert_eq!(app.counts().await.0, cases);
    // The case is on the dashboard.
    let dashboard = reporter.get("/dashboard").await;
    assert!(dashboard.html.contains(&receipt.case_id));
    // The analyst sees the reporter's package URL and note with the report.
    let mut analyst = Client::new(&app, Lang::En);
    analyst.sign_in(MIIT).await;
    let case = analyst.get(&format!("/cases/{}", receipt.case_id)).await;
    assert!(case.html.contains("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"), "the package URL");
    assert!(case.html.contains("请尽快联系厂商"), "the reporter's note");
}

#[tokio::test]
async fn a_forbidden_publication_is_refused_with_rule_and_article_and_an_analyst_may_override() {
    let app = app().await;
    let case = app.submit(serde_json::json!({})).await;
    let mut analyst = Client::new(&app, Lang::En);
    analyst.sign_in(MIIT).await;
    let page = analyst.get(&format!("/cases/{case}")).await;
    let token = csrf_of(&page);
    let path = format!("/cases/{case}/events");
    let refused = analyst
        .post_form(&path, &[("csrf_token", &token), ("type", "published"), ("party", "miit-nvdb")])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_page(&refused, Lang::En, "refusal");
    assert!(
        refused.html.contains("Do not publish before the provider offers a fix"),
        "the rule in plain words"
    );
    assert!(refused.html.contains("Art. 9(1)"), "and its article");
    assert!(refused.html.contains("name=\"override_reason\""), "analysts may override");
    let events = app.db.store.events(&case).await.unwrap().len();
    // The reporter sees the refusal without the override.
    let mut reporter = Client::new(&app, Lang::Zh);
    reporter.sign_in(REPORTER).await;
    let token_r = csrf_of(&reporter.get(&format!("/cases/{case}")).await);
    let refused = reporter.post_form(&path, &[("csrf_token", &token_r), ("type", "published")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.html.contains("不得在网络产品提供者提供修补措施之前发布漏洞信息"));
    assert!(!refused.html.contains("name=\"override_reason\""));
    assert_eq!(app.db.store.events(&case).await.unwrap().len(), events, "nothing recorded");
    // Both refusals are kept beside the timeline: the analyst sees both, the reporter
    // its own organisation's, each with the rule in its language.
    let refusals = app.db.store.gate_refusals(&case).await.unwrap();
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(refusals.iter().all(|r| r.event_type == "published"), "{refusals:?}");
    let page = analyst.get(&format!("/cases/{case}")).await;
    let section = &page.html[page.html.find("id=\"refusals\"").expect("the refusals on the case page")..];
    assert_eq!(section.matches("Do not publish before the provider offers a fix").count(), 2);
    assert_page(&page, Lang::En, "case with refusals");
    let page = reporter.get(&format!("/cases/{case}")).await;
    let section = &page.html[page.html.find("id=\"refusals\"").expect("the reporter's own refusal")..];
    assert_eq!(section.matches("不得在网络产品提供者提供修补措施之前发布漏洞信息").count(), 1);
    assert_page(&page, Lang::Zh, "case with a refusal");
    // Without a token the form is refused.
    let forged = analyst.post_form(&path, &[("type", "verified")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Notification, fix, then publication with remediation: recorded.
    for fields in [
        vec![("type", "notified"), ("party", "miit-nvdb"), ("to", "apache"), ("kind", "report")],
        vec![("type", "fix_available"), ("party", "apache"), ("version", "2.15.0")],
        vec![("type", "published"), ("party", "miit-nvdb"), ("with_remediation", "on")],
    ] {
        let mut fields = fields;
        fields.push(("csrf_token", &token));
        let done = analyst.post_form(&path, &fields).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{fields:?}: {}", done.html);
    }
    let page = analyst.get(&format!("/cases/{case}?done=published")).await;
    assert_page(&page, Lang::En, "published case");
    assert!(page.html.contains("with remediation"));
}

#[tokio::test]
async fn tokens_are_shown_once_and_revoked() {
    let app = app().await;
    let mut client = Client::new(&app, Lang::En);
    client.sign_in(APACHE).await;
    let token = csrf_of(&client.get("/account").await);
    let page = client.post_form("/account/tokens", &[("csrf_token", &token), ("name", "ci")]).await;
    assert_page(&page, Lang::En, "new token");
    let marker = "id=\"new-token\" class=\"secret\" type=\"text\" readonly value=\"";
    let start = page.html.find(marker).expect("the secret is shown") + marker.len();
    let secret = &page.html[start..start + page.html[start..].find('"').unwrap()];
    assert!(secret.starts_with("vr_"));
    let request = Request::builder()
        .uri("/api/v1/me")
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.raw(request).await.0, StatusCode::OK, "the token works");
    let again = client.get("/account").await;
    assert!(!again.html.contains(secret), "shown once");
    let account = app.db.store.account_by_email(APACHE).await.unwrap();
    let id =
        app.db.store.list_tokens(&account.id).await.unwrap().into_iter().find(|t| t.name == "ci").unwrap().id;
    let revoked = client.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf_token", &token)]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let request = Request::builder()
        .uri("/api/v1/me")
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.raw(request).await.0, StatusCode::UNAUTHORIZED, "revoked");
}

#[tokio::test]
async fn an_analyst_suspends_and_restores_a_unit_with_the_history_shown() {
    let app = app().await;
    let mut analyst = Client::new(&app, Lang::Zh);
    analyst.sign_in(MIIT).await;
    let page = analyst.get("/orgs/alibaba-cloud").await;
    assert_page(&page, Lang::Zh, "organisation");
    assert!(
        page.html.contains("cn-miit-member/member-report-2d"),
        "the compliance history lists the findings"
    );
    let token = csrf_of(&page);
    let path = "/orgs/alibaba-cloud/memberships/_/sanction";
    let missing = analyst
        .post_form(path, &[("csrf_token", &token), ("scheme", "miit-threat-sharing"), ("months", "6")])
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    assert!(missing.html.contains(&Lang::Zh.t("problem.required")));
    // The finding's box names its case: the suspension goes on that case's timeline. It
    // took effect seven months ago, so its six-month term is over.
    let finding = format!("{}::cn-miit-member/member-report-2d", app.case_id);
    let from = (chrono::Utc::now() - chrono::TimeDelta::days(214)).format("%Y-%m-%d").to_string();
    let done = analyst
        .post_form(
            path,
            &[
                ("csrf_token", &token),
                ("scheme", "miit-threat-sharing"),
                ("kind", "suspension"),
                ("at", &from),
                ("months", "6"),
                ("reason", "未在两日内报送"),
                ("public", "true"),
                ("findings", &finding),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let page = analyst.get("/orgs/alibaba-cloud?done=sanctioned").await;
    assert!(page.html.contains("未在两日内报送"));
    assert!(page.html.contains("cn-miit-member/member-report-2d"));
    assert!(
        page.html.contains(&Lang::Zh.t("membership.awaiting_review")),
        "the term is over: awaiting review"
    );
    let case_page = analyst.get(&format!("/cases/{}", app.case_id)).await;
    assert!(case_page.html.contains(&Lang::Zh.t("event.membership_suspended")), "on the case's timeline");
    // No restoration without a rectification report: the refusal is shown.
    let review = [
        ("csrf_token", token.as_str()),
        ("scheme", "miit-threat-sharing"),
        ("outcome", "restore"),
        ("review", "整改复核通过"),
    ];
    let refused = analyst.post_form("/orgs/alibaba-cloud/memberships/_/review", &review).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(refused.html.contains(&Lang::Zh.t("error.sanction_no_report")), "the refusal in Chinese");
    // The suspended unit sees its suspension, the decision's basis and the
    // rectification form on its own dashboard, and submits its report there.
    let mut unit = Client::new(&app, Lang::Zh);
    unit.sign_in(REPORTER).await;
    let dashboard = unit.get("/dashboard").await;
    assert_page(&dashboard, Lang::Zh, "the suspended unit's dashboard");
    assert!(dashboard.html.contains(&Lang::Zh.t("dashboard.suspension")));
    assert!(dashboard.html.contains("未在两日内报送"), "the decision's reason");
    assert!(dashboard.html.contains("cn-miit-member/member-report-2d"), "the decision's basis");
    let rectify = "/orgs/alibaba-cloud/memberships/miit-threat-sharing/rectify";
    let report =
        [("csrf_token", csrf_of(&dashboard)), ("report", "整改报告：两日内报送流程已建立".to_owned())];
    let report: Vec<(&str, &str)> = report.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = unit.post_form(rectify, &report).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location.as_deref(), Some("/dashboard?done=rectified#suspension-h"));
    assert!(unit.get("/dashboard?done=rectified").await.html.contains(&Lang::Zh.t("dashboard.rectified")));
    // Another unit may not submit it.
    let mut bank = Client::new(&app, Lang::En);
    bank.sign_in(BANK).await;
    let token = csrf_of(&bank.get("/dashboard").await);
    let refused = bank.post_form(rectify, &[("csrf_token", &token), ("report", "not ours")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let done = analyst.post_form("/orgs/alibaba-cloud/memberships/_/review", &review).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let page = analyst.get("/orgs/alibaba-cloud?done=reviewed").await;
    assert!(page.html.contains("整改复核通过") && page.html.contains("整改报告：两日内报送流程已建立"));
    // A reporter may not manage organisations.
    let mut reporter = Client::new(&app, Lang::En);
    reporter.sign_in(REPORTER).await;
    assert_eq!(reporter.get("/orgs").await.status, StatusCode::FORBIDDEN);
}

#[test]
fn every_status_state_role_and_event_has_words_in_both_languages() {
    use vulnrelay_domain::{AccountRole, CaseState, EventType, NotificationKind, Role};
    for lang in Lang::ALL {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(CaseState::ALL.iter().map(|s| format!("state.{}", s.as_str())));
        keys.extend(EventType::ALL.iter().map(|e| format!("event.{}", e.as_str())));
        keys.extend(vulnrelay_policy::Status::ALL.iter().map(|s| format!("status.{}", s.as_str())));
        keys.extend(AccountRole::ALL.iter().map(|r| format!("role.{}", r.as_str())));
        keys.extend(Role::ALL.iter().map(|r| format!("party_role.{}", r.as_str())));
        keys.extend(NotificationKind::ALL.iter().map(|k| format!("notification.{}", k.as_str())));
        for key in keys {
            assert!(!lang.t(&key).contains('⟦'), "{key} missing in {}", lang.tag());
        }
    }
}

/// The bank's `payments` asset group: one Maven component, as a CycloneDX SBOM.
async fn register_payments(app: &App, group: &str, name: &str, version: &str) {
    let sbom = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
        {"type": "library", "group": group, "name": name, "version": version,
         "purl": format!("pkg:maven/{group}/{name}@{version}")}]});
    let (status, answer) = app.call("PUT", "/api/v1/assets/groups/payments", BANK, Some(sbom)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[tokio::test]
async fn a_unit_reads_acknowledges_and_answers_its_risk_warnings() {
    let app = app().await;
    // The bank registers what it runs: log4j-core 2.14.1 in its payments system.
    register_payments(&app, "org.apache.logging.log4j", "log4j-core", "2.14.1").await;
    let mut bank = Client::new(&app, Lang::Zh);
    bank.sign_in(BANK).await;
    let dashboard = bank.get("/dashboard").await;
    assert!(dashboard.html.contains("CVE-2021-44228"), "the latest warnings are on the dashboard");
    let inbox = bank.get("/warnings").await;
    assert_page(&inbox, Lang::Zh, "warnings");
    assert!(
        inbox.html.contains(&Lang::Zh.t("warning.urgency_immediate")),
        "Log4Shell is exploited in the wild"
    );
    assert!(inbox.html.contains("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"));
    let (_, list) = app.get("/api/v1/warnings", BANK).await;
    let log4shell =
        list["warnings"].as_array().unwrap().iter().find(|w| w["vulnerability"] == "CVE-2021-44228").unwrap();
    let id = log4shell["id"].as_str().unwrap().to_owned();
    let revision = log4shell["revision"].to_string();
    let token = csrf_of(&inbox);
    let done = bank.post_form(&format!("/warnings/{id}/ack"), &[("csrf_token", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let done = bank
        .post_form(
            &format!("/warnings/{id}/assets/payments"),
            &[
                ("csrf_token", &token),
                ("status", "fixed"),
                ("justification", ""),
                ("detail", "升级到 2.17.1"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let inbox = bank.get("/warnings?done=status").await;
    assert!(inbox.html.contains(
        &Lang::Zh.tf("warning.current_status", &[("status", &Lang::Zh.t("warning.status_fixed"))])
    ));
    assert!(inbox.html.contains(&Lang::Zh.tf("warning.acknowledged", &[("n", &revision)])));
    // First issued by the demo's story, on 2021-12-09 (Beijing time).
    assert!(
        inbox.html.contains(&Lang::Zh.tf("warning.first_issued", &[("when", "2021-12-08 16:00 +00:00")]))
    );
    // Another unit cannot answer the bank's warning.
    let mut grid = Client::new(&app, Lang::En);
    grid.sign_in("noc@grid.example").await;
    let page = grid.get("/warnings").await;
    let refused = grid.post_form(&format!("/warnings/{id}/ack"), &[("csrf_token", &csrf_of(&page))]).await;
    assert!(matches!(refused.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", refused.status);
}

#[tokio::test]
async fn the_case_page_and_the_statistics_show_the_blind_window() {
    let app = app().await;
    let mut analyst = Client::new(&app, Lang::En);
    analyst.sign_in(MIIT).await;
    let case = analyst.get(&format!("/cases/{}", app.case_id)).await;
    assert!(case.html.contains("/advisories/CVE-2021-44228/bulletin?lang=zh"), "the case's bulletin");
    assert!(case.html.contains("/api/v1/advisories/CVE-2021-44228.csaf.json"), "the case's CSAF advisory");
    assert!(case.html.contains(&Lang::En.t("interval.regulator_report")));
    assert!(case.html.contains("<td>15 d</td>"), "the 15-day blind window in the intervals table");
    assert!(case.html.contains(&Lang::En.tf("timeline.blind", &[("length", "15 d")])), "and on the chart");
    let stats = analyst.get("/stats").await;
    assert_page(&stats, Lang::En, "stats");
    assert!(stats.html.contains("/api/v1/stats/intervals/regulator_report.svg?lang=en"));
    assert!(stats.html.contains("2021-Q4"));
}

#[tokio::test]
async fn bulletins_and_manuals_open_inside_the_site_in_either_language() {
    let app = app().await;
    for lang in Lang::ALL {
        let reader = Client::new(&app, lang);
        for (kind, zh_heading) in [("bulletin", "安全公告"), ("manual", "排查及修复手册")] {
            let page = reader.get(&format!("/advisories/CVE-2021-44228/{kind}?lang=zh")).await;
            assert_eq!(page.status, StatusCode::OK, "{kind}");
            assert_page(&page, lang, kind);
            // The site's shell around the document, which keeps its own language.
            assert!(page.html.contains("<nav class=\"crumbs no-print\""), "{kind}: navigation");
            assert!(page.html.contains("<article class=\"document\" lang=\"zh-CN\""), "{kind}");
            assert!(page.html.contains(zh_heading), "{kind}");
            if kind == "bulletin" {
                assert!(
                    page.html.contains("10.0 严重") && !page.html.contains("CRITICAL"),
                    "the rating in Chinese"
                );
            }
            assert!(page.html.contains("data-print"), "{kind}: print or save as PDF");
            assert!(
                page.html.contains(&format!("/advisories/CVE-2021-44228/{kind}?lang=en")),
                "the other language"
            );
        }
        assert_eq!(reader.get("/advisories/CVE-2021-44228/other").await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            reader.get("/advisories/CVE-2021-44228/bulletin?lang=fr").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(reader.get("/advisories/CVE-0000-0000/bulletin").await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_inbox_shows_twenty_warnings_a_page_with_a_link_to_older_ones() {
    let app = app().await;
    register_payments(&app, "org.example", "widget", "1.2").await;
    // 25 public records (of no case) affect the widget: 25 warnings.
    for n in 1..=25 {
        let id = format!("VR-2026-{n:04}");
        let record = serde_json::json!({"id": id, "title": {"en": format!("Widget flaw {n}")},
            "affected": [{"source": "miit", "vendor": "Example", "product": "Widget", "ecosystem": "Maven",
                          "package": "org.example:widget", "purl": "pkg:maven/org.example/widget",
                          "ranges": [{"introduced": "1.0", "fixed": "1.5"}]}]});
        app.db.store.save_vulnerability(&id, None, &record, &[], chrono::Utc::now()).await.unwrap();
    }
    let (status, summary) = app.post("/api/v1/warnings/rematch", MIIT, serde_json::json!({})).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let mut bank = Client::new(&app, Lang::En);
    bank.sign_in(BANK).await;
    let cards = |page: &Page| page.html.matches("<article class=\"card warning\"").count();
    // And the four Log4j warnings of the demo's story: 29 in all.
    let (_, all) = app.get("/api/v1/warnings?limit=100", BANK).await;
    assert_eq!(all["warnings"].as_array().unwrap().len(), 29);
    let first = bank.get("/warnings").await;
    assert_page(&first, Lang::En, "warnings");
    assert_eq!(cards(&first), 20);
    let marker = "rel=\"next\" href=\"";
    let start = first.html.find(marker).expect("a link to older warnings") + marker.len();
    let next = first.html[start..start + first.html[start..].find('"').unwrap()].to_owned();
    assert!(first.html.contains(&Lang::En.t("warning.older")));
    let second = bank.get(&next).await;
    assert_page(&second, Lang::En, "warnings");
    assert_eq!(cards(&second), 9);
    assert!(!second.html.contains(marker), "the last page links nowhere");
}

/// The visible text of a page that is the UI's own words: without scripts and styles,
/// and without what is data rather than UI — elements marked `translate="no"` (names,
/// titles, notes people wrote, identifiers), `code`, and anything in another language
/// (`lang="..."`, e.g. the language switch).
fn ui_text(html: &str, lang: Lang) -> String {
    const VOID: [&str; 8] = ["input", "br", "meta", "link", "img", "hr", "source", "wbr"];
    let mut out = String::new();
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let skipping = stack.iter().any(|(_, skip)| *skip);
        if !skipping {
            out.push_str(&rest[..open]);
            out.push(' ');
        }
        let Some(close) = rest[open..].find('>') else { break };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if let Some(at) = stack.iter().rposition(|(n, _)| n == name) {
                stack.truncate(at);
            }
            continue;
        }
        if tag.starts_with('!') || tag.ends_with('/') {
            continue;
        }
        let name = tag.split([' ', '\n']).next().unwrap_or_default().to_owned();
        if VOID.contains(&name.as_str()) {
            continue;
        }
        let other_lang =
            tag.split(" lang=\"").nth(1).and_then(|v| v.split('"').next()).is_some_and(|l| {
                !l.is_empty() && l != lang.tag() && !(lang == Lang::Zh && l.starts_with("zh"))
            });
        let skip = other_lang
            || tag.contains("translate=\"no\"")
            || ["script", "style", "code", "title", "textarea", "select"].contains(&name.as_str());
        stack.push((name, skip));
    }
    out.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Text in the wrong script for `lang`: in Chinese, two English words in a row (names,
/// acronyms and identifiers aside); in English, any Chinese character.
fn wrong_script(text: &str, lang: Lang) -> Vec<String> {
    let mut found = Vec::new();
    match lang {
        Lang::Zh => {
            let word = |t: &str| {
                let t = t.trim_end_matches([',', '.', ';', ':', ')', '?', '!']).trim_start_matches('(');
                t.len() >= 2
                    && t.chars().all(|c| c.is_ascii_alphabetic() || c == '\'' || c == '-')
                    && t.chars().any(|c| c.is_ascii_lowercase())
            };
            let tokens: Vec<&str> = text.split_whitespace().collect();
            // Code in backticks (an event type's wire name) is not words.
            found.extend(tokens.iter().filter(|t| t.contains('`')).map(|t| (*t).to_owned()));
            let mut i = 0;
            while i < tokens.len() {
                let mut j = i;
                while j < tokens.len() && word(tokens[j]) {
                    j += 1;
                }
                if j - i >= 2 {
                    found.push(tokens[i..j].join(" "));
                    i = j;
                } else {
                    i += 1;
                }
            }
        }
        Lang::En => {
            // A Chinese term of art glossed in brackets after its English words is fine:
            // `Suspension as cooperating unit (暂停合作单位)`.
            let gloss = |t: &str| {
                let t = t.trim_end_matches([',', '.', ';', ':']);
                t.starts_with('(') && t.ends_with(')')
            };
            for line in text.split_whitespace().filter(|t| !gloss(t)) {
                if line
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3000}'..='\u{303f}').contains(&c))
                {
                    found.push(line.to_owned());
                }
            }
        }
    }
    found
}

/// Names in the demo's data (organisations, accounts, the Log4Shell story's parties):
/// data, in the language their owners gave them, longest first.
async fn names(app: &App) -> Vec<String> {
    let mut names: Vec<String> =
        app.db.store.list_orgs(None).await.unwrap().into_iter().map(|o| o.name).collect();
    names.extend(app.db.store.list_accounts(None).await.unwrap().into_iter().map(|a| a.name));
    let story: serde_json::Value =
        serde_json::from_str(include_str!("../../../../examples/log4shell.json")).unwrap();
    names.extend(story["parties"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()));
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names
}

/// The texts of a page in the wrong script for its language, names taken out.
fn script_problems(page: &Page, lang: Lang, names: &[String], what: &str) -> Vec<String> {
    let text = names.iter().fold(ui_text(&page.html, lang), |t, n| t.replace(n.as_str(), " "));
    wrong_script(&text, lang).into_iter().map(|t| format!("{} {what}: {t}", lang.tag())).collect()
}

#[test]
fn the_script_check_finds_english_in_chinese_and_chinese_in_english() {
    assert_eq!(wrong_script("规则 cooperating-unit duty 已逾期", Lang::Zh), ["cooperating-unit duty"]);
    assert_eq!(wrong_script("于 `published` 时", Lang::Zh), ["`published`"]);
    assert!(wrong_script("CVE-2021-44228 CVSS 10.0 版本 2.15.0", Lang::Zh).is_empty(), "identifiers pass");
    assert_eq!(wrong_script("Overdue 已逾期", Lang::En), ["已逾期"]);
    assert!(
        wrong_script("Suspension as cooperating unit (暂停合作单位)", Lang::En).is_empty(),
        "a gloss passes"
    );
    let html = "<p>到期 <span translate=\"no\">Alibaba Cloud</span> <code>not words</code> 时限</p>";
    assert!(wrong_script(&ui_text(html, Lang::Zh), Lang::Zh).is_empty());
    assert_eq!(ui_text("<p>a <b>b</b></p>", Lang::En).split_whitespace().collect::<Vec<_>>(), ["a", "b"]);
}

#[tokio::test]
async fn a_unit_uploads_and_reviews_its_asset_inventory_with_its_history() {
    let app = app().await;
    for lang in Lang::ALL {
        let mut unit = Client::new(&app, lang);
        unit.sign_in(BANK).await;
        let page = unit.get("/assets").await;
        assert_page(&page, lang, "assets");
        let token = csrf_of(&page);
        let group = format!("web-{}", lang.tag());
        // Nothing chosen: said so, nothing stored.
        let empty = unit.post_multipart("/assets", &[("csrf_token", &token), ("name", &group)], &[]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.html.contains(&lang.t("assets.nothing")));
        assert_eq!(
            problem_beside(&empty.html, "sbom").as_deref(),
            Some(lang.t("assets.nothing").as_str()),
            "beside the file"
        );
        // A file that is no SBOM: the problem beside the file, in words.
        let bad = unit
            .post_multipart(
                "/assets",
                &[("csrf_token", &token), ("name", &group)],
                &[("sbom", "bom.json", b"{\"bomFormat\": 1}")],
            )
            .await;
        assert!(bad.status.is_client_error(), "{}", bad.status);
        assert!(problem_beside(&bad.html, "sbom").is_some_and(|p| !p.contains("$.")), "{}", bad.html);
        // A list typed in.
        let list = "# the payment service\npkg:maven/org.apache.logging.log4j/log4j-core@2.14.1\nspring-core 5.3.17\n";
        let done = unit
            .post_multipart("/assets", &[("csrf_token", &token), ("name", &group), ("list", list)], &[])
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        // Then a CycloneDX file replaces it; the first upload stays in the history.
        let sbom = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"log4j-core","version":"2.17.1","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"}]}"#;
        let done = unit
            .post_multipart(
                "/assets",
                &[("csrf_token", &token), ("name", &group)],
                &[("sbom", "bom.json", sbom)],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let shown = unit.get(done.location.as_deref().unwrap()).await;
        assert_page(&shown, lang, "asset group");
        assert!(shown.html.contains(&lang.t("assets.uploaded")));
        assert!(shown.html.contains("pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"));
        assert!(
            shown.html.contains(&lang.tf("assets.revision", &[("n", "1")])),
            "the first upload in the history"
        );
        assert!(shown.html.contains(&lang.tf("assets.revision", &[("n", "2")])));
        assert!(
            shown.html.contains(&lang.t("assets.source_manual"))
                && shown.html.contains(&lang.t("assets.source_sbom"))
        );
        // A file that is not an SBOM: the API's problem in words, the group unchanged.
        let bad = unit
            .post_multipart(
                "/assets",
                &[("csrf_token", &token), ("name", &group)],
                &[("sbom", "x.json", b"{\"nope\": 1}")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
        assert!(bad.html.contains("class=\"notice error\""));
        assert!(unit.get(&format!("/assets/{group}")).await.html.contains("log4j-core@2.17.1"));
    }
    // Another unit does not see the bank's groups.
    let mut other = Client::new(&app, Lang::En);
    other.sign_in(APACHE).await;
    assert_eq!(other.get("/assets/web-en").await.status, StatusCode::NOT_FOUND);
}

/// The instant in the `datetime` of the first `<time>` after `marker` in `html`.
#[track_caller]
fn time_after(html: &str, marker: &str) -> chrono::DateTime<chrono::Utc> {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let rest = &html[at..];
    let start = rest.find("<time datetime=\"").expect("a time") + "<time datetime=\"".len();
    let text = &rest[start..start + rest[start..].find('"').unwrap()];
    chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&chrono::Utc)
}

#[track_caller]
fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&chrono::Utc)
}

#[tokio::test]
async fn every_view_shows_one_updated_time_for_the_advisory() {
    let app = app().await;
    // The records were stored as the test started, long after their publication: their
    // first version is the publication, and nothing has changed since.
    let (_, list) = app.get("/api/v1/advisories", "").await;
    let published = instant(list["advisories"][0]["published"].as_str().unwrap());
    let updated = instant(list["advisories"][0]["updated"].as_str().unwrap());
    assert_eq!(updated, published, "nothing changed after the publication");
    let mut seen = vec![];
    let (_, csaf) = app.get("/api/v1/advisories/CVE-2021-44228.csaf.json", "").await;
    seen.push((
        "CSAF current_release_date",
        instant(csaf["document"]["tracking"]["current_release_date"].as_str().unwrap()),
    ));
    let (_, records) = app.get("/api/v1/vulnerabilities", "").await;
    let record = records["items"].as_array().unwrap().iter().find(|r| r["id"] == "CVE-2021-44228").unwrap();
    seen.push(("record list", instant(record["updated_at"].as_str().unwrap())));
    let (_, _, feed) =
        app.raw(Request::builder().uri("/advisories/feed.atom").body(Body::empty()).unwrap()).await;
    let feed = String::from_utf8(feed).unwrap();
    let entry = feed.split("<entry>").nth(1).expect("a feed entry");
    let entry_updated = entry.split("<updated>").nth(1).and_then(|r| r.split('<').next()).unwrap();
    seen.push(("feed entry", instant(entry_updated)));
    let mut analyst = Client::new(&app, Lang::En);
    analyst.sign_in(MIIT).await;
    let record = analyst.get("/advisories/CVE-2021-44228").await;
    seen.push(("record page", time_after(&record.html, "<dd class=\"updated\">")));
    let differing: Vec<_> = seen.iter().filter(|(_, at)| *at != updated).collect();
    assert!(differing.is_empty(), "updated {updated}, but {differing:?}");
}

#[tokio::test]
async fn every_view_shows_one_publication_time_for_the_advisory() {
    let app = app().await;
    // The API's advisory, its CSAF (first and current version), the record's CSAF and OSV,
    // the OSV zip's entry, the feed and the Markdown bulletin.
    let (_, list) = app.get("/api/v1/advisories", "").await;
    let published = instant(list["advisories"][0]["published"].as_str().unwrap());
    let mut seen = vec![("advisory list", published)];
    let (_, csaf) = app.get("/api/v1/advisories/CVE-2021-44228.csaf.json", "").await;
    let tracking = &csaf["document"]["tracking"];
    seen.push(("CSAF initial_release_date", instant(tracking["initial_release_date"].as_str().unwrap())));
    seen.push(("CSAF current_release_date", instant(tracking["current_release_date"].as_str().unwrap())));
    let (_, csaf) = app.get("/api/v1/vulnerabilities/CVE-2021-44228.csaf.json", "").await;
    seen.push((
        "record CSAF",
        instant(csaf["document"]["tracking"]["initial_release_date"].as_str().unwrap()),
    ));
    let (_, osv) = app.get("/api/v1/vulnerabilities/CVE-2021-44228.osv.json", "").await;
    seen.push(("record OSV", instant(osv["published"].as_str().unwrap())));
    let (_, _, zip) =
        app.raw(Request::builder().uri("/api/v1/osv/all.zip").body(Body::empty()).unwrap()).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut entry = archive.by_name("CVE-2021-44228.json").unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
    let osv: serde_json::Value = serde_json::from_str(&text).unwrap();
    seen.push(("OSV zip", instant(osv["published"].as_str().unwrap())));
    drop(entry);
    let (_, _, feed) =
        app.raw(Request::builder().uri("/advisories/feed.atom").body(Body::empty()).unwrap()).await;
    let feed = String::from_utf8(feed).unwrap();
    let entry = feed.split("<published>").nth(1).and_then(|r| r.split('<').next()).expect("a feed entry");
    seen.push(("feed", instant(entry)));
    let (_, _, md) = app
        .raw(
            Request::builder()
                .uri("/api/v1/advisories/CVE-2021-44228/bulletin?format=md")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let md = String::from_utf8(md).unwrap();
    let line = md.split("Published ").nth(1).and_then(|r| r.split_whitespace().next()).expect("a date line");
    seen.push(("Markdown bulletin", instant(line)));
    // The web UI, in both languages: the case page, the dashboard, the bulletin and the
    // record's page, each through the one formatter (`<time datetime=...>`).
    for lang in Lang::ALL {
        let mut analyst = Client::new(&app, lang);
        analyst.sign_in(MIIT).await;
        let case = analyst.get(&format!("/cases/{}", app.case_id)).await;
        seen.push(("case page", time_after(&case.html, "<dd class=\"published\">")));
        let dashboard = analyst.get("/dashboard").await;
        seen.push(("dashboard", time_after(&dashboard.html, "class=\"muted published\"")));
        let bulletin = analyst.get("/advisories/CVE-2021-44228/bulletin").await;
        seen.push(("bulletin page", time_after(&bulletin.html, "<p class=\"published\">")));
        let record = analyst.get("/advisories/CVE-2021-44228").await;
        seen.push(("record page", time_after(&record.html, "<dd class=\"published\">")));
    }
    let differing: Vec<_> = seen.iter().filter(|(_, at)| *at != published).collect();
    assert!(differing.is_empty(), "published {published}, but {differing:?}");
    assert!(seen.len() >= 16, "{seen:?}");
}

/// The page without the notes people wrote on events (data in the words of their
/// writer, which may name an organisation in any language).
fn without_notes(html: &str) -> String {
    let marker = "<p class=\"note\" translate=\"no\">";
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at]);
        rest = rest[at..].split_once("</p>").map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn organisations_are_named_in_the_language_of_the_page() {
    let app = app().await;
    for lang in Lang::ALL {
        let (shown, hidden) = match lang {
            Lang::Zh => (
                ["阿里云安全团队", "工业和信息化部网络安全威胁和漏洞信息共享平台"],
                ["Alibaba Cloud Security Team", "MIIT threat and vulnerability sharing platform"],
            ),
            Lang::En => (
                ["Alibaba Cloud Security Team", "MIIT threat and vulnerability sharing platform (NVDB)"],
                ["阿里云安全团队", "工业和信息化部网络安全威胁和漏洞信息共享平台"],
            ),
        };
        let mut reporter = Client::new(&app, lang);
        reporter.sign_in(REPORTER).await;
        let mut analyst = Client::new(&app, lang);
        analyst.sign_in(MIIT).await;
        let case = analyst.get(&format!("/cases/{}", app.case_id)).await;
        let dashboard = reporter.get("/dashboard").await;
        let org = analyst.get("/orgs/alibaba-cloud").await;
        for (what, page) in [("case page", &case), ("dashboard", &dashboard), ("organisation", &org)] {
            assert_page(page, lang, what);
            let html = without_notes(&page.html);
            assert!(html.contains(shown[0]), "{} {what}: {}", lang.tag(), shown[0]);
            if let Some(at) = html.find(hidden[0]) {
                let from = html.floor_char_boundary(at.saturating_sub(300));
                panic!("{} {what} names {}: {}", lang.tag(), hidden[0], &html[from..at + 60]);
            }
        }
        // The platform on the case page and in its findings and timeline.
        let html = without_notes(&case.html);
        assert!(html.contains(shown[1]), "{} case page: {}", lang.tag(), shown[1]);
        assert!(!html.contains(hidden[1]), "{} case page names {}", lang.tag(), hidden[1]);
    }
    // Where the reference gives no Chinese name, the Chinese page shows the English one.
    let (_, org) = app.get("/api/v1/orgs/apache", ADMIN).await;
    assert_eq!(org["name_zh"], serde_json::Value::Null, "{org}");
    let (_, org) = app.get("/api/v1/orgs/cnvd", ADMIN).await;
    assert_eq!(org["name_zh"], "国家信息安全漏洞共享平台", "{org}");
    // An administrator adds an organisation with both names.
    let body = serde_json::json!({"id": "cn-telco", "name": "A telecom operator", "name_zh": "某电信运营商",
                                  "jurisdiction": "CN", "roles": ["network_operator"]});
    let (code, created) = app.post("/api/v1/orgs", ADMIN, body).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["name_zh"], "某电信运营商");
    let (_, read) = app.get("/api/v1/orgs/cn-telco", ADMIN).await;
    assert_eq!(read["name_zh"], "某电信运营商", "{read}");
}

/// The text of the problem beside field `id` (`<p class="problem" id="{id}-problem">`).
fn problem_beside(html: &str, id: &str) -> Option<String> {
    let marker = format!("<p class=\"problem\" id=\"{id}-problem\">");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..start + html[start..].find("</p>")?].to_owned())
}

#[tokio::test]
async fn the_report_form_shows_every_problem_at_once_beside_its_field_and_keeps_the_files() {
    let app = app().await;
    for lang in Lang::ALL {
        let mut reporter = Client::new(&app, lang);
        reporter.sign_in(REPORTER).await;
        let token = csrf_of(&reporter.get("/reports/new").await);
        let before = app.counts().await;
        // Problems the form sees (empty required fields, a time it cannot read) and those
        // only the intake sees (a package URL, a CVSS vector): all in one round.
        let fields = [
            ("csrf_token", token.as_str()),
            ("product_name", "Apache Log4j2"),
            ("discovered_at", "yesterday"),
            ("purl", "maven:log4j-core"),
            ("cvss_vector", "CVSS:9.9/XX:Y"),
            ("note", "kept note"),
        ];
        let files: [(&str, &str, &[u8]); 2] =
            [("attachments", "README.txt", b"see the PoC"), ("exploit", "Poc.java", b"class Poc {}")];
        let page = reporter.post_multipart("/reports", &fields, &files).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_page(&page, lang, "report problems");
        assert_eq!(app.counts().await, before, "nothing taken in");
        for (field, message) in [
            ("product_model", "problem.required"),
            ("harm", "problem.required"),
            ("discovered_at", "problem.time"),
            ("purl", "problem.purl"),
            ("cvss_vector", "problem.cvss"),
        ] {
            assert_eq!(
                problem_beside(&page.html, field).as_deref(),
                Some(lang.t(message).as_str()),
                "{field}"
            );
        }
        assert!(!page.html.contains("$."), "no JSON path shown");
        // The chosen files are kept, each with a box to leave it out, and the note too.
        assert!(page.html.contains("kept note"));
        let kept: Vec<String> = page
            .html
            .split("name=\"kept\" checked")
            .skip(1)
            .filter_map(|rest| {
                rest.split("value=\"").nth(1)?.split('"').next().map(|v| v.replace("&quot;", "\""))
            })
            .collect();
        assert_eq!(kept.len(), 2, "two files kept");
        assert!(page.html.contains(&lang.tf("report.keep_file", &[("name", "Poc.java"), ("n", "12")])));
        // Fixed, the README left out and a new file chosen: the case gets the kept exploit
        // code and the new file, not the README.
        let mut fixed: Vec<(&str, &str)> = vec![
            ("csrf_token", &token),
            ("idempotency_key", if lang == Lang::Zh { "kept-zh" } else { "kept-en" }),
            ("product_name", "Apache Log4j2"),
            ("product_model", "log4j-core"),
            ("affected_versions", "2.14.1"),
            ("technical_characteristics", "JNDI"),
            ("harm", "RCE"),
            ("scope_of_impact", "Java"),
            ("timezone", "Asia/Shanghai"),
            ("discovered_at", "2021-11-24T10:00"),
        ];
        let exploit = kept.iter().find(|k| k.contains("Poc.java")).unwrap();
        fixed.push(("kept", exploit));
        let new_file: [(&str, &str, &[u8]); 1] = [("attachments", "steps.txt", b"1. log ${jndi:...}")];
        let sent = reporter.post_multipart("/reports", &fixed, &new_file).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
        let receipt = app.db.store.receipts().await.unwrap().pop().unwrap();
        let mut names: Vec<(String, bool)> = app
            .db
            .store
            .attachments(&receipt.case_id)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.filename, a.exploit_code))
            .collect();
        names.sort();
        assert_eq!(names, [("Poc.java".to_owned(), true), ("steps.txt".to_owned(), false)]);
    }
}

#[tokio::test]
async fn membership_forms_show_each_problem_beside_its_field_in_words() {
    let app = app().await;
    for lang in Lang::ALL {
        let mut analyst = Client::new(&app, lang);
        analyst.sign_in(MIIT).await;
        let token = csrf_of(&analyst.get("/orgs/alibaba-cloud").await);
        let sanction = analyst
            .post_form(
                "/orgs/alibaba-cloud/memberships/_/sanction",
                &[
                    ("csrf_token", &token),
                    ("scheme", "miit-threat-sharing"),
                    ("months", "6"),
                    ("individual", "Chen"),
                ],
            )
            .await;
        assert_eq!(sanction.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_page(&sanction, lang, "sanction problems");
        assert_eq!(
            problem_beside(&sanction.html, "reason").as_deref(),
            Some(lang.t("problem.required").as_str())
        );
        assert!(sanction.html.contains("aria-invalid=\"true\""), "the field is marked");
        assert!(
            sanction.html.contains(&format!("<a href=\"#reason\">{}</a>", lang.t("membership.reason"))),
            "named in words above"
        );
        assert!(sanction.html.contains("value=\"Chen\""), "what was typed stays");
        assert!(!sanction.html.contains("$."), "no JSON path shown");
        let review = analyst
            .post_form(
                "/orgs/alibaba-cloud/memberships/_/review",
                &[("csrf_token", &token), ("outcome", "extend")],
            )
            .await;
        assert_eq!(review.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problem_beside(&review.html, "review").as_deref(),
            Some(lang.t("problem.required").as_str())
        );
        assert!(!review.html.contains("$."), "no JSON path shown");
    }
}

/// Adds `count` vendors, `vendor-00` onward.
async fn add_vendors(app: &App, count: usize) {
    for n in 0..count {
        let body = serde_json::json!({"id": format!("vendor-{n:02}"), "name": format!("Vendor {n:02}"), "jurisdiction": "CN", "roles": ["product_provider"]});
        let (code, created) = app.post("/api/v1/orgs", ADMIN, body).await;
        assert_eq!(code, StatusCode::CREATED, "{created}");
    }
}

#[tokio::test]
async fn the_organisations_page_is_paged_and_every_organisation_is_on_one_page() {
    let app = app().await;
    add_vendors(&app, 60).await;
    let every: Vec<String> = app.db.store.list_orgs(None).await.unwrap().into_iter().map(|o| o.id).collect();
    let mut analyst = Client::new(&app, Lang::En);
    analyst.sign_in(MIIT).await;
    let (mut path, mut shown, mut pages) = ("/orgs".to_owned(), Vec::new(), 0);
    loop {
        let page = analyst.get(&path).await;
        assert_page(&page, Lang::En, "organisations");
        pages += 1;
        // Each row links to its organisation's page.
        let rows: Vec<String> = page
            .html
            .split("<a href=\"/orgs/")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
            .filter(|id| !id.contains('/') && !id.contains('?'))
            .collect();
        assert!(rows.len() <= 50, "{} rows on one page", rows.len());
        shown.extend(rows);
        match page.html.split("href=\"/orgs?after=").nth(1) {
            Some(rest) => path = format!("/orgs?after={}", rest.split('"').next().unwrap()),
            None => break,
        }
    }
    assert_eq!(shown, every, "every organisation once, by id");
    assert_eq!(pages, every.len().div_ceil(50));
}

/// The option values of the select `id` on a page, in order.
fn options_of(html: &str, id: &str) -> Vec<String> {
    let start = html.find(&format!("<select id=\"{id}\"")).unwrap_or_else(|| panic!("no select #{id}"));
    let end = start + html[start..].find("</select>").expect("the select's end");
    html[start..end]
        .split("<option value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_organisation_pickers_list_a_page_and_find_the_others_by_name() {
    let app = app().await;
    add_vendors(&app, 60).await;
    // Last by id, so on no first page.
    let body = serde_json::json!({"id": "zz-zorb", "name": "Zorb Widgets", "name_zh": "佐布部件", "jurisdiction": "CN", "roles": ["product_provider"]});
    let (code, created) = app.post("/api/v1/orgs", ADMIN, body).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    for lang in [Lang::En, Lang::Zh] {
        let mut reporter = Client::new(&app, lang);
        reporter.sign_in(REPORTER).await;
        let form = reporter.get("/reports/new").await;
        assert_page(&form, lang, "report form");
        let providers = options_of(&form.html, "provider");
        assert_eq!((providers[0].as_str(), providers.len()), ("", 51), "{providers:?}");
        assert!(!providers.contains(&"zz-zorb".to_owned()));
        assert!(form.html.contains(&lang.tf("picker.first", &[("count", "50")])));
        // The search box's button without the script: the form again, as it was sent,
        // with what the box found, and nothing taken in.
        let token = csrf_of(&form);
        let before = app.counts().await;
        let text = if lang == Lang::En { "ZORB" } else { "部件" };
        let fields = [
            ("csrf_token", token.as_str()),
            ("title", "Kept title"),
            ("find", "provider"),
            ("find_provider", text),
        ];
        let found = reporter.post_multipart("/reports", &fields, &[]).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.html);
        assert_page(&found, lang, "report form with a search");
        assert_eq!(options_of(&found.html, "provider"), ["", "zz-zorb"]);
        assert!(found.html.contains("value=\"Kept title\""), "the draft is kept");
        assert!(found.html.contains(&lang.tf("picker.found", &[("count", "1"), ("text", text)])));
        assert!(!found.html.contains("class=\"problem\""), "nothing checked");
        assert_eq!(app.counts().await, before);
        // A choice from a search stays listed, and chosen, when the form comes back.
        let fields = [("csrf_token", token.as_str()), ("provider", "zz-zorb"), ("find", "platform")];
        let back = reporter.post_multipart("/reports", &fields, &[]).await;
        let providers = options_of(&back.html, "provider");
        assert_eq!((providers[1].as_str(), providers.len()), ("zz-zorb", 52), "{providers:?}");
        assert!(back.html.contains("<option value=\"zz-zorb\" selected>"), "chosen");
        // The platforms: only those holding a platform's role.
        let platforms = options_of(&back.html, "platform");
        assert!(
            platforms.contains(&"miit-nvdb".to_owned())
                && !platforms.iter().any(|p| p.starts_with("vendor-"))
        );
    }
    // The case page's recipient: a page, the viewer's own organisation left out, and
    // the rest found by name through the page's own search form.
    let mut analyst = Client::new(&app, Lang::En);
    analyst.sign_in(MIIT).await;
    let case = app.case_id.clone();
    let page = analyst.get(&format!("/cases/{case}")).await;
    let recipients = options_of(&page.html, "notify-to");
    assert_eq!(recipients.len(), 50, "{recipients:?}");
    assert!(!recipients.contains(&"miit-nvdb".to_owned()) && !recipients.contains(&"zz-zorb".to_owned()));
    assert!(page.html.contains("form id=\"notify-to-search\" method=\"get\""));
    assert!(page.html.contains("name=\"find_to\"") && page.html.contains("form=\"notify-to-search\""));
    let found = analyst.get(&format!("/cases/{case}?find_to=zorb&find=to")).await;
    assert_page(&found, Lang::En, "case page with a search");
    assert_eq!(options_of(&found.html, "notify-to"), ["zz-zorb"]);
    let none = analyst.get(&format!("/cases/{case}?find_to=nothing-like-it")).await;
    assert!(options_of(&none.html, "notify-to").is_empty());
    assert!(none.html.contains(&Lang::En.tf("picker.none", &[("text", "nothing-like-it")])));
}
