import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PRACTICE_SECRET_HEADER, practiceSeedRequestSchema, type PracticeSeedResult } from '@loa/shared/rest';
import { Public } from '../auth/decorators.js';
import { badRequest } from '../common/loa-error.js';
import { PracticeSeedService } from './practice-seed.service.js';

/** Internal: the main server seeds a fresh practice instance (answers only in practice mode, with the sandbox secret). */
@ApiExcludeController()
@Controller('api/v1/practice')
export class PracticeSeedController {
  constructor(private readonly seeds: PracticeSeedService) {}

  @Post('seed')
  @Public()
  @HttpCode(200)
  async seed(@Headers(PRACTICE_SECRET_HEADER) secret: string | undefined, @Body() body: unknown): Promise<PracticeSeedResult> {
    // The secret is checked before the body is judged, so an outsider learns nothing from the answer.
    this.seeds.authorize(secret);
    const parsed = practiceSeedRequestSchema.safeParse(body);
    if (!parsed.success) throw badRequest('http.bad-request', { detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).slice(0, 5).join('; ') });
    return this.seeds.seed(secret, parsed.data);
  }
}
