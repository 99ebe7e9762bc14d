import type { Capabilities } from '@loa/shared/rest';
import type { Role } from './principal.js';

/** What the capabilities depend on besides the role. */
export interface CapabilitySettings {
  /** LOA_OFFICER_MAY_SCHEDULE: commune officers use the full schedule editor (commune-level schedules). */
  officerMaySchedule: boolean;
}

/**
 * Issue 19: the role grants of the routes (roles.ts) as the dashboard needs them, so it hides what a user cannot use.
 * Kept beside the grants: a route whose @Roles changes must change here too (auth.capabilities spec checks the pairs
 * against real requests).
 */
export function capabilitiesOf(role: Role, s: CapabilitySettings): Capabilities {
  const editor = role === 'admin' || role === 'operator';
  const officerScheduling = role === 'commune_officer' && s.officerMaySchedule;
  return {
    createContent: editor,
    readContents: editor || role === 'approver' || officerScheduling,
    schedule: editor || officerScheduling,
    announce: editor || role === 'commune_officer',
    approve: role === 'admin' || role === 'approver',
    command: editor,
    testDevices: editor || role === 'commune_officer',
    manageDevices: editor,
    alerts: editor,
    liveVoice: editor,
    admin: role === 'admin',
  };
}
