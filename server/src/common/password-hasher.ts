import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (pw: string, salt: Buffer, len: number, opts: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(pw, salt, len, opts, (err, key) => (err ? reject(err) : resolve(key))));

/**
 * scrypt with per-secret salt, encoded as `scrypt$N$r$p$salt$hash` so parameters can be raised later without
 * invalidating stored hashes. Used for operator passwords and device secrets alike.
 */
@Injectable()
export class PasswordHasher {
  constructor(private readonly params: { N: number; r: number; p: number } = { N: 16384, r: 8, p: 1 }) {}

  async hash(secret: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await scrypt(secret, salt, 32, { ...this.params, maxmem: 64 * 1024 * 1024 });
    const { N, r, p } = this.params;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  async verify(secret: string, encoded: string): Promise<boolean> {
    const [alg, n, r, p, salt, hash] = encoded.split('$');
    if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64');
    const key = await scrypt(secret, Buffer.from(salt, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 64 * 1024 * 1024,
    });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }
}
