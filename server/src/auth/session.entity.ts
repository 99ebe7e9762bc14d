import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

@Entity('sessions')
export class SessionEntity {
  /** sha256 of the bearer token: a stolen database does not yield usable tokens. */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 }) tokenHash!: string;
  @Index() @ForeignKey('users', { onDelete: 'CASCADE' }) @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** The login (refresh-token family) this access token belongs to: revoking the family ends it too. */
  @Index('IDX_sessions_family_id') @Column({ name: 'family_id', type: 'varchar', length: 36, nullable: true }) familyId?: string | null;
}
