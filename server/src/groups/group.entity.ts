import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs, jsonArray, jsonOrNull } from '../database/columns.js';

export interface TagRule {
  all?: string[] | undefined;
  any?: string[] | undefined;
}

/** A device group: a static list of devices and/or a tag rule; membership is evaluated whenever it matters. */
@Entity('device_groups')
export class GroupEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ name: 'device_ids', type: 'text', transformer: jsonArray }) deviceIds!: string[];
  @Column({ name: 'tag_rule', type: 'text', nullable: true, transformer: jsonOrNull }) tagRule!: TagRule | null;
  @Column({ name: 'created_by', type: 'varchar', length: 36 }) createdBy!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs }) updatedAt!: number;
}
