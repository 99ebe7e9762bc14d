import { commandMessageSchema, type DeviceKind } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Feature } from '../../core/feature.js';
import type { MessageGuard } from '../../router/guard.js';
import type { MessageRouter } from '../../router/message-router.js';
import type { Uplink } from '../mqtt/uplink.js';
import type { PlaybackFeature } from '../playback/playback.feature.js';
import { deviceCommandHandlers, type DeviceCommandDeps } from './command-handlers.js';
import { Commands } from './commands.js';
import type { ToneTest } from './self-test.js';

export interface CommandsFeatureOptions {
  deviceId: string;
  kind: DeviceKind;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  uplink: Pick<Uplink, 'publish'>;
  /** Judges freshness refusals (wrong device, expired, replay) and reports them. */
  guard: Pick<MessageGuard, 'open' | 'reject'>;
  router: Pick<MessageRouter, 'onDevice'>;
  /** What the commands act on. */
  playback: Pick<PlaybackFeature, 'executor' | 'runner' | 'output'>;
  prepare: DeviceCommandDeps['prepare'];
  resync: DeviceCommandDeps['resync'];
  restart: DeviceCommandDeps['restart'];
  logs: DeviceCommandDeps['logs'];
  /** Speaker only: built on start so a board never starts ffmpeg for it. */
  toneTest: () => ToneTest | null;
  /** Issue 20: the OTA feature's `update` handler, asked on start (after the OTA feature started); null: not installable. */
  update?: () => DeviceCommandDeps['update'];
}

/** Remote commands (`req` → `res`): each verified command is run once and answered exactly once per delivery. */
export class CommandsFeature implements Feature {
  readonly name = 'commands';
  private commands: Commands | null = null;

  constructor(private readonly opts: CommandsFeatureOptions) {}

  async start(): Promise<void> {
    const { opts } = this;
    const { playback } = opts;
    const commands = new Commands({
      deviceId: opts.deviceId,
      dataDir: opts.dataDir,
      clock: opts.clock,
      logger: opts.logger,
      guard: opts.guard,
      publish: (result) => opts.uplink.publish('res', result),
      handlers: deviceCommandHandlers({
        kind: opts.kind,
        clock: opts.clock,
        executor: playback.executor,
        runner: playback.runner,
        output: playback.output,
        prepare: opts.prepare,
        resync: opts.resync,
        restart: opts.restart,
        logs: opts.logs,
        toneTest: opts.toneTest(),
        // The OTA feature (issue 20): without an install directory it can update, an update is refused as not installable.
        update: opts.update?.() ?? null,
      }),
    });
    await commands.start();
    this.commands = commands;
    // The route outlives stop: a command arriving while the agent stops is logged and left for the server to resend.
    opts.router.onDevice('req', commandMessageSchema, (msg) => commands.receiveVerified(msg));
  }

  /** Stops taking commands and waits for the one running. */
  async stop(): Promise<void> {
    await this.commands?.stop();
  }
}
