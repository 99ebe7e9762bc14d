import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { newId, randomToken } from '../common/ids.js';
import { PasswordHasher } from '../common/password-hasher.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AuthRepository } from './auth.repository.js';
import type { Role, UserPrincipal } from './principal.js';
import type { UserEntity } from '../users/user.entity.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { badRequest, tooMany, unauthorized } from '../common/loa-error.js';
import type { Capabilities, LoginResult } from '@loa/shared/rest';
import { capabilitiesOf } from './capabilities.js';
import { verifyAssertion } from './practice-assertion.js';
export type { LoginResult } from '@loa/shared/rest';

/** Lockout: this many failed logins for one username within the window lock it for LOCK_MS (counted in the database). */
export const MAX_FAILED_LOGINS = 5;
export const FAIL_WINDOW_MS = 15 * 60_000;
const LOCK_MS = 15 * 60_000;
export const MIN_PASSWORD_LENGTH = 8;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

@Injectable()
export class AuthService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly tx: TransactionRunner,
  ) {}

  /**
   * On an empty database, create the first admin so a fresh install is usable. A generated password is printed
   * once, on stdout, because there is no other channel to hand it to the operator.
   */
  async ensureFirstAdmin(): Promise<{ created: boolean; generatedPassword?: string }> {
    if ((await this.repo.countUsers()) > 0) return { created: false };
    const password = this.config.adminPassword ?? randomToken(12);
    await this.repo.insertUser({
      id: newId(),
      username: this.config.adminUsername,
      passwordHash: await this.hasher.hash(password),
      role: 'admin',
      areaCode: null,
      createdAt: this.clock.now(),
    });
    if (this.config.adminPassword) {
      this.logger.info({ ctx: 'auth', username: this.config.adminUsername }, 'created first admin with LOA_ADMIN_PASSWORD');
      return { created: true };
    }
    this.logger.warn({ ctx: 'auth', username: this.config.adminUsername }, 'created first admin with a generated password (printed once below)');
    process.stdout.write(`\n  First admin: ${this.config.adminUsername} / ${password}\n  Change it, or set LOA_ADMIN_PASSWORD before the first start.\n\n`);
    return { created: true, generatedPassword: password };
  }

  async login(username: string, password: string): Promise<LoginResult> {
    const now0 = this.clock.now();
    const f = await this.repo.findLoginFailure(username);
    if (f && f.lockedUntil > now0) {
      const minutes = Math.ceil((f.lockedUntil - now0) / 60_000);
      throw tooMany('auth.locked', { minutes });
    }
    const user = await this.repo.findUserByUsername(username);
    // Verify against a dummy hash when the user is unknown so timing does not reveal which usernames exist.
    const ok = user ? await this.hasher.verify(password, user.passwordHash) : await this.hasher.verify(password, DUMMY_HASH).then(() => false);
    if (!user || !ok) {
      await this.recordFailure(username, now0);
      this.logger.warn({ ctx: 'auth', username }, 'login refused');
      throw unauthorized('auth.wrong-credentials');
    }
    if (f) await this.repo.clearLoginFailures(username);
    if (user.disabled) throw unauthorized('auth.disabled');
    const now = this.clock.now();
    await this.repo.deleteExpired(now, FAIL_WINDOW_MS);
    return this.issue(user, newId(), null, now);
  }

  /**
   * Rotation: the refresh token is spent and a new access + refresh pair of the same family is issued. A token
   * presented a second time means two parties hold it (one of them stole it), so the whole family is revoked,
   * including the access token the legitimate refresh just received.
   */
  async refresh(refreshToken: string): Promise<LoginResult> {
    const now = this.clock.now();
    const hash = hashToken(refreshToken);
    const row = await this.repo.findRefreshToken(hash);
    if (!row) throw new UnauthorizedException('invalid refresh token');
    if (row.usedAt !== null) return this.replayed(row.familyId, row.userId);
    if (row.expiresAt <= now) throw unauthorized('auth.refresh-expired');
    const user = await this.repo.findUserById(row.userId);
    if (!user || user.disabled) {
      await this.repo.revokeFamily(row.familyId);
      throw unauthorized('auth.disabled');
    }
    // The claim and the new pair commit together: a crash between them can neither burn the token nor mint twice.
    const result = await this.tx.run(async () => {
      if (!(await this.repo.claimRefreshToken(hash, now))) return null;
      return this.issue(user, row.familyId, hash, now);
    });
    return result ?? this.replayed(row.familyId, row.userId);
  }

  async authenticate(token: string): Promise<UserPrincipal | null> {
    // Issue 21: a practice instance has no logins of its own; it believes only the main server's identity assertion
    // (the main server authenticated the user), mapped by username to the mirrored user.
    if (this.config.practice?.mode) return this.fromPracticeAssertion(token);
    const session = await this.repo.findSession(hashToken(token));
    if (!session || session.expiresAt <= this.clock.now()) return null;
    const user = await this.repo.findUserById(session.userId);
    if (!user || user.disabled) return null;
    const principal: UserPrincipal = { type: 'user', userId: user.id, username: user.username, role: user.role as Role, areaCode: user.areaCode };
    // Only present when set, so every other principal keeps its shape.
    return user.mustChangePassword ? { ...principal, mustChangePassword: true } : principal;
  }

  private async fromPracticeAssertion(token: string): Promise<UserPrincipal | null> {
    const identity = verifyAssertion(this.config.practice.secret ?? '', token, this.clock.now());
    if (!identity) return null;
    const user = await this.repo.findUserByUsername(identity.username);
    if (!user || user.disabled) return null;
    return { type: 'user', userId: user.id, username: user.username, role: user.role as Role, areaCode: user.areaCode };
  }

  /** Ends the login the access token belongs to: its refresh tokens and every access token of its family. */
  async logout(token: string): Promise<void> {
    const session = await this.repo.findSession(hashToken(token));
    if (!session) return;
    if (session.familyId) await this.repo.revokeFamily(session.familyId);
    else await this.repo.deleteSession(session.tokenHash);
  }

  /** Changes one's own password; every other login of the user is ended (the current one stays). */
  async changePassword(userId: string, current: string, next: string, currentToken: string): Promise<void> {
    const user = await this.repo.findUserById(userId);
    if (!user) throw new UnauthorizedException('unknown user');
    if (!(await this.hasher.verify(current, user.passwordHash))) throw badRequest('password.current-wrong');
    if (next === current) throw badRequest('password.unchanged');
    // The user chose this one: a forced change (issue 19) is done.
    await this.repo.updateUser(userId, { passwordHash: await this.hasher.hash(next), updatedAt: this.clock.now(), mustChangePassword: false });
    const session = await this.repo.findSession(hashToken(currentToken));
    await this.repo.deleteSessionsOf(userId, { tokenHash: hashToken(currentToken), familyId: session?.familyId ?? null });
  }

  /** Issue 19: what a user of this role may do here (the dashboard hides the rest). */
  capabilities(role: Role): Capabilities {
    return capabilitiesOf(role, { officerMaySchedule: this.config.officerMaySchedule });
  }

  private async issue(user: UserEntity, familyId: string, parentHash: string | null, now: number): Promise<LoginResult> {
    const accessToken = randomToken(32);
    const refreshToken = randomToken(32);
    const expiresAt = now + this.config.accessTokenTtlMs;
    const refreshExpiresAt = now + this.config.refreshTokenTtlMs;
    await this.repo.insertTokens(
      { tokenHash: hashToken(accessToken), userId: user.id, expiresAt, createdAt: now, familyId },
      { tokenHash: hashToken(refreshToken), familyId, parentHash, userId: user.id, expiresAt: refreshExpiresAt, usedAt: null, createdAt: now },
    );
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresAt: new Date(expiresAt).toISOString(),
      refreshToken,
      refreshExpiresAt: new Date(refreshExpiresAt).toISOString(),
      user: { ...publicUser(user), can: this.capabilities(user.role as Role) },
    };
  }

  private async replayed(familyId: string, userId: string): Promise<never> {
    await this.repo.revokeFamily(familyId);
    this.logger.warn({ ctx: 'auth', userId, familyId }, 'refresh token presented twice: login revoked');
    throw new UnauthorizedException('this refresh token was already used; the login has been revoked, log in again');
  }

  private async recordFailure(username: string, now: number): Promise<void> {
    const failures = await this.repo.addLoginFailure(username, now, FAIL_WINDOW_MS);
    if (failures >= MAX_FAILED_LOGINS) {
      await this.repo.lockLogin(username, now + LOCK_MS);
      this.logger.warn({ ctx: 'auth', username }, 'account locked after repeated failed logins');
    }
  }
}

const publicUser = (u: UserEntity): LoginResult['user'] => ({
  id: u.id,
  username: u.username,
  role: u.role as Role,
  areaCode: u.areaCode,
  fullName: u.fullName ?? null,
  mustChangePassword: u.mustChangePassword ?? false,
});

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
