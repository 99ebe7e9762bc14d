import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PeerPull, PeerPush, PeerTemplates, SourcePeerKind, SourcePeerRole } from '@loa/shared/rest';
import { epochMs, jsonOrNull } from '../database/columns.js';
import type { PeerOutboundAuth } from './peers.port.js';

/**
 * Issue 16: a system we exchange with: the source information system or another Loa, above us (upper) or below
 * (lower). The secrets are stored as they are (they must be usable to sign and to authenticate); the API never
 * answers them after creation, and the audit log redacts them by name.
 */
@Entity('source_peers')
export class SourcePeerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ type: 'varchar', length: 8 }) kind!: SourcePeerKind;
  @Column({ type: 'varchar', length: 8 }) role!: SourcePeerRole;
  @Column({ type: 'boolean' }) enabled!: boolean;
  @Column({ name: 'base_url', type: 'varchar', length: 2000 }) baseUrl!: string;
  @Column({ name: 'remote_peer_id', type: 'varchar', length: 120, nullable: true }) remotePeerId!: string | null;
  @Column({ name: 'inbound_secret', type: 'varchar', length: 200 }) inboundSecret!: string;
  @Column({ name: 'outbound_secret', type: 'varchar', length: 200, nullable: true }) outboundSecret!: string | null;
  @Column({ type: 'text', transformer: jsonOrNull }) auth!: PeerOutboundAuth;
  @Column({ type: 'text', transformer: jsonOrNull }) push!: PeerPush;
  @Column({ type: 'text', transformer: jsonOrNull }) templates!: PeerTemplates;
  @Column({ type: 'text', transformer: jsonOrNull }) pull!: PeerPull;
  @Column({ name: 'timeout_ms', type: 'integer' }) timeoutMs!: number;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}
