// The coordination board in a real browser (issue 20): Debian's chromium driven by
// playwright-core against its own `vulnrelay demo` server. On the Log4Shell case the
// MIIT platform's analyst adds a downstream vendor by hand and one proposed from a
// vendor's registered product inventory; that vendor records a `not_affected` status
// with its VEX justification and a private note; another vendor sees neither its row
// nor its note, the platform sees both. In both languages, at 1280 px and 390 px; each
// step saves a screenshot in ui-tests/screenshots/coordination-*.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startDemo } from "./server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, "..", "screenshots");

const ANALYST = "analyst@nvdb.miit.example";
const ERP = "psirt@erp-vendor.example";
const GATEWAY = "psirt@gateway-vendor.example";
const NOTE = "ERP-PRIVATE: the mobile app's customers are listed in ticket 4711";

let server;
let browser;
let page;
let board;

async function shot(name) {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `coordination-${name}.png`), fullPage: true });
}

async function language(lang) {
  const link = page.locator(`.langs a[hreflang="${lang}"]`);
  if (await link.count()) {
    await link.click();
  }
  await page.waitForSelector(`html[lang="${lang}"]`);
}

async function signIn(email) {
  if (await page.locator("header .session form button").count()) {
    await page.locator("header .session form button").click();
    await page.waitForURL(/\/login$/);
  }
  await page.goto(`${server.url}/login`);
  await page.getByLabel(/E-mail address|电子邮箱/).fill(email);
  await page.getByLabel(/^Password|^密码/).fill(server.accounts[email]);
  await page.locator("form.narrow button[type=submit]").click();
  await page.waitForURL(/\/dashboard$/);
}

