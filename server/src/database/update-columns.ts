import type { FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';

/**
 * UPDATE … SET only the columns the patch gives (undefined means "leave it"). TypeORM throws
 * UpdateValuesMissingError on an empty SET, which reached callers as a 500 although an edit that changes nothing
 * (a PATCH with the current values) is ordinary input: an empty patch writes nothing and affects no row.
 * Not for compare-and-set writes that read `affected` as "someone else got there first".
 */
export async function updateColumns<T extends ObjectLiteral>(repo: Repository<T>, where: FindOptionsWhere<T>, patch: QueryDeepPartialEntity<T>): Promise<number> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as QueryDeepPartialEntity<T>;
  if (Object.keys(set).length === 0) return 0;
  return (await repo.update(where, set)).affected ?? 0;
}
