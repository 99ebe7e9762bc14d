import { ALERT_PROGRESS_EVENT } from '@loa/shared/rest';
import { AlertProgress } from '../src/alerts/alert-progress.js';
import type { AlertProofService } from '../src/alerts/alert-proof.service.js';
import type { AlertEntity } from '../src/alerts/alert.entity.js';
import type { AlertsRepository } from '../src/alerts/alerts.repository.js';
import { ScopeService } from '../src/auth/area-scope.js';
import type { UserPrincipal } from '../src/auth/principal.js';
import { ScopeRepository } from '../src/auth/scope.repository.js';
import { EventBus, type ServerEvent } from '../src/events/event-bus.js';
import { reachesScope } from '../src/events/event-scope.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, seedArea, silentLogger } from './support/fixtures.js';

/**
 * Issue 18: an alert's live counts (`alert.progress`) reach every user who sees its banner: those above or in its area
 * (whose scope contains it) and those whose own area lies inside it (a commune officer under a province alert), and no
 * one else. Scopes are computed by the real ScopeService on a real database, as the event stream does at connect.
 */
describe.each(DATABASES)('alert.progress scoping on %s', (_name, open) => {
  let db: TestDatabase;
  let scopes: ScopeService;

  beforeEach(async () => {
    db = await open();
    const ds = db.dataSource;
    const p1 = await seedArea(ds, '01', null, 'province');
    const d1 = await seedArea(ds, '001', p1, 'district');
    await seedArea(ds, '00004', d1);
    await seedArea(ds, '00007', d1);
    const p2 = await seedArea(ds, '02', null, 'province');
    await seedArea(ds, '00040', p2);
    scopes = new ScopeService(new ScopeRepository(ds));
  });

  afterEach(() => db.close());

  const user = (areaCode: string | null, role: UserPrincipal['role'] = 'commune_officer'): UserPrincipal => ({ type: 'user', userId: `u-${areaCode}`, username: `u-${areaCode}`, role, areaCode });

  /** The event AlertProgress publishes for an alert on `areaCode`, as the gateway receives it from the bus. */
  async function progressEvent(areaCode: string): Promise<ServerEvent> {
    const bus = new EventBus();
    const seen = new Promise<ServerEvent>((resolve) => bus.subscribe(resolve));
    const proof = { summary: async (a: AlertEntity) => ({ alertId: a.id, total: 3, byState: {}, areas: [], updatedAt: new Date(0).toISOString() }) } as unknown as AlertProofService;
    const alerts = { find: async (id: string) => ({ id, areaCode }) as AlertEntity } as unknown as AlertsRepository;
    const progress = new AlertProgress(bus, proof, alerts, new FixedClock(0), silentLogger);
    progress.onChanged({ alertIds: ['al-1'] });
    const event = await seen;
    progress.onModuleDestroy();
    return event;
  }

  it('reaches the users above, in and under the alert area, and not those of other areas', async () => {
    const province = await progressEvent('01');
    expect(province).toMatchObject({ type: ALERT_PROGRESS_EVENT, areaCode: '01', alertId: 'al-1', covering: true });
    const reaches = async (areaCode: string | null, role: UserPrincipal['role'] = 'commune_officer') => reachesScope(province, await scopes.of(user(areaCode, role)));
    expect(await reaches(null, 'admin')).toBe(true);
    expect(await reaches('01', 'operator')).toBe(true);
    expect(await reaches('001', 'operator')).toBe(true);
    expect(await reaches('00004')).toBe(true); // the commune officer under the province alert
    expect(await reaches('02', 'operator')).toBe(false);
    expect(await reaches('00040')).toBe(false);

    const commune = await progressEvent('00004');
    const sees = async (areaCode: string) => reachesScope(commune, await scopes.of(user(areaCode)));
    expect(await sees('01')).toBe(true);
    expect(await sees('00004')).toBe(true);
    expect(await sees('00007')).toBe(false); // a sibling commune is not covered
    expect(await sees('02')).toBe(false);
  });

  it('leaves other scoped events to the users whose scope contains their area', async () => {
    const officer = await scopes.of(user('00004'));
    expect(reachesScope({ areaCode: '01' }, officer)).toBe(false); // e.g. a province device's presence
    expect(reachesScope({ areaCode: '00004' }, officer)).toBe(true);
    expect(reachesScope({}, officer)).toBe(true);
    expect(reachesScope({ areaCode: '01', covering: true }, undefined)).toBe(false);
    // A code that only appears as part of another segment does not count as an ancestor.
    expect(reachesScope({ areaCode: '0000', covering: true }, officer)).toBe(false);
  });
});
