import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** One entry of the installation's pronunciation dictionary (issue 19 item 9). A term appears once, as written. */
@Entity('tts_dictionary')
export class TtsDictionaryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id!: string;
  @Index('uq_tts_dictionary_term', { unique: true }) @Column({ type: 'varchar', length: 100 }) term!: string;
  @Column({ type: 'varchar', length: 300 }) spoken!: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) note!: string | null;
  @Column({ name: 'created_by', type: 'varchar', length: 36, nullable: true }) createdBy!: string | null;
  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs }) createdAt!: number;
  @Column({ name: 'updated_at', type: 'bigint', nullable: true, transformer: epochMs }) updatedAt!: number | null;
}
