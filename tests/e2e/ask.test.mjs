// Browser test of an ask (読者への問いかけ, issue 11): Playwright drives
// Debian's Chromium against a real jinmyaku server (the ASan+UBSan build by
// default) whose mail goes to the capturing SMTP server.
//
//   cd tests/e2e && node --test --test-reporter=tap ask.test.mjs
//
// The owner builds an ask in the admin and sends it in a broadcast with
// {{form:SLUG}}; two readers answer from their personalised links captured
// by the SMTP server (no name or email to type); the owner opens the ask's
// results, filters the "yes" answers and tags those readers in one action.
// Screenshots: out/ask-results.png and, at phone width, the README's
// docs/img/admin-ask-results.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  apiClient, launchChromium, mailsTo as mailsIn, newPage, outDir, PHONE, root, sleep, startSite, stopSite, until,
} from './lib.mjs';

const site = {};
const mailsTo = (addr) => mailsIn(site.mailDir, addr);
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-問いかけ';
const YES = 'はい、編集者を知っています';
const NO = 'いいえ';
const SLUG = 'publisher-ties';
const SUBJECT = '読者のみなさんへの問いかけ';
const READERS = [['hanako@example.jp', '佐藤 花子', YES], ['ichiro@example.jp', '鈴木 一郎', NO]];
const TAG = '編集者つながり';

let browser, owner, token, formId;
const base = () => site.base;

const api = apiClient(base, () => token);

