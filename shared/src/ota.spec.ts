import { generateKeyPairSync } from 'node:crypto';
import { commandSchema, releaseManifestSchema, releasePublicKey, releaseSignatureSchema, signRelease, verifyRelease, updateCommandSchema, type ReleaseSignature } from './index.js';

function releaseKey(): { pem: string; pub: string; spki: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), pub: String(jwk.x), spki: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

describe('release signatures', () => {
  const key = releaseKey();
  const other = releaseKey();
  const pkg = { version: '0.2.0', sha256: 'a'.repeat(64), size: 1234 };

  it('verifies a package signed by a pinned key, given as raw base64url or as PEM', () => {
    const sig = signRelease(key.pem, pkg);
    expect(releaseSignatureSchema.parse(sig)).toEqual(sig);
    expect(verifyRelease(sig, [other.pub, key.pub], pkg)).toEqual({ ok: true, kid: releasePublicKey(key.pub).kid });
    expect(verifyRelease(sig, [key.spki], pkg).ok).toBe(true);
  });

  it('refuses a key that is not pinned, naming the signer', () => {
    const sig = signRelease(other.pem, pkg);
    expect(verifyRelease(sig, [key.pub], pkg)).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  it('refuses a signature moved to another version or package, and a package that is not the one signed', () => {
    const sig = signRelease(key.pem, pkg);
    const moved: ReleaseSignature = { ...sig, version: '9.9.9' };
    expect(verifyRelease(moved, [key.pub])).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyRelease({ ...sig, sha256: 'b'.repeat(64) }, [key.pub])).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(verifyRelease(sig, [key.pub], { ...pkg, sha256: 'c'.repeat(64) })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyRelease(sig, [key.pub], { ...pkg, size: 1 })).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyRelease(sig, [key.pub], { ...pkg, version: '0.3.0' })).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('takes the update command into the command union and refuses paths outside the API or unsafe manifest paths', () => {
    const sig = signRelease(key.pem, pkg);
    const cmd = { type: 'update', rolloutId: 'r1', release: { id: 'rel-1', version: '0.2.0', path: '/api/v1/ota/releases/rel-1/package', sha256: pkg.sha256, size: pkg.size, signature: sig }, healthTimeoutS: 120 };
    expect(commandSchema.parse(cmd)).toEqual(cmd);
    expect(updateCommandSchema.safeParse({ ...cmd, release: { ...cmd.release, path: 'http://evil.example/x' } }).success).toBe(false);
    const manifest = { format: 1, name: 'loa-agent', version: '0.2.0', protocol: 1, node: '>=20.19', entry: 'cli.mjs', builtAt: 1, files: [{ path: '../etc/passwd', sha256: pkg.sha256, size: 1 }] };
    expect(releaseManifestSchema.safeParse(manifest).success).toBe(false);
    expect(releaseManifestSchema.safeParse({ ...manifest, files: [{ path: 'loa-agent.mjs', sha256: pkg.sha256, size: 1 }] }).success).toBe(true);
  });
});
