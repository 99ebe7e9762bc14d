import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { RELEASE_PACKAGE_FORMAT, releaseStatement, type ReleaseSignature } from './ota.js';

/**
 * Release keys (issue 20): ids, parsing, signing and verifying release signatures. Apart from ota.ts so that the
 * contracts a browser bundles never import node:crypto; exported from the package index like the rest.
 */

const rawPublicKeyB64 = (key: KeyObject): string => {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key');
  return jwk.x;
};

/** Release key id: the same rule as message keys (16 hex digits of sha256 over the raw public key). */
export const releaseKeyId = (publicKeyB64: string): string => createHash('sha256').update(Buffer.from(publicKeyB64, 'base64url')).digest('hex').slice(0, 16);

/** A release public key as agents pin it: raw 32 bytes, base64url (or a PEM SPKI). */
export function releasePublicKey(text: string): { key: KeyObject; kid: string; publicKeyB64: string } {
  const trimmed = text.trim();
  const key = trimmed.startsWith('-----BEGIN')
    ? createPublicKey(trimmed)
    : createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: trimmed.replace(/=+$/, '') }, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('release key: not an Ed25519 key');
  const publicKeyB64 = rawPublicKeyB64(key);
  return { key, kid: releaseKeyId(publicKeyB64), publicKeyB64 };
}

/** Signs a package's statement with the (offline) release private key, PEM PKCS#8. */
export function signRelease(privateKeyPem: string, s: { version: string; sha256: string; size: number }): ReleaseSignature {
  const priv = createPrivateKey(privateKeyPem);
  const publicKeyB64 = rawPublicKeyB64(createPublicKey(priv));
  return {
    format: RELEASE_PACKAGE_FORMAT,
    alg: 'Ed25519',
    kid: releaseKeyId(publicKeyB64),
    version: s.version,
    sha256: s.sha256,
    size: s.size,
    sig: sign(null, Buffer.from(releaseStatement(s)), priv).toString('base64url'),
  };
}

export type ReleaseCheck = { ok: true; kid: string } | { ok: false; reason: 'unknown-key' | 'bad-signature' | 'mismatch'; error: string };

/**
 * Checks a release signature against the pinned keys and, when given, the package actually received (sha256 and
 * size measured by the caller). Used by the server on upload and by the agent before installing.
 */
export function verifyRelease(signature: ReleaseSignature, pinned: readonly string[], received?: { sha256: string; size: number; version?: string }): ReleaseCheck {
  if (received && (received.sha256 !== signature.sha256 || received.size !== signature.size || (received.version !== undefined && received.version !== signature.version))) {
    return { ok: false, reason: 'mismatch', error: 'the package does not match its signature (hash, size or version)' };
  }
  for (const text of pinned) {
    const k = releasePublicKey(text);
    if (k.kid !== signature.kid) continue;
    const good = verify(null, Buffer.from(releaseStatement(signature)), k.key, Buffer.from(signature.sig, 'base64url'));
    return good ? { ok: true, kid: k.kid } : { ok: false, reason: 'bad-signature', error: `signature by ${k.kid} does not verify` };
  }
  return { ok: false, reason: 'unknown-key', error: `release signed by ${signature.kid}, which is not a pinned release key` };
}

