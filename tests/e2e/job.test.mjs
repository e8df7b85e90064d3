// Browser test of a job post (採用, issue 11): the owner's job post gets an
// application from a reader who fills in the public page /forms/{slug}
// (the working conditions shown above the form); on a phone (390×844) the
// owner moves it through the pipeline — by the board's select + button,
// by the applicant card with a note and a date, and back on the board to
// hired — and the board stacks its columns, labels every control and keeps
// AA contrast. Screenshot: docs/img/phone-job-board.png (and out/).
//
//   cd tests/e2e && node --test --test-reporter=tap job.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  apiClient, launchChromium, outDir, PHONE, root, runCli, sleep, startSite, stopSite,
} from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-password-採用';
const CONDITIONS = {
  duties: '編集アシスタント（原稿整理・校正・著者とのやりとり）', contract_period: '期間の定めなし（試用期間3か月）',
  workplace: '東京都千代田区（週2日在宅可）', working_hours: '10:00〜18:00（休憩1時間）', holidays: '土日祝、年末年始',
  wage: '月給25万円〜（経験により優遇）', social_insurance: '雇用・労災・健康・厚生年金', smoking_measures: '屋内禁煙',
};

let browser, phone, token, job;
const base = () => site.base;

const api = apiClient(base, () => token);

