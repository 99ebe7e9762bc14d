import { Injectable, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../common/ids.js';
import { areaCodesOf } from '../areas/area.entity.js';
import { CacheInvalidation, type RemoteInvalidation } from '../cluster/cache-invalidation.js';
import { DeviceCredentialsRepository, type CredentialsRow } from './device-credentials.repository.js';

export type { CredentialsRow } from './device-credentials.repository.js';

/**
 * Device secrets are 192-bit random tokens minted by the server, so a fast hash is as safe as a slow KDF for
 * them (there is no dictionary to attack) and lets 10,000 devices reconnect at once without burning seconds of
 * CPU each. Human passwords use scrypt (PasswordHasher).
 */
@Injectable()
export class DeviceCredentialsService implements OnApplicationBootstrap {
  /** Devices reconnect often over flaky links; their secret and area rarely change. */
  private readonly cache = new Map<string, CachedDevice | null>();
  /** Bumped whenever a device's credentials change (rotation, revocation): sessions that logged in before are stale. */
  private readonly revisions = new Map<string, number>();
  /** Added to every revision: bumped when changes made on another instance may have been missed (a cluster gap). */
  private generation = 0;
  /** Bumped by every forget/invalidate, so a lookup that raced with a change does not cache what it read before. */
  private epoch = 0;
  /**
   * True once the bootstrap load went through: from then on the cache holds every device except those in `stale`
   * (forgotten since, to be read again), so an id in neither is unknown without asking the database.
   */
  private complete = false;
  private readonly stale = new Set<string>();
  /** Lookups waiting for the next database read, by device id (see lookup). */
  private loading: Map<string, Array<{ resolve: (d: CachedDevice | null) => void; reject: (err: Error) => void }>> | null = null;

  /** `cluster`: changes made on other instances sharing the database (absent in unit tests: one process). */
  constructor(
    private readonly repo: DeviceCredentialsRepository,
    @Optional() private readonly cluster?: CacheInvalidation,
  ) {
    cluster?.onRemote((change) => this.remoteChange(change));
  }

  /**
   * Loads every device's credentials in one query, so the connect storm after a restart costs a hash per device
   * rather than a database round trip each (about 200 bytes a device: 60 MB at 300,000).
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.loadAll();
  }

  private async loadAll(): Promise<void> {
    const epoch = this.epoch;
    const rows = await this.repo.all();
    if (epoch !== this.epoch) return; // a device changed meanwhile: load lazily instead
    for (const r of rows) if (!this.cache.has(r.id)) this.cache.set(r.id, cached(r));
    this.complete = true;
  }

  mintSecret(): { secret: string; secretHash: string } {
    // A secret starting with "-" would be read as a flag by command lines (`--secret -abc`).
    let secret = randomToken(24);
    while (!/^[A-Za-z0-9]/.test(secret)) secret = randomToken(24);
    return { secret, secretHash: hashDeviceSecret(secret) };
  }

  /** Unthrottled check (logins from the network go through DeviceLoginService); false for a revoked device. */
  async verify(deviceId: string, secret: string): Promise<boolean> {
    return (await this.authenticate(deviceId, secret)) !== null;
  }

  /** The device's area codes (root first) when the secret is right and the device not revoked, else null. */
  async authenticate(deviceId: string, secret: string): Promise<{ areaCodes: readonly string[] } | null> {
    const r = await this.check(deviceId, secret);
    return typeof r === 'string' ? null : r;
  }

  /** invalid: unknown device or wrong secret; revoked: the right secret of a revoked device. */
  async check(deviceId: string, secret: string): Promise<{ areaCodes: readonly string[] } | 'invalid' | 'revoked'> {
    const r = await this.checkLogin(deviceId, secret, false);
    return r === 'unknown' || r === 'wrong' ? 'invalid' : r;
  }

  /**
   * check() telling an unknown id from a wrong secret, for throttling. With `memoryOnly` an id that is surely not a
   * device (see `complete`) is answered unknown without a database lookup, so a flood of made-up ids costs no query;
   * an id that may exist is still looked up, so a correct secret is never refused.
   */
  async checkLogin(deviceId: string, secret: string, memoryOnly: boolean): Promise<{ areaCodes: readonly string[] } | 'unknown' | 'wrong' | 'revoked'> {
    if (memoryOnly && this.complete && !this.cache.has(deviceId) && !this.stale.has(deviceId)) return 'unknown';
    const stored = await this.lookup(deviceId);
    if (stored === null) return 'unknown';
    // A SHA-256 of a 192-bit random token: no dictionary to slow down, and about a microsecond of CPU.
    if (!secretMatches(secret, stored.secretHash)) return 'wrong';
    return stored.revoked ? 'revoked' : { areaCodes: stored.areaCodes };
  }

  /**
   * Whether the device exists and is revoked, with its current area chain (null: unknown), from the cache: for brokers
   * that ask the server about each operation of an open session (HTTP authorisation), so a revocation bites there too.
   */
  async standing(deviceId: string): Promise<{ revoked: boolean; areaCodes: readonly string[] } | null> {
    const stored = await this.lookup(deviceId);
    return stored === null ? null : { revoked: stored.revoked, areaCodes: stored.areaCodes };
  }

  /** The device's current area and ancestors (empty for an unknown device); follows moves once forget() is called. */
  async areaCodes(deviceId: string): Promise<readonly string[]> {
    return (await this.lookup(deviceId))?.areaCodes ?? [];
  }

  /**
   * Loads these devices into the cache in the background, in one query per 500 (the registration path calls it
   * after forgetting them, so what it reads is committed). Failures only mean a lookup at login instead.
   */
  prefetch(deviceIds: readonly string[]): void {
    for (const id of deviceIds) this.lookup(id).catch(() => undefined);
  }

  /** Changes whenever invalidate() is called for the device: a session opened under an older revision is stale. */
  revision(deviceId: string): number {
    return this.generation + (this.revisions.get(deviceId) ?? 0);
  }

  private lookup(deviceId: string): Promise<CachedDevice | null> {
    const stored = this.cache.get(deviceId);
    if (stored !== undefined) return Promise.resolve(stored);
    return new Promise((resolve, reject) => {
      // Devices registered or moved since the bootstrap load log in together (a new district's fleet, a storm
      // after a move): their lookups are gathered and read in one query, not one round trip each.
      if (this.loading === null) {
        this.loading = new Map();
        setImmediate(() => void this.loadPending());
      }
      const waiters = this.loading.get(deviceId);
      if (waiters) waiters.push({ resolve, reject });
      else this.loading.set(deviceId, [{ resolve, reject }]);
    });
  }

  private async loadPending(): Promise<void> {
    const batch = this.loading;
    this.loading = null;
    if (batch === null) return;
    const epoch = this.epoch;
    let rows: Map<string, CredentialsRow>;
    try {
      rows = new Map((await this.fetch([...batch.keys()])).map((r) => [r.id, r]));
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err as Error);
      return;
    }
    for (const [id, waiters] of batch) {
      const row = rows.get(id);
      const stored = row ? cached(row) : null;
      // A change that raced with the read: answer with what was read, but do not keep it.
      if (epoch === this.epoch) {
        if (stored !== null) this.cache.set(id, stored);
        this.stale.delete(id);
      }
      for (const w of waiters) w.resolve(stored);
    }
  }

  /** These devices' rows from the database, unknown ids absent (protected: tests count the lookups). */
  protected async fetch(deviceIds: readonly string[]): Promise<CredentialsRow[]> {
    return this.repo.many(deviceIds);
  }

  /** Call after a device's area changes or a device is added or removed. */
  forget(deviceId: string): void {
    this.epoch++;
    this.cache.delete(deviceId);
    if (this.complete) this.stale.add(deviceId);
  }

  /**
   * Call after a device's secret changed or it was revoked: forgets it and marks its open sessions stale, here and
   * on the other instances.
   */
  invalidate(deviceId: string): void {
    this.invalidateHere(deviceId);
    this.cluster?.credentialsChanged([deviceId]);
  }

  private invalidateHere(deviceId: string): void {
    this.forget(deviceId);
    this.revisions.set(deviceId, (this.revisions.get(deviceId) ?? 0) + 1);
  }

  /** Another instance changed devices (it ran the side effects; this only forgets), or changes may have been missed. */
  private remoteChange(change: RemoteInvalidation): void {
    if (change.kind === 'devices') {
      for (const id of change.deviceIds) {
        if (change.credentials) this.invalidateHere(id);
        else this.forget(id);
      }
      return;
    }
    // Any device may have been rotated, revoked, moved or added: forget all, make every session's login check stale,
    // and reload in one query as at start-up (until then, lookups go to the database).
    this.epoch++;
    this.generation++;
    this.cache.clear();
    this.stale.clear();
    this.complete = false;
    this.loadAll().catch(() => undefined);
  }
}

interface CachedDevice {
  secretHash: string;
  areaCodes: readonly string[];
  revoked: boolean;
}

const cached = (r: CredentialsRow): CachedDevice => ({ secretHash: r.secretHash, areaCodes: areaCodesOf(r.path), revoked: r.revokedAt !== null && r.revokedAt !== undefined });

export const hashDeviceSecret = (secret: string): string => `sha256$${createHash('sha256').update(secret).digest('hex')}`;

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, secretHash: string): boolean {
  const given = Buffer.from(hashDeviceSecret(secret));
  const expected = Buffer.from(secretHash);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
