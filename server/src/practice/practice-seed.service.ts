import { Injectable, Optional } from '@nestjs/common';
import type { PracticeSeedResult } from '@loa/shared/rest';
import { practiceSeedRequestSchema } from '@loa/shared/rest';
import type { z } from 'zod';
import { AreasService, type AreaLevel } from '../areas/areas.service.js';
import { AuthRepository } from '../auth/auth.repository.js';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { newId, randomToken } from '../common/ids.js';
import { notFound, unauthorized } from '../common/loa-error.js';
import { PasswordHasher } from '../common/password-hasher.js';
import { PracticeSeedRepository } from './practice-seed.repository.js';
import { PracticeDeviceSeeder } from './practice-device-seeder.js';
import { secretMatches } from '../auth/practice-assertion.js';

type SeedInput = z.output<typeof practiceSeedRequestSchema>;

/**
 * Inside a practice instance: fills its empty database with what the main server sent, through the normal services
 * (areas, accounts, settings, virtual devices). Idempotent, so a seed retried after a lost answer does no harm.
 */
@Injectable()
export class PracticeSeedService {
  constructor(
    private readonly config: AppConfig,
    private readonly areas: AreasService,
    private readonly auth: AuthRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly store: PracticeSeedRepository,
    @Optional() private readonly devices?: PracticeDeviceSeeder,
  ) {}

  /** Only the main server that started this practice instance holds its secret. */
  authorize(secret: string | undefined): void {
    // A real server does not have this route at all, as far as anyone can tell.
    if (!this.config.practice.mode || this.config.practice.secret === null) throw notFound('practice.not-practice');
    if (!secretMatches(this.config.practice.secret, secret)) throw unauthorized('practice.secret-refused');
  }

  async seed(secret: string | undefined, input: SeedInput): Promise<PracticeSeedResult> {
    this.authorize(secret);
    const known = new Set((await this.areas.list()).map((a) => a.code));
    let areas = 0;
    for (const a of input.areas) {
      if (known.has(a.code)) continue;
      await this.areas.create({ code: a.code, name: a.name, level: a.level as AreaLevel, parentCode: a.parentCode });
      known.add(a.code);
      areas++;
    }
    let users = 0;
    for (const u of input.users) {
      if (await this.auth.findUserByUsername(u.username)) continue;
      // A mirrored user never signs in here: the practice instance believes only the main server's assertion, so its
      // password is random and thrown away.
      await this.auth.insertUser({
        id: newId(),
        username: u.username,
        passwordHash: await this.hasher.hash(randomToken(24)),
        role: u.role,
        areaCode: u.areaCode,
        createdAt: this.clock.now(),
        disabled: false,
        updatedAt: null,
        fullName: u.fullName,
        phone: null,
        email: null,
        mustChangePassword: false,
      });
      users++;
    }
    await this.store.putSettings(input.settings, this.clock.now());
    const communes = input.areas.filter((a) => a.level === 'commune').map((a) => a.code);
    const devices = this.devices && communes.length > 0 ? await this.devices.seed(communes, input.speakersPerCommune, input.boardsPerCommune) : 0;
    return { areas, users, settings: input.settings.length, devices };
  }
}
