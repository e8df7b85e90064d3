// Browser test of the phone-ready admin (issue 10): every admin page — the
// navigation's pages plus the detail pages (a person and their edit form,
// a subscriber, a broadcast, an article, an inbox message, a list, the
// import steps) with Japanese data in them — opened at 390×844 in a mobile
// Chromium context must not scroll sideways (documentElement.scrollWidth ≤
// innerWidth), must label every input, and must open its navigation menu;
// the menu also opens without JavaScript (a link to #nav-menu). The IME's
// confirming Enter (変換確定: keyCode 229) submits no form; the person
// picker finds 「佐藤 健」 as one types and records an introduction.
// Screenshots: out/phone-*.png.
//
//   cd tests/e2e && node --test --test-reporter=tap phone.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  apiClient, launchChromium, outDir, PHONE, runCli, sleep, startSite, stopSite, until,
} from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-スマホ';
const LONG = 'とても長い件名ですが携帯電話の画面でも一文字ずつ縦に折り返されずに読めるべきです_' +
  'https://example.jp/a/very/long/url/without/any/spaces/that/could/widen/the/page/sideways';

let browser, phone, token, emptySignupVisible;
const pages = new Set();
const ids = {};
const base = () => site.base;

const api = apiClient(base, () => token);

// Two messages through the public contact form, as a stranger sends them.
async function contactMessages() {
  const tokens = [];
  for (let i = 0; i < 2; i++)
    tokens.push((await (await fetch(`${base()}/contact`)).text()).match(/name="form_token" value="([^"]+)"/)[1]);
  await sleep(3500); // the form refuses submissions faster than a human
  const msgs = [['中村 真理', 'nakamura@example.jp', LONG.slice(0, 44), '取材のお願いです。\n'.repeat(5) + LONG],
    ['佐藤 健', 'ken@example.jp', '勉強会のご案内', '来月、編集者と書き手の勉強会を開きます。']];
  for (const [i, [name, email, subject, message]] of msgs.entries()) {
    const r = await fetch(`${base()}/contact`, { method: 'POST', redirect: 'manual',
      body: new URLSearchParams({ form_token: tokens[i], website: '', name, email, category: '仕事のご依頼', subject, message }) });
    assert.ok(r.status === 303 || r.status === 302, `contact: ${r.status}`);
  }
}

async function seed() {
  token = runCli(site.dataDir, ['token', 'create', '--name', 'phone']).trim().split(/\s+/).pop();
  const list = await api('POST', '/lists', { slug: 'jinmyaku-news', name: '人脈通信', description: '毎週金曜に届くメールマガジン',
    public: true, double_optin: false });
  ids.list = list.id;
  for (const [email, name] of [['sato-hanako@example.jp', '佐藤 花子'], ['long-address-for-a-reader-with-a-company-domain@example-publishing-house.co.jp', '鈴木 一郎']])
    await api('POST', '/subscribers', { list_id: list.id, email, name });
  const subs = await api('GET', `/subscribers?list_id=${list.id}`);
  ids.subscriber = subs.items[0].person_id;
  const bc = await api('POST', '/broadcasts', { list_id: list.id, subject: '人脈通信 第1号 ' + LONG.slice(0, 40), body: '## 今週の話題\n\n' + LONG });
  ids.broadcast = bc.id;
  const art = await api('POST', '/articles', { title: '人脈づくりの第一歩', body: '## 見出し\n\n' + LONG, status: 'published', tags: ['人脈', '出版'] });
  ids.article = art.id;
  const p = await api('POST', '/people', { name: '高橋 誠', furigana: 'たかはし まこと', company: '青葉書房 出版事業部 第二編集局', title: '編集長',
    email: 'makoto@example.jp', stage: 'network', can_offer: '出版社の編集者を紹介できます', tags: ['出版', '編集'],
    links: [{ kind: 'web', url: 'https://example.jp/' + 'x'.repeat(80) }] });
  ids.person = p.id;
  await api('POST', '/people', { name: '山本 恵', company: 'やまもとデザイン', stage: 'acquaintance' });
  await api('POST', `/people/${p.id}/interactions`, { kind: 'meal', date: new Date().toISOString().slice(0, 10), note: LONG, amount: 4800 });
  await contactMessages();
  const msgs = await api('GET', '/messages?status=all');
  ids.message = msgs.items.find((m) => m.email === 'nakamura@example.jp').id;
}

