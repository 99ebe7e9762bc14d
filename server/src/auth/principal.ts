export type Role = 'admin' | 'operator' | 'approver' | 'commune_officer';

export interface UserPrincipal {
  readonly type: 'user';
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  /** Root of the area subtree the user may act on; null for a nationwide admin. */
  readonly areaCode: string | null;
  /** Issue 19: an administrator set the password; only the account's own routes answer until it is changed. */
  readonly mustChangePassword?: boolean;
}

export interface DevicePrincipal {
  readonly type: 'device';
  readonly deviceId: string;
}

export type Principal = UserPrincipal | DevicePrincipal;

export interface AuthenticatedRequest {
  principal?: Principal;
  headers: Record<string, string | string[] | undefined>;
}
