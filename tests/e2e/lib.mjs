// Helpers shared by the browser tests: the binary under test, its
// sanitizer environment, free ports, the CLI and Debian's Chromium.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
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
