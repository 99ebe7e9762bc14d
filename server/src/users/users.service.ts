import { Injectable } from '@nestjs/common';
import { normalizePhone } from '@loa/shared/rest';
import { AuthRepository } from '../auth/auth.repository.js';
import type { Role } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
import { PasswordHasher } from '../common/password-hasher.js';
import type { UserEntity } from './user.entity.js';
import { UsersRepository } from './users.repository.js';
import type { UserName, UserView } from '@loa/shared/rest';
export type { UserName, UserView } from '@loa/shared/rest';

export interface UserInput {
  username: string;
  password: string;
  role: Role;
  areaCode?: string | null | undefined;
  fullName?: string | null | undefined;
  phone?: string | null | undefined;
  email?: string | null | undefined;
  mustChangePassword?: boolean | undefined;
}

export interface UserPatch {
  role?: Role | undefined;
  areaCode?: string | null | undefined;
  password?: string | undefined;
  disabled?: boolean | undefined;
  fullName?: string | null | undefined;
  phone?: string | null | undefined;
  email?: string | null | undefined;
  mustChangePassword?: boolean | undefined;
}

const view = (u: UserEntity): UserView => ({
  id: u.id,
  username: u.username,
  role: u.role as Role,
  areaCode: u.areaCode,
  disabled: u.disabled ?? false,
  createdAt: new Date(u.createdAt).toISOString(),
  updatedAt: u.updatedAt ? new Date(u.updatedAt).toISOString() : null,
  fullName: u.fullName ?? null,
  phone: u.phone ?? null,
  email: u.email ?? null,
  mustChangePassword: u.mustChangePassword ?? false,
});

/** An empty name is no name. */
const nameOf = (v: string | null | undefined): string | null => (v === null || v === undefined || v.trim() === '' ? null : v.trim());

/** An address in one case, so notifications and look-ups do not depend on how it was typed. */
const emailOf = (v: string | null | undefined): string | null => (v === null || v === undefined || v.trim() === '' ? null : v.trim().toLowerCase());

/** A Vietnamese number in normal form (0xxxxxxxxx), null for none, or a coded refusal. */
function phoneOf(v: string | null | undefined): string | null {
  if (v === null || v === undefined || v.trim() === '') return null;
  const p = normalizePhone(v);
  if (p === null) throw badRequest('user.phone-invalid', { phone: v.trim().slice(0, 32) });
  return p;
}

/** Accounts (admin only). Every role but admin is scoped to an area subtree, so it needs an existing areaCode. */
@Injectable()
export class UsersService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly users: UsersRepository,
  ) {}

  /** With `mustChangePassword` (the dashboard always sends it) the user must replace the password at the first sign-in. */
  async create(input: UserInput): Promise<UserView> {
    const areaCode = await this.checkArea(input.role, input.areaCode ?? null);
    const phone = phoneOf(input.phone);
    if (await this.repo.findUserByUsername(input.username)) throw conflict('user.exists', { username: input.username });
    const user: UserEntity = {
      id: newId(),
      username: input.username,
      passwordHash: await this.hasher.hash(input.password),
      role: input.role,
      areaCode,
      createdAt: this.clock.now(),
      disabled: false,
      updatedAt: null,
      fullName: nameOf(input.fullName),
      phone,
      email: emailOf(input.email),
      mustChangePassword: input.mustChangePassword ?? false,
    };
    await this.repo.insertUser(user);
    return view(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.repo.listUsers()).map(view);
  }

  /** Every account, disabled ones too: they still authored past records. */
  async directory(): Promise<UserName[]> {
    return (await this.repo.listUsers()).map((u) => ({ id: u.id, username: u.username, fullName: u.fullName ?? null }));
  }

  async get(id: string): Promise<UserView> {
    return view(await this.require(id));
  }

  /**
   * A role, area or password change, or disabling, ends the user's sessions; a password set here must be changed by
   * the user at the next sign-in. A name or phone change alone keeps the sessions.
   */
  async update(id: string, patch: UserPatch, actorId: string): Promise<UserView> {
    const user = await this.require(id);
    if (id === actorId && (patch.disabled === true || (patch.role !== undefined && patch.role !== 'admin'))) {
      throw badRequest('user.self-lockout');
    }
    const role = patch.role ?? (user.role as Role);
    const areaCode = await this.checkArea(role, patch.areaCode !== undefined ? patch.areaCode : user.areaCode);
    const next: Partial<UserEntity> = { role, areaCode, updatedAt: this.clock.now() };
    if (patch.fullName !== undefined) next.fullName = nameOf(patch.fullName);
    if (patch.phone !== undefined) next.phone = phoneOf(patch.phone);
    if (patch.email !== undefined) next.email = emailOf(patch.email);
    if (patch.disabled !== undefined) next.disabled = patch.disabled;
    // A reset hands over a password someone else knows: the user must replace it. An admin setting its own is changing it.
    if (patch.password !== undefined) {
      next.passwordHash = await this.hasher.hash(patch.password);
      next.mustChangePassword = id !== actorId && patch.mustChangePassword !== false;
    } else if (patch.mustChangePassword !== undefined && id !== actorId) {
      // Asking for a change of the password the user already has (or waiving a pending one).
      next.mustChangePassword = patch.mustChangePassword;
    }
    await this.repo.updateUser(id, next);
    const accessChanged = patch.role !== undefined || patch.areaCode !== undefined || patch.password !== undefined || patch.disabled !== undefined;
    if (accessChanged) await this.repo.deleteSessionsOf(id);
    return view(await this.require(id));
  }

  private async require(id: string): Promise<UserEntity> {
    const user = await this.repo.findUserById(id);
    if (!user) throw notFound('user.not-found', { id });
    return user;
  }

  private async checkArea(role: Role, areaCode: string | null): Promise<string | null> {
    if (areaCode === null) {
      if (role !== 'admin') throw badRequest('user.area-required', { role });
      return null;
    }
    if (!(await this.users.areaExists(areaCode))) throw badRequest('user.area-unknown', { id: areaCode });
    return areaCode;
  }
}
