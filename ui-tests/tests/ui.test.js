// The vulnrelay web UI in a real browser: Debian's chromium driven by playwright-core
// against a real `vulnrelay demo` server. The scenarios run in order on one server
// (each step builds on the last, as a user's session would); each saves a screenshot
// in ui-tests/screenshots/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startDemo } from "./server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, "..", "screenshots");
const docs = path.join(here, "..", "..", "docs", "screenshots");

const REPORTER = "security@alibaba-cloud.example";
const ANALYST = "analyst@nvdb.miit.example";

let server;
let browser;
let context;
let page;
const cases = {};
const consoleErrors = [];

async function shot(name, { docsCopy = false, fullPage = true } = {}) {
  fs.mkdirSync(shots, { recursive: true });
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  if (docsCopy) {
    fs.mkdirSync(docs, { recursive: true });
    fs.copyFileSync(file, path.join(docs, `${path.basename(name).replace(/^\d+-/, "")}.png`));
  }
}

async function language(lang) {
  // The switch is a link in the header; it keeps the choice in a cookie.
  const name = lang === "zh-CN" ? "中文" : "English";
  const link = page.locator(`.langs a[hreflang="${lang}"]`);
  if (await link.count()) {
    await link.click();
  }
  await page.waitForSelector(`html[lang="${lang}"]`);
  assert.equal(await page.locator(".langs [aria-current]").textContent(), name);
}

async function signIn(email) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel(/E-mail address|电子邮箱/).fill(email);
  await page.getByLabel(/^Password|^密码/).fill(server.accounts[email]);
  await page.locator("form.narrow button[type=submit]").click();
  await page.waitForURL(/\/dashboard$/);
}

async function signOut() {
  await page.locator("header .session form button").click();
  await page.waitForURL(/\/login$/);
}

async function fillReport({ title, product, model, versions, technical, harm, scope, discovered, file }) {
  await page.goto(`${server.url}/reports/new`);
  await page.fill("#title", title);
  await page.fill("#product_name", product);
  await page.fill("#product_model", model);
  await page.fill("#affected_versions", versions);
  await page.selectOption("#provider", "apache");
  await page.fill("#technical_characteristics", technical);
  await page.fill("#harm", harm);
  await page.fill("#scope_of_impact", scope);
  await page.fill("#discovered_at", discovered);
  if (file) {
    await page.setInputFiles("#attachments", file);
  }
}

before(async () => {
  server = await startDemo();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 }, locale: "en-GB" });
  page = await context.newPage();
  page.on("console", (message) => { if (message.type() === "error") { consoleErrors.push(message.text()); } });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("sign in", async () => {
  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/advisories$/);
  await page.getByRole("link", { name: "Sign in" }).click();
  await signIn(REPORTER);
  assert.match(await page.locator("h1").textContent(), /Dashboard/);
  // The overdue obligations of the Log4Shell story are on top, in red.
  const first = page.locator("ul.deadlines li").first();
  assert.match(await first.getAttribute("class"), /overdue/);
  const countdown = first.locator(".countdown");
  assert.match(await countdown.textContent(), /overdue by/);
  // The script keeps it live: the text moves on by itself.
  const shown = await countdown.textContent();
  await page.waitForFunction((before) => document.querySelector(".deadline .countdown").textContent !== before, shown);
  await shot("01-sign-in");
});

test("submit a report in Chinese and see the receipt", async () => {
  await language("zh-CN");
  await page.goto(`${server.url}/reports/new`);
  // Validation messages come back in the chosen language, next to their fields.
  await page.locator("form.report > button[type=submit]").click();
  await page.waitForSelector(".field.invalid");
  assert.match(await page.locator("#harm-problem").textContent(), /此项必填/);
  await shot("02-report-problems-zh");
  await fillReport({
    title: "JNDI 查找远程代码执行",
    product: "Apache Log4j2",
    model: "log4j-core",
    versions: "2.0-beta9 至 2.14.1",
    technical: "消息查找替换可触达 JNDI，攻击者控制的字符串可加载远程代码。",
    harm: "以应用身份远程执行代码。",
    scope: "使用 log4j-core 2.x 记录外部输入的所有 Java 应用。",
    discovered: "2021-11-24T10:00",
    file: { name: "分析.txt", mimeType: "text/plain", buffer: Buffer.from("JNDI lookup analysis") },
  });
  await page.locator("form.report > button[type=submit]").click();
  await page.waitForSelector(".receipt-number");
  assert.equal(await page.locator("h1").textContent(), "报告已接收");
  assert.match(await page.locator(".receipt-number").textContent(), /\S+/);
  cases.zh = (await page.locator("dl.receipt a").getAttribute("href")).split("/").pop();
  await shot("03-receipt-zh");
  // The receipt has its own address: switching language keeps it, and it is listed.
  assert.match(page.url(), /\/receipts\/[^/]+$/);
  const number = await page.locator(".receipt-number").textContent();
  await language("en");
  assert.equal(await page.locator("h1").textContent(), "Report received");
  assert.equal(await page.locator(".receipt-number").textContent(), number);
  await page.getByRole("link", { name: "All your receipts" }).click();
  await page.waitForURL(/\/receipts$/);
  assert.ok(await page.locator(`table.receipts a[href$="${number}"]`).count(), "the receipt is listed");
  await shot("03-receipts-en");
});

