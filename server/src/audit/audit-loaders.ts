import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditSnapshots } from './audit-snapshots.js';
import { AuditSnapshotsRepository } from './audit-snapshots.repository.js';

/** Only the listed fields: what an operator sets, not what changes by itself (presence, timeline versions). */
function pick<T extends object, K extends keyof T>(row: T | null, keys: readonly K[]): Pick<T, K> | null {
  if (row === null) return null;
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = row[k];
  return out;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * Snapshot loaders for the resources whose changes the audit log shows as before/after. They read the tables
 * directly (AuditSnapshotsRepository, no feature service) so that auditing never changes a feature's behaviour,
 * and they never pick password or secret hashes.
 */
@Injectable()
export class AuditLoaders implements OnModuleInit {
  constructor(
    private readonly db: AuditSnapshotsRepository,
    private readonly snapshots: AuditSnapshots,
  ) {}

  onModuleInit(): void {
    const s = this.snapshots;
    const db = this.db;
    s.register(
      'device',
      async (id) => {
        const d = pick(await db.device(id), ['id', 'name', 'kind', 'areaCode', 'tags', 'profileId']);
        if (!d) return null;
        return { ...d, revoked: await db.deviceRevoked(id) };
      },
      // A registration answers { device, secret }.
      { areaOf: (d) => str(d.areaCode), idOf: (r) => str((r.device as { id?: unknown } | undefined)?.id) ?? str(r.id) },
    );
    s.register('content', async (id) =>
      pick(await db.content(id), [
        'id', 'type', 'title', 'state', 'rejectReason', 'mediaSha256', 'text', 'url', 'style', 'imageSha256', 'durationMs', 'validFrom', 'validUntil', 'createdBy',
      ]),
    );
    s.register(
      'schedule',
      async (id) => {
        const row = pick(await db.schedule(id), [
          'id', 'contentId', 'status', 'priority', 'startAt', 'rrule', 'exdates', 'timezone', 'repeat', 'gapMs', 'onPreempt', 'volume', 'createdBy',
          // Issue 19: approving or rejecting changes only these, so they must be in before/after.
          'approval', 'approvedBy', 'approvedAt', 'rejectedBy', 'rejectedAt', 'rejectedReason',
        ]);
        if (!row) return null;
        const targets = await db.scheduleTargets(id);
        const of = (kind: string) => targets.filter((t) => t.kind === kind).map((t) => t.ref);
        return { ...row, targets: { areas: of('area'), groups: of('group'), devices: of('device') } };
      },
      {
        // Only a schedule aimed at one area has an obvious home; wider ones are seen through the actor's area.
        areaOf: (s) => {
          const t = s.targets as { areas: string[]; groups: string[]; devices: string[] };
          return t.areas.length === 1 && t.groups.length === 0 && t.devices.length === 0 ? (t.areas[0] ?? null) : null;
        },
      },
    );
    s.register('group', async (id) => pick(await db.group(id), ['id', 'name', 'deviceIds', 'tagRule']));
    s.register('user', async (id) => pick(await db.user(id), ['id', 'username', 'fullName', 'phone', 'role', 'areaCode', 'disabled', 'mustChangePassword']), {
      areaOf: (u) => str(u.areaCode),
    });
    s.register('area', async (code) => pick(await db.area(code), ['code', 'name', 'level', 'parentCode']), {
      areaOf: (a) => str(a.code),
      idOf: (r) => str(r.code),
    });
    s.register(
      'alert',
      async (id) =>
        pick(await db.alert(id), [
          'id', 'areaCode', 'status', 'priority', 'title', 'text', 'mediaSha256', 'volume', 'replaces', 'effectiveAt', 'expiresAt', 'cancelledAt', 'confirmedBy', 'confirmedAt',
        ]),
      { areaOf: (a) => str(a.areaCode) },
    );
    s.register('board-profile', async (id) => pick(await db.boardProfile(id), ['id', 'name', 'width', 'height', 'orientation']));
  }
}
