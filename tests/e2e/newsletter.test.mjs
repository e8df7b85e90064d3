// Browser test of the mail magazine: Playwright (playwright-core) drives
// Debian's Chromium against a real jinmyaku server (the ASan+UBSan build by
// default) whose mail goes to a capturing SMTP server on loopback
// (smtp_capture.py, Debian's python3-aiosmtpd, one .eml file per message).
//
//   cd tests/e2e && node --test --test-reporter=tap newsletter.test.mjs
//
// The owner creates a list and fills the sender settings; a reader signs up
// on an article page, opens the confirmation link from the captured mail and
// sees the confirmed page; the owner composes and sends a broadcast and
// watches the progress reach 100%; the reader receives it. Screenshots:
// out/admin-subscribers.png, out/admin-broadcast.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { launchChromium, mailsTo as mailsIn, newPage, outDir, runCli, sleep, startSite, stopSite, until } from './lib.mjs';

const site = {};
const cli = (args, input) => runCli(site.dataDir, args, input);
const mailsTo = (addr) => mailsIn(site.mailDir, addr);
const PY = '/usr/bin/python3';
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-メルマガ';
const READER = 'reader@example.com';
const SUBJECT = '人脈通信 第1号';

let browser, owner, reader, articleUrl;


before(async () => {
  await startSite(site, { name: 'newsletter', mail: true, email: EMAIL, password: PASSWORD });
  browser = await launchChromium();
  owner = await newPage(browser, { acceptDialogs: true });
  reader = await newPage(browser);
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

const base = () => site.base;

test('the owner creates a list, fills the sender settings and publishes an article', async () => {
  await owner.goto(`${base()}/admin/login`);
  await owner.fill('#email', EMAIL);
  await owner.fill('#password', PASSWORD);
  await Promise.all([owner.waitForURL(/\/admin\/?$/), owner.click('#login-submit')]);

  await owner.click('#nav-lists');
  await owner.click('#new-list');
  await owner.fill('#name', '人脈通信');
  await owner.fill('#slug', 'jinmyaku-news');
  await owner.fill('#f0_key', 'company');
  await owner.fill('#f0_label', '会社名');
  await Promise.all([owner.waitForURL(/\/admin\/lists\/\d+\?done=saved/), owner.click('#list-save')]);
  assert.ok((await owner.inputValue('#embed-snippet')).includes('/subscribe/embed.js?list=jinmyaku-news'));

  await owner.goto(`${base()}/admin/settings#group-mail`); // the mail tab (settings are in tabs)
  await owner.fill('#set-mail_from_name', '人脈通信編集部');
  await owner.fill('#set-mail_from_addr', 'news@example.com');
  await owner.fill('#set-sender_postal_address', '東京都千代田区千代田1-1');
  await owner.fill('#set-sender_contact', 'info@example.com');
  assert.equal(await owner.getAttribute('#set-smtp_password', 'type'), 'password');
  await Promise.all([owner.waitForURL(/saved=1/), owner.click('#settings-save')]);

  await owner.goto(`${base()}/admin/articles/new`);
  await owner.fill('#title', 'メルマガを始めました');
  await owner.fill('#body', '読者のみなさんと長くつながるために、メールマガジンを始めます。');
  await Promise.all([owner.waitForURL(/\/admin\/articles\/\d+\?saved=/), owner.click('#btn-publish')]);
  articleUrl = new URL(await owner.getAttribute('#view-public', 'href'), base()).href;
});

test('a reader signs up on the article page and confirms from the mail', async () => {
  assert.ok(articleUrl, 'the article was published');
  await reader.goto(articleUrl);
  const form = reader.locator('#newsletter-signup form');
  await form.waitFor();
  await reader.fill('#nl-email', READER);
  await reader.fill('#nl-name', '佐藤 花子');
  await reader.fill('#nl-f-company', '出版社A');
  await sleep(2500); // the form refuses submissions faster than a human (2 s)
  await Promise.all([reader.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
  assert.equal(reader.url(), `${base()}/subscribe`);

  const mail = await until(() => mailsTo(READER)[0], 'the confirmation mail');
  const link = mail.links.find((l) => l.includes('/subscribe/confirm?token='));
  assert.ok(link, `a confirmation link in:\n${mail.text}`);
  assert.ok(!mail.text.includes('出版社A'), 'the confirmation mail does not echo the form');
  const resp = await reader.goto(link);
  assert.equal(resp.status(), 200);
  await reader.locator('.nl-confirmed').waitFor();
  assert.ok((await reader.locator('.nl-list-name').textContent()).includes('人脈通信'));

  await owner.goto(`${base()}/admin/subscribers`);
  const row = owner.locator('#sub-list tr', { hasText: READER });
  await row.waitFor();
  assert.ok((await row.textContent()).includes('佐藤 花子'));
  assert.equal(await row.locator('.st-active').count(), 1, 'confirmed: active');
  await owner.screenshot({ path: path.join(outDir, 'admin-subscribers.png'), fullPage: true });
  await row.locator('a.title-link').click();
  await owner.locator('#subscriptions').waitFor();
  const consent = await owner.locator('#subscriptions').textContent();
  assert.ok(consent.includes(articleUrl.replace(base(), '')) || consent.includes(articleUrl),
    `the consent source is the article page:\n${consent}`);
});

test('the owner composes and sends a broadcast and the progress reaches 100%', async () => {
  await owner.click('#nav-broadcasts');
  await owner.click('#new-broadcast');
  await owner.fill('#subject', SUBJECT);
  await owner.fill('#body', '## 今週の話題\n\n{{name|読者}}さん、こんにちは。{{company|}}のみなさまへ。');
  await owner.locator('#preview h2').waitFor();
  assert.ok((await owner.locator('#preview').textContent()).includes('読者さん'),
    'the preview shows the fallback');
  assert.ok((await owner.locator('#preview-text').textContent()).includes('読者さん'));
  await Promise.all([owner.waitForURL(/\/admin\/broadcasts\/\d+\?done=sent/), owner.click('#btn-send')]);
  await until(async () => (await owner.locator('#bc-percent').textContent()).trim() === '100',
    'the progress to reach 100%');
  await until(async () => (await owner.locator('#bc-state').getAttribute('data-state')) === 'sent',
    'the broadcast to be sent');
  assert.equal((await owner.locator('#bc-sent').textContent()).trim(), '1');
  assert.equal(await owner.locator('#bc-bar').getAttribute('aria-valuenow'), '100');
  await owner.screenshot({ path: path.join(outDir, 'admin-broadcast.png'), fullPage: true });

  const got = await until(() => mailsTo(READER).find((m) => m.subject === SUBJECT), 'the broadcast mail');
  assert.ok(got.text.includes('佐藤 花子さん'), `merged name in:\n${got.text}`);
  assert.ok(got.text.includes('出版社A'), 'merged custom field');
});

test('the owner imports a Shift_JIS CSV and sees the report', async () => {
  await owner.goto(`${base()}/admin/imports/new`);
  const csv = spawnSync(PY, ['-c', 'import sys; sys.stdout.buffer.write("メールアドレス,氏名\\r\\nimp1@example.jp,高橋 健一\\r\\nbad-address,壊れた行\\r\\n".encode("cp932"))']);
  assert.equal(csv.status, 0);
  await owner.setInputFiles('#imp-file', { name: 'readers.csv', mimeType: 'text/csv', buffer: csv.stdout });
  await Promise.all([owner.waitForURL(/\/admin\/imports\/[A-Za-z0-9_-]{22}\?/), owner.click('#imp-upload-go')]);
  assert.equal((await owner.locator('#detected').textContent()).trim(), 'shift_jis');
  assert.equal(await owner.inputValue('#col0'), 'email');
  assert.ok((await owner.locator('#import-preview').textContent()).includes('高橋 健一'));
  await owner.click('#import-go');
  await owner.locator('#import-done').waitFor();
  assert.equal((await owner.locator('#rep-imported').textContent()).trim(), '1');
  assert.ok((await owner.locator('#import-errors').textContent()).includes('3行目'));
});
