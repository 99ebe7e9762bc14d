#!/usr/bin/env node
// Debian packages of the agent and the server (issue 20): `npm run package:deb -- [options]` builds the workspace,
// then this script lays each package out in a staging tree and hands it to `dpkg-deb --build --root-owner-group`.
//
//   loa-agent_<version>_all.deb     /opt/loa-agent/boot.mjs + releases/<version>/ (agent/release/build-release.mjs),
//                                   the `current` link made by postinst (the layout of shared/src/ota.ts)
//   loa-server_<version>_<arch>.deb /opt/loa/{server,dashboard}/… with the production node_modules of the workspace,
//                                   copied as `npm ls --omit=dev` lists them (better-sqlite3 is native: <arch> is
//                                   the build machine's, and so is the Node.js ABI it was compiled for)
//
// Both ship their systemd unit (deploy/systemd/), an /etc/loa/*.env conffile from deploy/*.env.sample and a
// /usr/bin command; the maintainer scripts are deploy/debian/<package>/. Run after `npm run build` (it reads the
// built server/dist, shared/dist, dashboard/dist and the installed node_modules; the agent is bundled from source).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const HOMEPAGE = 'https://github.com/loa-project/loa';
const DEFAULT_MAINTAINER = 'Loa developers <loa-project@users.noreply.github.com>';
const COMPRESSIONS = ['xz', 'gzip', 'zstd', 'none'];

const USAGE = `Usage: node deploy/debian/build.mjs [--only agent|server] [--version X] [--out DIR] [--compress xz|gzip|zstd|none]

Builds loa-agent_<version>_all.deb and loa-server_<version>_<arch>.deb into DIR (default dist-packages/).
  --version X     the agent release version (default: agent/package.json); the server's is server/package.json
  --compress C    dpkg-deb compression (default xz; gzip or none build faster, for tests)
  --maintainer M  the Maintainer field (default: $LOA_DEB_MAINTAINER or "${DEFAULT_MAINTAINER}")
Run \`npm run build\` first (npm run package:deb does).`;

class BuildError extends Error {}
const fail = (message) => {
  throw new BuildError(message);
};

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/**
 * A semver (1.2.3, 1.2.3-rc.1+abc) as a Debian version: a pre-release sorts before its release with `~`, and a
 * hyphen would make dpkg read the rest as a Debian revision.
 */
export function debianVersion(semver) {
  const m = /^(\d+\.\d+\.\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(semver);
  if (!m) fail(`"${semver}" is not a semver version such as 1.2.3`);
  return `${m[1]}${m[2] ? `~${m[2].replace(/-/g, '.')}` : ''}${m[3] ? `+${m[3].replace(/-/g, '.')}` : ''}`;
}

/** Every path under `root` (files, symlinks, directories), depth first, relative to root. */
function walk(root, rel = '') {
  const out = [];
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = lstatSync(path.join(root, r));
    out.push({ rel: r, st });
    if (st.isDirectory()) out.push(...walk(root, r));
  }
  return out;
}

/**
 * Modes as Debian expects them whatever the umask or the npm tarball said: directories 0755, files 0755 when any
 * execute bit is set, else 0644. Returns Installed-Size in KiB as dpkg-gencontrol counts it (each file rounded up
 * to a KiB, one per directory and symlink).
 */
function normalise(stage) {
  let kib = 0;
  for (const { rel, st } of walk(stage)) {
    if (rel === 'DEBIAN' || rel.startsWith('DEBIAN/')) continue;
    const file = path.join(stage, rel);
    if (st.isDirectory()) {
      chmodSync(file, 0o755);
      kib += 1;
    } else if (st.isSymbolicLink()) {
      kib += 1;
    } else {
      chmodSync(file, st.mode & 0o111 ? 0o755 : 0o644);
      kib += Math.ceil(st.size / 1024) || 1;
    }
  }
  return kib;
}

function writeMd5sums(stage) {
  const lines = walk(stage)
    .filter(({ rel, st }) => st.isFile() && !rel.startsWith('DEBIAN/'))
    .map(({ rel }) => `${createHash('md5').update(readFileSync(path.join(stage, rel))).digest('hex')}  ${rel}`);
  writeFileSync(path.join(stage, 'DEBIAN', 'md5sums'), `${lines.join('\n')}\n`, { mode: 0o644 });
}

