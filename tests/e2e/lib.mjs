// Helpers shared by the browser tests: the binary under test, its
// sanitizer environment, free ports, the CLI, the server and the capturing
// SMTP server (start, wait until healthy, stop and check), polling, the
// captured mails and Debian's Chromium.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const outDir = path.join(here, 'out');
const PY = '/usr/bin/python3';
export const bin = path.resolve(process.env.JINMYAKU_BIN || path.join(root, 'build-asan', 'jinmyaku'));
export const SANITIZER = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/;

export function sanitizerEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('JINMYAKU_') && !/proxy/i.test(k)) env[k] = v;
  env.ASAN_OPTIONS = 'detect_leaks=1:abort_on_error=0:halt_on_error=1';
  env.UBSAN_OPTIONS = 'print_stacktrace=1:halt_on_error=1';
  const supp = path.join(root, 'tests', 'lsan.supp');
  if (fs.existsSync(supp)) env.LSAN_OPTIONS = `suppressions=${supp}`;
  return env;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

// Runs `jinmyaku ARGS --data DATA_DIR`; fails the test on a non-zero exit
// or a sanitizer report. Returns stdout.
export function runCli(dataDir, args, input) {
  const r = spawnSync(bin, [...args, '--data', dataDir],
    { input, encoding: 'utf8', env: sanitizerEnv(), cwd: root, timeout: 120000 });
  assert.equal(SANITIZER.test(r.stderr || ''), false, `sanitizer report from ${args}:\n${r.stderr}`);
  assert.equal(r.status, 0, `jinmyaku ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// Debian's Chromium with the flags this closed network needs.
export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// Polls fn until it returns a truthy value (a deadline for the loop, not a
// timing assertion).
export async function until(fn, what, deadlineMs = 60000) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

// Starts smtp_capture.py (one .eml file per message in mailDir) on a free
// port; resolves to { proc, port } once it listens.
export async function startSmtp(mailDir) {
  const port = await freePort();
  const proc = spawn(PY, [path.join(here, 'smtp_capture.py'), String(port), mailDir],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    proc.stdout.once('data', resolve);
    proc.once('exit', (c) => reject(new Error(`smtp_capture exited ${c}`)));
  });
  return { proc, port };
}

// The mails captured in mailDir to addr, oldest first (smtp_capture.py
// --show: {rcpt, subject, text, links, reply_to, ...}).
export function mailsTo(mailDir, addr) {
  const files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir).filter((f) => f.endsWith('.eml')).sort() : [];
  const out = [];
  for (const f of files) {
    const r = spawnSync(PY, [path.join(here, 'smtp_capture.py'), '--show', path.join(mailDir, f)],
      { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    if (m.rcpt.includes(addr)) out.push(m);
  }
  return out;
}

// Spawns `jinmyaku serve` on 127.0.0.1:port with its stderr in errPath and
// the sanitizer environment plus extraEnv. Returns the process at once so
// the caller can stop it even when it never becomes healthy.
export function spawnServer(dataDir, port, errPath, extraEnv = {}) {
  const err = fs.openSync(errPath, 'w');
  const proc = spawn(bin, ['serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`],
    { env: { ...sanitizerEnv(), ...extraEnv }, cwd: root, stdio: ['ignore', 'ignore', err] });
  fs.closeSync(err);
  return proc;
}

export async function waitHealthy(proc, port, errPath, deadlineMs = 60000) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (proc.exitCode !== null) break;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  throw new Error(`jinmyaku did not become healthy:\n${fs.readFileSync(errPath, 'utf8').slice(-4000)}`);
}

// Sends signal (SIGKILL after 30 s) and resolves to { code, signal } once
// proc has exited.
export function stop(proc, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null)
      return resolve({ code: proc ? proc.exitCode : null, signal: proc ? proc.signalCode : null });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
    proc.once('exit', (code, sig) => { clearTimeout(timer); resolve({ code, signal: sig }); });
    proc.kill(signal);
  });
}

// Stops the server with SIGTERM: it must exit 0 without a sanitizer report.
export async function stopServer(proc, errPath) {
  const { code, signal } = await stop(proc);
  const stderr = fs.readFileSync(errPath, 'utf8');
  assert.equal(SANITIZER.test(stderr), false, `sanitizer report in jinmyaku's stderr:\n${stderr.slice(-20000)}`);
  assert.equal(code, 0, `jinmyaku exited ${code} (signal ${signal}) after SIGTERM:\n${stderr.slice(-4000)}`);
}

// Starts the site one test file drives, filling site as it goes (so that
// stopSite cleans up after a failure half-way): a temporary data directory
// (site.dataDir), with mail the capturing SMTP server (site.smtp, mails in
// site.mailDir), `jinmyaku serve` on a free port (site.server, site.base;
// stderr in out/server[-name].stderr) and the owner account.
export async function startSite(site, { name = '', mail = false, email, password }) {
  assert.ok(fs.existsSync(bin), `no jinmyaku binary at ${bin} (make asan, or set JINMYAKU_BIN)`);
  fs.mkdirSync(outDir, { recursive: true });
  const tag = name ? `-${name}` : '';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `jm-e2e${tag}-`));
  site.dataDir = path.join(tmp, 'data');
  site.mailDir = path.join(tmp, 'mail');
  site.errPath = path.join(outDir, `server${tag}.stderr`);
  const env = {};
  if (mail) {
    const capture = await startSmtp(site.mailDir);
    site.smtp = capture.proc;
    env.JINMYAKU_SMTP_URL = `smtp://127.0.0.1:${capture.port}`;
  }
  const port = await freePort();
  site.base = `http://127.0.0.1:${port}`;
  site.server = spawnServer(site.dataDir, port, site.errPath, env);
  await waitHealthy(site.server, port, site.errPath);
  runCli(site.dataDir, ['user', 'add', '--email', email, '--role', 'owner', '--name', 'オーナー'],
    `${password}\n`);
  return site;
}

// Stops what startSite started; the server must exit 0 without a
// sanitizer report.
export async function stopSite(site) {
  await stop(site.smtp);
  if (site.server) await stopServer(site.server, site.errPath);
}

// A page in a fresh Japanese browser context (30 s timeouts); owner pages
// accept confirm() dialogs.
export async function newPage(browser, { acceptDialogs = false } = {}) {
  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
  ctx.setDefaultTimeout(30000);
  const page = await ctx.newPage();
  if (acceptDialogs) page.on('dialog', (d) => d.accept());
  return page;
}

// A phone: what the phone-width tests and their screenshots use.
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true,
  hasTouch: true, locale: 'ja-JP' };

// api(method, path, body) against /api/v1 of base() with the bearer token
// token(): the parsed JSON answer (null when empty); anything but 2xx fails
// the test with the status and the body.
export function apiClient(base, token) {
  return async (method, p, body) => {
    const r = await fetch(`${base()}/api/v1${p}`, { method, body: body && JSON.stringify(body),
      headers: { Authorization: `Bearer ${token()}`, 'Content-Type': 'application/json' } })
      .catch((e) => { throw new Error(`${method} ${p}: ${e.cause}`); });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${p}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}