test("submit a report in English and see the receipt", async () => {
  await language("en");
  await fillReport({
    title: "Lookup recursion denial of service",
    product: "Apache Log4j2",
    model: "log4j-core",
    versions: "2.0-alpha1 to 2.16.0",
    technical: "Self-referential lookups in the Thread Context Map recurse without bound.",
    harm: "Denial of service (StackOverflowError).",
    scope: "Applications using non-default pattern layouts with context lookups.",
    discovered: "2021-12-16T09:30",
  });
  await page.locator("form.report > button[type=submit]").click();
  await page.waitForSelector(".receipt-number");
  assert.equal(await page.locator("h1").textContent(), "Report received");
  assert.match(await page.locator("dl.receipt").textContent(), /Asia\/Shanghai/);
  cases.en = (await page.locator("dl.receipt a").getAttribute("href")).split("/").pop();
  await shot("04-receipt-en");
});

test("the new cases are on the dashboard", async () => {
  await page.goto(`${server.url}/dashboard`);
  const open = page.locator("section[aria-labelledby=cases-h]");
  assert.ok(await open.locator(`a[href="/cases/${cases.zh}"]`).count(), "the Chinese report's case");
  assert.ok(await open.locator(`a[href="/cases/${cases.en}"]`).count(), "the English report's case");
  await shot("05-dashboard", { docsCopy: true, fullPage: false });
  // The same page at phone width: nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the dashboard is ${overflow}px wider than a phone`);
  await shot("06-dashboard-phone");
  await page.setViewportSize({ width: 1280, height: 900 });
  // Keyboard: the first Tab reaches the skip link.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  // The pages so far ran without a script error or a missing or blocked resource
  // (the one 422 is the report sent empty on purpose).
  assert.deepEqual(consoleErrors.filter((e) => !/status of 422/.test(e)), []);
});

test("record a notification and a fix", async () => {
  await signOut();
  await signIn(ANALYST);
  await page.goto(`${server.url}/cases/${cases.en}`);
  // The recipient's list follows its search box (GET /api/v1/orgs?q=) as one types.
  await page.fill("#notify-to-find", "apache soft");
  await page.waitForFunction(() => {
    const values = [...document.querySelectorAll("#notify-to option")].map((o) => o.value);
    return values.length === 1 && values[0] === "apache";
  });
  assert.equal(await page.locator("#notify-to-status").textContent(), "1 found for “apache soft”.");
  await page.fill("#notify-to-find", "");
  await page.waitForFunction(() => document.querySelectorAll("#notify-to option").length > 1);
  await page.fill("#notify-to-find", "Apa");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("#notify-to option").length === 1);
  assert.match(page.url(), /\/cases\/[^?]*$/, "Enter in the box searches, it sends no form");
  await page.selectOption("#notify-to", "apache");
  await page.fill("#notify-note", "Forwarded to the vendor's PSIRT");
  await page.locator("form[aria-labelledby=notify-h] > button").click();
  await page.waitForSelector(".notice.ok");
  assert.match(await page.locator(".notice.ok").textContent(), /Recorded: Notified/);
  assert.match(await page.locator("#timeline").textContent(), /to Apache Software Foundation/);
  await shot("07-notification");
  await page.selectOption("form[aria-labelledby=fix-h] select[name=party]", "apache");
  await page.fill("#fix-version", "2.17.0");
  await page.locator("form[aria-labelledby=fix-h] button").click();
  await page.waitForSelector(".notice.ok");
  assert.match(await page.locator("#timeline").textContent(), /version 2\.17\.0/);
  await shot("08-fix");
});

