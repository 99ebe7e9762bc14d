import { main } from './main.js';

/** The agent as a process: its arguments, environment and signals, and its exit code. */
const shutdownSignal = new Promise<string>((resolve) => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
});

main(process.argv.slice(2), process.env, {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  shutdownSignal,
}).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`loa-agent: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
