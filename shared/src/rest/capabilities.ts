import { z } from 'zod';

/**
 * Issue 19: what the signed-in user may do, computed by the server from its role and the installation's settings
 * (LOA_OFFICER_MAY_SCHEDULE). The dashboard hides menu entries, buttons and pages the user cannot use instead of
 * letting the server refuse after the click. The server still checks every request: this is a hint, not the gate.
 */
export const capabilitiesSchema = z.object({
  /** Upload audio, write texts and images, edit the content library. */
  createContent: z.boolean(),
  /** Read the content library (schedulers need it to pick content). */
  readContents: z.boolean(),
  /** Create and edit schedules (the calendar's "+ Tạo lịch phát"). */
  schedule: z.boolean(),
  /** Announce inside one's own area (POST /api/v1/announcements: record or type, approval by the rules). */
  announce: z.boolean(),
  /** Approve or reject content, schedules and alerts. */
  approve: z.boolean(),
  /** Every remote command to devices of one's area (restart, resync, logs…). */
  command: z.boolean(),
  /** Test play, self-test and volume on one's own speakers (POST /api/v1/commune/devices/:id/commands). */
  testDevices: z.boolean(),
  /** Register, provision, revoke devices, groups and board profiles (the fleet pages). */
  manageDevices: z.boolean(),
  /** Emergency alerts. */
  alerts: z.boolean(),
  /** Live voice. */
  liveVoice: z.boolean(),
  /** Users, areas, rules, integrations: the administrator's pages. */
  admin: z.boolean(),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;
export type Capability = keyof Capabilities;

/** What the capabilities depend on besides the role. */
export interface CapabilitySettings {
  /** LOA_OFFICER_MAY_SCHEDULE: commune officers use the full schedule editor (commune-level schedules). */
  officerMaySchedule: boolean;
}

/**
 * The role grants of the server's routes (server/src/auth/roles.ts) as the dashboard needs them. The server sends
 * the result at sign-in; the dashboard calls it only for a session saved before the server did. A route whose
 * @Roles changes must change here too (server/test/announcements.spec checks the pairs against real requests).
 */
export function capabilitiesOf(role: 'admin' | 'operator' | 'approver' | 'commune_officer', s: CapabilitySettings): Capabilities {
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