test("a forbidden publication is refused with the rule and article", async () => {
  await page.goto(`${server.url}/cases/${cases.zh}`);
  // Publishing before the provider offers a fix, and without remediation.
  await page.locator("form[aria-labelledby=publish-h] button").click();
  await page.waitForSelector(".refusal");
  const refusal = await page.locator(".refusal").textContent();
  assert.match(refusal, /Do not publish before the provider offers a fix/);
  assert.match(refusal, /Art\. 9\(1\)/);
  assert.match(refusal, /Art\. 9\(5\)/);
  assert.ok(await page.locator("#override_reason").count(), "the analyst is offered the override");
  await shot("09-refused");
  // The same refusal in Chinese.
  await language("zh-CN");
  await page.goto(`${server.url}/cases/${cases.zh}`);
  await page.locator("form[aria-labelledby=publish-h] button").click();
  await page.waitForSelector(".refusal");
  assert.match(await page.locator(".refusal").textContent(), /不得在网络产品提供者提供修补措施之前发布漏洞信息/);
  await shot("10-refused-zh");
  await language("en");
});

test("publish with remediation", async () => {
  await page.goto(`${server.url}/cases/${cases.en}`);
  await page.check("#publish-remediation");
  await page.fill("#publish-note", "Bulletin with upgrade guidance");
  await page.locator("form[aria-labelledby=publish-h] button").click();
  await page.waitForSelector(".notice.ok");
  assert.match(await page.locator("dl.facts").first().textContent(), /Published/);
  assert.match(await page.locator("#timeline").textContent(), /with remediation/);
  await shot("11-published");
});

test("the timeline chart: axis, markers, clocks and blind window, in both languages, at 1280 px and 390 px", async () => {
  await page.goto(`${server.url}/dashboard`);
  const href = await page.locator("section[aria-labelledby=cases-h] a", { hasText: "Log4Shell" }).first().getAttribute("href");
  cases.log4shell = href.split("/").pop();
  for (const lang of ["en", "zh-CN"]) {
    await language(lang);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
      await page.goto(`${server.url}${href}`);
      const chart = page.locator(".timeline-chart");
      await chart.locator(".chart-scroll > svg").waitFor();
      // The blind window of the story: 15 days, shaded and labelled.
      assert.match(await chart.locator("g.blind text").textContent(), lang === "en" ? /Regulator blind window: 15 d$/ : /监管部门不知情期：15 天$/);
      // The date axis is in the case's time zone.
      assert.match(await chart.locator("desc").textContent(), /Asia\/Shanghai/);
      assert.ok(await chart.locator("g.ev").count() >= 14, "a marker per event");
      // The page never scrolls sideways; the chart scrolls inside its own box.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the case page is ${overflow}px wider than the window at ${width}px`);
      const box = chart.locator(".chart-scroll");
      if (width < 500) {
        assert.ok(await box.evaluate((el) => el.scrollWidth > el.clientWidth), "the chart scrolls in its box on a phone");
        await box.evaluate((el) => { el.scrollLeft = el.scrollWidth; });
      }
      // The overdue bar and the "now" marker are inside the visible part of the box.
      const seen = await box.boundingBox();
      for (const selector of ["g.now line", "g.ob.status-overdue path"]) {
        const mark = await chart.locator(selector).first().boundingBox();
        assert.ok(mark.x >= seen.x - 1 && mark.x + mark.width <= seen.x + seen.width + 1, `${selector} is visible at ${width}px`);
      }
      // Keyboard: an obligation bar takes focus and its details show under the chart.
      const bar = chart.locator("g.ob.status-overdue").first();
      await bar.focus();
      assert.equal(await chart.locator(".chart-detail").textContent(), await bar.getAttribute("data-tip"));
      assert.match(await bar.getAttribute("aria-label"), lang === "en" ? /Overdue · clock started 2021-11-24 00:00 \+08:00/ : /已逾期 · 起算 2021-11-24 00:00 \+08:00/);
      // Times: local with the zone, UTC on hover, no fractional seconds.
      const first = page.locator("#timeline time").first();
      assert.match(await first.textContent(), /^2021-11-24 00:00 \+08:00 \(Asia\/Shanghai\)$/);
      assert.equal(await first.getAttribute("title"), "2021-11-23 16:00:00 UTC");
      const tag = lang === "en" ? "en" : "zh";
      await chart.scrollIntoViewIfNeeded();
      await chart.screenshot({ path: path.join(shots, `12-timeline-${tag}-${width}.png`) });
    }
  }
  await language("en");
  await page.setViewportSize({ width: 1280, height: 900 });
  // How the story stood at the end of December 2021: no break in the axis.
  await page.goto(`${server.url}${href}`);
  await page.fill("#as_of", "2021-12-31");
  await page.locator("form.as-of button").click();
  await page.waitForURL(/as_of=2021-12-31/);
  assert.equal(await page.locator(".timeline-chart rect[fill='url(#tl-gap)']").count(), 0);
  assert.match(await page.locator("table.findings").textContent(), /Overdue|Met late/);
  await shot("12-case-full");
  await page.evaluate(() => window.scrollTo(0, document.querySelector("#clocks-h").offsetTop - 16));
  await shot("12-case", { docsCopy: true, fullPage: false });
  // The interval statistics: axes, values and a legend.
  await page.goto(`${server.url}/stats`);
  const stats = page.locator("section[aria-labelledby=stats-regulator_report]");
  assert.ok(await stats.locator("svg line").count() >= 5, "a day axis");
  assert.match(await stats.locator("svg").textContent(), /2021-Q4/);
  assert.match(await stats.locator("figcaption").textContent(), /Median/);
  await shot("12-stats");
});

