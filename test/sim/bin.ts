#!/usr/bin/env node
// `loa-sim` (node test/sim/dist/bin.js): the fleet simulator's command line, kept out of the device agent.
import { provisionMain, PROVISION_USAGE, simulateMain, SIMULATE_USAGE } from './cli.js';

const shutdownSignal = new Promise<string>((resolve) => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
});
const io = { stdout: (s: string) => void process.stdout.write(s), stderr: (s: string) => void process.stderr.write(s), shutdownSignal };
const [sub, ...rest] = process.argv.slice(2);
const run = sub === 'simulate' ? simulateMain : sub === 'provision' ? provisionMain : null;

if (!run) {
  io.stderr(`Usage: loa-sim simulate|provision [options]\n\n${PROVISION_USAGE}\n\n${SIMULATE_USAGE}\n`);
  process.exit(sub === undefined || sub === '--help' ? 0 : 2);
}
run(rest, process.env, io).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`loa-sim: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
