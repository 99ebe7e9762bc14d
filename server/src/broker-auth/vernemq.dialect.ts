import { z } from 'zod';
import { brokerRequest, field } from './broker-request.js';
import type { LoginDecision } from './broker-auth.service.js';

/*
 * VerneMQ webhooks (vernemq docs: plugindevelopment/webhookplugins): one endpoint per hook, always POST with a JSON
 * body and a `vernemq-hook` header, answered 200 with a JSON `result`. MQTT 3.1.1 clients (the agents) go through
 * auth_on_register / auth_on_publish / auth_on_subscribe, MQTT 5 clients (the server) through the `_m5` hooks.
 * VerneMQ cannot add headers to webhook calls, so the endpoints carry the token as `?token=`.
 */

/** VerneMQ sends null for an absent username or password. */
const optionalField = (max: number) =>
  field(max)
    .nullish()
    .transform((v) => v ?? '');

export const vernemqRegisterSchema = brokerRequest({
  peer_addr: field(64).optional(),
  username: optionalField(256),
  password: optionalField(1024),
  client_id: field(256),
});

export const vernemqPublishSchema = brokerRequest({
  username: optionalField(256),
  client_id: field(256),
  topic: field(65_535).min(1, 'must not be empty'),
});

export const vernemqSubscribeSchema = brokerRequest({
  username: optionalField(256),
  client_id: field(256),
  topics: z
    .array(z.object({ topic: field(65_535).min(1, 'must not be empty'), qos: z.number().int().min(0).max(2) }))
    .min(1, 'must name at least one topic')
    .max(100, 'at most 100 topics'),
});

export type VernemqAnswer =
  | { readonly result: 'ok' | 'next' }
  | { readonly result: { readonly error: string } }
  | { readonly result: 'ok'; readonly topics: ReadonlyArray<{ topic: string; qos: number }> }
  | { readonly result: 'ok'; readonly modifiers: { readonly topics: ReadonlyArray<{ topic: string; qos: number }> } };

export const vernemqVerdict = (ok: boolean): VernemqAnswer => (ok ? { result: 'ok' } : { result: { error: 'not_allowed' } });

/** `next` lets VerneMQ ask its other plugins when the credentials could not be checked. */
export const vernemqLoginAnswer = (d: LoginDecision): VernemqAnswer => (d.result === 'ignore' ? { result: 'next' } : vernemqVerdict(d.result === 'allow'));

/**
 * Per topic, as VerneMQ expects: all granted is a plain ok; otherwise the granted topics keep their QoS and refused
 * ones get 128 (MQTT 3.1.1 SUBACK failure) or, for MQTT 5, 135 ("not authorized") under `modifiers`.
 */
export function vernemqSubscribeAnswer(topics: ReadonlyArray<{ topic: string; qos: number }>, granted: readonly boolean[], m5: boolean): VernemqAnswer {
  if (granted.every(Boolean)) return { result: 'ok' };
  const refused = m5 ? 135 : 128;
  const rewritten = topics.map((t, i) => ({ topic: t.topic, qos: granted[i] ? t.qos : refused }));
  return m5 ? { result: 'ok', modifiers: { topics: rewritten } } : { result: 'ok', topics: rewritten };
}
