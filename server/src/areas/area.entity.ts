import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

@Entity('areas')
export class AreaEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 }) code!: string;
  @Column({ type: 'varchar', length: 200 }) name!: string;
  @Column({ type: 'varchar', length: 32 }) level!: string;
  @Index() @ForeignKey('areas') @Column({ name: 'parent_code', type: 'varchar', length: 32, nullable: true }) parentCode!: string | null;
  /** Materialised path of codes, "/01/004/00115/" (areaPath, areaCodesOf below): a subtree is one prefix match. */
  @Index() @Column({ type: 'varchar', length: 400 }) path!: string;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
}

/*
 * The format of the `path` column, beside it: features that read a path (device credentials, timelines) depend on
 * the areas schema, as they do on the entity, not on the areas feature.
 */

/** "/01/004/" + "00115" → "/01/004/00115/": a subtree is one prefix match, the ancestors are the path's segments. */
export const areaPath = (parentPath: string | null, code: string): string => `${parentPath ?? '/'}${code}/`;

/** "/01/004/00115/" → ["01", "004", "00115"]: the unit and its ancestors, root first. */
export const areaCodesOf = (path: string): string[] => path.split('/').filter((c) => c.length > 0);
