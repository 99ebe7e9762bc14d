import { z } from 'zod';
import { deviceIdSchema } from './ids.js';
import { deviceKindSchema } from './enums.js';

/**
 * Zero-touch provisioning over HTTP: a device holding a provisioning key enrols, gets its identity at once and
 * pins the server's signing key; it may connect to MQTT only after an operator has claimed it into an area.
 */
export const enrollRequestSchema = z.object({
  provisioningKey: z.string().min(16).max(200),
  /** Stable hardware identity (serial, MAC, SIM ICCID) shown to the operator who claims the device. */
  hardwareId: z.string().min(1).max(128),
  kind: deviceKindSchema,
  name: z.string().min(1).max(200).optional(),
  /** The device asks for this id (e.g. printed on its label); the server assigns one if absent or taken. */
  deviceId: deviceIdSchema.optional(),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const enrollResponseSchema = z.object({
  deviceId: deviceIdSchema,
  /** Returned once; the server keeps only its hash. */
  secret: z.string().min(1),
  /** Ed25519 public key (raw 32 bytes, base64url) the agent pins to verify everything the server sends. */
  serverPublicKey: z.string(),
  state: z.enum(['pending', 'claimed']),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

export const enrollmentStatusSchema = z.object({
  deviceId: deviceIdSchema,
  state: z.enum(['pending', 'claimed', 'rejected']),
  areaCode: z.string().nullable(),
});
export type EnrollmentStatus = z.infer<typeof enrollmentStatusSchema>;

export const signingKeyResponseSchema = z.object({ alg: z.literal('Ed25519'), kid: z.string(), publicKey: z.string() });
export type SigningKeyResponse = z.infer<typeof signingKeyResponseSchema>;

/**
 * Where devices reach this server (GET DEVICE_ENDPOINTS_PATH): what an installer puts in the agent's
 * LOA_AGENT_SERVER_URL and LOA_AGENT_MQTT_URL. `setting` when LOA_PUBLIC_HTTP_URL / LOA_PUBLIC_MQTT_URL name the
 * public address (NAT, reverse proxy); `listener` when derived from the ports the server really listens on.
 */
export const deviceEndpointsSchema = z.object({
  httpUrl: z.string(),
  mqttUrl: z.string(),
  httpUrlSource: z.enum(['setting', 'listener']),
  mqttUrlSource: z.enum(['setting', 'listener']),
});
export type DeviceEndpoints = z.infer<typeof deviceEndpointsSchema>;
