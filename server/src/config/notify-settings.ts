import { z } from 'zod';

/**
 * Issue 19: the LOA_SMTP_* / LOA_MAIL_FROM / LOA_NOTIFY_* settings (config.schema.ts) and the notification config built
 * from them. Config owns the shape so the ground floor imports no feature; notifications/ reads it from here. An
 * adapter whose URL is unset is off: in-app notifications always work.
 */
export const notifySettingsShape = {
  /** SMTP server for e-mail notifications: smtp://user:pass@host:587 or smtps://…:465. Unset: no e-mail. */
  LOA_SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  /** The From of notification e-mails, e.g. "Loa <loa@ubnd.example.vn>". */
  LOA_MAIL_FROM: z.string().min(3).max(200).default('Loa <loa@localhost>'),
  /**
   * SMS gateway (a generic HTTP webhook): POST JSON {"to","text","id"} to this URL; any 2xx is taken as sent. Unset: no
   * SMS.
   */
  LOA_NOTIFY_SMS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** Sent as `Authorization: Bearer <token>` to the SMS gateway when set. */
  LOA_NOTIFY_SMS_TOKEN: z.string().min(1).max(500).optional(),
  /** A failed send is tried again after 30 s, 1 min, 2 min… (doubling, at most 1 h), this many times in all. */
  LOA_NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** The dashboard's address in messages ("open <url>#/approvals"); default LOA_PUBLIC_HTTP_URL. */
  LOA_NOTIFY_LINK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
};

export interface NotifyConfig {
  smtpUrl: string | null;
  mailFrom: string;
  smsUrl: string | null;
  smsToken: string | null;
  maxAttempts: number;
  /** Base URL of the dashboard, without a trailing slash; null when neither setting gives one. */
  linkUrl: string | null;
}

interface NotifyRaw {
  LOA_SMTP_URL?: string | undefined;
  LOA_MAIL_FROM: string;
  LOA_NOTIFY_SMS_URL?: string | undefined;
  LOA_NOTIFY_SMS_TOKEN?: string | undefined;
  LOA_NOTIFY_MAX_ATTEMPTS: number;
  LOA_NOTIFY_LINK_URL?: string | undefined;
  LOA_PUBLIC_HTTP_URL?: string | undefined;
}

export function buildNotifyConfig(raw: NotifyRaw): NotifyConfig {
  const link = raw.LOA_NOTIFY_LINK_URL ?? raw.LOA_PUBLIC_HTTP_URL ?? null;
  return {
    smtpUrl: raw.LOA_SMTP_URL ?? null,
    mailFrom: raw.LOA_MAIL_FROM,
    smsUrl: raw.LOA_NOTIFY_SMS_URL ?? null,
    smsToken: raw.LOA_NOTIFY_SMS_TOKEN ?? null,
    maxAttempts: raw.LOA_NOTIFY_MAX_ATTEMPTS,
    linkUrl: link === null ? null : link.replace(/\/+$/, ''),
  };
}
