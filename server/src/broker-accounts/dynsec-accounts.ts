import type { Clock } from '../common/clock.js';
import type { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { BrokerAccounts, type BrokerAccountView, type IssuedAccount } from './broker-accounts.js';
import type { AccountSources } from './broker-accounts.repository.js';
import { areaRoleAcls, areaRoleName, deviceRoles, MANAGED_TEXTNAME, sameRoles } from './dynsec-acl.js';
import { clientSchema, cmd, DYNSEC_ERRORS, getClientData, roleRefs, type DynsecClient } from './dynsec-commands.js';
import type { DynsecControl, DynsecOutcome } from './dynsec-control.js';

export interface DynsecAccountsTiming {
  /** Each change answers once the broker confirmed, or after base + per device (capped), whichever comes first. */
  readonly answerBaseMs: number;
  readonly answerPerAccountMs: number;
  readonly answerMaxMs: number;
  /** The security view waits this long for the broker. */
  readonly viewTimeoutMs: number;
  /** A session this instance just ended (disable, new password, delete) is not ended again by disconnect(). */
  readonly endedMemoryMs: number;
}

export const DYNSEC_ACCOUNTS_TIMING: DynsecAccountsTiming = {
  answerBaseMs: 10_000,
  // Mosquitto 2.0 rewrites its whole file per command: 10,000 new accounts took 374 s on a busy 2-core machine (so a
  // bulk registration that large answers before all are confirmed, and says so in the log).
  answerPerAccountMs: 20,
  answerMaxMs: 300_000,
  viewTimeoutMs: 5_000,
  endedMemoryMs: 30_000,
};

/** What a client of that name is to Loa: ours, someone else's (never touched), absent, or not known (no answer). */
type Ownership = { kind: 'managed'; client: DynsecClient } | { kind: 'foreign' } | { kind: 'missing' } | { kind: 'unknown'; error: string };

const LAST_ERRORS_KEPT = 10_000;

/** A new account: a pending enrolment's without a password (it cannot log in before it is disabled, next). */
const createCommand = (a: IssuedAccount) =>
  a.areaCodes === null
    ? cmd.createClient({ username: a.deviceId, clientid: a.deviceId, textname: MANAGED_TEXTNAME })
    : cmd.createClient({ username: a.deviceId, clientid: a.deviceId, textname: MANAGED_TEXTNAME, password: a.secret, roles: deviceRoles(a.areaCodes) });

/**
 * Device accounts in Mosquitto's dynamic-security plugin (LOA_BROKER_ACCOUNTS=dynsec). A device is one client:
 * username and client id = its id, its secret as password, `textname` marking it Loa's, and two roles (its area's
 * alerts and the shared device role, see dynsec-acl.ts). A pending enrolment is a disabled client without roles.
 *
 * Only clients marked Loa's are ever changed or deleted: a device id may equal an account someone else created
 * (the admin, the server's own): that device is reported (`foreign`), the account left alone.
 */
export class DynsecBrokerAccounts extends BrokerAccounts {
  /** Leaf areas whose role this process wrote (or is writing), cleared when areas are re-parented. */
  private readonly areaRoles = new Map<string, Promise<void>>();
  /** Sessions this process just ended through a credentials change, so MessageBroker.disconnect has nothing to do. */
  private readonly ended = new Map<string, number>();
  /** Each device's latest change in progress (see serially). */
  private readonly perDevice = new Map<string, Promise<void>>();
  /** The last provisioning failure per device (bounded), for the security view. */
  private readonly lastErrors = new Map<string, { error: string; at: number }>();

  constructor(
    private readonly control: DynsecControl,
    private readonly repo: AccountSources,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly logger: AppLogger,
    private readonly timing: DynsecAccountsTiming = DYNSEC_ACCOUNTS_TIMING,
  ) {
    super();
  }

  async issued(accounts: readonly IssuedAccount[]): Promise<void> {
    if (accounts.length === 0) return;
    await this.bounded(accounts.map((a) => a.deviceId), 'new secrets', () => this.issue(accounts));
  }

  async admitted(deviceId: string, areaCodes: readonly string[]): Promise<void> {
    await this.bounded([deviceId], 'a claimed enrolment', () =>
      this.serially(deviceId, async () => {
        const owner = await this.ownership(deviceId);
        if (owner.kind !== 'managed') return this.notOurs(deviceId, owner, 'the enrolment was claimed');
        // Enabled only once it holds its roles.
        if (await this.apply(deviceId, [cmd.modifyClient({ username: deviceId, roles: deviceRoles(areaCodes) })], [areaCodes])) await this.apply(deviceId, [cmd.enableClient(deviceId)]);
      }),
    );
  }

  async moved(deviceIds: readonly string[]): Promise<void> {
    await this.bounded(deviceIds, 'a move', async () => {
      const chains = await this.repo.chains(deviceIds);
      await Promise.all(
        [...chains].map(([deviceId, areaCodes]) =>
          this.serially(deviceId, async () => {
            const owner = await this.ownership(deviceId);
            if (owner.kind !== 'managed') return this.notOurs(deviceId, owner, 'the device moved');
            await this.apply(deviceId, [cmd.modifyClient({ username: deviceId, roles: deviceRoles(areaCodes) })], [areaCodes]);
          }),
        ),
      );
    });
  }

  async reparented(deviceIds: readonly string[]): Promise<void> {
    await this.bounded(deviceIds, 're-parented areas', async () => {
      // Roles of areas with no device now are rewritten when next used.
      this.areaRoles.clear();
      const chains = await this.repo.chains(deviceIds);
      await this.ensureAreaRoles([...chains.values()]);
      this.logger.info({ ctx: 'dynsec', devices: chains.size }, 'area roles follow re-parented areas');
    });
  }

  async revoked(deviceId: string): Promise<void> {
    await this.bounded([deviceId], 'a revocation', () =>
      this.serially(deviceId, async () => {
        const owner = await this.ownership(deviceId);
        if (owner.kind === 'missing') return;
        if (owner.kind !== 'managed') return this.notOurs(deviceId, owner, 'the device was revoked');
        if (await this.apply(deviceId, [cmd.disableClient(deviceId)])) this.sessionEnded(deviceId);
      }),
    );
  }

  async discarded(deviceIds: readonly string[]): Promise<void> {
    await this.bounded(deviceIds, 'a removal', async () => {
      await Promise.all(
        deviceIds.map((deviceId) =>
          this.serially(deviceId, async () => {
            const owner = await this.ownership(deviceId);
            if (owner.kind === 'missing') return;
            if (owner.kind !== 'managed') return this.notOurs(deviceId, owner, 'the device was removed');
            if (await this.apply(deviceId, [cmd.deleteClient(deviceId)])) this.sessionEnded(deviceId);
          }),
        ),
      );
    });
  }

  async account(deviceId: string): Promise<BrokerAccountView> {
    const last = this.lastErrors.get(deviceId);
    const view = (state: BrokerAccountView['state'], areasInSync: boolean | null): BrokerAccountView => ({
      state,
      areasInSync,
      lastError: last?.error ?? null,
      lastErrorAt: last ? new Date(last.at).toISOString() : null,
    });
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<Ownership>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'unknown', error: 'no answer' }), this.timing.viewTimeoutMs);
    });
    const owner = await Promise.race([this.ownership(deviceId), slow]);
    clearTimeout(timer);
    if (owner.kind !== 'managed') return view(owner.kind, null);
    const chain = (await this.repo.chains([deviceId])).get(deviceId);
    const inSync = chain === undefined ? null : sameRoles(roleRefs(owner.client), deviceRoles(chain));
    return view(owner.client.disabled === true ? 'disabled' : 'active', inSync);
  }

  /**
   * MessageBroker.disconnect at this broker (registered as its SessionTerminator). A credentials change made here has
   * already ended the session (the plugin kicks a client it disables, deletes or gives a new password); otherwise an
   * empty modifyClient ends it. Resolves even when the broker does not answer: the change behind the call is
   * committed, and the view and reconciliation show what is left to do.
   */
  async endSession(deviceId: string): Promise<void> {
    await this.bounded([deviceId], 'ending a session', () =>
      this.serially(deviceId, async () => {
        const endedAt = this.ended.get(deviceId);
        this.ended.delete(deviceId);
        if (endedAt !== undefined && this.clock.now() - endedAt < this.timing.endedMemoryMs) return;
        const owner = await this.ownership(deviceId);
        if (owner.kind === 'missing') return;
        if (owner.kind !== 'managed') return this.notOurs(deviceId, owner, 'its session was to be ended');
        const kicked = await this.control.send(cmd.modifyClient({ username: deviceId }));
        if (!kicked.ok) {
          this.metrics.inc('broker_accounts_kick_failed');
          this.logger.error({ ctx: 'dynsec', deviceId, err: kicked.error }, 'could not end the device\'s session at the broker');
        }
      }),
    );
  }

  /**
   * Creates the accounts (all commands queued at once, so they leave together), then, device by device in its turn
   * (serially), what each outcome calls for.
   */
  private async issue(accounts: readonly IssuedAccount[]): Promise<void> {
    const roles = this.ensureAreaRoles(accounts.flatMap((a) => (a.areaCodes === null ? [] : [a.areaCodes])));
    const created = accounts.map((a) => this.control.send(createCommand(a)));
    // One log line per distinct error, not one per device of a large batch.
    const failures = new Map<string, string[]>();
    await Promise.all(
      accounts.map((a, i) =>
        this.serially(a.deviceId, async () => {
          let outcome = await created[i]!;
          if (!outcome.ok && outcome.answered && outcome.error === DYNSEC_ERRORS.roleNotFound && a.areaCodes !== null) {
            // Its area role was deleted behind this process's back (reconciliation elsewhere, an operator).
            this.areaRoles.delete(a.areaCodes[a.areaCodes.length - 1]!);
            outcome = (await this.retryingRoles([a.areaCodes], () => this.control.sendAll([createCommand(a)])))[0]!;
          }
          if (outcome.ok) {
            if (a.areaCodes === null) await this.apply(a.deviceId, [cmd.disableClient(a.deviceId), cmd.setClientPassword(a.deviceId, a.secret)]);
            else this.lastErrors.delete(a.deviceId);
          } else if (outcome.answered && outcome.error === DYNSEC_ERRORS.clientExists) {
            // A rotation, an enrolment renewed, or an account left from before: updated if it is ours.
            await this.replaceSecret(a);
          } else {
            const ids = failures.get(outcome.error);
            if (ids) ids.push(a.deviceId);
            else failures.set(outcome.error, [a.deviceId]);
          }
        }),
      ),
    );
    await roles;
    for (const [error, ids] of failures) this.failed(ids, error);
  }

  /** Runs within the device's turn (serially). */
  private async replaceSecret(a: IssuedAccount): Promise<void> {
    const owner = await this.ownership(a.deviceId);
    if (owner.kind !== 'managed') return this.notOurs(a.deviceId, owner, 'its secret was issued');
    if (a.areaCodes === null) {
      // A pending enrolment's new secret: disabled first, so it never lets anyone in.
      if (await this.apply(a.deviceId, [cmd.disableClient(a.deviceId), cmd.modifyClient({ username: a.deviceId, clientid: a.deviceId, password: a.secret, roles: [] })])) this.sessionEnded(a.deviceId);
      return;
    }
    // A rotation (of a revoked device too): enabled only once the new secret is in place, never with the old one.
    if (!(await this.apply(a.deviceId, [cmd.modifyClient({ username: a.deviceId, clientid: a.deviceId, password: a.secret, roles: deviceRoles(a.areaCodes) })], [a.areaCodes]))) return;
    // Changing the password ended the session the old secret had opened.
    this.sessionEnded(a.deviceId);
    await this.apply(a.deviceId, [cmd.enableClient(a.deviceId)]);
  }

  /** Sends these commands for one device (its area role written first); true when all succeeded (failures recorded). */
  private async apply(deviceId: string, commands: Parameters<DynsecControl['sendAll']>[0], chains: ReadonlyArray<readonly string[]> = []): Promise<boolean> {
    const outcomes = await this.retryingRoles(chains, () => this.control.sendAll(commands));
    return this.settle([deviceId], outcomes);
  }

  /** Queues the area roles these chains need, then `send`: they leave in that order, usually in one message. */
  private async withAreaRoles(chains: ReadonlyArray<readonly string[]>, send: () => Promise<DynsecOutcome[]>): Promise<DynsecOutcome[]> {
    const roles = this.ensureAreaRoles(chains);
    const outcomes = await send();
    await roles;
    return outcomes;
  }

  /** withAreaRoles, and once more if the plugin says a role is missing (deleted behind this process's back). */
  private async retryingRoles(chains: ReadonlyArray<readonly string[]>, send: () => Promise<DynsecOutcome[]>): Promise<DynsecOutcome[]> {
    const outcomes = await this.withAreaRoles(chains, send);
    if (!outcomes.some((o) => !o.ok && o.answered && o.error === DYNSEC_ERRORS.roleNotFound)) return outcomes;
    for (const chain of chains) this.areaRoles.delete(chain[chain.length - 1]!);
    return this.withAreaRoles(chains, send);
  }

  /**
   * Writes the role of each leaf area not yet written by this process, with its chain's alert channels: created, or
   * rewritten when it exists (its chain may have changed while no process of ours watched).
   */
  private ensureAreaRoles(chains: ReadonlyArray<readonly string[]>): Promise<void> {
    const pending: Array<Promise<void>> = [];
    for (const chain of chains) {
      const leaf = chain[chain.length - 1];
      if (leaf === undefined) continue;
      let written = this.areaRoles.get(leaf);
      if (written === undefined) {
        written = this.writeAreaRole(leaf, chain);
        this.areaRoles.set(leaf, written);
      }
      pending.push(written);
    }
    return Promise.all(pending).then(() => undefined);
  }

  private async writeAreaRole(leaf: string, chain: readonly string[]): Promise<void> {
    const rolename = areaRoleName(leaf);
    const acls = areaRoleAcls(chain);
    let outcome: DynsecOutcome = await this.control.send(cmd.createRole(rolename, acls));
    if (!outcome.ok && outcome.answered && outcome.error === DYNSEC_ERRORS.roleExists) outcome = await this.control.send(cmd.modifyRole(rolename, acls));
    if (!outcome.ok) {
      // Written again by the next account that needs it.
      this.areaRoles.delete(leaf);
      this.metrics.inc('broker_accounts_failed');
      this.logger.error({ ctx: 'dynsec', role: rolename, err: outcome.error }, 'could not write an area role at the broker');
    }
  }

  private async ownership(deviceId: string): Promise<Ownership> {
    const got = await this.control.send(cmd.getClient(deviceId));
    if (!got.ok) return got.answered && got.error === DYNSEC_ERRORS.clientNotFound ? { kind: 'missing' } : { kind: 'unknown', error: got.error };
    const parsed = getClientData.safeParse(got.data);
    if (!parsed.success) return { kind: 'unknown', error: 'unexpected getClient answer' };
    const client = clientSchema.parse(parsed.data.client);
    return client.textname === MANAGED_TEXTNAME ? { kind: 'managed', client } : { kind: 'foreign' };
  }

  private notOurs(deviceId: string, owner: Exclude<Ownership, { kind: 'managed' }>, when: string): void {
    if (owner.kind === 'unknown') return this.failed([deviceId], owner.error);
    const error =
      owner.kind === 'foreign'
        ? `the broker has an account named ${deviceId} that Loa does not manage; left alone (the device cannot log in as itself)`
        : `the broker has no account for ${deviceId}: rotate its credentials (POST /api/v1/devices/${deviceId}/credentials/rotate) to create one`;
    this.metrics.inc(owner.kind === 'foreign' ? 'broker_accounts_foreign' : 'broker_accounts_missing');
    this.record(deviceId, error);
    this.logger.warn({ ctx: 'dynsec', deviceId, when }, error);
  }

  /** True when every outcome is a success; failures are recorded for these devices. */
  private settle(deviceIds: readonly string[], outcomes: readonly DynsecOutcome[]): boolean {
    const failure = outcomes.find((o): o is Extract<DynsecOutcome, { ok: false }> => !o.ok);
    if (failure === undefined) {
      for (const id of deviceIds) this.lastErrors.delete(id);
      return true;
    }
    this.failed(deviceIds, failure.error);
    return false;
  }

  private failed(deviceIds: readonly string[], error: string): void {
    this.metrics.inc('broker_accounts_failed', deviceIds.length);
    for (const id of deviceIds) this.record(id, error);
    this.logger.error({ ctx: 'dynsec', devices: deviceIds.length, deviceIds: deviceIds.slice(0, 20), err: error }, 'device accounts at the broker not updated');
  }

  private record(deviceId: string, error: string): void {
    this.lastErrors.delete(deviceId);
    this.lastErrors.set(deviceId, { error, at: this.clock.now() });
    if (this.lastErrors.size > LAST_ERRORS_KEPT) this.lastErrors.delete(this.lastErrors.keys().next().value!);
  }

  private sessionEnded(deviceId: string): void {
    this.ended.set(deviceId, this.clock.now());
    // Forgotten by endSession or, if nobody asks, by the next ones (bounded by the sessions ended in endedMemoryMs).
    if (this.ended.size > 1000) {
      const horizon = this.clock.now() - this.timing.endedMemoryMs;
      for (const [id, at] of this.ended) if (at < horizon) this.ended.delete(id);
    }
  }

  /**
   * Runs a change that follows a committed one: never throws (logged and counted instead), and resolves once the
   * broker confirmed or after base + per device (capped), whichever comes first: the work goes on behind it.
   */
  private async bounded(deviceIds: readonly string[], what: string, work: () => Promise<void>): Promise<void> {
    const done = work().then(
      () => 'done' as const,
      (err: Error) => {
        this.failed(deviceIds, err.message);
        return 'done' as const;
      },
    );
    const boundMs = Math.min(this.timing.answerMaxMs, this.timing.answerBaseMs + this.timing.answerPerAccountMs * deviceIds.length);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), boundMs);
    });
    const result = await Promise.race([done, late]);
    clearTimeout(timer);
    if (result === 'late') {
      this.metrics.inc('broker_accounts_answered_before_confirmed');
      this.logger.warn({ ctx: 'dynsec', what, devices: deviceIds.length, waitedMs: boundMs }, 'answering before the broker confirmed the device accounts\' change; it goes on (until then the broker applies the previous state)');
    }
  }

  /**
   * One device's changes reach the broker in the order they were made (each made after its commit), whatever
   * their round trips: a rotation that re-enables cannot land after a later revocation's disable.
   */
  private serially(deviceId: string, work: () => Promise<void>): Promise<void> {
    const run = (this.perDevice.get(deviceId) ?? Promise.resolve()).then(work);
    const tail: Promise<void> = run.catch(() => undefined).then(() => {
      if (this.perDevice.get(deviceId) === tail) this.perDevice.delete(deviceId);
    });
    this.perDevice.set(deviceId, tail);
    return run;
  }
}
