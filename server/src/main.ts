import { AppConfig, ConfigError } from './config/app-config.js';
import { ListenError } from './common/listen.js';
import { startServer } from './bootstrap.js';

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
  } catch (err) {
    if (err instanceof ListenError) {
      process.stderr.write(`loa-server: ${err.message}\n`);
      process.exit(3);
    }
    process.stderr.write(`loa-server: failed to start: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  }
}

void main();
