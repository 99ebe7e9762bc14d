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
