// Browser test for the blog import's folder of images (issue 10: はてな's
// and WordPress's images "stay linked unless the owner gives a folder of
// them"): the owner picks the export and the old site's wp-content/uploads
// folder (<input type=file webkitdirectory>) in Chromium, which sends every
// file with its path below the folder; the report says the images were
// stored, and the published article shows the library's copy, not the old
// site's URL.
//
//   cd tests/e2e && npm ci && node --test blog_import.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { here, launchChromium, newPage, startSite, stopSite } from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-blog-import-password';
const WXR = path.join(here, '..', 'integration', 'data', 'wp_export.xml');
let browser, page, uploads;

before(async () => {
  await startSite(site, { email: EMAIL, password: PASSWORD });
  browser = await launchChromium();
  page = await newPage(browser);
  // A copy of wp-content/uploads: the original of the image the posts show.
  uploads = path.join(site.dataDir, '..', 'uploads');
  fs.mkdirSync(path.join(uploads, '2024', '01'), { recursive: true });
  const r = spawnSync('/usr/bin/python3', ['-c',
    'import sys\nfrom PIL import Image\nImage.new("RGB", (64, 48), (200, 100, 50)).save(sys.argv[1])',
    path.join(uploads, '2024', '01', 'inu.jpg')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

test('the owner imports a WordPress export with its uploads folder', async () => {
  await page.goto(`${site.base}/admin/login`);
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/admin\/?$/), page.click('#login-submit')]);
  await page.goto(`${site.base}/admin/blog-import`);
  await page.setInputFiles('#blog-file', WXR);
  await page.setInputFiles('#blog-images', uploads); // a folder: webkitdirectory
  await Promise.all([page.waitForURL(/\/admin\/blog-import\/[A-Za-z0-9_-]{22}/),
                     page.click('#blog-import-start')]);
  await page.waitForSelector('#import-done', { timeout: 120000 });
  const report = await page.textContent('body');
  assert.match(report, /画像：見つかった 2件・保存 2件・見つからない 1件/);
  const pub = await browser.newPage();
  await pub.goto(`${site.base}/articles/${encodeURIComponent('サーバー')}`);
  const srcs = await pub.$$eval('article img, article source',
                                (els) => els.map((e) => e.getAttribute('src') || e.getAttribute('srcset')));
  assert.ok(srcs.some((s) => s && s.includes('/media/')), JSON.stringify(srcs));
  // inu.jpg (in the folder) comes from the library; nai.png (not there) stays linked
  assert.ok(!srcs.some((s) => s && s.includes('old.example.jp/wp-content/uploads/2024/01/inu')),
            JSON.stringify(srcs));
  await pub.close();
});
