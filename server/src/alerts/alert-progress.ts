import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { ALERT_PROGRESS_EVENT } from '@loa/shared/rest';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { Clock } from '../common/clock.js';
import { EventBus } from '../events/event-bus.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { AlertProofService } from './alert-proof.service.js';
import { AlertsRepository } from './alerts.repository.js';

/** At most one `alert.progress` per alert this often: 10,000 devices reporting at once make one event a second. */
export const ALERT_PROGRESS_EVERY_MS = 1000;

/**
 * Issue 18: the live "played on N of M" — on each change of an alert's records, its summary goes to the dashboards
 * (`alert.progress`, to the users above, in or under the alert's area), throttled per alert: the first change goes out at once, those
 * within the next second are folded into one trailing event with the counts of then. Nothing is computed while no
 * dashboard listens.
 */
@Injectable()
export class AlertProgress implements OnModuleDestroy {
  private readonly lastSent = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly bus: EventBus,
    private readonly proof: AlertProofService,
    private readonly alerts: AlertsRepository,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  @OnEvent('alert.deliveriesChanged')
  onChanged({ alertIds }: DomainEventMap['alert.deliveriesChanged']): void {
    if (!this.bus.listening) return;
    for (const id of alertIds) this.schedule(id);
  }

  onModuleDestroy(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(alertId: string): void {
    if (this.timers.has(alertId)) return;
    const now = this.clock.now();
    for (const [id, at] of this.lastSent) if (now - at > ALERT_PROGRESS_EVERY_MS) this.lastSent.delete(id);
    const wait = Math.max(0, (this.lastSent.get(alertId) ?? 0) + ALERT_PROGRESS_EVERY_MS - now);
    const timer = setTimeout(() => {
      this.timers.delete(alertId);
      this.lastSent.set(alertId, this.clock.now());
      void this.send(alertId);
    }, wait);
    timer.unref();
    this.timers.set(alertId, timer);
  }

  private async send(alertId: string): Promise<void> {
    try {
      const alert = await this.alerts.find(alertId);
      if (!alert) return;
      const summary = await this.proof.summary(alert);
      // `covering`: an officer of a commune inside the alert's area sees its banner, so they get its counts too.
      this.bus.publish({ type: ALERT_PROGRESS_EVENT, areaCode: alert.areaCode, ...summary, covering: true });
    } catch (err) {
      this.logger.warn({ ctx: 'alerts', alertId, err: (err as Error).message }, 'could not send an alert.progress event');
    }
  }
}
