import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { XMLParser } from 'fast-xml-parser';
import { Clock } from '../common/clock.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { boundedFetch, originOf } from './cap-fetch.js';
import { CapInboundService } from './cap-inbound.service.js';
import { CAP_MAX_BYTES } from './cap-validate.js';
import type { CapSourceEntity } from './cap.entities.js';
import { CapRepository } from './cap.repository.js';

export const CAP_FEEDS_JOB = 'cap.feeds';
/** The job wakes this often and polls the sources whose own interval has passed. */
export const CAP_FEEDS_TICK_MS = 15_000;
export const CAP_FEED_TIMEOUT_MS = 20_000;
export const CAP_FEED_MAX_BYTES = 8 * 1024 * 1024;
/** Entries handled per poll (a feed's newest first is the usual order; the rest come next time). */
const MAX_ENTRIES = 100;

export interface FeedEntry {
  id: string;
  /** The CAP message itself, when the entry embeds it. */
  embedded: string | null;
  /** Where to fetch it otherwise. */
  link: string | null;
}

const feedParser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, parseTagValue: false, processEntities: false, isArray: (n) => n === 'entry' || n === 'item' || n === 'link' });

type Node = Record<string, unknown>;
const text = (v: unknown): string | null => {
  if (typeof v === 'string') return v.trim() || null;
  if (v && typeof v === 'object' && '#text' in v) return String((v as Node)['#text']).trim() || null;
  return null;
};

/** A CAP message carried as escaped text (`&lt;alert …&gt;`, e.g. an RSS description or Atom type="text"). */
function escapedAlert(block: string): string | null {
  const m = /&lt;(?:[\w-]+:)?alert[\s&][\s\S]*?&lt;\/(?:[\w-]+:)?alert&gt;/.exec(block);
  if (!m) return null;
  return m[0].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/**
 * Entries of an Atom feed or RSS 2.0 channel. An embedded `<alert>` is cut out of the feed's own text (not
 * re-serialised), so what is validated is what the sender wrote; otherwise the entry's CAP link is fetched.
 */
export function parseFeed(xml: string): FeedEntry[] {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error('feed has a DOCTYPE or entity declaration: refused');
  const doc = feedParser.parse(xml) as Node;
  const feed = doc.feed as Node | undefined;
  const channel = (doc.rss as Node | undefined)?.channel as Node | undefined;
  const nodes = (feed?.entry ?? channel?.item ?? []) as Node[];
  const blocks = [...xml.matchAll(/<(?:[\w-]+:)?(entry|item)[\s>][\s\S]*?<\/(?:[\w-]+:)?\1>/g)].map((m) => m[0]);
  return nodes.slice(0, MAX_ENTRIES).map((n, i) => {
    const links = (n.link ?? []) as unknown[];
    const capLink =
      links.find((l) => typeof l === 'object' && l !== null && /cap\+xml|xml/i.test(String((l as Node)['@type'] ?? ''))) ??
      links.find((l) => typeof l === 'object' && l !== null && ((l as Node)['@rel'] ?? 'alternate') === 'alternate') ??
      links[0];
    const link = typeof capLink === 'string' ? capLink.trim() : capLink && typeof capLink === 'object' ? (String((capLink as Node)['@href'] ?? '') || text(capLink)) : null;
    const enclosure = (n.enclosure as Node | undefined)?.['@url'];
    const block = blocks[i] ?? '';
    const embedded = /<(?:[\w-]+:)?alert[\s>][\s\S]*?<\/(?:[\w-]+:)?alert>/.exec(block)?.[0] ?? escapedAlert(block);
    const id = text(n.id) ?? text(n.guid) ?? link ?? (typeof enclosure === 'string' ? enclosure : null) ?? `entry-${i}`;
    return { id, embedded, link: link || (typeof enclosure === 'string' ? enclosure : null) };
  });
}

/**
 * Polls the feed sources (leader only, JobScheduler): each entry not seen before is fetched with the source's
 * credentials (same origin only), bounded in time and size, and handled like a pushed message. An entry whose fetch
 * fails is not recorded, so the next poll tries it again; one that was recorded (taken or refused) is not.
 */
@Injectable()
export class CapFeeds implements OnApplicationBootstrap {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: CapRepository,
    private readonly inbound: CapInboundService,
    private readonly jobs: JobScheduler,
    private readonly clock: Clock,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'cap-feeds' });
  }

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: CAP_FEEDS_JOB, intervalMs: CAP_FEEDS_TICK_MS, runAtStart: true, run: () => this.pollDue() });
  }

  async pollDue(): Promise<number> {
    const now = this.clock.now();
    let n = 0;
    for (const s of await this.repo.feedSources()) {
      if (s.lastPolledAt !== null && now - s.lastPolledAt < s.pollIntervalS * 1000) continue;
      n += (await this.poll(s)).handled;
    }
    return n;
  }

  /** One poll of one source now; answers how many new entries were handled. */
  async poll(s: CapSourceEntity): Promise<{ handled: number; error: string | null }> {
    let handled = 0;
    let error: string | null = null;
    try {
      if (!s.feedUrl) throw new Error('no feed URL');
      const origin = originOf(s.feedUrl);
      const got = await boundedFetch(s.feedUrl, { timeoutMs: CAP_FEED_TIMEOUT_MS, maxBytes: CAP_FEED_MAX_BYTES, allowedOrigins: null, auth: s.feedAuth, credentialOrigin: origin, accept: 'application/atom+xml, application/rss+xml, application/xml;q=0.9' });
      const entries = parseFeed(got.body.toString('utf8'));
      // Oldest first, so an Update is handled after the Alert it references when both are new.
      for (const entry of entries.reverse()) {
        if (await this.repo.entrySeen(s.id, entry.id)) continue;
        try {
          const raw = entry.embedded !== null ? Buffer.from(entry.embedded, 'utf8') : await this.fetchEntry(s, entry, got.finalUrl);
          await this.inbound.receive(s, raw, { via: 'feed', entryId: entry.id });
          handled++;
        } catch (err) {
          error = `entry ${entry.id.slice(0, 200)}: ${(err as Error).message}`;
          this.log.warn({ sourceId: s.id, entry: entry.id, err: (err as Error).message }, 'CAP feed entry not fetched (tried again next poll)');
        }
      }
    } catch (err) {
      error = (err as Error).message;
      this.log.warn({ sourceId: s.id, err: error }, 'CAP feed poll failed');
    }
    await this.repo.updateSource(s.id, { lastPolledAt: this.clock.now(), lastPollError: error?.slice(0, 1000) ?? null });
    return { handled, error };
  }

  private async fetchEntry(s: CapSourceEntity, entry: FeedEntry, feedUrl: string): Promise<Buffer> {
    if (!entry.link) throw new Error('entry has neither an embedded <alert> nor a link');
    const url = new URL(entry.link, feedUrl).toString();
    const origin = s.feedUrl ? originOf(s.feedUrl) : null;
    // Entries are fetched from the feed's own origin or the source's resource origins only (no server-side request forgery through a feed).
    const allowed = [...s.resourceOrigins, ...(origin ? [origin] : [])];
    return (await boundedFetch(url, { timeoutMs: CAP_FEED_TIMEOUT_MS, maxBytes: CAP_MAX_BYTES, allowedOrigins: allowed, auth: s.feedAuth, credentialOrigin: origin, accept: 'application/cap+xml, application/xml' })).body;
  }
}
