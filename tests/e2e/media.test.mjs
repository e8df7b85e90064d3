// Browser test for the media library (issue 10): in the article editor the
// owner adds images with the file picker, by drag and drop and by pasting;
// each is uploaded and its Markdown lands in the body; the featured image
// is chosen the same way. The published article shows the images as
// <picture> (WebP with a JPEG fallback) that really load, and its og:image
// is the featured image. The media library lists what was uploaded.
// Screenshots: out/media-editor.png and out/media-library.png (copied to
// docs/img/ for the README).
//
//   cd tests/e2e && npm ci && node --test media.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, newPage, outDir, startSite, stopSite } from './lib.mjs';

const site = {};
const EMAIL = 'owner@example.com';
const PASSWORD = 'e2e-media-password';
let browser, page, photoPath, articleUrl, featuredUrl;

// A photo made with Pillow: a sky, a sea and a sun.
function makePhoto(file, w, h, sun) {
  const r = spawnSync('/usr/bin/python3', ['-c', `
import sys
from PIL import Image, ImageDraw
w, h = int(sys.argv[2]), int(sys.argv[3])
im = Image.new("RGB", (w, h), (120, 180, 235))
d = ImageDraw.Draw(im)
d.rectangle([0, h * 2 // 3, w, h], fill=(20, 90, 160))
d.ellipse([w // 2 - h // 8, h // 3 - h // 8, w // 2 + h // 8, h // 3 + h // 8], fill=sys.argv[4])
im.save(sys.argv[1], quality=88)
`, file, String(w), String(h), sun], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

before(async () => {
  await startSite(site, { email: EMAIL, password: PASSWORD });
  browser = await launchChromium();
  page = await newPage(browser, { acceptDialogs: true });
  photoPath = path.join(site.dataDir, '..', '夕焼けの海.jpg');
  makePhoto(photoPath, 1800, 1200, '#ff8c1a');
});

after(async () => {
  if (browser) await browser.close();
  await stopSite(site);
});

// Drops (or pastes) a generated PNG on the body textarea, as a browser
// does with a file from the desktop or a screenshot from the clipboard.
async function dropImage(kind, color) {
  await page.evaluate(async ([k, c]) => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 400;
    const g = canvas.getContext('2d');
    g.fillStyle = c;
    g.fillRect(0, 0, 640, 400);
    const blob = await new Promise((res) => canvas.toBlob(res, 'image/png'));
    const dt = new DataTransfer();
    dt.items.add(new File([blob], `${k}.png`, { type: 'image/png' }));
    const ta = document.getElementById('body');
    if (k === 'paste') {
      ta.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    } else {
      ta.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      ta.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, [kind, color]);
}

const imagesInBody = async () => (await page.inputValue('#body')).match(/!\[[^\]]*\]\(\/media\/[^)]+\)/g) || [];

test('owner signs in', async () => {
  await page.goto(`${site.base}/admin/login`);
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(/\/admin\/?$/), page.click('#login-submit')]);
});

test('adds images in the editor by picker, drop and paste', async () => {
  await page.goto(`${site.base}/admin/articles/new`);
  await page.fill('#title', '海辺で撮った写真');
  await page.fill('#body', '週末に海へ行きました。\n');
  await page.setInputFiles('#body-image', photoPath);
  await page.waitForFunction(() => /!\[夕焼けの海\]\(\/media\//.test(document.getElementById('body').value));
  await dropImage('drop', '#2e8b57');
  await page.waitForFunction(() => (document.getElementById('body').value.match(/\/media\//g) || []).length >= 2);
  await dropImage('paste', '#8a2be2');
  await page.waitForFunction(() => (document.getElementById('body').value.match(/\/media\//g) || []).length >= 3);
  assert.equal((await imagesInBody()).length, 3);
  // The featured image, through its own picker.
  await page.setInputFiles('#featured-file', photoPath);
  await page.waitForFunction(() => document.getElementById('featured_image').value.startsWith('/media/'));
  featuredUrl = await page.inputValue('#featured_image');
  assert.match(featuredUrl, /^\/media\/[0-9a-f]{20}-1600x1067\.jpg$/);
  // The preview shows the picture (library images render as <picture>).
  const frame = page.frameLocator('#preview');
  await frame.locator('picture img').first().waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(outDir, 'media-editor.png'), fullPage: true });
});

test('the broadcast editor takes images the same way', async () => {
  const bc = await newPage(browser, { acceptDialogs: true });
  await bc.context().addCookies(await page.context().cookies());
  await bc.goto(`${site.base}/admin/broadcasts/new`);
  await bc.fill('#body', 'メルマガの本文\n');
  await bc.setInputFiles('#body-image', photoPath);
  await bc.waitForFunction(() => /!\[夕焼けの海\]\(\/media\//.test(document.getElementById('body').value));
  await bc.close();
});

test('a refused file says why, in Japanese', async () => {
  const txt = path.join(site.dataDir, '..', 'メモ.jpg');
  fs.writeFileSync(txt, 'これは画像ではありません\n');
  await page.setInputFiles('#body-image', txt);
  const status = page.locator('.media-bar .media-status.error');
  await status.waitFor();
  assert.match(await status.textContent(), /画像ファイルではありません/);
  assert.equal((await imagesInBody()).length, 3, 'nothing was inserted');
});

test('the published article shows the pictures and its og:image', async () => {
  await Promise.all([page.waitForURL(/\/admin\/articles\/\d+\?saved=/), page.click('#btn-publish')]);
  articleUrl = new URL(await page.locator('#view-public').getAttribute('href'), site.base).href;
  const pub = await newPage(browser);
  await pub.goto(articleUrl);
  const pics = pub.locator('article picture');
  assert.equal(await pics.count(), 3);
  const first = pics.first();
  assert.match(await first.locator('source[type="image/webp"]').getAttribute('srcset'), /480w, .*960w, .*1600w/);
  assert.equal(await first.locator('img').getAttribute('loading'), 'lazy');
  // Every picture really loads (the browser picks the WebP).
  for (let i = 0; i < 3; i++) {
    const img = pics.nth(i).locator('img');
    await img.scrollIntoViewIfNeeded();
    await pub.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
    assert.match(await img.evaluate((el) => el.currentSrc), /\.webp$/);
  }
  const og = await pub.getAttribute('meta[property="og:image"]', 'content');
  assert.equal(og, site.base + featuredUrl);
  assert.equal(await pub.getAttribute('meta[name="twitter:card"]', 'content'), 'summary_large_image');
  const r = await pub.request.get(og);
  assert.equal(r.status(), 200);
  assert.equal(r.headers()['content-type'], 'image/jpeg');
  await pub.close();
});

test('the media library lists the uploads', async () => {
  await page.goto(`${site.base}/admin/media`);
  const items = page.locator('#media-list .media-item');
  assert.equal(await items.count(), 3); // the photo twice is one image
  const urls = await page.locator('#media-list code[id^="media-url-"]').allTextContents();
  assert.ok(urls.includes(featuredUrl), urls.join(' '));
  await page.waitForFunction(() => [...document.querySelectorAll('#media-list img')].every((i) => i.complete && i.naturalWidth > 0));
  await page.screenshot({ path: path.join(outDir, 'media-library.png'), fullPage: true });
});
