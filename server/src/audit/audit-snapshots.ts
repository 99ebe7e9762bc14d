import { Injectable } from '@nestjs/common';

/** The current state of one resource, or null when it does not exist (before a create, after a delete). */
export type SnapshotLoader = (id: string) => Promise<object | null>;

export interface SnapshotOptions {
  /** The area a snapshot belongs to (scoped readers see the entry), when the resource has one. */
  areaOf?: (snapshot: Record<string, unknown>) => string | null | undefined;
  /** The new resource's id in a create's response; default `id` (or `code`). */
  idOf?: (response: Record<string, unknown>) => string | null | undefined;
}

interface Registered extends SnapshotOptions {
  load: SnapshotLoader;
}

const defaultIdOf = (r: Record<string, unknown>): string | null => {
  const id = r.id ?? r.code;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
};

/**
 * Where features say how to read a resource for the audit log's before/after. Loaders should return plain data;
 * whatever they return is redacted again before it is stored, but they should leave out secret hashes themselves.
 */
@Injectable()
export class AuditSnapshots {
  private readonly loaders = new Map<string, Registered>();

  register(type: string, load: SnapshotLoader, options: SnapshotOptions = {}): void {
    this.loaders.set(type, { load, ...options });
  }

  has(type: string): boolean {
    return this.loaders.has(type);
  }

  async load(type: string, id: string): Promise<Record<string, unknown> | null> {
    const r = this.loaders.get(type);
    if (!r) return null;
    return ((await r.load(id)) as Record<string, unknown> | null) ?? null;
  }

  areaOf(type: string, snapshot: Record<string, unknown> | null): string | null {
    if (snapshot === null) return null;
    const area = this.loaders.get(type)?.areaOf?.(snapshot);
    return typeof area === 'string' ? area : null;
  }

  idOf(type: string, response: unknown): string | null {
    if (typeof response !== 'object' || response === null) return null;
    const r = response as Record<string, unknown>;
    return this.loaders.get(type)?.idOf?.(r) ?? defaultIdOf(r);
  }
}
