// Browser test of フォーム in the admin (issue 11) at phone width: the list
// of forms and the builder of each kind (ask, job post, event), stored and
// new, with Japanese data, must not scroll sideways and must label every
// input (the phone.test.mjs rules); an ask is built from the phone with
// JavaScript off (rows, order numbers, save). Screenshots:
// out/phone-forms*.png.
//
//   cd tests/e2e && node --test --test-reporter=tap forms_builder.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { apiClient, launchChromium, outDir, PHONE, runCli, startSite, stopSite } from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-フォーム';
const LONG = '出版社の編集者とつながりのある読者の方を探しています_' +
  'https://example.jp/a/very/long/url/without/any/spaces/that/could/widen/the/page';
const JOB = { duties: '編集アシスタント（原稿整理、著者との連絡）', contract_period: '期間の定めなし（試用期間3か月）',
  workplace: '東京都千代田区神田神保町（在宅勤務可）', working_hours: '10:00〜18:00（休憩1時間）', holidays: '土日祝、年末年始',
  wage: '月給25万円〜（経験による）', social_insurance: '雇用保険・労災保険・健康保険・厚生年金', smoking_measures: '屋内禁煙' };

let browser, token;
const ids = {};
const base = () => site.base;

const api = apiClient(base, () => token);

async function login(ctx) {
  const p = await ctx.newPage();
  await p.goto(`${base()}/admin/login`);
  await p.fill('#email', EMAIL);
  await p.fill('#password', PASSWORD);
  await Promise.all([p.waitForURL(/\/admin\/?$/), p.click('#login-submit')]);
  return p;
}

// What a phone user can see wrong (as phone.test.mjs checks it).
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
    return out;
  });
}

before(async () => {
  await startSite(site, { name: 'forms', email: EMAIL, password: PASSWORD });
  token = runCli(site.dataDir, ['token', 'create', '--name', 'forms']).trim().split(/\s+/).pop();
  const fields = [{ key: 'ties', label: LONG.slice(0, 40), type: 'select', options: ['はい、編集者を知っています', 'いいえ'], required: true },
    { key: 'note', label: 'ひとこと', type: 'textarea' }];
  ids.ask = (await api('POST', '/forms', { kind: 'ask', slug: 'publisher-ties', title: LONG, description: LONG, fields })).id;
  ids.job = (await api('POST', '/forms', { kind: 'job', slug: 'editor-assistant', title: '編集アシスタント募集', ...JOB })).id;
  ids.event = (await api('POST', '/forms', { kind: 'event', slug: 'reader-meetup', title: '読者交流会 ' + LONG.slice(0, 30),
    starts_at: '2026-12-24T18:00:00+09:00', ends_at: '2026-12-24T21:00:00+09:00', venue: '渋谷区道玄坂 ' + LONG.slice(0, 20),
    capacity: 10, fee: '3,000円（当日現金）', party_title: '懇親会', party_capacity: 8 })).id;
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

test('the forms list and every builder fit a 390 px phone', async () => {
  const ctx = await browser.newContext(PHONE);
  const p = await login(ctx);
  const urls = ['/admin/forms', '/admin/forms?kind=event', '/admin/forms/new?kind=ask', '/admin/forms/new?kind=job',
    '/admin/forms/new?kind=event', `/admin/forms/${ids.ask}`, `/admin/forms/${ids.job}`, `/admin/forms/${ids.event}`];
  const bad = {};
  for (const u of urls) {
    const resp = await p.goto(`${base()}${u}`);
    assert.equal(resp.status(), 200, u);
    const pr = await problems(p);
    if (pr.length) bad[u] = pr;
  }
  assert.deepEqual(bad, {});
  await p.goto(`${base()}/admin/forms`);
  await p.screenshot({ path: path.join(outDir, 'phone-forms.png'), fullPage: true });
  await p.goto(`${base()}/admin/forms/${ids.event}`);
  await p.screenshot({ path: path.join(outDir, 'phone-forms-event.png'), fullPage: true });
  await ctx.close();
});

test('an ask is built from the phone without JavaScript', async () => {
  const ctx = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
  const p = await login(ctx);
  await p.goto(`${base()}/admin/forms/new?kind=ask`);
  await p.fill('#title', '読者アンケート');
  await p.fill('#slug', 'reader-survey');
  await p.fill('#f0_key', 'job');
  await p.fill('#f0_label', 'ご職業');
  await p.fill('#f0_pos', '2');
  await p.fill('#f1_key', 'name');
  await p.fill('#f1_label', 'お名前');
  await p.fill('#f1_pos', '1');
  await p.selectOption('#f0_type', 'select');
  await p.fill('#f0_options', '会社員\n自営業\nその他');
  await Promise.all([p.waitForURL(/\/admin\/forms\/\d+\?done=saved/), p.click('#form-save')]);
  assert.equal(await p.inputValue('#f0_key'), 'name', 'stored in the order of the numbers');
  assert.equal(await p.inputValue('#f1_options'), '会社員\n自営業\nその他');
  await p.screenshot({ path: path.join(outDir, 'phone-forms-builder.png'), fullPage: true });
  const id = Number(p.url().match(/forms\/(\d+)/)[1]);
  const f = await api('GET', `/forms/${id}`);
  assert.deepEqual(f.fields.map((x) => x.key), ['name', 'job']);
  await ctx.close();
});
