// Browser test of the people hub, the contact-form inbox and the network
// (人脈) CRM: Playwright (playwright-core) drives Debian's Chromium against a
// real jinmyaku server (the ASan+UBSan build by default) whose mail goes to
// a capturing SMTP server on loopback (smtp_capture.py).
//
//   cd tests/e2e && node --test --test-reporter=tap people.test.mjs
//
// A stranger (own browser context) sends the contact form and sees the
// thank-you page; the owner is notified by mail, finds the message in the
// inbox, opens it and replies (the captured reply carries
// In-Reply-To/References pointing at the message); on the sender's person
// page the owner promotes them to acquaintance with a reason, logs a meal
// and records who introduced them (a person created by hand from a
// business card); searching 出版 finds the sender; the network map links to
// their page. Screenshots:
// out/admin-inbox.png, out/admin-person.png, out/admin-map.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launchChromium, mailsTo as mailsIn, newPage, outDir, runCli, sleep, startSite, stopSite, until } from './lib.mjs';

const site = {};
const cli = (args, input) => runCli(site.dataDir, args, input);
const mailsTo = (addr) => mailsIn(site.mailDir, addr);
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-人脈';
const SENDER = 'kobayashi@example.jp';
const SENDER_NAME = '小林 由美';
const SUBJECT = '連載企画のご相談';
const BODY = '出版社の編集者をしております小林です。\nブログの連載を拝読し、書籍化のご相談をしたくご連絡しました。';
const INTRODUCER = 'takahashi@example.jp';
const INTRODUCER_NAME = '高橋 誠';
const MIN_FILL_MS = 3500; // INBOX_MIN_FILL_SECONDS (3) in src/inbox/inbox.h, plus a margin

let browser, owner, stranger, token;
let messageId, senderId, introducerId;

