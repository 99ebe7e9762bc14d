/**
 * How the caches of one instance follow changes made on others (CacheInvalidation's remote signal): only what
 * changed is forgotten, and after a gap (messages possibly missed) everything is, including session revisions.
 */
import { CacheInvalidation } from '../src/cluster/cache-invalidation.js';
import { ClusterBus, type ClusterHandler } from '../src/cluster/cluster-bus.js';
import { Clock } from '../src/common/clock.js';
import { DeviceCredentialsRepository } from '../src/device-auth/device-credentials.repository.js';
import { DeviceCredentialsService, hashDeviceSecret } from '../src/device-auth/device-credentials.service.js';
import { DeviceAreas } from '../src/devices/device-areas.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { EventBus } from '../src/events/event-bus.js';
import { LiveEvents } from '../src/events/live-events.js';
import { openSqlite, type TestDatabase } from './support/databases.js';
import { seedArea, seedDevice, silentLogger } from './support/fixtures.js';

/** A bus on which the test plays the other instances: `receive` delivers their messages, `gap` reports a gap. */
class ScriptedBus extends ClusterBus {
  readonly clustered = true;
  readonly published: unknown[] = [];
  private readonly handlers: ClusterHandler[] = [];
  private readonly gaps: Array<() => void> = [];
  publish(_topic: string, payload: unknown): void {
    this.published.push(payload);
  }
  subscribe(_topic: string, handler: ClusterHandler): () => void {
    this.handlers.push(handler);
    return () => undefined;
  }
  onGap(handler: () => void): () => void {
    this.gaps.push(handler);
    return () => undefined;
  }
  receive(payload: unknown): void {
    for (const h of this.handlers) h(payload);
  }
  gap(): void {
    for (const g of this.gaps) g();
  }
}

describe('caches following other instances', () => {
  let db: TestDatabase;
  let bus: ScriptedBus;
  let invalidation: CacheInvalidation;

  beforeEach(async () => {
    db = await openSqlite();
    await seedArea(db.dataSource, '01');
    await seedDevice(db.dataSource, 'spk-1', '01', 'speaker', 'old-secret');
    await seedDevice(db.dataSource, 'spk-2', '01', 'speaker', 'secret-2');
    bus = new ScriptedBus();
    invalidation = new CacheInvalidation(bus, silentLogger);
  });

  afterEach(() => db.close());

  const rotateInDatabase = (id: string, secret: string) => db.dataSource.getRepository(DeviceEntity).update({ id }, { secretHash: hashDeviceSecret(secret) });

  it('credentials: a remote credentials change forgets that device and makes its sessions stale, and only its', async () => {
    const sut = new DeviceCredentialsService(new DeviceCredentialsRepository(db.dataSource), invalidation);
    await sut.onApplicationBootstrap();
    expect(await sut.verify('spk-1', 'old-secret')).toBe(true);
    const [rev1, rev2] = [sut.revision('spk-1'), sut.revision('spk-2')];

    await rotateInDatabase('spk-1', 'new-secret'); // done by another instance
    expect(await sut.verify('spk-1', 'old-secret')).toBe(true); // still cached: that is what invalidation is for
    bus.receive({ devices: ['spk-1'], credentials: true });
    expect(await sut.verify('spk-1', 'old-secret')).toBe(false);
    expect(await sut.verify('spk-1', 'new-secret')).toBe(true);
    expect(sut.revision('spk-1')).not.toBe(rev1);
    expect(sut.revision('spk-2')).toBe(rev2);
  });

  it('credentials: after a gap everything is forgotten (and reloaded), and every session is stale', async () => {
    const sut = new DeviceCredentialsService(new DeviceCredentialsRepository(db.dataSource), invalidation);
    await sut.onApplicationBootstrap();
    const revs = [sut.revision('spk-1'), sut.revision('spk-2')];
    await rotateInDatabase('spk-1', 'new-secret');
    await rotateInDatabase('spk-2', 'new-secret-2');

    bus.gap();
    expect(sut.revision('spk-1')).not.toBe(revs[0]);
    expect(sut.revision('spk-2')).not.toBe(revs[1]);
    expect(await sut.verify('spk-1', 'old-secret')).toBe(false);
    expect(await sut.verify('spk-2', 'new-secret-2')).toBe(true);
  });

  it('credentials: a change made here goes to the others as a credentials invalidation; a malformed one is ignored', async () => {
    const sut = new DeviceCredentialsService(new DeviceCredentialsRepository(db.dataSource), invalidation);
    sut.invalidate('spk-2');
    expect(bus.published).toEqual([{ devices: ['spk-2'], credentials: true }]);
    expect(() => bus.receive({ devices: 'spk-1' })).not.toThrow();
  });

  it('domain events that make device data stale are forwarded in messages of at most 300 ids; an empty one sends nothing', () => {
    invalidation.onRegistered({ deviceIds: Array.from({ length: 700 }, (_, i) => `d-${i}`) });
    invalidation.onMoved({ deviceId: 'm', fromArea: '01', toArea: '02' });
    invalidation.onAreasMoved({ areaCodes: ['01'], deviceIds: [] });
    expect(bus.published.map((p) => (p as { devices: string[] }).devices.length)).toEqual([300, 300, 100, 1]);
  });

  it('live events: a device moved elsewhere has its area looked up again', async () => {
    const lookups: string[][] = [];
    const areas = new (class extends DeviceAreas {
      async of(ids: readonly string[]): Promise<Map<string, string>> {
        lookups.push([...ids]);
        return new Map(ids.map((id) => [id, '01']));
      }
    })();
    const sut = new LiveEvents(new EventBus(), areas, new Clock(), invalidation);
    await sut.deviceAreas(['spk-1', 'spk-2']);
    await sut.deviceAreas(['spk-1', 'spk-2']);
    bus.receive({ devices: ['spk-2'], credentials: false });
    await sut.deviceAreas(['spk-1', 'spk-2']);
    bus.gap();
    await sut.deviceAreas(['spk-1', 'spk-2']);
    expect(lookups).toEqual([['spk-1', 'spk-2'], ['spk-2'], ['spk-1', 'spk-2']]);
  });
});
