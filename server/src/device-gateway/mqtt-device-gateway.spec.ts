import {
  alertMessageSchema,
  areaTopic,
  commandMessageSchema,
  deviceTopic,
  eventsAckSchema,
  generateSigningKey,
  openSigned,
  signMessage,
  signText,
  isTimelinePatch,
  timelineMessageSchema,
  timelineUpdateSchema,
  verifyKeyFromBase64,
  type AlertMessage,
} from '@loa/shared';
import type { PublishOptions } from '../broker/message-broker.js';
import { InertBroker } from '../../test/support/inert-broker.js';
import { SigningService } from '../signing/signing.service.js';
import { MqttDeviceGateway } from './mqtt-device-gateway.js';

class FakeBroker extends InertBroker {
  readonly published: Array<{ topic: string; payload: Buffer; options: PublishOptions }> = [];
  override async publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    this.published.push({ topic, payload, options });
  }
}

const key = generateSigningKey();
const verifyKey = verifyKeyFromBase64(key.publicKeyB64);

describe(MqttDeviceGateway.name, () => {
  let broker: FakeBroker;
  let sut: MqttDeviceGateway;
  beforeEach(() => {
    broker = new FakeBroker();
    sut = new MqttDeviceGateway(broker, new SigningService(key));
  });
  const only = () => {
    expect(broker.published).toHaveLength(1);
    return broker.published[0]!;
  };

  it('publishes a stored timeline retained at QoS 1, signed over the stored text itself, and the same bytes live on timeline/patch', async () => {
    const stored = JSON.stringify({ v: 1, deviceId: 'spk-1', version: 7, generatedAt: 1000, areaCodes: ['01'], slots: [] });
    await sut.publishTimeline('spk-1', stored);
    expect(broker.published).toHaveLength(2);
    const [p, live] = broker.published as [(typeof broker.published)[number], (typeof broker.published)[number]];
    expect(p.topic).toBe(deviceTopic('spk-1', 'timeline'));
    expect(p.options).toEqual({ qos: 1, retain: true });
    // Ed25519 is deterministic: the same text gives the same bytes, as before the gateway existed.
    expect(p.payload.equals(signText(key, stored))).toBe(true);
    const opened = openSigned(timelineMessageSchema, p.payload, verifyKey);
    expect(opened.ok && opened.value.version).toBe(7);
    // A device holding a timeline follows only the live channel: the whole timeline reaches it there too.
    expect(live.topic).toBe(deviceTopic('spk-1', 'timeline/patch'));
    expect(live.options).toEqual({ qos: 1, retain: false });
    expect(live.payload.equals(p.payload)).toBe(true);
    const update = openSigned(timelineUpdateSchema, live.payload, verifyKey);
    expect(update.ok && !isTimelinePatch(update.value) && update.value.version).toBe(7);
  });

  it('publishes a patch live instead of the whole timeline, after the whole timeline retained', async () => {
    const stored = JSON.stringify({ v: 1, deviceId: 'spk-1', version: 8, generatedAt: 2000, areaCodes: ['01'], slots: [] });
    const patch = JSON.stringify({ v: 1, deviceId: 'spk-1', base: 7, version: 8, generatedAt: 2000, remove: ['o-1'], upsert: [], digest: 'a'.repeat(64) });
    await sut.publishTimelinePatch('spk-1', stored, patch);
    expect(broker.published.map((p) => [p.topic, p.options.retain])).toEqual([
      [deviceTopic('spk-1', 'timeline'), true],
      [deviceTopic('spk-1', 'timeline/patch'), false],
    ]);
    expect(broker.published[0]!.payload.equals(signText(key, stored))).toBe(true);
    expect(broker.published[1]!.payload.equals(signText(key, patch))).toBe(true);
    const opened = openSigned(timelineUpdateSchema, broker.published[1]!.payload, verifyKey);
    expect(opened.ok && isTimelinePatch(opened.value) && [opened.value.base, opened.value.remove]).toEqual([7, ['o-1']]);
  });

  it('signs timelines off the event loop but hands them to the broker in the order they were asked for', async () => {
    // A signer whose first signature comes back last: a stored version re-sent must not overtake the newer one.
    const pending: Array<{ json: string; resolve: (b: Buffer) => void }> = [];
    const signing = new SigningService(key);
    signing.signTextOffThread = (json: string) => new Promise<Buffer>((resolve) => pending.push({ json, resolve }));
    const gateway = new MqttDeviceGateway(broker, signing);
    const older = JSON.stringify({ v: 1, deviceId: 'spk-1', version: 8, generatedAt: 1, areaCodes: [], slots: [] });
    const newer = JSON.stringify({ v: 1, deviceId: 'spk-1', version: 9, generatedAt: 2, areaCodes: [], slots: [] });
    const first = gateway.publishTimeline('spk-1', older);
    const second = gateway.publishTimeline('spk-1', newer);
    expect(pending.map((p) => p.json)).toEqual([older, newer]); // both signatures under way at once
    pending[1]!.resolve(Buffer.from('sig-9'));
    pending[0]!.resolve(Buffer.from('sig-8'));
    await Promise.all([first, second]);
    expect(broker.published.filter((p) => p.options.retain).map((p) => p.payload.toString())).toEqual(['sig-8', 'sig-9']);
  });

  it('signs off the event loop exactly as inline: Ed25519 is deterministic', async () => {
    const text = JSON.stringify({ v: 1, deviceId: 'spk-9', ids: ['x'] });
    expect((await new SigningService(key).signTextOffThread(text)).equals(signText(key, text))).toBe(true);
  });

  it('acks playback reports to their device, not retained, signed with the device id inside', async () => {
    await sut.ackEvents('spk-2', ['e1', 'e2']);
    const p = only();
    expect(p.topic).toBe(deviceTopic('spk-2', 'events/ack'));
    expect(p.options).toEqual({ qos: 1, retain: false });
    expect(p.payload.equals(signMessage(key, { v: 1, deviceId: 'spk-2', ids: ['e1', 'e2'] }))).toBe(true);
    expect(openSigned(eventsAckSchema, p.payload, verifyKey)).toEqual({ ok: true, value: { v: 1, deviceId: 'spk-2', ids: ['e1', 'e2'] } });
  });

  it('sends a command on req, not retained, with the stored command verbatim and its send time', async () => {
    const command = '{"type":"setVolume","volume":40}';
    await sut.sendCommand({ commandId: 'c-1', deviceId: 'spk-3', sentAt: 5001, expiresAt: 9000, command });
    const p = only();
    expect(p.topic).toBe(deviceTopic('spk-3', 'req'));
    expect(p.options).toEqual({ qos: 1, retain: false });
    expect(p.payload.equals(signText(key, `{"v":1,"id":"c-1","deviceId":"spk-3","sentAt":5001,"expiresAt":9000,"command":${command}}`))).toBe(true);
    const opened = openSigned(commandMessageSchema, p.payload, verifyKey);
    expect(opened).toEqual({ ok: true, value: { v: 1, id: 'c-1', deviceId: 'spk-3', sentAt: 5001, expiresAt: 9000, command: { type: 'setVolume', volume: 40 } } });
  });

  it('publishes an alert retained on its area channel, and clears the channel with an empty retained message', async () => {
    const alert: AlertMessage = { v: 1, id: 'a-1', msgType: 'alert', areaCode: '0101', priority: 'emergency', sentAt: 1, effectiveAt: 1, expiresAt: 2, title: 'Flood' };
    await sut.publishAlert(alert);
    const p = only();
    expect(p.topic).toBe(areaTopic('0101', 'alert'));
    expect(p.options).toEqual({ qos: 1, retain: true });
    expect(p.payload.equals(signMessage(key, alert))).toBe(true);
    expect(openSigned(alertMessageSchema, p.payload, verifyKey)).toEqual({ ok: true, value: alert });

    await sut.clearAlert('0101');
    expect(broker.published[1]).toEqual({ topic: areaTopic('0101', 'alert'), payload: Buffer.alloc(0), options: { qos: 1, retain: true } });
  });

  it('lets a broker failure reach the caller (a command then stays queued)', async () => {
    broker.publish = async () => {
      throw new Error('broker down');
    };
    await expect(sut.sendCommand({ commandId: 'c', deviceId: 'd', sentAt: 1, expiresAt: 2, command: '{"type":"selfTest"}' })).rejects.toThrow('broker down');
  });
});
