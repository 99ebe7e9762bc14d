import type { DeviceKind } from '@loa/shared';
import type { ContentType } from '../contents/content.entity.js';
import type { GroupEntity, TagRule } from '../groups/group.entity.js';
import type { ScheduleTargetEntity } from '../schedules/schedule-target.entity.js';

/** Which kind of device can render which kind of content (its primary channel). */
export const RENDERS: Record<ContentType, DeviceKind> = { audio: 'speaker', text: 'board', relay: 'speaker', image: 'board' };

const SPEAKERS_AND_BOARDS: readonly DeviceKind[] = ['speaker', 'board'];
const ONLY: Record<DeviceKind, readonly DeviceKind[]> = { speaker: ['speaker'], board: ['board'] };

/**
 * Issue 18 ("one message, every channel"): the device kinds a schedule of this content reaches. The one answer for
 * planning, conflicts, counts and approval: audio reaches speakers, and boards too when it carries a board text
 * (shown there for the item's length); text and images reach boards, relays speakers.
 */
export function reachedKinds(content: { type: ContentType; text?: string | null | undefined }): readonly DeviceKind[] {
  return content.type === 'audio' && typeof content.text === 'string' && content.text.trim() !== '' ? SPEAKERS_AND_BOARDS : ONLY[RENDERS[content.type]];
}

/** "speaker", "speaker or board": for messages about the kinds a content reaches. */
export const kindsLabel = (kinds: readonly DeviceKind[]): string => kinds.join(' or ');

/** What targeting needs to know about a device. */
export interface DeviceFacts {
  id: string;
  kind: DeviceKind;
  /** Materialised area path, "/01/00004/". */
  areaPath: string;
  tags: readonly string[];
}

/** Tags are lower-case labels; `all` must all be present, and at least one of `any` if `any` is given. */
export function tagRuleMatches(rule: TagRule | null, tags: readonly string[]): boolean {
  if (!rule) return false;
  const all = rule.all ?? [];
  const any = rule.any ?? [];
  if (all.length === 0 && any.length === 0) return false;
  return all.every((t) => tags.includes(t)) && (any.length === 0 || any.some((t) => tags.includes(t)));
}

export function groupContains(group: Pick<GroupEntity, 'deviceIds' | 'tagRule'>, device: Pick<DeviceFacts, 'id' | 'tags'>): boolean {
  return group.deviceIds.includes(device.id) || tagRuleMatches(group.tagRule, device.tags);
}

/**
 * Pure: does a schedule with these targets reach this device? Area targets cover their whole subtree as it is
 * now, so devices that join an area later are included; groups are evaluated on the device's current tags.
 */
export function targetsReach(targets: readonly Pick<ScheduleTargetEntity, 'kind' | 'ref'>[], device: DeviceFacts, groups: ReadonlyMap<string, Pick<GroupEntity, 'deviceIds' | 'tagRule'>>): boolean {
  return targets.some((t) => {
    if (t.kind === 'device') return t.ref === device.id;
    if (t.kind === 'area') return device.areaPath.includes(`/${t.ref}/`);
    const g = groups.get(t.ref);
    return g !== undefined && groupContains(g, device);
  });
}
