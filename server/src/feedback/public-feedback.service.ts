import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import {
  FEEDBACK_MAX_ATTACHMENT_BYTES,
  FEEDBACK_MAX_ATTACHMENTS,
  FEEDBACK_PUBLIC_PAGE_PATH,
  feedbackShortPath,
  feedbackSubmissionSchema,
  type FeedbackCommuneOption,
  type FeedbackForm,
  type FeedbackRateRequest,
  type FeedbackReceipt,
  type FeedbackTrackRequest,
  type PublicFeedbackView,
} from '@loa/shared/rest';
import { areaCodesOf, type AreaEntity } from '../areas/area.entity.js';
import { Clock } from '../common/clock.js';
import { foldText, searchTerms } from '../common/search-text.js';
import { AppConfig } from '../config/app-config.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { AttachmentChecker, AttachmentRefused, type CheckedFile, type IncomingAttachment } from './attachment-checker.js';
import { FeedbackHasher } from './feedback-hash.js';
import { FeedbackLimits } from './feedback-limits.js';
import { FeedbackRefused } from './feedback-refusal.js';
import { FeedbackSettingsService } from './feedback-settings.service.js';
import type { FeedbackItemEntity } from './feedback.entities.js';
import { FeedbackRepository } from './feedback.repository.js';
import { FeedbackService } from './feedback.service.js';
import { canRate } from './feedback-workflow.js';
import { PublicAreasRepository } from './public-areas.repository.js';
import { PublicFeedbackReceiver } from './public-feedback.receiver.js';
import { feedbackReceipt, publicFeedbackView } from './public-views.js';
import { QrCodes } from './qr-code.js';
import { spamReason } from './spam-check.js';

/** A request as the service needs it: the raw message (a multipart body is read here), the bytes of any other body, who sent it. */
export interface PublicRequest {
  req: IncomingMessage;
  /** The bytes of a body that is not multipart (publicBodyParser); undefined for multipart. */
  body: unknown;
  /** Express `req.ip` (X-Forwarded-For from a trusted proxy, LOA_TRUST_PROXY). */
  ip: string;
  /** "https://host" as the client reached us, when LOA_PUBLIC_HTTP_URL is not set. */
  origin: string;
}

/** The commune list is the same for every visitor: read once a minute per process, not per keystroke. */
const COMMUNES_TTL_MS = 60_000;

/**
 * The public side of citizen feedback (issue 17): the form's facts per commune, the commune search, a submission
 * (fields, files, consent, spam, limits, then the core's `receive`), tracking by code and phone, and rating.
 */
@Injectable()
export class PublicFeedbackService {
  private communesCache: { at: number; rows: Promise<Array<Pick<AreaEntity, 'code' | 'name' | 'path'> & { folded: string }>> } | null = null;
  private readonly log: AppLogger;

