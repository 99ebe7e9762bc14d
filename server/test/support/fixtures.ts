import type { DataSource } from 'typeorm';
import { generateSigningKey, openSigned, signedEnvelopeSchema, verifyKeyFromBase64, type DeviceKind } from '@loa/shared';
import { z } from 'zod';
import { SigningService } from '../../src/signing/signing.service.js';
import { AppConfig } from '../../src/config/app-config.js';
import { Clock } from '../../src/common/clock.js';
import { Metrics } from '../../src/common/metrics.js';
import { AreaEntity, areaPath } from '../../src/areas/area.entity.js';
import { ContentEntity } from '../../src/contents/content.entity.js';
import { DeviceEntity } from '../../src/devices/device.entity.js';
import { MediaEntity } from '../../src/media/media.entity.js';
import { hashDeviceSecret } from '../../src/device-auth/device-credentials.service.js';
import { createLogger } from '../../src/logging/logger.js';
import type { MessageBroker, PublishOptions } from '../../src/broker/message-broker.js';
import { InertBroker } from './inert-broker.js';
import { MqttDeviceGateway } from '../../src/device-gateway/mqtt-device-gateway.js';

export const silentLogger = createLogger('silent');

export const testConfig = (env: Record<string, string> = {}): AppConfig =>
  AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-unused', LOA_LOG_LEVEL: 'silent', LOA_APPROVAL_RULES_DEFAULT: 'permissive', ...env });

/** A clock the test moves by hand. */
export class FixedClock extends Clock {
  constructor(public t: number) {
    super();
  }
  override now(): number {
    return this.t;
  }
}

/** One signing key for every service a test builds; RecordingBroker verifies against it. */
export const testSigning = new SigningService(generateSigningKey());
const testVerifyKey = verifyKeyFromBase64(testSigning.publicKey);

export interface Published {
  topic: string;
  /** The signed JSON inside the envelope once its signature verified against testSigning; else the raw payload. */
  payload: string;
  /** True when the payload was a signed envelope whose signature verified. */
  signed: boolean;
  raw: string;
  options: PublishOptions;
}

/** Verifies a server → device payload the way an agent does and returns the signed JSON text. */
export function openServerMessage(payload: Buffer | string): { signed: boolean; text: string } {
  const raw = payload.toString();
  const env = signedEnvelopeSchema.safeParse((() => { try { return JSON.parse(raw) as unknown; } catch { return null; } })());
  if (!env.success) return { signed: false, text: raw };
  const r = openSigned(z.unknown(), payload, testVerifyKey);
  return r.ok ? { signed: true, text: env.data.payload } : { signed: false, text: raw };
}

/** Records publishes; lets a test run a check at the moment of publishing (e.g. "was it committed first?"). */
export class RecordingBroker extends InertBroker {
  readonly published: Published[] = [];
  onPublish: ((p: Published) => Promise<void> | void) | null = null;
  override async publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    const opened = openServerMessage(payload);
    const p = { topic, payload: opened.text, signed: opened.signed, raw: payload.toString('utf8'), options };
    if (this.onPublish) await this.onPublish(p);
    this.published.push(p);
  }
}

/** The real device gateway over a RecordingBroker, signing with testSigning: tests see the exact bytes on the wire. */
export const testGateway = (broker: MessageBroker): MqttDeviceGateway => new MqttDeviceGateway(broker, testSigning);

export const newMetrics = (): Metrics => new Metrics();

export async function seedArea(db: DataSource, code: string, parent: AreaEntity | null = null, level = 'commune'): Promise<AreaEntity> {
  const area: AreaEntity = { code, name: `Area ${code}`, level, parentCode: parent?.code ?? null, path: areaPath(parent?.path ?? null, code), createdAt: 0 };
  await db.getRepository(AreaEntity).insert(area);
  return area;
}

export async function seedDevice(db: DataSource, id: string, areaCode: string, kind: DeviceKind = 'speaker', secret = 'secret'): Promise<DeviceEntity> {
  const d: DeviceEntity = {
    id,
    name: id,
    kind,
    areaCode,
    secretHash: hashDeviceSecret(secret),
    online: false,
    lastSeenAt: null,
    agentVersion: null,
    timelineVersion: 0,
    ackedTimelineVersion: 0,
    createdAt: 0,
  };
  await db.getRepository(DeviceEntity).insert(d);
  return d;
}

export async function seedAudioContent(db: DataSource, id = 'content-audio', durationMs = 3000): Promise<ContentEntity> {
  const sha = 'a'.repeat(63) + String(id.length % 10);
  await db.getRepository(MediaEntity).insert({ sha256: sha, bytes: 48_000, mime: 'audio/mpeg', codec: 'mp3', durationMs, originalName: 'x.mp3', createdBy: 'u', createdAt: 0 });
  const c: ContentEntity = { id, type: 'audio', title: 'Bản tin sáng', mediaSha256: sha, text: null, durationMs, createdBy: 'u', createdAt: 0, state: 'approved' };
  await db.getRepository(ContentEntity).insert(c);
  return c;
}

export async function seedTextContent(db: DataSource, id = 'content-text', durationMs = 10_000): Promise<ContentEntity> {
  const c: ContentEntity = { id, type: 'text', title: 'Thông báo', mediaSha256: null, text: 'Ủy ban nhân dân xã thông báo', durationMs, createdBy: 'u', createdAt: 0, state: 'approved' };
  await db.getRepository(ContentEntity).insert(c);
  return c;
}
