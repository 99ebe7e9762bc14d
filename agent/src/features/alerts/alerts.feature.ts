import { alertMessageSchema, areaTopic, type AlertMessage, type DeviceKind, type Slot } from '@loa/shared';
import type { Logger } from 'pino';
import type { EventBus } from '../../core/bus.js';
import type { Feature } from '../../core/feature.js';
import type { SerialQueue } from '../../core/serial-queue.js';
import type { MessageGuard } from '../../router/guard.js';
import type { MessageRouter } from '../../router/message-router.js';
import { AlertBook } from './alert-book.js';

export interface AlertsFeatureOptions {
  kind: DeviceKind;
  dataDir: string;
  logger: Logger;
  bus: EventBus;
  guard: Pick<MessageGuard, 'reject'>;
  router: Pick<MessageRouter, 'onArea'>;
  /** Shared with the timeline: both change what plays and must not interleave. */
  queue: SerialQueue;
}

/** The alerts of the device's areas: keeps what each area channel holds and tells the others through `alert.changed`. */
export class AlertsFeature implements Feature {
  readonly name = 'alerts';
  private book: AlertBook | null = null;

  constructor(private readonly opts: AlertsFeatureOptions) {}

  async start(): Promise<void> {
    const book = new AlertBook(this.opts.dataDir);
    await book.load();
    this.book = book;
    this.opts.router.onArea('alert', alertMessageSchema, (alert, areaCode) => this.opts.queue.run('alert handling', () => this.accept(alert, areaCode)));
  }

  async stop(): Promise<void> {
    await this.opts.queue.idle();
  }

  /** The alerts in force, as slots for this kind of device. */
  slots(now: number): Slot[] {
    return this.book?.slots(this.opts.kind, now) ?? [];
  }

  /** Drops alerts of areas this device no longer belongs to (a new timeline names its areas). */
  async retain(areaCodes: readonly string[]): Promise<void> {
    await this.book?.retain(areaCodes);
  }

  private async accept(alert: AlertMessage, areaCode: string): Promise<void> {
    const { guard, logger, kind, bus } = this.opts;
    const book = this.book;
    if (!book) return;
    const topic = areaTopic(areaCode, 'alert');
    if (alert.areaCode !== areaCode) {
      guard.reject(topic, 'wrong-area', `alert for ${alert.areaCode} arrived on ${areaCode}'s channel`, alert.id);
      return;
    }
    const change = await book.apply(alert);
    if (change.kind === 'stale') {
      guard.reject(topic, 'replay', change.reason, alert.id);
      return;
    }
    if (change.kind === 'ignored') {
      logger.debug({ areaCode, reason: change.reason }, 'alert message ignored');
      return;
    }
    logger.warn({ areaCode, alertId: alert.id, msgType: alert.msgType }, 'area alert received');
    if (kind === 'speaker' && !alert.media && !alert.stream && alert.msgType !== 'cancel') {
      logger.error({ alertId: alert.id }, 'alert has no audio: a speaker cannot play it');
    }
    bus.emit('alert.changed', { areaCode, alert });
  }
}
