#!/usr/bin/env node
// Agent release packages (issue 20): `npm run package:agent-release -- [--version X] [--out DIR] [--key FILE]`.
//
// A release is a directory the launcher (agent/boot/boot.mjs) runs as `current/<manifest.entry>`:
//   cli.mjs         the V8 setting of agent/src/cli.ts, then the bundle
//   loa-agent.mjs   the whole agent in one ES module (as agent/build.mjs makes it), its version baked in
//   package.json    {"type":"module"}
//   manifest.json   releaseManifestSchema: version, protocol, node range, entry and the sha256 of every other file
// and a package is that tree as loa-agent-<version>.tar.gz, signed (detached .tar.gz.sig) with the offline release key.
// Nothing in a release needs node_modules: ffmpeg comes from the system (Debian's `ffmpeg` on PATH) when
// @ffmpeg-installer cannot be resolved.
//
// The Debian packaging imports buildReleaseTree to lay out releases/<version> in the .deb: keep its signature.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const agentDir = path.resolve(here, '..');
const repo = path.resolve(agentDir, '..');
const sharedSrc = path.join(repo, 'shared', 'src');

/** The release's entry: the same first lines as agent/src/cli.ts (see there why), then the bundle. */
const CLI = `#!/usr/bin/env node
// Entry of a Loa agent release (made by agent/release/build-release.mjs); see agent/src/cli.ts for the V8 setting.
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--semi-space-growth-factor=1');
await import('./loa-agent.mjs');
`;

export const RELEASE_ENTRY = 'cli.mjs';

