import * as require_fs from "node:fs";
import { chromium } from "playwright-core";
import { startDemo } from "./tests/server.js";
const server = await startDemo();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
for (const [w, lang] of [[1280, "en"], [390, "zh-CN"]]) {
  const context = await browser.newContext({ viewport: { width: w, height: 900 }, locale: lang });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.fill("#email", "analyst@nvdb.miit.example").catch(()=>{});
  await page.getByLabel(/E-mail address|电子邮箱/).fill("analyst@nvdb.miit.example");
  await page.getByLabel(/^Password|^密码/).fill(server.accounts["analyst@nvdb.miit.example"]);
  await page.locator("form.narrow button[type=submit]").click();
  await page.waitForURL(/\/dashboard$/);
  await page.goto(`${server.url}/lang/${lang}?next=/dashboard`);
  const href = await page.locator("a[href^='/cases/']", { hasText: "Log4Shell" }).first().getAttribute("href");
  await page.goto(`${server.url}${href}`);
  const el = page.locator("section[aria-labelledby=clocks-h]");
  await el.screenshot({ path: `/tmp/uiv2/case-${w}.png` }); require_fs.writeFileSync(`/tmp/uiv2/case-${w}.html`, await page.content());
  console.log(w, await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]));
  if (w < 500) console.log(await page.evaluate(() => [...document.querySelectorAll(".chart-scroll, .timeline-chart, section, main, .scroll, table")].filter(e => e.scrollWidth > 400 || e.getBoundingClientRect().width > 400).map(e => e.tagName + "." + e.getAttribute("class") + e.getAttribute("aria-labelledby") + " " + Math.round(e.getBoundingClientRect().width) + "/" + e.scrollWidth)));
  await page.goto(`${server.url}/stats`);
  await page.locator("main").screenshot({ path: `/tmp/uiv2/stats-${w}.png` });
}
await browser.close(); await server.stop();
