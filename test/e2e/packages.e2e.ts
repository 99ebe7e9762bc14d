/**
 * The Debian packages (issue 20), installed for real on this machine (root, as CI): deploy/debian/build.mjs builds
 * loa-agent_<v>_all.deb and loa-server_<v>_<arch>.deb, `dpkg -i` installs them, and the installed files, users,
 * stat overrides, the agent's `current` link and both units (systemd-analyze verify) are checked. Then the installed
 * server runs as its user `loa` on ephemeral ports, the installed agent (`node /opt/loa-agent/boot.mjs`, as the unit
 * runs it, as `loa-agent`) connects to it as a registered device and comes online, and `dpkg --purge` removes both.
 * Packages left by an earlier run are purged first, and afterAll purges them whatever failed.
 */
import { jest } from '@jest/globals';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_PASSWORD, ADMIN_USERNAME, Api, artifactsDir, childEnv, fetchSigningKey, freePorts, loa, ManagedProcess, REPO_ROOT, stopAll, tempDir, WaitAborted, waitFor, type Health } from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'packages';
const PACKAGES = ['loa-agent', 'loa-server'] as const;

const sh = (cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });

/** Runs a command that must succeed; the error quotes its output. */
function must(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = sh(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const status = (pkg: string): string => sh('dpkg-query', ['-W', '-f=${Status}', pkg]).stdout;
const installed = (pkg: string): boolean => status(pkg).includes('install ok installed');
const waivedDepends = (): string[] => ['ffmpeg', 'nodejs'].filter((p) => !installed(p)).map((p) => `--ignore-depends=${p}`);
/** Purges what an earlier run (or a failed one) left: installed, half-installed or only configuration files. */
const purge = (): void => {
  const present = PACKAGES.filter((p) => status(p) !== '' && !status(p).includes('not-installed'));
  if (present.length > 0) must('dpkg', ['--purge', ...present]);
};
const owner = (file: string): string => must('stat', ['-c', '%U:%G %a', file]).trim();
const userId = (name: string): { uid: number; gid: number } => {
  const fields = must('getent', ['passwd', name]).trim().split(':');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
};
/** A process run as a package's system user, the way its unit does (setpriv execs, so the pid is the program's). */
const asUser = (user: string): string[] => ['--reuid', user, '--regid', user, '--init-groups', '--'];

describe('Debian packages: build, install, run, purge', () => {
  const work = tempDir(SUITE);
  const agentVersion = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'agent', 'package.json'), 'utf8')) as { version: string }).version;
  const serverVersion = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'server', 'package.json'), 'utf8')) as { version: string }).version;
  const arch = must('dpkg', ['--print-architecture']).trim();
  const agentDeb = path.join(work, `loa-agent_${agentVersion}_all.deb`);
  const serverDeb = path.join(work, `loa-server_${serverVersion}_${arch}.deb`);
  const timings: Record<string, number> = {};
  let api: Api;
  let baseUrl = '';
  let mqttUrl = '';

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('this test installs packages with dpkg: run it as root (CI does)');
    purge();
  });

  afterAll(async () => {
    await stopAll();
    try {
      purge();
    } finally {
      writeFileSync(path.join(artifactsDir(SUITE), 'timings.json'), `${JSON.stringify(timings, null, 1)}\n`);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('builds both packages with the npm script’s builder', () => {
    const started = Date.now();
    // No compression: the test checks what is inside, and xz takes a minute for the server's ~275 MB.
    const out = must(process.execPath, [path.join(REPO_ROOT, 'deploy/debian/build.mjs'), '--out', work, '--compress', 'none'], { cwd: REPO_ROOT });
    timings.buildSeconds = (Date.now() - started) / 1000;
    expect(out).toContain('loa-agent_');
    for (const deb of [agentDeb, serverDeb]) expect(existsSync(deb)).toBe(true);

    const agentControl = must('dpkg-deb', ['-f', agentDeb]);
    expect(agentControl).toMatch(/^Architecture: all$/m);
    expect(agentControl).toMatch(/^Depends: nodejs \(>= 20\.19\), ffmpeg, adduser$/m);
    expect(agentControl).toMatch(/^Installed-Size: \d+$/m);
    expect(agentControl).toMatch(/^Maintainer: .+ <.+@.+>$/m);
    const serverControl = must('dpkg-deb', ['-f', serverDeb]);
    expect(serverControl).toMatch(new RegExp(`^Architecture: ${arch}$`, 'm'));
    expect(serverControl).toMatch(/^Depends: nodejs \(>= 20\.19\), nodejs \(<< \d+\), adduser$/m);
    // Only production dependencies: no test tooling in the server package.
    const listing = must('dpkg-deb', ['-c', serverDeb]);
    expect(listing).toContain('./opt/loa/node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(listing).toContain('./opt/loa/node_modules/@loa/shared/dist/index.js');
    for (const dev of ['jest', '@nestjs/testing', 'smtp-server', 'esbuild', 'playwright-core', '@swc/core']) expect(listing).not.toContain(`./opt/loa/node_modules/${dev}/`);
  });

  it('installs both packages with dpkg', () => {
    // Where nodejs is a Debian package (NodeSource's here) its dependency is really checked. ffmpeg (the agent's
    // player) is left out of this machine's image, and a Node installed from a tarball is no package: only a
    // dependency that is missing for that reason is waived.
    const waive = waivedDepends();
    const started = Date.now();
    must('dpkg', ['-i', ...waive, agentDeb, serverDeb]);
    timings.installSeconds = (Date.now() - started) / 1000;
    for (const p of PACKAGES) expect(installed(p)).toBe(true);
  });

  it('lays the agent out as shared/src/ota.ts says, with its user, unit and settings', () => {
    expect(statSync('/opt/loa-agent/boot.mjs').isFile()).toBe(true);
    const manifest = JSON.parse(readFileSync(`/opt/loa-agent/releases/${agentVersion}/manifest.json`, 'utf8')) as { version: string; entry: string };
    expect(manifest.version).toBe(agentVersion);
    expect(statSync(`/opt/loa-agent/releases/${agentVersion}/${manifest.entry}`).isFile()).toBe(true);
    expect(lstatSync('/opt/loa-agent/current').isSymbolicLink()).toBe(true);
    expect(readlinkSync('/opt/loa-agent/current')).toBe(`releases/${agentVersion}`);
    // The updater's directories belong to the agent's user; the settings (the device secret) are not world-readable.
    expect(owner('/opt/loa-agent')).toBe('loa-agent:loa-agent 755');
    expect(owner('/opt/loa-agent/releases')).toBe('loa-agent:loa-agent 755');
    expect(owner('/opt/loa-agent/ota')).toBe('loa-agent:loa-agent 750');
    expect(owner('/var/lib/loa-agent')).toBe('loa-agent:loa-agent 750');
    expect(owner('/etc/loa/agent.env')).toBe('root:loa-agent 640');
    expect(must('id', ['-nG', 'loa-agent']).trim().split(' ')).toEqual(expect.arrayContaining(['loa-agent', 'audio']));
    expect(must('getent', ['passwd', 'loa-agent'])).toMatch(/:\/var\/lib\/loa-agent:\/usr\/sbin\/nologin$/m);
    expect(must('dpkg-query', ['-W', '-f=${Conffiles}', 'loa-agent'])).toContain('/etc/loa/agent.env');
    const unit = readFileSync('/lib/systemd/system/loa-agent.service', 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/loa-agent\/boot\.mjs$/m);
    expect(unit).toMatch(/^ReadWritePaths=\/var\/lib\/loa-agent \/opt\/loa-agent$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);

    const help = sh('loa-agent', ['--help']);
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: loa-agent /);
  });

  it('lays the server out under /opt/loa with real directories for the workspace packages', () => {
    expect(statSync('/opt/loa/server/dist/main.js').isFile()).toBe(true);
    expect(statSync('/opt/loa/server/dist/cap/cap-1.2.xsd').isFile()).toBe(true);
    expect(statSync('/opt/loa/dashboard/dist/index.html').isFile()).toBe(true);
    expect(lstatSync('/opt/loa/node_modules/@loa/shared').isDirectory()).toBe(true);
    expect(existsSync('/opt/loa/node_modules/@loa/server')).toBe(false);
    // Nothing in the package points back into the workspace it was built from.
    const links: string[] = [];
    const scan = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isSymbolicLink()) links.push(p);
        else if (e.isDirectory()) scan(p);
      }
    };
    scan('/opt/loa');
    expect(links.filter((l) => !realpathSync(l).startsWith('/opt/loa/'))).toEqual([]);
    expect(owner('/var/lib/loa')).toBe('loa:loa 750');
    expect(owner('/etc/loa/server.env')).toBe('root:loa 640');
    expect(must('getent', ['passwd', 'loa'])).toMatch(/:\/var\/lib\/loa:\/usr\/sbin\/nologin$/m);
    expect(must('dpkg-query', ['-W', '-f=${Conffiles}', 'loa-server'])).toContain('/etc/loa/server.env');
    expect(readFileSync('/lib/systemd/system/loa-server.service', 'utf8')).toMatch(/^ExecStart=\/usr\/bin\/node \/opt\/loa\/server\/dist\/main\.js$/m);

    const help = sh('loa-server', ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: loa-server/);
  });

  it('installs units that systemd-analyze verify accepts', () => {
    const r = sh('systemd-analyze', ['verify', '/lib/systemd/system/loa-agent.service', '/lib/systemd/system/loa-server.service']);
    // Both units name only what the packages and Debian's base system install; nothing is filtered.
    expect({ status: r.status, stderr: r.stderr.trim(), stdout: r.stdout.trim() }).toEqual({ status: 0, stderr: '', stdout: '' });
  });

  it('runs the installed server as its user, and the installed agent comes online against it', async () => {
    const [httpPort, mqttPort] = await freePorts(2);
    baseUrl = `http://127.0.0.1:${httpPort}`;
    mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const serverData = tempDir('packaged-server');
    const agentData = tempDir('packaged-agent');
    const loaUser = userId('loa');
    const agentUser = userId('loa-agent');
    chownSync(serverData, loaUser.uid, loaUser.gid);
    chownSync(agentData, agentUser.uid, agentUser.gid);

    const server = new ManagedProcess('server', 'setpriv', [...asUser('loa'), '/usr/bin/loa-server'], {
      cwd: serverData,
      logDir: artifactsDir(SUITE),
      env: childEnv({
        LOA_HTTP_HOST: '127.0.0.1',
        LOA_HTTP_PORT: String(httpPort),
        LOA_MQTT_HOST: '127.0.0.1',
        LOA_MQTT_PORT: String(mqttPort),
        LOA_DATA_DIR: serverData,
        LOA_ADMIN_USERNAME: ADMIN_USERNAME,
        LOA_ADMIN_PASSWORD: ADMIN_PASSWORD,
        LOA_LOG_LEVEL: 'info',
      }),
    });
    let started = Date.now();
    const health = await waitFor(
      async () => {
        if (server.exit) throw new WaitAborted(`the installed server exited (${JSON.stringify(server.exit)})`);
        const res = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(5000) });
        const h = (await res.json()) as Health;
        return res.status === 200 && h.status === 'ok' ? h : undefined;
      },
      90_000,
      { what: `${baseUrl}/api/health of the installed server`, intervalMs: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${server.tail()}`);
    });
    timings.serverReadySeconds = (Date.now() - started) / 1000;
    expect(health.mqttPort).toBe(mqttPort);
    // The dashboard is found where the package put it (dashboard/dist beside server/).
    const page = await fetch(`${baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    // The data went where it was told, written by the service user.
    expect(owner(path.join(serverData, 'loa.sqlite')).startsWith('loa:loa')).toBe(true);

    api = await Api.login(baseUrl, ADMIN_USERNAME, ADMIN_PASSWORD);
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    const created = await loa.createDevice(api, { id: 'spk-packaged-01', name: 'Loa cài từ gói .deb', kind: 'speaker', areaCode: '09955' });
    expect((await loa.getDevice(api, created.device.id)).online).toBe(false);

    // Settings in the environment, as the unit's EnvironmentFile gives them; the launcher as the unit runs it.
    const agent = new ManagedProcess('agent', 'setpriv', [...asUser('loa-agent'), '/usr/bin/node', '/opt/loa-agent/boot.mjs'], {
      cwd: agentData,
      logDir: artifactsDir(SUITE),
      stopFirst: true,
      env: childEnv({
        LOA_AGENT_SERVER_URL: baseUrl,
        LOA_AGENT_MQTT_URL: mqttUrl,
        LOA_AGENT_DEVICE_ID: created.device.id,
        LOA_AGENT_SECRET: created.secret,
        LOA_AGENT_SERVER_PUBLIC_KEY: await fetchSigningKey(baseUrl),
        LOA_AGENT_KIND: 'speaker',
        LOA_AGENT_DATA_DIR: agentData,
        LOA_AGENT_AUDIO_OUTPUT: 'null',
        LOA_AGENT_LOG_LEVEL: 'debug',
      }),
    });
    started = Date.now();
    await waitFor(
      async () => {
        if (agent.exit) throw new WaitAborted(`the installed agent exited (${JSON.stringify(agent.exit)})`);
        return (await loa.getDevice(api, created.device.id)).online;
      },
      60_000,
      { what: `${created.device.id} online`, intervalMs: 300 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent.tail()}`);
    });
    timings.agentOnlineSeconds = (Date.now() - started) / 1000;
    expect(agent.stdout()).toContain('"msg":"connected to broker"');
    // It ran the packaged release's bundle through the launcher, which told it where it is installed.
    const startLine = agent.stdout().split('\n').find((l) => l.includes('"msg":"starting loa agent"')) ?? '';
    expect(JSON.parse(startLine)).toMatchObject({ agentVersion, build: 'bundle', config: { installDir: '/opt/loa-agent' } });

    expect((await agent.stop()).code).toBe(0);
    expect((await server.stop()).code).toBe(0);
    rmSync(serverData, { recursive: true, force: true });
    rmSync(agentData, { recursive: true, force: true });
  });

  it('upgrades the agent package: moves `current` off the release it removes, never off one installed over the air', () => {
    const waive = waivedDepends();
    const build = (version: string): string => {
      must(process.execPath, [path.join(REPO_ROOT, 'deploy/debian/build.mjs'), '--only', 'agent', '--version', version, '--out', work, '--compress', 'none'], { cwd: REPO_ROOT });
      return path.join(work, `loa-agent_${version.replace('-', '~')}_all.deb`);
    };
    // The administrator's settings survive upgrades (a conffile), with the owner and mode the package gave them.
    writeFileSync('/etc/loa/agent.env', `${readFileSync('/etc/loa/agent.env', 'utf8')}\n# edited on this device\n`);

    // A pre-release sorts before its release (1.2.3-rc.1 is Debian's 1.2.3~rc.1), and both after the first package.
    must('dpkg', ['-i', ...waive, build('90.0.0-rc.1')]);
    expect(must('dpkg-query', ['-W', '-f=${Version}', 'loa-agent'])).toBe('90.0.0~rc.1');
    expect(readlinkSync('/opt/loa-agent/current')).toBe('releases/90.0.0-rc.1');
    expect(existsSync(`/opt/loa-agent/releases/${agentVersion}`)).toBe(false);
    expect(readFileSync('/etc/loa/agent.env', 'utf8')).toContain('# edited on this device');
    expect(owner('/etc/loa/agent.env')).toBe('root:loa-agent 640');

    // What the updater does (shared/src/ota.ts): a release of its own beside the packaged one, `current` on it.
    const ota = '/opt/loa-agent/releases/95.0.0';
    must('cp', ['-a', '/opt/loa-agent/releases/90.0.0-rc.1', ota]);
    must('chown', ['-R', 'loa-agent:loa-agent', ota]);
    must('ln', ['-sfn', 'releases/95.0.0', '/opt/loa-agent/current']);
    must('ln', ['-sfn', 'releases/90.0.0-rc.1', '/opt/loa-agent/previous']);

    const out = must('dpkg', ['-i', ...waive, build('90.0.0')]);
    expect(out).toContain('keeping /opt/loa-agent/current -> releases/95.0.0');
    expect(readlinkSync('/opt/loa-agent/current')).toBe('releases/95.0.0');
    expect(statSync('/opt/loa-agent/releases/90.0.0/manifest.json').isFile()).toBe(true);
    // `previous` pointed at the release this upgrade removed: a rollback there would find nothing to run.
    expect(existsSync('/opt/loa-agent/releases/90.0.0-rc.1')).toBe(false);
    expect(sh('test', ['-L', '/opt/loa-agent/previous']).status).not.toBe(0);
    expect(readFileSync('/etc/loa/agent.env', 'utf8')).toContain('# edited on this device');
    // The command line follows `current`: the release installed over the air.
    expect(sh('loa-agent', ['--help']).status).toBe(0);
  });

  it('purges both packages and leaves nothing of them behind', () => {
    must('dpkg', ['--purge', ...PACKAGES]);
    for (const p of PACKAGES) expect(installed(p)).toBe(false);
    const left = [
      '/opt/loa',
      '/opt/loa-agent',
      '/etc/loa',
      '/var/lib/loa',
      '/var/lib/loa-agent',
      '/lib/systemd/system/loa-agent.service',
      '/lib/systemd/system/loa-server.service',
      '/etc/systemd/system/multi-user.target.wants/loa-agent.service',
      '/etc/systemd/system/multi-user.target.wants/loa-server.service',
      '/usr/bin/loa-agent',
      '/usr/bin/loa-server',
    ].filter((p) => existsSync(p) || sh('test', ['-L', p]).status === 0);
    expect(left).toEqual([]);
    expect(must('dpkg-statoverride', ['--list']).split('\n').filter((l) => /\/(?:loa|loa-agent)(?:\/|$)|\/etc\/loa\//.test(l))).toEqual([]);
  });
});
