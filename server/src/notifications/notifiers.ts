import { Injectable } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config.js';

export type NotifyChannel = 'email' | 'sms';

/** One message to one address. `id`: ours (the outbox row), so a gateway can deduplicate a retried send. */
export interface OutboundMessage {
  to: string;
  subject: string;
  text: string;
  id: string;
}

/**
 * A way to reach a person outside the app (the port; adapters below). `send` rejects with a reason when the message
 * was not taken; the outbox then tries again later.
 */
export abstract class Notifier {
  abstract readonly channel: NotifyChannel;
  /** Whether the installation configured this adapter. */
  abstract enabled(): boolean;
  abstract send(message: OutboundMessage): Promise<void>;
}

/** How long one send may take before it counts as failed (and is retried). */
export const SEND_TIMEOUT_MS = 10_000;

/** E-mail through an SMTP server (LOA_SMTP_URL, LOA_MAIL_FROM), with nodemailer. */
@Injectable()
export class SmtpNotifier extends Notifier {
  readonly channel = 'email' as const;
  private transport: Transporter | null = null;

  constructor(private readonly config: AppConfig) {
    super();
  }

  enabled(): boolean {
    return this.config.notify.smtpUrl !== null;
  }

  async send(m: OutboundMessage): Promise<void> {
    const url = this.config.notify.smtpUrl;
    if (url === null) throw new Error('e-mail is not configured (LOA_SMTP_URL)');
    // A URL carries no timeouts: a silent server must fail the send (and be retried), not hold it for minutes.
    this.transport ??= nodemailer.createTransport({ url, connectionTimeout: SEND_TIMEOUT_MS, greetingTimeout: SEND_TIMEOUT_MS, socketTimeout: SEND_TIMEOUT_MS });
    await this.transport.sendMail({ from: this.config.notify.mailFrom, to: m.to, subject: m.subject, text: m.text, headers: { 'X-Loa-Message-Id': m.id } });
  }

  close(): void {
    this.transport?.close();
    this.transport = null;
  }
}

/**
 * Texts through a generic HTTP webhook (LOA_NOTIFY_SMS_URL): POST {"to","text","id"} as JSON, with
 * `Authorization: Bearer LOA_NOTIFY_SMS_TOKEN` when set; any 2xx answer is taken as sent. Most Vietnamese SMS
 * brandname gateways sit behind such a relay (the feedback feature's configurable gateway is for residents).
 */
@Injectable()
export class HttpSmsNotifier extends Notifier {
  readonly channel = 'sms' as const;

  constructor(private readonly config: AppConfig) {
    super();
  }

  enabled(): boolean {
    return this.config.notify.smsUrl !== null;
  }

  async send(m: OutboundMessage): Promise<void> {
    const { smsUrl, smsToken } = this.config.notify;
    if (smsUrl === null) throw new Error('SMS is not configured (LOA_NOTIFY_SMS_URL)');
    let res: Response;
    try {
      res = await fetch(smsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(smsToken ? { authorization: `Bearer ${smsToken}` } : {}) },
        body: JSON.stringify({ to: m.to, text: m.text, id: m.id }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (err) {
      throw new Error(`SMS gateway unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    const answer = (await res.text().catch(() => '')).slice(0, 200);
    if (!res.ok) throw new Error(`SMS gateway answered ${res.status}${answer ? `: ${answer}` : ''}`);
  }
}

/** Every adapter, for the outbox to pick by channel. */
export const NOTIFIERS = Symbol('NOTIFIERS');
