import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { insertIgnoringEachSqlite, insertIgnoringReturningTyped, INSERT_CHUNK } from '../src/database/bulk-insert.js';
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

describe.each(DATABASES)('typed multi-row INSERT … RETURNING on %s', (_name, open) => {
  it('returns exactly the rows it inserted (a stored row and a copy in the batch are not), with every value kept', async () => {
    const db = await open();
    try {
      const ds = db.dataSource;
      await seedArea(ds, '001');
      const cols = [
        { name: 'id', pgType: 'varchar' },
        { name: 'name', pgType: 'varchar' },
        { name: 'kind', pgType: 'varchar' },
        { name: 'area_code', pgType: 'varchar' },
        { name: 'secret_hash', pgType: 'varchar' },
        { name: 'online', pgType: 'boolean' },
        { name: 'last_seen_at', pgType: 'bigint' },
        { name: 'agent_version', pgType: 'varchar' },
        { name: 'timeline_version', pgType: 'integer' },
        { name: 'acked_timeline_version', pgType: 'integer' },
        { name: 'created_at', pgType: 'bigint' },
      ] as const;
      const row = (i: number) => [`d-${i}`, `n-"${i}"\\`, 'speaker', '001', `h-${i}`, i % 2 === 1, i % 3 === 0 ? null : 1_800_000_000_000 + i, i % 2 ? `1.${i}` : null, i, 0, i];
      await ds.transaction((tx) => insertIgnoringReturningTyped(tx, 'devices', cols, [row(3)], ['id']));
      // Past one chunk, with a row stored before (3) and one twice in the batch (7): the last chunk is padded on SQLite.
      const n = INSERT_CHUNK + 37;
      const rows = [...Array.from({ length: n }, (_, i) => row(i)), row(7)];
      const back = await ds.transaction((tx) => insertIgnoringReturningTyped<{ id: string }>(tx, 'devices', cols, rows, ['id']));
      expect(back.map((r) => r.id).sort()).toEqual(Array.from({ length: n }, (_, i) => `d-${i}`).filter((id) => id !== 'd-3').sort());
      const stored = new Map((await ds.getRepository(DeviceEntity).find()).map((d) => [d.id, d]));
      expect(stored.size).toBe(n);
      for (const i of [0, 1, 2, 7, n - 1]) {
        const d = stored.get(`d-${i}`);
        expect([d?.name, d?.online, d?.lastSeenAt === null ? null : Number(d?.lastSeenAt), d?.agentVersion, d?.timelineVersion]).toEqual([`n-"${i}"\\`, i % 2 === 1, i % 3 === 0 ? null : 1_800_000_000_000 + i, i % 2 ? `1.${i}` : null, i]);
      }
    } finally {
      await db.close();
    }
  });
});

describe.each(DATABASES.filter(([name]) => name === 'sqlite'))('prepared row-by-row INSERT on %s (the report ingestion)', (_name, open) => {
  it('says which rows went in (not a stored row, nor a second copy), keeps every value, and runs inside the caller\'s transaction', async () => {
    const db = await open();
    try {
      const ds = db.dataSource;
      await seedArea(ds, '001');
      const cols = ['id', 'name', 'kind', 'area_code', 'secret_hash', 'online', 'last_seen_at', 'agent_version', 'timeline_version', 'acked_timeline_version', 'created_at'];
      const row = (i: number) => [`d-${i}`, `n-"${i}"\\`, 'speaker', '001', `h-${i}`, i % 2 === 1, i % 3 === 0 ? null : 1_800_000_000_000 + i, i % 2 ? `1.${i}` : null, i, 0, i];
      expect(await ds.transaction(async (tx) => insertIgnoringEachSqlite(tx, 'devices', cols, [row(3)]))).toEqual([true]);
      const went = await ds.transaction(async (tx) => insertIgnoringEachSqlite(tx, 'devices', cols, [row(1), row(3), row(2), row(1)]));
      expect(went).toEqual([true, false, true, false]);
      const stored = new Map((await ds.getRepository(DeviceEntity).find()).map((d) => [d.id, d]));
      expect([...stored.keys()].sort()).toEqual(['d-1', 'd-2', 'd-3']);
      for (const i of [1, 2, 3]) {
        const d = stored.get(`d-${i}`);
        expect([d?.name, d?.online, d?.lastSeenAt === null ? null : Number(d?.lastSeenAt), d?.agentVersion, d?.timelineVersion]).toEqual([`n-"${i}"\\`, i % 2 === 1, i % 3 === 0 ? null : 1_800_000_000_000 + i, i % 2 ? `1.${i}` : null, i]);
      }
      // On the driver's own connection, so inside the transaction: one that fails afterwards leaves none of its rows.
      let said: boolean[] = [];
      await expect(
        ds.transaction(async (tx) => {
          said = insertIgnoringEachSqlite(tx, 'devices', cols, [row(4), row(5), row(2)]);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(said).toEqual([true, true, false]);
      expect(await ds.getRepository(DeviceEntity).count()).toBe(3);
    } finally {
      await db.close();
    }
  });
});
