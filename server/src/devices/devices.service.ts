import { Inject, Injectable } from '@nestjs/common';
import type { DeviceKind, StatusMessage } from '@loa/shared';
import { AreasService } from '../areas/areas.service.js';
import { areaCodesOf } from '../areas/area.entity.js';
import { BrokerAccounts, NoBrokerAccounts } from '../broker-accounts/broker-accounts.js';
import { Clock } from '../common/clock.js';
import type { DeviceTelemetryEntity } from '../telemetry/device-telemetry.entity.js';
import type { DeviceEntity } from './device.entity.js';
import { DeviceCredentialsService } from '../device-auth/device-credentials.service.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DevicesRepository } from './devices.repository.js';
import { PresenceWriter } from './presence-writer.js';
import { normTags } from './tags.js';
import { deviceSearchText, nameSortKey } from '../common/search-text.js';
import { isoOrNull as iso } from '../common/iso.js';
import type { TelemetryView } from '@loa/shared/rest';
import { telemetryView } from './telemetry-view.js';
import { statusUpdate } from './presence-state.js';
import { SigningService } from '../signing/signing.service.js';
import type { DeviceLocation, DeviceView } from '@loa/shared/rest';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
export type { DeviceView } from '@loa/shared/rest';

export interface NewDevice {
  id: string;
  name: string;
  kind: DeviceKind;
  areaCode: string;
  tags?: string[] | undefined;
  /** Issue 19: where it stands, from the import's latitude/longitude/village/address columns. */
  location?: DeviceLocation | undefined;
}

export interface DeviceUpdate {
  name?: string | undefined;
  areaCode?: string | undefined;
  tags?: string[] | undefined;
  /** Board profile (boards only); null removes it. */
  profileId?: string | null | undefined;
  /** Issue 18/19: where it stands; null clears it. */
  location?: DeviceLocation | null | undefined;
}

const locationOf = (d: DeviceEntity): DeviceLocation | null =>
  d.latitude === null || d.latitude === undefined || d.longitude === null || d.longitude === undefined
    ? null
    : { latitude: d.latitude, longitude: d.longitude, ...(d.village ? { village: d.village } : {}), ...(d.address ? { address: d.address } : {}) };

export const deviceView = (d: DeviceEntity, telemetry: DeviceTelemetryEntity | null = null, revokedAt: number | null = null): DeviceView => ({
  id: d.id,
  name: d.name,
  kind: d.kind,
  areaCode: d.areaCode,
  tags: d.tags ?? [],
  online: d.online,
  lastSeenAt: iso(d.lastSeenAt),
  presenceChangedAt: iso(d.presenceChangedAt),
  presenceReason: d.presenceReason ?? null,
  agentVersion: d.agentVersion,
  timelineVersion: d.timelineVersion,
  ackedTimelineVersion: d.ackedTimelineVersion,
  createdAt: new Date(d.createdAt).toISOString(),
  telemetry: telemetry ? telemetryView(telemetry) : null,
  revokedAt: iso(revokedAt),
  profileId: d.profileId ?? null,
  location: locationOf(d),
  locationSource: locationOf(d) ? (d.locationSource ?? null) : null,
});

@Injectable()
export class DevicesService {
  constructor(
    private readonly repo: DevicesRepository,
    private readonly areas: AreasService,
    private readonly credentials: DeviceCredentialsService,
    private readonly presence: PresenceWriter,
    private readonly clock: Clock,
    private readonly signing: SigningService,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
    // Services built by hand (tests, tools) have no broker accounts to keep.
    private readonly accounts: BrokerAccounts = new NoBrokerAccounts(),
  ) {}