const sha256Of = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** @loa/shared from its sources (the freshest contract), whatever state shared/dist is in. */
const sharedFromSource = {
  name: 'loa-shared-source',
  setup(build) {
    build.onResolve({ filter: /^@loa\/shared(\/.*)?$/ }, (args) => {
      const sub = args.path.slice('@loa/shared'.length).replace(/^\//, '');
      return { path: path.join(sharedSrc, sub === '' ? 'index.ts' : `${sub}.ts`) };
    });
  },
};

/** zod's `z` namespace holds every locale; the agent uses the English default only (as agent/build.mjs). */
const noZodLocales = {
  name: 'no-zod-locales',
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

const defaultVersion = () => JSON.parse(readFileSync(path.join(agentDir, 'package.json'), 'utf8')).version;

const gitCommit = () => {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
};

/**
 * Builds one release tree in `destDir` (created; must not exist or be empty): the bundle from agent/src and
 * shared/src, the entry, package.json and manifest.json. Returns the manifest.
 * @param {string} destDir
 * @param {{ version?: string, commit?: string, builtAt?: number }} [opts]
 */
export async function buildReleaseTree(destDir, opts = {}) {
  const shared = await import(pathToFileURL(path.join(repo, 'shared', 'dist', 'index.js')).href).catch(() => null);
  const version = opts.version ?? defaultVersion();
  if (shared && !shared.releaseVersionSchema.safeParse(version).success) throw new Error(`build-release: "${version}" is not a release version (semver such as 1.2.3)`);
  const commit = opts.commit ?? gitCommit();
  mkdirSync(destDir, { recursive: true });
  if (readdirSync(destDir).length > 0) throw new Error(`build-release: ${destDir} is not empty`);
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(agentDir, 'src', 'run.ts')],
    outfile: path.join(destDir, 'loa-agent.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    tsconfig: path.join(agentDir, 'tsconfig.json'),
    define: { LOA_AGENT_BUNDLE: 'true', LOA_AGENT_RELEASE_VERSION: JSON.stringify(version) },
    banner: { js: "import { createRequire as __loaCreateRequire } from 'node:module'; const require = __loaCreateRequire(import.meta.url);" },
    // Resolved at run time, when present (a development checkout); a board uses Debian's ffmpeg (player.ts).
    external: ['@ffmpeg-installer/*'],
    plugins: [sharedFromSource, noZodLocales],
    logLevel: 'warning',
  });
  writeFileSync(path.join(destDir, RELEASE_ENTRY), CLI, { mode: 0o755 });
  writeFileSync(path.join(destDir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
  const protocol = shared?.PROTOCOL_VERSION ?? Number(/PROTOCOL_VERSION = (\d+)/.exec(readFileSync(path.join(sharedSrc, 'version.ts'), 'utf8'))?.[1]);
  const node = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).engines?.node ?? '>=20';
  const files = ['loa-agent.mjs', RELEASE_ENTRY, 'package.json'].map((f) => ({ path: f, sha256: sha256Of(path.join(destDir, f)), size: statSync(path.join(destDir, f)).size }));
  const manifest = {
    format: 1,
    name: 'loa-agent',
    version,
    protocol,
    node,
    entry: RELEASE_ENTRY,
    builtAt: opts.builtAt ?? Date.now(),
    ...(commit ? { commit } : {}),
    files,
  };
  if (shared) shared.releaseManifestSchema.parse(manifest);
  writeFileSync(path.join(destDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

/**
 * Packs a release tree into `<outDir>/loa-agent-<version>.tar.gz` (files at the archive root, manifest first)
 * and, with a private key PEM, writes its detached signature next to it. Returns the paths, sha256 and size.
 * @param {string} treeDir
 * @param {string} outDir
 * @param {{ keyPem?: string }} [opts]
 */
export async function packReleaseTree(treeDir, outDir, opts = {}) {
  const manifest = JSON.parse(readFileSync(path.join(treeDir, 'manifest.json'), 'utf8'));
  const tar = await import('tar');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `loa-agent-${manifest.version}.tar.gz`);
  const entries = ['manifest.json', ...manifest.files.map((f) => f.path)];
  await tar.create({ gzip: { level: 9 }, file: `${file}.tmp`, cwd: treeDir, portable: true, noDirRecurse: true }, entries);
  renameSync(`${file}.tmp`, file);
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const size = bytes.length;
  let signatureFile;
  if (opts.keyPem) {
    const { signRelease } = await import(pathToFileURL(path.join(repo, 'shared', 'dist', 'index.js')).href);
    signatureFile = `${file}.sig`;
    writeFileSync(signatureFile, `${JSON.stringify(signRelease(opts.keyPem, { version: manifest.version, sha256, size }), null, 1)}\n`);
  }
  return { file, signatureFile, sha256, size, version: manifest.version, manifest };
}

/**
 * The whole release: a tree in a scratch directory, then the package (and signature) in `outDir`.
 * @param {{ outDir: string, version?: string, commit?: string, keyFile?: string, keyPem?: string, mutateTree?: (dir: string) => void | Promise<void> }} opts
 *   mutateTree: lets a test make a deliberately broken release from a real one (before the manifest hashes are taken
 *   again); never used by the script.
 */
export async function buildReleasePackage(opts) {
  const version = opts.version ?? defaultVersion();
  const scratch = path.join(opts.outDir, `.tree-${version}-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  try {
    await buildReleaseTree(scratch, { version, ...(opts.commit ? { commit: opts.commit } : {}) });
    if (opts.mutateTree) {
      await opts.mutateTree(scratch);
      rehash(scratch);
    }
    const keyPem = opts.keyPem ?? (opts.keyFile ? readFileSync(opts.keyFile, 'utf8') : undefined);
    return await packReleaseTree(scratch, opts.outDir, keyPem ? { keyPem } : {});
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Takes the manifest's file hashes again after a change to the tree. */
export function rehash(treeDir) {
  const file = path.join(treeDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  manifest.files = manifest.files.map((f) => ({ path: f.path, sha256: sha256Of(path.join(treeDir, f.path)), size: statSync(path.join(treeDir, f.path)).size }));
  writeFileSync(file, `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

async function cli(argv) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    args: argv,
    options: { version: { type: 'string' }, out: { type: 'string' }, key: { type: 'string' }, commit: { type: 'string' }, tree: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(
      [
        'Usage: node agent/release/build-release.mjs [--version X] [--out DIR] [--key FILE] [--commit SHA]',
        '       node agent/release/build-release.mjs --tree DIR [--version X]   (an unpacked release only)',
        '',
        'Builds loa-agent-<version>.tar.gz (default version: agent/package.json, out: release/) and with --key',
        'its detached signature <package>.sig (see agent/release/release-key.mjs).',
      ].join('\n'),
    );
    return;
  }
  if (values.tree) {
    const m = await buildReleaseTree(path.resolve(values.tree), { ...(values.version ? { version: values.version } : {}), ...(values.commit ? { commit: values.commit } : {}) });
    console.log(`build-release: release ${m.version} laid out in ${values.tree}`);
    return;
  }
  const r = await buildReleasePackage({
    outDir: path.resolve(values.out ?? path.join(repo, 'release')),
    ...(values.version ? { version: values.version } : {}),
    ...(values.commit ? { commit: values.commit } : {}),
    ...(values.key ? { keyFile: values.key } : {}),
  });
  console.log(`build-release: ${path.relative(process.cwd(), r.file)} (${(r.size / 1024).toFixed(0)} kB, sha256 ${r.sha256})`);
  if (r.signatureFile) console.log(`build-release: signed: ${path.relative(process.cwd(), r.signatureFile)}`);
  else console.log('build-release: not signed (give --key FILE, or sign later with agent/release/release-key.mjs sign)');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((err) => {
    console.error(`build-release: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
