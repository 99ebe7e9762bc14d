import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Whether the database answers, and which kind it is, for the health endpoint. */
export abstract class DatabaseHealth {
  /** 'sqlite' or 'postgres'. */
  abstract readonly kind: string;
  /** Resolves when the database answers a trivial query; rejects with its error otherwise. */
  abstract ping(): Promise<void>;
  /** How many of the code's migrations the database lacks; rejects when it cannot tell. */
  abstract pendingMigrations(): Promise<number>;
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

  /** Issue 20: migrations the code knows that the database has not applied (readiness). */
  async pendingMigrations(): Promise<number> {
    const applied = (await this.db.query('SELECT name FROM migrations')) as Array<{ name: string }>;
    const names = new Set(applied.map((r) => r.name));
    return this.db.migrations.filter((m) => !names.has(m.name ?? m.constructor.name)).length;
  }
}
