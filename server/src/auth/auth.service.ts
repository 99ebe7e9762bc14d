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
import type { UserEntity } from '../database/entities.js';

export interface LoginResult {
  accessToken: string;
  tokenType: 'Bearer';
  expiresAt: string;
  user: { id: string; username: string; role: Role; areaCode: string | null };
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

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

  async login(username: string, password: string): Promise<LoginResult> {
    const user = await this.repo.findUserByUsername(username);
    // Verify against a dummy hash when the user is unknown so timing does not reveal which usernames exist.
    const ok = user ? await this.hasher.verify(password, user.passwordHash) : await this.hasher.verify(password, DUMMY_HASH).then(() => false);
    if (!user || !ok) {
      this.logger.warn({ ctx: 'auth', username }, 'login refused');
      throw new UnauthorizedException('wrong username or password');
    }
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
    if (!user) return null;
    return { type: 'user', userId: user.id, username: user.username, role: user.role as Role, areaCode: user.areaCode };
  }

  async logout(token: string): Promise<void> {
    await this.repo.deleteSession(hashToken(token));
  }
}

const publicUser = (u: UserEntity): LoginResult['user'] => ({ id: u.id, username: u.username, role: u.role as Role, areaCode: u.areaCode });

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
