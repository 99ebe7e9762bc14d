import { ConflictException, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { enrollResponseSchema, type EnrollRequest } from '@loa/shared';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { EnrollmentEntity } from '../src/provisioning/enrollment.entity.js';
import { ProvisioningKeyEntity } from '../src/provisioning/provisioning-key.entity.js';
import { DeviceCredentialsService } from '../src/device-auth/device-credentials.service.js';
import { EnrollmentService } from '../src/provisioning/enrollment.service.js';
import { ProvisioningKeysService } from '../src/provisioning/provisioning-keys.service.js';
import { SigningService } from '../src/signing/signing.service.js';
import { startTestServerOn, type TestServer } from './support/server.js';

const serverOn = startTestServerOn;

const HOUR = 3_600_000;

describe.each(['sqlite', 'postgres'])(`${ProvisioningKeysService.name} on %s`, (dbName) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let sut: ProvisioningKeysService;
  let db: DataSource;

  beforeAll(async () => {
    ({ t, close } = await serverOn(dbName));
    sut = t.server.app.get(ProvisioningKeysService);
    db = t.server.app.get(DataSource);
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
  });

  afterAll(() => close());

  it('returns the key once and stores only its hash', async () => {
    const expiresAt = Date.now() + HOUR;
    const { provisioningKey, key } = await sut.create({ label: 'Lô loa xã Tây Đằng', areaCode: '01', expiresAt, maxUses: 20 }, 'admin-id');
    expect(key).toMatch(/^lpk_[A-Za-z0-9_-]{32}$/);
    expect(provisioningKey).toMatchObject({ label: 'Lô loa xã Tây Đằng', areaCode: '01', maxUses: 20, uses: 0, active: true, createdBy: 'admin-id', expiresAt: new Date(expiresAt).toISOString() });
    const row = await db.getRepository(ProvisioningKeyEntity).findOneByOrFail({ id: provisioningKey.id });
    expect(row.keyHash).toBe(`sha256$${createHash('sha256').update(key).digest('hex')}`);
    expect(JSON.stringify(await sut.list())).not.toContain(key.slice(4));
    expect((await sut.list()).map((k) => k.id)).toContain(provisioningKey.id);
  });

  it('refuses a key that expires in the past or names an unknown area', async () => {
    await expect(sut.create({ label: 'x', expiresAt: Date.now() - 1, maxUses: 1 }, 'u')).rejects.toThrow(/expiresAt/);
    await expect(sut.create({ label: 'x', areaCode: 'nowhere', expiresAt: Date.now() + HOUR, maxUses: 1 }, 'u')).rejects.toThrow(/area nowhere/);
  });

  it('deletes a key: no longer listed, a second delete is 404', async () => {
    const { provisioningKey } = await sut.create({ label: 'to delete', expiresAt: Date.now() + HOUR, maxUses: 1 }, 'u');
    await sut.delete(provisioningKey.id, 'u');
    expect((await sut.list()).map((k) => k.id)).not.toContain(provisioningKey.id);
    await expect(sut.delete(provisioningKey.id, 'u')).rejects.toThrow(/not found/);
  });
});

