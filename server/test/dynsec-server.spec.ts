import type { MqttClient } from 'mqtt';
import { areaTopic, ENROLL_PATH, type EnrollResponse } from '@loa/shared';
import { DYNSEC, DYNSEC_RECONCILE_JOB } from '../src/broker-accounts/broker-accounts.module.js';
import type { BrokerAccountView } from '../src/broker-accounts/broker-accounts.js';
import type { DynsecRuntime } from '../src/broker-accounts/dynsec-runtime.js';
import { DomainEvents } from '../src/domain-events/domain-events.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import { closed, connectDevice, startDynsecBroker, type DynsecBroker } from './support/dynsec-broker.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * A whole Loa server on Mosquitto with dynamic security (LOA_BROKER_ACCOUNTS=dynsec): what the REST API does to
 * devices' accounts is what the broker enforces, as soon as the API has answered.
 */

const REFUSED = /Bad User Name or Password|Not authorized/i;

interface Registered {
  device: { id: string };
  secret: string;
}

interface CredentialsView {
  deviceId: string;
  revokedAt: string | null;
  brokerAccount?: BrokerAccountView;
}

describe('device accounts at Mosquitto, provisioned by the server (LOA_BROKER_ACCOUNTS=dynsec)', () => {
  let broker: DynsecBroker;
  let t: TestServer;
  const clients: MqttClient[] = [];

  const device = async (id: string, secret: string): Promise<MqttClient> => {
    const c = await connectDevice(broker.url, id, secret);
    clients.push(c);
    return c;
  };
  const register = async (id: string, areaCode = '01'): Promise<Registered> => {
    const r = await t.api<Registered>('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode });
    expect(r.status).toBe(201);
    return r.body;
  };
  const credentials = async (id: string) => (await t.api<CredentialsView>('GET', `/api/v1/devices/${id}/credentials`)).body;
  const dynsec = () => t.server.app.get<typeof DYNSEC, DynsecRuntime>(DYNSEC);
  const client = async (username: string) => (await broker.admin([{ command: 'getClient', username }]))[0]!;

  beforeAll(async () => {
    broker = await startDynsecBroker();
    t = await startTestServer({ ...broker.env, LOA_INSTANCE_ID: 'dynsec-1' });
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '001', name: 'Ba Đình', level: 'district', parentCode: '01' });
    await t.api('POST', '/api/v1/areas', { code: '02', name: 'Hà Giang', level: 'province' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });

  afterAll(async () => {
    await t?.close();
    await broker?.stop();
  });

  it('lets a registered device in as soon as the registration answered, and refuses a wrong secret', async () => {
    const { secret } = await register('spk-reg-1');
    const c = await device('spk-reg-1', secret);
    expect(c.connected).toBe(true);
    await expect(connectDevice(broker.url, 'spk-reg-1', `${secret}x`)).rejects.toThrow(REFUSED);
    expect(await credentials('spk-reg-1')).toEqual({
      deviceId: 'spk-reg-1',
      revokedAt: null,
      brokerAccount: { state: 'active', areasInSync: true, lastError: null, lastErrorAt: null },
    });
    // The account is marked Loa's, pinned to the device's client id, with its area's role.
    expect((await client('spk-reg-1')).data).toMatchObject({
      client: { username: 'spk-reg-1', clientid: 'spk-reg-1', textname: 'loa-device', roles: expect.arrayContaining([expect.objectContaining({ rolename: 'loa-area-01' })]) },
    });
  });

  it('creates the accounts of a bulk registration before answering', async () => {
    const devices = Array.from({ length: 40 }, (_, i) => ({ id: `spk-bulk-${i}`, name: `bulk ${i}`, kind: 'speaker', areaCode: i % 2 ? '01' : '001' }));
    const r = await t.api<{ devices: Array<{ id: string; secret: string }> }>('POST', '/api/v1/devices/bulk', { devices });
    expect(r.status).toBe(201);
    for (const d of [r.body.devices[0]!, r.body.devices[39]!]) expect((await device(d.id, d.secret)).connected).toBe(true);
    const c = await device(r.body.devices[2]!.id, r.body.devices[2]!.secret);
    // A device of district 001 follows its province's alerts too, not another province's.
    expect((await c.subscribeAsync(areaTopic('001', 'alert'), { qos: 1 }))[0]!.qos).toBe(1);
    expect((await c.subscribeAsync(areaTopic('01', 'alert'), { qos: 1 }))[0]!.qos).toBe(1);
    await expect(c.subscribeAsync(areaTopic('02', 'alert'), { qos: 1 })).rejects.toThrow(/Not authorized/);
  });

  it('revoking ends the session and refuses the secret; rotating lets in the new secret only, ending the old session', async () => {
    const { secret } = await register('spk-rev-1');
    const first = await device('spk-rev-1', secret);
    const kicked = closed(first);
    expect((await t.api('POST', '/api/v1/devices/spk-rev-1/revoke')).status).toBe(200);
    await kicked;
    await expect(connectDevice(broker.url, 'spk-rev-1', secret)).rejects.toThrow(REFUSED);
    expect((await credentials('spk-rev-1')).brokerAccount?.state).toBe('disabled');

    const rotated = await t.api<{ secret: string }>('POST', '/api/v1/devices/spk-rev-1/credentials/rotate');
    expect(rotated.status).toBe(201);
    const second = await device('spk-rev-1', rotated.body.secret);
    await expect(connectDevice(broker.url, 'spk-rev-1', secret)).rejects.toThrow(REFUSED);
    expect((await credentials('spk-rev-1')).brokerAccount?.state).toBe('active');

    // Rotating again: the session opened with the previous secret ends.
    const ended = closed(second);
    const again = await t.api<{ secret: string }>('POST', '/api/v1/devices/spk-rev-1/credentials/rotate');
    await ended;
    await expect(connectDevice(broker.url, 'spk-rev-1', rotated.body.secret)).rejects.toThrow(REFUSED);
    expect((await device('spk-rev-1', again.body.secret)).connected).toBe(true);
  });

  it('moves a device\'s alert channels with it', async () => {
    const { secret } = await register('spk-move-1', '001');
    const c = await device('spk-move-1', secret);
    // The account follows the move after the answer (device.moved): its session ends when the roles change.
    const kicked = closed(c);
    expect((await t.api('PATCH', '/api/v1/devices/spk-move-1', { areaCode: '02' })).status).toBe(200);
    await kicked;
    const moved = await device('spk-move-1', secret);
    expect((await moved.subscribeAsync(areaTopic('02', 'alert'), { qos: 1 }))[0]!.qos).toBe(1);
    await expect(moved.subscribeAsync(areaTopic('01', 'alert'), { qos: 1 })).rejects.toThrow(/Not authorized/);
  });

  it('keeps an enrolment refused until it is claimed, then lets it in with its own secret; a rejected one is deleted', async () => {
    const { key } = (await t.api<{ key: string }>('POST', '/api/v1/provisioning-keys', { label: 'batch', areaCode: '001', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), maxUses: 5 })).body;
    const enrol = async (hardwareId: string, deviceId: string) => {
      const res = await fetch(`${t.baseUrl}${ENROLL_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provisioningKey: key, hardwareId, kind: 'speaker', deviceId }) });
      expect(res.status).toBe(201);
      return (await res.json()) as EnrollResponse;
    };
    const me = await enrol('SN-1', 'spk-enr-1');
    await expect(connectDevice(broker.url, me.deviceId, me.secret)).rejects.toThrow(REFUSED);
    expect((await client(me.deviceId)).data).toMatchObject({ client: { textname: 'loa-device', disabled: true } });
    // Enrolling again renews the secret: still refused, with either.
    const renewed = await enrol('SN-1', 'spk-enr-1');
    await expect(connectDevice(broker.url, me.deviceId, renewed.secret)).rejects.toThrow(REFUSED);

    expect((await t.api('POST', `/api/v1/provisioning/enrollments/${me.deviceId}/claim`, { areaCode: '001' })).status).toBe(201);
    expect((await device(me.deviceId, renewed.secret)).connected).toBe(true);
    await expect(connectDevice(broker.url, me.deviceId, me.secret)).rejects.toThrow(REFUSED);

    const other = await enrol('SN-2', 'spk-enr-2');
    expect((await client(other.deviceId)).error).toBeUndefined();
    expect((await t.api('POST', `/api/v1/provisioning/enrollments/${other.deviceId}/reject`)).status).toBe(200);
    expect((await client(other.deviceId)).error).toBe('Client not found');
  });

  it('deletes the account of a removed device', async () => {
    const { secret } = await register('spk-gone-1');
    const c = await device('spk-gone-1', secret);
    const kicked = closed(c);
    // No API removes devices yet: the event alone, as a removal would emit it.
    await t.server.app.get(DomainEvents).emitAsync('device.removed', { deviceId: 'spk-gone-1' });
    await kicked;
    expect((await client('spk-gone-1')).error).toBe('Client not found');
    // The device is still in the database: a rotation gives it an account again (what an operator does).
    expect((await t.api('POST', '/api/v1/devices/spk-gone-1/credentials/rotate')).status).toBe(201);
  });

  it('never touches an account it does not manage, and says so in the device\'s view', async () => {
    await broker.admin([{ command: 'createClient', username: 'spk-foreign-1', password: 'someone-elses' }]);
    const { secret } = await register('spk-foreign-1');
    await expect(connectDevice(broker.url, 'spk-foreign-1', secret)).rejects.toThrow(REFUSED);
    expect(await credentials('spk-foreign-1')).toMatchObject({ brokerAccount: { state: 'foreign', lastError: expect.stringMatching(/does not manage/) } });
    expect((await t.api('POST', '/api/v1/devices/spk-foreign-1/revoke')).status).toBe(200);
    expect((await client('spk-foreign-1')).data).toMatchObject({ client: { username: 'spk-foreign-1' } });
    expect((await client('spk-foreign-1')).data).not.toMatchObject({ client: { disabled: true } });
  });

  it('reconciles a tampered dynamic security with the database, and reports what it cannot mend', async () => {
    const ok = await register('spk-rec-ok');
    const revoked = await register('spk-rec-revoked');
    expect((await t.api('POST', '/api/v1/devices/spk-rec-revoked/revoke')).status).toBe(200);
    const lost = await register('spk-rec-lost');
    // Someone edits the broker by hand: a revoked device let in again, a device's area role taken away, its client
    // id unpinned, a stray account marked Loa's, a device's account deleted, the device role and defaults loosened.
    const tampered = await broker.admin([
      { command: 'enableClient', username: 'spk-rec-revoked' },
      { command: 'modifyClient', username: 'spk-rec-ok', clientid: '', roles: [{ rolename: 'loa-device', priority: 1 }] },
      { command: 'createClient', username: 'spk-stray', password: 'stray-secret', textname: 'loa-device', roles: [{ rolename: 'loa-device' }] },
      { command: 'deleteClient', username: 'spk-rec-lost' },
      { command: 'modifyRole', rolename: 'loa-device', acls: [{ acltype: 'subscribePattern', topic: '#', allow: true }] },
      { command: 'setDefaultACLAccess', acls: [{ acltype: 'publishClientReceive', allow: true }] },
    ]);
    expect(tampered.filter((r) => r.error)).toEqual([]);
    expect((await device('spk-rec-revoked', revoked.secret)).connected).toBe(true);

    const report = await dynsec().reconciler.run();
    expect(report).toMatchObject({ deleted: 1, disabled: 1, modified: 1, settingsFixed: true, missing: ['spk-rec-lost'], failures: 0 });

    await expect(connectDevice(broker.url, 'spk-rec-revoked', revoked.secret)).rejects.toThrow(REFUSED);
    await expect(connectDevice(broker.url, 'spk-stray', 'stray-secret')).rejects.toThrow(REFUSED);
    const c = await device('spk-rec-ok', ok.secret);
    expect((await c.subscribeAsync(areaTopic('01', 'alert'), { qos: 1 }))[0]!.qos).toBe(1);
    await expect(c.subscribeAsync('#', { qos: 1 })).rejects.toThrow(/Not authorized/);
    expect((await client('spk-rec-ok')).data).toMatchObject({ client: { clientid: 'spk-rec-ok' } });
    expect((await broker.admin([{ command: 'getDefaultACLAccess' }]))[0]!.data).toMatchObject({ acls: expect.arrayContaining([{ acltype: 'publishClientReceive', allow: false }]) });
    expect((await credentials('spk-rec-lost')).brokerAccount?.state).toBe('missing');
    // The operator's way out for a device without an account: a rotation creates it.
    const rotated = await t.api<{ secret: string }>('POST', '/api/v1/devices/spk-rec-lost/credentials/rotate');
    expect((await device('spk-rec-lost', rotated.body.secret)).connected).toBe(true);

    // Run again: nothing left to do.
    expect(await dynsec().reconciler.run()).toMatchObject({ deleted: 0, disabled: 0, enabled: 0, modified: 0, areaRolesWritten: 0, settingsFixed: false, missing: [] });
    expect(t.server.app.get(JobScheduler).names()).toContain(DYNSEC_RECONCILE_JOB);
  });
});
