import { createHash } from 'node:crypto';
import { Inject, Injectable, NotFoundException, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { zonedToUtc } from '@loa/shared';
import { sendBulletinSchema, type BulletinPayload, type ContentView, type ExchangeView, type PlayoutLogRow, type Priority } from '@loa/shared/rest';
import type { z } from 'zod';
import { Clock } from '../common/clock.js';
import { localDate } from '../common/export-format.js';
import { AppConfig } from '../config/app-config.js';
import { ContentsService } from '../contents/contents.service.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import type { UserPrincipal } from '../auth/principal.js';
import { CoverageService } from '../reports/coverage.service.js';
import { FeedbackStatsService } from '../feedback/feedback-stats.service.js';
import { TrainingService } from '../training/training.service.js';
import { PlayoutLogRepository } from '../reports/playout-log.repository.js';
import { rowView } from '../reports/playout-log.service.js';
import { MediaLinks } from './media-links.js';
import { exchangeView, OutboxService } from './outbox.service.js';
import type { OutboxEntry } from './outbox.port.js';
import { OutboxRepository } from './outbox.repository.js';
import type { SourcePeerEntity } from './peer.entity.js';
import { PeersService } from './peers.service.js';
import { UpFeedsRepository, type InventoryRow } from './up-feeds.repository.js';
import { badRequest, conflict, notFound } from '../common/loa-error.js';

export const FEEDS_JOB = 'source-system.feeds';
export const FEEDS_INTERVAL_MS = 60_000;
/** Rows per exchange of the playout log and the inventory (a day of a province is split into parts). */
export const PART_ROWS = 5_000;
/** How far back the catch-up looks for approvals and schedule changes whose event was lost (a crash after commit). */
const CATCH_UP_MS = 24 * 60 * 60_000;
const CATCH_UP_LIMIT = 500;

type SendBulletin = z.output<typeof sendBulletinSchema>;

/** The playout log of one local day, one part of it. */
export interface PlayoutLogPayload {
  day: string;
  from: string;
  to: string;
  part: number;
  parts: number;
  rows: PlayoutLogRow[];
}

export interface InventoryPayload {
  day: string;
  at: string;
  part: number;
  parts: number;
  devices: InventoryRow[];
}

/** Who the coverage feed reads as: the whole tree, as a nationwide admin would (it is this server's own report). */
const FEED_READER: UserPrincipal = { type: 'user', userId: 'source-system', username: 'source-system', role: 'admin', areaCode: null };

const hash = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 20);

/** Our own content is `normal` up there; one received from above keeps the priority it came with. */
const priorityOf = (c: ContentView): Priority => {
  const p = c.origin?.priority;
  return p === 'priority' || p === 'emergency' ? p : 'normal';
};

