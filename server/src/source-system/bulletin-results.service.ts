import { Inject, Injectable, ServiceUnavailableException, type OnApplicationBootstrap } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { createHash } from 'node:crypto';
import type {
  BulletinResultPayload,
  InboxAnswer,
  LowerLevelsView,
  RemoteResultView,
  RemoteResultsQuery,
} from '@loa/shared/rest';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import type { RemoteResultEntity } from './bulletin-results.entity.js';
import { BulletinResultsRepository } from './bulletin-results.repository.js';
import type { InboundExchangeEntity } from './inbound-exchange.entity.js';
import { InboundExchangesRepository, isUniqueViolation } from './inbound-exchanges.repository.js';
import { SourceOutbox } from './outbox.port.js';
import { SourcePeers } from './peers.port.js';
import { notFound } from '../common/loa-error.js';

export const BULLETIN_RESULTS_JOB = 'source-system.bulletin-results';
/**
 * The debounce: results go up at most once per bulletin per this interval, whatever the number of reports that
 * changed them meanwhile (a commune of 100 speakers reports 100 times per broadcast).
 */
const REPORT_EVERY_MS = 10_000;
/** Schedules known to carry (or not) a bulletin from above; a schedule's content never changes. */
const CACHE_MAX = 20_000;
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Up: playback results of bulletins received from above. Deliveries (and content states) changing mark the bulletin;
 * a leader-gated job computes its results and, when they differ from the last ones sent, enqueues a
 * `bulletin-result` exchange through the outbox in the same transaction as the new "last sent" key — so results are
 * neither lost (the mark stays until that commit) nor sent twice (the key changes only when the results do).
 *
 * At an upper Loa: results arriving from a lower peer are kept (newest per peer and bulletin) and shown.
 */
@Injectable()
export class BulletinResults implements OnApplicationBootstrap {
  private readonly log: AppLogger;
  private readonly originSchedule = new Map<string, boolean>();

