import { DEVICE_CHANNELS, DOWNSTREAM_DEVICE_CHANNELS, mayDevicePublish, mayDeviceSubscribe, type DeviceChannel } from '@loa/shared';
import { aclFileLines, areaRoleAcls, deviceRoleAcls, deviceRoles, sameAcls } from './dynsec-acl.js';

/** Mosquitto's topic matching (mosquitto_topic_matches_sub), enough for the patterns here. */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

describe('dynsec ACL derived from the topic table', () => {
  const channels = Object.keys(DEVICE_CHANNELS) as DeviceChannel[];

  it('lets the ACL file give each device exactly its own upstream (write) and downstream (read) channels', () => {
    const lines = aclFileLines().map((l) => l.split(' '));
    const writes = lines.filter(([, access]) => access === 'write').map(([, , topic]) => topic!.replace('%u', 'a1'));
    const reads = lines.filter(([, access]) => access === 'read').map(([, , topic]) => topic!.replace('%u', 'a1'));
    for (const channel of channels) {
      const topic = `loa/v1/d/a1/${channel}`;
      expect(writes.some((w) => matches(w, topic))).toBe(mayDevicePublish('a1', topic));
      expect(reads.some((r) => matches(r, topic))).toBe(mayDeviceSubscribe('a1', topic));
      // Another device's topic is never in a1's lines.
      expect([...writes, ...reads].some((x) => matches(x, `loa/v1/d/b1/${channel}`))).toBe(false);
    }
  });

  it('allows subscribing only to the shape of the downstream channels, and denies everything else last', () => {
    const acls = deviceRoleAcls();
    expect(acls.filter((a) => a.allow).map((a) => a.topic)).toEqual(DOWNSTREAM_DEVICE_CHANNELS.map((c) => `loa/v1/d/+/${c}`));
    expect(acls.every((a) => a.acltype === 'subscribePattern')).toBe(true);
    const last = acls.reduce((min, a) => (a.priority < min.priority ? a : min));
    expect(last).toEqual({ acltype: 'subscribePattern', topic: '#', priority: 0, allow: false });
  });

  it('gives an area role the alerts of the area and of each ancestor, and a device its area role before the shared one', () => {
    expect(areaRoleAcls(['01', '001', '00004']).filter((a) => a.acltype === 'subscribeLiteral').map((a) => a.topic)).toEqual(['loa/v1/a/01/alert', 'loa/v1/a/001/alert', 'loa/v1/a/00004/alert']);
    const areaCodes = new Set(['01', '001']);
    for (const acl of areaRoleAcls([...areaCodes])) expect(mayDeviceSubscribe('a1', acl.topic, areaCodes)).toBe(true);
    expect(deviceRoles(['01', '001'])).toEqual([
      { rolename: 'loa-area-001', priority: 2 },
      { rolename: 'loa-device', priority: 1 },
    ]);
    expect(() => deviceRoles([])).toThrow();
  });

  it('compares ACL lists whatever their order and the case of their types', () => {
    const acls = areaRoleAcls(['01', '02']);
    expect(sameAcls(acls, [...acls].reverse().map((a) => ({ ...a, acltype: a.acltype.toLowerCase() as typeof a.acltype })))).toBe(true);
    expect(sameAcls(acls, areaRoleAcls(['01']))).toBe(false);
  });
});
