// Browser test: Playwright (playwright-core) drives Debian's Chromium
// against a real jinmyaku server (the ASan+UBSan build by default) on a free
// loopback port with a temporary data directory.
//
//   cd tests/e2e && npm ci && node --test --test-reporter=tap run.mjs
//
// JINMYAKU_BIN overrides the binary (default ../../build-asan/jinmyaku).
// Screenshots go to tests/e2e/out/. The server is stopped with SIGTERM at
// the end; it must exit 0 without a sanitizer report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchChromium, newPage, outDir, runCli, startSite, stopSite } from './lib.mjs';

const site = {};
const cli = (args, input) => runCli(site.dataDir, args, input);
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-人脈';
const TITLE = '人脈づくりの第一歩';
const HEADING = '読者が集まる場所をつくる';
const BODY = [
  '人脈は、名刺の枚数ではなく、互いに関心を持ち合える関係の数で決まります。',
  '',
  `## ${HEADING}`,
  '',
  'ひとつの分野で役に立つ情報を出し続けると、同じ関心を持つ人が自然に集まってきます。',
  'メールマガジンを用意しておけば、関心を持ってくれた読者といつでも連絡が取れます。',
  '',
  '- 毎週ひとつ、役に立つ記事を書く',
  '- 読者からの情報提供を歓迎する',
  '- 一年ごとに付き合う人の顔ぶれを見直す',
  '',
  '知り合いと人脈を区別し、与え合える関係を大切にしましょう。',
].join('\n');

let browser, page, articleUrl;


before(async () => {
  await startSite(site, { email: EMAIL, password: PASSWORD });
  browser = await launchChromium();
  page = await newPage(browser);
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

const base = () => site.base;

test('owner signs in to the admin', async () => {
  await page.goto(`${base()}/admin/login`);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/admin\/?$/), page.click('#login-submit')]);
  assert.ok(await page.locator('svg').count() > 0, 'dashboard shows a chart');
});

test('writes a Japanese article, previews it and publishes it', async () => {
  await page.goto(`${base()}/admin/articles/new`);
  await page.fill('#title', TITLE);
  await page.fill('#tags', '人脈, 出版');
  await page.fill('#body', BODY);
  await page.click('#btn-preview');
  // The preview is a sandboxed frame of its own (issue 8, defect 8).
  const heading = page.frameLocator('#preview').locator('h2');
  await heading.waitFor();
  assert.equal((await heading.textContent()).trim(), HEADING);
  assert.equal(await page.frameLocator('#preview').locator('li').count(), 3);
  // The no-JS preview re-renders the form: what was typed must survive.
  assert.equal(await page.inputValue('#title'), TITLE);
  await page.screenshot({ path: path.join(outDir, 'admin-editor.png'), fullPage: true });

  await Promise.all([page.waitForURL(/\/admin\/articles\/\d+\?saved=/), page.click('#btn-publish')]);
  assert.equal(await page.inputValue('#title'), TITLE);
  const link = page.locator('#view-public');
  assert.equal(await link.count(), 1, 'a published article links to its public page');
  articleUrl = new URL(await link.getAttribute('href'), base()).href;
  assert.ok(articleUrl.startsWith(`${base()}/articles/`), articleUrl);
});

test('the article is on the public site', async () => {
  assert.ok(articleUrl, 'publishing gave a public URL');
  const resp = await page.goto(articleUrl);
  assert.equal(resp.status(), 200);
  assert.equal((await page.locator('h1').first().textContent()).trim(), TITLE);
  assert.equal((await page.locator('article h2, main h2').first().textContent()).trim(), HEADING);
  const text = await page.locator('body').innerText();
  assert.ok(text.includes('一年ごとに付き合う人の顔ぶれを見直す'), 'list item rendered');
  assert.ok(text.includes('出版'), 'tag shown');
  assert.equal(await page.locator('#newsletter-signup').count(), 1);
  assert.ok((await page.title()).includes(TITLE));
  await page.screenshot({ path: path.join(outDir, 'article.png'), fullPage: true });

  await page.goto(`${base()}/`);
  assert.ok((await page.locator('body').innerText()).includes(TITLE), 'home lists the article');
});

test('the dashboard renders', async () => {
  const resp = await page.goto(`${base()}/admin/`);
  assert.equal(resp.status(), 200);
  assert.ok(await page.locator('#chart svg').count() === 1, 'chart is an inline SVG');
  assert.equal((await page.locator('#stat-published').textContent()).trim(), '1');
  await page.screenshot({ path: path.join(outDir, 'admin-dashboard.png'), fullPage: true });
});
