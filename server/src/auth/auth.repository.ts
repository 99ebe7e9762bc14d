import { Injectable } from '@nestjs/common';
import { DataSource, LessThan, Not } from 'typeorm';
import { SessionEntity, UserEntity } from '../database/entities.js';

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

  async insertSession(session: SessionEntity): Promise<void> {
    await this.db.getRepository(SessionEntity).insert(session);
  }

  findSession(tokenHash: string): Promise<SessionEntity | null> {
    return this.db.getRepository(SessionEntity).findOneBy({ tokenHash });
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.getRepository(SessionEntity).delete({ tokenHash });
  }

  async updateUser(id: string, patch: Partial<UserEntity>): Promise<void> {
    await this.db.getRepository(UserEntity).update({ id }, patch);
  }

  listUsers(): Promise<UserEntity[]> {
    return this.db.getRepository(UserEntity).find({ order: { username: 'ASC' } });
  }

  /** Ends the user's sessions, except `keepTokenHash` when given. */
  async deleteSessionsOf(userId: string, keepTokenHash?: string): Promise<void> {
    await this.db.getRepository(SessionEntity).delete(keepTokenHash === undefined ? { userId } : { userId, tokenHash: Not(keepTokenHash) });
  }

  async deleteExpiredSessions(now: number): Promise<void> {
    await this.db.getRepository(SessionEntity).delete({ expiresAt: LessThan(now) });
  }
}
