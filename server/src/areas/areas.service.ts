import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { areaPath, type AreaEntity } from './area.entity.js';
import { AreasRepository } from './areas.repository.js';
import { levelProblem, type AreaLevel } from './area-levels.js';
import type { AreaView } from '@loa/shared/rest';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
export type { AreaView } from '@loa/shared/rest';

export { AREA_LEVELS, type AreaLevel } from './area-levels.js';

@Injectable()
export class AreasService {
  constructor(
    private readonly repo: AreasRepository,
    private readonly clock: Clock,
  ) {}

  async create(input: { code: string; name: string; level: AreaLevel; parentCode?: string | null | undefined }): Promise<AreaView> {
    if (await this.repo.find(input.code)) throw conflict('area.exists', { id: input.code });
    const parent = input.parentCode ? await this.repo.find(input.parentCode) : null;
    if (input.parentCode && !parent) throw badRequest('area.parent-unknown', { id: input.parentCode });
    const misfit = levelProblem(input.level, parent);
    if (misfit !== null) throw badRequest('area.misfit', { detail: misfit });
    const area: AreaEntity = {
      code: input.code,
      name: input.name,
      level: input.level,
      parentCode: input.parentCode ?? null,
      path: areaPath(parent?.path ?? null, input.code),
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
    if (!area) throw notFound('area.not-found', { id: code });
    return view(area);
  }

  /** Resolves codes to their paths, refusing the request if any code is unknown. */
  async requirePaths(codes: string[]): Promise<Map<string, string>> {
    const found = await this.repo.findMany(codes);
    const byCode = new Map(found.map((a) => [a.code, a.path]));
    const missing = codes.filter((c) => !byCode.has(c));
    if (missing.length > 0) throw badRequest('area.unknown-codes', { ids: missing.join(', ') });
    return byCode;
  }
}

const view = (a: AreaEntity): AreaView => ({ code: a.code, name: a.name, level: a.level, parentCode: a.parentCode, path: a.path });
