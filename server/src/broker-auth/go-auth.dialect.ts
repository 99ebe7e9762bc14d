import { z } from 'zod';
import { brokerRequest, field } from './broker-request.js';
import type { BrokerAction } from './broker-auth.service.js';

/*
 * mosquitto-go-auth's HTTP backend (github.com/iegomez/mosquitto-go-auth, backends/http.go): POST of JSON
 * (auth_opt_http_params_mode json, numbers as numbers) or of a form (form, everything a string). It sends no client
 * address and cannot add headers, so its URIs carry the token as `?token=`.
 */


export const goAuthUserSchema = brokerRequest({
  username: field(256).default(''),
  password: field(1024).default(''),
  clientid: field(256),
});

export const goAuthSuperuserSchema = brokerRequest({ username: field(256) });

/** acc: 1 read (a delivery to the client), 2 write (publish), 3 read and write, 4 subscribe. */
export const goAuthAclSchema = brokerRequest({
  username: field(256).default(''),
  clientid: field(256),
  topic: field(65_535).min(1, 'must not be empty'),
  acc: z.union([z.literal([1, 2, 3, 4]), z.enum(['1', '2', '3', '4']).transform(Number)], { error: 'must be 1 (read), 2 (write), 3 (read and write) or 4 (subscribe)' }),
});

const ACC: Record<number, BrokerAction[]> = { 1: ['read'], 2: ['publish'], 3: ['read', 'publish'], 4: ['subscribe'] };

export const goAuthActions = (acc: number): BrokerAction[] => ACC[acc] ?? [];

/**
 * One answer for both response modes: `status` reads only the code (2xx grants), `json` wants a 2xx and `ok: true`.
 * A refusal is a 403, which every mode reads as "no" without logging a backend error (a 5xx would be one).
 */
export interface GoAuthAnswer {
  readonly status: 200 | 403 | 503;
  readonly body: { readonly ok: boolean; readonly error: string };
}

export const goAuthAnswer = (ok: boolean, error = 'not authorized'): GoAuthAnswer => (ok ? { status: 200, body: { ok: true, error: '' } } : { status: 403, body: { ok: false, error } });

/** The credentials could not be checked: go-auth logs a 5xx as a backend error and refuses. */
export const goAuthUnavailable: GoAuthAnswer = { status: 503, body: { ok: false, error: 'credentials could not be checked' } };
