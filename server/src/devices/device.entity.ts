import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import type { DeviceKind } from '@loa/shared';
import type { LocationSource } from '@loa/shared/rest';
import { epochMs, jsonArray } from '../database/columns.js';

@Entity('devices')
@Index('idx_devices_online_seen', ['online', 'lastSeenAt'])
@Index('idx_devices_name_key', ['nameKey', 'id'])
export class DeviceEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ type: 'varchar', length: 16 }) kind!: DeviceKind;
  @Index() @ForeignKey('areas') @Column({ name: 'area_code', type: 'varchar', length: 32 }) areaCode!: string;
  @Column({ name: 'secret_hash', type: 'varchar', length: 200 }) secretHash!: string;
  @Column({ type: 'boolean', default: false }) online!: boolean;
  @Column({ name: 'last_seen_at', type: 'bigint', nullable: true, transformer: epochMs }) lastSeenAt!: number | null;
  @Column({ name: 'agent_version', type: 'varchar', length: 64, nullable: true }) agentVersion!: string | null;
  /** Version of the timeline last compiled for the device, and the one it confirmed storing. */
  @Column({ name: 'timeline_version', type: 'integer', default: 0 }) timelineVersion!: number;
  @Column({ name: 'acked_timeline_version', type: 'integer', default: 0 }) ackedTimelineVersion!: number;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  /** Lower-case labels that group tag rules match on; stored as a JSON array of strings. */
  @Column({ type: 'text', default: '[]', transformer: jsonArray }) tags?: string[];
  /** When `online` last changed, and why (a ConnectionReason, see devices/presence-state.ts). */
  @Column({ name: 'presence_changed_at', type: 'bigint', nullable: true, transformer: epochMs }) presenceChangedAt?: number | null;
  @Column({ name: 'presence_reason', type: 'varchar', length: 32, nullable: true }) presenceReason?: string | null;
  /** Board model (issue 6): images are prepared for its resolution. */
  @Column({ name: 'profile_id', type: 'varchar', length: 36, nullable: true }) profileId?: string | null;
  /**
   * Issue 14, the paged device list: its `name` sort key and the text its search matches (common/search-text.ts),
   * written with the name and the tags.
   */
  @Column({ name: 'name_key', type: 'varchar', length: 200, default: '' }) nameKey?: string;
  @Column({ name: 'search_text', type: 'text', default: '' }) searchText?: string;
  /** Issue 18/19: WGS 84 position (CAP polygons and circles reach devices by it), thôn and address. */
  @Column({ type: 'float', nullable: true }) latitude?: number | null;
  @Column({ type: 'float', nullable: true }) longitude?: number | null;
  @Column({ type: 'varchar', length: 120, nullable: true }) village?: string | null;
  @Column({ type: 'varchar', length: 300, nullable: true }) address?: string | null;
  /** Issue 19: who set the location (operator | import | agent); an agent's report never replaces an operator's. */
  @Column({ name: 'location_source', type: 'varchar', length: 16, nullable: true }) locationSource?: LocationSource | null;
}
