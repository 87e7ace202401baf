#!/usr/bin/env node
// Runs node's built-in test runner over test/**/*.test.ts (Node 20's --test has no globbing).
// `unit` = everything except test/interop (needs only Node); `interop` = test/interop (DCMTK, Orthanc, netns).
// Extra arguments are passed to node --test (e.g. --test-name-pattern).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const [suite = 'unit', ...rest] = process.argv.slice(2);
const root = join(import.meta.dirname, '..');
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
};
walk(join(root, 'test'));
const chosen = files.filter((f) => (suite === 'interop') === f.startsWith(join('test', 'interop')));
const only = rest.filter((a) => !a.startsWith('--'));
const flags = rest.filter((a) => a.startsWith('--'));
const selected = only.length ? chosen.filter((f) => only.some((o) => f.includes(o))) : chosen;
if (selected.length === 0) {
  console.error(`no test files for suite ${suite}`);
  process.exit(1);
}
const concurrency = suite === 'interop' ? '1' : '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...flags, ...selected],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
