import {
  allDevicesTopic,
  DEVICE_CHANNELS,
  DOWNSTREAM_DEVICE_CHANNELS,
  areaTopic,
  deviceTopic,
  mayDevicePublish,
  mayDeviceSubscribe,
  parseAreaTopic,
  parseDeviceTopic,
  TOPIC_ROOT,
} from './index.js';

describe('topics', () => {
  it('builds and parses a device topic', () => {
    const t = deviceTopic('spk-01', 'events');
    expect(t).toBe(`${TOPIC_ROOT}/d/spk-01/events`);
    expect(parseDeviceTopic(t)).toEqual({ deviceId: 'spk-01', channel: 'events' });
    expect(parseDeviceTopic(deviceTopic('spk-01', 'timeline/ack'))).toEqual({ deviceId: 'spk-01', channel: 'timeline/ack' });
  });

  it.each([
    'loa/v1/d/spk-01/unknown',
    'loa/v1/d/+/events',
    'loa/v1/d/#',
    'loa/v2/d/spk-01/events',
    'loa/v1/d//events',
    'loa/v1/d/SPK/events',
    'loa/v1/d/spk-01/events/extra',
  ])('rejects %s', (topic) => {
    expect(parseDeviceTopic(topic)).toBeNull();
  });

  it('lets a device publish only its own upstream channels', () => {
    expect(mayDevicePublish('a1', deviceTopic('a1', 'events'))).toBe(true);
    expect(mayDevicePublish('a1', deviceTopic('a1', 'status'))).toBe(true);
    expect(mayDevicePublish('a1', deviceTopic('b1', 'events'))).toBe(false);
    expect(mayDevicePublish('a1', deviceTopic('a1', 'timeline'))).toBe(false);
    expect(mayDevicePublish('a1', deviceTopic('a1', 'events/ack'))).toBe(false);
  });

  it('lets a device subscribe only to its own downstream channels, without wildcards', () => {
    expect(mayDeviceSubscribe('a1', deviceTopic('a1', 'timeline'))).toBe(true);
    expect(mayDeviceSubscribe('a1', deviceTopic('a1', 'events/ack'))).toBe(true);
    expect(mayDeviceSubscribe('a1', deviceTopic('b1', 'timeline'))).toBe(false);
    expect(mayDeviceSubscribe('a1', deviceTopic('a1', 'events'))).toBe(false);
    expect(mayDeviceSubscribe('a1', allDevicesTopic('timeline'))).toBe(false);
    expect(mayDeviceSubscribe('a1', 'loa/v1/d/a1/#')).toBe(false);
  });

  it('parses area alert topics', () => {
    expect(parseAreaTopic('loa/v1/a/01/alert')).toEqual({ areaCode: '01', channel: 'alert' });
    expect(parseAreaTopic('loa/v1/a/01/other')).toBeNull();
    expect(parseAreaTopic('loa/v1/a/+/alert')).toBeNull();
  });
});

describe('area channels', () => {
  it('lets a device subscribe to the alerts of its own areas only', () => {
    const mine = new Set(['01', '00004']);
    expect(mayDeviceSubscribe('a1', areaTopic('01', 'alert'), mine)).toBe(true);
    expect(mayDeviceSubscribe('a1', areaTopic('00004', 'alert'), mine)).toBe(true);
    expect(mayDeviceSubscribe('a1', areaTopic('02', 'alert'), mine)).toBe(false);
    expect(mayDeviceSubscribe('a1', 'loa/v1/a/+/alert', mine)).toBe(false);
    expect(mayDeviceSubscribe('a1', areaTopic('01', 'alert'))).toBe(false);
  });

  it('never lets a device publish on an area channel', () => {
    expect(mayDevicePublish('a1', areaTopic('01', 'alert'))).toBe(false);
  });
});

describe('downstream channels', () => {
  it('lists exactly the channels DEVICE_CHANNELS sends down to a device', () => {
    const down = Object.entries(DEVICE_CHANNELS).filter(([, spec]) => spec.direction === 'down').map(([name]) => name);
    expect([...DOWNSTREAM_DEVICE_CHANNELS].sort()).toEqual(down.sort());
  });
});
