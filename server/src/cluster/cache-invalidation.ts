import { Inject, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { z } from 'zod';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { ClusterBus } from './cluster-bus.js';

/**
 * What another instance changed, for the caches here to forget: `devices`, these devices' rows (area, ancestors,
 * existence; with `credentials`, also their secret or revocation); `everything`, messages may have been missed
 * (a reconnect, a sender that dropped some), so every cache drops all it holds.
 */
export type RemoteInvalidation = { kind: 'devices'; deviceIds: readonly string[]; credentials: boolean } | { kind: 'everything' };

export type InvalidationListener = (change: RemoteInvalidation) => void;

/** Ids per message: about 20 bytes each, so one NOTIFY carries a message. */
const IDS_PER_MESSAGE = 300;
/** Beyond this many devices at once (an import re-parenting a province), "everything" is cheaper than the list. */
const EVERYTHING_ABOVE = 30_000;

const messageSchema = z.union([
  z.object({ devices: z.array(z.string().min(1).max(200)).max(IDS_PER_MESSAGE), credentials: z.boolean() }),
  z.object({ everything: z.literal(true) }),
]);

/**
 * Cache invalidation across instances. The domain events that make cached device data stale (registered, moved,
 * removed, areas re-parented) and credential changes are forwarded to the other instances as invalidations, and what
 * arrives from them is handed to the caches here as a separate, remote-only signal (`onRemote`): it only makes
 * caches forget, and never re-runs the side effects the producing instance already ran (re-planning, timeline
 * rebuilds, MQTT disconnects). Locally, caches keep listening to the domain events themselves.
 *
 * Caches that follow it: the device credentials (secret hash, area chain, unknown ids, session revisions) and the
 * live events' device → area map. The other in-memory state is per process by nature: what this process published
 * (timelines' retained versions: a stale entry only costs one extra re-send), its own sockets, sessions, queues and
 * jobs, its login throttling, its telemetry rate limit. Area scopes, approval rules and board profiles are read
 * from the database on every use and hold no cache.
 */
@Injectable()
export class CacheInvalidation {
  private readonly listeners = new Set<InvalidationListener>();
  private readonly log: AppLogger;

  constructor(
    private readonly bus: ClusterBus,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'cluster-cache' });
    bus.subscribe('cache', (payload) => this.receive(payload));
    bus.onGap(() => this.tell({ kind: 'everything' }));
  }

  @OnEvent('device.registered')
  onRegistered({ deviceIds }: DomainEventMap['device.registered']): void {
    this.devicesChanged(deviceIds, false);
  }

  @OnEvent('device.moved')
  onMoved({ deviceId }: DomainEventMap['device.moved']): void {
    this.devicesChanged([deviceId], false);
  }

  @OnEvent('device.removed')
  onRemoved({ deviceId }: DomainEventMap['device.removed']): void {
    this.devicesChanged([deviceId], false);
  }

  /** Devices under a re-parented area keep their code, but their ancestors (alert channels) changed. */
  @OnEvent('areas.moved')
  onAreasMoved({ deviceIds }: DomainEventMap['areas.moved']): void {
    this.devicesChanged(deviceIds, false);
  }

  /** A device's secret changed or it was revoked (called by the credentials service: there is no domain event). */
  credentialsChanged(deviceIds: readonly string[]): void {
    this.devicesChanged(deviceIds, true);
  }

  /** Invalidations made by OTHER instances; returns the unsubscribe function. */
  onRemote(listener: InvalidationListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private devicesChanged(deviceIds: readonly string[], credentials: boolean): void {
    if (!this.bus.clustered || deviceIds.length === 0) return;
    if (deviceIds.length > EVERYTHING_ABOVE) {
      this.bus.publish('cache', { everything: true });
      return;
    }
    for (let i = 0; i < deviceIds.length; i += IDS_PER_MESSAGE) {
      this.bus.publish('cache', { devices: deviceIds.slice(i, i + IDS_PER_MESSAGE), credentials });
    }
  }

  private receive(payload: unknown): void {
    const parsed = messageSchema.safeParse(payload);
    if (!parsed.success) {
      this.log.warn({ err: parsed.error.message }, 'ignored a malformed cache invalidation');
      return;
    }
    const m = parsed.data;
    this.tell('everything' in m ? { kind: 'everything' } : { kind: 'devices', deviceIds: m.devices, credentials: m.credentials });
  }

  private tell(change: RemoteInvalidation): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'cache invalidation listener failed');
      }
    }
  }
}
