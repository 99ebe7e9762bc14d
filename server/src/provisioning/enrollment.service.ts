import { ConflictException, ForbiddenException, HttpException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { DeviceKind, EnrollmentStatus, EnrollRequest, EnrollResponse } from '@loa/shared';
import { BrokerAccounts, NoBrokerAccounts } from '../broker-accounts/broker-accounts.js';
import { Clock } from '../common/clock.js';
import { isoOrNull } from '../common/iso.js';
import type { EnrollmentEntity, EnrollmentState } from './enrollment.entity.js';
import { DeviceCredentialsService, secretMatches } from '../device-auth/device-credentials.service.js';
import { DeviceLoginService } from '../device-auth/device-login.service.js';
import { DevicesService, type DeviceView } from '../devices/devices.service.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { Metrics } from '../common/metrics.js';
import { SigningService } from '../signing/signing.service.js';
import { hashProvisioningKey } from './provisioning-keys.service.js';
import { ProvisioningRepository, type EnrollmentRow } from './provisioning.repository.js';
import type { EnrollmentView } from '@loa/shared/rest';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
export type { EnrollmentView } from '@loa/shared/rest';

export interface Claim {
  /** Defaults to the provisioning key's area. */
  areaCode?: string | undefined;
  name?: string | undefined;
  tags?: string[] | undefined;
}

const view = (e: EnrollmentRow): EnrollmentView => ({
  deviceId: e.deviceId,
  hardwareId: e.hardwareId,
  kind: e.kind,
  name: e.name,
  state: e.state,
  keyId: e.keyId,
  keyLabel: e.keyLabel,
  proposedAreaCode: e.keyAreaCode,
  areaCode: e.areaCode,
  sourceAddress: e.sourceAddress,
  enrolledAt: isoOrNull(e.createdAt) ?? '',
  updatedAt: isoOrNull(e.updatedAt) ?? '',
  decidedAt: isoOrNull(e.decidedAt),
});

const tooMany = (): HttpException => new HttpException('too many failed attempts; try again later', HttpStatus.TOO_MANY_REQUESTS);

/**
 * Zero-touch provisioning, device side and operator side. A device holding a provisioning key enrols and gets its
 * identity (id, secret, the server's signing key) at once, as a *pending* enrolment: its id is reserved but it is no
 * device yet, so the broker refuses it. An operator who recognises it (hardware id, key, address) claims it into an
 * area, which registers the device with the same id and secret; or rejects it. The device polls its status with
 * HTTP Basic (id and secret) meanwhile.
 */
@Injectable()
export class EnrollmentService {
  constructor(
    private readonly repo: ProvisioningRepository,
    private readonly devices: DevicesService,
    private readonly credentials: DeviceCredentialsService,
    private readonly logins: DeviceLoginService,
    private readonly signing: SigningService,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
    // Services built by hand (tests, tools) have no broker accounts to keep.
    private readonly accounts: BrokerAccounts = new NoBrokerAccounts(),
  ) {}

  /**
   * Public: the key is the credential, slowed down like device logins (an unknown key counts as an unknown id, against
   * the address's budget); a valid key is never refused for others' failures. Enrolling again with
   * the same key and hardware id while pending returns the same enrolment with a fresh secret (the old one stops
   * working) and does not use up the key.
   */
  async enroll(req: EnrollRequest, address: string | undefined): Promise<EnrollResponse> {
    const keyHash = hashProvisioningKey(req.provisioningKey);
    const limitId = `pk:${keyHash.slice(7, 23)}`;
    const key = await this.repo.findKeyByHash(keyHash);
    if (!key || key.deletedAt !== null) {
      if ((await this.logins.failed(limitId, address, true)) === 'throttled') {
        this.metrics.inc('enroll_throttled');
        throw tooMany();
      }
      this.metrics.inc('enroll_refused');
      this.logger.warn({ ctx: 'provisioning', address, hardwareId: req.hardwareId }, 'enrolment refused: unknown provisioning key');
      throw new UnauthorizedException('invalid provisioning key');
    }
    const now = this.clock.now();
    if (key.expiresAt <= now) throw new ForbiddenException('provisioning key expired');
    const { secret, secretHash } = this.credentials.mintSecret();
    const response = (deviceId: string): EnrollResponse => ({ deviceId, secret, serverPublicKey: this.signing.publicKey, state: 'pending' });

    const previous = await this.repo.findEnrollmentOf(key.id, req.hardwareId);
    if (previous?.state === 'claimed') throw new ConflictException(`this hardware is already enrolled as device ${previous.deviceId}; an operator can rotate its credentials`);
    if (previous?.state === 'rejected') throw new ForbiddenException('this enrolment was rejected by an operator');
    if (previous) {
      const renewed = await this.repo.updatePending(previous.deviceId, { secretHash, kind: req.kind, name: req.name ?? previous.name, sourceAddress: address ?? null, updatedAt: now });
      if (!renewed) throw new ConflictException('this enrolment was decided meanwhile; enrol again');
      // The secret exists in plaintext only now: a broker keeping its own accounts stores it, refused until claimed.
      await this.accounts.issued([{ deviceId: previous.deviceId, secret, areaCodes: null }]);
      this.logger.info({ ctx: 'provisioning', deviceId: previous.deviceId, hardwareId: req.hardwareId, keyId: key.id, address }, 'device enrolled again (new secret)');
      this.metrics.inc('enrolled_again');
      return response(previous.deviceId);
    }

    for (let attempt = 0; attempt < 5; attempt++) {
      const deviceId = attempt === 0 && req.deviceId && !(await this.repo.deviceIdTaken(req.deviceId)) ? req.deviceId : await this.freeDeviceId(req.kind);
      const enrollment: EnrollmentEntity = {
        deviceId,
        keyId: key.id,
        hardwareId: req.hardwareId,
        kind: req.kind,
        name: req.name ?? null,
        secretHash,
        state: 'pending',
        areaCode: null,
        sourceAddress: address ?? null,
        createdAt: now,
        updatedAt: now,
        decidedAt: null,
        decidedBy: null,
      };
      let stored: boolean;
      try {
        stored = await this.repo.createEnrollment(enrollment, now);
      } catch (err) {
        // The id was taken by a concurrent enrolment between the check and the insert: pick another.
        if (await this.repo.deviceIdTaken(deviceId)) continue;
        throw err;
      }
      if (!stored) throw new ForbiddenException('provisioning key used up, expired or deleted');
      this.logins.succeeded(limitId, address);
      await this.accounts.issued([{ deviceId, secret, areaCodes: null }]);
      this.metrics.inc('enrolled');
      this.logger.info({ ctx: 'provisioning', deviceId, hardwareId: req.hardwareId, kind: req.kind, keyId: key.id, address }, 'device enrolled; waiting to be claimed');
      return response(deviceId);
    }
    throw new ConflictException('could not reserve a device id; try again');
  }

  async list(state?: EnrollmentState): Promise<EnrollmentView[]> {
    return (await this.repo.listEnrollments(state)).map(view);
  }

  /** Registers the enrolled device (same id and secret) in the area; it may connect from now on. */
  async claim(deviceId: string, claim: Claim, by: string): Promise<{ enrollment: EnrollmentView; device: DeviceView }> {
    const e = await this.pending(deviceId);
    const areaCode = claim.areaCode ?? e.keyAreaCode;
    if (!areaCode) throw badRequest('enrolment.needs-area');
    await this.devices.register({ id: deviceId, name: claim.name ?? e.name ?? e.hardwareId, kind: e.kind, areaCode, tags: claim.tags }, { enrolled: true });
    const now = this.clock.now();
    if (!(await this.repo.completeClaim(deviceId, e.secretHash, { areaCode, decidedAt: now, decidedBy: by, updatedAt: now }))) {
      throw conflict('enrolment.decided-meanwhile', { id: deviceId });
    }
    // The device row was created with a throwaway secret: make sure nothing cached it.
    this.credentials.invalidate(deviceId);
    // Its broker account, holding the enrolment's secret since it enrolled, may log in from now on.
    await this.accounts.admitted(deviceId, await this.credentials.areaCodes(deviceId));
    this.logger.info({ ctx: 'provisioning', deviceId, areaCode, by }, 'enrolment claimed; device registered');
    return { enrollment: await this.view(deviceId), device: await this.devices.get(deviceId) };
  }

  async reject(deviceId: string, by: string): Promise<EnrollmentView> {
    await this.pending(deviceId);
    const now = this.clock.now();
    if (!(await this.repo.updatePending(deviceId, { state: 'rejected', decidedAt: now, decidedBy: by, updatedAt: now }))) {
      throw conflict('enrolment.decided-meanwhile', { id: deviceId });
    }
    await this.accounts.discarded([deviceId]);
    this.logger.info({ ctx: 'provisioning', deviceId, by }, 'enrolment rejected');
    return this.view(deviceId);
  }

  /** For the enrolled device itself (HTTP Basic with its id and secret), slowed down like any device login. */
  async status(deviceId: string, secret: string, address: string | undefined): Promise<EnrollmentStatus> {
    const e = await this.repo.findEnrollment(deviceId);
    // Once claimed, the device's own credentials count (rotated or revoked since, perhaps).
    const ok = e !== null && (e.state === 'claimed' ? (await this.credentials.check(deviceId, secret)) !== 'invalid' : secretMatches(secret, e.secretHash));
    if (!e || !ok) {
      if ((await this.logins.failed(deviceId, address, e === null)) === 'throttled') throw tooMany();
      throw new UnauthorizedException('invalid enrolment credentials');
    }
    this.logins.succeeded(deviceId, address);
    return { deviceId, state: e.state, areaCode: e.state === 'claimed' ? e.areaCode : null };
  }

  private async pending(deviceId: string): Promise<EnrollmentRow> {
    const e = await this.repo.enrollmentWithKey(deviceId);
    if (!e) throw notFound('enrolment.not-found', { id: deviceId });
    if (e.state !== 'pending') throw conflict('enrolment.decided', { id: deviceId, state: e.state });
    return e;
  }

  private async view(deviceId: string): Promise<EnrollmentView> {
    const e = await this.repo.enrollmentWithKey(deviceId);
    if (!e) throw notFound('enrolment.not-found', { id: deviceId });
    return view(e);
  }

  private async freeDeviceId(kind: DeviceKind): Promise<string> {
    for (;;) {
      const id = `${kind === 'speaker' ? 'spk' : 'board'}-${randomBytes(5).toString('hex')}`;
      if (!(await this.repo.deviceIdTaken(id))) return id;
    }
  }
}
