#!/usr/bin/env node
// The `loa-server` command (npx loa-server, node_modules/.bin/loa-server): `loa-server [start]`, `backup`, `restore`.
// npm links a workspace's bin at install time, before `npm run build` has made dist/, and links nothing when the
// target is missing; this file is committed, so the link always exists, and it runs the build.
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
try {
  await import(main.href);
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(fileURLToPath(main))) {
    process.stderr.write(`loa-server: ${fileURLToPath(main)} is not built yet: run \`npm run build\` (or \`npx tsc -b server\`) first\n`);
    process.exit(1);
  }
  throw err;
}
