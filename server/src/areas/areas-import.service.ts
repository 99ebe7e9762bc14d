import { BadRequestException, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AreasRepository } from './areas.repository.js';
import { parseAreasCsv, planAreaImport, type ImportError } from './areas-csv.js';
import type { AreaImportResult } from '@loa/shared/rest';
import { badRequest } from '../common/loa-error.js';
import type { ErrorCode } from '@loa/shared/rest';
export type { AreaImportResult } from '@loa/shared/rest';

export const MAX_IMPORT_ROWS = 20_000;

/**
 * The administrative tree from a spreadsheet (CSV): every row is checked before anything is written, then the whole
 * file goes in one transaction. Moved areas are announced (`areas.moved`): the credentials cache and planning
 * follow them, without this feature knowing either.
 */
@Injectable()
export class AreasImportService {
  constructor(
    private readonly repo: AreasRepository,
    private readonly scope: ScopeService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async import(csv: string, opts: { dryRun: boolean; allowMove: boolean }, user: UserPrincipal): Promise<AreaImportResult> {
    const parsed = parseAreasCsv(csv);
    if (!parsed.ok) throw invalid(parsed.errors);
    // Where each refused code is first named, for the rows that hang under it.
    const badRows = new Map<string, number>();
    for (const e of parsed.errors) if (e.code !== null && !badRows.has(e.code)) badRows.set(e.code, e.line);
    if (parsed.rows.length > MAX_IMPORT_ROWS) throw badRequest('area.import-too-many', { max: MAX_IMPORT_ROWS });
    const existing = await this.repo.list();
    const scope = await this.scope.of(user);
    // An admin with an area: the rows it touches must lie in its subtree now (checked before planning, so the
    // answers do not describe areas outside it) and after the import (checked on the resulting paths).
    const outside: ImportError[] = [];
    if (!scope.all) {
      const stored = new Set(existing.map((a) => a.code));
      for (const r of parsed.rows) if (stored.has(r.code) && !scope.contains(r.code)) outside.push({ line: r.line, code: r.code, message: `area ${r.code} is outside your area` });
      if (outside.length > 0) throw refused(outside);
    }
    const planned = planAreaImport(parsed.rows, existing, { allowMove: opts.allowMove, badRows });
    const errors = [...parsed.errors, ...(planned.ok ? [] : planned.errors)].sort((a, b) => a.line - b.line);
    if (errors.length > 0 || !planned.ok) throw invalid(errors);
    const { plan } = planned;
    if (!scope.all) {
      const lineOf = new Map(parsed.rows.map((r) => [r.code, r.line]));
      for (const w of [...plan.creates, ...plan.updates]) {
        const line = lineOf.get(w.code);
        if (line !== undefined && !w.path.startsWith(scope.pathPrefix!)) outside.push({ line, code: w.code, message: `${w.parentCode ?? 'the top'} is outside your area` });
      }
      if (outside.length > 0) throw refused(outside);
    }
    const result: AreaImportResult = {
      dryRun: opts.dryRun,
      created: plan.created.length,
      updated: plan.updated.length,
      unchanged: plan.unchanged.length,
      moved: plan.moved.length,
      codes: { created: plan.created, updated: plan.updated, unchanged: plan.unchanged, moved: plan.moved },
    };
    if (opts.dryRun) return result;
    await this.repo.applyImport(plan.creates, plan.updates, this.clock.now());
    this.logger.info({ ctx: 'areas', userId: user.userId, created: result.created, updated: result.updated, moved: result.moved }, 'area tree imported');
    const oldPath = new Map(existing.map((a) => [a.code, a.path]));
    const repathed = plan.updates.filter((u) => oldPath.get(u.code) !== u.path).map((u) => u.code);
    if (repathed.length > 0) await this.followMoves(repathed);
    return result;
  }

  /**
   * Devices under a moved area keep their areaCode, but their ancestors changed: the broker's cached area list (alert
   * channels) must be dropped, and schedules aimed at the old or new ancestors re-evaluated for them. The import
   * answers once that is done (as before), hence emitAsync.
   */
  private async followMoves(areaCodes: string[]): Promise<void> {
    const deviceIds = await this.repo.deviceIdsIn(areaCodes);
    if (deviceIds.length === 0) return;
    await this.events.emitAsync('areas.moved', { areaCodes, deviceIds });
  }
}

const invalid = (errors: ImportError[]) => new BadRequestException({ message: 'invalid area CSV', code: 'area.import-invalid' satisfies ErrorCode, params: {}, errors: errors.slice(0, 500) });
const refused = (errors: ImportError[]) => new ForbiddenException({ message: 'the import reaches outside your area', code: 'area.import-outside' satisfies ErrorCode, params: {}, errors: errors.slice(0, 500) });
