import { ConfigError, loadConfig, usage } from './config.js';
import { Controller } from './controller.js';
import { createLogger } from './logger.js';

export interface MainIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  shutdownSignal: Promise<string>;
}

/** The CLI without process globals: returns the exit code (2 = bad configuration). */
export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: MainIo): Promise<number> {
  // Subcommands load lazily, so a real device's agent never carries the simulator in memory.
  if (argv[0] === 'simulate') return (await import('./simulator/cli.js')).simulateMain(argv.slice(1), env, io);
  if (argv[0] === 'provision') return (await import('./simulator/cli.js')).provisionMain(argv.slice(1), env, io);
  let result;
  try {
    result = await loadConfig({ argv, env });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`loa-agent: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (result.help) {
    io.stdout(`${usage()}\n`);
    return 0;
  }
  const logger = createLogger(result.config.logLevel);
  const controller = new Controller(result.config, { logger });
  try {
    await controller.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'agent failed to start');
    await controller.stop().catch(() => undefined);
    return 1;
  }
  const signal = await io.shutdownSignal;
  logger.info({ signal }, 'shutdown requested');
  await controller.stop();
  return 0;
}