test("download the CSAF document", async () => {
  await page.goto(`${server.url}/advisories`);
  await page.getByRole("link", { name: "CVE-2021-44228" }).first().click();
  await page.waitForSelector("#downloads-h");
  await shot("13-advisory");
  // The bulletin opens inside the site, in Chinese, with the way back and print.
  await page.locator("#downloads-h + ul.downloads a[hreflang='zh-CN']").first().click();
  await page.waitForURL(/\/advisories\/CVE-2021-44228\/bulletin\?lang=zh$/);
  assert.match(await page.locator("article.document").textContent(), /安全公告/);
  assert.ok(await page.locator("nav.crumbs a[href='/advisories']").count(), "the way back");
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.top").isVisible(), false, "printed without the site's header");
  await shot("13-bulletin-print");
  await page.emulateMedia({ media: "screen" });
  await page.goBack();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "CSAF 2.0 advisory" }).click(),
  ]);
  const file = await download.path();
  const csaf = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.equal(csaf.document.category, "csaf_security_advisory");
  assert.equal(csaf.vulnerabilities[0].cve, "CVE-2021-44228");
  assert.equal(download.suggestedFilename(), "CVE-2021-44228.csaf.json");
});

test("suspend and restore a unit", async () => {
  await page.goto(`${server.url}/orgs`);
  await page.getByRole("link", { name: /Alibaba Cloud/ }).click();
  await page.waitForSelector("#compliance-h");
  // A suspension decided seven months ago: its six-month term is over.
  const from = new Date(Date.now() - 214 * 24 * 3600 * 1000).toISOString().slice(0, 10);
  await page.selectOption("#kind", "suspension");
  await page.fill("#from", from);
  await page.selectOption("#months", "6");
  await page.fill("#reason", "Did not report the vulnerability to the MIIT platform within 2 days");
  await page.check("#public");
  await page.locator("input[name=findings][value$='::cn-miit-member/member-report-2d']").first().check();
  await page.locator("form[aria-labelledby=suspend-h] button").click();
  await page.waitForSelector(".notice.ok");
  assert.match(await page.locator(".notice.ok").textContent(), /decision was recorded/);
  assert.match(await page.locator("dl.facts").first().textContent(), /awaiting review/);
  await shot("14-suspended");
  // Restoration needs the unit's rectification report first.
  await page.fill("#review", "Rectification reviewed: reporting procedure fixed and staff trained");
  await page.locator("form[aria-labelledby=restore-h] button").click();
  await page.waitForSelector(".notice.error");
  assert.match(await page.locator(".notice.error").textContent(), /rectification report/);
  await page.fill("#report", "Rectification report: every finding is reported to the MIIT platform within 2 days");
  await page.locator("form[aria-labelledby=rectify-h] button").click();
  await page.waitForSelector(".notice.ok");
  await page.fill("#review", "Rectification reviewed: reporting procedure fixed and staff trained");
  await page.locator("form[aria-labelledby=restore-h] button").click();
  await page.waitForSelector(".notice.ok");
  assert.match(await page.locator(".notice.ok").textContent(), /review was recorded/);
  assert.match(await page.locator("dl.facts").first().textContent(), /active/);
  const log = await page.locator("section[aria-labelledby=log-h]").textContent();
  assert.match(log, /Rectification reviewed/);
  assert.match(log, /Rectification report: every finding/);
  assert.match(log, /member-report-2d/);
  await shot("15-restored");
});

