import { Inject, Injectable, Optional } from '@nestjs/common';
import { BrokerAccounts, NoBrokerAccounts, type BrokerAccountView } from '../broker-accounts/broker-accounts.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { Clock } from '../common/clock.js';
import { isoOrNull } from '../common/iso.js';
import { MessageBroker } from '../broker/message-broker.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { SigningService } from '../signing/signing.service.js';
import { DeviceCredentialsService } from '../device-auth/device-credentials.service.js';
import { DevicePresence } from './device-presence.js';
import { DeviceSecurityRepository } from './device-security.repository.js';
import { notFound } from '../common/loa-error.js';

export interface RotatedCredentials {
  deviceId: string;
  /** Shown only this once. */
  secret: string;
  /** What the agent pins (GET /api/v1/signing-key), so an installer has the whole agent configuration at hand. */
  serverPublicKey: string;
}

export interface CredentialsView {
  deviceId: string;
  revokedAt: string | null;
  /** Its account at the external broker (LOA_BROKER_ACCOUNTS=dynsec), as the broker reports it now; absent otherwise. */
  brokerAccount?: BrokerAccountView;
}

/**
 * Operator actions on a registered device's credentials. Both take effect at once: the credentials cache is
 * invalidated before the device's MQTT session is ended, so its reconnect is checked against the new state.
 */
@Injectable()
export class DeviceSecurityService {
  constructor(
    private readonly repo: DeviceSecurityRepository,
    private readonly credentials: DeviceCredentialsService,
    private readonly broker: MessageBroker,
    private readonly presence: DevicePresence,
    private readonly signing: SigningService,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
    // Services built by hand (tests, tools) have no broker accounts to keep and nobody listening.
    private readonly accounts: BrokerAccounts = new NoBrokerAccounts(),
    @Optional() private readonly events?: DomainEvents,
  ) {}

  /** A new secret (returned once); the old one stops working and the live session ends. Re-enables a revoked device. */
  async rotate(deviceId: string, by: string): Promise<RotatedCredentials> {
    await this.requireDevice(deviceId);
    const { secret, secretHash } = this.credentials.mintSecret();
    await this.repo.replaceSecret(deviceId, secretHash);
    this.credentials.invalidate(deviceId);
    // A broker keeping its own accounts takes the new secret (and re-enables a revoked device) before the answer.
    await this.accounts.issued([{ deviceId, secret, areaCodes: await this.credentials.areaCodes(deviceId) }]);
    await this.broker.disconnect(deviceId);
    this.logger.info({ ctx: 'device-auth', deviceId, by }, 'device credentials rotated');
    return { deviceId, secret, serverPublicKey: this.signing.publicKey };
  }

  /** The device can no longer log in (MQTT or HTTP); its session ends and it is shown offline. Idempotent. */
  async revoke(deviceId: string, by: string): Promise<CredentialsView> {
    await this.requireDevice(deviceId);
    const revocation = await this.repo.revoke(deviceId, this.clock.now(), by);
    this.credentials.invalidate(deviceId);
    // Awaited: a broker keeping its own accounts has disabled it (bounded wait) before the answer.
    await this.events?.emitAsync('device.revoked', { deviceId });
    await this.broker.disconnect(deviceId);
    // After the disconnect: its last will ("offline, will") comes first, the administrative reason last and sticky.
    await this.presence.markOffline(deviceId, 'revoked');
    this.logger.warn({ ctx: 'device-auth', deviceId, by }, 'device revoked');
    return { deviceId, revokedAt: isoOrNull(revocation.revokedAt) };
  }

  async view(deviceId: string): Promise<CredentialsView> {
    await this.requireDevice(deviceId);
    const brokerAccount = await this.accounts.account(deviceId);
    return { deviceId, revokedAt: isoOrNull((await this.repo.revocation(deviceId))?.revokedAt), ...(brokerAccount ? { brokerAccount } : {}) };
  }

  /** Revocation instants (ISO) of these devices, for device views; absent means not revoked. */
  async revokedAt(deviceIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const [id, at] of await this.repo.revokedAt(deviceIds)) out.set(id, new Date(at).toISOString());
    return out;
  }

  get serverPublicKey(): string {
    return this.signing.publicKey;
  }

  private async requireDevice(deviceId: string): Promise<void> {
    if (!(await this.repo.exists(deviceId))) throw notFound('device.not-found', { id: deviceId });
  }
}