function put(stage, rel, content, mode = 0o644) {
  const file = path.join(stage, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
}

/** copyright and changelog, which dpkg and lintian look for in every package. */
function docs(stage, pkg, version, maintainer, extra = []) {
  const doc = `usr/share/doc/${pkg}`;
  put(
    stage,
    `${doc}/copyright`,
    [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      `Upstream-Name: loa`,
      `Source: ${HOMEPAGE}`,
      '',
      'Files: *',
      'Copyright: the Loa developers',
      'License: AGPL-3.0-or-later',
      pkg === 'loa-server'
        ? ' The third-party modules under /opt/loa/node_modules keep their own licences, each in its directory.'
        : ' The agent bundle lists the licences of the modules built into it at its end (legal comments).',
      '',
    ].join('\n'),
  );
  const changelog = `${pkg} (${version}) unstable; urgency=medium\n\n  * Release ${version}; see ${HOMEPAGE}.\n\n -- ${maintainer}  ${new Date().toUTCString().replace('GMT', '+0000')}\n`;
  put(stage, `${doc}/changelog.gz`, gzipSync(changelog, { level: 9 }));
  for (const [name, content] of extra) put(stage, `${doc}/${name}`, content);
}

function control(stage, fields, scripts) {
  const lines = Object.entries(fields).map(([k, v]) => `${k}: ${v}`);
  put(stage, 'DEBIAN/control', `${lines.join('\n')}\n`);
  for (const [name, content] of Object.entries(scripts)) put(stage, `DEBIAN/${name}`, content, name === 'conffiles' ? 0o644 : 0o755);
  writeMd5sums(stage);
}

function dpkgDeb(stage, outFile, compress) {
  const args = ['--root-owner-group', `-Z${compress}`, ...(compress === 'gzip' ? ['-z6'] : []), '--build', stage, outFile];
  run('dpkg-deb', args);
  return statSync(outFile).size;
}

const script = (pkg, name, vars = {}) => {
  let text = readFileSync(path.join(here, pkg, name), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`@${k}@`, v);
  if (/@[A-Z]+@/.test(text)) fail(`deploy/debian/${pkg}/${name}: placeholder left: ${/@[A-Z]+@/.exec(text)[0]}`);
  return text;
};

/** The unit as installed: the same file as deploy/systemd/, checked to run what the package ships. */
function unit(name, shipped) {
  const text = readFileSync(path.join(repo, 'deploy', 'systemd', name), 'utf8');
  const exec = /^ExecStart=(\S+)\s+(\S+)/m.exec(text);
  if (!exec || exec[1] !== '/usr/bin/node' || !shipped(exec[2])) fail(`deploy/systemd/${name}: ExecStart ${exec ? `${exec[1]} ${exec[2]}` : '(none)'} is not what the package installs`);
  return text;
}

const nodeDepends = () => {
  const range = readJson(path.join(repo, 'package.json')).engines?.node ?? '>=20.19';
  const m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range);
  if (!m) fail(`package.json engines.node "${range}" is not of the form >=X.Y`);
  return `nodejs (>= ${m[1]})`;
};

async function buildAgent({ stage, outDir, version, compress, maintainer }) {
  const boot = path.join(repo, 'agent', 'boot', 'boot.mjs');
  const release = path.join(repo, 'agent', 'release', 'build-release.mjs');
  for (const f of [boot, release]) if (!existsSync(f)) fail(`${path.relative(repo, f)} is missing`);
  const { buildReleaseTree } = await import(pathToFileURL(release).href);
  const releaseDir = path.join(stage, 'opt', 'loa-agent', 'releases', version);
  const manifest = await buildReleaseTree(releaseDir, { version });
  if (manifest.version !== version) fail(`buildReleaseTree made release ${manifest.version}, not ${version}`);
  // Executable like any script with a #! line, though the unit runs it as `node boot.mjs`.
  put(stage, 'opt/loa-agent/boot.mjs', readFileSync(boot), 0o755);
  put(stage, 'lib/systemd/system/loa-agent.service', unit('loa-agent.service', (p) => p === '/opt/loa-agent/boot.mjs'));
  put(stage, 'usr/bin/loa-agent', readFileSync(path.join(here, 'loa-agent', 'loa-agent')), 0o755);
  put(stage, 'etc/loa/agent.env', readFileSync(path.join(repo, 'deploy', 'agent.env.sample')));
  const debVersion = debianVersion(version);
  docs(stage, 'loa-agent', debVersion, maintainer, [['examples/agent.config.sample.json', readFileSync(path.join(repo, 'deploy', 'agent.config.sample.json'))]]);
  const installedSize = normalise(stage);
  control(
    stage,
    {
      Package: 'loa-agent',
      Version: debVersion,
      Architecture: 'all',
      Maintainer: maintainer,
      'Installed-Size': installedSize,
      // ffmpeg plays the audio (Debian's, on PATH: a release carries no node_modules); adduser makes the user.
      Depends: `${nodeDepends()}, ffmpeg, adduser`,
      Section: 'net',
      Priority: 'optional',
      Homepage: HOMEPAGE,
      Description: [
        'Loa edge agent for IP loudspeakers and public e-boards',
        ' Plays the device timeline sent by a Loa server on time, online or offline:',
        ' audio through ALSA with ffmpeg on a loudspeaker controller, notices on a',
        ' local kiosk page on an e-board. Updates itself over the air with signed',
        ' releases, rolling back one that does not prove healthy.',
      ].join('\n'),
    },
    {
      conffiles: '/etc/loa/agent.env\n',
      postinst: script('loa-agent', 'postinst', { RELEASE: version }),
      prerm: script('loa-agent', 'prerm'),
      postrm: script('loa-agent', 'postrm'),
    },
  );
  const file = path.join(outDir, `loa-agent_${debVersion}_all.deb`);
  return { file, size: dpkgDeb(stage, file, compress), installedSize };
}

