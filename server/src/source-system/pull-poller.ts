import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { bulletinPayloadSchema, PRIORITIES, type BulletinPayload, type PullMapping } from '@loa/shared/rest';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { answerGist, networkError, readAnswer } from './dispatcher.adapter.js';
import { InboundBulletins } from './inbound-bulletins.service.js';
import type { SourcePeerEntity } from './peer.entity.js';
import { PeersService } from './peers.service.js';
import { authHeaders, OAuthTokens, peerUrl } from './rest-adapter.js';
import { readPath } from './templates.js';

export const PULL_JOB = 'source-system.pull';
export const PULL_TICK_MS = 30_000;
/** Audit action of a bulletin taken by polling (the inbox's is `source.inbox.bulletin`). */
export const PULL_AUDIT_ACTION = 'source.pull.bulletin';

export interface PollOutcome {
  peerId: string;
  items: number;
  accepted: number;
  duplicates: number;
  refused: number;
  error: string | null;
}

const text = (v: unknown): string | null => (v === undefined || v === null || typeof v === 'object' ? null : String(v));

function instant(v: unknown): string | null {
  const t = text(v);
  if (t === null || t.trim() === '') return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** One item of the peer's list, through the peer's reverse mapping; null when it lacks an id or a title. */
export function mapPulledItem(item: unknown, m: PullMapping, originName: string): BulletinPayload | null {
  const originId = text(readPath(item, m.originId));
  const title = text(readPath(item, m.title));
  if (!originId || !title) return null;
  const priority = text(m.priority === null ? null : readPath(item, m.priority));
  const candidate = {
    originId: originId.slice(0, 120),
    title: title.slice(0, 300),
    text: m.text === null ? null : text(readPath(item, m.text)),
    audioUrl: m.audioUrl === null ? null : text(readPath(item, m.audioUrl)),
    audioSha256: null,
    priority: (PRIORITIES as readonly string[]).includes(priority ?? '') ? (priority as BulletinPayload['priority']) : 'normal',
    category: null,
    validFrom: m.validFrom === null ? null : instant(readPath(item, m.validFrom)),
    validUntil: m.validUntil === null ? null : instant(readPath(item, m.validUntil)),
    areaCodes: null,
    originName: originName.slice(0, 200),
  };
  const parsed = bulletinPayloadSchema.safeParse(candidate);
  return parsed.success ? parsed.data : null;
}

/**
 * Pull by polling: for each enabled upper REST peer set to `poll`, GETs its list of bulletins every `intervalS`, maps
 * each item through the peer's reverse mapping and hands it to the receiving side (InboundBulletins) under the key
 * `pull:<originId>`, so an item served again (every poll serves the whole list) is taken once. Leader only.
 */
@Injectable()
export class PullPoller implements OnApplicationBootstrap {
  /** When each peer was last polled (per process: a new leader polls at once, which the keys make harmless). */
  private readonly lastPoll = new Map<string, number>();
  private readonly log: AppLogger;

  constructor(
    private readonly peers: PeersService,
    private readonly inbound: InboundBulletins,
    private readonly tokens: OAuthTokens,
    private readonly clock: Clock,
    private readonly jobs: JobScheduler,
    private readonly audit: AuditService,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'source-system' });
  }

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: PULL_JOB, intervalMs: PULL_TICK_MS, runAtStart: true, run: () => this.pollDue() });
  }

  async pollDue(): Promise<PollOutcome[]> {
    const out: PollOutcome[] = [];
    const now = this.clock.now();
    for (const peer of await this.peers.entities()) {
      if (!peer.enabled || peer.kind !== 'rest' || peer.role !== 'upper' || peer.pull.mode !== 'poll') continue;
      if (now < (this.lastPoll.get(peer.id) ?? 0) + peer.pull.intervalS * 1000) continue;
      this.lastPoll.set(peer.id, now);
      out.push(await this.poll(peer));
    }
    return out;
  }

  /** Polls one peer now. Never throws: the outcome says what happened. */
  async poll(peer: SourcePeerEntity): Promise<PollOutcome> {
    const outcome: PollOutcome = { peerId: peer.id, items: 0, accepted: 0, duplicates: 0, refused: 0, error: null };
    if (peer.pull.mode !== 'poll') return { ...outcome, error: 'not set to poll' };
    const { url, mapping } = peer.pull;
    let body: unknown;
    try {
      let res = await this.get(peer, url);
      if (res.status === 401 && peer.auth.type === 'oauth2') {
        this.tokens.drop(peer.auth);
        res = await this.get(peer, url);
      }
      if (res.status < 200 || res.status >= 300) throw new Error(answerGist(res.status, res.text));
      body = JSON.parse(res.text) as unknown;
    } catch (err) {
      outcome.error = err instanceof SyntaxError ? 'the answer is not JSON' : (err as Error).name === 'Error' ? (err as Error).message : networkError(err, peer.timeoutMs);
      this.log.warn({ peer: peer.id, err: outcome.error }, 'poll failed');
      return outcome;
    }
    const items = readPath(body, mapping.itemsPath);
    if (!Array.isArray(items)) {
      outcome.error = `no list at "${mapping.itemsPath ?? ''}" in the answer`;
      return outcome;
    }
    outcome.items = items.length;
    for (const item of items) {
      const bulletin = mapPulledItem(item, mapping, peer.name);
      if (!bulletin) {
        outcome.refused++;
        continue;
      }
      const key = `pull:${bulletin.originId}`;
      try {
        const answer = await this.inbound.accept(peer.id, bulletin, key);
        if (answer.duplicate) {
          // Not audited: every poll serves the whole list again, and that would fill the log with repeats.
          outcome.duplicates++;
          continue;
        }
        outcome.accepted++;
        await this.recordAudit(peer, 'ok', answer.ref, { exchange: key, originId: bulletin.originId, duplicate: false });
      } catch (err) {
        outcome.refused++;
        this.log.warn({ peer: peer.id, originId: bulletin.originId, err: (err as Error).message }, 'pulled bulletin refused');
        await this.recordAudit(peer, 'refused', null, { exchange: key, originId: bulletin.originId, reason: (err as Error).message });
      }
    }
    return outcome;
  }

  /** As the inbox audits what it takes (actor `peer:<name>`, resource the inbound exchange), for what polling takes. */
  private async recordAudit(peer: SourcePeerEntity, outcome: 'ok' | 'refused', ref: string | null, detail: Record<string, unknown>): Promise<void> {
    await this.audit
      .record({
        actor: { id: null, name: `peer:${peer.name}`.slice(0, 64), role: 'source-peer', areaCode: null },
        action: PULL_AUDIT_ACTION,
        resourceType: 'source-exchange',
        resourceId: ref,
        outcome,
        status: outcome === 'ok' ? 200 : 400,
        detail: { peerId: peer.id, via: 'poll', ...detail },
        ip: null,
      })
      .catch((err: Error) => this.log.warn({ peer: peer.id, err: err.message }, 'could not audit a pulled bulletin'));
  }

  private async get(peer: SourcePeerEntity, url: string): Promise<{ status: number; text: string }> {
    const res = await fetch(peerUrl(peer.baseUrl, url), {
      redirect: 'manual',
      headers: { accept: 'application/json', ...(await authHeaders(peer.auth, this.tokens, peer.timeoutMs)) },
      signal: AbortSignal.timeout(peer.timeoutMs),
    });
    return { status: res.status, text: await readAnswer(res) };
  }
}
