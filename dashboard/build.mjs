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
  entryPoints: [path.join(here, 'src/main.tsx')],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  outfile: path.join(out, 'app.js'),
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: !watch,
  sourcemap: true,
  legalComments: 'linked',
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
