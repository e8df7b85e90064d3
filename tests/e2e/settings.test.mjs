// Browser test of the settings page's errors (issue 10, "settings in tabs
// with each error beside its field"): a save with three bad fields in three
// tabs shows every error beside its own field and lists them in the banner,
// keeps what was typed, marks each tab holding an error, opens the first
// one with its field focused, and a banner link opens the tab of its field.
//
//   cd tests/e2e && node --test settings.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchChromium, newPage, outDir, startSite, stopSite } from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-settings-人脈';
let browser, page;

before(async () => {
  await startSite(site, { email: EMAIL, password: PASSWORD });
  browser = await launchChromium();
  page = await newPage(browser);
  await page.goto(`${site.base}/admin/login`);
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/admin\/?$/), page.click('#login-submit')]);
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

// Fills a field that may sit in a hidden tab: open its tab first.
async function fillIn(tab, id, value) {
  await page.click(`#tab-${tab}`);
  await page.fill(`#${id}`, value);
}

test('every settings error stands beside its field, in every tab', async () => {
  await page.goto(`${site.base}/admin/settings`);
  await fillIn('site', 'set-title', '入力したままのタイトル');
  await fillIn('site', 'set-base_url', 'ftp://example.jp');
  await fillIn('mail', 'set-mail_from_addr', 'news＠example.jp');
  await fillIn('advanced', 'set-per_page', '0');
  await Promise.all([page.waitForLoadState('load'), page.click('#settings-save')]);

  const errs = await page.$$eval('p.field-error', (ps) => ps.map((p) => p.id).sort());
  assert.deepEqual(errs, ['set-base_url-error', 'set-mail_from_addr-error', 'set-per_page-error']);
  const items = await page.$$eval('#form-errors a', (as) => as.map((a) => a.getAttribute('href')));
  assert.equal(items.length, 3);
  // What was typed is kept.
  assert.equal(await page.inputValue('#set-title'), '入力したままのタイトル');
  assert.equal(await page.inputValue('#set-mail_from_addr'), 'news＠example.jp');
  // Each tab holding an error is marked; the first opens with its field focused.
  const marked = await page.$$eval('#settings-tabs a.tab-error', (as) => as.map((a) => a.id).sort());
  assert.deepEqual(marked, ['tab-advanced', 'tab-mail', 'tab-site']);
  assert.equal(await page.isVisible('#set-base_url'), true);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'set-base_url');
  assert.equal(await page.isVisible('#set-per_page'), false);
  await page.screenshot({ path: path.join(outDir, 'admin-settings-errors.png'), fullPage: true });
  // A banner link opens its field's tab and puts the cursor there.
  await page.click('#form-errors a[href="#set-per_page"]');
  assert.equal(await page.isVisible('#set-per_page'), true);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'set-per_page');
  assert.equal(await page.inputValue('#set-per_page'), '0');
});
