import { Writable } from 'node:stream';
import {
  alertMessageSchema,
  deviceTopic,
  encodeMessage,
  eventsAckSchema,
  generateSigningKey,
  signMessage,
  timelineMessageSchema,
  verifyKeyFromBase64,
  type AlertMessage,
  type EventsAck,
  type SecurityReport,
} from '@loa/shared';
import { pino } from 'pino';
import { ManualClock } from '../src/clock.js';
import { MessageGuard } from '../src/router/guard.js';
import { MessageRouter } from '../src/router/message-router.js';

const DEVICE = 'spk-router-01';

/** The router is the agent's only door for downstream messages: it must refuse, report or ignore, never throw. */
describe(MessageRouter.name, () => {
  const key = generateSigningKey();
  let reports: SecurityReport[];
  let logLines: { msg: string; level: number }[];
  let router: MessageRouter;

  beforeEach(() => {
    reports = [];
    logLines = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as { msg: string; level: number });
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const guard = new MessageGuard({ key: verifyKeyFromBase64(key.publicKeyB64), clock: new ManualClock(1_700_000_000_000), logger, report: (r) => reports.push(r) });
    router = new MessageRouter({ deviceId: DEVICE, guard, logger });
  });

  const ack: EventsAck = { v: 1, deviceId: DEVICE, ids: ['e-1'] };

  it('hands a signed, schema-valid message to the handler of its channel', () => {
    const got: EventsAck[] = [];
    router.onDevice('events/ack', eventsAckSchema, (m) => got.push(m));
    router.routeDevice('events/ack', signMessage(key, ack));
    expect(got).toEqual([ack]);
    expect(reports).toEqual([]);
  });

  it('ignores, with a warning and no report, a message on a channel nobody handles', () => {
    router.onDevice('events/ack', eventsAckSchema, () => {
      throw new Error('must not be called');
    });
    expect(() => router.routeDevice('req', signMessage(key, ack))).not.toThrow();
    expect(reports).toEqual([]);
    expect(logLines.map((l) => l.msg)).toContain('ignoring message on an unhandled channel');
  });

  it.each([
    ['garbage', Buffer.from('\u0000not json at all'), 'invalid'],
    ['an unsigned message', encodeMessage(ack), 'unsigned'],
    ['a message signed by another key', signMessage(generateSigningKey(), ack), 'unknown-key'],
    ['a signed message the schema refuses', signMessage(key, { v: 1, deviceId: DEVICE, ids: 'not-a-list' }), 'invalid'],
  ])('refuses and reports %s without calling the handler or throwing', (_what, payload, reason) => {
    const got: unknown[] = [];
    router.onDevice('events/ack', eventsAckSchema, (m) => got.push(m));
    expect(() => router.routeDevice('events/ack', payload)).not.toThrow();
    expect(got).toEqual([]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ reason, topic: deviceTopic(DEVICE, 'events/ack') });
  });

  it('contains a handler that throws: logged, never thrown back into the MQTT client', () => {
    router.onDevice('timeline', timelineMessageSchema, () => {
      throw new Error('boom');
    });
    const timeline = { v: 1, deviceId: DEVICE, version: 3, generatedAt: 1_700_000_000_000, slots: [] };
    expect(() => router.routeDevice('timeline', signMessage(key, timeline))).not.toThrow();
    expect(logLines.find((l) => l.msg === 'message handler failed; message ignored')).toBeDefined();
  });

  it('passes area alerts with their area code and drops the empty retained payload of an expired alert unreported', () => {
    const got: [AlertMessage, string][] = [];
    router.onArea('alert', alertMessageSchema, (m, areaCode) => got.push([m, areaCode]));
    const alert: AlertMessage = {
      v: 1,
      id: 'al-1',
      msgType: 'alert',
      areaCode: '42',
      priority: 'emergency',
      sentAt: 1_700_000_000_000,
      effectiveAt: 1_700_000_000_000,
      expiresAt: 1_700_000_600_000,
      title: 'Flood',
    };
    router.routeArea('42', 'alert', Buffer.alloc(0));
    expect(got).toEqual([]);
    expect(reports).toEqual([]);
    router.routeArea('42', 'alert', signMessage(key, alert));
    expect(got).toEqual([[alert, '42']]);
    router.routeArea('42', 'alert', encodeMessage(alert));
    expect(got).toHaveLength(1);
    expect(reports.map((r) => r.reason)).toEqual(['unsigned']);
  });
});
