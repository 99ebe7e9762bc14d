import { createHmac, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../config/app-config.js';
import { deviceEndpoints } from '../device-endpoints/device-endpoints.js';

/** Where a peer fetches the audio of a bulletin we sent it (public route, the signature is the credential). */
export const SOURCE_MEDIA_PATH = '/api/v1/source-system/media';
/** How long a media link stays good: longer than an exchange can wait in the outbox (3 days) plus its validity. */
export const MEDIA_LINK_TTL_MS = 7 * 24 * 60 * 60_000;

function mac(secret: string, sha256: string, peerId: string, exp: number): string {
  return createHmac('sha256', secret).update(`media:${sha256}:${peerId}:${exp}`).digest('hex');
}

/**
 * Signed, expiring links to our media for one peer: `<public URL>/api/v1/source-system/media/<sha256>?peer=<our
 * peer id for it>&exp=<unix s>&sig=<hex HMAC-SHA256 of "media:<sha256>:<peer>:<exp>" with that peer's inbound
 * secret>`. Only this server checks them (it alone holds the secret it minted); rotating the peer's secret or
 * deleting the peer revokes every link given to it. A link names one file, so it gives nothing else away.
 */
@Injectable()
export class MediaLinks {
  constructor(
    private readonly config: AppConfig,
    private readonly http: HttpAdapterHost,
  ) {}

  /** This server's public HTTP address (LOA_PUBLIC_HTTP_URL, else the listener), without a trailing slash. */
  publicUrl(): string {
    const address = this.http.httpAdapter?.getHttpServer().address() as AddressInfo | null | undefined;
    const endpoints = deviceEndpoints(
      {
        publicHttpUrl: this.config.publicHttpUrl,
        publicMqttUrl: null,
        httpHost: this.config.httpHost,
        httpPort: address?.port ?? this.config.httpPort,
        https: this.config.tls !== null,
        mqttHost: this.config.mqttHost,
        mqttPort: null,
        mqttsPort: null,
      },
      null,
    );
    return endpoints.httpUrl.replace(/\/+$/, '');
  }

  link(sha256: string, peerId: string, secret: string, nowMs: number): string {
    const exp = Math.floor((nowMs + MEDIA_LINK_TTL_MS) / 1000);
    const q = new URLSearchParams({ peer: peerId, exp: String(exp), sig: mac(secret, sha256, peerId, exp) });
    return `${this.publicUrl()}${SOURCE_MEDIA_PATH}/${sha256}?${q.toString()}`;
  }
}

/** Checks a media link's signature and expiry. */
export function verifyMediaLink(secret: string, sha256: string, peerId: string, exp: string, sig: string, nowMs: number): boolean {
  if (!/^\d{1,12}$/.test(exp) || !/^[0-9a-f]{64}$/.test(sig)) return false;
  if (Number(exp) * 1000 < nowMs) return false;
  return timingSafeEqual(Buffer.from(mac(secret, sha256, peerId, Number(exp)), 'hex'), Buffer.from(sig, 'hex'));
}