test("draft, complete and send an early warning within its 24 h; the finding turns met", async () => {
  const MAKER = "psirt@beispiel-kameras.example";
  if (await page.locator("header .session form button").count()) {
    await signOut();
  }
  await language("en");
  await signIn(MAKER);
  // The dashboard names what the draft still lacks before the deadline.
  const item = page.locator("ul.deadlines li", { hasText: "art14-2-a-early-warning" });
  await item.waitFor();
  // Due within its 24 h: less than a day left.
  assert.match(await item.locator(".countdown").textContent(), /^(\d+ h )?\d+ min \d+ s left$/);
  const draftLink = item.locator("p.draft a");
  assert.equal(await draftLink.textContent(), "draft ready; Member States where the product has been made available missing");
  await draftLink.click();
  await page.waitForURL(/\/cases\/[^/]+\/drafts$/);
  const caseUrl = page.url().replace(/\/drafts$/, "");
  const draft = page.locator("article#eu-cra-2024-art14-2-a-early-warning");
  assert.match(await draft.locator("tr.missing").textContent(), /Member States where the product has been made available/);
  assert.match(await draft.locator("tr.missing").textContent(), /14\(2\)\(a\) \[V\]/);
  await shot("16-drafts", { docsCopy: true });
  // Complete, review, and mark sent with the SRP's reference.
  await draft.locator("textarea[name='field.member_states']").fill("DE, AT, NL");
  await draft.getByLabel("Submission reference").fill("SRP-2026-000123");
  await draft.getByRole("button", { name: "Mark sent" }).click();
  await page.waitForURL(/\/drafts\?sent=/);
  assert.match(await page.locator("p.done").textContent(), /Recorded as sent: eu-cra-2024\/art14-2-a-early-warning/);
  assert.equal(await page.locator("article#eu-cra-2024-art14-2-a-early-warning").count(), 0);
  // The next stage is drafted, in Chinese too.
  await language("zh-CN");
  assert.match(await page.locator("article#eu-cra-2024-art14-2-b-vulnerability-notification").textContent(), /产品的一般信息/);
  await language("en");
  // On the case page the early warning's finding is met.
  await page.goto(caseUrl);
  const row = page.locator("table.findings tr", { hasText: "art14-2-a-early-warning" });
  assert.match(await row.getAttribute("class"), /finding met$/);
  await shot("17-early-warning-met");
});

test("an industry unit uploads its asset inventory on a phone, in Chinese, and reviews it", async () => {
  if (await page.locator("header .session form button").count()) {
    await signOut();
  }
  await signIn("soc@bank.example");
  await language("zh-CN");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/assets`);
  await page.fill("#group", "payments-phone");
  await page.fill("#list", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1\nspring-core 5.3.17");
  await page.locator("form[aria-labelledby=upload-h] button").click();
  await page.waitForURL(/\/assets\/payments-phone\?done=uploaded$/);
  assert.match(await page.locator(".notice.ok").textContent(), /资产清单已上传/);
  assert.match(await page.locator("table.components").textContent(), /log4j-core@2\.14\.1/);
  assert.match(await page.locator("#history-h + ol").textContent(), /第 1 版/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the asset page is ${overflow}px wider than a phone`);
  await shot("18-assets-zh-phone");
  await page.setViewportSize({ width: 1280, height: 900 });
  await language("en");
});

