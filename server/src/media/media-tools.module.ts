import { Module } from '@nestjs/common';
import { ChildProcessMediaTools, MediaTools } from './media-tools.js';

/** The one ffmpeg/ffprobe runner, for every feature that handles audio or images (media, TTS, contents). */
@Module({
  providers: [{ provide: MediaTools, useClass: ChildProcessMediaTools }],
  exports: [MediaTools],
})
export class MediaToolsModule {}
