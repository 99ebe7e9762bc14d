import { SetMetadata } from '@nestjs/common';
import type { Role } from './principal.js';

export const ROLES = 'loa:roles';
export const ALL_ROLES: readonly Role[] = ['admin', 'operator', 'approver', 'commune_officer'];

/**
 * A commune officer, only while LOA_OFFICER_MAY_SCHEDULE=true (commune-level schedules: its targets are checked
 * against its commune's subtree like everyone's).
 */
export const OFFICER_IF_SCHEDULING = 'commune_officer_if_scheduling';
export type RoleGrant = Role | typeof OFFICER_IF_SCHEDULING;

/** Everyone signed in (own account, reading scoped data every role may see: devices, deliveries, alarms, telemetry). */
export const ANY_ROLE: readonly RoleGrant[] = ALL_ROLES;
/** Operators' reading: everything of their subtree (approvers read like operators). */
export const READERS: readonly RoleGrant[] = ['admin', 'operator', 'approver'];
/** Creating content, schedules, commands, alerts, groups inside the subtree. */
export const EDITORS: readonly RoleGrant[] = ['admin', 'operator'];
/** Approving or rejecting content. */
export const APPROVERS: readonly RoleGrant[] = ['admin', 'approver'];

/**
 * Which roles may call a route (handler overrides class). A user route without @Roles is admin-only: deny by
 * default, so a new endpoint is never accidentally open to every role.
 */
export const Roles = (...roles: ReadonlyArray<RoleGrant | readonly RoleGrant[]>) => SetMetadata(ROLES, roles.flat());
