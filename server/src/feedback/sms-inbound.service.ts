import { BadRequestException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { normalizePhone, type FeedbackSmsSettings } from '@loa/shared/rest';
import { AuditService, type AuditActor } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { FeedbackHasher } from './feedback-hash.js';
import { FeedbackLimits } from './feedback-limits.js';
import { FeedbackSettingsService } from './feedback-settings.service.js';
import { FeedbackRepository } from './feedback.repository.js';
import { FeedbackService } from './feedback.service.js';
import { PublicAreasRepository } from './public-areas.repository.js';
import { parseSmsBody, pickField, smsTitle, splitCommune, verifySmsSignature } from './sms-inbound.parse.js';

/** A text message is at most a few KB even concatenated; the gateway's envelope around it a little more. */
export const SMS_INBOUND_BODY_LIMIT = '64kb';
/** The name an SMS item carries: the sender gave none. */
export const SMS_SENDER_NAME = 'Người gửi SMS';
/** Refused webhook calls audited per address and hour: enough to see an attack or a misconfigured secret, not a flood. */
const AUDITED_REFUSALS_PER_HOUR = 20;

export interface SmsInboundRequest {
  raw: Buffer;
  contentType: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  ip: string;
}

/** What the gateway is told: the item's code (the same one for a redelivered message), or why nothing was made. */
export interface SmsInboundAnswer {
  code: string | null;
  duplicate: boolean;
  /** Set when the message was taken but no item made (the sender is over the day's limit): not worth a retry. */
  refused?: 'rate-limited-phone';
}

const GATEWAY: AuditActor = { id: null, name: 'sms-gateway', role: 'gateway', areaCode: null };

const headerOf = (headers: SmsInboundRequest['headers'], name: string): string | undefined => {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The SMS gateway's webhook (issue 17): a signed request per text message received; each becomes a feedback item of
 * channel `sms`. Order: enabled (404), signature (401, audited), body and mapping (400), then the item, once per
 * gateway message id.
 */
@Injectable()
export class SmsInboundService {
  private readonly log: AppLogger;

  constructor(
    private readonly settings: FeedbackSettingsService,
    private readonly feedback: FeedbackService,
    private readonly repo: FeedbackRepository,
    private readonly areas: PublicAreasRepository,
    private readonly hasher: FeedbackHasher,
    private readonly limits: FeedbackLimits,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'feedback-sms' });
  }

  async receive(req: SmsInboundRequest): Promise<SmsInboundAnswer> {
    const { settings, inboundSecret } = await this.settings.sms();
    const inbound = settings?.inbound;
    if (!inbound?.enabled || !inboundSecret) throw new NotFoundException('SMS intake is not enabled');
    const check = verifySmsSignature({
      secret: inboundSecret,
      raw: req.raw,
      signature: headerOf(req.headers, inbound.signatureHeader),
      timestamp: inbound.timestampHeader ? (headerOf(req.headers, inbound.timestampHeader) ?? '') : null,
      nowS: this.clock.now() / 1000,
    });
    if (!check.ok) {
      await this.auditRefusal(req, check.reason);
      throw new UnauthorizedException(`bad signature: ${check.reason}`);
    }
    const body = parseSmsBody(req.raw, req.contentType);
    if (!body) throw new BadRequestException('the body is neither a JSON object nor form fields');
    const message = this.fields(body, inbound);
    const externalId = message.messageId === undefined ? undefined : `sms:${message.messageId}`;
    if (externalId !== undefined) {
      const same = await this.repo.findByExternalId(externalId);
      if (same) return { code: same.code, duplicate: true };
    }
    const { areaCode, content } = await this.route(message.text, inbound);
    const s = await this.settings.get();
    const limit = await this.limits.take('phone', await this.hasher.phoneHash(message.from), s.limits.perPhonePerDay);
    if (!limit.ok) {
      this.log.info({ areaCode }, 'SMS feedback over the per-phone limit: not stored');
      return { code: null, duplicate: false, refused: 'rate-limited-phone' };
    }
    const category = s.categories.some((c) => c.code === inbound.defaultCategory) ? inbound.defaultCategory : s.categories[s.categories.length - 1]!.code;
    const { item, duplicate } = await this.feedback
      .receive({
        channel: 'sms',
        areaCode,
        name: SMS_SENDER_NAME,
        phone: message.from,
        title: smsTitle(content),
        content,
        category,
        ...(externalId === undefined ? {} : { externalId }),
        ...(message.receivedAt === undefined ? {} : { receivedAt: message.receivedAt }),
      })
      .catch(async (err: unknown) => {
        await limit.release();
        throw err;
      });
    if (duplicate) await limit.release();
    await this.audit.record({
      actor: GATEWAY,
      action: 'feedback.sms-inbound',
      resourceType: 'feedback',
      resourceId: item.id,
      areaCode: item.areaCode,
      outcome: 'ok',
      status: 200,
      detail: { code: item.code, duplicate, message: message.messageId ?? null },
      ip: req.ip,
    });
    return { code: item.code, duplicate };
  }

  private fields(body: Record<string, unknown>, inbound: FeedbackSmsSettings['inbound']): { from: string; text: string; messageId?: string; receivedAt?: number } {
    const rawFrom = pickField(body, inbound.mapping.from);
    const from = rawFrom === undefined ? null : normalizePhone(rawFrom);
    if (from === null) throw new BadRequestException(`field "${inbound.mapping.from}": no Vietnamese phone number`);
    const text = pickField(body, inbound.mapping.text)?.trim();
    if (!text) throw new BadRequestException(`field "${inbound.mapping.text}": no text`);
    const messageId = pickField(body, inbound.mapping.messageId)?.trim().slice(0, 190);
    const at = pickField(body, inbound.mapping.receivedAt);
    const parsedAt = at === undefined ? NaN : /^\d{10}$/.test(at) ? Number(at) * 1000 : /^\d{13}$/.test(at) ? Number(at) : Date.parse(at);
    // A receipt time from the gateway's future is its clock's fault: the item is then received now.
    const receivedAt = Number.isFinite(parsedAt) && parsedAt <= this.clock.now() ? parsedAt : undefined;
    return { from, text: text.slice(0, 5000), ...(messageId ? { messageId } : {}), ...(receivedAt === undefined ? {} : { receivedAt }) };
  }

  /** "XA <code> …" names the commune when the code is one; otherwise the default commune takes the whole text. */
  private async route(text: string, inbound: FeedbackSmsSettings['inbound']): Promise<{ areaCode: string; content: string }> {
    const split = splitCommune(text);
    if (split.areaCode !== null && split.content !== '' && (await this.areas.commune(split.areaCode))) return { areaCode: split.areaCode, content: split.content };
    if (inbound.defaultAreaCode === null) throw new BadRequestException('the text names no known commune ("XA <mã xã> <nội dung>") and no default commune is set');
    return { areaCode: inbound.defaultAreaCode, content: text.trim() };
  }

  /** Anyone can post to the webhook: refusals are audited, at most 20 an hour per address. */
  private async auditRefusal(req: SmsInboundRequest, reason: string): Promise<void> {
    this.log.warn({ ip: req.ip, reason }, 'SMS webhook call refused');
    try {
      const allowed = await this.limits.take('sms-refusal-audit', await this.hasher.addressHash(req.ip), AUDITED_REFUSALS_PER_HOUR);
      if (!allowed.ok) return;
      await this.audit.record({ actor: GATEWAY, action: 'feedback.sms-inbound', resourceType: 'feedback', outcome: 'refused', status: 401, detail: { error: `bad signature: ${reason}` }, ip: req.ip });
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'auditing a refused SMS webhook call failed');
    }
  }
}
