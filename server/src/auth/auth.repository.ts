import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, LessThan, Not } from 'typeorm';
import { inTransaction, managerOf } from '../database/transaction-runner.js';
import { UserEntity } from '../users/user.entity.js';
import { LoginFailureEntity } from './login-failure.entity.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';
import { SessionEntity } from './session.entity.js';
import { updateColumns } from '../database/update-columns.js';

@Injectable()
export class AuthRepository {
  constructor(private readonly db: DataSource) {}

  countUsers(): Promise<number> {
    return this.db.getRepository(UserEntity).count();
  }

  findUserByUsername(username: string): Promise<UserEntity | null> {
    return this.db.getRepository(UserEntity).findOneBy({ username });
  }

  findUserById(id: string): Promise<UserEntity | null> {
    return this.db.getRepository(UserEntity).findOneBy({ id });
  }

  async insertUser(user: UserEntity): Promise<void> {
    await this.db.getRepository(UserEntity).insert(user);
  }

  /** An access token and the refresh token issued with it, stored together or not at all. */
  async insertTokens(session: SessionEntity, refresh: RefreshTokenEntity): Promise<void> {
    const m = managerOf(this.db);
    await m.getRepository(SessionEntity).insert(session);
    await m.getRepository(RefreshTokenEntity).insert(refresh);
  }

  findSession(tokenHash: string): Promise<SessionEntity | null> {
    return this.db.getRepository(SessionEntity).findOneBy({ tokenHash });
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.getRepository(SessionEntity).delete({ tokenHash });
  }

  findRefreshToken(tokenHash: string): Promise<RefreshTokenEntity | null> {
    return this.db.getRepository(RefreshTokenEntity).findOneBy({ tokenHash });
  }

  /**
   * Marks the token used if nobody did before: one conditional UPDATE, so of two concurrent refreshes with the same
   * token (in any server process) exactly one wins and the other is seen as a replay.
   */
  async claimRefreshToken(tokenHash: string, now: number): Promise<boolean> {
    const r = await managerOf(this.db).getRepository(RefreshTokenEntity).update({ tokenHash, usedAt: IsNull() }, { usedAt: now });
    return (r.affected ?? 0) === 1;
  }

  /** Ends one login everywhere: its access tokens and every refresh token of its rotation chain. */
  async revokeFamily(familyId: string): Promise<void> {
    await inTransaction(this.db, async (m) => {
      await m.getRepository(SessionEntity).delete({ familyId });
      await m.getRepository(RefreshTokenEntity).delete({ familyId });
    });
  }

  async updateUser(id: string, patch: Partial<UserEntity>): Promise<void> {
    await updateColumns(this.db.getRepository(UserEntity), { id }, patch);
  }

  listUsers(): Promise<UserEntity[]> {
    return this.db.getRepository(UserEntity).find({ order: { username: 'ASC' } });
  }

  /**
   * Ends the user's logins (access and refresh tokens). `keep` spares the caller's own login: its access token and,
   * when it has one, its family. Used by user management (disable, role, area, password reset) and by one's own
   * password change.
   */
  async deleteSessionsOf(userId: string, keep?: { tokenHash: string; familyId: string | null }): Promise<void> {
    await inTransaction(this.db, async (m) => {
      const sessions = m.getRepository(SessionEntity);
      const refresh = m.getRepository(RefreshTokenEntity);
      if (keep === undefined) {
        await sessions.delete({ userId });
        await refresh.delete({ userId });
        return;
      }
      if (keep.familyId === null) {
        await sessions.delete({ userId, tokenHash: Not(keep.tokenHash) });
        await refresh.delete({ userId });
        return;
      }
      // `<>` is never true for NULL, so tokens without a family (issued before refresh tokens) go separately.
      await sessions.delete({ userId, familyId: Not(keep.familyId) });
      await sessions.delete({ userId, familyId: IsNull() });
      await refresh.delete({ userId, familyId: Not(keep.familyId) });
    });
  }

  async deleteExpired(now: number, failureWindowMs: number): Promise<void> {
    await this.db.getRepository(SessionEntity).delete({ expiresAt: LessThan(now) });
    await this.db.getRepository(RefreshTokenEntity).delete({ expiresAt: LessThan(now) });
    await this.db
      .createQueryBuilder()
      .delete()
      .from(LoginFailureEntity)
      .where('locked_until < :now AND window_start < :cutoff', { now, cutoff: now - failureWindowMs })
      .execute();
  }

  findLoginFailure(username: string): Promise<LoginFailureEntity | null> {
    return this.db.getRepository(LoginFailureEntity).findOneBy({ username });
  }

  /**
   * Counts one failed login in the database with single statements (no read-modify-write), so concurrent failures
   * in several processes all count. A window older than `windowMs` restarts at this failure. Returns the count.
   */
  async addLoginFailure(username: string, now: number, windowMs: number): Promise<number> {
    await this.db
      .createQueryBuilder()
      .insert()
      .into(LoginFailureEntity)
      .values({ username, failures: 0, windowStart: now, lockedUntil: 0 })
      .orIgnore()
      .execute();
    await this.db
      .createQueryBuilder()
      .update(LoginFailureEntity)
      .set({
        failures: () => 'CASE WHEN window_start <= :cutoff THEN 1 ELSE failures + 1 END',
        windowStart: () => 'CASE WHEN window_start <= :cutoff THEN :now ELSE window_start END',
      })
      .where('username = :username', { username })
      .setParameters({ cutoff: now - windowMs, now })
      .execute();
    return (await this.findLoginFailure(username))?.failures ?? 1;
  }

  /** Locks the username until `until` and starts a fresh count for after the lock. */
  async lockLogin(username: string, until: number): Promise<void> {
    await this.db.getRepository(LoginFailureEntity).update({ username }, { lockedUntil: until, failures: 0 });
  }

  async clearLoginFailures(username: string): Promise<void> {
    await this.db.getRepository(LoginFailureEntity).delete({ username });
  }
}
