/**
 * Issue 21: practice sandboxes. A sandbox is a separate Loa server process (a "practice instance", started with
 * LOA_PRACTICE_MODE=1) with its own data directory, SQLite database and embedded broker bound to 127.0.0.1, so
 * nothing done in it can reach a real device, report or the main database. This port is the only way the rest of
 * the server (lesson checks, class reset, the /practice proxy) touches one; the child processes live behind it.
 */

/** `class-<classId>` (a training class shares one) or `user-<userId>` (a user outside a class). */
export type SandboxId = string;

export const SANDBOX_ID_PATTERN = /^(class|user)-[A-Za-z0-9_-]{1,64}$/;

/** What a new (or reset) sandbox starts with; copied from the main database when the instance is first seeded. */
export interface PracticeSeedSpec {
  /** Root of the area subtree copied (with its ancestors); null copies every area (a nationwide class). */
  readonly areaCode: string | null;
  /** Users mirrored into the sandbox (same username, role, area, full name; no usable password). */
  readonly memberUserIds: readonly string[];
  /** Virtual devices created per commune of the subtree. Defaults: 3 speakers, 1 board. */
  readonly speakersPerCommune?: number;
  readonly boardsPerCommune?: number;
}

export type SandboxState = 'stopped' | 'starting' | 'ready' | 'restarting' | 'stopping' | 'failed';

export interface SandboxStatus {
  readonly sandboxId: SandboxId;
  readonly state: SandboxState;
  /** The server instance (LOA_INSTANCE_ID) running it; null when no instance does. */
  readonly instanceId: string | null;
  /** Ports on 127.0.0.1 while it runs. */
  readonly httpPort: number | null;
  readonly mqttPort: number | null;
  /** When it was last started (ISO), and last used through the proxy or `request`. */
  readonly startedAt: string | null;
  readonly lastUsedAt: string | null;
  /** Crashes restarted since `ensure`. */
  readonly restarts: number;
}

/** The user a server-side call acts as: mapped by username to the mirrored user inside the sandbox. */
export interface SandboxActor {
  readonly username: string;
}

export interface SandboxResponse {
  readonly status: number;
  /** Parsed JSON when the answer was JSON, else the text (empty for 204). */
  readonly body: unknown;
}

/**
 * Refusals are LoaErrors with codes in shared/src/rest/errors/practice.ts: `practice.too-many-sandboxes` (429)
 * when LOA_PRACTICE_MAX_SANDBOXES are running, `practice.bad-sandbox-id` (400), `practice.unavailable` (503)
 * when the instance cannot start, `practice.elsewhere` (409) when another server instance runs it.
 */
export abstract class PracticeSandboxes {
  /** Starts the sandbox (seeding it the first time its data directory is created) or reuses the running one. */
  abstract ensure(sandboxId: SandboxId, seed: PracticeSeedSpec): Promise<SandboxStatus>;
  /** Stops it, wipes its data directory, and starts it fresh with the seed it was last ensured with. */
  abstract reset(sandboxId: SandboxId, seed?: PracticeSeedSpec): Promise<SandboxStatus>;
  /** Stops it, keeping its data (a later `ensure` resumes it). */
  abstract stop(sandboxId: SandboxId): Promise<void>;
  /** A server-side call into the sandbox's API (path starts with `/api/v1/`) as the mirrored user. */
  abstract request(sandboxId: SandboxId, asUser: SandboxActor, method: string, path: string, body?: unknown): Promise<SandboxResponse>;
  abstract status(sandboxId: SandboxId): Promise<SandboxStatus>;
  /**
   * For the /practice proxy: ensures the sandbox and answers where it listens (127.0.0.1) with a fresh identity
   * assertion for the user, to be sent as `Authorization: Bearer <assertion>` (or the websocket's bearer protocol).
   */
  abstract connect(sandboxId: SandboxId, seed: PracticeSeedSpec, asUser: SandboxActor): Promise<SandboxConnection>;
}

export interface SandboxConnection {
  readonly httpPort: number;
  readonly assertion: string;
}