  constructor(
    private readonly inbound: InboundExchangesRepository,
    private readonly remote: BulletinResultsRepository,
    private readonly outbox: SourceOutbox,
    private readonly peers: SourcePeers,
    private readonly jobs: JobScheduler,
    private readonly clock: Clock,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'source-results' });
  }

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: BULLETIN_RESULTS_JOB, intervalMs: REPORT_EVERY_MS, runAtStart: true, run: () => this.reportChanged() });
  }

  @OnEvent('deliveries.changed')
  async onDeliveriesChanged({ changes }: DomainEventMap['deliveries.changed']): Promise<void> {
    const ids = [...new Set(changes.map((c) => c.scheduleId))];
    const unknown = ids.filter((id) => !this.originSchedule.has(id));
    if (unknown.length > 0) {
      const origin = await this.inbound.originSchedules(unknown);
      if (this.originSchedule.size + unknown.length > CACHE_MAX) this.originSchedule.clear();
      for (const id of unknown) this.originSchedule.set(id, origin.has(id));
    }
    const marked = ids.filter((id) => this.originSchedule.get(id) === true);
    if (marked.length > 0) await this.inbound.markSchedulesChanged(marked, this.clock.now());
  }

  @OnEvent('content.stateChanged')
  async onContentChanged({ contentId }: DomainEventMap['content.stateChanged']): Promise<void> {
    await this.inbound.markContentChanged(contentId, this.clock.now());
  }

  /** The job (also `runNow` in tests): results of every marked bulletin, enqueued when they changed. */
  async reportChanged(): Promise<number> {
    let enqueued = 0;
    for (const row of await this.inbound.withChangedResults(200)) {
      const payload = await this.resultsOf(row);
      if (!payload) continue;
      const key = `result-${createHash('sha256').update(row.id).update('\n').update(JSON.stringify(payload)).digest('hex').slice(0, 48)}`;
      const changed = key !== row.resultsKey;
      await this.inbound.resultsHandled(
        row.id,
        row.resultsChangedAt!,
        key,
        // `asOf` (beside the contract's fields, which a receiver's schema passes through) orders reports at the receiver:
        // the envelope's sentAt is the time of the attempt, so an older report retried late would look newer.
        changed ? (m) => this.outbox.enqueue([{ peerId: row.peerId, kind: 'bulletin-result', idempotencyKey: key, payload: { ...payload, asOf: new Date(this.clock.now()).toISOString() } }], m) : null,
      );
      if (changed) {
        enqueued++;
        this.log.info({ peerId: row.peerId, originId: payload.originId, status: payload.status, due: payload.due, played: payload.played, failed: payload.failed }, 'bulletin results enqueued for the upper peer');
      }
    }
    return enqueued;
  }

  /** What goes up for one received bulletin (null when it never became a content). */
  async resultsOf(row: InboundExchangeEntity): Promise<BulletinResultPayload | null> {
    if (row.contentId === null || row.originId === null) return null;
    const content = await this.inbound.content(row.contentId);
    if (!content) return null;
    const now = this.clock.now();
    const lapsed = content.validUntil !== null && content.validUntil !== undefined && content.validUntil <= now;
    const deliveries = await this.inbound.deliveriesOf(content.id);
    let status: BulletinResultPayload['status'];
    switch (content.state) {
      case 'rejected':
        status = 'rejected';
        break;
      case 'archived':
        status = 'expired';
        break;
      case 'approved':
        status = (await this.inbound.activeSchedules(content.id)) > 0 || deliveries.length > 0 ? 'scheduled' : lapsed ? 'expired' : 'approved';
        break;
      default:
        status = lapsed ? 'expired' : 'received';
    }
    const counts = await this.inbound.countsOf(content.id, now);
    return {
      originId: row.originId,
      status,
      ...counts,
      rows: deliveries.map((d) => ({
        deviceId: d.deviceId,
        deviceName: d.deviceName,
        areaCode: d.areaCode,
        areaName: d.areaName,
        scheduledStart: new Date(d.scheduledStart).toISOString(),
        startedAt: iso(d.startedAt),
        endedAt: iso(d.endedAt),
        state: d.state,
        reason: d.reason,
      })),
    };
  }

  /** At the upper Loa: a lower peer's results, once per idempotency key, the newest kept. */
  async store(peerId: string, payload: BulletinResultPayload, idempotencyKey: string, sentAt: number): Promise<InboxAnswer> {
    const now = this.clock.now();
    const row: InboundExchangeEntity = {
      id: newId(),
      peerId,
      idempotencyKey,
      kind: 'bulletin-result',
      originId: payload.originId,
      state: 'stored',
      payload: null,
      contentId: null,
      attempts: 0,
      nextAttemptAt: null,
      leaseUntil: null,
      error: null,
      resultsChangedAt: null,
      resultsKey: null,
      receivedAt: now,
      updatedAt: now,
    };
    const result: RemoteResultEntity = {
      peerId,
      originId: payload.originId,
      status: payload.status,
      due: payload.due,
      played: payload.played,
      failed: payload.failed,
      rows: payload.rows,
      idempotencyKey,
      sentAt,
      receivedAt: now,
    };
    try {
      const outcome = await this.inbound.insertOnce(row, (m) => BulletinResultsRepository.upsertNewer(m, result));
      if (!outcome.duplicate) this.log.info({ peerId, originId: payload.originId, due: payload.due, played: payload.played }, 'bulletin results received from a lower peer');
      return { accepted: true, duplicate: outcome.duplicate, ref: outcome.row.id };
    } catch (err) {
      // Two different reports of one bulletin inserting its first row at once: the sender's retry lands on the update.
      if (isUniqueViolation(err)) throw new ServiceUnavailableException('another report of this bulletin is being stored; retry');
      throw err;
    }
  }

  async list(peerId: string | null, q: RemoteResultsQuery): Promise<RemoteResultView[]> {
    if (peerId !== null && !(await this.peers.get(peerId))) throw notFound('peer.not-found', { id: peerId });
    const names = new Map((await this.peers.all()).map((p) => [p.id, p.name]));
    const rows = await this.remote.list({ peerId: peerId ?? undefined, originId: q.originId });
    return rows.map((r) => ({ ...view(r, names.get(r.peerId) ?? null), rows: q.rows === 'false' ? [] : r.rows }));
  }

  /** The "lower levels" line of one of our bulletins: every lower peer's counts and their sum. */
  async lowerLevels(originId: string): Promise<LowerLevelsView> {
    const names = new Map((await this.peers.all()).map((p) => [p.id, p.name]));
    const peers = (await this.remote.list({ originId })).map((r) => view(r, names.get(r.peerId) ?? null));
    return {
      originId,
      due: peers.reduce((n, p) => n + p.due, 0),
      played: peers.reduce((n, p) => n + p.played, 0),
      failed: peers.reduce((n, p) => n + p.failed, 0),
      peers,
    };
  }
}

const view = (r: RemoteResultEntity, peerName: string | null): Omit<RemoteResultView, 'rows'> => ({
  peerId: r.peerId,
  peerName,
  originId: r.originId,
  status: r.status,
  due: r.due,
  played: r.played,
  failed: r.failed,
  sentAt: new Date(r.sentAt).toISOString(),
  receivedAt: new Date(r.receivedAt).toISOString(),
});