async function api(p) {
  const r = await fetch(`${base()}/api/v1${p}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, `GET /api/v1${p}: ${r.status}`);
  return r.json();
}

before(async () => {
  await startSite(site, { name: 'people', mail: true, email: EMAIL, password: PASSWORD });
  token = cli(['token', 'create', '--name', 'e2e-people']).trim();
  browser = await launchChromium();
  owner = await newPage(browser, { acceptDialogs: true });
  stranger = await newPage(browser);
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

const base = () => site.base;
// A catalog key shown as is ("admin.people.xxx") means a missing translation.
async function translated(page) {
  const raw = (await page.locator('body').innerText()).match(/\b(admin|site)\.[a-z_]+\.[a-z0-9_.]+/g);
  assert.equal(raw, null, `untranslated keys on ${page.url()}: ${raw}`);
}
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

test('a stranger sends the contact form and sees the thank-you page', async () => {
  const resp = await stranger.goto(`${base()}/contact`);
  assert.equal(resp.status(), 200);
  await translated(stranger);
  const shown = Date.now();
  await stranger.fill('#c-name', SENDER_NAME);
  await stranger.fill('#c-email', SENDER);
  const cats = await stranger.locator('#c-category option').allTextContents();
  assert.ok(cats.includes('仕事のご依頼'), `default categories: ${cats}`);
  await stranger.selectOption('#c-category', '仕事のご依頼');
  await stranger.fill('#c-subject', SUBJECT);
  await stranger.fill('#c-message', BODY);
  // The form refuses submissions faster than a human could type them.
  await sleep(Math.max(0, MIN_FILL_MS - (Date.now() - shown)));
  await Promise.all([stranger.waitForURL(/\/contact\/thanks$/), stranger.click('#contact-submit')]);
  await stranger.locator('#contact-thanks').waitFor();
  await translated(stranger);
  assert.ok(!(await stranger.locator('body').innerText()).includes(SUBJECT),
    'the thank-you page echoes nothing the visitor sent');
});

test('the owner sees the message in the inbox and replies with threading headers', async () => {
  await owner.goto(`${base()}/admin/login`);
  await owner.fill('#email', EMAIL);
  await owner.fill('#password', PASSWORD);
  await Promise.all([owner.waitForURL(/\/admin\/?$/), owner.click('#login-submit')]);

  await owner.click('#nav-inbox');
  await owner.waitForURL(/\/admin\/inbox/);
  const row = owner.locator('#inbox-list tr.inbox-row', { hasText: SUBJECT });
  await row.waitFor();
  assert.equal(await row.getAttribute('data-status'), 'new');
  assert.equal((await row.locator('.msg-name').textContent()).trim(), SENDER_NAME);
  assert.equal((await row.locator('.msg-category').textContent()).trim(), '仕事のご依頼');
  messageId = Number(await row.getAttribute('data-id'));
  await translated(owner);
  await owner.screenshot({ path: path.join(outDir, 'admin-inbox.png'), fullPage: true });

  await Promise.all([owner.waitForURL(new RegExp(`/admin/inbox/${messageId}$`)), row.locator('a.msg-subject').click()]);
  assert.equal((await owner.locator('#msg-email').textContent()).trim(), SENDER);
  await translated(owner);
  assert.equal(await owner.locator('#msg-body').textContent(), BODY);
  assert.equal(await owner.inputValue('#reply-subject'), `Re: ${SUBJECT}`);
  await owner.fill('#reply-body', 'ご連絡ありがとうございます。ぜひ一度お話しさせてください。');
  await Promise.all([owner.waitForURL(/\?done=replied/), owner.click('#reply-send')]);
  assert.equal(await owner.getAttribute('#msg-status', 'data-status'), 'replied');
  assert.equal(await owner.locator('#replies article.reply').count(), 1);

  const msg = await api(`/messages/${messageId}`);
  assert.match(msg.msgid, /^<[^<>@\s]+@[^<>\s]+>$/);
  const reply = await until(() => mailsTo(SENDER).find((m) => m.subject === `Re: ${SUBJECT}`), 'the reply mail');
  assert.equal(reply.in_reply_to.trim(), msg.msgid, 'In-Reply-To is the message');
  assert.equal(reply.references.trim(), msg.msgid, 'References: the message (no earlier reply)');
  assert.ok(reply.message_id && reply.message_id !== msg.msgid, 'the reply has a Message-ID of its own');
  assert.ok(reply.text.includes('ぜひ一度お話しさせてください'), reply.text);
  const notice = await until(() => mailsTo(EMAIL).find((m) => m.reply_to.includes(SENDER)),
    'the owner\'s notification (Reply-To: the sender)');
  assert.ok(notice.text.includes(SUBJECT), `the notification names the subject:\n${notice.text}`);
  senderId = Number((await owner.getAttribute('#person-link', 'href')).split('/').pop());
  assert.ok(senderId > 0);
});

test('the owner creates the introducer by hand from a business card', async () => {
  await owner.goto(`${base()}/admin/people`);
  await Promise.all([owner.waitForURL(/\/admin\/people\/new$/), owner.click('#people-new')]);
  await owner.fill('#p-name', INTRODUCER_NAME);
  await owner.fill('#p-furigana', 'たかはし まこと');
  await owner.fill('#p-company', '青葉書房');
  await owner.fill('#p-email', INTRODUCER);
  await owner.selectOption('#p-stage', 'network');
  await owner.fill('#p-source', '異業種交流会');
  await owner.fill('#p-offer', '出版社の編集者を紹介できます');
  await Promise.all([owner.waitForURL(/\/admin\/people\/\d+(\?.*)?$/), owner.click('#person-save')]);
  introducerId = Number(new URL(owner.url()).pathname.split('/').pop());
  assert.equal((await owner.locator('#person-company').textContent()).trim(), '青葉書房');
  assert.equal(await owner.getAttribute('#person-stage', 'class'), 'badge stage-network');
});

test('on the sender\'s page the owner promotes them, logs a meal and records the introducer', async () => {
  assert.ok(senderId && introducerId, 'the earlier steps ran');
  await owner.goto(`${base()}/admin/inbox/${messageId}`);
  await Promise.all([owner.waitForURL(new RegExp(`/admin/people/${senderId}$`)), owner.click('#person-link')]);
  assert.equal((await owner.locator('#person-email').textContent()).trim(), SENDER);
  assert.ok((await owner.locator('#person-stage').getAttribute('class')).includes('stage-reader'),
    'a stranger starts as a reader');

  await owner.selectOption('#st-stage', 'acquaintance');
  await owner.fill('#st-reason', '書籍化の相談で意気投合');
  await Promise.all([owner.waitForURL(/\/admin\/people\/\d+\?/), owner.click('#stage-go')]);
  assert.ok((await owner.locator('#person-stage').getAttribute('class')).includes('stage-acquaintance'));
  assert.equal((await owner.locator('#person-stage').textContent()).trim(), '知り合い');
  const change = owner.locator('#stage-history tr.stage-change', { hasText: '書籍化の相談で意気投合' });
  await change.waitFor();
  assert.ok((await change.textContent()).includes('知り合い'));

  await owner.selectOption('#in-kind', 'meal');
  assert.equal((await owner.locator('#in-kind option:checked').textContent()).trim(), '会食');
  await owner.fill('#in-date', today());
  await owner.fill('#in-note', '神保町で昼食。企画の方向性を相談');
  await owner.fill('#in-amount', '4800');
  await Promise.all([owner.waitForURL(/\/admin\/people\/\d+\?/), owner.click('#interaction-go')]);
  const meal = owner.locator('#timeline tr.ev', { hasText: '神保町で昼食' });
  await meal.first().waitFor();
  assert.ok((await meal.first().textContent()).includes('会食'));
  assert.notEqual((await owner.locator('#person-last-contact').textContent()).trim(), '—');

  await owner.selectOption('#intro-dir', 'introduced_by');
  await owner.fill('#intro-other', INTRODUCER);
  await owner.fill('#intro-date', today());
  await owner.fill('#intro-note', '交流会で紹介してもらった');
  await Promise.all([owner.waitForURL(/\/admin\/people\/\d+\?/), owner.click('#intro-go')]);
  assert.equal(await owner.locator('#intro-error').count(), 0);
  const intro = owner.locator('#timeline tr', { hasText: INTRODUCER_NAME });
  await intro.first().waitFor();
  assert.equal(await intro.first().locator(`a.ev-other[href="/admin/people/${introducerId}"]`).count(), 1);
  await translated(owner);
  await owner.screenshot({ path: path.join(outDir, 'admin-person.png'), fullPage: true });
});

test('searching 出版 finds the sender', async () => {
  await owner.goto(`${base()}/admin/people`);
  await owner.fill('#q', '出版');
  await Promise.all([owner.waitForURL(/[?&]q=/), owner.click('#search-go')]);
  const hit = owner.locator(`#hits tr.hit[data-id="${senderId}"]`);
  await hit.waitFor();
  assert.ok((await hit.textContent()).includes(SENDER_NAME));
  await translated(owner);
  assert.ok((await hit.locator('.snippet').textContent()).includes('出版社の編集者'),
    'the snippet shows why it matched');
  assert.equal(await owner.locator(`#hits tr.hit[data-id="${introducerId}"]`).count(), 1,
    'the introducer\'s can-offer matches too');
});

test('the network map shows the sender with a link to their page', async () => {
  await owner.goto(`${base()}/admin/map`);
  const href = `/admin/people/${senderId}`;
  // The SVG is an <object>: a frame of its own once it loaded.
  const frame = await until(() => owner.frames().find((f) => f.url().includes('/admin/map.svg')),
    'the map frame');
  const links = await until(async () => {
    const got = await frame.evaluate(() => [...document.querySelectorAll('a')].map(
      (a) => a.getAttribute('href') || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href')));
    return got.length ? got : null;
  }, 'the map to draw');
  assert.ok(links.includes(href), `a node links to ${href}: ${links}`);
  assert.ok(links.includes(`/admin/people/${introducerId}`), 'the introducer is on the map');
  const svg = await (await owner.request.get(`${base()}/admin/map.svg`)).text();
  assert.ok(svg.includes(SENDER_NAME), 'the node is labelled with the name');
  await translated(owner);
  await owner.screenshot({ path: path.join(outDir, 'admin-map.png'), fullPage: true });
});
