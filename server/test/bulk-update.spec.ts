import { DeviceEntity } from '../src/devices/device.entity.js';
import { updateFromValues, UPDATE_CHUNK } from '../src/database/bulk-update.js';
import { DATABASES } from './support/databases.js';
import { seedArea } from './support/fixtures.js';

describe.each(DATABASES)('UPDATE … FROM VALUES on %s', (_name, open) => {
  it('gives every row its own values (nulls, booleans, bigints) across chunks and leaves other rows alone', async () => {
    const db = await open();
    try {
      await seedArea(db.dataSource, '001');
      const n = UPDATE_CHUNK + 7;
      const rows = Array.from({ length: n + 1 }, (_, i) => ({
        id: `d-${i}`, name: `n-${i}`, kind: 'speaker', areaCode: '001', secretHash: `h-${i}`, online: false, lastSeenAt: null,
        agentVersion: null, timelineVersion: 0, ackedTimelineVersion: 0, tags: [], createdAt: i,
      }) as unknown as DeviceEntity);
      const repo = db.dataSource.getRepository(DeviceEntity);
      for (let i = 0; i < rows.length; i += 200) await repo.insert(rows.slice(i, i + 200));
      const big = 1_800_000_000_000;
      // Every device but the last: odd ones online with a version, even ones offline with nulls.
      const values = Array.from({ length: n }, (_, i) => [`d-${i}`, i % 2 === 1, big + i, i % 2 === 1 ? `1.${i}` : null]);
      await db.dataSource.transaction((tx) =>
        updateFromValues(tx, 'devices', { name: 'id', pgType: 'varchar' }, [
          { name: 'online', pgType: 'boolean' },
          { name: 'last_seen_at', pgType: 'bigint' },
          { name: 'agent_version', pgType: 'varchar' },
        ], values),
      );
      const back = new Map((await repo.find()).map((d) => [d.id, d]));
      for (let i = 0; i < n; i++) {
        const d = back.get(`d-${i}`);
        expect([d?.online, d?.lastSeenAt, d?.agentVersion]).toEqual([i % 2 === 1, big + i, i % 2 === 1 ? `1.${i}` : null]);
      }
      const untouched = back.get(`d-${n}`);
      expect([untouched?.online, untouched?.lastSeenAt, untouched?.name]).toEqual([false, null, `n-${n}`]);
    } finally {
      await db.close();
    }
  });

  it('refuses a row whose width does not match the columns instead of shifting values', async () => {
    const db = await open();
    try {
      await expect(
        db.dataSource.transaction((tx) => updateFromValues(tx, 'devices', { name: 'id', pgType: 'varchar' }, [{ name: 'online', pgType: 'boolean' }], [['d-0']])),
      ).rejects.toThrow(/1 values for 2 columns/);
    } finally {
      await db.close();
    }
  });
});
