import type { DeviceKind, PlaybackEvent, Slot } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../core/bus.js';
import { Subscriptions, type Feature } from '../../core/feature.js';
import type { BoardServer } from '../board/board.js';
import type { MediaCache } from '../media/media-cache.js';
import { Executor } from './executor.js';
import { OccurrenceLedger } from './occurrence-ledger.js';
import { OutputControl } from './output.js';
import type { Player } from './player.js';
import { BoardRunner, SpeakerRunner, type SlotRunner } from './runners.js';

export interface PlaybackFeatureOptions {
  kind: DeviceKind;
  dataDir: string;
  /** The corrected (server) clock slots run on, and the device's own clock (reported beside it). */
  clock: Clock;
  localClock: Clock;
  /** Child loggers per part (executor, output), as the agent's log lines have always been tagged. */
  loggerFor: (feature: string) => Logger;
  bus: EventBus;
  /** What plays: the stored timeline and the alerts in force. */
  timeline: { readonly slots: readonly Slot[] };
  alerts: { slots(now: number): Slot[] };
  /** The durable hand-off of a report (outbox): awaited, so the executor never runs ahead of what is saved. */
  reports: { add(event: PlaybackEvent): Promise<void> };
  media: () => MediaCache;
  /** Speaker: the output (ffmpeg with meter and live volume); built lazily so a board never starts ffmpeg. */
  player: () => Player;
  /** Board: the kiosk page the runner draws on. */
  board: () => BoardServer | null;
}

/** Runs the plan (timeline + alerts) on time on the device's output, and replans whenever either changes. */
export class PlaybackFeature implements Feature {
  readonly name = 'playback';
  private ex: Executor | null = null;
  private slotRunner: SlotRunner | null = null;
  private outputControl: OutputControl | null = null;
  private stopping = false;
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly opts: PlaybackFeatureOptions) {}

  get executor(): Executor {
    if (!this.ex) throw new Error('playback feature not started');
    return this.ex;
  }

  get runner(): SlotRunner {
    if (!this.slotRunner) throw new Error('playback feature not started');
    return this.slotRunner;
  }

  /** Speaker volume and output level (null on a board). */
  get output(): OutputControl | null {
    return this.outputControl;
  }

  get playing(): string | null {
    return this.ex?.playing ?? null;
  }

  async start(): Promise<void> {
    const { opts } = this;
    this.stopping = false;
    const ledger = new OccurrenceLedger(opts.dataDir);
    await ledger.load();
    this.slotRunner = await this.makeRunner();
    const executor = new Executor({
      clock: opts.clock,
      localNow: () => opts.localClock.now(),
      onStarted: (info) => opts.bus.emit('playback.started', info),
      ledger,
      runner: this.slotRunner,
      logger: opts.loggerFor('executor'),
      emit: (event) => opts.reports.add(event),
      onCurrent: (occurrenceId) => opts.bus.emit('playback.current', occurrenceId ? { occurrenceId } : null),
    });
    this.ex = executor;
    const replan = () => {
      if (!this.stopping) executor.setSlots(this.plan());
    };
    this.subscriptions.add(
      opts.bus.on('agent.stopping', () => (this.stopping = true)),
      opts.bus.on('timeline.updated', replan),
      opts.bus.on('alert.changed', replan),
      opts.bus.on('clock.stepped', () => executor.replan()),
    );
    executor.start(this.plan());
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
    await this.ex?.stop();
  }

  private async makeRunner(): Promise<SlotRunner> {
    const { opts } = this;
    if (opts.kind === 'board') {
      const board = opts.board();
      if (!board) throw new Error('a board agent needs its kiosk page started before playback');
      return new BoardRunner(board, opts.clock, opts.media());
    }
    this.outputControl = new OutputControl({ player: opts.player(), dataDir: opts.dataDir, logger: opts.loggerFor('output') });
    await this.outputControl.load();
    return new SpeakerRunner(opts.media(), this.outputControl, opts.clock);
  }

  /** Everything the executor should run: the stored timeline plus the alerts in force. */
  private plan(): Slot[] {
    return [...this.opts.timeline.slots, ...this.opts.alerts.slots(this.opts.clock.now())];
  }
}
