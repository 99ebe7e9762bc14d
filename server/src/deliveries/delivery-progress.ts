import type { DeliveryState } from '@loa/shared';
import { rawNum as num, rawNumOrNull as numOrNull, rawStrOrNull as strOrNull } from '../database/raw-values.js';
import type { DeliveryEntity } from './delivery.entity.js';

/** How far one delivery got: the part of a delivery record every view of it (matrix, device page, CSV) shows. */
export type DeliveryProgress = Pick<DeliveryEntity, 'state' | 'queuedAt' | 'deliveredAt' | 'startedAt' | 'endedAt' | 'playedMs' | 'heardMs' | 'itemMs' | 'reason'>;

/** The select list of a delivery's progress, for a raw query over deliveries aliased `d`. */
export const DELIVERY_PROGRESS_COLUMNS: readonly string[] = [
  'd.state AS "state"',
  'd.queued_at AS "queuedAt"',
  'd.delivered_at AS "deliveredAt"',
  'd.started_at AS "startedAt"',
  'd.ended_at AS "endedAt"',
  'd.played_ms AS "playedMs"',
  'd.heard_ms AS "heardMs"',
  'd.item_ms AS "itemMs"',
  'd.reason AS "reason"',
];

/** A raw row selected with DELIVERY_PROGRESS_COLUMNS, typed (PostgreSQL returns bigints as strings). */
export const deliveryProgressOf = (r: Record<string, unknown>): DeliveryProgress => ({
  state: r.state as DeliveryState,
  queuedAt: num(r.queuedAt),
  deliveredAt: numOrNull(r.deliveredAt),
  startedAt: numOrNull(r.startedAt),
  endedAt: numOrNull(r.endedAt),
  playedMs: numOrNull(r.playedMs),
  heardMs: numOrNull(r.heardMs),
  itemMs: numOrNull(r.itemMs),
  reason: strOrNull(r.reason),
});
