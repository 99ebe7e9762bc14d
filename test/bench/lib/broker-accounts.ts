import type { LoaApi } from '@loa/e2e/sim/dist/index.js';

/**
 * Bulk registration answers once its batch is committed, and waits only so long for Mosquitto's dynamic-security
 * plugin, which rewrites its whole file per account (minutes for 10,000: docs/scale.md). A device whose account is
 * not there yet is refused as a wrong secret and backs off for long, so a connect storm started early measures the
 * plugin's queue, not the connect path. Accounts are provisioned in registration order: once the last device's
 * account is active, every earlier one is; the first is checked too.
 */
export async function waitBrokerAccounts(api: LoaApi, deviceIds: readonly string[], timeoutMs: number, log: (m: string) => void): Promise<number> {
  const t0 = Date.now();
  const probe = [deviceIds[0], deviceIds[deviceIds.length - 1]].filter((d): d is string => d !== undefined);
  for (;;) {
    const states = await Promise.all(
      probe.map(async (id) => (await api.request<{ brokerAccount?: { state: string } }>('GET', `/api/v1/devices/${encodeURIComponent(id)}/credentials`)).brokerAccount?.state ?? 'none'),
    );
    if (states.every((s) => s === 'active')) return Math.round((Date.now() - t0) / 100) / 10;
    if (Date.now() - t0 > timeoutMs) throw new Error(`device accounts not active at the broker after ${timeoutMs} ms: ${probe.map((id, i) => `${id}=${states[i]}`).join(', ')}`);
    if ((Date.now() - t0) % 30_000 < 1000) log(`waiting for the broker's device accounts: ${probe.map((id, i) => `${id}=${states[i]}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