before(async () => {
  await startSite(site, { name: 'ask', mail: true, email: EMAIL, password: PASSWORD });
  const { runCli } = await import('./lib.mjs');
  token = runCli(site.dataDir, ['token', 'create', '--name', 'ask']).trim().split(/\s+/).pop();
  browser = await launchChromium();
  owner = await newPage(browser, { acceptDialogs: true });
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

test('the owner signs in, fills the sender settings and has two readers', async () => {
  await owner.goto(`${base()}/admin/login`);
  await owner.fill('#email', EMAIL);
  await owner.fill('#password', PASSWORD);
  await Promise.all([owner.waitForURL(/\/admin\/?$/), owner.click('#login-submit')]);
  await owner.goto(`${base()}/admin/settings#group-mail`);
  await owner.fill('#set-mail_from_name', '人脈通信編集部');
  await owner.fill('#set-mail_from_addr', 'news@example.com');
  await owner.fill('#set-sender_postal_address', '東京都千代田区千代田1-1');
  await owner.fill('#set-sender_contact', 'info@example.com');
  await Promise.all([owner.waitForURL(/saved=1/), owner.click('#settings-save')]);
  const list = await api('POST', '/lists', { slug: 'jinmyaku-news', name: '人脈通信', double_optin: false });
  for (const [email, name] of READERS)
    await api('POST', '/subscribers', { list_id: list.id, email, name });
});

test('the owner builds an ask in the admin', async () => {
  await owner.goto(`${base()}/admin/forms`);
  await owner.click('#new-ask');
  await owner.fill('#title', '出版社とのつながりを教えてください');
  await owner.fill('#slug', SLUG);
  await owner.fill('#description', '本の企画を進めています。出版社の編集者をご存じの方はいますか？');
  await owner.fill('#f0_key', 'editor');
  await owner.fill('#f0_label', '出版社の編集者をご存じですか');
  await owner.selectOption('#f0_type', 'select');
  await owner.fill('#f0_options', `${YES}\n${NO}`);
  await owner.check('#f0_required');
  await owner.fill('#f1_key', 'comment');
  await owner.fill('#f1_label', 'ひとこと');
  await owner.selectOption('#f1_type', 'textarea');
  await Promise.all([owner.waitForURL(/\/admin\/forms\/\d+\?done=saved/), owner.click('#form-save')]);
  formId = Number(owner.url().match(/\/admin\/forms\/(\d+)/)[1]);
  const form = await api('GET', `/forms/${formId}`);
  assert.equal(form.kind, 'ask');
  assert.deepEqual(form.fields.map((f) => f.key), ['editor', 'comment']);
});

test('the owner sends the ask in a broadcast; each reader gets a personal link', async () => {
  await owner.click('#nav-broadcasts');
  await owner.click('#new-broadcast');
  await owner.fill('#subject', SUBJECT);
  await owner.fill('#body', `{{name|読者}}さん、こんにちは。\n\nひとつ教えてください → {{form:${SLUG}}}`);
  await Promise.all([owner.waitForURL(/\/admin\/broadcasts\/\d+\?done=sent/), owner.click('#btn-send')]);
  for (const [email] of READERS) {
    const m = await until(() => mailsTo(email).find((x) => x.subject === SUBJECT), `the ask to ${email}`);
    assert.ok(m.links.some((l) => l.includes(`/forms/${SLUG}?t=`)), `a personal link in:\n${m.text}`);
  }
  const a = mailsTo(READERS[0][0]).find((x) => x.subject === SUBJECT).links.find((l) => l.includes('?t='));
  const b = mailsTo(READERS[1][0]).find((x) => x.subject === SUBJECT).links.find((l) => l.includes('?t='));
  assert.notEqual(a, b, 'each reader has their own link');
});

test('two readers answer from their links without typing their name or email', async () => {
  for (const [email, name, choice] of READERS) {
    const link = mailsTo(email).find((x) => x.subject === SUBJECT).links.find((l) => l.includes('?t='));
    const reader = await newPage(browser);
    await reader.goto(link);
    const who = await reader.locator('#form-reader').textContent();
    assert.ok(who.includes(name) && who.includes(email), `recognised as the reader: ${who}`);
    assert.equal(await reader.locator('#fa-email').count(), 0, 'no email to type');
    await reader.selectOption('#fa-editor', choice);
    await reader.fill('#fa-comment', `${name}より`);
    await sleep(2500); // the form refuses submissions faster than a human
    await Promise.all([reader.waitForLoadState('load'), reader.click('#form-submit')]);
    assert.equal(await reader.locator('#form-error').count(), 0, await reader.content());
    await reader.context().close();
  }
  await until(async () => (await api('GET', `/forms/${formId}/answers`)).items.length === 2, 'two answers');
});

test('the owner filters the "yes" answers and tags those readers', async () => {
  await owner.goto(`${base()}/admin/forms/${formId}/answers`);
  assert.equal(await owner.locator('tr.answer-row').count(), 2);
  await owner.selectOption('#filter', `editor:${YES}`);
  await Promise.all([owner.waitForURL(/filter=/), owner.click('#filter-go')]);
  const rows = owner.locator('tr.answer-row');
  assert.equal(await rows.count(), 1, 'only the "yes" answer');
  assert.ok((await rows.first().textContent()).includes('佐藤 花子'));
  await owner.screenshot({ path: path.join(outDir, 'ask-results.png'), fullPage: true });
  await owner.check('#check-all');
  await owner.selectOption('#bulk-op', 'tag');
  assert.equal(await owner.isVisible('#bulk-tag'), true);
  assert.equal(await owner.isVisible('#bulk-stage'), false, 'only the chosen action\'s inputs show');
  await owner.fill('#bulk-tag', TAG);
  await Promise.all([owner.waitForURL(/done=bulk_tag/), owner.click('#bulk-go')]);
  assert.ok((await owner.locator('#flash').textContent()).includes('(1)'));
  assert.equal(await owner.locator('tr.answer-row').count(), 1, 'the filter stays after the action');
  const tagged = await api('GET', `/people?tag=${encodeURIComponent(TAG)}`);
  assert.deepEqual(tagged.items.map((p) => p.email), [READERS[0][0]]);
});

test('the results page at phone width: the table scrolls inside its card', async () => {
  const ctx = await browser.newContext(PHONE);
  await ctx.addCookies((await owner.context().cookies()).map((c) => ({ ...c })));
  const phone = await ctx.newPage();
  await phone.goto(`${base()}/admin/forms/${formId}/answers`);
  assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true,
    'the page does not scroll sideways');
  const unlabelled = await phone.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((e) => !e.labels?.length && !e.getAttribute('aria-label')).map((e) => e.name || e.id));
  assert.deepEqual(unlabelled, [], 'every input has a label');
  await phone.screenshot({ path: path.join(root, 'docs', 'img', 'admin-ask-results.png') });
  await ctx.close();
});
