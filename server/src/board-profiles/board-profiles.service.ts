import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { BoardProfileEntity } from './board-profile.entity.js';
import { BoardProfilesRepository } from './board-profiles.repository.js';
import type { BoardProfileView } from '@loa/shared/rest';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
export type { BoardProfileView } from '@loa/shared/rest';

export type Orientation = 'landscape' | 'portrait';

export interface BoardProfileInput {
  name: string;
  width: number;
  height: number;
  orientation?: Orientation | undefined;
}

/** The resolution used for boards that have no profile (and for previews without one). */
export const DEFAULT_BOARD_SIZE = { width: 1920, height: 1080 } as const;
/** Variant key of the default size. */
export const DEFAULT_PROFILE_KEY = '-';

export const boardProfileView = (p: BoardProfileEntity): BoardProfileView => ({
  id: p.id,
  name: p.name,
  width: p.width,
  height: p.height,
  orientation: p.orientation,
  createdAt: new Date(p.createdAt).toISOString(),
  updatedAt: p.updatedAt === null ? null : new Date(p.updatedAt).toISOString(),
});

/** Listeners told when a profile's resolution appears or changes (image variants are prepared for it). */
export type ProfileListener = (profile: BoardProfileEntity, devices: string[]) => Promise<void>;

/** Board models (resolution, orientation): what images are resized to and previews drawn at. */
@Injectable()
export class BoardProfilesService {
  private readonly listeners: ProfileListener[] = [];

  constructor(
    private readonly repo: BoardProfilesRepository,
    private readonly clock: Clock,
  ) {}

  onResolution(listener: ProfileListener): void {
    this.listeners.push(listener);
  }

  async create(input: BoardProfileInput): Promise<BoardProfileView> {
    const orientation = orientationOf(input.width, input.height, input.orientation);
    if (await this.repo.findByName(input.name)) throw conflict('board-profile.name-taken', { name: input.name });
    const p: BoardProfileEntity = { id: newId(), name: input.name, width: input.width, height: input.height, orientation, createdAt: this.clock.now(), updatedAt: null };
    await this.repo.insert(p);
    await this.notify(p, []);
    return boardProfileView(p);
  }

  async update(id: string, patch: Partial<BoardProfileInput>): Promise<BoardProfileView> {
    const p = await this.require(id);
    const width = patch.width ?? p.width;
    const height = patch.height ?? p.height;
    const orientation = orientationOf(width, height, patch.orientation ?? (patch.width !== undefined || patch.height !== undefined ? undefined : p.orientation));
    if (patch.name !== undefined && patch.name !== p.name && (await this.repo.findByName(patch.name))) {
      throw conflict('board-profile.name-taken', { name: patch.name });
    }
    const next: BoardProfileEntity = { ...p, name: patch.name ?? p.name, width, height, orientation, updatedAt: this.clock.now() };
    await this.repo.update(id, { name: next.name, width, height, orientation, updatedAt: next.updatedAt });
    if (width !== p.width || height !== p.height) await this.notify(next, await this.repo.devicesUsing(id));
    return boardProfileView(next);
  }

  async remove(id: string): Promise<void> {
    await this.require(id);
    const devices = await this.repo.devicesUsing(id);
    if (devices.length > 0) throw conflict('board-profile.in-use', { id, count: devices.length, devices: devices.slice(0, 10).join(', ') });
    await this.repo.remove(id);
  }

  async get(id: string): Promise<BoardProfileView> {
    return boardProfileView(await this.require(id));
  }

  async list(): Promise<BoardProfileView[]> {
    return (await this.repo.list()).map(boardProfileView);
  }

  /** The entity, or 404 (400 when `asInput`, for ids given in a request body or query). */
  async require(id: string, asInput = false): Promise<BoardProfileEntity> {
    const p = await this.repo.find(id);
    if (!p) throw asInput ? badRequest('board-profile.unknown', { id }) : notFound('board-profile.not-found', { id });
    return p;
  }

  private async notify(p: BoardProfileEntity, devices: string[]): Promise<void> {
    for (const l of this.listeners) await l(p, devices);
  }
}

function orientationOf(width: number, height: number, given: Orientation | undefined): Orientation {
  const actual: Orientation = height > width ? 'portrait' : 'landscape';
  if (given !== undefined && given !== actual) throw badRequest('board-profile.ratio', { size: `${width}×${height}`, actual, given });
  return actual;
}
