import { statSync } from 'node:fs';
import mqtt from 'mqtt';
import type { AccountSources } from '../src/broker-accounts/broker-accounts.repository.js';
import { DynsecBrokerAccounts, DYNSEC_ACCOUNTS_TIMING } from '../src/broker-accounts/dynsec-accounts.js';
import { DYNSEC_CONTROL_TIMING, DynsecControl } from '../src/broker-accounts/dynsec-control.js';
import { DynsecReconciler } from '../src/broker-accounts/dynsec-reconciler.js';
import { Clock } from '../src/common/clock.js';
import { Metrics } from '../src/common/metrics.js';
import { connectDevice, mqttTransport, startDynsecBroker } from './support/dynsec-broker.js';
import { silentLogger } from './support/fixtures.js';

/**
 * Registering many devices through the plugin: one bulk registration's `issued`, as DevicesService.registerMany
 * calls it. Mosquitto 2.0 rewrites its whole JSON file after each changing command, so the cost grows with the
 * square of the number of accounts; batching saves the round trips (and the broker's per-message overhead).
 * LOA_DYNSEC_MEASURE=10000 measures that many (prints time and file size; LOA_DYNSEC_MEASURE_MODES=batched,single
 * also with one command per message); by default 300, checking that they are batched and all let in.
 */
const N = Number(process.env.LOA_DYNSEC_MEASURE ?? 300);
const MEASURING = process.env.LOA_DYNSEC_MEASURE !== undefined;

const AREAS = Array.from({ length: 20 }, (_, i) => ['01', `01${String(i).padStart(3, '0')}`]);
const sources: AccountSources = { devices: async () => [], chains: async () => new Map(), pendingEnrollments: async () => [] };

async function register(count: number, batched: boolean): Promise<{ ms: number; fileBytes: number; messages: number; commands: number }> {
  const broker = await startDynsecBroker();
  const server = await mqtt.connectAsync(broker.url, { username: broker.loa.username, password: broker.loa.password, clientId: 'loa-server-scale', protocolVersion: 5, reconnectPeriod: 0 });
  const metrics = new Metrics();
  const control = new DynsecControl(mqttTransport(server), 'scale', new Clock(), metrics, silentLogger, { ...DYNSEC_CONTROL_TIMING, responseTimeoutMs: 600_000, ...(batched ? {} : { maxCommandsPerMessage: 1 }) });
  try {
    await new DynsecReconciler(control, sources, new Clock(), new Metrics(), silentLogger).run();
    const accounts = new DynsecBrokerAccounts(control, sources, new Clock(), metrics, silentLogger, { ...DYNSEC_ACCOUNTS_TIMING, answerMaxMs: 3_600_000, answerPerAccountMs: 1_000 });
    const devices = Array.from({ length: count }, (_, i) => ({ deviceId: `spk-${String(i).padStart(6, '0')}`, secret: `secret-${i}-0123456789abcdef`, areaCodes: AREAS[i % AREAS.length]! }));
    const before = { messages: metrics.get('dynsec_messages'), commands: metrics.get('dynsec_commands') };
    const started = performance.now();
    await accounts.issued(devices);
    const ms = Math.round(performance.now() - started);
    expect(metrics.get('broker_accounts_failed')).toBe(0);
    // The last one in is let in: every account exists.
    const last = devices[count - 1]!;
    await (await connectDevice(broker.url, last.deviceId, last.secret)).endAsync(true);
    return {
      ms,
      fileBytes: statSync(broker.mosquitto.dynsecFile!).size,
      messages: metrics.get('dynsec_messages') - before.messages,
      commands: metrics.get('dynsec_commands') - before.commands,
    };
  } finally {
    control.close();
    await server.endAsync(true);
    await broker.stop();
  }
}

describe(`registering ${N} devices' accounts at Mosquitto's dynamic security`, () => {
  it(
    'sends them many commands per message',
    async () => {
      const modes = MEASURING ? (process.env.LOA_DYNSEC_MEASURE_MODES ?? 'batched,single').split(',') : ['batched'];
      for (const mode of modes) {
        const r = await register(N, mode !== 'single');
        expect(r.commands).toBeGreaterThanOrEqual(N);
        // Small registrations fit a few messages; large ones are cut to ~0.5 s of broker time each.
        if (!MEASURING) expect(r.messages).toBeLessThan(r.commands / 10);
        if (MEASURING) console.log(JSON.stringify({ devices: N, mode, seconds: r.ms / 1000, messages: r.messages, commands: r.commands, dynsecFileMB: +(r.fileBytes / 1e6).toFixed(2) }));
      }
    },
    MEASURING ? 7_200_000 : 60_000,
  );
});
