import { NotFoundException } from '@nestjs/common';
import { generateSigningKey } from '@loa/shared';
import { MessageBroker, type MessageHandler } from '../src/broker/message-broker.js';
import { Metrics } from '../src/common/metrics.js';
import { DeviceEntity, DeviceRevocationEntity } from '../src/database/entities.js';
import { DeviceCredentialsService } from '../src/device-auth/device-credentials.service.js';
import { DeviceLoginService } from '../src/device-auth/device-login.service.js';
import { DevicePresence } from '../src/device-auth/device-presence.js';
import { DeviceSecurityRepository } from '../src/device-auth/device-security.repository.js';
import { DeviceSecurityService } from '../src/device-auth/device-security.service.js';
import { LoginRateLimiter } from '../src/device-auth/login-rate-limiter.js';
import { SigningService } from '../src/signing/signing.service.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, seedArea, seedDevice, silentLogger, testConfig } from './support/fixtures.js';

const limiterConfig = (maxFailures = 3, lockoutS = 60) =>
  testConfig({ LOA_DEVICE_LOGIN_MAX_FAILURES: String(maxFailures), LOA_DEVICE_LOGIN_LOCKOUT_S: String(lockoutS) });

describe(LoginRateLimiter.name, () => {
  let clock: FixedClock;
  let metrics: Metrics;
  let sut: LoginRateLimiter;

  beforeEach(() => {
    clock = new FixedClock(1_000_000);
    metrics = new Metrics();
    sut = new LoginRateLimiter(limiterConfig(3, 60), clock, metrics);
  });

  it('locks a device id after the allowed failures, for the lockout time, whatever the address', () => {
    sut.recordFailure('dev-a', '10.0.0.1');
    sut.recordFailure('dev-a', '10.0.0.2');
    expect(sut.lockedUntil('dev-a', '10.0.0.9')).toBeNull();
    sut.recordFailure('dev-a', '10.0.0.3');
    expect(sut.lockedUntil('dev-a', '10.0.0.9')).toBe(1_000_000 + 60_000);
    expect(sut.lockedUntil('dev-b', '10.0.0.9')).toBeNull();
    clock.t += 59_999;
    expect(sut.lockedUntil('dev-a', undefined)).not.toBeNull();
    clock.t += 1;
    expect(sut.lockedUntil('dev-a', undefined)).toBeNull();
    expect(metrics.get('device_login_failed')).toBe(3);
    expect(metrics.get('device_login_lockouts_id')).toBe(1);
  });

  it('locks a source address that fails with many different ids', () => {
    for (const id of ['x1', 'x2', 'x3']) sut.recordFailure(id, '192.0.2.7');
    expect(sut.lockedUntil('healthy-device', '192.0.2.7')).not.toBeNull();
    expect(sut.lockedUntil('healthy-device', '192.0.2.8')).toBeNull();
    expect(metrics.get('device_login_lockouts_address')).toBe(1);
  });

  it('forgets failures older than the window', () => {
    sut.recordFailure('dev-a', 'a1');
    sut.recordFailure('dev-a', 'a2');
    clock.t += 60_000;
    sut.recordFailure('dev-a', 'a3');
    expect(sut.lockedUntil('dev-a', undefined)).toBeNull();
  });

  it('clears the failures of an id on success, but not those of the address', () => {
    sut.recordFailure('dev-a', '198.51.100.1');
    sut.recordFailure('dev-a', '198.51.100.1');
    sut.recordSuccess('dev-a');
    sut.recordFailure('dev-a', '198.51.100.2');
    sut.recordFailure('dev-a', '198.51.100.2');
    expect(sut.lockedUntil('dev-a', undefined)).toBeNull();
    // The attacker's address keeps its two failures: a third (with any id) locks it.
    sut.recordFailure('other', '198.51.100.1');
    expect(sut.lockedUntil('dev-a', '198.51.100.1')).not.toBeNull();
  });

  it('keeps memory bounded, dropping the least recently touched', () => {
    sut.maxTracked = 100;
    for (let i = 0; i < 1000; i++) sut.recordFailure(`scan-${i}`, undefined);
    expect(sut.size).toBe(100);
    expect(metrics.get('device_login_limiter_evicted')).toBe(900);
    // The most recent survive.
    sut.recordFailure('scan-999', undefined);
    sut.recordFailure('scan-999', undefined);
    expect(sut.lockedUntil('scan-999', undefined)).not.toBeNull();
  });

  it('sweeps counters whose window and lock are over', () => {
    sut.recordFailure('old', 'addr-old');
    clock.t += 30_000;
    sut.recordFailure('new', undefined);
    clock.t += 30_000;
    sut.sweep();
    expect(sut.size).toBe(1);
  });
});

