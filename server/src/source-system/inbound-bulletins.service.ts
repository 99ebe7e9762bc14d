import { BadRequestException, Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { bulletinPayloadSchema, type BulletinPayload, type InboxAnswer } from '@loa/shared/rest';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { ContentEventEntity } from '../contents/content-event.entity.js';
import type { ContentEntity } from '../contents/content.entity.js';
import { ContentsService } from '../contents/contents.service.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { MediaIngestService, MediaRefusedException } from '../media/media-ingest.service.js';
import type { MediaEntity } from '../media/media.entity.js';
import { httpOrigin, InboundAudioFetcher, PermanentFetchError } from './inbound-audio.fetcher.js';
import type { InboundExchangeEntity } from './inbound-exchange.entity.js';
import { InboundExchangesRepository, type NewContent } from './inbound-exchanges.repository.js';
import { SourcePeers, type PeerRecord } from './peers.port.js';

/** Who created a content that came from above, in its history (no user did). */
export const SOURCE_SYSTEM_ACTOR = 'source-system';
export const INBOUND_FETCH_JOB = 'source-system.inbound-fetch';
const FETCH_EVERY_MS = 5_000;
/** A fetch holds its bulletin this long; a process that dies mid-fetch lets another take it up after. */
const FETCH_LEASE_MS = 10 * 60_000;
/** Retries of an audio download (network, timeout, 5xx): 30 s, 1 min, 2 min … capped at 1 h; about a day in all. */
export const FETCH_MAX_ATTEMPTS = 30;
const backoffMs = (attempts: number): number => Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
/** How long a text-only bulletin stays on a board: reading speed, within sensible bounds. */
const textDisplayMs = (text: string): number => Math.min(300, Math.max(15, Math.round(text.length / 12))) * 1000;

/**
 * Down: a bulletin from an upper peer becomes a content in the approval queue, marked with its origin. Text only: a
 * board message at once. With audio: the inbound row is committed (the sender has its answer), the audio is fetched,
 * checked and put through the media pipeline like an upload, and only then does the content appear; a download that
 * fails is retried by a leader-gated job, a file the pipeline refuses fails the bulletin with the reason.
 * It always waits for a local approver: the approval rules are about what our own operators make.
 */
@Injectable()
export class InboundBulletins implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: AppLogger;
  private readonly running = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly repo: InboundExchangesRepository,
    private readonly peers: SourcePeers,
    private readonly fetcher: InboundAudioFetcher,
    private readonly media: MediaIngestService,
    private readonly contents: ContentsService,
    private readonly events: DomainEvents,
    private readonly jobs: JobScheduler,
    private readonly clock: Clock,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'source-inbound' });
  }

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: INBOUND_FETCH_JOB, intervalMs: FETCH_EVERY_MS, runAtStart: true, run: () => this.sweep() });
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.running]);
  }

  /**
   * Takes a bulletin from `peerId` (the inbox, or the REST adapter's polling). A repeat of `idempotencyKey` answers as
   * the first time and does nothing; `ref` is the inbound exchange's id.
   */
  async accept(peerId: string, payload: BulletinPayload, idempotencyKey: string): Promise<InboxAnswer> {
    const parsed = bulletinPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new BadRequestException(`payload.${issue.path.join('.')}: ${issue.message}`);
    }
    const bulletin = parsed.data;
    const from = bulletin.validFrom === null ? null : Date.parse(bulletin.validFrom);
    const until = bulletin.validUntil === null ? null : Date.parse(bulletin.validUntil);
    if (from !== null && until !== null && until <= from) throw new BadRequestException('payload.validUntil: must be after validFrom');
    if (bulletin.audioUrl === null && !bulletin.text?.trim()) throw new BadRequestException('payload.text: a bulletin without audioUrl needs a text');
    const peer = await this.peers.get(peerId);
    if (!peer) throw new BadRequestException(`unknown peer ${peerId}`);
    const now = this.clock.now();
    const row: InboundExchangeEntity = {
      id: newId(),
      peerId,
      idempotencyKey,
      kind: 'bulletin',
      originId: bulletin.originId,
      state: bulletin.audioUrl === null ? 'queued' : 'received',
      payload: bulletin.audioUrl === null ? null : bulletin,
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
    let content: NewContent | null = null;
    if (bulletin.audioUrl === null) {
      content = newContent(peer, bulletin, null, now);
      row.contentId = content.content.id;
      row.resultsChangedAt = now;
    }
    const outcome = await this.repo.insertOnce(row, content ? (m) => InboundExchangesRepository.insertContent(m, content) : undefined);
    if (!outcome.duplicate) {
      this.log.info({ peerId, originId: bulletin.originId, inbound: row.id, audio: bulletin.audioUrl !== null }, 'bulletin received from an upper peer');
      if (content) this.events.emit('content.stateChanged', { contentId: content.content.id, state: 'submitted', by: SOURCE_SYSTEM_ACTOR });
      else this.start(row.id);
    }
    return { accepted: true, duplicate: outcome.duplicate, ref: outcome.row.id };
  }

  /** The job: fetches due (and orphaned) downloads, and drops expired bulletins from the approval queue. */
  async sweep(): Promise<void> {
    const now = this.clock.now();
    for (const id of await this.repo.dueFetches(now, 20)) {
      if (this.closing) return;
      await this.fetchOne(id);
    }
    for (const { contentId } of await this.repo.expiredInQueue(now)) {
      // Archived, not deleted: the history says it expired unapproved, and the results going up say `expired`.
      await this.contents.archive(contentId, SOURCE_SYSTEM_ACTOR).catch((err: Error) => this.log.warn({ contentId, err: err.message }, 'could not archive an expired bulletin'));
    }
  }

  /** In the background, right after the answer: the sender should not wait for our download. */
  private start(id: string): void {
    // A failure here (the database, say) leaves the row to the job: it is claimed again once its lease lapses.
    const p = this.fetchOne(id)
      .catch((err: Error) => this.log.error({ inbound: id, err: err.message }, 'bulletin audio fetch broke off; the job takes it up again'))
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  private async fetchOne(id: string): Promise<void> {
    const now = this.clock.now();
    const row = await this.repo.claimFetch(id, now, now + FETCH_LEASE_MS);
    if (!row) return; // another call or instance has it, or it is not due
    const fail = async (reason: string): Promise<void> => {
      this.log.warn({ inbound: id, originId: row.originId, reason }, 'bulletin from an upper peer failed');
      await this.repo.fail(id, reason, this.clock.now());
    };
    const parsed = bulletinPayloadSchema.safeParse(row.payload);
    const peer = await this.peers.get(row.peerId);
    if (!parsed.success || parsed.data.audioUrl === null) return fail('the stored bulletin is unreadable');
    if (!peer) return fail(`peer ${row.peerId} no longer exists`);
    const bulletin = parsed.data;
    try {
      // Only from the sending peer's own origin (see InboundAudioFetcher.fetch: no fetching wherever a peer points us).
      const origin = httpOrigin(peer.baseUrl);
      const got = await this.fetcher.fetch(bulletin.audioUrl!, bulletin.audioSha256, origin === null ? [] : [origin]);
      let media: MediaEntity;
      try {
        media = (await this.media.ingestLocalFile(got.path, audioName(bulletin), SOURCE_SYSTEM_ACTOR)).media;
      } finally {
        await this.fetcher.discard(got.path);
      }
      const content = newContent(peer, bulletin, media, this.clock.now());
      if (await this.repo.queue(id, content, this.clock.now())) {
        this.log.info({ inbound: id, originId: bulletin.originId, contentId: content.content.id, sha256: media.sha256 }, 'bulletin audio fetched: in the approval queue');
        this.events.emit('content.stateChanged', { contentId: content.content.id, state: 'submitted', by: SOURCE_SYSTEM_ACTOR });
      }
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (err instanceof MediaRefusedException) return fail(`audio refused (${err.reason}): ${message}`);
      if (err instanceof PermanentFetchError) return fail(message);
      if (row.attempts >= FETCH_MAX_ATTEMPTS) return fail(`gave up after ${row.attempts} attempts: ${message}`);
      const next = this.clock.now() + backoffMs(row.attempts);
      this.log.warn({ inbound: id, originId: bulletin.originId, attempt: row.attempts, retryAt: new Date(next).toISOString(), err: message }, 'bulletin audio fetch failed; will retry');
      await this.repo.retryLater(id, next, message, this.clock.now());
    }
  }
}

