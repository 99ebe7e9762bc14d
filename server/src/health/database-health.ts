import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Whether the database answers, and which kind it is, for the health endpoint. */
export abstract class DatabaseHealth {
  /** 'sqlite' or 'postgres'. */
  abstract readonly kind: string;
  /** Resolves when the database answers a trivial query; rejects with its error otherwise. */
  abstract ping(): Promise<void>;
}

@Injectable()
export class TypeOrmDatabaseHealth extends DatabaseHealth {
  constructor(private readonly db: DataSource) {
    super();
  }

  get kind(): string {
    return this.db.options.type === 'better-sqlite3' ? 'sqlite' : this.db.options.type;
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}
