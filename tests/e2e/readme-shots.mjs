// Makes the README screenshots (docs/img/*.png) from a demo site: a few
// Japanese articles made through the API, settings and 30 days of demo
// page-view counts written straight into a fresh database. Not a test.
//
//   make && cd tests/e2e && npm ci && node readme-shots.mjs
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const bin = path.resolve(process.env.JINMYAKU_BIN || path.join(root, 'build', 'jinmyaku'));
const out = path.join(root, 'docs', 'img');
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'jm-shots-'));
const port = 18000 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;

const run = (args, input) => {
  const r = spawnSync(bin, [...args, '--data', data], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const sql = (q) => {
  const r = spawnSync('sqlite3', [path.join(data, 'jinmyaku.db'), q], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
};

run(['user', 'add', '--email', 'owner@example.jp', '--name', '山田 花子', '--role', 'owner'], 'demo-password-123\n');
const token = run(['token', 'create', '--name', 'demo']);
const settings = {
  title: '発信と人脈のノート', description: '小さな会社の広報と人脈づくりについて書いています。',
  owner_name: '山田 花子', topics: '広報, 出版, 人脈づくり',
  profile_md: '出版社で十年編集をしたのち独立。いまは小さな会社の広報を手伝っています。',
  sns_x: 'https://x.com/example', sns_note: 'https://note.com/example',
};
for (const [k, v] of Object.entries(settings))
  sql(`INSERT OR REPLACE INTO settings(key, value) VALUES ('${k}', '${v}')`);
// A mail magazine with a few readers (straight into the database: demo data).
sql(`INSERT INTO lists(slug, name, description, consent_text, created_at, updated_at) VALUES ('news', '人脈通信', '毎週金曜に届くメールマガジン', '発行者からのお知らせメールを受け取ることに同意します。', 0, 0)`);
sql(`INSERT INTO list_fields(list_id, key, label, type, position) VALUES (1, 'company', '会社名', 'text', 0)`);
const readers = [['sato@example.jp', '佐藤 花子', '青空出版'], ['suzuki@example.jp', '鈴木 一郎', 'みどり編集室'],
  ['takahashi@example.jp', '高橋 美咲', ''], ['tanaka@example.jp', '田中 健', '田中デザイン'],
  ['ito@example.jp', '伊藤 陽菜', '伊藤書店'], ['watanabe@example.jp', '渡辺 翔', '']];
readers.forEach(([email, name, company], i) => {
  sql(`INSERT INTO people(email, name, created_at, updated_at) VALUES ('${email}', '${name}', ${1764400000 + i * 86400}, 0)`);
  sql(`INSERT INTO subscriptions(person_id, list_id, status, created_at, updated_at, confirmed_at, consent_at, consent_source, consent_ip, consent_text) VALUES (${i + 2}, 1, 'active', ${1764400000 + i * 86400}, 0, ${1764400000 + i * 86400}, ${1764400000 + i * 86400}, '/articles/first-step', '203.0.113.${i + 10}', '発行者からのお知らせメールを受け取ることに同意します。')`);
  if (company) sql(`INSERT INTO person_fields(person_id, key, value) VALUES (${i + 2}, 'company', '${company}')`);
  if (i % 2 === 0) sql(`INSERT INTO person_tags(person_id, tag) VALUES (${i + 2}, '出版')`);
});
const paths = ['/articles/first-step', '/articles/newsletter', '/articles/editor-meeting', '/'];
const hosts = ['www.google.com', 'x.com', 'note.com', 'b.hatena.ne.jp'];
for (let d = 0; d < 30; d++) {
  const day = new Date(Date.now() - d * 86400000).toISOString().slice(0, 10);
  paths.forEach((p, i) => sql(`INSERT INTO pageviews(day, path, views) VALUES ('${day}', '${p}', ${
    Math.round((120 - i * 25) * (1 + Math.sin(d / 3) * 0.3) + (30 - d) * 3)})`));
  hosts.forEach((h, i) => sql(`INSERT INTO referrers(day, host, views) VALUES ('${day}', '${h}', ${
    Math.round((60 - i * 12) * (1 + Math.cos(d / 4) * 0.2))})`));
}

// The people hub: three messages sent through the public contact form, a
// business card typed in, stages, a meal and introductions through the API;
// then the inbox, a person page and the network map.
async function peopleShots(page, token) {
  const api = async (method, p, body) => {
    const r = await fetch(`${base}/api/v1${p}`, { method, body: body && JSON.stringify(body),
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } });
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const tokens = [];
  for (let i = 0; i < 3; i++)
    tokens.push((await (await fetch(`${base}/contact`)).text()).match(/name="form_token" value="([^"]+)"/)[1]);
  await new Promise((r) => setTimeout(r, 3500)); // the form's minimum fill time
  const msgs = [['中村 真理', 'nakamura@example.jp', '取材', '業界誌での取材のお願い', '広報の取り組みについて、業界誌の特集でお話を伺えないでしょうか。'],
    ['佐藤 花子', 'sato@example.jp', '情報提供', '出版業界の勉強会のご案内', '来月、編集者と書き手の勉強会を開きます。よろしければぜひ。'],
    ['小林 由美', 'kobayashi@example.jp', '仕事のご依頼', '連載企画のご相談', '出版社の編集者をしております小林です。ブログの連載を書籍にまとめるご相談をしたくご連絡しました。']];
  for (const [i, [name, email, category, subject, message]] of msgs.entries())
    await fetch(`${base}/contact`, { method: 'POST', redirect: 'manual',
      body: new URLSearchParams({ form_token: tokens[i], website: '', name, email, category, subject, message }) });
  const kobayashi = (await api('GET', '/messages?status=all')).items.find((m) => m.email === 'kobayashi@example.jp').person_id;
  const takahashi = (await api('POST', '/people', { name: '高橋 誠', furigana: 'たかはし まこと', company: '青葉書房', title: '編集長',
    email: 'makoto@example.jp', stage: 'network', can_offer: '出版社の編集者を紹介できます', tags: ['出版'] })).id;
  const yamamoto = (await api('POST', '/people', { name: '山本 恵', company: 'やまもとデザイン', stage: 'acquaintance', can_offer: '装丁・ロゴのデザイン' })).id;
  await api('PATCH', '/people/2', { stage: 'fan' });
  await api('PATCH', '/people/3', { stage: 'acquaintance', stage_reason: '勉強会で名刺交換' });
  await api('PATCH', '/people/5', { stage: 'network', stage_reason: '共同でイベントを開催' });
  await api('PATCH', `/people/${kobayashi}`, { stage: 'acquaintance', stage_reason: '書籍化の相談で意気投合', company: '青葉書房', title: '編集者' });
  await api('POST', `/people/${kobayashi}/interactions`, { kind: 'meal', date: new Date().toISOString().slice(0, 10), note: '神保町で昼食。企画の方向性を相談', amount: 4800 });
  await api('POST', '/introductions', { introducer_id: takahashi, person_id: kobayashi, to_id: null, date: new Date().toISOString().slice(0, 10), note: '交流会で紹介してもらった' });
  await api('POST', '/introductions', { introducer_id: takahashi, person_id: 3, to_id: null, date: new Date().toISOString().slice(0, 10), note: '' });
  await api('POST', '/introductions', { introducer_id: null, person_id: 5, to_id: yamamoto, date: new Date().toISOString().slice(0, 10), note: '装丁の相談' });
  await page.goto(`${base}/admin/inbox`);
  await page.screenshot({ path: path.join(out, 'admin-inbox.png') });
  await page.goto(`${base}/admin/people/${kobayashi}`);
  await page.screenshot({ path: path.join(out, 'admin-person.png') });
  await page.goto(`${base}/admin/map`);
  for (let i = 0; i < 100; i++) { // the SVG <object> is drawn through http_defer
    const f = page.frames().find((x) => x.url().includes('/admin/map.svg'));
    if (f && await f.evaluate(() => document.querySelectorAll('a').length > 0).catch(() => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.screenshot({ path: path.join(out, 'admin-map.png'), fullPage: true });
}

const server = spawn(bin, ['serve', '--data', data, '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
try {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const post = (a) => fetch(`${base}/api/v1/articles`, {
    method: 'POST', body: JSON.stringify(a),
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  });
  const body = fs.readFileSync(path.join(here, 'readme-article.md'), 'utf8');
  await post({ title: '編集者と会う前に準備しておくこと', slug: 'editor-meeting', body: '企画書は一枚で。', status: 'published', tags: ['出版'] });
  await post({ title: 'メルマガを始めた理由', slug: 'newsletter', body: '読者と直接つながるために。', status: 'published', tags: ['メルマガ'] });
  await post({ title: '人脈づくりの第一歩', slug: 'first-step', body, status: 'published', tags: ['人脈', '出版'] });

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'ja-JP' });
  await page.goto(`${base}/admin/login`);
  await page.fill('input[name=email]', 'owner@example.jp');
  await page.fill('input[name=password]', 'demo-password-123');
  await page.click('#login-submit');
  await page.waitForURL(`${base}/admin/`);
  await page.screenshot({ path: path.join(out, 'admin-dashboard.png') });
  await page.goto(`${base}/admin/articles`);
  await page.click('text=人脈づくりの第一歩');
  await page.frameLocator('#preview').locator('h2').waitFor();
  await page.screenshot({ path: path.join(out, 'admin-editor.png') });
  await page.goto(`${base}/articles/first-step`);
  await page.screenshot({ path: path.join(out, 'article.png'), fullPage: true });
  const bc = await (await fetch(`${base}/api/v1/broadcasts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ list_id: 1, subject: '人脈通信 第12号：編集者と会う前に', body: '{{name|読者}}さん、こんにちは。\n\n## 今週のテーマ\n\n編集者と会う前に準備しておきたいことを、{{company|皆さん}}のお仕事に引きつけてまとめました。\n\n- 企画書は一枚で\n- 実績は数字で\n- 会ったあとは一週間以内にお礼を' }),
  })).json();
  await page.goto(`${base}/admin/subscribers`);
  await page.screenshot({ path: path.join(out, 'admin-subscribers.png') });
  await page.goto(`${base}/admin/broadcasts/${bc.id}`);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(out, 'admin-broadcast.png') });
  await peopleShots(page, token);
  // Three admin pages at phone width (390×844): the menu open, the people
  // list scrolling sideways inside its card, the inbox.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
    isMobile: true, hasTouch: true, locale: 'ja-JP' });
  await phone.goto(`${base}/admin/login`);
  await phone.fill('input[name=email]', 'owner@example.jp');
  await phone.fill('input[name=password]', 'demo-password-123');
  await Promise.all([phone.waitForURL(`${base}/admin/`), phone.click('#login-submit')]);
  await phone.click('#menu-btn');
  await phone.screenshot({ path: path.join(out, 'phone-menu.png') });
  await phone.goto(`${base}/admin/people`);
  await phone.locator('#people-list').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await phone.evaluate(() => window.scrollBy(0, -70));
  await phone.screenshot({ path: path.join(out, 'phone-people.png') });
  await phone.goto(`${base}/admin/inbox?status=all`);
  await phone.screenshot({ path: path.join(out, 'phone-inbox.png') });
  await browser.close();
} finally {
  server.kill('SIGTERM');
  fs.rmSync(data, { recursive: true, force: true });
}