test("no serious accessibility violations (axe-core) on any page, in both languages, at 1280 px and 390 px", async () => {
  const axe = fs.readFileSync(path.join(here, "..", "node_modules", "axe-core", "axe.min.js"), "utf8");
  if (await page.locator("header .session form button").count()) {
    await signOut();
  }
  const anonymous = ["/login", "/advisories", "/advisories/CVE-2021-44228", "/advisories/CVE-2021-44228/manual?lang=zh", "/stats", `/cases/${cases.log4shell}`, "/no/such/page"];
  const signedIn = ["/dashboard", "/reports/new", "/warnings", "/receipts", "/assets", "/account", "/orgs", "/orgs/alibaba-cloud", `/cases/${cases.log4shell}`, `/cases/${cases.log4shell}/drafts`];
  const found = [];
  async function check(where) {
    // Evaluated through the browser's debugging protocol: the site's CSP stays on.
    await page.evaluate(axe);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    for (const v of result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
      found.push(`${where}: ${v.id} (${v.impact}) ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
    }
  }
  for (const lang of ["en", "zh-CN"]) {
    await page.goto(`${server.url}/login`);
    await language(lang);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const p of anonymous) {
        await page.goto(`${server.url}${p}`);
        await check(`${lang} ${width} ${p} (signed out)`);
      }
    }
    await signIn(ANALYST);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const p of signedIn) {
        await page.goto(`${server.url}${p}`);
        await check(`${lang} ${width} ${p}`);
      }
    }
    await signOut();
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(found, []);
});

// ---- issue 22, finishing: bilingual names, the report form in one round with its files
// kept, one publication time, problems beside the fields of every form ----

/** The page's visible text without the notes people wrote on events (their own words). */
async function textWithoutNotes() {
  return page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll("p.note").forEach((n) => n.remove());
    return copy.textContent;
  });
}

test("organisations are named in the page's language: Chinese names in zh, English in en, at 1280 px and 390 px", async () => {
  if (await page.locator("header .session form button").count()) {
    await signOut();
  }
  await signIn(ANALYST);
  const names = {
    "zh-CN": { shown: ["阿里云安全团队", "工业和信息化部网络安全威胁和漏洞信息共享平台", "国家信息安全漏洞共享平台"], hidden: ["Alibaba Cloud Security Team", "MIIT threat and vulnerability sharing platform"] },
    en: { shown: ["Alibaba Cloud Security Team", "MIIT threat and vulnerability sharing platform (NVDB)", "CNVD (CNCERT/CC)"], hidden: ["阿里云安全团队", "工业和信息化部网络安全威胁和漏洞信息共享平台"] },
  };
  for (const lang of ["zh-CN", "en"]) {
    await language(lang);
    const tag = lang === "en" ? "en" : "zh";
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
      await page.goto(`${server.url}/cases/${cases.log4shell}`);
      const text = await textWithoutNotes();
      for (const name of names[lang].shown) {
        assert.ok(text.includes(name), `${lang} case page names ${name}`);
      }
      for (const name of names[lang].hidden) {
        assert.ok(!text.includes(name), `${lang} case page shows ${name}`);
      }
      // The timeline chart's markers name the organisations the same way.
      const tips = (await page.locator(".timeline-chart g.ev").evaluateAll((els) => els.map((e) => e.getAttribute("data-tip")))).join(" ");
      assert.ok(tips.includes(names[lang].shown[0]), `${lang} chart names ${names[lang].shown[0]}`);
      await page.goto(`${server.url}/orgs/alibaba-cloud`);
      assert.equal((await page.locator("h1").textContent()).trim(), names[lang].shown[0]);
      await shot(`30-org-names-${tag}-${width}`, { fullPage: false });
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  // The chart alone, for the README: the story in Chinese, as the ministry's analyst sees it.
  await language("zh-CN");
  await page.goto(`${server.url}/cases/${cases.log4shell}?as_of=2021-12-31`);
  const chart = page.locator(".timeline-chart");
  await chart.scrollIntoViewIfNeeded();
  fs.mkdirSync(docs, { recursive: true });
  await chart.screenshot({ path: path.join(docs, "timeline.png") });
  await signOut();
});

test("the report form lists every problem at once beside its field and keeps the chosen files, in both languages", async () => {
  await signIn(REPORTER);
  const words = {
    "zh-CN": { required: /此项必填/, cvss: /CVSS/, keep: /保留 Poc\.java/ },
    en: { required: /required/i, cvss: /CVSS/, keep: /Keep Poc\.java/ },
  };
  const files = [
    { name: "README.txt", mimeType: "text/plain", buffer: Buffer.from("see the PoC") },
  ];
  for (const lang of ["zh-CN", "en"]) {
    await language(lang);
    const tag = lang === "en" ? "en" : "zh";
    await page.setViewportSize(lang === "en" ? { width: 390, height: 844 } : { width: 1280, height: 900 });
    await page.goto(`${server.url}/reports/new`);
    await page.fill("#product_name", "Apache Log4j2");
    await page.fill("#purl", "maven:log4j-core");
    await page.fill("#cvss_vector", "CVSS:9.9/XX:Y");
    await page.setInputFiles("#attachments", files);
    await page.setInputFiles("#exploit", [{ name: "Poc.java", mimeType: "text/x-java", buffer: Buffer.from("class Poc {}") }]);
    await page.locator("form.report > button[type=submit]").click();
    await page.waitForSelector(".field.invalid");
    // The form's own problems and the intake's, all in this round, each beside its field.
    assert.match(await page.locator("#harm-problem").textContent(), words[lang].required);
    assert.match(await page.locator("#product_model-problem").textContent(), words[lang].required);
    assert.ok(await page.locator("#purl-problem").count(), "the package URL's problem");
    assert.ok(await page.locator("#cvss_vector-problem").count(), "the CVSS vector's problem");
    assert.equal(await page.locator("#purl").getAttribute("aria-invalid"), "true");
    const summary = await page.locator(".notice.error, [role=alert]").first().textContent();
    assert.ok(!summary.includes("$."), "fields named in words, not JSON paths");
    // Both files are kept, ticked; the README is left out by unticking it.
    const kept = page.locator("ul.kept-files li");
    assert.equal(await kept.count(), 2);
    assert.match(await kept.nth(1).textContent(), words[lang].keep);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the form is ${overflow}px wider than the window`);
    await shot(`31-report-all-problems-${tag}`);
    await kept.nth(0).locator("input[type=checkbox]").uncheck();
    await page.fill("#product_model", "log4j-core");
    await page.fill("#affected_versions", "2.14.1");
    await page.fill("#technical_characteristics", "JNDI lookup");
    await page.fill("#harm", "RCE");
    await page.fill("#scope_of_impact", "Java applications");
    await page.fill("#purl", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
    await page.fill("#cvss_vector", "");
    await page.fill("#discovered_at", "2021-11-24T10:00");
    await page.locator("form.report > button[type=submit]").click();
    await page.waitForURL(/\/receipts\//);
    await shot(`31-report-receipt-${tag}`);
    cases.keptFiles = await page.locator("main a[href^='/cases/']").first().getAttribute("href");
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await signOut();
  // The analyst sees the kept exploit file, not the one left out, and the package URL.
  await signIn(ANALYST);
  await language("en");
  await page.goto(`${server.url}${cases.keptFiles}`);
  const attachments = await page.locator("section[aria-labelledby=attachments-h]").textContent();
  assert.match(attachments, /Poc\.java/);
  assert.doesNotMatch(attachments, /README\.txt/);
  assert.match(await page.content(), /pkg:maven\/org\.apache\.logging\.log4j\/log4j-core@2\.14\.1/);
  await signOut();
});

test("one publication time for the advisory: case page, dashboard, bulletin, record, CSAF, OSV and feed, at 1280 px and 390 px", async () => {
  await signIn(ANALYST);
  const api = async (p) => (await page.request.get(`${server.url}${p}`)).json();
  const list = await api("/api/v1/advisories");
  const published = Date.parse(list.advisories[0].published);
  const csaf = await api("/api/v1/advisories/CVE-2021-44228.csaf.json");
  const osv = await api("/api/v1/vulnerabilities/CVE-2021-44228.osv.json");
  const feed = await (await page.request.get(`${server.url}/advisories/feed.atom`)).text();
  const seen = {
    "CSAF initial_release_date": csaf.document.tracking.initial_release_date,
    "OSV published": osv.published,
    feed: feed.split("<published>")[1].split("<")[0],
  };
  for (const lang of ["en", "zh-CN"]) {
    await language(lang);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
      const where = `${lang} ${width}`;
      await page.goto(`${server.url}/cases/${cases.log4shell}`);
      seen[`${where} case page`] = await page.locator("dd.published time").getAttribute("datetime");
      await page.goto(`${server.url}/dashboard`);
      seen[`${where} dashboard`] = await page.locator(".published time").first().getAttribute("datetime");
      await page.goto(`${server.url}/advisories/CVE-2021-44228/bulletin`);
      seen[`${where} bulletin`] = await page.locator("p.published time").getAttribute("datetime");
      // Local time with its zone shown, UTC on hover, through the one formatter.
      assert.match(await page.locator("p.published time").getAttribute("title"), / UTC$/);
      await shot(`32-published-bulletin-${lang === "en" ? "en" : "zh"}-${width}`, { fullPage: false });
      await page.goto(`${server.url}/advisories/CVE-2021-44228`);
      seen[`${where} record page`] = await page.locator("dd.published time").getAttribute("datetime");
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const differing = Object.entries(seen).filter(([, at]) => Date.parse(at) !== published);
  assert.deepEqual(differing, [], `published ${list.advisories[0].published}`);
  await signOut();
});

test("an industry unit's asset status shows its problem beside the field, in words, in both languages", async () => {
  await signIn("soc@bank.example");
  for (const lang of ["en", "zh-CN"]) {
    await language(lang);
    await page.setViewportSize(lang === "en" ? { width: 1280, height: 900 } : { width: 390, height: 844 });
    await page.goto(`${server.url}/warnings`);
    const form = page.locator("form[action*='/assets/']").first();
    const status = form.locator("select[name=status]");
    const id = await status.getAttribute("id");
    const base = id.slice(0, -"-status".length);
    // Not affected with no justification: the server refuses it; the page says why
    // beside the justification, and keeps what was chosen and typed.
    await status.selectOption("not_affected");
    await form.locator("input[name=detail]").fill("Log4j is not on the classpath");
    await form.locator("button[type=submit]").click();
    await page.waitForSelector(`#${base}-justification-problem`);
    assert.match(
      await page.locator(`#${base}-justification-problem`).textContent(),
      lang === "en" ? /needs a justification/ : /需要说明理由/,
    );
    assert.equal(await page.locator(`#${base}-justification`).getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator(`#${base}-status`).inputValue(), "not_affected");
    assert.equal(await page.locator(`#${base}-detail`).inputValue(), "Log4j is not on the classpath");
    const text = await page.locator("main").textContent();
    assert.ok(!text.includes("$."), "no JSON path");
    assert.ok(!text.includes("VEX justification"), "the API's English words are not shown");
    await page.locator(`#${base}-justification-problem`).scrollIntoViewIfNeeded();
    await shot(`34-warning-status-problem-${lang === "en" ? "en" : "zh"}`, { fullPage: false });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await signOut();
});

test("the sanction and review forms show each problem beside its field, named in words, in both languages", async () => {
  await signIn(ANALYST);
  for (const lang of ["zh-CN", "en"]) {
    await language(lang);
    const tag = lang === "en" ? "en" : "zh";
    await page.setViewportSize(lang === "en" ? { width: 390, height: 844 } : { width: 1280, height: 900 });
    await page.goto(`${server.url}/orgs/alibaba-cloud`);
    // A reason of blanks passes the browser's own check; the server's finds it empty.
    await page.fill("#reason", "   ");
    await page.fill("#individual", "Chen");
    await page.locator("form[aria-labelledby=suspend-h] button[type=submit]").click();
    await page.waitForSelector("#reason-problem");
    assert.match(await page.locator("#reason-problem").textContent(), lang === "en" ? /required/i : /此项必填/);
    assert.equal(await page.locator("#reason").getAttribute("aria-invalid"), "true");
    assert.match(await page.locator("#reason").getAttribute("aria-describedby"), /reason-problem/);
    assert.equal(await page.locator("#individual").inputValue(), "Chen", "what was typed stays");
    const text = await page.locator("main").textContent();
    assert.ok(!text.includes("$."), "no JSON path");
    await page.locator("#reason-problem").scrollIntoViewIfNeeded();
    await shot(`33-sanction-problems-${tag}`, { fullPage: false });
    await page.fill("#review", "   ");
    await page.locator("form[aria-labelledby=restore-h] button[type=submit]").click();
    await page.waitForSelector("#review-problem");
    assert.match(await page.locator("#review-problem").textContent(), lang === "en" ? /required/i : /此项必填/);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  // No script error on any page (the refusals' HTTP statuses aside, which are the point).
  assert.deepEqual(consoleErrors.filter((e) => !/^Failed to load resource: the server responded with a status of 4\d\d/.test(e)), []);
  await signOut();
});