describe.each(['sqlite', 'postgres'])(`${EnrollmentService.name} on %s`, (dbName) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let sut: EnrollmentService;
  let keys: ProvisioningKeysService;
  let credentials: DeviceCredentialsService;
  let db: DataSource;
  let publicKey: string;

  beforeAll(async () => {
    ({ t, close } = await serverOn(dbName, { LOA_DEVICE_LOGIN_MAX_FAILURES: '4' }));
    sut = t.server.app.get(EnrollmentService);
    keys = t.server.app.get(ProvisioningKeysService);
    credentials = t.server.app.get(DeviceCredentialsService);
    db = t.server.app.get(DataSource);
    publicKey = t.server.app.get(SigningService).publicKey;
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '00004', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
  });

  afterAll(() => close());

  const newKey = async (maxUses = 10, areaCode?: string) => (await keys.create({ label: 'batch', areaCode, expiresAt: Date.now() + HOUR, maxUses }, 'admin-id')).key;
  const request = (provisioningKey: string, hardwareId: string, extra: Partial<EnrollRequest> = {}): EnrollRequest => ({ provisioningKey, hardwareId, kind: 'speaker', ...extra });
  const usesOf = async (key: string) =>
    (await db.getRepository(ProvisioningKeyEntity).findOneByOrFail({ keyHash: `sha256$${createHash('sha256').update(key).digest('hex')}` })).uses;

  it('enrols a device as pending, with a secret and the server key to pin; it is no device yet', async () => {
    const key = await newKey();
    const r = await sut.enroll(request(key, 'SN-0001', { deviceId: 'spk-enrol-1', name: 'Cụm loa thôn 1' }), '203.0.113.5');
    expect(enrollResponseSchema.parse(r)).toEqual({ deviceId: 'spk-enrol-1', secret: expect.any(String), serverPublicKey: publicKey, state: 'pending' });
    expect(await credentials.check('spk-enrol-1', r.secret)).toBe('invalid');
    expect(await db.getRepository(DeviceEntity).countBy({ id: 'spk-enrol-1' })).toBe(0);
    const [listed] = (await sut.list('pending')).filter((e) => e.deviceId === 'spk-enrol-1');
    expect(listed).toMatchObject({ hardwareId: 'SN-0001', kind: 'speaker', name: 'Cụm loa thôn 1', state: 'pending', keyLabel: 'batch', sourceAddress: '203.0.113.5', areaCode: null });
    expect(await sut.status('spk-enrol-1', r.secret, '203.0.113.5')).toEqual({ deviceId: 'spk-enrol-1', state: 'pending', areaCode: null });
    expect(await usesOf(key)).toBe(1);
  });

  it('enrolling again while pending returns the same enrolment with a fresh secret, without using up the key', async () => {
    const key = await newKey();
    const first = await sut.enroll(request(key, 'SN-AGAIN'), '203.0.113.6');
    const again = await sut.enroll(request(key, 'SN-AGAIN'), '203.0.113.6');
    expect(again.deviceId).toBe(first.deviceId);
    expect(again.secret).not.toBe(first.secret);
    expect(await db.getRepository(EnrollmentEntity).countBy({ hardwareId: 'SN-AGAIN' })).toBe(1);
    expect(await usesOf(key)).toBe(1);
    await expect(sut.status(first.deviceId, first.secret, '203.0.113.6')).rejects.toBeInstanceOf(UnauthorizedException);
    expect((await sut.status(again.deviceId, again.secret, '203.0.113.6')).state).toBe('pending');
  });

  it('assigns another id when the requested one is taken', async () => {
    await t.api('POST', '/api/v1/devices', { id: 'spk-taken', name: 'x', kind: 'speaker', areaCode: '01' });
    const key = await newKey();
    const r = await sut.enroll(request(key, 'SN-TAKEN', { deviceId: 'spk-taken' }), undefined);
    expect(r.deviceId).not.toBe('spk-taken');
    expect(r.deviceId).toMatch(/^spk-[0-9a-f]{10}$/);
  });

  it('never lets concurrent enrolments overdraw a key', async () => {
    const key = await newKey(3);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => sut.enroll(request(key, `SN-RACE-${i}`), undefined)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ForbiddenException);
    expect(await usesOf(key)).toBe(3);
  });

  it('refuses unknown, deleted and expired keys', async () => {
    await expect(sut.enroll(request('lpk_not-a-real-key-at-all', 'SN-X'), '198.51.100.1')).rejects.toBeInstanceOf(UnauthorizedException);
    const { provisioningKey, key } = await keys.create({ label: 'gone', expiresAt: Date.now() + HOUR, maxUses: 5 }, 'u');
    await keys.delete(provisioningKey.id, 'u');
    await expect(sut.enroll(request(key, 'SN-X'), '198.51.100.1')).rejects.toBeInstanceOf(UnauthorizedException);
    const soon = await keys.create({ label: 'short-lived', expiresAt: Date.now() + 300, maxUses: 5 }, 'u');
    await new Promise((r) => setTimeout(r, 400));
    await expect(sut.enroll(request(soon.key, 'SN-X'), '198.51.100.9')).rejects.toThrow(/expired/);
  });

  it('enrols a good key from an address that tried bad keys: others\' failures never refuse a valid key', async () => {
    const key = await newKey();
    for (let i = 0; i < 4; i++) await expect(sut.enroll(request(`lpk_guess-guess-guess-${i}`, 'SN-G'), '192.0.2.66')).rejects.toBeInstanceOf(UnauthorizedException);
    expect((await sut.enroll(request(key, 'SN-G'), '192.0.2.66')).state).toBe('pending');
  });

  it('claims into the key\'s area by default: the device exists with the same id and secret and may log in', async () => {
    const key = await newKey(10, '00004');
    const r = await sut.enroll(request(key, 'SN-CLAIM', { kind: 'board', name: 'Bảng tin UBND' }), undefined);
    const claimed = await sut.claim(r.deviceId, { tags: ['market'] }, 'admin-id');
    expect(claimed.enrollment).toMatchObject({ deviceId: r.deviceId, state: 'claimed', areaCode: '00004', proposedAreaCode: '00004' });
    expect(claimed.device).toMatchObject({ id: r.deviceId, kind: 'board', name: 'Bảng tin UBND', areaCode: '00004', tags: ['market'] });
    expect(await credentials.check(r.deviceId, r.secret)).toEqual({ areaCodes: ['01', '00004'] });
    expect(await sut.status(r.deviceId, r.secret, undefined)).toEqual({ deviceId: r.deviceId, state: 'claimed', areaCode: '00004' });
    await expect(sut.claim(r.deviceId, { areaCode: '01' }, 'admin-id')).rejects.toBeInstanceOf(ConflictException);
    // The same hardware enrolling again cannot take the claimed device over.
    await expect(sut.enroll(request(key, 'SN-CLAIM'), undefined)).rejects.toBeInstanceOf(ConflictException);
  });

  it('needs an area when the key proposes none, and refuses an unknown one', async () => {
    const key = await newKey();
    const r = await sut.enroll(request(key, 'SN-NOAREA'), undefined);
    await expect(sut.claim(r.deviceId, {}, 'admin-id')).rejects.toThrow(/areaCode/);
    await expect(sut.claim(r.deviceId, { areaCode: 'nowhere' }, 'admin-id')).rejects.toThrow(/area nowhere/);
    expect((await sut.claim(r.deviceId, { areaCode: '01', name: 'Named at claim' }, 'admin-id')).device.name).toBe('Named at claim');
  });

  it('rejects: the device learns it, cannot log in, and cannot enrol again with that hardware', async () => {
    const key = await newKey();
    const r = await sut.enroll(request(key, 'SN-REJECT'), undefined);
    expect((await sut.reject(r.deviceId, 'admin-id')).state).toBe('rejected');
    expect(await sut.status(r.deviceId, r.secret, undefined)).toEqual({ deviceId: r.deviceId, state: 'rejected', areaCode: null });
    expect(await credentials.check(r.deviceId, r.secret)).toBe('invalid');
    await expect(sut.claim(r.deviceId, { areaCode: '01' }, 'admin-id')).rejects.toBeInstanceOf(ConflictException);
    await expect(sut.enroll(request(key, 'SN-REJECT'), undefined)).rejects.toBeInstanceOf(ForbiddenException);
    expect((await sut.list('rejected')).map((e) => e.deviceId)).toContain(r.deviceId);
    expect((await sut.list('pending')).map((e) => e.deviceId)).not.toContain(r.deviceId);
  });
});
