// The agent's single-file build: dist/run.js (what `tsc -b` compiled) and everything it imports, @loa/shared, zod,
// mqtt and pino included, bundled into dist/loa-agent.mjs, which dist/cli.js runs while the build stamps recorded in
// dist/loa-agent.json are unchanged. The same code as one module instead of ~300 saves an idle agent ~15 MB: Node's
// module loader and what it keeps per module, and the CommonJS export parser it compiles to WebAssembly for mqtt and
// pino (agent/README.md, "Memory"). Run after `tsc -b` (`npm run build` does both).
import { realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const dist = path.join(here, 'dist');
const entry = path.join(dist, 'run.js');
const outfile = path.join(dist, 'loa-agent.mjs');
const manifest = path.join(dist, 'loa-agent.json');

const fail = (message) => {
  console.error(`agent/build.mjs: ${message}`);
  process.exit(1);
};

/**
 * What the bundle is made from, as the files every rebuild of it rewrites: the build info of each TypeScript project
 * compiled into it and npm's record of node_modules. dist/cli.js runs the bundle only while their size and time are
 * those recorded, so a `tsc -b` that recompiled anything (or an `npm ci`) after this build never leaves an outdated
 * bundle running; three stats keep that check out of the agent's start-up cost.
 */
const stamps = [
  { root: path.join(repo, 'agent', 'dist'), file: path.join(dist, '.tsbuildinfo') },
  { root: path.join(repo, 'shared', 'dist'), file: path.join(repo, 'shared', 'dist', '.tsbuildinfo') },
  { root: path.join(repo, 'node_modules'), file: path.join(repo, 'node_modules', '.package-lock.json') },
];
const readStamps = () =>
  Object.fromEntries(
    stamps.map(({ file }) => {
      let s;
      try {
        s = statSync(file);
      } catch {
        fail(`${file} is missing (\`tsc -b agent\` and \`npm ci\` make it): run them first`);
      }
      return [path.relative(dist, file).split(path.sep).join('/'), { size: s.size, mtimeMs: s.mtimeMs }];
    }),
  );

/** zod's `z` namespace holds every locale (~370 kB of source, 64 modules); the agent uses the English default only. */
const noZodLocales = {
  name: 'no-zod-locales',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

try {
  statSync(entry);
} catch {
  fail(`${entry} is missing: run \`tsc -b agent\` first`);
}
// Read before bundling: a build running meanwhile then makes the bundle outdated, never the other way round.
const before = readStamps();
// No manifest while the bundle is replaced: dist/cli.js then runs the modules.
rmSync(manifest, { force: true });
const result = await esbuild.build({
  entryPoints: [entry],
  outfile: `${outfile}.tmp`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Whitespace and syntax only: identifiers stay readable in a logged stack trace.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  define: { LOA_AGENT_BUNDLE: 'true' },
  // Bundled CommonJS (mqtt, pino) calls require() for Node's own modules.
  banner: { js: "import { createRequire as __loaCreateRequire } from 'node:module'; const require = __loaCreateRequire(import.meta.url);" },
  // ffmpeg's installer finds its per-platform package at run time; player.ts requires it at the first play.
  external: ['@ffmpeg-installer/*'],
  plugins: [noZodLocales],
  metafile: true,
  logLevel: 'warning',
});
for (const input of Object.keys(result.metafile.inputs)) {
  const file = realpathSync(path.resolve(input));
  if (!stamps.some((s) => file.startsWith(s.root + path.sep))) fail(`${file} is bundled but no build stamp covers it: add its project to the stamps`);
}
renameSync(`${outfile}.tmp`, outfile);
if (JSON.stringify(readStamps()) !== JSON.stringify(before)) fail('a build ran while bundling: run agent/build.mjs again');
writeFileSync(`${manifest}.tmp`, `${JSON.stringify({ bundle: path.basename(outfile), inputs: before }, null, 1)}\n`);
renameSync(`${manifest}.tmp`, manifest);
const kb = (statSync(outfile).size / 1024).toFixed(0);
console.log(`agent/build.mjs: ${path.relative(process.cwd(), outfile)} (${kb} kB from ${Object.keys(result.metafile.inputs).length} files)`);
