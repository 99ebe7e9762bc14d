#!/usr/bin/env node
// The release key (issue 20): the Ed25519 key that signs agent release packages. Agents pin its public half
// (releaseKeys / LOA_AGENT_RELEASE_KEYS) and install only what it signed, so it is made and kept OFFLINE, never on
// the server: a stolen server can offer a package but cannot make one the devices accept.
//
//   node agent/release/release-key.mjs keygen --out DIR        DIR/release-key.pem (0600) + DIR/release-key.pub
//   node agent/release/release-key.mjs sign PACKAGE --key PEM  writes PACKAGE.sig
//   node agent/release/release-key.mjs verify PACKAGE --pub FILE|KEY [--sig FILE]
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = () => import(pathToFileURL(path.join(repo, 'shared', 'dist', 'index.js')).href);

/** A new key pair: the private PEM (PKCS#8) and the public key as agents pin it (raw 32 bytes, base64url). */
export function generateReleaseKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicKeyB64 = publicKey.export({ format: 'jwk' }).x;
  const kid = createHash('sha256').update(Buffer.from(publicKeyB64, 'base64url')).digest('hex').slice(0, 16);
  return { privatePem, publicKeyB64, kid };
}

/** Writes DIR/release-key.pem (0600, refused if it exists) and DIR/release-key.pub. */
export function keygen(outDir) {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const pem = path.join(outDir, 'release-key.pem');
  if (existsSync(pem)) throw new Error(`${pem} exists: a release key is never overwritten`);
  const k = generateReleaseKey();
  writeFileSync(pem, k.privatePem, { mode: 0o600, flag: 'wx' });
  writeFileSync(path.join(outDir, 'release-key.pub'), `${k.publicKeyB64}\n`);
  return { ...k, privateFile: pem, publicFile: path.join(outDir, 'release-key.pub') };
}

const measure = (file) => {
  const bytes = readFileSync(file);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
};

/** The version a package holds, from its manifest.json. */
async function versionOf(file) {
  const tar = await import('tar');
  let text = '';
  await tar.list({ file, onReadEntry: (e) => (e.path === 'manifest.json' ? e.on('data', (c) => (text += c)) : e.resume()) });
  if (!text) throw new Error(`${file} has no manifest.json`);
  return JSON.parse(text).version;
}

export async function signPackage(file, privatePem) {
  const { signRelease } = await shared();
  const sig = signRelease(privatePem, { version: await versionOf(file), ...measure(file) });
  writeFileSync(`${file}.sig`, `${JSON.stringify(sig, null, 1)}\n`);
  return sig;
}

export async function verifyPackage(file, pubKeys, sigFile = `${file}.sig`) {
  const { releaseSignatureSchema, verifyRelease } = await shared();
  const sig = releaseSignatureSchema.parse(JSON.parse(readFileSync(sigFile, 'utf8')));
  return verifyRelease(sig, pubKeys, { ...measure(file), version: await versionOf(file) });
}

async function cli(argv) {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { out: { type: 'string' }, key: { type: 'string' }, pub: { type: 'string', multiple: true }, sig: { type: 'string' } } });
  if (verb === 'keygen') {
    if (!values.out) throw new Error('keygen needs --out DIR');
    const k = keygen(path.resolve(values.out));
    console.log(`release key ${k.kid}\n  private: ${k.privateFile} (keep it offline)\n  public:  ${k.publicFile}\n  pin on agents: LOA_AGENT_RELEASE_KEYS=${k.publicKeyB64}\n  trust on the server: the same public key`);
    return 0;
  }
  if (verb === 'sign') {
    if (positionals.length !== 1 || !values.key) throw new Error('sign PACKAGE --key PRIVATE.pem');
    const sig = await signPackage(positionals[0], readFileSync(values.key, 'utf8'));
    console.log(`signed ${positionals[0]} (version ${sig.version}, key ${sig.kid}) → ${positionals[0]}.sig`);
    return 0;
  }
  if (verb === 'verify') {
    if (positionals.length !== 1 || !values.pub?.length) throw new Error('verify PACKAGE --pub FILE|KEY [--pub …] [--sig FILE]');
    const keys = values.pub.map((p) => (existsSync(p) ? readFileSync(p, 'utf8').trim() : p));
    const r = await verifyPackage(positionals[0], keys, values.sig);
    console.log(r.ok ? `good signature by ${r.kid}` : `REFUSED (${r.reason}): ${r.error}`);
    return r.ok ? 0 : 1;
  }
  console.error('Usage: release-key.mjs keygen --out DIR | sign PACKAGE --key PEM | verify PACKAGE --pub KEY');
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`release-key: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
