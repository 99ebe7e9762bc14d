import { jest } from '@jest/globals';
import { NotFoundException } from '@nestjs/common';
import { generateSigningKey } from '@loa/shared';
import { InertBroker } from './support/inert-broker.js';
import { Metrics } from '../src/common/metrics.js';
import { DeviceRevocationEntity } from '../src/device-auth/device-revocation.entity.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { DeviceCredentialsRepository } from '../src/device-auth/device-credentials.repository.js';
import { DeviceCredentialsService, type CredentialsRow } from '../src/device-auth/device-credentials.service.js';
import { DeviceLoginService } from '../src/device-auth/device-login.service.js';
import { DevicePresence } from '../src/device-security/device-presence.js';
import { DeviceSecurityRepository } from '../src/device-security/device-security.repository.js';
import { DeviceSecurityService } from '../src/device-security/device-security.service.js';
import { LoginDelay } from '../src/device-auth/login-delay.js';
import { LoginRateLimiter } from '../src/device-auth/login-rate-limiter.js';
import { SigningService } from '../src/signing/signing.service.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, seedArea, seedDevice, silentLogger, testConfig } from './support/fixtures.js';

const limiterConfig = (maxFailures = 3, windowS = 60, unknownPerAddress = 5, maxDelayS = 10) =>
  testConfig({
    LOA_DEVICE_LOGIN_MAX_FAILURES: String(maxFailures),
    LOA_DEVICE_LOGIN_LOCKOUT_S: String(windowS),
    LOA_DEVICE_LOGIN_UNKNOWN_PER_ADDRESS: String(unknownPerAddress),
    LOA_DEVICE_LOGIN_MAX_DELAY_S: String(maxDelayS),
  });