  /** Registers a device and returns its secret: the only time the secret is ever shown. */
  /** With the server key to pin, so the installer has the agent's whole configuration in one answer. */
  /** `enrolled`: a claimed enrolment, whose broker account holds the enrolment's secret (EnrollmentService admits it). */
  async register(input: NewDevice, options: { enrolled?: boolean } = {}): Promise<{ device: DeviceView; secret: string; serverPublicKey: string }> {
    const area = await this.areas.get(input.areaCode).catch(() => {
      throw badRequest('area.unknown', { id: input.areaCode });
    });
    if (await this.repo.find(input.id)) throw conflict('device.exists', { id: input.id });
    const { entity, secret } = this.newEntity(input);
    await this.repo.insert(entity);
    // Caches that answered "unknown device" (broker login) drop that answer inside emit, before planning gives the
    // device its first timeline (whatever already targets its area or tags); the answer follows that timeline.
    await this.events.emitAsync('device.registered', { deviceIds: [input.id] });
    // At a broker keeping its own accounts the device may log in once this answers (bounded wait, see BrokerAccounts).
    if (!options.enrolled) await this.accounts.issued([{ deviceId: input.id, secret, areaCodes: areaCodesOf(area.path) }]);
    this.logger.info({ ctx: 'devices', deviceId: input.id, areaCode: input.areaCode, kind: input.kind }, 'device registered');
    return { device: deviceView({ ...entity, timelineVersion: 1 }), secret, serverPublicKey: this.signing.publicKey };
  }

  /**
   * Registers a whole batch (a commune's speakers from a CSV, a simulated fleet) in one transaction. Every
   * device starts with a timeline that names its areas, so it can follow area alerts before anything is scheduled.
   */
  async registerMany(inputs: readonly NewDevice[]): Promise<{ devices: Array<{ id: string; secret: string }>; serverPublicKey: string }> {
    const ids = inputs.map((d) => d.id);
    const dupes = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    if (dupes.length > 0) throw badRequest('device.repeated', { ids: dupes.slice(0, 20).join(', ') });
    const paths = await this.areas.requirePaths([...new Set(inputs.map((d) => d.areaCode))]);
    const existing = await this.repo.existingIds(ids);
    if (existing.length > 0) throw conflict('device.exist-many', { ids: `${existing.slice(0, 20).join(', ')}${existing.length > 20 ? ', …' : ''}` });
    const made = inputs.map((d) => this.newEntity(d));
    // Taken before the insert: TypeORM writes generated values back into the entity objects by position and, on
    // SQLite, may do so in primary-key order, swapping ids between objects (the rows in the database are right).
    const credentials = made.map((m) => ({ id: m.entity.id, secret: m.secret }));
    await this.repo.insertMany(made.map((m) => m.entity));
    await this.events.emitAsync('device.registered', { deviceIds: ids });
    await this.accounts.issued(credentials.map((c, i) => ({ deviceId: c.id, secret: c.secret, areaCodes: areaCodesOf(paths.get(inputs[i]!.areaCode)!) })));
    this.logger.info({ ctx: 'devices', count: ids.length }, 'devices registered in bulk');
    return { devices: credentials, serverPublicKey: this.signing.publicKey };
  }

  private newEntity(input: NewDevice): { entity: DeviceEntity; secret: string } {
    const { secret, secretHash } = this.credentials.mintSecret();
    const tags = normTags(input.tags ?? []);
    return {
      secret,
      entity: {
        id: input.id,
        name: input.name,
        kind: input.kind,
        areaCode: input.areaCode,
        tags,
        nameKey: nameSortKey(input.name),
        searchText: deviceSearchText(input.id, input.name, tags),
        secretHash,
        online: false,
        lastSeenAt: null,
        agentVersion: null,
        timelineVersion: 0,
        ackedTimelineVersion: 0,
        createdAt: this.clock.now(),
        ...(input.location
          ? { latitude: input.location.latitude, longitude: input.location.longitude, village: input.location.village || null, address: input.location.address || null, locationSource: 'import' as const }
          : {}),
      },
    };
  }

