import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A content category (thể loại tin); `essential` marks "thông tin thiết yếu", the subject of the KH 179 figure. */
@Entity('content_categories')
export class ContentCategoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 }) code!: string;
  @Column({ type: 'varchar', length: 100 }) name!: string;
  @Column({ type: 'boolean' }) essential!: boolean;
}
