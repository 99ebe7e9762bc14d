import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { approvalRulesSchema, defaultRules, type ApprovalRules } from './approval-rules.js';
import { SettingsRepository } from './settings.repository.js';

const KEY = 'approval-rules';

/**
 * The approval rules in force: the stored document, else the configured default. Read from the database on every
 * use (a handful of small reads per write request) so that every server process on one database agrees at once.
 */
@Injectable()
export class ApprovalRulesService {
  constructor(
    private readonly repo: SettingsRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async get(): Promise<ApprovalRules> {
    const stored = await this.repo.get(KEY);
    if (stored === undefined) return defaultRules(this.config.approvalRulesDefault);
    const parsed = approvalRulesSchema.safeParse(stored);
    if (parsed.success) return parsed.data;
    // A document this version cannot read must not open the gates: fall back to the strict defaults.
    this.logger.error({ ctx: 'approvals', err: parsed.error.message }, 'stored approval rules are invalid; using the standard rules');
    return defaultRules('standard');
  }

  async put(rules: ApprovalRules, userId: string): Promise<ApprovalRules> {
    await this.repo.put(KEY, rules, userId, this.clock.now());
    this.logger.info({ ctx: 'approvals', userId, rules }, 'approval rules changed');
    return this.get();
  }
}
