import { allDevicesTopic, areaTopic, DEVICE_CHANNELS, DOWNSTREAM_DEVICE_CHANNELS, deviceTopic, type DeviceChannel } from '@loa/shared';

/**
 * What Mosquitto 2.0's dynamic security and its ACL file must hold for devices to be confined exactly as the
 * embedded broker confines them (`mayDevicePublish` / `mayDeviceSubscribe` in @loa/shared): all derived from the
 * topic table there, so a new channel reaches the broker with no hand-written topic.
 *
 * Why two mechanisms. Mosquitto 2.0.x dynamic security has no `%c`/`%u` substitution in role ACLs (it arrives in
 * 2.1), and a role per device costs ~1.4 KB more per device in a JSON file the plugin rewrites whole on every
 * command: 11x slower to register 2,000 devices than one shared role (measured, see the issue 15 report). So:
 *
 * - each device's own topics are `pattern` lines of an `acl_file` (`loa.acl`, `%u` = the username = the device id,
 *   and dynsec pins the client id to it): the only per-device rule Mosquitto 2.0 can express without a role each;
 * - one shared role `loa-device`: which subscriptions are allowed at all (its own downstream channels' shape, nothing
 *   else: `#` is denied last), since Mosquitto's ACL file grants every subscription (its FIXME) and would otherwise
 *   be the one to decide;
 * - one role per leaf area `loa-area-<code>`: subscribe and receive the alert channel of that area and of each
 *   ancestor (what `mayDeviceSubscribe` allows), so a device holds two roles and a re-parented area is one role
 *   update, not one per device below it.
 *
 * Dynamic security is asked first (it is loaded before the ACL file's check is registered): for a device, every
 * decision it does not make (no match, default deny) defers to the ACL file, which refuses what no pattern allows.
 * This needs the plugin's default `publishClientReceive` to be deny (`DEFAULT_ACL_ACCESS`): the init default allow
 * would let a device read what it managed to subscribe to.
 *
 * The one difference from the embedded broker: a device may *subscribe* to another device's downstream channel (or
 * `loa/v1/d/+/<channel>`) — the SUBACK grants it — but never receives anything on it, since the ACL file refuses
 * every message not on its own topics. Everything else is refused at SUBSCRIBE (reason 0x87 / 0x80) or PUBLISH.
 */

export const DEVICE_ROLE = 'loa-device';
const AREA_ROLE_PREFIX = 'loa-area-';
/** Marks the clients Loa manages: reconciliation touches no other (the admin, the server's own account, others'). */
export const MANAGED_TEXTNAME = 'loa-device';
/** Area roles are checked before the device role, whose last rule denies every other subscription. */
export const AREA_ROLE_PRIORITY = 2;
export const DEVICE_ROLE_PRIORITY = 1;

export type AclType = 'publishClientSend' | 'publishClientReceive' | 'subscribeLiteral' | 'subscribePattern' | 'unsubscribeLiteral' | 'unsubscribePattern';

export interface DynsecAcl {
  readonly acltype: AclType;
  readonly topic: string;
  readonly priority: number;
  readonly allow: boolean;
}

export interface RoleRef {
  readonly rolename: string;
  readonly priority: number;
}

export const areaRoleName = (leafCode: string): string => `${AREA_ROLE_PREFIX}${leafCode}`;
export const isAreaRole = (rolename: string): boolean => rolename.startsWith(AREA_ROLE_PREFIX);

/** The shared device role: which subscriptions a device may make (the ACL file decides what it then receives). */
export function deviceRoleAcls(): DynsecAcl[] {
  const own = DOWNSTREAM_DEVICE_CHANNELS.map((channel): DynsecAcl => ({ acltype: 'subscribePattern', topic: allDevicesTopic(channel), priority: 1, allow: true }));
  // Everything else (upstream channels, other wildcards, $SYS, $CONTROL, areas not the device's) is refused at once.
  return [...own, { acltype: 'subscribePattern', topic: '#', priority: 0, allow: false }];
}

/** The role of devices whose area is the last of `areaCodes` (root first): that area's and its ancestors' alerts. */
export function areaRoleAcls(areaCodes: readonly string[]): DynsecAcl[] {
  return areaCodes.flatMap((code): DynsecAcl[] => [
    { acltype: 'subscribeLiteral', topic: areaTopic(code, 'alert'), priority: 0, allow: true },
    { acltype: 'publishClientReceive', topic: areaTopic(code, 'alert'), priority: 0, allow: true },
  ]);
}

/** A device's roles: its leaf area's and the shared one. A pending enrolment has none (and is disabled). */
export function deviceRoles(areaCodes: readonly string[]): RoleRef[] {
  const leaf = areaCodes[areaCodes.length - 1];
  if (leaf === undefined) throw new Error('a device belongs to an area');
  return [
    { rolename: areaRoleName(leaf), priority: AREA_ROLE_PRIORITY },
    { rolename: DEVICE_ROLE, priority: DEVICE_ROLE_PRIORITY },
  ];
}

/** The plugin-wide defaults Loa's ACL needs (see above); `unsubscribe` stays allowed, as at init. */
export const DEFAULT_ACL_ACCESS = {
  publishClientSend: false,
  publishClientReceive: false,
  subscribe: false,
  unsubscribe: true,
} as const;

/** Placeholder in the ACL file's patterns: the username, which for a Loa device is its id (and its client id). */
const USERNAME = '%u';

/**
 * The `pattern` lines of `deploy/mosquitto/loa.acl`: each device's own upstream channels (write) and downstream
 * channels (read). A test keeps the shipped file equal to this.
 */
export function aclFileLines(): string[] {
  const channels = Object.keys(DEVICE_CHANNELS) as DeviceChannel[];
  const lines = (direction: 'up' | 'down', access: 'write' | 'read') =>
    channels.filter((c) => DEVICE_CHANNELS[c].direction === direction).map((c) => `pattern ${access} ${deviceTopic(USERNAME, c)}`);
  return [...lines('up', 'write'), ...lines('down', 'read')];
}

/** Order-insensitive comparison of ACL lists (the plugin returns them sorted its own way). */
export function sameAcls(a: readonly DynsecAcl[], b: readonly DynsecAcl[]): boolean {
  const key = (l: readonly DynsecAcl[]) =>
    l
      .map((x) => `${x.acltype.toLowerCase()} ${x.topic} ${x.priority} ${x.allow}`)
      .sort()
      .join('\n');
  return key(a) === key(b);
}

export function sameRoles(a: readonly RoleRef[], b: readonly RoleRef[]): boolean {
  const key = (l: readonly RoleRef[]) =>
    l
      .map((r) => `${r.rolename} ${r.priority}`)
      .sort()
      .join('\n');
  return key(a) === key(b);
}
