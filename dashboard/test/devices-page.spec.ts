import { deviceListQuerySchema, type DeviceListItem, type DevicePage } from '@loa/shared/rest';
import { PAGE, SORTS, appendPage, filtersOf, hashOf, listQuery, type Loaded } from '../src/pages/devices.js';

/**
 * The devices page keeps its whole state in the URL (a link or the back button lands on the same list) and asks the
 * server for one page of it (issue 14): what it sends must be what the server's query schema reads.
 */
describe('devices page: URL state and server paging', () => {
  const parse = (hash: string) => filtersOf(new URLSearchParams(hash.split('?')[1] ?? ''));

  it('reads the links other pages make (overview chips and area rows)', () => {
    expect(parse('#/devices?status=online')).toEqual({ area: '', status: 'online', kind: '', q: '', sort: 'name:asc' });
    expect(parse('#/devices?area=00004')).toMatchObject({ area: '00004', status: '' });
  });

  it('ignores values it does not know instead of sending them to the server', () => {
    expect(parse('#/devices?status=exploded&kind=lamp&sort=secret:asc')).toEqual({ area: '', status: '', kind: '', q: '', sort: 'name:asc' });
  });

  it('writes only what differs from the defaults, and reads back what it wrote', () => {
    expect(hashOf(parse('#/devices'))).toBe('#/devices');
    const f = { area: '00004', status: 'alarm', kind: 'board', q: ' chợ đông ', sort: 'lastSeenAt:desc' } as const;
    const hash = hashOf(f);
    expect(parse(hash)).toEqual({ ...f, q: 'chợ đông' });
    expect(hashOf(parse(hash))).toBe(hash);
  });

  it('asks for one page with the filters, the sort split in two, and the cursor when paging on', () => {
    const f = parse('#/devices?area=001&status=offline&q=loa&sort=lastSeenAt%3Aasc');
    expect(listQuery(f)).toEqual({ limit: PAGE, areaCode: '001', status: 'offline', kind: undefined, q: 'loa', sort: 'lastSeenAt', order: 'asc', cursor: undefined });
    expect(listQuery(parse('#/devices'), 'abc')).toMatchObject({ sort: 'name', order: 'asc', cursor: 'abc', q: undefined, areaCode: undefined });
    // As a query string reaches the server: every state the page can be in parses with the server's schema.
    const asSent = (q: Record<string, string | number | undefined>) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    for (const s of SORTS) {
      expect(listQuery({ ...f, sort: s }).sort).toBe(s.split(':')[0]);
      expect(deviceListQuerySchema.safeParse(asSent(listQuery({ ...f, sort: s }, 'c'))).success).toBe(true);
    }
  });

  it('appends the next page once per device and takes its cursor and counts', () => {
    const item = (id: string): DeviceListItem => ({ id, name: id, activeAlarms: 0 }) as unknown as DeviceListItem;
    const counts = { all: 3, online: 1, offline: 2, revoked: 0, alarm: 0, never: 0 };
    const prev: Loaded = { key: 'k', items: [item('a'), item('b')], total: 3, counts, nextCursor: 'c1' };
    const page: DevicePage = { items: [item('b'), item('c')], total: 4, limit: PAGE, offset: null, nextCursor: null, counts: { ...counts, all: 4 } };
    const next = appendPage(prev, page);
    expect(next.items.map((d) => d.id)).toEqual(['a', 'b', 'c']);
    expect(next).toMatchObject({ key: 'k', total: 4, nextCursor: null, counts: { all: 4 } });
  });
});
