import { z } from 'zod';
import { brokerRequest, field } from './broker-request.js';
import { DEVICE_CHANNELS, deviceTopic, type DeviceChannel } from '@loa/shared';
import type { BrokerAction, LoginDecision } from './broker-auth.service.js';

/*
 * EMQX 5 HTTP authenticator and authoriser (docs.emqx.com: access-control/authn/http, access-control/authz/http).
 * EMQX renders the `body` template of its configuration (deploy/emqx/emqx.conf) and sends it as JSON, or as a form
 * when the `content-type` header says so, or as the query string with method = get. Every placeholder is rendered as
 * a string ("${qos}" becomes "1"), and an absent value as an empty string.
 */


export const emqxAuthnSchema = brokerRequest({
  clientid: field(256),
  username: field(256).default(''),
  password: field(1024).default(''),
  /** The client's IP: failed logins are slowed per device id and address. */
  peerhost: field(64).optional(),
});
export type EmqxAuthnRequest = z.infer<typeof emqxAuthnSchema>;

export const emqxAuthzSchema = brokerRequest({
  clientid: field(256),
  username: field(256).default(''),
  topic: field(65_535).min(1, 'must not be empty'),
  action: z.enum(['publish', 'subscribe', 'all'], { error: 'must be publish, subscribe or all' }),
  qos: z.union([z.enum(['0', '1', '2']), z.literal(0), z.literal(1), z.literal(2)], { error: 'must be 0, 1 or 2' }).optional(),
  retain: z.union([z.enum(['true', 'false']), z.boolean()], { error: 'must be true or false' }).optional(),
});
export type EmqxAuthzRequest = z.infer<typeof emqxAuthzSchema>;

/** One rule of the `acl` field of an authentication answer (EMQX 5.8 and later; older versions ignore the field). */
export interface EmqxAclRule {
  readonly permission: 'allow' | 'deny';
  readonly action: 'publish' | 'subscribe' | 'all';
  readonly topic: string;
}

export type EmqxResult = 'allow' | 'deny' | 'ignore';

export interface EmqxAuthnAnswer {
  readonly result: EmqxResult;
  readonly is_superuser: boolean;
  readonly acl?: readonly EmqxAclRule[];
}

/**
 * A device's own topics, as `allow` rules for the authentication answer: its upstream channels to publish, its
 * downstream ones to subscribe, exactly what mayDevicePublish/mayDeviceSubscribe grant (derived from the same table).
 * They depend on the device id alone, so they cannot go stale during a session; EMQX checks them before any
 * authoriser, so a device's routine traffic never calls the server. Anything else (alert channels, which follow the
 * device's current areas, and every refusal) matches no rule and goes on to the HTTP authoriser.
 */
export function deviceAcl(deviceId: string): EmqxAclRule[] {
  return (Object.keys(DEVICE_CHANNELS) as DeviceChannel[]).map((channel) => ({
    permission: 'allow',
    action: DEVICE_CHANNELS[channel].direction === 'up' ? 'publish' : 'subscribe',
    topic: deviceTopic(deviceId, channel),
  }));
}

/**
 * `withAcl`: only when the server can end sessions (the EMQX API is configured). Rules in the answer outlive a
 * revocation for as long as the session lasts, so without the API every operation must go to the authoriser, which
 * refuses a revoked device.
 */
export function emqxAuthnAnswer(d: LoginDecision, withAcl: boolean): EmqxAuthnAnswer {
  if (d.result === 'allow') {
    if (d.superuser) return { result: 'allow', is_superuser: true };
    return withAcl ? { result: 'allow', is_superuser: false, acl: deviceAcl(d.deviceId) } : { result: 'allow', is_superuser: false };
  }
  return { result: d.result, is_superuser: false };
}

export const emqxActions = (action: EmqxAuthzRequest['action']): BrokerAction[] => (action === 'all' ? ['publish', 'subscribe'] : [action]);
