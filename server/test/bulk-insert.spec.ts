import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { DATABASES } from './support/databases.js';
import { seedArea } from './support/fixtures.js';

describe.each(DATABASES)('multi-row inserts on %s', (_name, open) => {
  it('stores every row with its own values', async () => {
    const db = await open();
    try {
      await seedArea(db.dataSource, '001');
      const rows: DeviceEntity[] = Array.from({ length: 25 }, (_, i) => ({
        id: `d-${i}`, name: `n-${i}`, kind: 'speaker', areaCode: '001', secretHash: `h-${i}`, online: false, lastSeenAt: null,
        agentVersion: null, timelineVersion: 0, ackedTimelineVersion: 0, tags: [], createdAt: i,
      }) as unknown as DeviceEntity);
      await db.dataSource.getRepository(DeviceEntity).insert(rows);
      const back = await db.dataSource.getRepository(DeviceEntity).find();
      for (const r of back) expect([r.id, r.secretHash, r.name]).toEqual([r.id, `h-${r.id.slice(2)}`, `n-${r.id.slice(2)}`]);
    } finally {
      await db.close();
    }
  });
});
