import type { ContentState } from './content.entity.js';
import { badRequest } from '../common/loa-error.js';

export type LifecycleAction = 'submit' | 'approve' | 'reject' | 'archive';

/** Pure: which states each step may start from, and where it leads. */
const STEPS: Record<LifecycleAction, { from: readonly ContentState[]; to: ContentState }> = {
  submit: { from: ['draft', 'rejected'], to: 'submitted' },
  approve: { from: ['submitted'], to: 'approved' },
  reject: { from: ['submitted'], to: 'rejected' },
  archive: { from: ['draft', 'submitted', 'approved', 'rejected'], to: 'archived' },
};

export function nextState(current: ContentState, action: LifecycleAction): ContentState | null {
  const step = STEPS[action];
  return step.from.includes(current) ? step.to : null;
}

/** Only draft or rejected content may be edited; approved content is immutable (an edit is a new content). */
export const isEditable = (s: ContentState): boolean => s === 'draft' || s === 'rejected';

/**
 * Only approved content reaches devices (issue 6), by a schedule or a command alike; the refusal names the state.
 * A content without a state predates the lifecycle and counts as approved.
 */
export function requireApproved(content: { id: string; state?: ContentState | null }, use: 'scheduled' | 'played'): void {
  const state = content.state ?? 'approved';
  if (state !== 'approved') throw badRequest('content.not-approved', { id: content.id, state, use });
}
