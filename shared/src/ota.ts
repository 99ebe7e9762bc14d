import { z } from 'zod';
import { epochMsSchema, opaqueIdSchema, sha256Schema } from './ids.js';
import { PROTOCOL_VERSION } from './version.js';

/**
 * Agent updates over the air (issue 20), hawkBit-style: the server offers a signed release to a device with an
 * `update` command; the device downloads it (resumable, hash-checked), checks the release signature against the
 * release keys it pins (never the server's message key: a stolen server cannot push code), installs it side by side,
 * restarts into it, checks its own health and reports every step on its `ota` channel. A release that is not
 * healthy in time is rolled back by the device itself.
 *
 * On-device layout (the Debian package makes it; the OTA updater keeps it):
 *
 *   <installDir>/                 default /opt/loa-agent
 *     boot.mjs                    the stable launcher, never replaced by an update: runs `current`, counts the boots
 *                                 of a release not yet confirmed healthy, switches back to `previous` when it crashes
 *     releases/<version>/         one unpacked release package (manifest.json, its entry, the bundle)
 *     current  -> releases/<v>    replaced atomically (new symlink, then rename over the old one)
 *     previous -> releases/<v>    what a rollback returns to
 *     ota/state.json              the update in progress (what boot.mjs and the agent share)
 *     ota/downloads/              partial downloads, resumed by byte range
 */

/** Semantic version of an agent release: 1.2.3, optional pre-release/build (1.2.3-rc.1+abc). */
export const releaseVersionSchema = z
  .string()
  .max(64)
  .regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}(?:-[0-9A-Za-z.-]{1,40})?(?:\+[0-9A-Za-z.-]{1,40})?$/, 'version: semver such as 1.2.3');
export type ReleaseVersion = z.infer<typeof releaseVersionSchema>;

export const RELEASE_PACKAGE_FORMAT = 1;

/** `manifest.json` at the root of a release package (a .tar.gz made by the project's release script). */
export const releaseManifestSchema = z.object({
  format: z.literal(RELEASE_PACKAGE_FORMAT),
  name: z.literal('loa-agent'),
  version: releaseVersionSchema,
  /** The device protocol the release speaks; a server refuses to roll out a release of another protocol. */
  protocol: z.number().int().positive(),
  /** Node.js range the release needs, e.g. ">=20.19". */
  node: z.string().max(40),
  /** File the launcher runs, relative to the release directory. */
  entry: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  builtAt: epochMsSchema,
  commit: z.string().max(64).optional(),
  files: z
    .array(z.object({ path: z.string().regex(/^[A-Za-z0-9._/-]{1,200}$/).refine((p) => !p.split('/').includes('..'), 'no ".."'), sha256: sha256Schema, size: z.number().int().nonnegative() }))
    .min(1)
    .max(1000),
});
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;

/**
 * The detached signature of a release package (`<package>.sig`, JSON). The release key signs the statement
 * `releaseStatement(...)` — name, version and the package's sha256 and size — so the signature binds exactly these
 * bytes to this version; a package renamed to another version fails.
 */
export const releaseSignatureSchema = z.object({
  format: z.literal(RELEASE_PACKAGE_FORMAT),
  alg: z.literal('Ed25519'),
  /** keyIdOf(public key): first 16 hex digits of the sha256 of the raw public key. */
  kid: z.string().regex(/^[a-f0-9]{16}$/),
  version: releaseVersionSchema,
  sha256: sha256Schema,
  size: z.number().int().positive(),
  sig: z.string().regex(/^[A-Za-z0-9+/_-]{80,90}={0,2}$/),
});
export type ReleaseSignature = z.infer<typeof releaseSignatureSchema>;

export const releaseStatement = (s: { version: string; sha256: string; size: number }): string => `loa-agent-release:${RELEASE_PACKAGE_FORMAT}:${s.version}:${s.sha256}:${s.size}`;

// The release keys' crypto (releaseKeyId, releasePublicKey, signRelease, verifyRelease) is in ota-keys.ts: this module
// stays free of node:crypto, because the REST contract the dashboard bundles reaches it (commands → update).

/**
 * Server → device, as a signed command on `req` (`type: 'update'`). The agent answers the command at once (`ok`:
 * accepted and will proceed, `rejected`: e.g. no install directory, already at that version, another update in
 * progress) and then reports progress on `ota`.
 */
export const updateCommandSchema = z.object({
  type: z.literal('update'),
  rolloutId: opaqueIdSchema,
  release: z.object({
    id: opaqueIdSchema,
    version: releaseVersionSchema,
    /** Server-relative path of the package, fetched with the device's HTTP credentials and byte ranges. */
    path: z.string().regex(/^\/api\/v1\/[A-Za-z0-9/._:-]{1,200}$/),
    sha256: sha256Schema,
    size: z.number().int().positive(),
    signature: releaseSignatureSchema,
  }),
  /** After restarting into the release the agent must be healthy within this time, or it rolls back. */
  healthTimeoutS: z.number().int().min(10).max(3600),
});
export type UpdateCommand = z.infer<typeof updateCommandSchema>;

/**
 * What a device reports about an update, in order. `deferred` means it waits for a gap in its timeline (it never
 * installs or restarts during a slot, or just before one); `failed` before `installed` leaves the running release
 * untouched; `rolled-back` means the new release was installed but not healthy, and the previous one runs again.
 */
export const OTA_DEVICE_STATES = ['accepted', 'deferred', 'downloading', 'downloaded', 'installing', 'installed', 'healthy', 'failed', 'rolled-back'] as const;
export const otaDeviceStateSchema = z.enum(OTA_DEVICE_STATES);
export type OtaDeviceState = z.infer<typeof otaDeviceStateSchema>;
export const OTA_TERMINAL_STATES = ['healthy', 'failed', 'rolled-back'] as const satisfies readonly OtaDeviceState[];

/** Why an update failed or was rolled back; stable codes the dashboard translates. */
export const OTA_ERROR_CODES = [
  'download-failed',
  'hash-mismatch',
  'bad-signature',
  'unknown-key',
  'bad-package',
  'incompatible',
  'disk-full',
  'install-failed',
  'health-timeout',
  'crashed',
  'not-installable',
] as const;
export const otaErrorCodeSchema = z.enum(OTA_ERROR_CODES);
export type OtaErrorCode = z.infer<typeof otaErrorCodeSchema>;

/**
 * Device → server on `ota` (QoS 1). The agent keeps the latest report of an update on disk and sends it again after
 * every (re)connect until the update is over, so a report lost with a broker restart arrives later; the server
 * treats reports as idempotent and never moves a device backwards from a terminal state of the same rollout.
 */
export const otaReportSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  rolloutId: opaqueIdSchema,
  releaseId: opaqueIdSchema,
  version: releaseVersionSchema,
  state: otaDeviceStateSchema,
  at: epochMsSchema,
  /** The release the device runs now. */
  running: z.string().max(64),
  progress: z.object({ bytes: z.number().int().nonnegative(), total: z.number().int().positive() }).optional(),
  error: z.object({ code: otaErrorCodeSchema, message: z.string().max(500) }).optional(),
});
export type OtaReport = z.infer<typeof otaReportSchema>;