  /**
   * Renames, moves or re-tags a device. A move or a tag change makes planning (on device.updated) re-evaluate which
   * schedules reach the device; a move always yields a new timeline, since its area channels (for alerts) change.
   */
  async update(id: string, patch: DeviceUpdate): Promise<DeviceView> {
    const d = await this.repo.find(id);
    if (!d) throw notFound('device.not-found', { id });
    if (patch.areaCode !== undefined && patch.areaCode !== d.areaCode) {
      await this.areas.get(patch.areaCode).catch(() => {
        throw badRequest('area.unknown', { id: patch.areaCode ?? '' });
      });
    }
    const tags = patch.tags === undefined ? undefined : normTags(patch.tags);
    const reprofiled = patch.profileId !== undefined && patch.profileId !== (d.profileId ?? null);
    if (reprofiled && patch.profileId !== null) {
      if (d.kind !== 'board') throw badRequest('device.not-board', { id, kind: d.kind });
      if (!(await this.repo.profileExists(patch.profileId!))) throw badRequest('board-profile.unknown', { id: patch.profileId! });
    }
    const moved = patch.areaCode !== undefined && patch.areaCode !== d.areaCode;
    const retagged = tags !== undefined && JSON.stringify(tags) !== JSON.stringify(normTags(d.tags ?? []));
    const renamed = patch.name !== undefined && patch.name !== d.name;
    await this.repo.update(id, {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(moved ? { areaCode: patch.areaCode } : {}),
      ...(retagged ? { tags } : {}),
      ...(reprofiled ? { profileId: patch.profileId ?? null } : {}),
      ...(patch.location === undefined
        ? {}
        : {
            latitude: patch.location?.latitude ?? null,
            longitude: patch.location?.longitude ?? null,
            village: patch.location?.village || null,
            address: patch.location?.address || null,
            // Set by hand: an agent's later report does not replace it (cleared: the agent's next report may).
            locationSource: patch.location ? ('operator' as const) : null,
          }),
      // The list's sort key and search text follow the name and the tags (issue 14).
      ...(renamed ? { nameKey: nameSortKey(patch.name!) } : {}),
      ...(renamed || retagged ? { searchText: deviceSearchText(id, patch.name ?? d.name, tags ?? d.tags ?? []) } : {}),
    });
    // Listeners run inside emit: caches of the device's area (the broker's alert-channel ACL, live events) are
    // dropped before the new timeline tells the agent to follow its new areas.
    if (moved) this.events.emit('device.moved', { deviceId: id, fromArea: d.areaCode, toArea: patch.areaCode! });
    // Planning re-evaluates a moved, re-tagged or re-profiled device; the answer follows its new timeline.
    if (moved || retagged || reprofiled || renamed) await this.events.emitAsync('device.updated', { deviceId: id, moved, retagged, reprofiled });
    this.logger.info({ ctx: 'devices', deviceId: id, moved, retagged }, 'device updated');
    return this.get(id);
  }

  async list(areaCode?: string): Promise<DeviceView[]> {
    const areaPath = areaCode ? (await this.areas.get(areaCode)).path : undefined;
    const devices = await this.repo.list({ areaPath });
    const telemetry = await this.repo.latestTelemetry(devices.map((d) => d.id));
    const revoked = await this.repo.revocations(devices.map((d) => d.id));
    return devices.map((d) => deviceView(d, telemetry.get(d.id) ?? null, revoked.get(d.id) ?? null));
  }

  async get(id: string): Promise<DeviceView> {
    const d = await this.repo.find(id);
    if (!d) throw notFound('device.not-found', { id });
    return deviceView(d, (await this.repo.latestTelemetry([id])).get(id) ?? null, (await this.repo.revocations([id])).get(id) ?? null);
  }

  /**
   * The retained `status` channel: presence (transitions logged by the writer); an online device is announced with
   * the timeline version it holds (dispatch re-sends it if behind). Awaited, so a reconnect storm keeps its pace.
   */
  async handleStatus(deviceId: string, msg: StatusMessage): Promise<void> {
    await this.presence.write(statusUpdate(deviceId, msg, this.clock.now()));
    this.logger.debug({ ctx: 'devices', deviceId, state: msg.state, reason: msg.reason }, 'device presence');
    if (msg.state === 'online') await this.events.emitAsync('device.online', { deviceId, timelineVersion: msg.timelineVersion });
  }
}
