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
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANITIZER, bin, freePort, launchChromium, runCli, sanitizerEnv } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const cli = (args, input) => runCli(dataDir, args, input);
const outDir = path.join(here, 'out');
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

let server, port, dataDir, errPath, browser, page, articleUrl;




async function waitHealthy(deadlineMs) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (server.exitCode !== null) break;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`jinmyaku did not become healthy:\n${fs.readFileSync(errPath, 'utf8').slice(-4000)}`);
}

function stopServer() {
  return new Promise((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null)
      return resolve({ code: server.exitCode, signal: server.signalCode });
    const timer = setTimeout(() => server.kill('SIGKILL'), 30000);
    server.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal }); });
    server.kill('SIGTERM');
  });
}

before(async () => {
  assert.ok(fs.existsSync(bin), `no jinmyaku binary at ${bin} (make asan, or set JINMYAKU_BIN)`);
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jm-e2e-'));
  dataDir = path.join(tmp, 'data');
  errPath = path.join(outDir, 'server.stderr');
  port = await freePort();
  const err = fs.openSync(errPath, 'w');
  server = spawn(bin, ['serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`],
    { env: sanitizerEnv(), cwd: root, stdio: ['ignore', 'ignore', err] });
  fs.closeSync(err);
  await waitHealthy(60000);
  cli(['user', 'add', '--email', EMAIL, '--role', 'owner', '--name', 'オーナー'], `${PASSWORD}\n`);
  browser = await launchChromium();
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(30000);
  page = await context.newPage();
});

after(async () => {
  if (browser) await browser.close();
  if (!server) return;
  const { code, signal } = await stopServer();
  const stderr = fs.readFileSync(errPath, 'utf8');
  assert.equal(SANITIZER.test(stderr), false, `sanitizer report in jinmyaku's stderr:\n${stderr.slice(-20000)}`);
  assert.equal(code, 0, `jinmyaku exited ${code} (signal ${signal}) after SIGTERM:\n${stderr.slice(-4000)}`);
});

const base = () => `http://127.0.0.1:${port}`;

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
  const heading = page.locator('#preview h2');
  await heading.waitFor();
  assert.equal((await heading.textContent()).trim(), HEADING);
  assert.equal(await page.locator('#preview li').count(), 3);
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
