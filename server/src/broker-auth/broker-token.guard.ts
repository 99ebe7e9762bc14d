import { Inject, Injectable, NotFoundException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { Metrics } from '../common/metrics.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';

interface BrokerRequest {
  headers: { authorization?: string | string[] };
  query?: Record<string, unknown>;
  socket?: { remoteAddress?: string };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The broker-to-server routes are not user routes: no operator token, no audit entry per call. What protects them is
 * LOA_BROKER_AUTH_TOKEN, as `Authorization: Bearer <token>` (EMQX sets headers) or as `?token=` for brokers that
 * cannot add headers to their calls (mosquitto-go-auth, VerneMQ webhooks). Without the setting the routes do not exist.
 */
@Injectable()
export class BrokerTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(
    config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    this.expected = config.brokerAuthToken === null ? null : digest(config.brokerAuthToken);
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (this.expected === null) throw new NotFoundException('the broker auth endpoint is off: set LOA_BROKER_AUTH_TOKEN');
    const req = ctx.switchToHttp().getRequest<BrokerRequest>();
    const given = tokenOf(req);
    // Hashes of equal length, so the comparison takes the same time whatever was sent.
    if (given !== null && timingSafeEqual(digest(given), this.expected)) return true;
    this.metrics.inc('broker_auth_unauthorized');
    this.logger.warn({ ctx: 'broker-auth', address: req.socket?.remoteAddress, tokenSent: given !== null }, 'broker auth call refused: missing or wrong LOA_BROKER_AUTH_TOKEN');
    throw new UnauthorizedException(given === null ? 'missing broker token: send Authorization: Bearer <LOA_BROKER_AUTH_TOKEN> (or ?token=)' : 'wrong broker token');
  }
}

function tokenOf(req: BrokerRequest): string | null {
  const header = Array.isArray(req.headers.authorization) ? req.headers.authorization[0] : req.headers.authorization;
  if (header !== undefined) {
    const [scheme, value] = header.split(' ', 2);
    return scheme?.toLowerCase() === 'bearer' && value ? value : null;
  }
  const query = req.query?.token;
  return typeof query === 'string' && query !== '' ? query : null;
}
