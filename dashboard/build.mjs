// Bundles the dashboard into dist/ (one JS file, one CSS file, index.html). The server serves dist/ at "/".
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'dist');
const watch = process.argv.includes('--dev');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  // app.js, plus chunks for what pages import lazily (Leaflet for the map, issue 19): `splitting` writes them as
  // chunk-*.js beside it, fetched on the first page that needs them.
  entryPoints: { app: path.join(here, 'src/main.tsx') },
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  format: 'esm',
  target: 'es2020',
  outdir: out,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !watch,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
// The map's styles (Leaflet's, markercluster's and ours) as dist/map.css, loaded by the first map (leaflet-loader.ts);
// Leaflet's few images (layer icons) are inlined as data: URLs, which the dashboard's img-src allows.
await build({
  entryPoints: { map: path.join(here, 'src/components/map.css') },
  bundle: true,
  outdir: out,
  minify: !watch,
  loader: { '.png': 'dataurl', '.svg': 'dataurl' },
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'src/index.html'), path.join(out, 'index.html'));
copyFileSync(path.join(here, 'src/styles.css'), path.join(out, 'styles.css'));
// The residents' public feedback page (issue 17): a separate, light bundle (Preact, no zod) served at /gop-y/.
const publicOut = path.join(out, 'gop-y');
mkdirSync(publicOut, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src/public-feedback/main.tsx')],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  outfile: path.join(publicOut, 'app.js'),
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !watch,
  // Vietnamese text as UTF-8 rather than \u escapes: fewer bytes on a 3G line (module scripts are always UTF-8).
  charset: 'utf8',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'src/public-feedback/index.html'), path.join(publicOut, 'index.html'));
copyFileSync(path.join(here, 'src/public-feedback/styles.css'), path.join(publicOut, 'styles.css'));
process.stdout.write(`dashboard built into ${path.relative(process.cwd(), out) || out}\n`);
