import { Module, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { MediaTools } from '../media/media-tools.js';
import { MediaToolsModule } from '../media/media-tools.module.js';
import { MediaModule } from '../media/media.module.js';
import { EspeakEngine } from './espeak.engine.js';
import { HttpTtsEngine } from './http-tts.engine.js';
import { TTS_ENGINE, type TtsEngine } from './tts-engine.js';
import { TtsController } from './tts.controller.js';
import { TtsService } from './tts.service.js';
import { SpokenTextRepository } from './spoken-text.repository.js';
import { TtsDictionaryController } from './tts-dictionary.controller.js';
import { TtsDictionaryRepository } from './tts-dictionary.repository.js';
import { TtsDictionaryService } from './tts-dictionary.service.js';
/** The engine chosen by LOA_TTS_ENGINE; close() stops its worker at shutdown. */
class EngineLifecycle implements OnApplicationShutdown {
  constructor(private readonly engine: TtsEngine) {}
  async onApplicationShutdown(): Promise<void> {
    await this.engine.close?.();
  }
}

/** Text-to-speech (issue 6): POST /api/v1/tts and /api/v1/tts/preview-text; the pronunciation dictionary (issue 19). */
@Module({
  imports: [MediaModule, MediaToolsModule],
  controllers: [TtsController, TtsDictionaryController],
  providers: [
    {
      provide: TTS_ENGINE,
      inject: [AppConfig, MediaTools, Clock],
      useFactory: (config: AppConfig, tools: MediaTools, clock: Clock): TtsEngine =>
        config.tts.http ? new HttpTtsEngine(config.tts.http, tools, clock) : new EspeakEngine(tools),
    },
    { provide: EngineLifecycle, inject: [TTS_ENGINE], useFactory: (engine: TtsEngine) => new EngineLifecycle(engine) },
    TtsService,
    SpokenTextRepository,
    TtsDictionaryService,
    TtsDictionaryRepository,
  ],
  exports: [TtsService, TTS_ENGINE],
})
export class TtsModule {}
