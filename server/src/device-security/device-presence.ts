/**
 * What device credentials need of presence: marking a device offline for a reason ('revoked'). Provided by the
 * devices feature's PresenceService (see DeviceSecurityModule); tests give a recording fake.
 */
export abstract class DevicePresence {
  abstract markOffline(deviceId: string, reason: 'revoked'): Promise<void>;
}