before(async () => {
  await startSite(site, { name: 'job', email: EMAIL, password: PASSWORD });
  token = runCli(site.dataDir, ['token', 'create', '--name', 'job']).trim().split(/\s+/).pop();
  const list = await api('POST', '/lists', { slug: 'jinmyaku-news', name: '人脈通信' });
  job = await api('POST', '/forms', { ...CONDITIONS, list_id: list.id, kind: 'job', slug: 'editor-assistant', title: '編集アシスタント募集',
    description: '読者の皆さんから**一緒に本をつくる仲間**を募集します。',
    fields: [{ key: 'motivation', label: '志望動機', type: 'textarea', required: true },
      { key: 'years', label: '編集の経験', type: 'select', options: ['なし', '1〜3年', '3年以上'], required: true }] });
  browser = await launchChromium();
  const ctx = await browser.newContext(PHONE);
  ctx.setDefaultTimeout(30000);
  phone = await ctx.newPage();
  await phone.goto(`${base()}/admin/login`);
  await phone.fill('#email', EMAIL);
  await phone.fill('#password', PASSWORD);
  await Promise.all([phone.waitForURL(/\/admin\/?$/), phone.click('#login-submit')]);
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

// What a phone user can see wrong: sideways scrolling, an unlabelled
// control, small text under WCAG AA contrast.
async function problems(page) {
  return page.evaluate(() => {
    const out = [];
    if (document.documentElement.scrollWidth > window.innerWidth)
      out.push(`scrollWidth ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (['hidden', 'submit', 'button'].includes(el.type)) continue;
      if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label')) out.push(`unlabelled ${el.name}`);
    }
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
    for (const el of document.querySelectorAll('.sub, .muted, .hint, .count, .job-values dt, .job-col h2')) {
      if (!el.offsetParent || !el.textContent.trim()) continue;
      const a = lum(getComputedStyle(el).color), b = lum(bg(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) out.push(`contrast ${ratio.toFixed(2)} for ${el.tagName}.${el.className}`);
    }
    return out;
  });
}

async function cardStatus(id) {
  return phone.getAttribute(`article.job-card[data-id="${id}"]`, 'data-status');
}

test('a reader applies on the public page, which states the conditions', async () => {
  const ctx = await browser.newContext(PHONE);
  const p = await ctx.newPage();
  await p.goto(`${base()}/forms/${job.slug}`);
  for (const v of Object.values(CONDITIONS)) assert.ok((await p.content()).includes(v), v);
  await p.fill('#fa-name', '応募 花子');
  await p.fill('#fa-email', 'hanako@example.jp');
  await p.fill('#fa-motivation', 'メールマガジンを3年読んでいます。編集の仕事に挑戦したいです。');
  await p.selectOption('#fa-years', '1〜3年');
  await sleep(3500); // the page refuses answers sent faster than a person types
  await Promise.all([p.waitForLoadState('load'), p.click('#form-submit')]);
  await ctx.close();
  // A stranger's application waits for their mail click: on the board (marked
  // unverified) and in the answers asked for with unverified=1, not yet counted.
  const held = await api('GET', `/forms/${job.id}/answers?unverified=1`);
  assert.equal(held.items.length, 1, JSON.stringify(held));
  assert.equal(held.items[0].verified, false, JSON.stringify(held));
  assert.equal((await api('GET', `/forms/${job.id}`)).answers_count, 0);
});

test('the owner moves the application through the pipeline on a phone', async () => {
  const board = `${base()}/admin/forms/${job.id}/board`;
  await phone.goto(board);
  const id = Number(await phone.getAttribute('article.job-card', 'data-id'));
  assert.ok(id > 0);
  assert.equal(await cardStatus(id), 'applied');
  assert.deepEqual(await problems(phone), [], 'board');
  // The columns stack at phone width: each starts below the one before.
  const tops = await phone.$$eval('.job-col', (cs) => cs.map((c) => c.getBoundingClientRect().top));
  assert.ok(tops.every((t, i) => i === 0 || t > tops[i - 1]), JSON.stringify(tops));
  // By the board: select + button.
  await phone.selectOption(`#mv-${id}`, 'screening');
  await Promise.all([phone.waitForURL(/done=moved/), phone.click(`article.job-card[data-id="${id}"] button`)]);
  assert.equal(await cardStatus(id), 'screening');
  // By the card: a move with a note and a date.
  await Promise.all([phone.waitForURL(/\/answers\/\d+$/), phone.click(`article.job-card[data-id="${id}"] a.title-link`)]);
  assert.deepEqual(await problems(phone), [], 'card');
  await phone.selectOption('#note-status', 'interview');
  await phone.fill('#note-body', '一次面接：オンライン');
  await phone.fill('#note-at', '2026-12-10T14:00');
  await Promise.all([phone.waitForURL(/done=saved/), phone.click('#note-save')]);
  assert.equal(await phone.getAttribute('#applicant-status', 'data-status'), 'interview');
  const notes = await phone.textContent('#notes');
  assert.ok(notes.includes('2026-12-10 14:00') && notes.includes('一次面接：オンライン'), notes);
  await phone.screenshot({ path: path.join(outDir, 'phone-job-applicant.png'), fullPage: true });
  // Back on the board, through offer to hired.
  for (const st of ['offer', 'hired']) {
    await phone.goto(board);
    await phone.selectOption(`#mv-${id}`, st);
    await Promise.all([phone.waitForURL(/done=moved/), phone.click(`article.job-card[data-id="${id}"] button`)]);
    assert.equal(await cardStatus(id), st);
  }
  // Hired is final: no move control is left on its card.
  assert.equal(await phone.locator(`#mv-${id}`).count(), 0);
  const a = await api('PATCH', `/forms/${job.id}/answers/${id}`, { note: '入社日 1/5' });
  assert.deepEqual(a.notes.map((n) => n.status), ['screening', 'interview', 'offer', 'hired', '']);
});

test('a phone-width screenshot of the pipeline board', async () => {
  // A few more applicants so every column shows something.
  const more = [['佐藤 健', 'ken@example.jp', 'screening'], ['鈴木 一郎', 'ichiro@example.jp', 'interview'],
    ['高橋 誠', 'makoto@example.jp', 'applied'], ['山本 恵', 'megumi@example.jp', 'declined']];
  const page = await (await browser.newContext(PHONE)).newPage();
  for (const [name, email] of more) {
    await page.goto(`${base()}/forms/${job.slug}`);
    await page.fill('#fa-name', name);
    await page.fill('#fa-email', email);
    await page.fill('#fa-motivation', `${name}です。読者として応募します。`);
    await page.selectOption('#fa-years', '3年以上');
    await sleep(3500);
    await Promise.all([page.waitForLoadState('load'), page.click('#form-submit')]);
  }
  await page.context().close();
  const ids = await (async () => {
    await phone.goto(`${base()}/admin/forms/${job.id}/board`);
    return phone.$$eval('#col-applied article.job-card', (cs) => cs.map((c) => Number(c.dataset.id)));
  })();
  for (const [i, [, , st]] of more.entries()) {
    const id = ids[i];
    if (st !== 'applied' && id) await api('PATCH', `/forms/${job.id}/answers/${id}`, { status: st });
  }
  await phone.goto(`${base()}/admin/forms/${job.id}/board`);
  assert.deepEqual(await problems(phone), [], 'board');
  const shot = path.join(outDir, 'phone-job-board.png');
  await phone.screenshot({ path: shot, fullPage: true });
  fs.mkdirSync(path.join(root, 'docs', 'img'), { recursive: true });
  fs.copyFileSync(shot, path.join(root, 'docs', 'img', 'phone-job-board.png'));
});
