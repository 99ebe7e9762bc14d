import { AppConfig, ConfigError } from './config/app-config.js';
import { ListenError } from './common/listen.js';
import { startServer } from './bootstrap.js';
import { BrokerConnectError } from './broker/broker-errors.js';
import { runCli } from './cli/cli.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`loa-server: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  try {
    const server = await startServer(config);
    const stop = (signal: string) => {
      process.stderr.write(`loa-server: ${signal} received, shutting down\n`);
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // Certificate renewal (certbot deploy hook, a private CA's new certificate): `systemctl reload` sends SIGHUP.
    process.on('SIGHUP', () => {
      try {
        if (!server.reloadTls()) process.stderr.write('loa-server: SIGHUP ignored: no TLS configured\n');
      } catch (err) {
        process.stderr.write(`loa-server: TLS reload failed, keeping the current certificate: ${(err as Error).message}\n`);
      }
    });
  } catch (err) {
    // Something outside the server is not ready (a port taken, the external broker unreachable or refusing us).
    if (err instanceof ListenError || err instanceof BrokerConnectError) {
      process.stderr.write(`loa-server: ${err.message}\n`);
      process.exit(3);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`loa-server: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`loa-server: failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}

// `loa-server backup|restore|help` (src/cli); no command or `start` runs the server.
void runCli(process.argv.slice(2), main).then((code) => {
  if (code !== null) process.exitCode = code;
});
