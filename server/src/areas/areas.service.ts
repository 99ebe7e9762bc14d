import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import type { AreaEntity } from '../database/entities.js';
import { AreasRepository } from './areas.repository.js';
import { areaPath } from './area-path.js';

/**
 * Levels are labels, not fixed depths: the same tree holds the pre-2025 province → district → commune units and
 * the two-tier province → commune → village ones.
 */
export const AREA_LEVELS = ['country', 'province', 'district', 'commune', 'village'] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

export interface AreaView {
  code: string;
  name: string;
  level: string;
  parentCode: string | null;
  path: string;
}

@Injectable()
export class AreasService {
  constructor(
    private readonly repo: AreasRepository,
    private readonly clock: Clock,
  ) {}

  async create(input: { code: string; name: string; level: AreaLevel; parentCode?: string | null | undefined }): Promise<AreaView> {
    if (await this.repo.find(input.code)) throw new ConflictException(`area ${input.code} already exists`);
    let parentPath: string | null = null;
    if (input.parentCode) {
      const parent = await this.repo.find(input.parentCode);
      if (!parent) throw new BadRequestException(`parent area ${input.parentCode} does not exist`);
      parentPath = parent.path;
    }
    const area: AreaEntity = {
      code: input.code,
      name: input.name,
      level: input.level,
      parentCode: input.parentCode ?? null,
      path: areaPath(parentPath, input.code),
      createdAt: this.clock.now(),
    };
    await this.repo.insert(area);
    return view(area);
  }

  async list(): Promise<AreaView[]> {
    return (await this.repo.list()).map(view);
  }

  async get(code: string): Promise<AreaView> {
    const area = await this.repo.find(code);
    if (!area) throw new NotFoundException(`area ${code} not found`);
    return view(area);
  }

  /** Resolves codes to their paths, refusing the request if any code is unknown. */
  async requirePaths(codes: string[]): Promise<Map<string, string>> {
    const found = await this.repo.findMany(codes);
    const byCode = new Map(found.map((a) => [a.code, a.path]));
    const missing = codes.filter((c) => !byCode.has(c));
    if (missing.length > 0) throw new BadRequestException(`unknown area code(s): ${missing.join(', ')}`);
    return byCode;
  }
}

const view = (a: AreaEntity): AreaView => ({ code: a.code, name: a.name, level: a.level, parentCode: a.parentCode, path: a.path });