/** A broker that records which sessions the service ended. */
class FakeBroker extends MessageBroker {
  readonly disconnected: string[] = [];
  get port(): number | null {
    return null;
  }
  async publish(): Promise<void> {}
  async subscribe(_filter: string, _handler: MessageHandler): Promise<void> {}
  async disconnect(clientId: string): Promise<void> {
    this.disconnected.push(clientId);
  }
}

/** Records what the service marked offline. */
class FakePresence extends DevicePresence {
  readonly offline: Array<[string, string]> = [];
  async markOffline(deviceId: string, reason: 'revoked'): Promise<void> {
    this.offline.push([deviceId, reason]);
  }
}

describe.each(DATABASES)(`${DeviceLoginService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let sut: DeviceLoginService;
  let metrics: Metrics;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '001');
    await seedDevice(db.dataSource, 'dev-a', '001', 'speaker', 'right-secret');
    metrics = new Metrics();
    const clock = new FixedClock(5_000);
    sut = new DeviceLoginService(new DeviceCredentialsService(db.dataSource), new LoginRateLimiter(limiterConfig(3, 60), clock, metrics), metrics);
  });

  afterEach(() => db.close());

  it('accepts the right secret and refuses a wrong one', async () => {
    expect(await sut.login('dev-a', 'right-secret', '10.1.1.1')).toEqual({ ok: true, areaCodes: ['001'] });
    expect(await sut.login('dev-a', 'wrong', '10.1.1.1')).toEqual({ ok: false, reason: 'invalid' });
    expect(await sut.login('nobody', 'right-secret', '10.1.1.1')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses even the right secret, without checking it, once the id is locked', async () => {
    for (let i = 0; i < 3; i++) await sut.login('dev-a', `guess-${i}`, `10.2.0.${i}`);
    expect(await sut.login('dev-a', 'right-secret', '10.9.9.9')).toMatchObject({ ok: false, reason: 'locked', retryAt: 65_000 });
    expect(metrics.get('device_login_throttled')).toBe(1);
    expect(metrics.get('device_login_failed')).toBe(3);
  });

  it('does not count a revoked device presenting its right secret as a failure', async () => {
    await db.dataSource.getRepository(DeviceRevocationEntity).insert({ deviceId: 'dev-a', revokedAt: 1, revokedBy: 'u' });
    for (let i = 0; i < 5; i++) expect(await sut.login('dev-a', 'right-secret', '10.3.3.3')).toEqual({ ok: false, reason: 'revoked' });
    expect(metrics.get('device_login_failed')).toBe(0);
    expect(metrics.get('device_login_revoked')).toBe(5);
  });
});

describe.each(DATABASES)(`${DeviceSecurityService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let broker: FakeBroker;
  let presence: FakePresence;
  let credentials: DeviceCredentialsService;
  let signing: SigningService;
  let clock: FixedClock;
  let sut: DeviceSecurityService;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '001');
    await seedDevice(db.dataSource, 'dev-a', '001', 'speaker', 'first-secret');
    broker = new FakeBroker();
    presence = new FakePresence();
    credentials = new DeviceCredentialsService(db.dataSource);
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
