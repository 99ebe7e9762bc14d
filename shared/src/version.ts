/** Bumped only for breaking wire changes; the topic root carries it so old and new agents can coexist on one broker. */
export const PROTOCOL_VERSION = 1 as const;
export const TOPIC_ROOT = `loa/v${PROTOCOL_VERSION}` as const;

/** Largest MQTT payload either side accepts; bigger ones are refused before JSON parsing. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * HTTP path of the server clock, for the agents' NTP-style offset estimate: the agent notes its send time t0 and
 * receive time t3; offset = ((receivedAt - t0) + (sentAt - t3)) / 2, round trip = (t3 - t0) - (sentAt - receivedAt).
 */
export const TIME_PATH = '/api/time';

/** HTTP path (on the server's base URL) where a device fetches a media file by its sha256. */
export const mediaPath = (sha256: string): string => `/api/v1/media/${sha256}`;

/** Public: the server's Ed25519 public key, which agents pin at provisioning. */
export const SIGNING_KEY_PATH = '/api/v1/signing-key';

/** Public (the provisioning key is the credential): a device with a provisioning key asks to join. */
export const ENROLL_PATH = '/api/v1/provisioning/enroll';

/** Device-authenticated (HTTP Basic, the enrolment's id and secret): has an operator claimed me yet? */
export const enrollmentStatusPath = (deviceId: string): string => `/api/v1/provisioning/enrollments/${deviceId}/status`;

/** Operator-authenticated: the device-facing HTTP and MQTT URLs of this server (DeviceEndpoints). */
export const DEVICE_ENDPOINTS_PATH = '/api/v1/device-endpoints';