  constructor(
    private readonly feedback: FeedbackService,
    private readonly repo: FeedbackRepository,
    private readonly areas: PublicAreasRepository,
    private readonly hasher: FeedbackHasher,
    private readonly settings: FeedbackSettingsService,
    private readonly limits: FeedbackLimits,
    private readonly receiver: PublicFeedbackReceiver,
    private readonly checker: AttachmentChecker,
    private readonly qr: QrCodes,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'feedback-public' });
  }

  // --- the page's facts ---------------------------------------------------------------------------------------

  async form(areaCode: string, origin: string): Promise<FeedbackForm> {
    const commune = await this.commune(areaCode);
    const s = await this.settings.get();
    const base = this.baseUrl(origin);
    return {
      areaCode: commune.code,
      areaName: commune.name,
      parentNames: await this.parentNames(commune.path),
      villages: s.villages[commune.code] ?? [],
      categories: s.categories.map((c) => ({ code: c.code, label: c.label })),
      maxAttachments: FEEDBACK_MAX_ATTACHMENTS,
      maxAttachmentBytes: FEEDBACK_MAX_ATTACHMENT_BYTES,
      consentText: s.consentText,
      shortUrl: `${base}${feedbackShortPath(commune.code)}`,
      qrSvgUrl: `${base}/api/v1/public/feedback/qr/${encodeURIComponent(commune.code)}.svg`,
    };
  }

  /** Communes whose name (or code) holds every word of `q`, without diacritics: "cho dong" finds "Chợ Đông". */
  async communes(q: string, limit: number): Promise<FeedbackCommuneOption[]> {
    const terms = searchTerms(q);
    const rows = await this.communeRows();
    const found = rows.filter((r) => terms.every((t) => r.folded.includes(t) || r.code.toLowerCase() === t)).slice(0, limit);
    const names = await this.areas.names([...new Set(found.flatMap((r) => areaCodesOf(r.path).slice(0, -1)))]);
    return found.map((r) => ({ areaCode: r.code, name: r.name, parentNames: parentsOf(r.path, names) }));
  }

  async qrSvg(areaCode: string, origin: string): Promise<string> {
    const commune = await this.commune(areaCode);
    return this.qr.svg(`${this.baseUrl(origin)}${feedbackShortPath(commune.code)}`);
  }

  /** Where the short link of a commune leads: the public page with the commune chosen. */
  shortLinkTarget(areaCode: string): string {
    return `${FEEDBACK_PUBLIC_PAGE_PATH}?c=${encodeURIComponent(areaCode)}`;
  }

  // --- submission ---------------------------------------------------------------------------------------------

  /**
   * Order of checks: the body's shape (413 while streaming, 400), spam and consent (400), the commune (404), the
   * limits per address and per phone (429), then the files are decoded (415, 400); only then is anything stored, in
   * one go by the core. An exact resubmission answers the first item's code and gives its hits back.
   */
  async submit(r: PublicRequest): Promise<FeedbackReceipt> {
    const { fields, files, release } = await this.read(r);
    try {
      return await this.take(r, fields, files);
    } finally {
      release();
    }
  }

  private async take(r: PublicRequest, fields: Record<string, unknown>, files: IncomingAttachment[]): Promise<FeedbackReceipt> {
    const parsed = feedbackSubmissionSchema.safeParse(fields);
    if (!parsed.success) {
      const phoneIssue = parsed.error.issues.some((i) => i.path[0] === 'phone');
      throw new FeedbackRefused(phoneIssue ? 'invalid-phone' : 'invalid', 400, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const sub = parsed.data;
    const spam = spamReason(sub);
    if (spam !== null) {
      this.log.info({ areaCode: sub.areaCode, reason: spam }, 'public feedback refused as spam');
      throw new FeedbackRefused('spam', 400, spam);
    }
    if (!sub.consent) throw new FeedbackRefused('consent-required', 400);
    const commune = await this.commune(sub.areaCode);
    const s = await this.settings.get();
    if (!s.categories.some((c) => c.code === sub.category)) throw new FeedbackRefused('invalid', 400, `unknown category ${sub.category}`);

    const addressHash = await this.hasher.addressHash(r.ip);
    const phoneHash = await this.hasher.phoneHash(sub.phone);
    const byAddress = await this.limits.take('address', addressHash, s.limits.perAddressPerHour);
    if (!byAddress.ok) throw new FeedbackRefused('rate-limited-address', 429, '', byAddress.retryAfterSeconds);
    const byPhone = await this.limits.take('phone', phoneHash, s.limits.perPhonePerDay);
    if (!byPhone.ok) throw new FeedbackRefused('rate-limited-phone', 429, '', byPhone.retryAfterSeconds);

    let attachments: CheckedFile[];
    try {
      attachments = await this.checker.check(files);
    } catch (err) {
      // A refused file stored nothing: the phone's quota is given back (the address keeps its hit: decoding cost us).
      await byPhone.release();
      if (err instanceof AttachmentRefused) {
        this.log.info({ areaCode: sub.areaCode, code: err.code, detail: err.message }, 'public feedback attachment refused');
        throw new FeedbackRefused(err.code, err.code === 'attachment-type' ? 415 : err.code === 'attachment-too-large' ? 413 : 400, err.message);
      }
      throw err;
    }
    const { item, duplicate } = await this.feedback
      .receive({
        channel: 'web',
        areaCode: commune.code,
        village: sub.village,
        name: sub.name,
        phone: sub.phone,
        email: sub.email,
        title: sub.title,
        content: sub.content,
        category: sub.category,
        addressHash,
        attachments,
      })
      .catch(async (err: unknown) => {
        await byPhone.release();
        throw err;
      });
    if (duplicate) {
      await byAddress.release();
      await byPhone.release();
    }
    return feedbackReceipt(item, await this.areaName(item.areaCode), duplicate);
  }

  private async read(r: PublicRequest): Promise<{ fields: Record<string, unknown>; files: IncomingAttachment[]; release(): void }> {
    const type = String(r.req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('multipart/')) return this.receiver.receive(r.req);
    // Anything else arrives raw (publicBodyParser): a JSON object, or the fields of a plain HTML form.
    const raw = Buffer.isBuffer(r.body) ? r.body.toString('utf8') : null;
    if (raw !== null && type.includes('x-www-form-urlencoded')) return { fields: Object.fromEntries(new URLSearchParams(raw)), files: [], release: noop };
    if (raw !== null && type.includes('json')) {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw new FeedbackRefused('invalid', 400, 'malformed JSON');
      }
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) return { fields: json as Record<string, unknown>, files: [], release: noop };
    }
    throw new FeedbackRefused('invalid', 400, 'send multipart/form-data (with files), a JSON object or form fields');
  }

  // --- tracking and rating ------------------------------------------------------------------------------------

  async track(q: FeedbackTrackRequest, ip: string): Promise<PublicFeedbackView> {
    const item = await this.lookup(q, ip);
    return this.view(item);
  }

  async rate(q: FeedbackRateRequest, ip: string): Promise<PublicFeedbackView> {
    const item = await this.lookup(q, ip);
    const s = await this.settings.get();
    if (!canRate(item, s.autoCloseDays, this.clock.now())) throw new FeedbackRefused('rating-not-open', 409, `state ${item.state}`);
    return this.view(await this.feedback.rateByResident(item.id, q.satisfied, q.comment));
  }

  /** The item of this code whose resident's phone this is; anything else is the same 404 (codes cannot be probed). */
  private async lookup(q: FeedbackTrackRequest, ip: string): Promise<FeedbackItemEntity> {
    const s = await this.settings.get();
    const limit = await this.limits.take('lookup', await this.hasher.addressHash(ip), s.limits.lookupsPerAddressPer10Min);
    if (!limit.ok) throw new FeedbackRefused('lookup-limited', 429, '', limit.retryAfterSeconds);
    const item = await this.repo.findByCode(q.code);
    // The hash, not the stored number: it is still there once the personal data has been erased.
    if (!item || item.phoneHash !== (await this.hasher.phoneHash(q.phone))) throw new FeedbackRefused('not-found', 404);
    return item;
  }

  private async view(item: FeedbackItemEntity): Promise<PublicFeedbackView> {
    const [events, attachments, settings, shown, areaName] = await Promise.all([
      this.repo.events(item.id),
      this.repo.attachments(item.id),
      this.settings.get(),
      this.feedback.shownAnswer(item),
      this.areaName(item.areaCode),
    ]);
    return publicFeedbackView({ item, events, shown, areaName, attachments: attachments.length, settings, now: this.clock.now() });
  }

  // --- areas --------------------------------------------------------------------------------------------------

  private async commune(code: string): Promise<AreaEntity> {
    const area = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(code) ? await this.areas.commune(code) : null;
    if (!area) throw new FeedbackRefused('unknown-commune', 404, code.slice(0, 40));
    return area;
  }

  private async areaName(code: string): Promise<string> {
    return (await this.areas.names([code])).get(code) ?? code;
  }

  /** Names of the units above a commune, nearest first ("Huyện …", "Tỉnh …"). */
  private async parentNames(path: string): Promise<string[]> {
    const names = await this.areas.names(areaCodesOf(path).slice(0, -1));
    return parentsOf(path, names);
  }

  private communeRows() {
    const now = this.clock.now();
    if (!this.communesCache || now - this.communesCache.at > COMMUNES_TTL_MS) {
      const rows = this.areas.communes().then((list) => list.map((a) => ({ ...a, folded: foldText(a.name) })));
      const entry = { at: now, rows };
      rows.catch(() => {
        if (this.communesCache === entry) this.communesCache = null;
      });
      this.communesCache = entry;
    }
    return this.communesCache.rows;
  }

  private baseUrl(origin: string): string {
    return (this.config.publicHttpUrl ?? origin).replace(/\/+$/, '');
  }
}

const noop = (): void => undefined;

const parentsOf = (path: string, names: ReadonlyMap<string, string>): string[] =>
  areaCodesOf(path)
    .slice(0, -1)
    .reverse()
    .map((c) => names.get(c))
    .filter((n): n is string => n !== undefined);
