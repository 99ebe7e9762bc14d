import { BadRequestException, ForbiddenException, HttpException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import {
  bulletinPayloadSchema,
  bulletinResultPayloadSchema,
  exchangeEnvelopeSchema,
  type ExchangeEnvelope,
  type InboxAnswer,
  type InboundExchangeView,
  type InboundListQuery,
} from '@loa/shared/rest';
import type { ZodError } from 'zod';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { newId } from '../common/ids.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { BulletinResults } from './bulletin-results.service.js';
import { InboundBulletins } from './inbound-bulletins.service.js';
import type { InboundExchangeEntity } from './inbound-exchange.entity.js';
import { InboundExchangesRepository } from './inbound-exchanges.repository.js';
import { SourcePeers, type PeerRecord } from './peers.port.js';
import { verifySignature } from './signing.js';

/**
 * Largest inbox body. A bulletin is a few KB (its audio travels by URL); the results of a bulletin scheduled on a
 * large commune's every speaker several times are the big ones (≈ 250 bytes per device row, 50,000 rows at most).
 */
export const INBOX_BODY_LIMIT = '16mb';

export interface InboxRequest {
  peerHeader: string | undefined;
  signatureHeader: string | undefined;
  /** The bytes as sent: the signature covers them, not a re-serialisation. */
  raw: Buffer;
  ip: string | null;
}

const firstIssue = (err: ZodError, prefix: string): string => {
  const issue = err.issues[0]!;
  const where = [prefix, ...issue.path.map(String)].filter((s) => s !== '').join('.');
  return `${where || 'body'}: ${issue.message}`;
};

/**
 * The inbox of exchanges from peers (POST SOURCE_INBOX_PATH): no session; the peer names itself and signs the raw
 * body with the secret we gave it. Order of checks: who (401), well-formed (400), allowed direction (403), then the
 * exchange is taken once per idempotency key. A bulletin comes only from an upper peer; everything else (results,
 * statistics, inventory…) only from a lower one.
 */
@Injectable()
export class InboxService {
  private readonly log: AppLogger;

  constructor(
    private readonly peers: SourcePeers,
    private readonly repo: InboundExchangesRepository,
    private readonly bulletins: InboundBulletins,
    private readonly results: BulletinResults,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'source-inbox' });
  }

  async receive(req: InboxRequest): Promise<InboxAnswer> {
    const peerId = req.peerHeader?.trim();
    if (!peerId) return this.refuse(null, req, new UnauthorizedException('missing x-loa-peer header: name the sending peer (its id at this server)'));
    const peer = await this.peers.get(peerId);
    // Unknown senders are not audited: anyone could fill the log with them. They are counted and logged.
    if (!peer) return this.refuse(null, req, new UnauthorizedException(`unknown peer ${peerId.slice(0, 64)}`));
    if (!peer.enabled) return this.refuse(peer, req, new UnauthorizedException(`peer ${peer.id} is disabled`));
    const check = verifySignature(peer.inboundSecret, req.signatureHeader, req.raw, this.clock.now() / 1000);
    if (!check.ok) return this.refuse(peer, req, new UnauthorizedException(`bad signature: ${check.reason}`));

    let json: unknown;
    try {
      json = JSON.parse(req.raw.toString('utf8'));
    } catch {
      return this.refuse(peer, req, new BadRequestException('body is not JSON'));
    }
    const env = exchangeEnvelopeSchema.safeParse(json);
    if (!env.success) return this.refuse(peer, req, new BadRequestException(firstIssue(env.error, '')));
    const e = env.data;
    const isUpperKind = e.kind === 'bulletin';
    if (isUpperKind && peer.role !== 'upper') return this.refuse(peer, req, new ForbiddenException(`peer ${peer.id} is a lower peer: it may not send bulletins down to us`), e);
    if (!isUpperKind && peer.role !== 'lower') return this.refuse(peer, req, new ForbiddenException(`peer ${peer.id} is an upper peer: it may not send ${e.kind} (only bulletins)`), e);

    let answer: InboxAnswer;
    try {
      answer = await this.take(peer, e);
    } catch (err) {
      if (err instanceof HttpException && err.getStatus() < 500) return this.refuse(peer, req, err, e);
      throw err;
    }
    this.metrics.inc(answer.duplicate ? 'source_inbox_duplicates' : 'source_inbox_accepted');
    await this.audit.record({
      actor: actor(peer),
      action: `source.inbox.${e.kind}`,
      resourceType: 'source-exchange',
      resourceId: answer.ref,
      outcome: 'ok',
      status: 200,
      // `exchange`, not `idempotencyKey`: the audit's redaction drops any field named like a key.
      detail: { peerId: peer.id, exchange: e.idempotencyKey, duplicate: answer.duplicate, sentAt: e.sentAt },
      ip: req.ip,
    });
    return answer;
  }

  async list(q: InboundListQuery): Promise<InboundExchangeView[]> {
    const names = new Map((await this.peers.all()).map((p) => [p.id, p.name]));
    return (await this.repo.list(q)).map((r) => ({
      id: r.id,
      peerId: r.peerId,
      peerName: names.get(r.peerId) ?? null,
      kind: r.kind,
      idempotencyKey: r.idempotencyKey,
      originId: r.originId,
      state: r.state,
      contentId: r.contentId,
      attempts: r.attempts,
      nextAttemptAt: r.nextAttemptAt === null ? null : new Date(r.nextAttemptAt).toISOString(),
      error: r.error,
      receivedAt: new Date(r.receivedAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
    }));
  }

  private async take(peer: PeerRecord, e: ExchangeEnvelope): Promise<InboxAnswer> {
    if (e.kind === 'bulletin') {
      const p = bulletinPayloadSchema.safeParse(e.payload);
      if (!p.success) throw new BadRequestException(firstIssue(p.error, 'payload'));
      return this.bulletins.accept(peer.id, p.data, e.idempotencyKey);
    }
    if (e.kind === 'bulletin-result') {
      const p = bulletinResultPayloadSchema.safeParse(e.payload);
      if (!p.success) throw new BadRequestException(firstIssue(p.error, 'payload'));
      return this.results.store(peer.id, p.data, e.idempotencyKey, producedAt(e));
    }
    // Schedules, playout log, statistics, inventory from a lower Loa: kept as received (their views are for later).
    const now = this.clock.now();
    const row: InboundExchangeEntity = {
      id: newId(),
      peerId: peer.id,
      idempotencyKey: e.idempotencyKey,
      kind: e.kind,
      originId: null,
      state: 'stored',
      payload: (e.payload ?? null) as object | null,
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
    const outcome = await this.repo.insertOnce(row);
    return { accepted: true, duplicate: outcome.duplicate, ref: outcome.row.id };
  }

  private async refuse(peer: PeerRecord | null, req: InboxRequest, err: HttpException, e?: ExchangeEnvelope): Promise<never> {
    const status = err.getStatus();
    this.metrics.inc(`source_inbox_refused_${status}`);
    this.log.warn({ peer: peer?.id ?? req.peerHeader?.slice(0, 64) ?? null, status, reason: err.message, ip: req.ip }, 'source inbox refused an exchange');
    if (peer) {
      await this.audit.record({
        actor: actor(peer),
        action: `source.inbox.${e?.kind ?? 'unknown'}`,
        resourceType: 'source-exchange',
        resourceId: null,
        outcome: 'refused',
        status,
        detail: { peerId: peer.id, reason: err.message, exchange: e?.idempotencyKey ?? null },
        ip: req.ip,
      });
    }
    throw err;
  }
}

/**
 * When a results report was produced: its `asOf` when the sender (a Loa) gives one, else the envelope's sentAt. A
 * sender's retry sends an old report with a new sentAt; ordering by it would let a stale report win.
 */
function producedAt(e: ExchangeEnvelope): number {
  const asOf = (e.payload as { asOf?: unknown } | null)?.asOf;
  const t = typeof asOf === 'string' && asOf.length <= 40 ? Date.parse(asOf) : NaN;
  return Number.isFinite(t) ? t : Date.parse(e.sentAt);
}

const actor = (peer: PeerRecord) => ({ id: null, name: `peer:${peer.name}`.slice(0, 64), role: 'source-peer', areaCode: null });