describe(LoginRateLimiter.name, () => {
  let clock: FixedClock;
  let metrics: Metrics;
  let sut: LoginRateLimiter;

  beforeEach(() => {
    clock = new FixedClock(1_000_000);
    metrics = new Metrics();
    sut = new LoginRateLimiter(limiterConfig(3, 60, 5, 10), clock, metrics);
  });

  it('answers the first failures of a pair at once, then with doubling delays up to the cap', () => {
    const delays = Array.from({ length: 9 }, () => sut.recordFailure('dev-a', '10.0.0.1', false));
    expect(delays).toEqual([0, 0, 0, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(metrics.get('device_login_failed')).toBe(9);
  });

  it('slows down only that (id, address) pair: not the id from elsewhere, not another id from the same address', () => {
    for (let i = 0; i < 5; i++) sut.recordFailure('dev-a', '10.0.0.1', false);
    expect(sut.recordFailure('dev-a', '10.0.0.2', false)).toBe(0);
    expect(sut.recordFailure('dev-b', '10.0.0.1', false)).toBe(0);
    expect(sut.recordFailure('dev-a', '10.0.0.1', false)).toBe(4000);
  });

  it('knows which ids have failures on record, through success, sweep and eviction', () => {
    sut.recordFailure('dev-a', '10.0.0.1', false);
    sut.recordFailure('dev-a', '10.0.0.2', false);
    expect(sut.hasFailures('dev-a')).toBe(true);
    expect(sut.hasFailures('dev-b')).toBe(false);
    sut.recordSuccess('dev-a', '10.0.0.1');
    expect(sut.hasFailures('dev-a')).toBe(true); // still failing from 10.0.0.2
    sut.recordSuccess('dev-a', '10.0.0.2');
    expect(sut.hasFailures('dev-a')).toBe(false);
    sut.recordFailure('dev-b', '10.0.0.1', false);
    clock.t += 60_000;
    sut.sweep();
    expect(sut.hasFailures('dev-b')).toBe(false);
    sut.maxTracked = 1;
    sut.recordFailure('dev-c', '10.0.0.1', false);
    sut.recordFailure('dev-d', '10.0.0.1', false); // evicts dev-c's pair
    expect([sut.hasFailures('dev-c'), sut.hasFailures('dev-d')]).toEqual([false, true]);
  });

  it('clears a pair on success, and forgets it one window after its last failure', () => {
    for (let i = 0; i < 4; i++) sut.recordFailure('dev-a', '198.51.100.1', false);
    sut.recordSuccess('dev-a', '198.51.100.2'); // another address: no effect
    expect(sut.recordFailure('dev-a', '198.51.100.1', false)).toBe(2000);
    sut.recordSuccess('dev-a', '198.51.100.1');
    expect(sut.recordFailure('dev-a', '198.51.100.1', false)).toBe(0);
    for (let i = 0; i < 3; i++) sut.recordFailure('dev-a', '198.51.100.1', false);
    clock.t += 59_999;
    expect(sut.recordFailure('dev-a', '198.51.100.1', false)).toBe(2000);
    clock.t += 60_000;
    expect(sut.recordFailure('dev-a', '198.51.100.1', false)).toBe(0);
  });

  it('gives each address a budget of unknown ids; past it, every failure from there waits the longest delay', () => {
    for (let i = 0; i < 5; i++) {
      expect(sut.hasUnknownBudget('192.0.2.7')).toBe(true);
      expect(sut.recordFailure(`ghost-${i}`, '192.0.2.7', true)).toBe(0);
    }
    expect(sut.hasUnknownBudget('192.0.2.7')).toBe(false);
    expect(sut.recordFailure('ghost-5', '192.0.2.7', true)).toBe(10_000);
    // A known id with a wrong secret from the scanning address looks the same, so the answer tells nothing.
    expect(sut.recordFailure('dev-a', '192.0.2.7', false)).toBe(10_000);
    expect(metrics.get('device_login_unknown_limited')).toBe(1);
    // Other addresses are untouched.
    expect(sut.hasUnknownBudget('192.0.2.8')).toBe(true);
    expect(sut.recordFailure('ghost-0', '192.0.2.8', true)).toBe(0);
    // The budget refills over the window: one id back after a fifth of it.
    clock.t += 12_000;
    expect(sut.hasUnknownBudget('192.0.2.7')).toBe(true);
    expect(sut.recordFailure('ghost-6', '192.0.2.7', true)).toBe(0);
    expect(sut.hasUnknownBudget('192.0.2.7')).toBe(false);
  });

  it('bounds the answers held back, in all and per address', () => {
    sut.maxPending = 3;
    sut.maxPendingPerAddress = 2;
    expect([sut.hold('a1'), sut.hold('a1'), sut.hold('a1')]).toEqual([true, true, false]);
    expect([sut.hold('a2'), sut.hold('a3')]).toEqual([true, false]);
    sut.release('a1');
    expect(sut.pending).toBe(2);
    expect(sut.hold('a3')).toBe(true);
  });

  it('keeps memory bounded, dropping the least recently touched', () => {
    sut.maxTracked = 100;
    for (let i = 0; i < 1000; i++) sut.recordFailure(`scan-${i}`, undefined, false);
    expect(sut.size).toBe(100);
    expect(metrics.get('device_login_limiter_evicted')).toBe(900);
    // The most recent survive.
    for (let i = 0; i < 2; i++) sut.recordFailure('scan-999', undefined, false);
    expect(sut.recordFailure('scan-999', undefined, false)).toBe(1000);
  });

  it('sweeps pairs and addresses one window after they were last touched', () => {
    sut.recordFailure('old', 'addr-old', true);
    clock.t += 30_000;
    sut.recordFailure('new', 'addr-new', false);
    clock.t += 30_000;
    sut.sweep();
    expect(sut.size).toBe(1);
  });

  it('sweeps on its own timer once an attack stops, not only on further failures', () => {
    jest.useFakeTimers({ doNotFake: ['Date', 'performance', 'nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      sut.onApplicationBootstrap();
      for (let i = 0; i < 500; i++) sut.recordFailure(`scan-${i}`, `10.0.${i % 7}.1`, true);
      expect(sut.size).toBeGreaterThan(0);
      clock.t += 60_000;
      jest.advanceTimersByTime(60_000);
      expect(sut.size).toBe(0);
    } finally {
      sut.onModuleDestroy();
      jest.useRealTimers();
    }
  });
});

/** Records what the service marked offline. */
class FakePresence extends DevicePresence {
  readonly offline: Array<[string, string]> = [];
  async markOffline(deviceId: string, reason: 'revoked'): Promise<void> {
    this.offline.push([deviceId, reason]);
  }
}

/** Holds delayed answers until the test releases them, so order can be asserted without timing. */
class ManualDelay extends LoginDelay {
  readonly held: Array<{ ms: number; release: () => void }> = [];
  override wait(ms: number): Promise<void> {
    return new Promise((release) => this.held.push({ ms, release }));
  }
}

/** Counts the database lookups of single devices. */
class CountingCredentials extends DeviceCredentialsService {
  readonly fetched: string[] = [];
  readonly reads: string[][] = [];
  protected override async fetch(deviceIds: readonly string[]): Promise<CredentialsRow[]> {
    this.fetched.push(...deviceIds);
    this.reads.push([...deviceIds]);
    return super.fetch(deviceIds);
  }
}

/** Settles with the outcome, recording when it did into `order`. */
const track = <T>(p: Promise<T>, name: string, order: string[]) => p.then((v) => (order.push(name), v));

describe.each(DATABASES)(`${DeviceLoginService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let sut: DeviceLoginService;
  let credentials: CountingCredentials;
  let limiter: LoginRateLimiter;
  let delay: ManualDelay;
  let metrics: Metrics;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '001');
    await seedDevice(db.dataSource, 'dev-a', '001', 'speaker', 'right-secret');
    await seedDevice(db.dataSource, 'dev-b', '001', 'speaker', 'b-secret');
    metrics = new Metrics();
    credentials = new CountingCredentials(new DeviceCredentialsRepository(db.dataSource));
    await credentials.onApplicationBootstrap();
    limiter = new LoginRateLimiter(limiterConfig(2, 60, 3, 10), new FixedClock(5_000), metrics);
    delay = new ManualDelay();
    sut = new DeviceLoginService(credentials, limiter, delay, metrics);
  });

  afterEach(() => db.close());

  it('accepts the right secret and refuses a wrong one or an unknown id', async () => {
    expect(await sut.login('dev-a', 'right-secret', '10.1.1.1')).toEqual({ ok: true, areaCodes: ['001'] });
    expect(await sut.login('dev-a', 'wrong', '10.1.1.1')).toEqual({ ok: false, reason: 'invalid' });
    expect(await sut.login('nobody', 'right-secret', '10.1.1.1')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('reads the source address of a correct login only when the limiter holds something for it', async () => {
    const reads: string[] = [];
    const from = (address: string) => () => {
      reads.push(address);
      return address;
    };
    // Nothing on record: a correct login never reads its socket's address (a connect storm's logins).
    expect(await sut.login('dev-a', 'right-secret', from('10.3.0.1'))).toMatchObject({ ok: true });
    expect(reads).toEqual([]);
    // A failure is counted against its address, read once.
    expect(await sut.login('dev-a', 'wrong', from('10.3.0.1'))).toEqual({ ok: false, reason: 'invalid' });
    expect(reads).toEqual(['10.3.0.1']);
    // Failures of dev-a on record: its correct login reads the address to clear its own pair; dev-b's does not.
    expect(await sut.login('dev-b', 'b-secret', from('10.3.0.2'))).toMatchObject({ ok: true });
    expect(await sut.login('dev-a', 'right-secret', from('10.3.0.1'))).toMatchObject({ ok: true });
    expect(reads).toEqual(['10.3.0.1', '10.3.0.1']);
    expect(limiter.hasFailures('dev-a')).toBe(false);
    // Cleared: the next correct login of dev-a reads nothing again.
    expect(await sut.login('dev-a', 'right-secret', from('10.3.0.1'))).toMatchObject({ ok: true });
    expect(reads).toHaveLength(2);
    // An address that spent part of its unknown-id budget: every login reads its address to ask the budget.
    expect(await sut.login('ghost-1', 'x', from('10.3.0.9'))).toEqual({ ok: false, reason: 'invalid' });
    expect(await sut.login('dev-b', 'b-secret', from('10.3.0.2'))).toMatchObject({ ok: true });
    expect(reads).toEqual(['10.3.0.1', '10.3.0.1', '10.3.0.9', '10.3.0.2']);
  });

  it('holds back wrong answers of a hammered pair while its right secret and a neighbour pass at once', async () => {
    const order: string[] = [];
    for (let i = 0; i < 2; i++) expect(await sut.login('dev-a', `guess-${i}`, '10.2.0.1')).toEqual({ ok: false, reason: 'invalid' });
    expect(delay.held).toHaveLength(0);
    const wrong = track(sut.login('dev-a', 'guess-2', '10.2.0.1'), 'wrong', order);
    const wronger = track(sut.login('dev-a', 'guess-3', '10.2.0.1'), 'wrong-again', order);
    await waitUntil(() => delay.held.length === 2);
    expect(delay.held.map((h) => h.ms)).toEqual([1000, 2000]);
    expect(metrics.get('device_login_pending')).toBe(2);

    const same = await track(sut.login('dev-a', 'right-secret', '10.2.0.1'), 'device, same address', order);
    const elsewhere = await track(sut.login('dev-a', 'right-secret', '10.9.9.9'), 'device, other address', order);
    const neighbour = await track(sut.login('dev-b', 'b-secret', '10.2.0.1'), 'neighbour', order);
    expect([same.ok, elsewhere.ok, neighbour.ok]).toEqual([true, true, true]);

    for (const h of delay.held) h.release();
    expect(await wrong).toEqual({ ok: false, reason: 'invalid' });
    expect(await wronger).toEqual({ ok: false, reason: 'invalid' });
    expect(order).toEqual(['device, same address', 'device, other address', 'neighbour', 'wrong', 'wrong-again']);
    expect(metrics.get('device_login_delayed')).toBe(2);
    expect(metrics.get('device_login_pending')).toBe(0);
    expect(limiter.pending).toBe(0);
    // The success cleared the pair: the next failure goes out at once again.
    expect(await sut.login('dev-a', 'guess-4', '10.2.0.1')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('answers at once as throttled once too many answers are held', async () => {
    limiter.maxPendingPerAddress = 1;
    for (let i = 0; i < 2; i++) await sut.login('dev-a', `guess-${i}`, '10.4.0.1');
    const held = sut.login('dev-a', 'guess-2', '10.4.0.1');
    await waitUntil(() => delay.held.length === 1);
    expect(await sut.login('dev-a', 'guess-3', '10.4.0.1')).toEqual({ ok: false, reason: 'throttled' });
    expect(await sut.login('dev-a', 'right-secret', '10.4.0.1')).toMatchObject({ ok: true });
    expect(metrics.get('device_login_throttled')).toBe(1);
    delay.held[0]!.release();
    expect(await held).toEqual({ ok: false, reason: 'invalid' });
  });

  it('limits a flood of unknown ids from one address: no database lookup past the budget, known devices still pass', async () => {
    for (let i = 0; i < 3; i++) expect(await sut.login(`ghost-${i}`, 'x', '10.5.0.1')).toEqual({ ok: false, reason: 'invalid' });
    expect(credentials.fetched).toEqual(['ghost-0', 'ghost-1', 'ghost-2']);
    const flood = Array.from({ length: 20 }, (_, i) => sut.login(`ghost-x${i}`, 'x', '10.5.0.1'));
    await waitUntil(() => delay.held.length === 20);
    expect(credentials.fetched).toHaveLength(3);
    expect(delay.held.every((h) => h.ms === 10_000)).toBe(true);
    expect(metrics.get('device_login_unknown_limited')).toBe(20);

    expect(await sut.login('dev-a', 'right-secret', '10.5.0.1')).toMatchObject({ ok: true });
    // A device added since the bootstrap load (forgotten, so not surely unknown) is still looked up and passes.
    await seedDevice(db.dataSource, 'dev-new', '001', 'speaker', 'new-secret');
    credentials.forget('dev-new');
    expect(await sut.login('dev-new', 'new-secret', '10.5.0.1')).toMatchObject({ ok: true });
    expect(credentials.fetched).toEqual(['ghost-0', 'ghost-1', 'ghost-2', 'dev-new']);
    // Another address still has its whole budget.
    expect(await sut.login('ghost-y', 'x', '10.5.0.2')).toEqual({ ok: false, reason: 'invalid' });
    expect(credentials.fetched).toContain('ghost-y');

    for (const h of delay.held) h.release();
    expect(await Promise.all(flood)).toEqual(Array.from({ length: 20 }, () => ({ ok: false, reason: 'invalid' })));
  });

  it('reads devices added since the bootstrap load in one query when they log in together', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `dev-n${i}`);
    for (const id of ids) {
      await seedDevice(db.dataSource, id, '001', 'speaker', `${id}-secret`);
      credentials.forget(id);
    }
    const logins = await Promise.all(ids.map((id) => sut.login(id, `${id}-secret`, '10.6.0.1')));
    expect(logins.every((l) => l.ok)).toBe(true);
    expect(credentials.reads).toEqual([ids]);
    // Cached from then on: a second storm reads nothing.
    await Promise.all(ids.map((id) => sut.login(id, `${id}-secret`, '10.6.0.1')));
    expect(credentials.reads).toHaveLength(1);
  });

  it('does not count a revoked device presenting its right secret as a failure', async () => {
    await db.dataSource.getRepository(DeviceRevocationEntity).insert({ deviceId: 'dev-a', revokedAt: 1, revokedBy: 'u' });
    credentials.invalidate('dev-a');
    for (let i = 0; i < 5; i++) expect(await sut.login('dev-a', 'right-secret', '10.3.3.3')).toEqual({ ok: false, reason: 'revoked' });
    expect(metrics.get('device_login_failed')).toBe(0);
    expect(metrics.get('device_login_revoked')).toBe(5);
    expect(delay.held).toHaveLength(0);
  });
});

async function waitUntil(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(DATABASES)(`${DeviceSecurityService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let broker: InertBroker;
  let presence: FakePresence;
  let credentials: DeviceCredentialsService;
  let signing: SigningService;
  let clock: FixedClock;
  let sut: DeviceSecurityService;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '001');
    await seedDevice(db.dataSource, 'dev-a', '001', 'speaker', 'first-secret');
    broker = new InertBroker();
    presence = new FakePresence();
    credentials = new DeviceCredentialsService(new DeviceCredentialsRepository(db.dataSource));
    await credentials.onApplicationBootstrap();
    signing = new SigningService(generateSigningKey());
    clock = new FixedClock(1_700_000_000_000);
    sut = new DeviceSecurityService(new DeviceSecurityRepository(db.dataSource), credentials, broker, presence, signing, clock, silentLogger);
  });

  afterEach(() => db.close());

  it('rotates: the new secret works, the old one stops at once, and the session is ended', async () => {
    expect(await credentials.verify('dev-a', 'first-secret')).toBe(true); // cached now
    const revisionBefore = credentials.revision('dev-a');
    const rotated = await sut.rotate('dev-a', 'admin-id');
    expect(rotated).toEqual({ deviceId: 'dev-a', secret: expect.any(String), serverPublicKey: signing.publicKey });
    expect(rotated.secret).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{31}$/);
    expect(await credentials.verify('dev-a', 'first-secret')).toBe(false);
    expect(await credentials.verify('dev-a', rotated.secret)).toBe(true);
    expect(credentials.revision('dev-a')).toBe(revisionBefore + 1);
    expect(broker.disconnected).toEqual(['dev-a']);
    expect(presence.offline).toEqual([]);
    const row = await db.dataSource.getRepository(DeviceEntity).findOneByOrFail({ id: 'dev-a' });
    expect(row.secretHash).not.toContain(rotated.secret);
  });

  it('revokes: refused even with the right secret, disconnected, offline, with the instant shown; idempotent', async () => {
    const first = await sut.revoke('dev-a', 'admin-id');
    expect(first).toEqual({ deviceId: 'dev-a', revokedAt: new Date(clock.t).toISOString() });
    expect(await credentials.check('dev-a', 'first-secret')).toBe('revoked');
    expect(broker.disconnected).toEqual(['dev-a']);
    expect(presence.offline).toEqual([['dev-a', 'revoked']]);
    clock.t += 60_000;
    expect(await sut.revoke('dev-a', 'admin-id')).toEqual(first);
    expect(await sut.view('dev-a')).toEqual(first);
    expect(await sut.revokedAt(['dev-a', 'other'])).toEqual(new Map([['dev-a', first.revokedAt]]));
  });

  it('re-enables a revoked device by rotation', async () => {
    await sut.revoke('dev-a', 'admin-id');
    const rotated = await sut.rotate('dev-a', 'admin-id');
    expect(await credentials.check('dev-a', rotated.secret)).toEqual({ areaCodes: ['001'] });
    expect(await sut.view('dev-a')).toEqual({ deviceId: 'dev-a', revokedAt: null });
  });

  it('answers 404 for an unknown device and touches nothing', async () => {
    await expect(sut.rotate('ghost', 'admin-id')).rejects.toBeInstanceOf(NotFoundException);
    await expect(sut.revoke('ghost', 'admin-id')).rejects.toBeInstanceOf(NotFoundException);
    expect(broker.disconnected).toEqual([]);
    expect(presence.offline).toEqual([]);
  });
});
