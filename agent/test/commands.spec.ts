import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  commandResultMessageSchema,
  encodeMessage,
  generateSigningKey,
  signMessage,
  verifyKeyFromBase64,
  type CommandMessage,
  type CommandResultMessage,
  type SecurityReport,
} from '@loa/shared';
import { ManualClock } from '../src/clock.js';
import { JOURNAL_GRACE_MS } from '../src/features/commands/command-journal.js';
import { CommandRejectedError, Commands, type CommandHandlers, type CommandOutcome } from '../src/features/commands/commands.js';
import { MessageGuard } from '../src/router/guard.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const DEVICE = 'spk-cmd-01';
const T0 = 1_770_000_000_000;
const key = generateSigningKey();

describe(Commands.name, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clock: ManualClock;
  let answers: CommandResultMessage[];
  let reports: SecurityReport[];
  let online: boolean;
  let calls: Array<{ type: string; command: unknown }>;
  let behaviour: Partial<Record<string, () => Promise<CommandOutcome>>>;
  let sut: Commands;

  const handlers = (): CommandHandlers => {
    const h = (type: string) => async (command: unknown) => {
      calls.push({ type, command });
      return (await behaviour[type]?.()) ?? {};
    };
    return {
      setVolume: h('setVolume'),
      stop: h('stop'),
      playNow: h('playNow'),
      resync: h('resync'),
      restart: h('restart'),
      collectLogs: h('collectLogs'),
      selfTest: h('selfTest'),
      update: h('update'),
    };
  };

  const make = () =>
    new Commands({
      deviceId: DEVICE,
      dataDir: dir,
      clock,
      logger: silentLogger(),
      guard: new MessageGuard({ key: verifyKeyFromBase64(key.publicKeyB64), clock, logger: silentLogger(), report: (r) => void reports.push(r) }),
      handlers: handlers(),
      publish: async (r) => {
        // Every answer must be a valid `res` message.
        commandResultMessageSchema.parse(r);
        if (online) answers.push(r);
        return online;
      },
    });

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    clock = new ManualClock(T0);
    answers = [];
    reports = [];
    online = true;
    calls = [];
    behaviour = {};
    sut = make();
    await sut.start();
  });
  afterEach(async () => {
    await sut.stop();
    await cleanup();
  });

  const msg = (over: Partial<CommandMessage> = {}): CommandMessage => ({
    v: 1,
    id: 'cmd-1',
    deviceId: DEVICE,
    sentAt: T0 - 1000,
    expiresAt: T0 + 60_000,
    command: { type: 'setVolume', volume: 30 },
    ...over,
  });
  const deliver = async (m: CommandMessage | Buffer, to: Commands = sut) => {
    to.receive(Buffer.isBuffer(m) ? m : signMessage(key, m));
    await to.idle();
  };

  it('runs a command once and answers ok with its data', async () => {
    behaviour.setVolume = async () => ({ data: { volume: 30, muted: false } });
    await deliver(msg());
    expect(calls).toEqual([{ type: 'setVolume', command: { type: 'setVolume', volume: 30 } }]);
    expect(answers).toEqual([{ v: 1, id: 'cmd-1', at: T0, status: 'ok', data: { volume: 30, muted: false } }]);
    expect(reports).toEqual([]);
  });

  it('refuses a command for another device: rejected, reported as wrong-device, never run', async () => {
    await deliver(msg({ deviceId: 'spk-other' }));
    expect(calls).toEqual([]);
    expect(answers).toEqual([expect.objectContaining({ id: 'cmd-1', status: 'rejected', data: { reason: 'wrong-device' } })]);
    expect(reports).toEqual([expect.objectContaining({ reason: 'wrong-device', claimed: 'cmd-1', topic: `loa/v1/d/${DEVICE}/req` })]);
  });

  it('refuses an expired command: rejected, reported, never run (even at the exact expiry instant)', async () => {
    await deliver(msg({ expiresAt: T0 }));
    expect(calls).toEqual([]);
    expect(answers).toEqual([expect.objectContaining({ status: 'rejected', data: { reason: 'expired' } })]);
    expect(answers[0]?.message).toMatch(/^expired: /);
    expect(reports.map((r) => r.reason)).toEqual(['expired']);
  });

  it('refuses unsigned and forged messages without answering (there is no trustworthy id to answer)', async () => {
    await deliver(encodeMessage(msg()));
    await deliver(signMessage(generateSigningKey(), msg()));
    expect(calls).toEqual([]);
    expect(answers).toEqual([]);
    expect(reports.map((r) => r.reason)).toEqual(['unsigned', 'unknown-key']);
  });

  it('takes the same id with the same sentAt for a replay: reported, not run again', async () => {
    const copy = signMessage(key, msg());
    await deliver(copy);
    await deliver(copy);
    await deliver(msg({ sentAt: T0 - 5000 })); // an older send is a replay too
    expect(calls).toHaveLength(1);
    expect(answers.map((a) => a.status)).toEqual(['ok', 'rejected', 'rejected']);
    expect(answers.slice(1).map((a) => a.data)).toEqual([{ reason: 'replay' }, { reason: 'replay' }]);
    expect(reports.map((r) => r.reason)).toEqual(['replay', 'replay']);
  });

  it('answers a genuine resend (newer sentAt) with the stored result, without running again', async () => {
    behaviour.selfTest = async () => ({ data: { levelLufs: -23 } });
    online = false; // the first answer is lost
    await deliver(msg({ command: { type: 'selfTest' } }));
    online = true;
    clock.advance(5000);
    await deliver(msg({ command: { type: 'selfTest' }, sentAt: T0 + 4000 }));
    expect(calls).toHaveLength(1);
    expect(answers).toEqual([{ v: 1, id: 'cmd-1', at: T0, status: 'ok', data: { levelLufs: -23 } }]);
    // That resend's own copy, delivered again, is now a replay.
    await deliver(msg({ command: { type: 'selfTest' }, sentAt: T0 + 4000 }));
    expect(answers.at(-1)).toMatchObject({ status: 'rejected', data: { reason: 'replay' } });
    expect(calls).toHaveLength(1);
  });

  it('remembers accepted commands across a restart of the agent (journal on disk)', async () => {
    await deliver(msg());
    await sut.stop();
    const again = make();
    await again.start();
    try {
      await deliver(msg(), again);
      await deliver(msg({ sentAt: T0 }), again);
    } finally {
      await again.stop();
    }
    expect(calls).toHaveLength(1);
    expect(answers.map((a) => a.status)).toEqual(['ok', 'rejected', 'ok']);
    expect(reports.map((r) => r.reason)).toEqual(['replay']);
  });

  it('answers error with the message of a handler that throws, and rejected for a handler that refuses', async () => {
    behaviour.resync = async () => {
      throw new Error('broker unreachable');
    };
    behaviour.setVolume = async () => {
      throw new CommandRejectedError('a board has no audio output');
    };
    await deliver(msg({ id: 'c-a', command: { type: 'resync' } }));
    await deliver(msg({ id: 'c-b' }));
    expect(answers).toEqual([
      expect.objectContaining({ id: 'c-a', status: 'error', message: 'broker unreachable' }),
      expect.objectContaining({ id: 'c-b', status: 'rejected', message: 'a board has no audio output' }),
    ]);
    // Still working afterwards.
    await deliver(msg({ id: 'c-c', command: { type: 'stop' } }));
    expect(answers.at(-1)).toMatchObject({ id: 'c-c', status: 'ok' });
  });

  it('answers error for a command the agent died running, on its resend, and does not run it again', async () => {
    let release!: () => void;
    behaviour.selfTest = () => new Promise<CommandOutcome>((r) => (release = () => r({})));
    sut.receive(signMessage(key, msg({ command: { type: 'selfTest' } })));
    await waitFor(() => calls.length === 1, 5000, 'the self-test to start');
    // A second agent on the same data: as if the first had crashed mid-command.
    const after = make();
    await after.start();
    await deliver(msg({ command: { type: 'selfTest' }, sentAt: T0 }), after);
    await after.stop();
    expect(calls).toHaveLength(1);
    expect(answers).toEqual([expect.objectContaining({ status: 'error', message: expect.stringMatching(/interrupted/) })]);
    release();
  });

  it('runs commands one at a time in arrival order', async () => {
    const order: string[] = [];
    behaviour.selfTest = async () => {
      order.push('selfTest:start');
      await new Promise((r) => setTimeout(r, 30));
      order.push('selfTest:end');
      return {};
    };
    behaviour.stop = async () => {
      order.push('stop');
      return {};
    };
    sut.receive(signMessage(key, msg({ id: 'c-1', command: { type: 'selfTest' } })));
    sut.receive(signMessage(key, msg({ id: 'c-2', command: { type: 'stop' } })));
    await sut.idle();
    expect(order).toEqual(['selfTest:start', 'selfTest:end', 'stop']);
    expect(answers.map((a) => a.id)).toEqual(['c-1', 'c-2']);
  });

  it('runs the after-answer action (restart) only once the answer is out', async () => {
    const seen: number[] = [];
    behaviour.restart = async () => ({ data: { restarting: true }, after: () => void seen.push(answers.length) });
    await deliver(msg({ command: { type: 'restart' } }));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([1]);
    expect(answers[0]).toMatchObject({ status: 'ok', data: { restarting: true } });
  });

  it('keeps an answer within the payload limit: oversized data is dropped with a note', async () => {
    behaviour.collectLogs = async () => ({ data: { lines: ['x'.repeat(300 * 1024)] } });
    await deliver(msg({ command: { type: 'collectLogs' } }));
    expect(answers[0]).toMatchObject({ status: 'ok' });
    expect(answers[0]?.data).toBeUndefined();
    expect(answers[0]?.message).toMatch(/dropped/);
  });

  it('forgets a command once it has expired (plus a grace), and only then', async () => {
    await deliver(msg({ expiresAt: T0 + 1000 }));
    const files = () => readdir(join(dir, 'commands'));
    expect(await files()).toEqual(['cmd-1.json']);
    clock.advance(1000 + JOURNAL_GRACE_MS);
    await deliver(msg({ id: 'other', expiresAt: T0 + 10 * JOURNAL_GRACE_MS }));
    expect((await files()).sort()).toEqual(['cmd-1.json', 'other.json']);
    clock.advance(1);
    await deliver(msg({ id: 'third', expiresAt: T0 + 10 * JOURNAL_GRACE_MS }));
    // Pruning follows the delivery asynchronously: wait for the expired entry to go, then check what is left.
    await waitFor(async () => !(await files()).includes('cmd-1.json'), 5000, 'the expired journal entry to go');
    expect((await files()).sort()).toEqual(['other.json', 'third.json']);
    // A copy of the forgotten one is expired anyway: never run.
    await deliver(msg({ expiresAt: T0 + 1000 }));
    expect(answers.at(-1)).toMatchObject({ id: 'cmd-1', status: 'rejected', data: { reason: 'expired' } });
    expect(calls).toHaveLength(3);
  });
});