before(async () => {
  await startSite(site, { name: 'phone', email: EMAIL, password: PASSWORD });
  browser = await launchChromium();
  // Before any public list exists the public pages show no empty sign-up box.
  const fresh = await browser.newPage({ viewport: PHONE.viewport });
  await fresh.goto(`${base()}/`);
  emptySignupVisible = await fresh.locator('#newsletter-signup').isVisible();
  await fresh.close();
  await seed();
  const ctx = await browser.newContext(PHONE);
  ctx.setDefaultTimeout(30000);
  phone = await ctx.newPage();
  phone.on('dialog', (d) => d.accept());
  await phone.goto(`${base()}/admin/login`);
  await phone.fill('#email', EMAIL);
  await phone.fill('#password', PASSWORD);
  await Promise.all([phone.waitForURL(/\/admin\/?$/), phone.click('#login-submit')]);
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

// What a phone user can see wrong on the page at hand.
async function problems(page) {
  return page.evaluate(() => {
    const out = [];
    const de = document.documentElement;
    if (de.scrollWidth > window.innerWidth)
      out.push(`scrollWidth ${de.scrollWidth} > innerWidth ${window.innerWidth}: ` +
        [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
          .slice(0, 5).map((e) => `${e.tagName}#${e.id}.${e.className}`).join(', '));
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
      const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
      if (!named) out.push(`unlabelled ${el.tagName} name=${el.name} id=${el.id}`);
    }
    if (!document.querySelector('a.skip-link[href="#main"]')) out.push('no skip link');
    // Hint and secondary text: WCAG AA contrast (4.5:1) against what is behind it.
    const lum = (c) => {
      const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
        const x = Number(v) / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const bg = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        if (c && !/rgba\(.*,\s*0\)$/.test(c) && c !== 'transparent') return c;
      }
      return 'rgb(255, 255, 255)';
    };
    for (const el of document.querySelectorAll('.hint, .muted, .note, .sub, .stat-label, .table th, .field-error')) {
      if (!el.offsetParent || !el.textContent.trim()) continue;
      const a = lum(getComputedStyle(el).color), b = lum(bg(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) out.push(`contrast ${ratio.toFixed(2)} for ${el.tagName}.${el.className}`);
    }
    return out;
  });
}

async function visit(url) {
  const resp = await phone.goto(url);
  assert.equal(resp.status(), 200, `${url}: ${resp.status()}`);
  assert.deepEqual(await problems(phone), [], url);
}

test('no empty sign-up box before a public list exists', () => {
  assert.equal(emptySignupVisible, false);
});

test('the first dashboard lists the first steps; done ones are ticked', async () => {
  await phone.goto(`${base()}/admin/`);
  // seed() made a public list and published an article; the sender and DKIM are not set.
  assert.equal(await phone.getAttribute('#start-list', 'data-done'), '1');
  assert.equal(await phone.getAttribute('#start-article', 'data-done'), '1');
  assert.equal(await phone.getAttribute('#start-signup', 'data-done'), '1');
  assert.equal(await phone.getAttribute('#start-sender', 'data-done'), '0');
  await phone.screenshot({ path: path.join(outDir, 'phone-onboarding.png'), fullPage: true });
});

test('the navigation is a menu that opens with a button', async () => {
  await phone.goto(`${base()}/admin/`);
  const nav = phone.locator('#nav-people');
  assert.equal(await nav.isVisible(), false, 'the menu starts closed at phone width');
  assert.equal(await phone.getAttribute('#menu-btn', 'aria-expanded'), 'false');
  await phone.click('#menu-btn');
  await nav.waitFor({ state: 'visible' });
  assert.equal(await phone.getAttribute('#menu-btn', 'aria-expanded'), 'true');
  // Group labels sit on their own line above their links, not mid-row.
  const rows = await phone.evaluate(() => [...document.querySelectorAll('.nav-group')].map((g) => {
    const next = g.nextElementSibling.getBoundingClientRect();
    return { above: g.getBoundingClientRect().bottom <= next.top + 1, left: g.getBoundingClientRect().left };
  }));
  assert.ok(rows.length >= 2 && rows.every((r) => r.above), JSON.stringify(rows));
  await phone.screenshot({ path: path.join(outDir, 'phone-menu.png') });
  // Every page the menu links to (this one included).
  for (const href of await phone.locator('#nav-menu .nav a:not([target])').evaluateAll((as) => as.map((a) => a.href)))
    pages.add(href);
  assert.ok(pages.size >= 10, [...pages].join(' '));
  await phone.keyboard.press('Escape');
  assert.equal(await nav.isVisible(), false);
});

test('the menu opens without JavaScript', async () => {
  const ctx = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
  const p = await ctx.newPage();
  await p.goto(`${base()}/admin/login`);
  await p.fill('#email', EMAIL);
  await p.fill('#password', PASSWORD);
  await Promise.all([p.waitForURL(/\/admin\/?$/), p.click('#login-submit')]);
  await p.goto(`${base()}/admin/people`);
  assert.equal(await p.locator('#nav-inbox').isVisible(), false);
  await p.click('#menu-btn');
  await p.locator('#nav-inbox').waitFor({ state: 'visible' });
  await Promise.all([p.waitForURL(/\/admin\/inbox/), p.click('#nav-inbox')]);
  await ctx.close();
});

test('every admin page fits a 390 px phone', async () => {
  const detail = [
    `/admin/people/${ids.person}`, `/admin/people/${ids.person}/edit`, '/admin/people/new',
    '/admin/people/duplicates', '/admin/people/import', `/admin/people?q=${encodeURIComponent('出版')}`,
    `/admin/subscribers/${ids.subscriber}`, `/admin/broadcasts/${ids.broadcast}`, '/admin/broadcasts/new',
    `/admin/articles/${ids.article}`, '/admin/articles/new', `/admin/inbox/${ids.message}`,
    '/admin/inbox?status=all', `/admin/lists/${ids.list}`, '/admin/lists/new', '/admin/imports/new',
    '/admin/reports/circle',
  ];
  for (const p of detail) pages.add(`${base()}${p}`);
  assert.ok(pages.size >= 25);
  const bad = {};
  for (const url of pages) {
    const resp = await phone.goto(url);
    assert.equal(resp.status(), 200, `${url}: ${resp.status()}`);
    const p = await problems(phone);
    if (p.length) bad[url.replace(base(), '')] = p;
  }
  assert.deepEqual(bad, {});
});

test('the CSV import steps fit too', async () => {
  const csv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'jm-phone-')), '読者.csv');
  fs.writeFileSync(csv, 'メールアドレス,お名前,会社名\nimport-1@example.jp,伊藤 陽菜,伊藤書店\nimport-2@example.jp,渡辺 翔,\n');
  await visit(`${base()}/admin/imports/new`);
  await phone.setInputFiles('#imp-file', csv);
  await Promise.all([phone.waitForURL(/\/admin\/imports\/[\w-]+/), phone.click('#import-upload button[type=submit]')]);
  assert.deepEqual(await problems(phone), [], 'mapping step');
  await phone.screenshot({ path: path.join(outDir, 'phone-import-map.png'), fullPage: true });
  // admin.js posts the mapping and polls; the page then shows the report.
  await phone.click('#import-go');
  await phone.locator('#import-done').waitFor({ timeout: 60000 });
  await phone.screenshot({ path: path.join(outDir, 'phone-import-report.png'), fullPage: true });
  assert.deepEqual(await problems(phone), [], 'report step');
});

