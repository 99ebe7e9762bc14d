import type { Capabilities, Capability } from '@loa/shared/rest';
import type { Role, SessionUser } from './session.js';

/**
 * Issue 19: what the signed-in user may do, as the server computed it at sign-in (`user.can`), so pages hide what the
 * user cannot use instead of letting the server refuse after the click. A session kept from before the server sent it
 * falls back to the role's defaults (LOA_OFFICER_MAY_SCHEDULE off); the server checks every request regardless.
 */
export function capabilitiesOf(user: SessionUser): Capabilities {
  const sent = (user as SessionUser & { can?: Capabilities }).can;
  return sent ?? byRole(user.role);
}

export const can = (user: SessionUser, what: Capability): boolean => capabilitiesOf(user)[what] === true;

function byRole(role: Role): Capabilities {
  const editor = role === 'admin' || role === 'operator';
  return {
    createContent: editor,
    readContents: editor || role === 'approver',
    schedule: editor,
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
