// Browser tests for the editor's safety nets (issue 10): a draft autosaves
// (「保存しました HH:MM」, the new article gets its URL, it stays a draft);
// leaving with unsaved changes asks first (beforeunload), and not after a
// successful save; the Markdown toolbar (heading, bold, link, list, image)
// works on the selection, by mouse and by keyboard, in the article and the
// broadcast editors.
//
//   cd tests/e2e && npm ci && node --test editor.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchChromium, newPage, outDir, runCli, startSite, stopSite, until } from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-editor-人脈';
let browser, page, token;

async function api(method, p, body) {
  const r = await fetch(`${site.base}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, json: r.status === 204 ? null : await r.json() };
}

// Opens a signed-in page of its own (its dialogs are the test's to handle).
async function signedIn() {
  const p = await newPage(browser);
  await p.goto(`${site.base}/admin/login`);
  await p.fill('#email', EMAIL);
  await p.fill('#password', PASSWORD);
  await Promise.all([p.waitForURL(/\/admin\/?$/), p.click('#login-submit')]);
  return p;
}

// Closes p running its beforeunload handlers; true when it asked first.
async function closeAsks(p) {
  let asked = false;
  p.on('dialog', (d) => { if (d.type() === 'beforeunload') asked = true; d.accept(); });
  await p.close({ runBeforeUnload: true });
  await until(async () => p.isClosed(), 'the page to close', 10000);
  return asked;
}

// Puts the textarea's selection on [from, to).
async function select(p, from, to) {
  await p.evaluate(([a, b]) => { const t = document.getElementById('body'); t.focus(); t.setSelectionRange(a, b); }, [from, to]);
}

const body = (p) => p.inputValue('#body');

before(async () => {
  await startSite(site, { email: EMAIL, password: PASSWORD });
  token = runCli(site.dataDir, ['token', 'create', '--name', 'e2e-editor']).trim();
  browser = await launchChromium();
  page = await signedIn();
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

test('a new draft autosaves, shows the time and stays a draft', async () => {
  await page.goto(`${site.base}/admin/articles/new`);
  await page.click('#title');
  await page.keyboard.type('自動保存のテスト');
  await page.click('#body');
  await page.keyboard.type('書きかけの本文');
  const status = page.locator('#autosave-status');
  await until(async () => /保存しました \d\d:\d\d/.test(await status.textContent()),
    'the autosave to finish', 20000);
  assert.equal(await status.getAttribute('role'), 'status');
  const m = page.url().match(/\/admin\/articles\/(\d+)$/);
  assert.ok(m, `the new article has its URL now: ${page.url()}`);
  const a = await api('GET', `/articles/${m[1]}`);
  assert.equal(a.status, 200);
  assert.equal(a.json.status, 'draft');
  assert.equal(a.json.body, '書きかけの本文');
  // Typing again saves again, to the same article.
  await page.keyboard.type('、続き');
  await until(async () => (await api('GET', `/articles/${m[1]}`)).json.body === '書きかけの本文、続き',
    'the second autosave', 20000);
  const list = await api('GET', '/articles?per_page=100');
  assert.equal(list.json.items.filter((x) => x.title === '自動保存のテスト').length, 1);
  await page.screenshot({ path: path.join(outDir, 'admin-editor-autosave.png'), fullPage: true });
});

test('leaving with unsaved changes warns, and not after a save', async () => {
  const a = await api('POST', '/articles', { title: '公開中の記事', body: '公開中', status: 'published' });
  assert.equal(a.status, 201);
  let p = await signedIn();
  await p.goto(`${site.base}/admin/articles/${a.json.id}`);
  assert.equal(await p.locator('#editor-form[data-autosave]').count(), 0, 'a live article is not autosaved');
  await p.click('#body');
  await p.keyboard.type('未保存の編集');
  assert.equal(await closeAsks(p), true, 'unsaved changes must ask before leaving');

  p = await signedIn();
  await p.goto(`${site.base}/admin/articles/${a.json.id}`);
  await p.click('#body');
  await p.keyboard.type('保存する編集');
  await Promise.all([p.waitForURL(/\?saved=/), p.click('#btn-publish')]);
  assert.equal(await closeAsks(p), false, 'nothing unsaved after a save');

  // After an autosave, leaving does not ask either.
  p = await signedIn();
  await p.goto(`${site.base}/admin/articles/new`);
  await p.click('#title');
  await p.keyboard.type('自動保存してから離れる');
  await until(async () => /保存しました/.test(await p.locator('#autosave-status').textContent()),
    'the autosave', 20000);
  assert.equal(await closeAsks(p), false, 'nothing unsaved after an autosave');
});

test('the Markdown toolbar works on the selection, by mouse and keyboard', async () => {
  const p = await signedIn();
  await p.goto(`${site.base}/admin/articles/new`);
  const bar = p.locator('#md-toolbar');
  assert.equal(await bar.isVisible(), true);
  assert.equal(await bar.getAttribute('role'), 'toolbar');
  for (const b of await bar.locator('button').all())
    assert.ok((await b.getAttribute('aria-label')).length > 0, 'every button is labelled');
  await p.fill('#body', '見出しにする\n太字\n一つ目\n二つ目\n');
  await select(p, 0, 3);
  await p.click('[data-md=heading]');
  assert.equal(await body(p), '## 見出しにする\n太字\n一つ目\n二つ目\n');
  let v = await body(p);
  let at = v.indexOf('太字');
  await select(p, at, at + 2);
  await p.click('[data-md=bold]');
  assert.equal(await body(p), '## 見出しにする\n**太字**\n一つ目\n二つ目\n');
  v = await body(p);
  at = v.indexOf('一つ目');
  await select(p, at, v.indexOf('二つ目') + 3);
  await p.click('[data-md=list]');
  assert.equal(await body(p), '## 見出しにする\n**太字**\n- 一つ目\n- 二つ目\n');
  // A link: the URL part is selected, ready to be typed over.
  v = await body(p);
  at = v.indexOf('一つ目');
  await select(p, at, at + 3);
  await p.click('[data-md=link]');
  await p.keyboard.type('https://example.jp/');
  assert.equal(await body(p), '## 見出しにする\n**太字**\n- [一つ目](https://example.jp/)\n- 二つ目\n');
  // An image at the caret, with the placeholder text.
  await select(p, 0, 0);
  await p.click('[data-md=image]');
  await p.keyboard.type('/media/a.jpg');
  assert.ok((await body(p)).startsWith('![テキスト](/media/a.jpg)## 見出しにする'), await body(p));

  // Keyboard: one tab stop, arrows move, Enter presses; Ctrl+B in the text.
  await p.fill('#body', 'キーボード');
  await select(p, 0, 5);
  await p.focus('[data-md=heading]');
  await p.keyboard.press('ArrowRight');
  assert.equal(await p.evaluate(() => document.activeElement.getAttribute('data-md')), 'bold');
  assert.equal(await p.getAttribute('[data-md=bold]', 'tabindex'), '0');
  assert.equal(await p.getAttribute('[data-md=heading]', 'tabindex'), '-1');
  await p.keyboard.press('Enter');
  assert.equal(await body(p), '**キーボード**');
  assert.equal(await p.evaluate(() => document.activeElement.id), 'body', 'back to the text after a press');
  await p.focus('[data-md=bold]');
  await p.keyboard.press('End');
  assert.equal(await p.evaluate(() => document.activeElement.getAttribute('data-md')), 'image');
  await p.fill('#body', '強調');
  await select(p, 0, 2);
  await p.keyboard.press('Control+b');
  assert.equal(await body(p), '**強調**');
  await p.screenshot({ path: path.join(outDir, 'admin-editor-toolbar.png') });
  await closeAsks(p);
});

test('the broadcast editor has the toolbar too', async () => {
  const l = await api('POST', '/lists', { name: 'ツールバー便', slug: 'toolbar-list' });
  assert.equal(l.status, 201);
  const p = await signedIn();
  await p.goto(`${site.base}/admin/broadcasts/new`);
  assert.equal(await p.locator('#md-toolbar').isVisible(), true);
  await p.fill('#body', 'お知らせ');
  await select(p, 0, 4);
  await p.click('[data-md=bold]');
  assert.equal(await body(p), '**お知らせ**');
  await closeAsks(p);
});

test('a broadcast draft autosaves and leaving with unsaved changes warns', async () => {
  const l = await api('POST', '/lists', { name: '自動保存便', slug: 'autosave-list' });
  assert.equal(l.status, 201);
  let p = await signedIn();
  await p.goto(`${site.base}/admin/broadcasts/new`);
  await p.selectOption('#list', String(l.json.id));
  await p.click('#subject');
  await p.keyboard.type('自動保存の配信');
  await p.click('#body');
  await p.keyboard.type('書きかけのお知らせ');
  await until(async () => /保存しました \d\d:\d\d/.test(await p.locator('#autosave-status').textContent()),
    'the broadcast autosave', 20000);
  const m = p.url().match(/\/admin\/broadcasts\/(\d+)$/);
  assert.ok(m, `the new broadcast has its URL now: ${p.url()}`);
  const b = await api('GET', `/broadcasts/${m[1]}`);
  assert.equal(b.json.status, 'draft');
  assert.equal(b.json.subject, '自動保存の配信');
  assert.equal(b.json.body, '書きかけのお知らせ');
  assert.equal(await closeAsks(p), false, 'nothing unsaved after an autosave');

  // Unsaved changes (no autosave runs: the subject it needs is cleared) ask.
  p = await signedIn();
  await p.goto(`${site.base}/admin/broadcasts/${m[1]}`);
  await p.fill('#subject', '');
  await p.click('#body');
  await p.keyboard.type('、まだ保存していない続き');
  assert.equal(await closeAsks(p), true, 'unsaved changes must ask before leaving');
});
