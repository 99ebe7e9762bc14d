import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The arrows that must never exist (docs/architecture.md, "Rules"), checked on the source itself so a change that
 * breaks one fails here instead of in a review. Each rule lists what it found, so the message says what to move.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface SourceFile {
  /** Path from the repository root, with forward slashes. */
  rel: string;
  text: string;
  /** Import specifiers (static, dynamic and re-exports). */
  imports: string[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (/\.tsx?$/.test(entry.name) && !/\.spec\.tsx?$/.test(entry.name)) out.push(full);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function sources(pkgDir: string): SourceFile[] {
  return walk(path.join(REPO, pkgDir)).map((full) => {
    const text = readFileSync(full, 'utf8');
    const imports = [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
    return { rel: path.relative(REPO, full).split(path.sep).join('/'), text, imports };
  });
}

/** Where a relative import lands, from the repository root; null for a package import. */
function target(file: SourceFile, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file.rel), spec));
}

function violations(files: SourceFile[], bad: (file: SourceFile, spec: string, to: string | null) => boolean): string[] {
  const out: string[] = [];
  for (const f of files) for (const spec of f.imports) if (bad(f, spec, target(f, spec))) out.push(`${f.rel} -> ${spec}`);
  return out;
}

const shared = sources('shared/src');
const server = sources('server/src');
const agent = sources('agent/src');
const dashboard = sources('dashboard/src');

