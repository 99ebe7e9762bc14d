import type { Priority } from '@loa/shared/rest';
import type { AlertEntity } from '../alerts/alert.entity.js';
import type { MediaEntity } from '../media/media.entity.js';
import { CAP_NAMESPACE } from './cap-validate.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** CAP wants an explicit offset (never Z): Loa writes Vietnam time, +07:00. */
export function capDateTime(ms: number): string {
  const t = new Date(Math.floor(ms / 1000) * 1000 + 7 * 3_600_000).toISOString().slice(0, 19);
  return `${t}+07:00`;
}

/** Loa priority → CAP urgency/severity/certainty, chosen so the default priority table maps them back the same. */
const LEVELS: Record<Priority, { urgency: string; severity: string; certainty: string }> = {
  emergency: { urgency: 'Immediate', severity: 'Extreme', certainty: 'Observed' },
  priority: { urgency: 'Expected', severity: 'Moderate', certainty: 'Likely' },
  normal: { urgency: 'Unknown', severity: 'Minor', certainty: 'Possible' },
};

export interface CapOutContext {
  /** e.g. https://loa.example.vn: the base of the links. */
  baseUrl: string;
  /** CAP sender: unique to this server (loa@<host>). */
  sender: string;
}

export const capIdentifier = (alertId: string): string => `loa-${alertId}`;
const triple = (ctx: CapOutContext, a: AlertEntity): string => `${ctx.sender},${capIdentifier(a.id)},${capDateTime(a.sentAt)}`;

/**
 * One Loa alert as a CAP 1.2 message. A cancelled alert is a Cancel referencing the alert's own message; an alert
 * that replaced another on its area is an Update referencing it; otherwise an Alert.
 */
export function capMessageOf(a: AlertEntity, ctx: CapOutContext, extra: { areaName: string; media: MediaEntity | null; replaced: AlertEntity | null }): string {
  const cancelled = a.status === 'cancelled';
  const msgType = cancelled ? 'Cancel' : a.replaces ? 'Update' : 'Alert';
  const identifier = cancelled ? `${capIdentifier(a.id)}-cancel` : capIdentifier(a.id);
  const sent = cancelled ? (a.cancelledAt ?? a.sentAt) : a.sentAt;
  const refs = cancelled ? triple(ctx, a) : extra.replaced ? triple(ctx, extra.replaced) : null;
  const lv = LEVELS[a.priority];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<alert xmlns="${CAP_NAMESPACE}">`,
    `  <identifier>${esc(identifier)}</identifier>`,
    `  <sender>${esc(ctx.sender)}</sender>`,
    `  <sent>${capDateTime(sent)}</sent>`,
    '  <status>Actual</status>',
    `  <msgType>${msgType}</msgType>`,
    '  <source>Loa</source>',
    '  <scope>Public</scope>',
    ...(refs ? [`  <references>${esc(refs)}</references>`] : []),
    '  <info>',
    '    <language>vi-VN</language>',
    '    <category>Safety</category>',
    `    <event>${esc(a.title)}</event>`,
    `    <urgency>${lv.urgency}</urgency>`,
    `    <severity>${lv.severity}</severity>`,
    `    <certainty>${lv.certainty}</certainty>`,
    `    <effective>${capDateTime(a.effectiveAt)}</effective>`,
    `    <expires>${capDateTime(a.expiresAt)}</expires>`,
    `    <headline>${esc(a.title)}</headline>`,
    ...(a.text ? [`    <description>${esc(a.text)}</description>`] : []),
    ...(extra.media
      ? [
          '    <resource>',
          '      <resourceDesc>audio</resourceDesc>',
          `      <mimeType>${esc(extra.media.mime)}</mimeType>`,
          `      <size>${extra.media.bytes}</size>`,
          `      <uri>${esc(`${ctx.baseUrl}/api/v1/cap/alerts/${a.id}/audio`)}</uri>`,
          '    </resource>',
        ]
      : []),
    '    <area>',
    `      <areaDesc>${esc(extra.areaName)}</areaDesc>`,
    '      <geocode>',
    '        <valueName>MaDVHC</valueName>',
    `        <value>${esc(a.areaCode)}</value>`,
    '      </geocode>',
    '    </area>',
    '  </info>',
    '</alert>',
    '',
  ];
  return lines.join('\n');
}

/** Atom feed of Loa alerts, newest first, each entry linking to its CAP message. */
export function atomFeedOf(alerts: AlertEntity[], ctx: CapOutContext, now: number): string {
  const updated = new Date(alerts.reduce((m, a) => Math.max(m, a.cancelledAt ?? a.sentAt), 0) || now).toISOString();
  const entries = alerts.map((a) => {
    const at = new Date(a.cancelledAt ?? a.sentAt).toISOString();
    const href = `${ctx.baseUrl}/api/v1/cap/alerts/${a.id}.xml`;
    const label = a.status === 'cancelled' ? `[Hủy] ${a.title}` : a.title;
    return [
      '  <entry>',
      `    <id>urn:loa:alert:${esc(a.id)}${a.status === 'cancelled' ? ':cancel' : ''}</id>`,
      `    <title>${esc(label)}</title>`,
      `    <updated>${at}</updated>`,
      `    <link rel="alternate" type="application/cap+xml" href="${esc(href)}"/>`,
      `    <summary>${esc(`${a.areaCode} · ${a.priority} · ${a.status}${a.text ? ` · ${a.text.slice(0, 300)}` : ''}`)}</summary>`,
      '  </entry>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>urn:loa:cap:${esc(ctx.sender)}</id>`,
    '  <title>Loa — cảnh báo (CAP 1.2)</title>',
    `  <updated>${updated}</updated>`,
    `  <author><name>${esc(ctx.sender)}</name></author>`,
    `  <link rel="self" type="application/atom+xml" href="${esc(`${ctx.baseUrl}/api/v1/cap/alerts.atom`)}"/>`,
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
