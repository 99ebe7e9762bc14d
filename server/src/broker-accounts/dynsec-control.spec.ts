import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { createLogger } from '../logging/logger.js';
import { DYNSEC_CONTROL_TIMING, DynsecControl, type ControlTransport, type DynsecControlTiming } from './dynsec-control.js';

interface SentCommand {
  command: string;
  correlationData: string;
  [k: string]: unknown;
}

/**
 * A broker that answers like the plugin (one response message per command message, correlationData echoed), and
 * that a test can hold back, ignore or make refuse.
 */
class FakePlugin implements ControlTransport {
  readonly messages: SentCommand[][] = [];
  epoch = 0;
  listening = false;
  /** Answer pings only once this is true (the response subscription is live). */
  live = true;
  /** Leave real commands unanswered. */
  silent = false;
  failPublish: Error | null = null;
  private handler: ((payload: Buffer) => void) | null = null;
  private onMessage: (() => void) | null = null;

  async publish(payload: Buffer): Promise<void> {
    if (this.failPublish) throw this.failPublish;
    const { commands } = JSON.parse(payload.toString()) as { commands: SentCommand[] };
    const ping = commands.length === 1 && commands[0]!.command === 'getDefaultACLAccess';
    if (!ping) this.messages.push(commands);
    this.onMessage?.();
    if (!this.live || (this.silent && !ping)) return;
    const responses = commands.map((c) => ({
      command: c.command,
      ...(c.username === 'taken' ? { error: 'Client already exists' } : {}),
      ...(c.command === 'getClient' ? { data: { client: { username: c.username } } } : {}),
      correlationData: c.correlationData,
    }));
    // Another instance's answer arrives on the same topic first: ignored.
    this.respond({ responses: [{ command: 'createClient', correlationData: 'loa:other:0000:1' }] });
    setImmediate(() => this.respond({ responses }));
  }

  async listen(handler: (payload: Buffer) => void): Promise<void> {
    this.listening = true;
    this.handler = handler;
  }

  connectionEpoch(): number {
    return this.epoch;
  }

  respond(body: unknown): void {
    this.handler?.(Buffer.from(JSON.stringify(body)));
  }

  /** Resolves on the next message published (pings included). */
  nextPublish(): Promise<void> {
    return new Promise((resolve) => (this.onMessage = resolve));
  }
}

const timing = (over: Partial<DynsecControlTiming> = {}): DynsecControlTiming => ({ ...DYNSEC_CONTROL_TIMING, pingIntervalMs: 20, ...over });

describe('DynsecControl', () => {
  const logger = createLogger('silent');

  it('sends the commands queued in one tick as one message and settles each by its correlationData', async () => {
    const plugin = new FakePlugin();
    const control = new DynsecControl(plugin, 'a', new Clock(), new Metrics(), logger, timing());
    const outcomes = await Promise.all([
      control.send({ command: 'createClient', username: 'd1' }),
      control.send({ command: 'createClient', username: 'taken' }),
      control.send({ command: 'getClient', username: 'd3' }),
    ]);
    expect(plugin.messages).toHaveLength(1);
    expect(plugin.messages[0]!.map((c) => c.command)).toEqual(['createClient', 'createClient', 'getClient']);
    expect(new Set(plugin.messages[0]!.map((c) => c.correlationData)).size).toBe(3);
    expect(outcomes).toEqual([
      { ok: true, data: undefined },
      { ok: false, answered: true, error: 'Client already exists' },
      { ok: true, data: { client: { username: 'd3' } } },
    ]);
  });

  it('splits a large queue into messages bounded in commands and bytes', async () => {
    const plugin = new FakePlugin();
    const control = new DynsecControl(plugin, 'a', new Clock(), new Metrics(), logger, timing({ maxCommandsPerMessage: 40, maxMessageBytes: 4_000 }));
    const outcomes = await control.sendAll(Array.from({ length: 100 }, (_, i) => ({ command: 'createClient', username: `d${i}`, password: 'x'.repeat(100) })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(plugin.messages.length).toBeGreaterThan(2);
    expect(plugin.messages.flat().map((c) => c.username)).toEqual(Array.from({ length: 100 }, (_, i) => `d${i}`));
    for (const m of plugin.messages) expect(JSON.stringify({ commands: m }).length).toBeLessThan(4_000 + 200);
  });

  it('waits for the plugin to answer a ping before the first command (the response subscription may not be live yet)', async () => {
    const plugin = new FakePlugin();
    plugin.live = false;
    const control = new DynsecControl(plugin, 'a', new Clock(), new Metrics(), logger, timing());
    const outcome = control.send({ command: 'createClient', username: 'd1' });
    await plugin.nextPublish(); // a ping, unanswered
    expect(plugin.messages).toHaveLength(0);
    plugin.live = true;
    await expect(outcome).resolves.toEqual({ ok: true, data: undefined });
    expect(plugin.listening).toBe(true);
    expect(plugin.messages).toHaveLength(1);
  });

  it('reports commands unanswered within the timeout, then checks the channel again', async () => {
    const plugin = new FakePlugin();
    const metrics = new Metrics();
    const control = new DynsecControl(plugin, 'a', new Clock(), metrics, logger, timing({ responseTimeoutMs: 50 }));
    plugin.silent = true;
    await expect(control.send({ command: 'deleteClient', username: 'd1' })).resolves.toMatchObject({ ok: false, answered: false, error: expect.stringMatching(/no answer/) });
    expect(metrics.get('dynsec_unanswered')).toBe(1);
    plugin.silent = false;
    await expect(control.send({ command: 'deleteClient', username: 'd1' })).resolves.toEqual({ ok: true, data: undefined });
  });

  it('reports a command the broker would not take (publish refused) without waiting for an answer', async () => {
    const plugin = new FakePlugin();
    const control = new DynsecControl(plugin, 'a', new Clock(), new Metrics(), logger, timing());
    await control.send({ command: 'getClient', username: 'warm-up' });
    plugin.failPublish = new Error('Publish error: Not authorized');
    await expect(control.send({ command: 'createClient', username: 'd1' })).resolves.toEqual({ ok: false, answered: false, error: 'not sent to the broker: Publish error: Not authorized' });
  });

  it('gives up on commands when the plugin never answers a ping', async () => {
    const plugin = new FakePlugin();
    plugin.live = false;
    const control = new DynsecControl(plugin, 'a', new Clock(), new Metrics(), logger, timing({ readyTimeoutMs: 100 }));
    await expect(control.send({ command: 'createClient', username: 'd1' })).resolves.toMatchObject({ ok: false, answered: false, error: expect.stringMatching(/did not answer/) });
  });

  it('answers "stopping" to whatever is queued or waiting when closed', async () => {
    const plugin = new FakePlugin();
    plugin.silent = true;
    const control = new DynsecControl(plugin, 'a', new Clock(), new Metrics(), logger, timing());
    const waiting = control.send({ command: 'createClient', username: 'd1' });
    await plugin.nextPublish(); // the ping
    await plugin.nextPublish(); // the command
    control.close();
    await expect(waiting).resolves.toMatchObject({ ok: false, answered: false, error: 'the server is stopping' });
    await expect(control.send({ command: 'createClient', username: 'd2' })).resolves.toMatchObject({ ok: false, answered: false });
  });
});