/** What a production package directory may leave out: type declarations, source maps, native build leftovers. */
const PRUNE_FILE = /\.(?:d\.[cm]?ts|d\.ts\.map|tsbuildinfo)$|\.map$/;
function copyPackage(src, dest) {
  const native = existsSync(path.join(src, 'binding.gyp'));
  cpSync(src, dest, {
    recursive: true,
    dereference: true,
    filter: (from) => {
      const rel = path.relative(src, from).split(path.sep).join('/');
      if (rel === '') return true;
      // Nested dependencies are copied on their own, as npm ls lists them (dev ones are not).
      if (rel === 'node_modules' || rel.startsWith('node_modules/')) return false;
      if (PRUNE_FILE.test(rel)) return false;
      // A native module needs its compiled .node file, not the sources and objects it was built from.
      if (native && (/^(?:deps|src)(?:\/|$)/.test(rel) || (rel.startsWith('build/') && rel !== 'build' && rel !== 'build/Release' && !/^build\/Release\/[^/]+\.node$/.test(rel)))) return false;
      return true;
    },
  });
}

function productionModules() {
  const r = spawnSync('npm', ['ls', '-w', 'server', '--omit=dev', '--all', '--parseable'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) fail(`npm ls --omit=dev failed (run \`npm ci\`?):\n${r.stderr}`);
  const paths = [...new Set(r.stdout.split('\n').filter(Boolean))];
  return paths.map((p) => path.relative(repo, p).split(path.sep).join('/')).filter((rel) => rel.includes('node_modules/'));
}

async function buildServer({ stage, outDir, compress, maintainer }) {
  const need = ['server/dist/main.js', 'shared/dist/index.js', 'dashboard/dist/index.html'];
  for (const f of need) if (!existsSync(path.join(repo, f))) fail(`${f} is missing: run \`npm run build\` first`);
  const version = readJson(path.join(repo, 'server', 'package.json')).version;
  const opt = path.join(stage, 'opt', 'loa');
  const built = (from, to) => cpSync(path.join(repo, from), path.join(opt, to), { recursive: true, filter: (f) => !PRUNE_FILE.test(path.basename(f)) || f.endsWith('.js.map') });
  built('server/dist', 'server/dist');
  // Files tsc does not copy (the CAP schema) go beside their module, where the server looks first.
  for (const { rel, st } of walk(path.join(repo, 'server', 'src'))) {
    if (st.isFile() && !rel.endsWith('.ts')) cpSync(path.join(repo, 'server', 'src', rel), path.join(opt, 'server', 'dist', rel));
  }
  cpSync(path.join(repo, 'server', 'package.json'), path.join(opt, 'server', 'package.json'));
  if (existsSync(path.join(repo, 'server', 'bin'))) built('server/bin', 'server/bin');
  built('dashboard/dist', 'dashboard/dist');
  let modules = 0;
  for (const rel of productionModules()) {
    const src = path.join(repo, rel);
    if (!existsSync(src)) continue; // an optional dependency of another platform
    const dest = path.join(opt, rel);
    if (lstatSync(src).isSymbolicLink()) {
      // A workspace package (@loa/shared): a real directory with what it publishes, never a link out of /opt/loa.
      const real = realpathSync(src);
      if (real === path.join(repo, 'server')) continue;
      const pkg = readJson(path.join(real, 'package.json'));
      if (!existsSync(path.join(real, 'dist'))) fail(`${pkg.name}: ${path.relative(repo, real)}/dist is missing: run \`npm run build\``);
      mkdirSync(dest, { recursive: true });
      cpSync(path.join(real, 'package.json'), path.join(dest, 'package.json'));
      cpSync(path.join(real, 'dist'), path.join(dest, 'dist'), { recursive: true, filter: (f) => !PRUNE_FILE.test(path.basename(f)) || f.endsWith('.js.map') });
    } else {
      copyPackage(src, dest);
    }
    modules++;
  }
  if (!existsSync(path.join(opt, 'node_modules', '@loa', 'shared', 'dist', 'index.js'))) fail('@loa/shared did not make it into the package');
  put(stage, 'lib/systemd/system/loa-server.service', unit('loa-server.service', (p) => existsSync(path.join(stage, p))));
  put(stage, 'usr/bin/loa-server', readFileSync(path.join(here, 'loa-server', 'loa-server')), 0o755);
  put(stage, 'etc/loa/server.env', readFileSync(path.join(repo, 'deploy', 'server.env.sample')));
  const arch = run('dpkg', ['--print-architecture']).trim();
  const debVersion = debianVersion(version);
  docs(stage, 'loa-server', debVersion, maintainer, [['examples/server.config.sample.json', readFileSync(path.join(repo, 'deploy', 'server.config.sample.json'))]]);
  const installedSize = normalise(stage);
  // The native module (better-sqlite3) is compiled for this Node.js major's ABI: another major cannot load it.
  const major = Number(process.versions.node.split('.')[0]);
  control(
    stage,
    {
      Package: 'loa-server',
      Version: debVersion,
      Architecture: arch,
      Maintainer: maintainer,
      'Installed-Size': installedSize,
      Depends: `${nodeDepends()}, nodejs (<< ${major + 1}), adduser`,
      // `loa-server backup` of a PostgreSQL database runs pg_dump.
      Suggests: 'postgresql-client',
      Section: 'net',
      Priority: 'optional',
      Homepage: HOMEPAGE,
      Description: [
        'Loa server for grassroots information broadcast',
        ' REST API and operators\' dashboard, embedded MQTT broker for the devices,',
        ' scheduling, approvals, alerts and proof of play for IP loudspeakers and',
        ' public e-boards. SQLite by default, or PostgreSQL.',
      ].join('\n'),
    },
    {
      conffiles: '/etc/loa/server.env\n',
      postinst: script('loa-server', 'postinst'),
      prerm: script('loa-server', 'prerm'),
      postrm: script('loa-server', 'postrm'),
    },
  );
  const file = path.join(outDir, `loa-server_${debVersion}_${arch}.deb`);
  return { file, size: dpkgDeb(stage, file, compress), installedSize, modules };
}

/**
 * Builds the packages; returns what it made. `only` picks one; `version` is the agent release version.
 * @param {{ outDir?: string, only?: 'agent' | 'server', version?: string, compress?: string, maintainer?: string }} [opts]
 */
export async function buildPackages(opts = {}) {
  const outDir = path.resolve(opts.outDir ?? path.join(repo, 'dist-packages'));
  const compress = opts.compress ?? 'xz';
  if (!COMPRESSIONS.includes(compress)) fail(`--compress ${compress}: one of ${COMPRESSIONS.join(', ')}`);
  const maintainer = opts.maintainer ?? process.env.LOA_DEB_MAINTAINER ?? DEFAULT_MAINTAINER;
  const version = opts.version ?? readJson(path.join(repo, 'agent', 'package.json')).version;
  mkdirSync(outDir, { recursive: true });
  const made = {};
  for (const which of ['agent', 'server']) {
    if (opts.only && opts.only !== which) continue;
    const started = Date.now();
    const stage = path.join(outDir, `.stage-loa-${which}-${process.pid}`);
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { recursive: true });
    try {
      const r = which === 'agent' ? await buildAgent({ stage, outDir, version, compress, maintainer }) : await buildServer({ stage, outDir, compress, maintainer });
      made[which] = { ...r, seconds: (Date.now() - started) / 1000 };
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }
  return made;
}

async function cli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { only: { type: 'string' }, version: { type: 'string' }, out: { type: 'string' }, compress: { type: 'string' }, maintainer: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.only && values.only !== 'agent' && values.only !== 'server') fail(`--only ${values.only}: agent or server`);
  const made = await buildPackages({ outDir: values.out, only: values.only, version: values.version, compress: values.compress, maintainer: values.maintainer });
  for (const r of Object.values(made)) {
    const mb = (n) => (n / 1024 / 1024).toFixed(1);
    console.log(`deploy/debian: ${path.relative(process.cwd(), r.file)}: ${mb(r.size)} MB (installed ${mb(r.installedSize * 1024)} MB) in ${r.seconds.toFixed(1)} s`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((err) => {
    console.error(`deploy/debian/build.mjs: ${err instanceof BuildError ? err.message : (err?.stack ?? String(err))}`);
    process.exit(1);
  });
}
