#!/usr/bin/env node
// The agent's process entry: `node agent/dist/cli.js` (the systemd unit, the tests, the bench) and `loa-agent`.
// It loads nothing of the agent before the V8 setting below, and then either the single-file build or the modules.
import { setFlagsFromString } from 'node:v8';
import { bundleIsCurrent } from './bundle.js';

// Loading the agent makes V8 grow its young generation to 8–16 MB, which its memory reducer gives back only some
// seconds later, if ever. Keeping it at V8's initial size, as `--max-semi-space-size=1` would (a flag that
// `node agent/dist/cli.js` cannot carry), lowers the start-up peak and the idle figure until then by ~1.5 MB
// (bundle) to ~6 MB (modules); a large timeline is then parsed with more, smaller scavenges. The old generation
// and its limit are untouched (agent/README.md, "Memory").
setFlagsFromString('--semi-space-growth-factor=1');

// `npm run build` also bundles the agent into one file (agent/build.mjs): the same code loaded as one module instead
// of ~300, which saves an idle agent ~15 MB. It runs while it matches the build on disk, else the modules do.
if (bundleIsCurrent(new URL('./loa-agent.json', import.meta.url))) await import(new URL('./loa-agent.mjs', import.meta.url).href);
else await import('./run.js');
