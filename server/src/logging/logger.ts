import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

export type AppLogger = Logger;

/** JSON lines on stdout: one object per event, with a `ctx` naming the module that logged it. */
export function createLogger(level: string): AppLogger {
  return pino({
    level,
    base: { app: 'loa-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', 'secret', '*.password', '*.secret', 'req.headers.authorization'], censor: '[redacted]' },
  });
}

/** Routes Nest's own framework logs into the same pino stream. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: AppLogger) {}
  log(message: unknown, ctx?: string): void {
    this.logger.info({ ctx }, String(message));
  }
  error(message: unknown, trace?: string, ctx?: string): void {
    this.logger.error({ ctx, trace }, String(message));
  }
  warn(message: unknown, ctx?: string): void {
    this.logger.warn({ ctx }, String(message));
  }
  debug(message: unknown, ctx?: string): void {
    this.logger.debug({ ctx }, String(message));
  }
  verbose(message: unknown, ctx?: string): void {
    this.logger.trace({ ctx }, String(message));
  }
}