test('tables keep every column reachable: they scroll in their card with the first column fixed', async () => {
  await phone.goto(`${base()}/admin/people`);
  const t = await phone.evaluate(() => {
    const table = document.querySelector('#people-list');
    const box = table.closest('.card');
    const name = table.querySelector('tbody tr td:nth-child(2)');
    return { scrolls: box.scrollWidth > box.clientWidth, overflow: getComputedStyle(box).overflowX,
      sticky: getComputedStyle(name).position, last: table.querySelector('tbody tr td:last-child').textContent.trim() };
  });
  assert.equal(t.overflow, 'auto');
  assert.equal(t.sticky, 'sticky', 'the name stays in view');
  assert.ok(t.last.length > 0);
  await phone.locator('#people-list').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await phone.evaluate(() => window.scrollBy(0, -70));
  await phone.screenshot({ path: path.join(outDir, 'phone-people.png') });
  // Inbox subjects read as lines, not one character per line.
  await phone.goto(`${base()}/admin/inbox?status=all`);
  const w = await phone.locator('.msg-subject').first().evaluate((e) => e.closest('td').getBoundingClientRect().width);
  assert.ok(w >= 120, `subject cell ${w}px wide`);
  await phone.screenshot({ path: path.join(outDir, 'phone-inbox.png') });
  await phone.goto(`${base()}/admin/`);
  await phone.screenshot({ path: path.join(outDir, 'phone-dashboard.png'), fullPage: true });
});

