import { Inject, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { feedbackTrackingPath } from '@loa/shared/rest';
import { AppConfig } from '../config/app-config.js';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { FeedbackRepository } from './feedback.repository.js';
import { FeedbackService } from './feedback.service.js';
import { PublicAreasRepository } from './public-areas.repository.js';
import { SmsSender } from './sms-sender.js';

/**
 * Without diacritics, as Vietnamese service texts are sent: with them every character costs two bytes (UCS-2) and a
 * message holds 70 characters instead of 160. Case is kept ("UBND Xa Cho Dong").
 */
export const smsPlain = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');

/** The resident's text: who, which item, what happened, where to read it (≤ 160 characters with a normal host name). */
export function notificationText(kind: 'answered' | 'rejected', areaName: string, code: string, trackingUrl: string | null): string {
  const what = kind === 'answered' ? 'da duoc tra loi' : 'khong duoc thu ly';
  const where = trackingUrl ? `Tra cuu: ${trackingUrl}` : 'Tra cuu bang ma va so dien thoai tren trang gop y cua xa.';
  return `UBND ${smsPlain(areaName)}: Y kien ${code} ${what}. ${where}`;
}

/**
 * Tells the resident by SMS that the item was answered (or not accepted), through the gateway adapter, when outbound
 * SMS is on, the resident gave a phone, and the officer did not untick "notify". The outcome goes into the item's
 * history (`notified`, or an internal `notify-failed` with the gateway's reason). The event reaches only the instance
 * that committed the step, so one text is sent per step.
 */
@Injectable()
export class SmsNotifier {
  private readonly log: AppLogger;

  constructor(
    private readonly sender: SmsSender,
    private readonly repo: FeedbackRepository,
    private readonly feedback: FeedbackService,
    private readonly areas: PublicAreasRepository,
    private readonly config: AppConfig,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'feedback-sms' });
  }

  @OnEvent('feedback.changed')
  async onChanged(e: DomainEventMap['feedback.changed']): Promise<void> {
    if (e.kind !== 'answered' && e.kind !== 'rejected') return;
    if (e.notify === false) return;
    try {
      await this.notify(e.itemId, e.kind, e.at);
    } catch (err) {
      this.log.error({ itemId: e.itemId, err: err instanceof Error ? err.message : String(err) }, 'SMS notification failed to run');
    }
  }

  private async notify(itemId: string, kind: 'answered' | 'rejected', at: number): Promise<void> {
    if (!(await this.sender.enabled())) return;
    const item = await this.repo.findById(itemId);
    if (!item?.residentPhone) return;
    const areaName = (await this.areas.names([item.areaCode])).get(item.areaCode) ?? item.areaCode;
    const base = this.config.publicHttpUrl?.replace(/\/+$/, '') ?? null;
    const text = notificationText(kind, areaName, item.code, base === null ? null : `${base}${feedbackTrackingPath(item.code)}`);
    try {
      await this.sender.send({ to: item.residentPhone, text, id: `${item.code}-${kind}-${at}` });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.log.warn({ itemId, reason }, 'SMS to the resident not sent');
      await this.feedback.addSystemEvent(itemId, 'notify-failed', reason.slice(0, 500), true);
      return;
    }
    await this.feedback.addSystemEvent(itemId, 'notified', kind === 'answered' ? 'Đã nhắn tin báo có câu trả lời.' : 'Đã nhắn tin báo ý kiến không được thụ lý.', false);
  }
}
