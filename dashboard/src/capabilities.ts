import { capabilitiesOf as capabilitiesOfRole, type Capabilities, type Capability } from '@loa/shared/rest';
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

/** Role defaults as the server computes them, with officers' scheduling off (the installation default). */
const byRole = (role: Role): Capabilities => capabilitiesOfRole(role, { officerMaySchedule: false });