function newContent(peer: PeerRecord, b: BulletinPayload, media: MediaEntity | null, now: number): NewContent {
  const id = newId();
  const content: ContentEntity = {
    id,
    type: media ? 'audio' : 'text',
    title: b.title.slice(0, 200),
    mediaSha256: media?.sha256 ?? null,
    text: media ? null : (b.text ?? ''),
    url: null,
    style: null,
    durationMs: media ? media.durationMs : textDisplayMs(b.text ?? ''),
    validFrom: b.validFrom === null ? null : Date.parse(b.validFrom),
    validUntil: b.validUntil === null ? null : Date.parse(b.validUntil),
    createdBy: SOURCE_SYSTEM_ACTOR,
    createdAt: now,
    state: 'submitted',
    rejectReason: null,
    updatedAt: null,
    originPeerId: peer.id,
    originPeerName: (b.originName.trim() || peer.name).slice(0, 200),
    originId: b.originId,
    originPriority: b.priority,
    originCategory: b.category,
  };
  const step = (action: string, from: ContentEntity['state'] | null, to: NonNullable<ContentEntity['state']>, reason: string | null): ContentEventEntity => ({
    id: newId(),
    contentId: id,
    action,
    fromState: from ?? null,
    toState: to,
    userId: SOURCE_SYSTEM_ACTOR,
    at: now,
    reason,
  });
  return {
    content,
    events: [step('create', null, 'draft', `from ${peer.name} (${b.originId})`), step('submit', 'draft', 'submitted', null)],
  };
}

/** e.g. "tu-cap-tren-<originId>.mp3": recognisable in the media list. */
function audioName(b: BulletinPayload): string {
  const ext = /\.([a-z0-9]{2,4})(?:\?|#|$)/i.exec(new URL(b.audioUrl!).pathname)?.[1] ?? 'bin';
  return `tu-cap-tren-${b.originId.replace(/[^a-zA-Z0-9_-]+/g, '-').slice(0, 60)}.${ext.toLowerCase()}`;
}