test('the Enter that confirms an IME conversion submits nothing', async () => {
  await phone.goto(`${base()}/admin/people`);
  await phone.fill('#q', 'しゅっぱん');
  await phone.focus('#q');
  // Synthetic: the guard cancels it.
  const cancelled = await phone.evaluate(() => {
    const ev = new KeyboardEvent('keydown', { key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true });
    return !document.getElementById('q').dispatchEvent(ev);
  });
  assert.equal(cancelled, true, 'the keydown was cancelled');
  // Trusted, through the browser's input pipeline: keyCode 229 with the
  // Enter text, as an IME sends it (Safari after compositionend).
  const cdp = await phone.context().newCDPSession(phone);
  let navigated = false;
  phone.once('framenavigated', () => { navigated = true; });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 229,
    nativeVirtualKeyCode: 229, text: '\r', unmodifiedText: '\r' });
  await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 229 });
  await phone.evaluate(() => new Promise((r) => setTimeout(r, 500)));
  assert.equal(navigated, false, 'the conversion Enter submitted the search');
  assert.ok(!phone.url().includes('q='), phone.url());
  // A plain Enter afterwards does search (the guard is only for the IME).
  await Promise.all([phone.waitForURL(/q=/), phone.keyboard.press('Enter')]);
});

test('the person picker finds 佐藤 健 as one types and records the introduction', async () => {
  const sato = await api('POST', '/people', { name: '佐藤 健', company: '青空出版', email: 'ken-sato@example.jp' });
  await phone.goto(`${base()}/admin/people/${ids.person}`);
  const box = phone.locator('#intro-other');
  assert.equal(await box.getAttribute('role'), 'combobox');
  await box.fill('佐藤');
  const opt = phone.locator(`#${await box.getAttribute('aria-controls')} [role=option][data-id="${sato.id}"]`);
  await opt.waitFor();
  assert.equal(await box.getAttribute('aria-expanded'), 'true');
  assert.ok((await opt.textContent()).includes('青空出版'));
  await box.evaluate((e) => e.scrollIntoView({ block: 'center' }));
  await phone.screenshot({ path: path.join(outDir, 'phone-picker.png') });
  // Keyboard: down to the option, Enter chooses it (and submits nothing).
  const n = await phone.locator(`#${await box.getAttribute('aria-controls')} [role=option]`).count();
  for (let i = 0; i < n; i++) {
    await box.press('ArrowDown');
    if (await opt.getAttribute('aria-selected') === 'true') break;
  }
  await box.press('Enter');
  assert.equal(await box.inputValue(), '佐藤 健');
  assert.equal(await phone.locator('#intro-form input[name=other_id]').inputValue(), String(sato.id));
  await Promise.all([phone.waitForURL(/done=intro/), phone.click('#intro-go')]);
  const intros = await api('GET', `/people/${ids.person}/timeline`);
  assert.ok(JSON.stringify(intros).includes('佐藤'), 'the introduction is on the timeline');
});

test('settings are tabs; an error reopens its tab with the field focused', async () => {
  await phone.goto(`${base()}/admin/settings`);
  assert.equal(await phone.getAttribute('#settings-tabs', 'role'), 'tablist');
  assert.equal(await phone.locator('.tab-panel:visible').count(), 1, 'one section at a time');
  await phone.click('#tab-mail');
  await phone.locator('#group-mail').waitFor({ state: 'visible' });
  assert.equal(await phone.locator('#group-site').isVisible(), false);
  assert.equal(await phone.getAttribute('#tab-mail', 'aria-selected'), 'true');
  await phone.fill('#set-mail_from_addr', 'not-an-address');
  await phone.click('#tab-site');
  await Promise.all([phone.waitForLoadState('load'), phone.click('#settings-save')]);
  await phone.locator('#set-mail_from_addr-error').waitFor({ state: 'visible' });
  assert.equal(await phone.locator('#group-site').isVisible(), false, 'the tab with the error is open');
  assert.equal(await phone.evaluate(() => document.activeElement.id), 'set-mail_from_addr');
  assert.equal(await phone.getAttribute('#set-mail_from_addr', 'aria-invalid'), 'true');
  assert.deepEqual(await problems(phone), []);
});