/** At 390 px the page must not be wider than the phone (the matrix scrolls in its box). */
async function fitsPhone(what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${what} is ${overflow}px wider than a phone`);
}

before(async () => {
  server = await startDemo();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-GB" });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a vendor registers its product inventory", async () => {
  await signIn(ERP);
  await language("en");
  await page.goto(`${server.url}/assets`);
  await page.fill("#group", "Example ERP Mobile");
  await page.fill("#list", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
  await page.locator("form[aria-labelledby=upload-h] button").click();
  await page.waitForURL(/\?done=uploaded$/);
  assert.match(await page.locator("table.components").textContent(), /log4j-core@2\.14\.1/);
});

test("the platform adds a vendor by hand and one from the inventories, in English at 1280 px", async () => {
  await signIn(ANALYST);
  await language("en");
  const href = await page.locator("section[aria-labelledby=cases-h] a", { hasText: "Log4Shell" }).first().getAttribute("href");
  board = `/cases/${href.split("/").pop()}/coordination`;
  await page.goto(`${server.url}${board}`);
  assert.match(await page.locator("h1").textContent(), /Coordination of vendors/);
  // By hand: Apache's own Solr bundles log4j-core.
  await page.fill("#add-org", "apache");
  await page.fill("#add-product", "Apache Solr");
  await page.fill("#add-version", "8.11.0");
  await page.fill("#add-message", "Solr 8 bundles log4j-core; please give your status.");
  await page.locator("form[action$='/coordination/participants'] button", { hasText: "Add and notify" }).click();
  await page.waitForURL(/done=added/);
  assert.match(await page.locator(".notice.ok").textContent(), /added and notified/);
  assert.match(await page.locator("table.board").textContent(), /Apache Solr 8\.11\.0/);
  // From the inventories: the ERP vendor's new group is proposed; one click adds it.
  const proposal = page.locator("ul.proposals li", { hasText: "Example ERP Mobile" });
  assert.match(await proposal.textContent(), /CVE-2021-44228/);
  await proposal.locator("button").click();
  await page.waitForURL(/done=added/);
  assert.match(await page.locator("table.board").textContent(), /Example ERP Mobile/);
  assert.match(
    await page.locator("ul.proposals li", { hasText: "Example ERP Mobile" }).textContent(),
    /already on the case|on the case/,
  );
  await shot("01-added-en-1280");
});

test("the vendor records not_affected with its VEX justification and a private note, in Chinese at 390 px", async () => {
  await signIn(ERP);
  await language("zh-CN");
  await page.setViewportSize({ width: 390, height: 844 });
  // First without a justification, in both languages: the problem beside the field, in
  // words, what was typed kept.
  for (const lang of ["en", "zh-CN"]) {
    await language(lang);
    await page.goto(`${server.url}${board}`);
    await page.selectOption("#st-product", { label: "Example ERP Mobile" });
    await page.selectOption("#st-vuln", "CVE-2021-44228");
    await page.selectOption("#st-status", "not_affected");
    await page.fill("#st-statement", "The mobile app never logs user input.");
    await page.locator("form[action$='/coordination/status'] button").click();
    await page.waitForSelector("#st-justification-problem");
    assert.match(
      await page.locator("#st-justification-problem").textContent(),
      lang === "en" ? /needs a justification/ : /需要说明理由/,
    );
    assert.equal(await page.locator("#st-justification").getAttribute("aria-invalid"), "true");
    assert.match(await page.locator("#st-justification").getAttribute("aria-describedby"), /st-justification-problem/);
    assert.equal(await page.locator("#st-status").inputValue(), "not_affected", "the chosen status stays");
    assert.equal(await page.locator("#st-statement").inputValue(), "The mobile app never logs user input.");
    const text = await page.locator("main").textContent();
    assert.ok(!text.includes("$."), "no JSON path");
    assert.ok(!text.includes("VEX justification"), "the API's English words are not shown");
    await shot(`02-status-problem-${lang === "en" ? "en" : "zh"}-390`);
  }
  await page.selectOption("#st-justification", "vulnerable_code_not_in_execute_path");
  await page.fill("#st-statement", "The mobile app never logs user input.");
  await page.fill("#st-note", NOTE);
  await page.locator("form[action$='/coordination/status'] button").click();
  await page.waitForURL(/done=/);
  const row = page.locator("table.board tr", { hasText: "Example ERP Mobile" });
  assert.match(await row.locator("td.vendor-status.not_affected").first().textContent(), /\S/);
  // The vendor sees its own note; the page is in Chinese and fits the phone.
  assert.ok((await page.content()).includes(NOTE));
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  await fitsPhone("the vendor's board");
  await shot("02-status-zh-390");
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("another vendor sees neither the ERP vendor's row nor its private note, in both languages", async () => {
  await signIn(GATEWAY);
  for (const lang of ["en", "zh-CN"]) {
    await language(lang);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.goto(`${server.url}${board}`);
      const html = await page.content();
      assert.ok(!html.includes(NOTE), "another vendor's private note is shown");
      assert.ok(!html.includes("Example ERP Mobile"), "another vendor's row is shown");
      // Its own row, with the form to give its status.
      assert.equal(await page.locator("table.board tbody th[scope=row]").count() > 0, true);
      assert.equal(await page.locator("#st-status").count(), 1);
      if (width === 390) {
        await fitsPhone(`the other vendor's board (${lang})`);
      }
      await shot(`03-other-vendor-${lang}-${width}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("the platform sees every status with its justification and the private note, in both languages", async () => {
  await signIn(ANALYST);
  for (const lang of ["en", "zh-CN"]) {
    await language(lang);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.goto(`${server.url}${board}`);
      const row = page.locator("table.board tr", { hasText: "Example ERP Mobile" });
      const cell = row.locator("td.vendor-status.not_affected").first();
      const words = lang === "en" ? /Vulnerable code not in execute path|not in execute path/i : /执行路径/;
      assert.match(await cell.textContent(), words);
      assert.ok((await cell.textContent()).includes(NOTE));
      if (width === 390) {
        await fitsPhone(`the platform's board (${lang})`);
      }
      await shot(`04-platform-${lang}-${width}`);
    }
  }
});
