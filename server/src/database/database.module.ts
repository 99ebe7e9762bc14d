import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TransactionRunner, TypeOrmTransactionRunner } from './transaction-runner.js';

@Global()
@Module({})
export class DatabaseModule {
  /** The DataSource is opened (and migrated) by the bootstrap before Nest starts, so failures are reported plainly. */
  static forRoot(dataSource: DataSource): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [{ provide: DataSource, useValue: dataSource }, { provide: TransactionRunner, useClass: TypeOrmTransactionRunner }],
      exports: [DataSource, TransactionRunner],
    };
  }
}
