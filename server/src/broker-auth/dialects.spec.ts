import { DEVICE_CHANNELS, deviceTopic, mayDevicePublish, mayDeviceSubscribe, type DeviceChannel } from '@loa/shared';
import { deviceAcl, emqxActions, emqxAuthnAnswer, emqxAuthzSchema } from './emqx.dialect.js';
import { goAuthAclSchema, goAuthActions, goAuthAnswer } from './go-auth.dialect.js';
import { vernemqLoginAnswer, vernemqRegisterSchema, vernemqSubscribeAnswer } from './vernemq.dialect.js';

describe('EMQX answers', () => {
  it('the ACL of an authentication answer grants exactly what the shared ACL grants the device on its own topics', () => {
    const acl = deviceAcl('spk-1');
    const channels = Object.keys(DEVICE_CHANNELS) as DeviceChannel[];
    expect(acl.map((r) => r.topic).sort()).toEqual(channels.map((c) => deviceTopic('spk-1', c)).sort());
    for (const rule of acl) {
      expect(rule.permission).toBe('allow');
      const may = rule.action === 'publish' ? mayDevicePublish('spk-1', rule.topic) : mayDeviceSubscribe('spk-1', rule.topic);
      expect({ topic: rule.topic, action: rule.action, may }).toEqual({ topic: rule.topic, action: rule.action, may: true });
    }
    // Nothing of another device, no wildcard, no alert channel: those go to the HTTP authoriser.
    expect(acl.every((r) => r.topic.startsWith('loa/v1/d/spk-1/') && !/[+#]/.test(r.topic))).toBe(true);
  });

  it('carries the ACL only when sessions can be ended, never for the server account or a refusal', () => {
    const device = { result: 'allow', superuser: false, deviceId: 'spk-1' } as const;
    expect(emqxAuthnAnswer(device, true)).toEqual({ result: 'allow', is_superuser: false, acl: deviceAcl('spk-1') });
    expect(emqxAuthnAnswer(device, false)).toEqual({ result: 'allow', is_superuser: false });
    expect(emqxAuthnAnswer({ result: 'allow', superuser: true }, true)).toEqual({ result: 'allow', is_superuser: true });
    expect(emqxAuthnAnswer({ result: 'deny', reason: 'revoked' }, true)).toEqual({ result: 'deny', is_superuser: false });
    expect(emqxAuthnAnswer({ result: 'ignore' }, true)).toEqual({ result: 'ignore', is_superuser: false });
  });

  it('reads the authoriser request as EMQX renders it (every placeholder a string) or with typed values', () => {
    const rendered = emqxAuthzSchema.parse({ clientid: 'a', username: 'a', topic: 't', action: 'publish', qos: '1', retain: 'false' });
    expect(rendered).toMatchObject({ qos: '1', retain: 'false' });
    expect(emqxAuthzSchema.safeParse({ clientid: 'a', topic: 't', action: 'publish', qos: 1, retain: true }).success).toBe(true);
    expect(emqxAuthzSchema.safeParse({ clientid: 'a', topic: 't', action: 'delete' }).success).toBe(false);
    expect(emqxActions('all')).toEqual(['publish', 'subscribe']);
  });
});

describe('mosquitto-go-auth answers', () => {
  it('maps acc to actions, from JSON numbers and form strings', () => {
    expect(goAuthAclSchema.parse({ clientid: 'a', username: 'a', topic: 't', acc: '4' }).acc).toBe(4);
    expect(goAuthAclSchema.parse({ clientid: 'a', username: 'a', topic: 't', acc: 3 }).acc).toBe(3);
    expect(goAuthAclSchema.safeParse({ clientid: 'a', topic: 't', acc: 8 }).success).toBe(false);
    expect([1, 2, 3, 4].map(goAuthActions)).toEqual([['read'], ['publish'], ['read', 'publish'], ['subscribe']]);
  });

  it('grants with a 2xx and ok (status and JSON response modes), refuses with a 403', () => {
    expect(goAuthAnswer(true)).toEqual({ status: 200, body: { ok: true, error: '' } });
    expect(goAuthAnswer(false, 'revoked')).toEqual({ status: 403, body: { ok: false, error: 'revoked' } });
  });
});

describe('VerneMQ answers', () => {
  it('reads a null username or password as empty, and answers next when the credentials could not be checked', () => {
    expect(vernemqRegisterSchema.parse({ client_id: 'c', username: null, password: null })).toMatchObject({ username: '', password: '' });
    expect(vernemqLoginAnswer({ result: 'ignore' })).toEqual({ result: 'next' });
    expect(vernemqLoginAnswer({ result: 'deny', reason: 'invalid' })).toEqual({ result: { error: 'not_allowed' } });
  });

  it('refuses subscriptions per topic: 128 for MQTT 3.1.1, 135 under modifiers for MQTT 5', () => {
    const topics = [
      { topic: 'a', qos: 1 },
      { topic: 'b', qos: 1 },
    ];
    expect(vernemqSubscribeAnswer(topics, [true, true], false)).toEqual({ result: 'ok' });
    expect(vernemqSubscribeAnswer(topics, [true, false], false)).toEqual({ result: 'ok', topics: [{ topic: 'a', qos: 1 }, { topic: 'b', qos: 128 }] });
    expect(vernemqSubscribeAnswer(topics, [false, true], true)).toEqual({ result: 'ok', modifiers: { topics: [{ topic: 'a', qos: 135 }, { topic: 'b', qos: 1 }] } });
  });
});
