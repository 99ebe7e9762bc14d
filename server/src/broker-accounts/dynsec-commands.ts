import { z } from 'zod';
import type { DynsecAcl, RoleRef } from './dynsec-acl.js';
import type { DynsecCommand } from './dynsec-control.js';

/**
 * The plugin's commands Loa uses, built in one place (Mosquitto 2.0.11 plugins/dynamic-security: clients.c,
 * roles.c, plugin.c), and the parts of its answers Loa reads, validated.
 */
export const cmd = {
  createClient: (c: { username: string; clientid: string; textname: string; password?: string; roles?: readonly RoleRef[] }): DynsecCommand => ({ command: 'createClient', ...c }),
  /** Changes only the fields given (roles replaced when given); always ends the client's session. */
  modifyClient: (c: { username: string; clientid?: string; password?: string; roles?: readonly RoleRef[] }): DynsecCommand => ({ command: 'modifyClient', ...c }),
  setClientPassword: (username: string, password: string): DynsecCommand => ({ command: 'setClientPassword', username, password }),
  enableClient: (username: string): DynsecCommand => ({ command: 'enableClient', username }),
  /** Also ends the client's session. */
  disableClient: (username: string): DynsecCommand => ({ command: 'disableClient', username }),
  deleteClient: (username: string): DynsecCommand => ({ command: 'deleteClient', username }),
  getClient: (username: string): DynsecCommand => ({ command: 'getClient', username }),
  listClients: (offset: number, count: number): DynsecCommand => ({ command: 'listClients', verbose: true, offset, count }),
  createRole: (rolename: string, acls: readonly DynsecAcl[]): DynsecCommand => ({ command: 'createRole', rolename, acls }),
  /** Replaces the role's ACLs; sessions stay (the new ACLs apply to their next operation). */
  modifyRole: (rolename: string, acls: readonly DynsecAcl[]): DynsecCommand => ({ command: 'modifyRole', rolename, acls }),
  deleteRole: (rolename: string): DynsecCommand => ({ command: 'deleteRole', rolename }),
  getRole: (rolename: string): DynsecCommand => ({ command: 'getRole', rolename }),
  listRoles: (offset: number, count: number): DynsecCommand => ({ command: 'listRoles', verbose: true, offset, count }),
  getDefaultACLAccess: (): DynsecCommand => ({ command: 'getDefaultACLAccess' }),
  setDefaultACLAccess: (acls: ReadonlyArray<{ acltype: string; allow: boolean }>): DynsecCommand => ({ command: 'setDefaultACLAccess', acls }),
};

/** Errors the plugin answers with, as text (2.0.11). */
export const DYNSEC_ERRORS = {
  clientExists: 'Client already exists',
  clientNotFound: 'Client not found',
  roleExists: 'Role already exists',
  roleNotFound: 'Role not found',
} as const;

const roleRefSchema = z.object({ rolename: z.string(), priority: z.number().int().optional() });
const aclSchema = z.object({ acltype: z.string(), topic: z.string(), priority: z.number().int(), allow: z.boolean() });

export const clientSchema = z.object({
  username: z.string(),
  clientid: z.string().optional(),
  textname: z.string().optional(),
  disabled: z.boolean().optional(),
  roles: z.array(roleRefSchema).optional(),
});
export type DynsecClient = z.infer<typeof clientSchema>;

export const roleSchema = z.object({ rolename: z.string(), acls: z.array(aclSchema).optional() });
export type DynsecRole = z.infer<typeof roleSchema>;

export const getClientData = z.object({ client: clientSchema });
export const getRoleData = z.object({ role: roleSchema });
export const listClientsData = z.object({ totalCount: z.number().int(), clients: z.array(clientSchema) });
export const listRolesData = z.object({ totalCount: z.number().int(), roles: z.array(roleSchema) });
export const defaultAclData = z.object({ acls: z.array(z.object({ acltype: z.string(), allow: z.boolean() })) });

/** A role reference as the plugin reports it: priority -1 (none given) is left out. */
export const roleRefs = (c: DynsecClient): RoleRef[] => (c.roles ?? []).map((r) => ({ rolename: r.rolename, priority: r.priority ?? -1 }));
