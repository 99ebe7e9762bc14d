import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/**
 * Runs domain work as one unit: everything the repositories do inside `run` commits or rolls back together.
 * Domain code sees only this port, never TypeORM's EntityManager; repositories find the open transaction
 * themselves through `managerOf` / `inTransaction` below. A `run` inside another `run` joins the outer one
 * (no savepoints): the inner work commits when, and only if, the outer work does.
 *
 * Emit domain events after `run` returns, not inside it: a listener's queries would otherwise join (and wait on)
 * the producer's transaction, and would see a change that may still roll back.
 */
export abstract class TransactionRunner {
  abstract run<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * The EntityManager of the transaction open in this async context. Module-level (not per DataSource) because the
 * server opens one DataSource; a test with two DataSources never nests one's transaction inside the other's.
 */
const current = new AsyncLocalStorage<{ manager: EntityManager; open: boolean }>();

/** The open transaction's manager if it is still open, else none (work that outlived its transaction). */
function openManager(): EntityManager | undefined {
  const tx = current.getStore();
  // Async work started inside a transaction (an event listener, a fire-and-forget refresh) inherits the context
  // and may run after the commit; its queries then go to the pool, not to a released (or, on SQLite, reused)
  // query runner.
  return tx?.open ? tx.manager : undefined;
}

/** For repositories: the current transaction's manager, or the DataSource's default manager outside any. */
export function managerOf(db: DataSource): EntityManager {
  const m = openManager();
  return m && m.dataSource === db ? m : db.manager;
}

/**
 * For repositories whose own statements must be atomic: joins the current transaction, or opens one (which
 * later repository calls in the same async context then join). Opening goes through `db.transaction`, so the
 * SQLite queue of `serializeTransactions` still applies to outermost transactions only; a nested one never
 * queues behind its own parent.
 */
export function inTransaction<T>(db: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  const m = openManager();
  if (m && m.dataSource === db) return work(m);
  return db.transaction((manager) => {
    const tx = { manager, open: true };
    active++;
    return current.run(tx, () => work(manager)).finally(() => {
      tx.open = false;
      if (--active === 0) current.disable();
    });
  });
}

/**
 * Transactions open in this process. On Node 20 an enabled AsyncLocalStorage installs a promise hook that more than
 * doubles the cost of every promise in the process (measured: 3 M awaits 160 → 380 ms), and it stays installed after
 * `run` returns. The 10,000 reports/s ingestion path never opens one of these transactions, so the storage is
 * disabled whenever none is open (`run` enables it again); work that outlives its transaction then sees no store,
 * which is what it must see anyway.
 */
let active = 0;

/** How many transactions of this runner are open (tests check that a failed or nested run leaves none behind). */
export const openTransactions = (): number => active;

/** The TypeORM implementation: one DataSource, the transaction held in AsyncLocalStorage. */
@Injectable()
export class TypeOrmTransactionRunner extends TransactionRunner {
  constructor(private readonly db: DataSource) {
    super();
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return inTransaction(this.db, () => fn());
  }
}

/** For unit tests of services: runs the work as is, no database. */
export class ImmediateTransactionRunner extends TransactionRunner {
  runs = 0;
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.runs++;
    return fn();
  }
}
