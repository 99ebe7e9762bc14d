import { Injectable } from '@nestjs/common';
import { FeedbackSettingsService } from './feedback-settings.service.js';

/** One text to a resident. `id`: ours (the item's code and step), so the gateway can deduplicate a retried send. */
export interface SmsMessage {
  to: string;
  text: string;
  id: string;
}

/** Sending a text message through the SMS gateway (a port: tests and other gateways replace the HTTP adapter). */
export abstract class SmsSender {
  /** True when outbound SMS is configured and enabled. */
  abstract enabled(): Promise<boolean>;
  /** Sends one message; rejects with a reason when the gateway did not take it. */
  abstract send(message: SmsMessage): Promise<void>;
}

/** A string's JSON escape without the quotes: the template supplies them ("to": "{{to}}"). */
const jsonEscaped = (v: string): string => JSON.stringify(v).slice(1, -1);

/** The body template with {{to}}, {{text}} and {{id}} filled in, JSON-escaped (a quote in the text cannot break out). */
export function renderSmsBody(template: string, m: SmsMessage): string {
  return template.replace(/\{\{\s*(to|text|id)\s*\}\}/g, (_all, name: 'to' | 'text' | 'id') => jsonEscaped(m[name]));
}

/** A URL template with {{to}}, {{text}} and {{id}} filled in, URL-encoded (gateways taking GET query parameters). */
export function renderSmsUrl(template: string, m: SmsMessage): string {
  return template.replace(/\{\{\s*(to|text|id)\s*\}\}/g, (_all, name: 'to' | 'text' | 'id') => encodeURIComponent(m[name]));
}

/** Header values with {{secret}} replaced by the stored outbound secret (never in the settings document itself). */
export function renderSmsHeaders(headers: Record<string, string>, secret: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = v.replace(/\{\{\s*secret\s*\}\}/g, secret ?? '');
  return out;
}

/** How long a gateway may take to answer one send. */
export const SMS_SEND_TIMEOUT_MS = 10_000;

/**
 * The configurable HTTP gateway (the settings' `sms.outbound`): POST the rendered JSON body (or GET the rendered
 * URL), headers with the secret; any 2xx answer is taken as accepted.
 */
@Injectable()
export class HttpSmsSender extends SmsSender {
  constructor(private readonly settings: FeedbackSettingsService) {
    super();
  }

  async enabled(): Promise<boolean> {
    const { settings } = await this.settings.sms();
    return settings?.outbound.enabled === true;
  }

  async send(m: SmsMessage): Promise<void> {
    const { settings, outboundSecret } = await this.settings.sms();
    const out = settings?.outbound;
    if (!out?.enabled) throw new Error('outbound SMS is not enabled');
    const headers = renderSmsHeaders(out.headers, outboundSecret);
    const post = out.method === 'POST';
    if (post && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(renderSmsUrl(out.url, m), {
        method: out.method,
        headers,
        ...(post ? { body: renderSmsBody(out.bodyTemplate, m) } : {}),
        signal: AbortSignal.timeout(SMS_SEND_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (err) {
      throw new Error(`SMS gateway unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
    const answer = (await res.text().catch(() => '')).slice(0, 200);
    if (!res.ok) throw new Error(`SMS gateway answered ${res.status}${answer ? `: ${answer}` : ''}`);
  }
}
