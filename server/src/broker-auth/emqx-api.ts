import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Metrics } from '../common/metrics.js';
import { MessageBroker } from '../broker/message-broker.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';

/** Longest wait for the EMQX API; a revocation must not hang on a broker that does not answer. */
export const EMQX_API_TIMEOUT_MS = 10_000;

/**
 * EMQX's REST API (LOA_EMQX_API_URL/KEY/SECRET: an API key made in the EMQX dashboard, sent as HTTP Basic). Used to end
 * a device's session the moment its credentials are rotated or revoked: with HTTP authentication EMQX only asks at
 * the next login, so without this a revoked device would stay connected. Any node's API ends a session anywhere in
 * the cluster.
 */
@Injectable()
export class EmqxApi {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  get configured(): boolean {
    return this.config.emqxApi !== null;
  }

  /** Kicks the client id (DELETE /api/v5/clients/{clientid}); resolves when it is gone or was not connected. */
  async kick(clientId: string): Promise<void> {
    const api = this.config.emqxApi;
    if (api === null) throw new Error('the EMQX API is not configured (LOA_EMQX_API_URL, LOA_EMQX_API_KEY, LOA_EMQX_API_SECRET)');
    const url = `${api.url}/api/v5/clients/${encodeURIComponent(clientId)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'DELETE',
        headers: { authorization: `Basic ${Buffer.from(`${api.key}:${api.secret}`).toString('base64')}`, accept: 'application/json' },
        signal: AbortSignal.timeout(EMQX_API_TIMEOUT_MS),
      });
    } catch (err) {
      this.metrics.inc('emqx_kick_failed');
      throw new Error(`EMQX API ${api.url} unreachable while ending the session of ${clientId}: ${(err as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 204) {
      this.metrics.inc('emqx_kicked');
      this.logger.info({ ctx: 'broker-auth', deviceId: clientId }, 'device session ended through the EMQX API');
      return;
    }
    // EMQX says CLIENTID_NOT_FOUND for a client that is not connected; any other 404 is a wrong LOA_EMQX_API_URL.
    if (res.status === 404 && codeOf(text) === 'CLIENTID_NOT_FOUND') return;
    this.metrics.inc('emqx_kick_failed');
    const hint = res.status === 401 || res.status === 403 ? ' (check LOA_EMQX_API_KEY and LOA_EMQX_API_SECRET)' : res.status === 404 ? ' (check LOA_EMQX_API_URL: the API base, e.g. http://emqx1:18083)' : '';
    throw new Error(`EMQX API refused to end the session of ${clientId}: HTTP ${res.status}${hint} ${text.slice(0, 200)}`.trim());
  }
}

function codeOf(text: string): string | null {
  try {
    const code = (JSON.parse(text) as { code?: unknown }).code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}

/**
 * With LOA_BROKER_ACCOUNTS=http the server ends sessions through the EMQX API when it is configured (registered as the
 * external broker's session terminator). Without it, say at start-up what that costs.
 */
@Injectable()
export class EmqxSessionTerminator implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly broker: MessageBroker,
    private readonly api: EmqxApi,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  onModuleInit(): void {
    if (this.config.externalBroker?.accounts !== 'http') return;
    if (!this.api.configured) {
      this.logger.warn(
        { ctx: 'broker-auth' },
        'LOA_BROKER_ACCOUNTS=http without LOA_EMQX_API_URL: a rotated or revoked device keeps its open session until it ends (its publishes are refused within the broker\'s authorisation cache lifetime)',
      );
      return;
    }
    this.broker.setSessionTerminator((clientId) => this.api.kick(clientId));
  }
}
