import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuthRepository } from '../auth/auth.repository.js';
import type { Role } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
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
}

export interface UserPatch {
  role?: Role | undefined;
  areaCode?: string | null | undefined;
  password?: string | undefined;
  disabled?: boolean | undefined;
}

const view = (u: UserEntity): UserView => ({
  id: u.id,
  username: u.username,
  role: u.role as Role,
  areaCode: u.areaCode,
  disabled: u.disabled ?? false,
  createdAt: new Date(u.createdAt).toISOString(),
  updatedAt: u.updatedAt ? new Date(u.updatedAt).toISOString() : null,
});

/** Accounts (admin only). Every role but admin is scoped to an area subtree, so it needs an existing areaCode. */
@Injectable()
export class UsersService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly users: UsersRepository,
  ) {}

  async create(input: UserInput): Promise<UserView> {
    const areaCode = await this.checkArea(input.role, input.areaCode ?? null);
    if (await this.repo.findUserByUsername(input.username)) throw new ConflictException(`user ${input.username} exists`);
    const user: UserEntity = {
      id: newId(),
      username: input.username,
      passwordHash: await this.hasher.hash(input.password),
      role: input.role,
      areaCode,
      createdAt: this.clock.now(),
      disabled: false,
      updatedAt: null,
    };
    await this.repo.insertUser(user);
    return view(user);
  }

  async list(): Promise<UserView[]> {
    return (await this.repo.listUsers()).map(view);
  }

  /** Every account, disabled ones too: they still authored past records. */
  async directory(): Promise<UserName[]> {
    return (await this.repo.listUsers()).map((u) => ({ id: u.id, username: u.username }));
  }

  async get(id: string): Promise<UserView> {
    return view(await this.require(id));
  }

  /** A role, area or password change, or disabling, ends the user's sessions. */
  async update(id: string, patch: UserPatch, actorId: string): Promise<UserView> {
    const user = await this.require(id);
    if (id === actorId && (patch.disabled === true || (patch.role !== undefined && patch.role !== 'admin'))) {
      throw new BadRequestException('you cannot disable yourself or drop your own admin role');
    }
    const role = patch.role ?? (user.role as Role);
    const areaCode = await this.checkArea(role, patch.areaCode !== undefined ? patch.areaCode : user.areaCode);
    const next: Partial<UserEntity> = { role, areaCode, updatedAt: this.clock.now() };
    if (patch.disabled !== undefined) next.disabled = patch.disabled;
    if (patch.password !== undefined) next.passwordHash = await this.hasher.hash(patch.password);
    await this.repo.updateUser(id, next);
    await this.repo.deleteSessionsOf(id);
    return view(await this.require(id));
  }

  private async require(id: string): Promise<UserEntity> {
    const user = await this.repo.findUserById(id);
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return user;
  }

  private async checkArea(role: Role, areaCode: string | null): Promise<string | null> {
    if (areaCode === null) {
      if (role !== 'admin') throw new BadRequestException(`role ${role} needs an areaCode`);
      return null;
    }
    if (!(await this.users.areaExists(areaCode))) throw new BadRequestException(`area ${areaCode} does not exist`);
    return areaCode;
  }
}
