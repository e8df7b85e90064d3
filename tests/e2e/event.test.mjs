// Browser test: an event (セミナー・読者交流会) from the owner's and the
// readers' side. The owner makes an event with two seats (API) and fills the
// sender settings; three readers register on /forms/{slug} and confirm from
// their mail: two get seats, the third the waitlist. The first cancels from
// the link in their confirmation, which promotes the third (told by mail).
// On the day, the owner checks an attendee in from a phone (390 px): the
// list, the search, one tap; the meeting shows on the person's page.
// Screenshot: docs/img/phone-checkin.png (and out/).
//
//   cd tests/e2e && node --test --test-reporter=tap event.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  apiClient, launchChromium, mailsTo, newPage, outDir, PHONE, root, runCli, sleep, startSite, stopSite, until,
} from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-交流会';
const READERS = [['佐藤 一郎', 'ichiro@example.net'], ['鈴木 花子', 'hanako@example.net'],
  ['高橋 健', 'ken@example.net']];
const TITLE = '出版を考える読者交流会';

let browser, owner, token, formId;
const base = () => site.base;

const api = apiClient(base, () => token);

// The newest mail to addr whose subject holds part (waits for it).
const mail = (addr, part) => until(() => mailsTo(site.mailDir, addr).reverse()
  .find((m) => m.subject.includes(part)), `mail "${part}" to ${addr}`);

before(async () => {
  await startSite(site, { name: 'event', mail: true, email: EMAIL, password: PASSWORD });
  token = runCli(site.dataDir, ['token', 'create', '--name', 'e2e']).trim().split(/\s+/).pop();
  browser = await launchChromium();
  owner = await newPage(browser);
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

test('the owner signs in, fills the sender and makes an event with two seats', async () => {
  await owner.goto(`${base()}/admin/login`);
  await owner.fill('#email', EMAIL);
  await owner.fill('#password', PASSWORD);
  await Promise.all([owner.waitForURL(/\/admin\/?$/), owner.click('#login-submit')]);
  await owner.goto(`${base()}/admin/settings#group-mail`);
  await owner.fill('#set-mail_from_name', '交流会事務局');
  await owner.fill('#set-mail_from_addr', 'events@example.com');
  await owner.fill('#set-sender_postal_address', '東京都千代田区千代田1-1');
  await owner.fill('#set-sender_contact', 'info@example.com');
  await Promise.all([owner.waitForURL(/saved=1/), owner.click('#settings-save')]);
  const starts = Math.floor(Date.now() / 1000 / 3600 + 24 * 14) * 3600;
  const f = await api('POST', '/forms', { kind: 'event', slug: 'meetup', title: TITLE,
    description: '著者と編集者を目指す読者の交流会です。', fields: [], starts_at: starts,
    ends_at: starts + 7200, venue: '渋谷の貸し会議室', online_url: 'https://meet.example.com/secret',
    capacity: 2, waitlist: true, fee: '3,000円（当日現金）', reminder_hours: 0 });
  formId = f.id;
  assert.ok(formId);
});

test('three readers register: two seats, then the waitlist; the page says full', async () => {
  for (const [name, email] of READERS) {
    const p = await newPage(browser);
    await p.goto(`${base()}/forms/meetup`);
    assert.equal(await p.locator('body').innerText().then((t) => t.includes('secret')), false);
    await p.fill('#fa-name', name);
    await p.fill('#fa-email', email);
    await sleep(3500); // the public form refuses what is sent faster than a person types
    await Promise.all([p.waitForLoadState('load'), p.click('#form-submit')]);
    const confirm = (await mail(email, '確認')).links.find((l) => l.includes('/confirm?token='));
    await p.goto(confirm.replace(/^https?:\/\/[^/]+/, base()));
    await p.close();
  }
  await mail(READERS[0][1], '参加確定');
  await mail(READERS[1][1], '参加確定');
  assert.ok((await mail(READERS[2][1], 'キャンセル待ち')).subject.includes('1 番'));
  await owner.goto(`${base()}/forms/meetup`);
  assert.match(await owner.locator('#event-seats').innerText(), /満席/);
});

test('a cancellation from the own link promotes the waitlist, who is told by mail', async () => {
  const link = (await mail(READERS[0][1], '参加確定')).links.find((l) => l.includes('/event/cancel'));
  const p = await newPage(browser);
  await p.goto(link.replace(/^https?:\/\/[^/]+/, base()));
  assert.match(await p.locator('#event-online-url').innerText(), /meet\.example\.com\/secret/);
  await Promise.all([p.waitForLoadState('load'), p.click('#event-cancel')]);
  await p.locator('#event-cancelled').waitFor();
  await p.close();
  const promoted = await mail(READERS[2][1], '繰り上げ');
  assert.ok(promoted.subject.includes(TITLE));
});

test('check-in from a phone logs the meeting on the person', async () => {
  const ctx = await browser.newContext(PHONE);
  await ctx.addCookies((await owner.context().cookies()).map((c) => ({ ...c })));
  const phone = await ctx.newPage();
  await phone.goto(`${base()}/admin/forms/${formId}/checkin`);
  const rows = await phone.locator('#checkin-list tbody tr').count();
  assert.equal(rows, 2); // the second reader and the promoted third
  await phone.fill('#checkin-q', '鈴木');
  await Promise.all([phone.waitForURL(/q=/), phone.click('#checkin-search-go')]);
  assert.equal(await phone.locator('#checkin-list tbody tr').count(), 1);
  await Promise.all([phone.waitForURL(/in=\d+/), phone.locator('#checkin-list button').click()]);
  assert.match(await phone.locator('#flash').innerText(), /鈴木 花子/);
  await phone.goto(`${base()}/admin/forms/${formId}/checkin`);
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the check-in list is ${width}px wide on a 390px phone`);
  fs.mkdirSync(outDir, { recursive: true });
  await phone.screenshot({ path: path.join(outDir, 'phone-checkin.png'), fullPage: true });
  fs.copyFileSync(path.join(outDir, 'phone-checkin.png'),
    path.join(root, 'docs', 'img', 'phone-checkin.png'));
  await Promise.all([phone.waitForURL(/\/admin\/people\/\d+/),
    phone.locator('#checkin-list a', { hasText: '鈴木 花子' }).click()]);
  assert.match(await phone.locator('body').innerText(), new RegExp(`「${TITLE}」で会った`));
  await ctx.close();
});
