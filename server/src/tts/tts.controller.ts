import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { ttsPreviewRequestSchema as previewSchema, ttsSpeakRequestSchema as speakSchema, type TtsView } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { EDITORS, Roles } from '../auth/roles.js';
import { LoaError } from '../common/loa-error.js';
import { toMediaView } from '../media/media-view.js';
import { TtsEngineError } from './tts-engine.js';
import { TtsService } from './tts.service.js';

@ApiTags('tts')
@ApiBearerAuth()
@Roles(EDITORS)
@Controller('api/v1/tts')
export class TtsController {
  constructor(private readonly tts: TtsService) {}

  @Post()
  @ApiOperation({ summary: 'Vietnamese text to speech: normalise, synthesise, store through the audio pipeline (201 with the media and the normalised text; 502 when the engine fails; 507 when the data directory is full)' })
  async speak(@Body({ schema: speakSchema }) body: z.infer<typeof speakSchema>, @CurrentUser() user: UserPrincipal): Promise<TtsView> {
    const r = await this.tts.speak(body, user.userId).catch((err: unknown) => {
      // The engine (a vendor's service, the synthesiser) failed, not the request: 502 with its reason.
      throw err instanceof TtsEngineError ? new LoaError(502, 'tts.engine-failed', { reason: err.message }) : err;
    });
    return {
      media: toMediaView(r.ingest.media, r.ingest.audio),
      created: r.ingest.created,
      jobId: r.ingest.jobId,
      normalizedText: r.normalizedText,
      engine: r.engine,
      chunks: r.chunks,
      synthesisMs: r.synthesisMs,
    };
  }

  @Post('preview-text')
  @HttpCode(200)
  @ApiOperation({ summary: 'The text as it would be spoken (numbers, dates, abbreviations written out), for the dashboard' })
  async preview(@Body({ schema: previewSchema }) body: z.infer<typeof previewSchema>): Promise<{ normalizedText: string }> {
    return { normalizedText: await this.tts.normalize(body.text, body.accent) };
  }
}
