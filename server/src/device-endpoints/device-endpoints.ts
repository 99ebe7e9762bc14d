import type { DeviceEndpoints } from '@loa/shared';

/** What the server really listens on, and the public addresses configured for devices, if any. */
export interface EndpointSources {
  publicHttpUrl: string | null;
  publicMqttUrl: string | null;
  httpHost: string;
  httpPort: number;
  https: boolean;
  mqttHost: string;
  /** Plain MQTT port bound; null when only MQTT over TLS listens. */
  mqttPort: number | null;
  /** MQTT-over-TLS port bound; null without TLS. */
  mqttsPort: number | null;
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

/** A host as it goes in a URL: IPv6 literals in brackets. */
const urlHost = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/**
 * The address devices should use. A listener bound to one address is reached there; one bound to every address is
 * reached the way the operator reached the dashboard (the request's host name), which is the best guess the server
 * has without LOA_PUBLIC_*.
 */
const hostFor = (listenHost: string, requestHost: string | null): string =>
  WILDCARD.has(listenHost) ? (requestHost ?? 'localhost') : urlHost(listenHost);

/**
 * The host name of a Host header, or null when it is not one (the header is client input and ends up on an
 * installer's command line, so anything but a plain host name or IP literal is dropped).
 */
export function hostOfHeader(header: string | undefined): string | null {
  if (!header) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://${header}`).hostname;
  } catch {
    return null;
  }
  return /^([a-z0-9.-]+|\[[0-9a-f:.]+\])$/i.test(hostname) ? hostname : null;
}

/** Device-facing URLs: the settings when present, else the real listeners (MQTT over TLS preferred when on). */
export function deviceEndpoints(src: EndpointSources, requestHost: string | null): DeviceEndpoints {
  const httpUrl = src.publicHttpUrl ?? `${src.https ? 'https' : 'http'}://${hostFor(src.httpHost, requestHost)}:${src.httpPort}`;
  const mqttHost = hostFor(src.mqttHost, requestHost);
  const mqttUrl =
    src.publicMqttUrl ??
    (src.mqttsPort !== null ? `mqtts://${mqttHost}:${src.mqttsPort}` : `mqtt://${mqttHost}:${src.mqttPort ?? 1883}`);
  return {
    httpUrl,
    mqttUrl,
    httpUrlSource: src.publicHttpUrl === null ? 'listener' : 'setting',
    mqttUrlSource: src.publicMqttUrl === null ? 'listener' : 'setting',
  };
}
