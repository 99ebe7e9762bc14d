import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { createLogger } from '../logging/logger.js';
import type { AccountSources } from './broker-accounts.repository.js';
import { DYNSEC_ACCOUNTS_TIMING, DynsecBrokerAccounts } from './dynsec-accounts.js';
import type { DynsecCommand, DynsecControl, DynsecOutcome } from './dynsec-control.js';

/**
 * The plugin's state as far as these tests need it (clients by name), answering like Mosquitto 2.0.11, with a
 * switch to hold every answer back (a slow broker).
 */
class FakeControl {
  readonly sent: DynsecCommand[] = [];
  readonly clients = new Map<string, { textname?: string; disabled?: boolean }>();
  private held: Array<() => void> | null = null;

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const answer of held) answer();
  }

  send(command: DynsecCommand): Promise<DynsecOutcome> {
    this.sent.push(command);
    const outcome = this.apply(command);
    if (this.held === null) return Promise.resolve(outcome);
    return new Promise((resolve) => this.held!.push(() => resolve(outcome)));
  }

  sendAll(commands: readonly DynsecCommand[]): Promise<DynsecOutcome[]> {
    return Promise.all(commands.map((c) => this.send(c)));
  }

  /** What was sent, as "command username" lines (roles and the like left out). */
  log(): string[] {
    return this.sent.map((c) => `${c.command}${typeof c.username === 'string' ? ` ${c.username}` : typeof c.rolename === 'string' ? ` ${c.rolename}` : ''}`);
  }

  private apply(c: DynsecCommand): DynsecOutcome {
    const name = c.username as string;
    const client = this.clients.get(name);
    const fail = (error: string): DynsecOutcome => ({ ok: false, answered: true, error });
    switch (c.command) {
      case 'createClient':
        if (client) return fail('Client already exists');
        this.clients.set(name, { textname: c.textname as string });
        return { ok: true, data: undefined };
      case 'getClient':
        return client ? { ok: true, data: { client: { username: name, ...client } } } : fail('Client not found');
      case 'disableClient':
      case 'enableClient':
        if (!client) return fail('Client not found');
        client.disabled = c.command === 'disableClient';
        return { ok: true, data: undefined };
      case 'deleteClient':
        return this.clients.delete(name) ? { ok: true, data: undefined } : fail('Client not found');
      default:
        return { ok: true, data: undefined };
    }
  }
}

const sources: AccountSources = {
  devices: async () => [],
  chains: async (ids) => new Map(ids.map((id) => [id, ['01']])),
  pendingEnrollments: async () => [],
};

function accountsOver(control: FakeControl, metrics = new Metrics(), answerBaseMs = DYNSEC_ACCOUNTS_TIMING.answerBaseMs) {
  return new DynsecBrokerAccounts(control as unknown as DynsecControl, sources, new Clock(), metrics, createLogger('silent'), { ...DYNSEC_ACCOUNTS_TIMING, answerBaseMs, answerPerAccountMs: 0 });
}

describe('DynsecBrokerAccounts', () => {
  it('creates a device\'s account with its secret and roles in one command, its area role first', async () => {
    const control = new FakeControl();
    await accountsOver(control).issued([{ deviceId: 'd1', secret: 's1', areaCodes: ['01', '001'] }]);
    expect(control.log()).toEqual(['createRole loa-area-001', 'createClient d1']);
    expect(control.sent[1]).toEqual({
      command: 'createClient',
      username: 'd1',
      clientid: 'd1',
      textname: 'loa-device',
      password: 's1',
      roles: [
        { rolename: 'loa-area-001', priority: 2 },
        { rolename: 'loa-device', priority: 1 },
      ],
    });
  });

  it('keeps a pending enrolment unable to log in: created without a password, disabled before it gets one', async () => {
    const control = new FakeControl();
    await accountsOver(control).issued([{ deviceId: 'e1', secret: 's1', areaCodes: null }]);
    expect(control.log()).toEqual(['createClient e1', 'disableClient e1', 'setClientPassword e1']);
    expect(control.sent[0]).not.toHaveProperty('password');
  });

  it('rotates an existing account: the new secret first, enabled only after (a revoked device is never let in with its old one)', async () => {
    const control = new FakeControl();
    control.clients.set('d1', { textname: 'loa-device', disabled: true });
    await accountsOver(control).issued([{ deviceId: 'd1', secret: 'new', areaCodes: ['01'] }]);
    expect(control.log()).toEqual(['createRole loa-area-01', 'createClient d1', 'getClient d1', 'modifyClient d1', 'enableClient d1']);
    expect(control.clients.get('d1')?.disabled).toBe(false);
  });

  it('applies one device\'s changes in the order they were made, whatever the round trips', async () => {
    const control = new FakeControl();
    control.clients.set('d1', { textname: 'loa-device' });
    const accounts = accountsOver(control);
    // A rotation, then at once a revocation: the revocation's disable must come after the rotation's enable.
    await Promise.all([accounts.issued([{ deviceId: 'd1', secret: 'new', areaCodes: ['01'] }]), accounts.revoked('d1')]);
    const log = control.log();
    expect(log.lastIndexOf('disableClient d1')).toBeGreaterThan(log.lastIndexOf('enableClient d1'));
    expect(control.clients.get('d1')?.disabled).toBe(true);
  });

  it('never changes an account it does not manage, and says so', async () => {
    const control = new FakeControl();
    control.clients.set('admin', { textname: 'Dynsec admin user' });
    const metrics = new Metrics();
    const accounts = accountsOver(control, metrics);
    await accounts.issued([{ deviceId: 'admin', secret: 's', areaCodes: ['01'] }]);
    await accounts.revoked('admin');
    await accounts.discarded(['admin']);
    await accounts.endSession('admin');
    expect(control.log().filter((l) => !l.startsWith('getClient') && !l.startsWith('createRole'))).toEqual(['createClient admin']);
    expect(metrics.get('broker_accounts_foreign')).toBe(4);
    expect(await accounts.account('admin')).toMatchObject({ state: 'foreign', areasInSync: null, lastError: expect.stringMatching(/does not manage/) });
  });

  it('does not end a session again that its own change just ended', async () => {
    const control = new FakeControl();
    control.clients.set('d1', { textname: 'loa-device' });
    const accounts = accountsOver(control);
    await accounts.revoked('d1');
    await accounts.endSession('d1');
    expect(control.log()).toEqual(['getClient d1', 'disableClient d1']);
    // Without such a change, an empty modifyClient ends it.
    await accounts.endSession('d1');
    expect(control.log().slice(2)).toEqual(['getClient d1', 'modifyClient d1']);
  });

  it('answers within its bound when the broker is slow, and finishes the work behind it', async () => {
    const control = new FakeControl();
    const metrics = new Metrics();
    control.hold();
    await accountsOver(control, metrics, 20).issued([{ deviceId: 'd1', secret: 's1', areaCodes: ['01'] }]);
    expect(metrics.get('broker_accounts_answered_before_confirmed')).toBe(1);
    expect(control.clients.has('d1')).toBe(true);
    control.release();
    expect(metrics.get('broker_accounts_failed')).toBe(0);
  });
});
