import type { AreaScope } from '../auth/area-scope.js';
import type { ServerEvent } from './event-bus.js';

/**
 * Whether a live event reaches a client of this area scope. An event without `areaCode` reaches everyone; one with it
 * reaches the clients whose scope contains that area (the area is theirs or below theirs). An event that also marks
 * itself `covering` concerns the area's whole subtree (an alert's live counts): it reaches as well the clients whose
 * own area lies inside it, i.e. whose scope root has that area on its path (a commune officer under a province alert
 * sees the banner, so they get its counts too). No scope (not computed yet): nothing scoped.
 */
export function reachesScope(event: Pick<ServerEvent, 'areaCode' | 'covering'>, scope: AreaScope | undefined): boolean {
  const areaCode = typeof event.areaCode === 'string' ? event.areaCode : null;
  if (areaCode === null) return true;
  if (!scope) return false;
  if (scope.contains(areaCode)) return true;
  return event.covering === true && scope.pathPrefix !== null && scope.pathPrefix.includes(`/${areaCode}/`);
}
