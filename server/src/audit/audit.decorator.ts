import { SetMetadata } from '@nestjs/common';

export const AUDIT_META = 'loa:audit';

export interface AuditOptions {
  /** Resource type whose snapshot loader (AuditSnapshots) gives `before`/`after`, e.g. 'device'. */
  resource?: string;
  /** Route parameter holding the resource id; without it the route is a create and `after` is its response. */
  idParam?: string;
  /**
   * Request body keys never recorded: residents' personal data (issue 17), which must be erasable after its retention
   * period, and the audit log keeps entries for years. The entry says they were left out.
   */
  omitBody?: readonly string[];
  /**
   * Issue 19: a POST that only checks or analyses and changes nothing (like a `dryRun`): not audited, as reads are
   * not. Requests with `dryRun: true` in the body or `?dryRun=true` are recognised without it.
   */
  readOnly?: boolean;
}

export interface AuditMeta extends AuditOptions {
  action: string;
}

/**
 * Names the audit action of a mutating route (default: `<controller tag>.<handler>`) and, with `resource`, has the
 * audit interceptor record the resource's state before and after the call.
 */
export const Audit = (action: string, options: AuditOptions = {}) => SetMetadata(AUDIT_META, { action, ...options } satisfies AuditMeta);
