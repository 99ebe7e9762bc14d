import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Feature } from '../../core/feature.js';
import { BoardServer } from './board.js';

export interface BoardFeatureOptions {
  host: string;
  port: number;
  clock: Clock;
  logger: Logger;
  /** Verified path of a cached image (the kiosk page shows images from the media cache). */
  mediaPath: (sha256: string) => Promise<string>;
}

/** The e-board's kiosk page (board agents only): what the playback shows, served on the local network. */
export class BoardFeature implements Feature {
  readonly name = 'board';
  private board: BoardServer | null = null;

  constructor(private readonly opts: BoardFeatureOptions) {}

  get server(): BoardServer | null {
    return this.board;
  }

  async start(): Promise<void> {
    const { host, port, logger, clock, mediaPath } = this.opts;
    this.board = new BoardServer({ host, port, logger, now: () => clock.now(), mediaPath });
    await this.board.start();
  }

  async stop(): Promise<void> {
    await this.board?.stop();
  }
}
