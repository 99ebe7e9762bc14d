import { pino, type Logger } from 'pino';

/** JSON lines on stdout; credentials are redacted wherever they appear in a logged object. */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const opts: pino.LoggerOptions = {
    level,
    base: { app: 'loa-agent' },
    redact: { paths: ['secret', 'password', '*.secret', '*.password', 'config.secret', 'headers.authorization'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(opts, destination) : pino(opts);
}

export type { Logger };