/** server/src/<folder>/… → folder ('' for files at the root: the composition root). */
const folderOf = (rel: string): string => {
  const parts = rel.replace(/^server\/src\//, '').split('/');
  return parts.length > 1 ? (parts[0] as string) : '';
};

/**
 * The folder cycles (strongly connected components of more than one folder, Tarjan), each as the imports behind its
 * arrows, so a failure names the lines to move.
 */
function folderCycles(arrows: Map<string, Map<string, string[]>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of arrows.get(v)?.keys() ?? []) {
      if (!index.has(w)) visit(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const members = stack.splice(stack.indexOf(v));
    if (members.length > 1) {
      cycles.push(members.flatMap((a) => members.flatMap((b) => arrows.get(a)?.get(b) ?? [])).sort());
    }
  };
  for (const v of [...arrows.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('house rules: packages', () => {
  it('shared/ depends on no other package of the house', () => {
    expect(violations(shared, (_f, spec, to) => /^@loa\//.test(spec) || (to !== null && !to.startsWith('shared/src/')))).toEqual([]);
  });

  it('the agent never reaches into the server, the dashboard or the tests (the simulator lives in test/sim)', () => {
    expect(violations(agent, (_f, spec, to) => /^@loa\/(server|dashboard|e2e)/.test(spec) || (to !== null && !to.startsWith('agent/src/')))).toEqual([]);
    expect(agent.filter((f) => /simulat/.test(f.rel)).map((f) => f.rel)).toEqual([]);
  });

  it('the dashboard imports the contract as a package, never server, agent or shared sources', () => {
    expect(violations(dashboard, (_f, spec, to) => /^@loa\/(server|agent)/.test(spec) || (to !== null && !to.startsWith('dashboard/src/')))).toEqual([]);
  });

  it('the server never reaches into the agent, the dashboard sources or the tests', () => {
    expect(violations(server, (_f, spec, to) => /^@loa\/(agent|dashboard|e2e)/.test(spec) || (to !== null && !to.startsWith('server/src/')))).toEqual([]);
  });
});

describe('house rules: server layers', () => {
  // The ground floor: what every feature may use. It must not know any feature, or features would import each other
  // through it.
  const GROUND = new Set(['cluster', 'common', 'config', 'database', 'domain-events', 'jobs', 'logging']);

  it('the ground floor (cluster, common, config, database, domain-events, jobs, logging) imports no feature', () => {
    const found = violations(server, (f, spec, to) => {
      if (!GROUND.has(folderOf(f.rel)) || to === null) return false;
      return !GROUND.has(folderOf(to));
    });
    expect(found).toEqual([]);
  });

  // Folders depend on each other one way, so each can be read, tested and changed from the bottom up. Entity imports
  // are left out: they are the schema, shared by the features that query it.

  it('server folders import each other without cycles (entity imports aside)', () => {
    const arrows = new Map<string, Map<string, string[]>>();
    for (const f of server) {
      const from = folderOf(f.rel);
      for (const spec of f.imports) {
        const to = target(f, spec);
        if (from === '' || to === null || spec.endsWith('.entity.js')) continue;
        const into = folderOf(to);
        if (into === '' || into === from) continue;
        const out = arrows.get(from) ?? new Map<string, string[]>();
        arrows.set(from, out.set(into, [...(out.get(into) ?? []), `${f.rel} -> ${spec}`]));
      }
    }
    expect(folderCycles(arrows)).toEqual([]);
  });

  it('no feature imports the composition root (app.module, app.database, bootstrap)', () => {
    expect(violations(server, (f, _spec, to) => folderOf(f.rel) !== '' && to !== null && folderOf(to) === '')).toEqual([]);
  });

  it('the live dashboard events are a listener: no feature injects LiveEvents', () => {
    const users = server.filter((f) => /\bLiveEvents\b/.test(f.text) && !['events', ''].includes(folderOf(f.rel)));
    expect(users.map((f) => f.rel)).toEqual([]);
  });

  it('no feature fetches another through the module container (moduleRef.get)', () => {
    expect(server.filter((f) => /\bModuleRef\b/.test(f.text)).map((f) => f.rel)).toEqual([]);
  });
});

describe('house rules: side effects behind ports', () => {
  const where = (files: SourceFile[], re: RegExp): string[] => files.filter((f) => re.test(f.text)).map((f) => f.rel).sort();

  it('only repositories and the database layer hold a DataSource, an EntityManager or getRepository', () => {
    const found = server.filter(
      (f) =>
        /\b(DataSource|EntityManager|getRepository)\b/.test(f.text) &&
        !f.rel.endsWith('.repository.ts') &&
        !['database', ''].includes(folderOf(f.rel)) &&
        f.rel !== 'server/src/health/database-health.ts',
    );
    expect(found.map((f) => f.rel)).toEqual([]);
  });

  it('child processes start only behind their ports: ffmpeg/ffprobe (MediaTools), pg_dump/pg_restore (PostgresTools)', () => {
    // Issue 21: practice instances (Loa servers in practice mode) behind PracticeSandboxes.
    expect(where(server, /node:child_process|from 'child_process'/)).toEqual(['server/src/backup/postgres-tools.ts', 'server/src/media/media-tools.ts', 'server/src/practice/child-process-sandboxes.ts']);
  });

  it('time comes from the Clock port', () => {
    expect(where(server, /Date\.now\(\)/)).toEqual(['server/src/common/clock.ts']);
  });

  it('periodic work runs on the job scheduler; the only other timers keep per-process state', () => {
    expect(where(server, /\bsetInterval\(/)).toEqual([
      'server/src/device-auth/login-rate-limiter.ts',
      // Writes the heartbeats this process held back (issue 14): the held ones exist only in its memory.
      'server/src/devices/presence-writer.ts',
      'server/src/events/events.gateway.ts',
      'server/src/jobs/job-scheduler.ts',
      // Issue 21: idle practice sandboxes are this process's own children.
      'server/src/practice/child-process-sandboxes.ts',
    ]);
  });

  it('only the device gateway publishes to devices (topic, QoS, retain and signature in one place)', () => {
    const publishers = server.filter((f) => /\bMessageBroker\b/.test(f.text) && /\.publish\(/.test(f.text));
    // dynsec-transport: commands to Mosquitto's dynamic-security plugin ($CONTROL), not to devices.
    expect(publishers.map((f) => f.rel).sort()).toEqual([
      'server/src/broker-accounts/dynsec-transport.ts',
      'server/src/broker/embedded-broker.ts',
      'server/src/broker/external-broker.ts',
      'server/src/device-gateway/mqtt-device-gateway.ts',
    ]);
  });
});
