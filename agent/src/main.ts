import { ConfigError, loadConfig, usage, type AgentConfig } from './config.js';
import { Controller } from './controller.js';
import { IdentityError } from './identity.js';
import { createLogger } from './logger.js';
import { ProvisioningError, resolveIdentity } from './provisioning.js';
import { defaultNetwork, loadCa, trustingNetwork, type Network } from './tls.js';

export interface MainIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  shutdownSignal: Promise<string>;
}

/** The CLI without process globals: returns the exit code (2 = bad configuration). */
export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: MainIo): Promise<number> {
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
  const settings = result.config;
  let network: Network = defaultNetwork();
  if (settings.caFile !== undefined) {
    try {
      network = trustingNetwork(await loadCa(settings.caFile));
    } catch (err) {
      io.stderr(`loa-agent: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const logger = createLogger(settings.logLevel);
  // Without a configured identity: the stored one, or enrol with the provisioning key and wait to be claimed.
  const stopping = new AbortController();
  void io.shutdownSignal.then(() => stopping.abort(new Error('shutdown requested')));
  let config: AgentConfig;
  try {
    config = await resolveIdentity(settings, { logger, fetch: network.fetch, signal: stopping.signal });
  } catch (err) {
    if (stopping.signal.aborted) {
      logger.info('shutdown requested before the device was claimed');
      return 0;
    }
    if (err instanceof ProvisioningError || err instanceof IdentityError) {
      logger.fatal({ err: err.message }, 'cannot obtain a device identity');
      return 1;
    }
    throw err;
  }
  const controller = new Controller(config, {
    logger,
    ...(settings.caFile !== undefined ? { fetch: network.fetch, clockSync: { fetch: network.fetch }, connect: network.connect } : {}),
  });
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
