import { DeviceEntity } from '../src/devices/device.entity.js';
import { DevicesRepository } from '../src/devices/devices.repository.js';
import { PresenceWriter } from '../src/devices/presence-writer.js';
import { DATABASES } from './support/databases.js';
import { newMetrics, seedArea, seedDevice, silentLogger } from './support/fixtures.js';
import { TestDomainEvents } from './support/domain-events.js';

describe.each(DATABASES)(`${PresenceWriter.name} on %s`, (_name, open) => {
  it('writes a storm of presence updates in batches, the last word per device winning', async () => {
    const db = await open();
    try {
      await seedArea(db.dataSource, '001');
      for (let i = 0; i < 30; i++) await seedDevice(db.dataSource, `p-${i}`, '001');
      const metrics = newMetrics();
      const sut = new PresenceWriter(new DevicesRepository(db.dataSource), metrics, silentLogger, new TestDomainEvents());
      const writes: Array<Promise<void>> = [];
      for (let i = 0; i < 30; i++) writes.push(sut.write({ deviceId: `p-${i}`, online: true, at: 1000 + i, agentVersion: '1.2.3' }));
      writes.push(sut.write({ deviceId: 'p-0', online: false, at: 5000 }));
      writes.push(sut.write({ deviceId: 'p-1', at: 6000 }));
      await Promise.all(writes);
      const rows = new Map((await db.dataSource.getRepository(DeviceEntity).find()).map((d) => [d.id, d]));
      expect(rows.get('p-0')).toMatchObject({ online: false, lastSeenAt: 5000, agentVersion: '1.2.3' });
      expect(rows.get('p-1')).toMatchObject({ online: true, lastSeenAt: 6000 });
      expect(rows.get('p-29')).toMatchObject({ online: true, lastSeenAt: 1029 });
      // Fewer rows written than updates received: the storm was coalesced.
      expect(metrics.get('presence_written')).toBeLessThan(32);
    } finally {
      await db.close();
    }
  });
});
