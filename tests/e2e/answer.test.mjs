// Browser test: a stranger answers an ask on /forms/{slug} from a phone
// (390 px) — every input labelled and nothing wider than the screen; a
// value the browser lets through but the server refuses comes back with
// its message beside the field and the other values kept; a 履歴書 PDF sent
// through the file input (multipart from a real browser); the thanks page;
// the answer confirmed from the mailed link.
// Screenshots: out/phone-form.png, out/phone-form-confirmed.png.
//
//   cd tests/e2e && node --test --test-reporter=tap answer.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  apiClient, launchChromium, mailsTo, outDir, PHONE, runCli, sleep, startSite, stopSite, until,
} from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-回答';
const READER = 'yamada@example.net';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

let browser, token;
const base = () => site.base;

const api = apiClient(base, () => token);

before(async () => {
  await startSite(site, { name: 'answer', mail: true, email: EMAIL, password: PASSWORD });
  token = runCli(site.dataDir, ['token', 'create', '--name', 'e2e']).trim().split(/\s+/).pop();
  browser = await launchChromium();
  await api('PATCH', '/settings', { mail_from_name: '運営者', mail_from_addr: 'site@example.com',
    sender_postal_address: '東京都千代田区1-1', sender_contact: 'info@example.com' });
  await api('POST', '/forms', { kind: 'ask', slug: 'editor-ask', title: '編集者を探しています',
    description: '出版社の**編集者**とつながりのある方を探しています。',
    consent_text: 'ご回答は本件のご連絡にのみ使います。',
    fields: [
      { key: 'knows', label: '編集者の知り合いはいますか', type: 'select', options: ['はい', 'いいえ'],
        required: true },
      { key: 'years', label: '業界歴（年）', type: 'number', required: false },
      { key: 'cv', label: '経歴書', type: 'file', required: false }] });
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

test('a stranger answers from a phone, fixes a refused value, and confirms by mail', async () => {
  const ctx = await browser.newContext(PHONE);
  ctx.setDefaultTimeout(30000);
  const p = await ctx.newPage();
  await p.goto(`${base()}/forms/editor-ask`);
  const unlabelled = await p.evaluate(() => [...document.querySelectorAll(
    '#form-answer input:not([type=hidden]), #form-answer select, #form-answer textarea')]
    .filter((el) => !el.closest('.signup-hp') && el.labels.length === 0).map((el) => el.name));
  assert.deepEqual(unlabelled, []);
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1));
  await p.screenshot({ path: path.join(outDir, 'phone-form.png'), fullPage: true });
  await p.fill('#fa-name', '山田 <太郎>');
  await p.fill('#fa-email', READER);
  await p.selectOption('#fa-knows', 'はい');
  await p.fill('#fa-years', '1e3'); // a number to the browser, not to the server's rule
  await p.setInputFiles('#fa-cv', { name: '経歴書.pdf', mimeType: 'application/pdf', buffer: PDF });
  await p.check('#fa-consent');
  await sleep(3500); // the public form refuses what is sent faster than a person types
  await Promise.all([p.waitForLoadState('load'), p.click('#form-submit')]);
  assert.match(await p.locator('#row-years .signup-error').innerText(), /数字/);
  assert.equal(await p.inputValue('#fa-name'), '山田 <太郎>');
  assert.equal(await p.inputValue('#fa-knows'), 'はい');
  await p.fill('#fa-years', '12');
  await p.setInputFiles('#fa-cv', { name: '経歴書.pdf', mimeType: 'application/pdf', buffer: PDF });
  await sleep(3500);
  await Promise.all([p.waitForLoadState('load'), p.click('#form-submit')]);
  await p.locator('#form-check-mail').waitFor();
  assert.match(await p.locator('#form-answer-values').innerText(), /はい[\s\S]*12[\s\S]*添付/);
  const m = await until(() => mailsTo(site.mailDir, READER).find((x) => x.subject.includes('回答の確認')),
    'the confirmation mail');
  const link = m.links.find((l) => l.includes('/confirm?token='));
  await p.goto(link.replace(/^https?:\/\/[^/]+/, base()));
  await p.locator('#form-confirmed').waitFor();
  await p.screenshot({ path: path.join(outDir, 'phone-form-confirmed.png'), fullPage: true });
  await ctx.close();
});
