import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { decodeMessage } from './codec.js';
import type { SecurityReason } from './commands.js';
import { MAX_PAYLOAD_BYTES, PROTOCOL_VERSION } from './version.js';

/**
 * Everything the server sends to a device travels in this envelope. The signed text is carried verbatim, so
 * verification needs no canonical JSON: the agent checks the signature over exactly the bytes that were signed and
 * only then parses them.
 */
export const signedEnvelopeSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  alg: z.literal('Ed25519'),
  /** Key id (first 16 hex digits of sha256 of the raw public key), so a server key rotation is diagnosable. */
  kid: z.string().regex(/^[a-f0-9]{16}$/),
  payload: z.string().max(MAX_PAYLOAD_BYTES),
  sig: z.string().regex(/^[A-Za-z0-9+/_-]{80,90}={0,2}$/),
});
export type SignedEnvelope = z.infer<typeof signedEnvelopeSchema>;

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Raw 32-byte public key, base64url: the form agents are configured with and pin. */
  readonly publicKeyB64: string;
  readonly kid: string;
}

export interface VerifyKey {
  readonly publicKey: KeyObject;
  readonly kid: string;
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPrivate(privateKey);
}

/** From a PKCS#8 PEM (the file the server keeps) or a KeyObject. */
export function signingKeyFromPrivate(pemOrKey: string | KeyObject): SigningKey {
  const privateKey = typeof pemOrKey === 'string' ? createPrivateKey(pemOrKey) : pemOrKey;
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`signing key must be Ed25519, got ${privateKey.asymmetricKeyType ?? 'a symmetric key'}`);
  const publicKey = createPublicKey(privateKey);
  const publicKeyB64 = rawPublicKey(publicKey);
  return { privateKey, publicKey, publicKeyB64, kid: keyIdOf(publicKeyB64) };
}

export const exportPrivateKeyPem = (key: SigningKey): string => key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

const rawPublicKey = (key: KeyObject): string => {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key');
  return jwk.x;
};

export const keyIdOf = (publicKeyB64: string): string =>
  createHash('sha256').update(Buffer.from(publicKeyB64, 'base64url')).digest('hex').slice(0, 16);

/** Parses the pinned key; throws with a message an installer can act on. */
export function verifyKeyFromBase64(publicKeyB64: string): VerifyKey {
  const raw = Buffer.from(publicKeyB64.trim(), 'base64url');
  if (raw.length !== 32) throw new Error(`server public key must be 32 bytes of base64url (got ${raw.length} bytes)`);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  return { publicKey, kid: keyIdOf(raw.toString('base64url')) };
}

/** Serialises `value` and wraps it in a signed envelope, ready to publish. */
export function signMessage(key: SigningKey, value: unknown): Buffer {
  return signText(key, JSON.stringify(value));
}

/** signMessage for a message already serialised (e.g. a timeline stored as JSON text). */
export function signText(key: SigningKey, payload: string): Buffer {
  const sig = sign(null, Buffer.from(payload), key.privateKey).toString('base64url');
  const envelope: SignedEnvelope = { v: PROTOCOL_VERSION, alg: 'Ed25519', kid: key.kid, payload, sig };
  return Buffer.from(JSON.stringify(envelope));
}

export type OpenResult<T> = { ok: true; value: T } | { ok: false; reason: SecurityReason; error: string };

/**
 * The receiving side of signMessage: refuses anything not in an envelope, signed by another key or not matching
 * the schema. Never throws. Freshness (versions, expiry, replay) is the caller's, who knows what was seen.
 */
export function openSigned<S extends z.ZodType>(schema: S, payload: Uint8Array | string, key: VerifyKey): OpenResult<z.infer<S>> {
  const env = decodeMessage(signedEnvelopeSchema, payload);
  if (!env.ok) {
    // Tell "someone sent a plain message" apart from garbage: the former is what an injection attempt looks like.
    const plain = decodeMessage(schema, payload);
    return plain.ok ? { ok: false, reason: 'unsigned', error: 'message is not signed' } : { ok: false, reason: 'invalid', error: env.error };
  }
  const { kid, payload: text, sig } = env.value;
  if (kid !== key.kid) return { ok: false, reason: 'unknown-key', error: `signed with key ${kid}, expected ${key.kid}` };
  let good = false;
  try {
    good = verify(null, Buffer.from(text), key.publicKey, Buffer.from(sig, 'base64url'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad-signature', error: 'signature does not verify' };
  const inner = decodeMessage(schema, text);
  return inner.ok ? inner : { ok: false, reason: 'invalid', error: inner.error };
}
