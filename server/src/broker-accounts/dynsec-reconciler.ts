import type { Clock } from '../common/clock.js';
import type { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import type { AccountSources } from './broker-accounts.repository.js';
import {
  areaRoleAcls,
  areaRoleName,
  DEFAULT_ACL_ACCESS,
  DEVICE_ROLE,
  deviceRoleAcls,
  deviceRoles,
  isAreaRole,
  MANAGED_TEXTNAME,
  sameAcls,
  sameRoles,
  type AclType,
  type DynsecAcl,
  type RoleRef,
} from './dynsec-acl.js';
import { cmd, defaultAclData, DYNSEC_ERRORS, getRoleData, listClientsData, listRolesData, roleRefs, type DynsecClient, type DynsecRole } from './dynsec-commands.js';
import type { DynsecCommand, DynsecControl, DynsecOutcome } from './dynsec-control.js';

/** What one reconciliation found and did. */
export interface ReconcileReport {
  /** Clients at the broker, and those marked Loa's. */
  readonly clients: number;
  readonly managed: number;
  /** Devices and pending enrolments that should have an account. */
  readonly expected: number;
  readonly deleted: number;
  readonly disabled: number;
  readonly enabled: number;
  /** Clients whose roles (areas) or client id were put right. */
  readonly modified: number;
  readonly areaRolesWritten: number;
  readonly areaRolesDeleted: number;
  readonly settingsFixed: boolean;
  /** Devices with no account: none can be made without the secret (see `missingAdvice`). */
  readonly missing: readonly string[];
  /** Device ids taken at the broker by accounts Loa does not manage. */
  readonly foreign: readonly string[];
  /** Commands the broker refused or did not answer. */
  readonly failures: number;
}

const CLIENTS_PER_PAGE = 500;
const ROLES_PER_PAGE = 200;

/**
 * Makes the broker's dynamic security match Loa's database: run at start-up and periodically by the leader
 * (DynsecReconcileJob), idempotent. Settings and the shared device role first; then, only among clients marked
 * Loa's: accounts of devices that no longer exist are deleted, revoked devices (and pending enrolments) disabled,
 * others enabled, roles and client ids put right; area roles written, unused ones deleted. Accounts Loa does not
 * manage are never touched.
 *
 * The broker's clients are listed before the database is read: a device's row is committed before its account is
 * created, so an account seen at the broker always has its row in what is read after, and a registration running
 * meanwhile is never taken for a stray account.
 *
 * A device without an account cannot be given one here (its secret exists only as a hash): it is logged and counted
 * (`dynsec_devices_without_account`); an operator rotates its credentials, or re-enrols it.
 */
export class DynsecReconciler {
  constructor(
    private readonly control: DynsecControl,
    private readonly repo: AccountSources,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly logger: AppLogger,
  ) {}

  async run(): Promise<ReconcileReport> {
    const started = this.clock.now();
    let failures = 0;
    const count = (outcomes: readonly DynsecOutcome[]): number => {
      const failed = outcomes.filter((o) => !o.ok);
      failures += failed.length;
      for (const f of failed.slice(0, 5)) this.logger.error({ ctx: 'dynsec', err: (f as { error: string }).error }, 'reconciliation: a command failed');
      return outcomes.length - failed.length;
    };

    const settingsFixed = await this.ensureSettings(count);
    const clients = await this.listClients();
    const roles = await this.listRoles();
    const [devices, pending] = await Promise.all([this.repo.devices(), this.repo.pendingEnrollments()]);

    const expected = new Map<string, { roles: RoleRef[]; enabled: boolean }>();
    for (const id of pending) expected.set(id, { roles: [], enabled: false });
    const leaves = new Map<string, readonly string[]>();
    for (const d of devices) {
      expected.set(d.id, { roles: deviceRoles(d.areaCodes), enabled: !d.revoked });
      leaves.set(d.areaCodes[d.areaCodes.length - 1]!, d.areaCodes);
    }

    // Area roles the devices need, before the clients that will name them.
    const areaRoles = new Map(roles.filter((r) => isAreaRole(r.rolename)).map((r) => [r.rolename, r]));
    const roleWrites: DynsecCommand[] = [];
    for (const [leaf, chain] of leaves) {
      const name = areaRoleName(leaf);
      const existing = areaRoles.get(name);
      const acls = areaRoleAcls(chain);
      if (existing === undefined) roleWrites.push(cmd.createRole(name, acls));
      else if (!sameAcls(aclsOf(existing), acls)) roleWrites.push(cmd.modifyRole(name, acls));
    }
    const areaRolesWritten = count(await this.control.sendAll(roleWrites));

    const fixes: DynsecCommand[] = [];
    const tally = { deleted: 0, disabled: 0, enabled: 0, modified: 0 };
    const seen = new Set<string>();
    const foreign: string[] = [];
    let managed = 0;
    for (const c of clients) {
      seen.add(c.username);
      const want = expected.get(c.username);
      if (c.textname !== MANAGED_TEXTNAME) {
        if (want !== undefined) foreign.push(c.username);
        continue;
      }
      managed++;
      if (want === undefined) {
        fixes.push(cmd.deleteClient(c.username));
        tally.deleted++;
        continue;
      }
      // Disabled first, enabled last: a client being put right is never let in with its old rights.
      if (!want.enabled && c.disabled !== true) {
        fixes.push(cmd.disableClient(c.username));
        tally.disabled++;
      }
      const rolesWrong = !sameRoles(roleRefs(c), want.roles);
      const idWrong = c.clientid !== c.username;
      if (rolesWrong || idWrong) {
        fixes.push(cmd.modifyClient({ username: c.username, ...(idWrong ? { clientid: c.username } : {}), ...(rolesWrong ? { roles: want.roles } : {}) }));
        tally.modified++;
      }
      if (want.enabled && c.disabled === true) {
        fixes.push(cmd.enableClient(c.username));
        tally.enabled++;
      }
    }
    count(await this.control.sendAll(fixes));

    // Unused area roles go once no client names them any more.
    const unused = [...areaRoles.keys()].filter((name) => !leaves.has(name.slice(areaRoleName('').length)));
    const areaRolesDeleted = count(await this.control.sendAll(unused.map((name) => cmd.deleteRole(name))));

    const missing = [...expected.keys()].filter((id) => !seen.has(id));
    gauge(this.metrics, 'dynsec_devices_without_account', missing.length);
    gauge(this.metrics, 'dynsec_foreign_accounts', foreign.length);
    this.metrics.inc('dynsec_reconciliations');
    if (failures > 0) this.metrics.inc('dynsec_reconcile_failures', failures);
    if (missing.length > 0) {
      this.logger.warn(
        { ctx: 'dynsec', count: missing.length, deviceIds: missing.slice(0, 50) },
        'devices without an account at the broker cannot log in, and their secret exists only as a hash: rotate their credentials (POST /api/v1/devices/<id>/credentials/rotate) and install the new secret, or re-enrol them',
      );
    }
    if (foreign.length > 0) {
      this.logger.warn({ ctx: 'dynsec', count: foreign.length, deviceIds: foreign.slice(0, 50) }, 'device ids taken at the broker by accounts Loa does not manage (left alone): those devices cannot log in');
    }
    const report: ReconcileReport = {
      clients: clients.length,
      managed,
      expected: expected.size,
      ...tally,
      areaRolesWritten,
      areaRolesDeleted,
      settingsFixed,
      missing,
      foreign,
      failures,
    };
    this.logger.info({ ctx: 'dynsec', ...report, missing: missing.length, foreign: foreign.length, ms: this.clock.now() - started }, 'broker accounts reconciled');
    return report;
  }

  /** The plugin's default ACL access and the shared device role, as dynsec-acl.ts requires. */
  private async ensureSettings(count: (o: readonly DynsecOutcome[]) => number): Promise<boolean> {
    let fixed = false;
    const defaults = await this.control.send(cmd.getDefaultACLAccess());
    const current = defaults.ok ? defaultAclData.safeParse(defaults.data) : null;
    if (!current?.success) throw new Error(`could not read the plugin's default ACL access: ${defaults.ok ? 'unexpected answer' : defaults.error}`);
    const wanted = Object.entries(DEFAULT_ACL_ACCESS) as Array<[AclType | 'subscribe' | 'unsubscribe', boolean]>;
    const differ = wanted.filter(([type, allow]) => current.data.acls.find((a) => a.acltype === type)?.allow !== allow);
    if (differ.length > 0) {
      this.logger.warn({ ctx: 'dynsec', settings: Object.fromEntries(differ) }, 'setting the dynamic-security default ACL access Loa\'s device ACL relies on');
      count([await this.control.send(cmd.setDefaultACLAccess(wanted.map(([acltype, allow]) => ({ acltype, allow }))))]);
      fixed = true;
    }
    const role = await this.control.send(cmd.getRole(DEVICE_ROLE));
    if (!role.ok && role.answered && role.error === DYNSEC_ERRORS.roleNotFound) {
      count([await this.control.send(cmd.createRole(DEVICE_ROLE, deviceRoleAcls()))]);
      fixed = true;
    } else if (!role.ok) {
      throw new Error(`could not read the role ${DEVICE_ROLE}: ${role.error}`);
    } else {
      const parsed = getRoleData.safeParse(role.data);
      if (!parsed.success || !sameAcls(aclsOf(parsed.data.role), deviceRoleAcls())) {
        this.logger.warn({ ctx: 'dynsec', role: DEVICE_ROLE }, 'the shared device role differed from Loa\'s topic table: rewritten');
        count([await this.control.send(cmd.modifyRole(DEVICE_ROLE, deviceRoleAcls()))]);
        fixed = true;
      }
    }
    return fixed;
  }

  private async listClients(): Promise<DynsecClient[]> {
    const byName = new Map<string, DynsecClient>();
    for (let offset = 0; ; offset += CLIENTS_PER_PAGE) {
      const page = await this.control.send(cmd.listClients(offset, CLIENTS_PER_PAGE));
      const parsed = page.ok ? listClientsData.safeParse(page.data) : null;
      if (!parsed?.success) throw new Error(`could not list the broker's clients: ${page.ok ? 'unexpected answer' : page.error}`);
      // Offsets shift if clients come and go meanwhile: a client seen twice counts once, one missed waits for next time.
      for (const c of parsed.data.clients) byName.set(c.username, c);
      if (parsed.data.clients.length < CLIENTS_PER_PAGE || offset + CLIENTS_PER_PAGE >= parsed.data.totalCount) break;
    }
    return [...byName.values()];
  }

  private async listRoles(): Promise<DynsecRole[]> {
    const byName = new Map<string, DynsecRole>();
    for (let offset = 0; ; offset += ROLES_PER_PAGE) {
      const page = await this.control.send(cmd.listRoles(offset, ROLES_PER_PAGE));
      const parsed = page.ok ? listRolesData.safeParse(page.data) : null;
      if (!parsed?.success) throw new Error(`could not list the broker's roles: ${page.ok ? 'unexpected answer' : page.error}`);
      for (const r of parsed.data.roles) byName.set(r.rolename, r);
      if (parsed.data.roles.length < ROLES_PER_PAGE || offset + ROLES_PER_PAGE >= parsed.data.totalCount) break;
    }
    return [...byName.values()];
  }
}

const aclsOf = (role: DynsecRole): DynsecAcl[] => (role.acls ?? []).map((a) => ({ acltype: a.acltype as AclType, topic: a.topic, priority: a.priority, allow: a.allow }));

/** Counters are all the registry has: a gauge is a counter moved to the value. */
function gauge(metrics: Metrics, name: string, value: number): void {
  metrics.inc(name, value - metrics.get(name));
}
