import { BadRequestException, HttpException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { newId, randomToken } from '../common/ids.js';
import { PasswordHasher } from '../common/password-hasher.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AuthRepository } from './auth.repository.js';
import type { Role, UserPrincipal } from './principal.js';
import type { UserEntity } from '../database/entities.js';

export interface LoginResult {
  accessToken: string;
  tokenType: 'Bearer';
  expiresAt: string;
  user: { id: string; username: string; role: Role; areaCode: string | null };
}

/** Lockout: this many failed logins for one username within the window lock it for LOCK_MS (kept in memory). */
export const MAX_FAILED_LOGINS = 5;
const FAIL_WINDOW_MS = 15 * 60_000;
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

  /** Failed logins per username (known or not, so that lockout reveals nothing): timestamps in the window, lock end. */
  private readonly failures = new Map<string, { at: number[]; lockedUntil: number }>();

  async login(username: string, password: string): Promise<LoginResult> {
    const now0 = this.clock.now();
    const f = this.failures.get(username);
    if (f && f.lockedUntil > now0) {
      const minutes = Math.ceil((f.lockedUntil - now0) / 60_000);
      throw new HttpException(`too many failed logins for this account; try again in ${minutes} min`, HttpStatus.TOO_MANY_REQUESTS);
    }
    const user = await this.repo.findUserByUsername(username);
    // Verify against a dummy hash when the user is unknown so timing does not reveal which usernames exist.
    const ok = user ? await this.hasher.verify(password, user.passwordHash) : await this.hasher.verify(password, DUMMY_HASH).then(() => false);
    if (!user || !ok) {
      this.recordFailure(username, now0);
      this.logger.warn({ ctx: 'auth', username }, 'login refused');
      throw new UnauthorizedException('wrong username or password');
    }
    this.failures.delete(username);
    if (user.disabled) throw new UnauthorizedException('this account is disabled');
    const token = randomToken(32);
    const now = this.clock.now();
    const expiresAt = now + this.config.sessionTtlMs;
    await this.repo.insertSession({ tokenHash: hashToken(token), userId: user.id, expiresAt, createdAt: now });
    await this.repo.deleteExpiredSessions(now);
    return { accessToken: token, tokenType: 'Bearer', expiresAt: new Date(expiresAt).toISOString(), user: publicUser(user) };
  }

  async authenticate(token: string): Promise<UserPrincipal | null> {
    const session = await this.repo.findSession(hashToken(token));
    if (!session || session.expiresAt <= this.clock.now()) return null;
    const user = await this.repo.findUserById(session.userId);
    if (!user || user.disabled) return null;
    return { type: 'user', userId: user.id, username: user.username, role: user.role as Role, areaCode: user.areaCode };
  }

  async logout(token: string): Promise<void> {
    await this.repo.deleteSession(hashToken(token));
  }

  /** Changes one's own password; every other session of the user is ended (the current one stays). */
  async changePassword(userId: string, current: string, next: string, currentToken: string): Promise<void> {
    const user = await this.repo.findUserById(userId);
    if (!user) throw new UnauthorizedException('unknown user');
    if (!(await this.hasher.verify(current, user.passwordHash))) throw new BadRequestException('the current password is wrong');
    if (next === current) throw new BadRequestException('the new password must differ from the current one');
    await this.repo.updateUser(userId, { passwordHash: await this.hasher.hash(next), updatedAt: this.clock.now() });
    await this.repo.deleteSessionsOf(userId, hashToken(currentToken));
  }

  private recordFailure(username: string, now: number): void {
    const f = this.failures.get(username) ?? { at: [], lockedUntil: 0 };
    f.at = [...f.at.filter((t) => t > now - FAIL_WINDOW_MS), now];
    if (f.at.length >= MAX_FAILED_LOGINS) {
      f.lockedUntil = now + LOCK_MS;
      f.at = [];
      this.logger.warn({ ctx: 'auth', username }, 'account locked after repeated failed logins');
    }
    this.failures.set(username, f);
    if (this.failures.size > 10_000) for (const [k, v] of this.failures) if (v.lockedUntil <= now && (v.at.at(-1) ?? 0) <= now - FAIL_WINDOW_MS) this.failures.delete(k);
  }
}

const publicUser = (u: UserEntity): LoginResult['user'] => ({ id: u.id, username: u.username, role: u.role as Role, areaCode: u.areaCode });

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
