import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import mqtt from 'mqtt';
import type { VirtualDeviceFault, VirtualDeviceView } from '@loa/shared/rest';
import { AppConfig } from '../config/app-config.js';
import { MessageBroker } from '../broker/message-broker.js';
import { DevicesService } from '../devices/devices.service.js';
import { DeviceSecurityService } from '../device-security/device-security.service.js';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { notFound } from '../common/loa-error.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { VirtualDevice, type VirtualDeviceDeps } from './virtual-device.js';
import { VirtualTimers } from './virtual-timers.js';

/** Who rotates the devices' secrets, in the log. */
const ROTATED_BY = 'practice-virtual-devices';
/** The agent's default telemetry period (LOA_AGENT_TELEMETRY_INTERVAL_S). */
const TELEMETRY_INTERVAL_MS = 60_000;
export const VIRTUAL_AGENT_VERSION = 'practice-virtual';

/**
 * Issue 21: the virtual speakers and boards of a practice instance. Built only when LOA_PRACTICE_MODE=1 (see
 * VirtualDevicesModule): at start-up every device of the practice database gets a virtual device, and every device
 * registered later (the sandbox's seed, a trainee registering one) gets one when `device.registered` says so.
 *
 * Credentials: the server keeps only a hash of a device's secret, so each virtual device takes a new secret through
 * the operators' own rotation (DeviceSecurityService.rotate) and keeps it in memory; the secret shown at
 * registration therefore stops working, which in a practice instance nobody needs (no real agent may log in there).
 * A revoked device gets no virtual device (a rotation would re-enable it).
 */
@Injectable()
export class VirtualDevicesService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly devices = new Map<string, { device: VirtualDevice; areaCode: string }>();
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly broker: MessageBroker,
    private readonly devicesService: DevicesService,
    private readonly security: DeviceSecurityService,
    private readonly scope: ScopeService,
    private readonly timers: VirtualTimers,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const all = await this.devicesService.list();
    await this.add(all.filter((d) => d.revokedAt === null).map((d) => ({ id: d.id, kind: d.kind, areaCode: d.areaCode })));
    this.logger.info({ ctx: 'virtual-devices', devices: this.devices.size }, 'practice mode: virtual devices started');
  }

  onModuleDestroy(): void {
    this.stopping = true;
    for (const { device } of this.devices.values()) device.stop();
    this.devices.clear();
  }

  /** Detached: the registration answers without waiting for its virtual devices to connect. */
  @OnEvent('device.registered')
  onRegistered({ deviceIds }: DomainEventMap['device.registered']): void {
    void this.addByIds(deviceIds).catch((err: unknown) => this.logger.error({ ctx: 'virtual-devices', err: (err as Error).message }, 'virtual devices not started'));
  }

  @OnEvent('device.removed')
  onRemoved({ deviceId }: DomainEventMap['device.removed']): void {
    this.drop(deviceId);
  }

  @OnEvent('device.revoked')
  onRevoked({ deviceId }: DomainEventMap['device.revoked']): void {
    this.drop(deviceId);
  }

  @OnEvent('device.moved')
  onMoved({ deviceId, toArea }: DomainEventMap['device.moved']): void {
    const held = this.devices.get(deviceId);
    if (held) held.areaCode = toArea;
  }

  /** The virtual devices the user may see (their area's subtree), by id. */
  async list(user: UserPrincipal): Promise<VirtualDeviceView[]> {
    const rows = [...this.devices.values()].map(({ device, areaCode }) => ({ ...device.view(), areaCode }));
    const visible = await this.scope.filterByArea(user, rows, (r) => r.areaCode);
    return visible.sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  async get(user: UserPrincipal, deviceId: string): Promise<VirtualDeviceView> {
    await this.scope.checkDevice(user, deviceId, 'read');
    const held = this.devices.get(deviceId);
    if (!held) throw notFound('device.not-found', { id: deviceId });
    return { ...held.device.view(), areaCode: held.areaCode };
  }

  /** Puts a failure on (or takes it off) a virtual device of the user's area. */
  async setFault(user: UserPrincipal, deviceId: string, fault: VirtualDeviceFault): Promise<VirtualDeviceView> {
    await this.scope.checkDevice(user, deviceId, 'write');
    const held = this.devices.get(deviceId);
    if (!held) throw notFound('device.not-found', { id: deviceId });
    held.device.setFault(fault);
    this.logger.info({ ctx: 'virtual-devices', deviceId, fault, by: user.username }, 'virtual device fault set');
    return { ...held.device.view(), areaCode: held.areaCode };
  }

  private async addByIds(ids: readonly string[]): Promise<void> {
    const specs: Array<{ id: string; kind: VirtualDeviceView['kind']; areaCode: string }> = [];
    for (const id of ids) {
      if (this.devices.has(id)) continue;
      const d = await this.devicesService.get(id).catch(() => null);
      if (d && d.revokedAt === null) specs.push({ id: d.id, kind: d.kind, areaCode: d.areaCode });
    }
    await this.add(specs);
  }

  private async add(specs: ReadonlyArray<{ id: string; kind: VirtualDeviceView['kind']; areaCode: string }>): Promise<void> {
    for (const s of specs) {
      if (this.stopping || this.devices.has(s.id)) continue;
      const { secret } = await this.security.rotate(s.id, ROTATED_BY);
      if (this.stopping || this.devices.has(s.id)) continue;
      const device = new VirtualDevice({ id: s.id, kind: s.kind, areaCode: s.areaCode, secret }, this.deps);
      this.devices.set(s.id, { device, areaCode: s.areaCode });
      device.start();
    }
  }

  private drop(deviceId: string): void {
    const held = this.devices.get(deviceId);
    if (!held) return;
    this.devices.delete(deviceId);
    held.device.stop();
  }

  private depsMemo: VirtualDeviceDeps | null = null;

  /** Built on first use: a field initialiser would run before the constructor's parameters are assigned. */
  private get deps(): VirtualDeviceDeps {
    return (this.depsMemo ??= {
      timers: this.timers,
      brokerUrl: () => this.brokerUrl(),
      connect: (url, options) => mqtt.connect(url, options),
      renewSecret: (deviceId) => this.renewSecret(deviceId),
      telemetryIntervalMs: TELEMETRY_INTERVAL_MS,
      agentVersion: VIRTUAL_AGENT_VERSION,
      log: (deviceId, msg, extra) => this.logger.debug({ ctx: 'virtual-devices', deviceId, ...extra }, msg),
    });
  }

  /** The instance's own broker on loopback; null until it listens (the broker opens after the features start). */
  private brokerUrl(): string | null {
    const host = ['0.0.0.0', '::', ''].includes(this.config.mqttHost) ? '127.0.0.1' : this.config.mqttHost;
    const h = host.includes(':') ? `[${host}]` : host;
    if (this.broker.port !== null) return `mqtt://${h}:${this.broker.port}`;
    if (this.broker.tlsPort !== null) return `mqtts://${h}:${this.broker.tlsPort}`;
    return null;
  }

  /** Someone rotated the secret in practice: take a new one, unless the device is gone or revoked. */
  private async renewSecret(deviceId: string): Promise<string | null> {
    if (this.stopping || !this.devices.has(deviceId)) return null;
    const d = await this.devicesService.get(deviceId).catch(() => null);
    if (!d || d.revokedAt !== null) return null;
    return (await this.security.rotate(deviceId, ROTATED_BY)).secret;
  }
}
