import { z } from 'zod';

/**
 * Device ids appear inside MQTT topics and file names, so they exclude the MQTT wildcards,
 * the level separator and anything a shell or file system could misread.
 */
export const deviceIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{1,63}$/, 'device id: 2-64 chars of a-z, 0-9, "-" or "_", starting with a letter or digit');
export type DeviceId = z.infer<typeof deviceIdSchema>;

/** Administrative unit codes (GSO codes such as "01", "001", "00004" or local codes for villages). */
export const areaCodeSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'area code: 1-32 chars of letters, digits, "-" or "_"');
export type AreaCode = z.infer<typeof areaCodeSchema>;

export const sha256Schema = z.string().regex(/^[a-f0-9]{64}$/, 'sha256: 64 lowercase hex digits');
export type Sha256 = z.infer<typeof sha256Schema>;

/** Ids minted by agents for their events and by the server for occurrences: opaque, bounded, topic-safe. */
export const opaqueIdSchema = z.string().regex(/^[A-Za-z0-9:._-]{1,128}$/, 'id: 1-128 chars of letters, digits, ":", ".", "_" or "-"');

/** Milliseconds since the Unix epoch (UTC). Integers keep agent clock arithmetic exact. */
export const epochMsSchema = z.number().int().nonnegative();