function dayBefore(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

function dayAfter(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

function at(day: string, hhmm: string, zone: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
  return zonedToUtc(y, m, d, hh, mm, 0, zone);
}

/**
 * What we push to upper peers, and the bulletins an operator sends down to lower ones.
 *
 * On change: a content approved → `bulletin`; a schedule saved (its fan-out starts) → `schedule`. The domain events
 * come after their commit, so a crash between the two would lose the push: the periodic job also enqueues again
 * whatever was approved or changed in the last 24 hours, which the idempotency keys make a no-op when already there.
 * Daily, at the peer's `dailyAt` on LOA_TIMEZONE: yesterday's playout log and coverage, today's device inventory.
 */
@Injectable()
export class UpFeeds implements OnApplicationBootstrap {
  private readonly log: AppLogger;

  constructor(
    private readonly peers: PeersService,
    private readonly outbox: OutboxService,
    private readonly exchanges: OutboxRepository,
    private readonly repo: UpFeedsRepository,
    private readonly playout: PlayoutLogRepository,
    private readonly coverage: CoverageService,
    private readonly feedbackStats: FeedbackStatsService,
    private readonly contents: ContentsService,
    private readonly links: MediaLinks,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: JobScheduler,
    @Inject(LOGGER) logger: AppLogger,
    /** Issue 21: the trained share the daily coverage exchange carries (field `training`). */
    @Optional() private readonly training?: TrainingService,
  ) {
    this.log = logger.child({ ctx: 'source-system' });
  }

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: FEEDS_JOB, intervalMs: FEEDS_INTERVAL_MS, runAtStart: true, run: () => this.runPeriodic() });
  }

  @OnEvent('content.stateChanged')
  async onContentState(e: DomainEventMap['content.stateChanged']): Promise<void> {
    if (e.state !== 'approved') return;
    await this.pushBulletin(e.contentId).catch((err: unknown) => this.log.error({ content: e.contentId, err: (err as Error).message }, 'bulletin not enqueued'));
  }

  @OnEvent('fanout.changed')
  async onFanout(e: DomainEventMap['fanout.changed']): Promise<void> {
    if (e.job.kind !== 'schedule' || e.job.state !== 'queued') return;
    await this.pushSchedule(e.job.ref).catch((err: unknown) => this.log.error({ schedule: e.job.ref, err: (err as Error).message }, 'schedule not enqueued'));
  }

  private async upPeers(want: 'bulletins' | 'schedules' | 'playoutLog' | 'inventory'): Promise<SourcePeerEntity[]> {
    return (await this.peers.entities()).filter((p) => p.enabled && p.role === 'upper' && p.push[want]);
  }

  /** Enqueues an approved content as a bulletin to every upper peer that wants them. */
  async pushBulletin(contentId: string): Promise<void> {
    const peers = await this.upPeers('bulletins');
    if (peers.length === 0) return;
    const content = await this.contents.get(contentId);
    if (content.state !== 'approved' || (content.type !== 'audio' && content.type !== 'text')) return;
    const origin = (await this.repo.rootAreaName()) ?? 'Loa';
    await this.outbox.enqueue(
      peers
        // Not back to the peer it came from (a bulletin from above, approved here), nor older than the peer.
        .filter((p) => content.origin?.peerId !== p.id && Date.parse(content.approvedAt ?? content.createdAt) >= p.createdAt - CATCH_UP_MS)
        .map((p) => ({
          peerId: p.id,
          kind: 'bulletin',
          idempotencyKey: `bulletin:${content.id}`,
          payload: this.bulletin(content, p, origin, { priority: priorityOf(content), areaCodes: null, validFrom: null, validUntil: null }),
        })),
    );
  }

  async pushSchedule(scheduleId: string): Promise<void> {
    const peers = await this.upPeers('schedules');
    if (peers.length === 0) return;
    const s = await this.repo.schedule(scheduleId);
    if (!s) return;
    const payload = {
      scheduleId: s.id,
      contentId: s.contentId,
      contentTitle: s.contentTitle,
      priority: s.priority,
      status: s.status,
      startAt: new Date(s.startAt).toISOString(),
      rrule: s.rrule,
      timezone: s.timezone,
      repeat: s.repeat,
      gapMs: s.gapMs,
      volume: s.volume,
      targets: s.targets,
      createdAt: new Date(s.createdAt).toISOString(),
      updatedAt: s.updatedAt === null ? null : new Date(s.updatedAt).toISOString(),
    };
    const version = `${s.updatedAt ?? s.createdAt}:${s.status}`;
    await this.outbox.enqueue(peers.map((p) => ({ peerId: p.id, kind: 'schedule', idempotencyKey: `schedule:${s.id}:${version}`, payload })));
  }

  /**
   * An operator sends an approved content down to a lower peer: enqueued as a `bulletin` whose audio the lower
   * server fetches through a signed link. The key is made of the request, so a double click sends once.
   */
  async sendDown(peerId: string, req: SendBulletin): Promise<ExchangeView> {
    const peer = await this.peers.entity(peerId);
    if (!peer) throw notFound('peer.not-found', { id: peerId });
    if (peer.role !== 'lower') throw badRequest('peer.is-upper');
    let content: ContentView;
    try {
      content = await this.contents.get(req.contentId);
    } catch (err) {
      if (err instanceof NotFoundException) throw badRequest('bulletin.content-not-found', { id: req.contentId });
      throw err;
    }
    if (content.state !== 'approved') throw conflict('bulletin.content-not-approved', { id: content.id, state: content.state ?? 'approved' });
    if (content.type !== 'audio' && content.type !== 'text') throw badRequest('bulletin.type', { type: content.type });
    if (req.validFrom && req.validUntil && Date.parse(req.validUntil) <= Date.parse(req.validFrom)) throw badRequest('validity.order');
    const origin = (await this.repo.rootAreaName()) ?? 'Loa';
    const idempotencyKey = `bulletin:${content.id}:${hash([req.areaCodes, req.priority, req.validFrom, req.validUntil])}`;
    await this.outbox.enqueue([{ peerId: peer.id, kind: 'bulletin', idempotencyKey, payload: this.bulletin(content, peer, origin, req) }]);
    const row = await this.exchanges.findByKey(peer.id, 'out', idempotencyKey);
    return exchangeView(row!, peer.name);
  }

  private bulletin(
    c: ContentView,
    peer: SourcePeerEntity,
    originName: string,
    o: { priority: Priority; areaCodes: string[] | null; validFrom: string | null; validUntil: string | null },
  ): BulletinPayload {
    return {
      originId: c.id,
      title: c.title.slice(0, 300),
      text: c.text,
      audioUrl: c.type === 'audio' && c.mediaSha256 ? this.links.link(c.mediaSha256, peer.id, peer.inboundSecret, this.clock.now()) : null,
      audioSha256: c.type === 'audio' ? c.mediaSha256 : null,
      priority: o.priority,
      category: c.category?.slice(0, 32) ?? null,
      validFrom: o.validFrom ?? c.validFrom,
      validUntil: o.validUntil ?? c.validUntil,
      areaCodes: o.areaCodes,
      originName: originName.slice(0, 200),
    };
  }

  /** The periodic job: the catch-up of change feeds, then the daily feeds that are due. */
  async runPeriodic(): Promise<void> {
    const now = this.clock.now();
    const bulletinPeers = (await this.upPeers('bulletins')).map((p) => p.id);
    if (bulletinPeers.length > 0) {
      const ids = await this.repo.contentsApprovedSince(now - CATCH_UP_MS, CATCH_UP_LIMIT);
      const held = await this.exchanges.keysHeldByAll(bulletinPeers, ids.map((id) => `bulletin:${id}`));
      for (const id of ids) if (!held.has(`bulletin:${id}`)) await this.pushBulletin(id);
    }
    if ((await this.upPeers('schedules')).length > 0) {
      for (const id of await this.repo.schedulesChangedSince(now - CATCH_UP_MS, CATCH_UP_LIMIT)) await this.pushSchedule(id);
    }
    await this.dailyFeeds(now);
  }

  /** For each upper peer whose daily time has passed today: yesterday's playout log and coverage, today's inventory, once. */
  async dailyFeeds(now: number): Promise<void> {
    const zone = this.config.timezone;
    const today = localDate(now, zone);
    const yesterday = dayBefore(today);
    for (const peer of (await this.peers.entities()).filter((p) => p.enabled && p.role === 'upper')) {
      if (now < at(today, peer.push.dailyAt, zone)) continue;
      if (peer.push.playoutLog && !(await this.exchanges.findByKey(peer.id, 'out', `playout-log:${yesterday}:0`))) {
        await this.enqueueParts(peer, 'playout-log', `playout-log:${yesterday}`, await this.playoutOf(yesterday, zone), (rows, part, parts) => ({
          day: yesterday,
          from: new Date(at(yesterday, '00:00', zone)).toISOString(),
          to: new Date(at(dayAfter(yesterday), '00:00', zone)).toISOString(),
          part,
          parts,
          rows,
        }) satisfies PlayoutLogPayload);
      }
      if (peer.push.coverage && !(await this.exchanges.findByKey(peer.id, 'out', `coverage:${yesterday}`))) {
        const report = await this.coverage.report(FEED_READER, { from: yesterday, to: yesterday } as Parameters<CoverageService['report']>[1]);
        // Issue 21: the share of staff trained (KH 179's third target) travels with the coverage, as of the feed's time.
        const training = this.training ? await this.training.upwardShare() : undefined;
        await this.outbox.enqueue([{ peerId: peer.id, kind: 'coverage', idempotencyKey: `coverage:${yesterday}`, payload: { day: yesterday, report, ...(training ? { training } : {}) } }]);
      }
      // Issue 17: yesterday's feedback per commune (counts only), one exchange per peer and day.
      if (peer.push.feedbackStats === true && !(await this.exchanges.findByKey(peer.id, 'out', `feedback-stats:${yesterday}`))) {
        const payload = await this.feedbackStats.dailyForUpperLevel(yesterday);
        await this.outbox.enqueue([{ peerId: peer.id, kind: 'feedback-stats', idempotencyKey: `feedback-stats:${yesterday}`, payload }]);
      }
      if (peer.push.inventory && !(await this.exchanges.findByKey(peer.id, 'out', `inventory:${today}:0`))) {
        await this.enqueueParts(peer, 'inventory', `inventory:${today}`, await this.inventory(), (devices, part, parts) => ({
          day: today,
          at: new Date(now).toISOString(),
          part,
          parts,
          devices,
        }) satisfies InventoryPayload);
      }
    }
  }

  /** Every part in one transaction: part 0 present means the whole day is there. */
  private async enqueueParts<T>(peer: SourcePeerEntity, kind: 'playout-log' | 'inventory', key: string, rows: T[], payload: (rows: T[], part: number, parts: number) => unknown): Promise<void> {
    const parts = Math.max(1, Math.ceil(rows.length / PART_ROWS));
    const entries: OutboxEntry[] = [];
    for (let part = 0; part < parts; part++) {
      entries.push({ peerId: peer.id, kind, idempotencyKey: `${key}:${part}`, payload: payload(rows.slice(part * PART_ROWS, (part + 1) * PART_ROWS), part, parts) });
    }
    await this.tx.run(() => this.outbox.enqueue(entries));
    this.log.info({ peer: peer.id, kind, key, rows: rows.length, parts }, 'daily feed enqueued');
  }

  private async playoutOf(day: string, zone: string): Promise<PlayoutLogRow[]> {
    const rows: PlayoutLogRow[] = [];
    for await (const page of this.playout.pages({ from: at(day, '00:00', zone), to: at(dayAfter(day), '00:00', zone), pathPattern: null })) rows.push(...page.map(rowView));
    return rows;
  }

  private async inventory(): Promise<InventoryRow[]> {
    const out: InventoryRow[] = [];
    for (let after: string | null = null; ; ) {
      const page = await this.repo.inventory(after, 1000);
      out.push(...page);
      if (page.length < 1000) return out;
      after = page[page.length - 1]!.id;
    }
  }
}
