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
const bin = path.join(root, 'build', 'jinmyaku');
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
const paths = ['/articles/first-step', '/articles/newsletter', '/articles/editor-meeting', '/'];
const hosts = ['www.google.com', 'x.com', 'note.com', 'b.hatena.ne.jp'];
for (let d = 0; d < 30; d++) {
  const day = new Date(Date.now() - d * 86400000).toISOString().slice(0, 10);
  paths.forEach((p, i) => sql(`INSERT INTO pageviews(day, path, views) VALUES ('${day}', '${p}', ${
    Math.round((120 - i * 25) * (1 + Math.sin(d / 3) * 0.3) + (30 - d) * 3)})`));
  hosts.forEach((h, i) => sql(`INSERT INTO referrers(day, host, views) VALUES ('${day}', '${h}', ${
    Math.round((60 - i * 12) * (1 + Math.cos(d / 4) * 0.2))})`));
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
  await page.waitForSelector('#preview h2');
  await page.screenshot({ path: path.join(out, 'admin-editor.png') });
  await page.goto(`${base}/articles/first-step`);
  await page.screenshot({ path: path.join(out, 'article.png') });
  await browser.close();
} finally {
  server.kill('SIGTERM');
  fs.rmSync(data, { recursive: true, force: true });
}
