#!/usr/bin/env node
// The `loa-agent` command (npx loa-agent, node_modules/.bin/loa-agent). npm links a workspace's bin at install time,
// before `npm run build` has made dist/, and links nothing when the target is missing; this file is committed, so the
// link always exists, and it runs the build.
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
try {
  await import(cli.href);
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(fileURLToPath(cli))) {
    process.stderr.write(`loa-agent: ${fileURLToPath(cli)} is not built yet: run \`npm run build\` (or \`npx tsc -b agent\`) first\n`);
    process.exit(1);
  }
  throw err;
}
