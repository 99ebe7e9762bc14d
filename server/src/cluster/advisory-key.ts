import { createHash } from 'node:crypto';

/**
 * The 64-bit PostgreSQL advisory lock key of a name, as the decimal text of a signed bigint (pass it as `$1::bigint`).
 * Every instance derives the same key from the same name. `hashtext()` would give 32 bits: two lock names colliding
 * there would, when one is taken inside the other on two pool connections, make a process wait on itself forever.
 * Advisory locks are scoped to the database, so deployments sharing a PostgreSQL server never meet.
 */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/** The lock whose holder leads (runs the periodic jobs). Apart from every NamedLocks name by its prefix. */
export const LEADER_LOCK = 'loa:leader';
/** Prefix of the keys of NamedLocks names. */
export const NAMED_LOCK_PREFIX = 'loa:lock:';
