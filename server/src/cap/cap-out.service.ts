import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { atomFeedOf, capMessageOf, type CapOutContext } from './cap-out.js';
import { CapRepository } from './cap.repository.js';
import { notFound } from '../common/loa-error.js';

/** Entries in the Atom feed. */
export const CAP_FEED_ENTRIES = 100;

/** Loa alerts as CAP 1.2 for other systems. */
@Injectable()
export class CapOutService {
  constructor(
    private readonly repo: CapRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Links use LOA_PUBLIC_HTTP_URL when set (the name other systems reach us by), else the request's host. */
  async feed(baseUrl: string): Promise<string> {
    return atomFeedOf(await this.repo.recentAlerts(CAP_FEED_ENTRIES), context(this.config.publicHttpUrl?.replace(/\/+$/, '') ?? baseUrl), this.clock.now());
  }

  async one(id: string, baseUrl: string): Promise<string> {
    const a = await this.published(id);
    const area = await this.repo.area(a.areaCode);
    const media = a.mediaSha256 ? await this.repo.media(a.mediaSha256) : null;
    const replaced = a.replaces ? await this.repo.alert(a.replaces) : null;
    return capMessageOf(a, context(this.config.publicHttpUrl?.replace(/\/+$/, '') ?? baseUrl), { areaName: area?.name ?? a.areaCode, media, replaced });
  }

  /** Alerts still waiting for a second person (or withdrawn before anyone confirmed them) are not public. */
  async published(id: string) {
    const a = /^[\w-]{1,80}$/.test(id) ? await this.repo.alert(id) : null;
    if (!a || a.status === 'pending' || (a.status === 'cancelled' && a.requestedAt && !a.confirmedAt)) throw notFound('alert.not-found', { id: id.slice(0, 80) });
    return a;
  }

  /** The audio of a published alert (its CAP `resource`): public like the message that links to it. */
  async audioOf(id: string): Promise<string> {
    const a = await this.published(id);
    if (!a.mediaSha256) throw notFound('alert.no-audio', { id: a.id });
    return a.mediaSha256;
  }
}

function context(baseUrl: string): CapOutContext {
  return { baseUrl, sender: `loa@${new URL(baseUrl).hostname}` };
}
