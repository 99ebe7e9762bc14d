import type { ExternalBrokerConfig } from '../config/app-config.js';
import { PEM_CERTIFICATE as CERTIFICATE, PEM_PRIVATE_KEY as PRIVATE_KEY, readPem } from '../common/tls.js';

/** What the server presents to, and trusts of, an external broker over TLS. */
export interface BrokerTlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Reads LOA_MQTT_CA_FILE and LOA_MQTT_CLIENT_CERT_FILE/KEY_FILE at start-up, so a typo is a ConfigError naming the
 * setting instead of a TLS failure at every reconnection. Without a CA file the system's CAs are trusted.
 */
export function readBrokerTls(config: ExternalBrokerConfig): BrokerTlsOptions {
  const tls: BrokerTlsOptions = {};
  if (config.caFile !== undefined) tls.ca = readPem(config.caFile, 'LOA_MQTT_CA_FILE', CERTIFICATE, 'certificate');
  if (config.clientCert !== undefined) {
    tls.cert = readPem(config.clientCert.certFile, 'LOA_MQTT_CLIENT_CERT_FILE', CERTIFICATE, 'certificate');
    tls.key = readPem(config.clientCert.keyFile, 'LOA_MQTT_CLIENT_KEY_FILE', PRIVATE_KEY, 'private key');
  }
  return tls;
}
