import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** One refresh token of a login's rotation chain; kept after use (used_at) so that a replay is recognised. */
@Entity('refresh_tokens')
export class RefreshTokenEntity {
  /** sha256 of the token, like sessions. */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 }) tokenHash!: string;
  @Index() @Column({ name: 'family_id', type: 'varchar', length: 36 }) familyId!: string;
  @Column({ name: 'parent_hash', type: 'varchar', length: 64, nullable: true }) parentHash!: string | null;
  @Index() @ForeignKey('users', { onDelete: 'CASCADE' }) @Column({ name: 'user_id', type: 'varchar', length: 36 }) userId!: string;
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs }) expiresAt!: number;
  @Column({ name: 'used_at', type: 'bigint', nullable: true, transformer: epochMs }) usedAt!: number | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}
