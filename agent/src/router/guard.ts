import { openSigned, PROTOCOL_VERSION, type SecurityReason, type SecurityReport, type VerifyKey } from '@loa/shared';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from '../clock.js';

export interface GuardOptions {
  /** The server key pinned at provisioning. */
  key: VerifyKey;
  clock: Clock;
  logger: Logger;
  /** Publishes a report on the device's `security` channel (best effort). */
  report: (report: SecurityReport) => void;
  /** Reports sent per minute at most; the rest are counted and summarised, so a flood cannot flood back. */
  maxReportsPerMinute?: number;
}

/**
 * The agent's door for everything the server sends: a message is acted on only if the pinned key signed it.
 * Freshness (versions, expiry, replays) is judged by each feature, which knows what it has seen, and reported here.
 */
export class MessageGuard {
  private windowStart = 0;
  private sentInWindow = 0;
  private suppressed = 0;
  /** Rejections by reason since start, for tests and telemetry. */
  readonly rejected = new Map<SecurityReason, number>();

  constructor(private readonly opts: GuardOptions) {}

  /** The verified message, or null after logging and reporting why it was refused. */
  open<S extends z.ZodType>(schema: S, topic: string, payload: Buffer): z.infer<S> | null {
    const r = openSigned(schema, payload, this.opts.key);
    if (r.ok) return r.value;
    this.reject(topic, r.reason, r.error);
    return null;
  }

  reject(topic: string, reason: SecurityReason, detail: string, claimed?: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
    this.opts.logger.warn({ topic, reason, detail, claimed }, 'rejected a server message');
    const now = this.opts.clock.now();
    if (now - this.windowStart >= 60_000) {
      if (this.suppressed > 0) this.opts.logger.warn({ suppressed: this.suppressed }, 'security reports suppressed in the last minute');
      this.windowStart = now;
      this.sentInWindow = 0;
      this.suppressed = 0;
    }
    if (this.sentInWindow >= (this.opts.maxReportsPerMinute ?? 20)) {
      this.suppressed += 1;
      return;
    }
    this.sentInWindow += 1;
    this.opts.report({
      v: PROTOCOL_VERSION,
      at: now,
      topic: topic.slice(0, 300),
      reason,
      detail: detail.slice(0, 500),
      ...(claimed === undefined ? {} : { claimed: claimed.slice(0, 128) }),
    });
  }
}
