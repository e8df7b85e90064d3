// Browser test for issue 8, defect 8: with allow_raw_html on, an editor's
// article holding <img src=x onerror=…> must not run in the owner's editor
// preview (it used to, with the owner's session: it could create an owner
// API token). Three layers are checked in real Chromium: the editor's raw
// HTML is stored untrusted and rendered in safe mode; even the owner's own
// raw HTML is previewed in a sandboxed frame where no script runs; and the
// admin's CSP refuses inline script, so nothing reaches the owner's rights.
//
//   cd tests/e2e && npm ci && node --test raw_html.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { launchChromium, newPage, runCli, startSite, stopSite } from './lib.mjs';

const site = {};
const OWNER = 'owner@example.com';
const OWNER_PW = 'e2e-owner-password';
const EDITOR = 'editor@example.com';
const EDITOR_PW = 'e2e-editor-password';
// What an attacker would write: mark the page, then mint a token with the
// session of whoever previews it.
const PAYLOAD = [
  '本文です。',
  '',
  '<img src="x" id="evil" onerror="try{window.top.document.title=\'pwned\'}catch(e){};' +
    'document.title=\'pwned\';' +
    'fetch(\'/admin/tokens\',{method:\'POST\',credentials:\'include\',' +
    'body:new URLSearchParams({_csrf:(window.top.document.querySelector(\'input[name=_csrf]\')||{}).value,name:\'stolen\'})})">',
  '',
].join('\n');

let browser;

function sql(query) {
  const r = spawnSync('/usr/bin/python3', ['-c',
    'import sqlite3,sys;c=sqlite3.connect(sys.argv[1]);r=c.execute(sys.argv[2]).fetchall();c.commit();print(r[0][0] if r else "")',
    path.join(site.dataDir, 'jinmyaku.db'), query], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

async function signIn(email, password) {
  const page = await newPage(browser, { acceptDialogs: true });
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy|sandbox/i.test(m.text())) violations.push(m.text()); });
  page.violations = violations;
  await page.goto(`${site.base}/admin/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/admin\/?$/), page.click('#login-submit')]);
  return page;
}

// Waits until the preview frame holds a rendered document.
async function previewFrame(page) {
  const frame = page.frameLocator('#preview');
  await frame.locator('article.prose').waitFor();
  return frame;
}

before(async () => {
  await startSite(site, { name: 'rawhtml', email: OWNER, password: OWNER_PW });
  runCli(site.dataDir, ['user', 'add', '--email', EDITOR, '--role', 'editor', '--name', '編集者'],
    `${EDITOR_PW}\n`);
  sql("INSERT INTO settings(key, value) VALUES ('allow_raw_html', '1') " +
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

let articleId;

test("an editor's raw-HTML article is stored and previewed in safe mode", async () => {
  const page = await signIn(EDITOR, EDITOR_PW);
  await page.goto(`${site.base}/admin/articles/new`);
  await page.fill('#title', '編集者の記事');
  await page.fill('#body', PAYLOAD);
  await page.click('#btn-preview');
  const frame = await previewFrame(page);
  assert.equal(await frame.locator('#evil').count(), 0, "the editor's raw HTML is escaped");
  await Promise.all([page.waitForURL(/\/admin\/articles\/\d+\?saved=/), page.click('#btn-draft')]);
  articleId = page.url().match(/articles\/(\d+)/)[1];
  assert.equal(sql(`SELECT html_trusted FROM articles WHERE id = ${articleId}`), '0');
  await page.context().close();
});

test("the owner's preview of the editor's article runs none of it", async () => {
  const page = await signIn(OWNER, OWNER_PW);
  const title = await page.title();
  await page.goto(`${site.base}/admin/articles/${articleId}`);
  const frame = await previewFrame(page);
  // As stored (and as the site shows it): the editor's HTML is escaped.
  assert.equal(await frame.locator('#evil').count(), 0);
  // Re-rendered with the owner's rights it is raw, but in a sandboxed frame.
  await page.click('#btn-preview');
  await frame.locator('#evil').waitFor({ state: 'attached' });
  await page.waitForTimeout(1000); // give an onerror every chance to fire
  assert.notEqual(await page.title(), 'pwned');
  assert.ok(!(await page.title()).includes('pwned'), title);
  assert.equal(sql("SELECT count(*) FROM api_tokens WHERE name = 'stolen'"), '0',
    'no token was created');
  await page.context().close();
});

test("even the owner's own raw HTML runs no script in the preview", async () => {
  const page = await signIn(OWNER, OWNER_PW);
  await page.goto(`${site.base}/admin/articles/new`);
  await page.fill('#title', 'オーナーの記事');
  await page.fill('#body', PAYLOAD);
  await page.click('#btn-preview');
  const frame = await previewFrame(page);
  await frame.locator('#evil').waitFor({ state: 'attached' }); // raw HTML is the owner's right
  await page.waitForTimeout(1000);
  assert.ok(!(await page.title()).includes('pwned'), 'the sandboxed frame ran no script');
  assert.equal(await frame.locator('html').evaluate(() => document.title).catch(() => ''), '');
  // The no-JS path (a full form post) renders the same sandboxed frame.
  await page.evaluate(() => {
    const f = document.getElementById('editor-form');
    const i = document.createElement('input');
    i.type = 'hidden'; i.name = 'preview'; i.value = '1';
    f.appendChild(i);
    f.submit();
  });
  await page.waitForLoadState('load');
  const again = await previewFrame(page);
  await again.locator('#evil').waitFor({ state: 'attached' });
  await page.waitForTimeout(1000);
  assert.ok(!(await page.title()).includes('pwned'));
  assert.equal(sql("SELECT count(*) FROM api_tokens WHERE name = 'stolen'"), '0');
  await page.context().close();
});

test('the admin refuses inline script outright (CSP)', async () => {
  const page = await signIn(OWNER, OWNER_PW);
  await page.goto(`${site.base}/admin/articles`);
  const ran = await page.evaluate(() => new Promise((resolve) => {
    window.__ran = false;
    document.addEventListener('securitypolicyviolation', () => resolve('blocked'), { once: true });
    const img = document.createElement('img');
    img.setAttribute('onerror', 'window.__ran = true');
    img.src = 'data:,x';
    document.body.appendChild(img);
    setTimeout(() => resolve(window.__ran ? 'ran' : 'blocked'), 2000);
  }));
  assert.equal(ran, 'blocked');
  await page.context().close();
});
