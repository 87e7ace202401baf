#!/usr/bin/env -S node --max-semi-space-size=1
// Entry point. In a source checkout it loads the TypeScript sources through tsx, so `npm ci &&
// npm start` needs no build step and never runs a stale build; an image built without src/
// (see Dockerfile) runs the compiled dist/ instead.
// --max-semi-space-size=1 (MB): V8 otherwise grows its young generation to tens of MB under the
// per-chunk garbage of a long transfer; capped, RSS stays flat while gigabytes stream through
// (test/interop/memory-1gb-instance.test.ts). `npm start`, the shebang and the image all pass it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli.ts');
let entry;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source;
} else {
  entry = join(root, 'dist', 'cli.js');
}
const { main } = await import(pathToFileURL(entry).href);
await main(process.argv.slice(2));
