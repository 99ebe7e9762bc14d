import { Injectable } from '@nestjs/common';

/**
 * Mutual exclusion by name: callers of `run` with the same name run one after another, in call order; different
 * names never wait for each other. A holder that throws releases the lock like one that returns, and its error
 * goes only to its own caller.
 *
 * This is the port the server's critical sections (timeline recompiles, command sends, materialisation) go
 * through, so that they do not assume one process. `InProcessNamedLocks` serves a single instance (SQLite); with
 * several instances on PostgreSQL, `PostgresNamedLocks` (cluster/) fills the same contract with an advisory lock held
 * for the duration of `fn`, without the callers changing. Taking one lock inside another is allowed (in a fixed
 * order, as everywhere); the ClusterModule chooses the implementation.
 */
export abstract class NamedLocks {
  abstract run<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** Promise chain per name; the map holds only names that have a holder or waiters, so it empties when idle. */
@Injectable()
export class InProcessNamedLocks extends NamedLocks {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const result = previous.then(fn);
    // The tail never rejects, so one holder's failure cannot reject (or skip) the next holder.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return result;
  }

  /** Names currently held or awaited (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
