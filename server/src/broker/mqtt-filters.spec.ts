import { allDevicesTopic, deviceTopic } from '@loa/shared';
import { sharedFilter, topicMatches } from './mqtt-filters.js';

describe('MQTT filters', () => {
  it.each([
    [allDevicesTopic('events'), deviceTopic('spk-1', 'events'), true],
    [allDevicesTopic('events'), deviceTopic('spk-1', 'events/ack'), false],
    [allDevicesTopic('timeline/ack'), deviceTopic('spk-1', 'timeline/ack'), true],
    [allDevicesTopic('timeline/ack'), deviceTopic('spk-1', 'timeline'), false],
    ['loa/#', deviceTopic('spk-1', 'status'), true],
    ['#', '$SYS/broker/uptime', false],
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['a/+', 'a', false],
    ['a/#', 'a', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('writes a shared subscription', () => {
    expect(sharedFilter('loa', allDevicesTopic('events'))).toBe('$share/loa/loa/v1/d/+/events');
  });
});
