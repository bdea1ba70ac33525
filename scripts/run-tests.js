#!/usr/bin/env node
// Runs every test file under the given folders (default: test/ and engine/) with node's test
// runner (TypeScript through tsx), then prints the closing line `N passed, N failed`.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, readFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const folders = roots.length ? roots : ['engine', 'test'];

function collect(dir, out) {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return out;
  }
  if (st.isFile()) {
    if (/\.test\.ts$/.test(dir)) out.push(dir);
    return out;
  }
  for (const entry of readdirSync(dir).sort()) {
    if (entry === 'node_modules' || entry === 'fixtures') continue;
    collect(join(dir, entry), out);
  }
  return out;
}

const files = folders.flatMap((f) => collect(f, []));
if (files.length === 0) {
  console.error(`No test files found under ${folders.join(', ')}.`);
  process.exit(1);
}
const tap = join(mkdtempSync(join(tmpdir(), 'trm-tests-')), 'results.tap');
const args = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${tap}`,
  ...passthrough,
  ...files,
];
const child = spawn(process.execPath, args, {
  stdio: 'inherit',
  env: { ...process.env, TRM_TEST: '1' },
});
child.on('exit', (code, signal) => {
  let passed = 0;
  let failed = 0;
  try {
    const text = readFileSync(tap, 'utf8');
    passed = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
    failed = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    failed = Math.max(failed, 1);
  }
  if (signal) failed = Math.max(failed, 1);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code === 0 && failed === 0 && passed > 0 ? 0 : 1);
});
