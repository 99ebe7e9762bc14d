import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { deviceIdSchema } from '@loa/shared';
import { writeFileAtomic } from './fsutil.js';

/** Where an enrolled agent keeps its identity, inside its data directory. */
export const IDENTITY_FILE = 'identity.json';

/**
 * The identity a device got by enrolling: its id, its secret and the server key pinned at enrolment. `claimed` is
 * false until an operator claimed it (the agent waits for that before connecting).
 */
export const storedIdentitySchema = z.object({
  v: z.literal(1),
  deviceId: deviceIdSchema,
  secret: z.string().min(1),
  serverPublicKey: z.string().min(1),
  claimed: z.boolean(),
  /** Server it enrolled with (informational). */
  serverUrl: z.string(),
  hardwareId: z.string(),
  enrolledAt: z.string(),
});
export type StoredIdentity = z.infer<typeof storedIdentitySchema>;

export class IdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

export const identityPath = (dataDir: string): string => join(dataDir, IDENTITY_FILE);

/** The stored identity, or undefined when there is none yet; a damaged file is an error (never silently re-enrol). */
export async function readIdentity(dataDir: string): Promise<StoredIdentity | undefined> {
  const file = identityPath(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new IdentityError(`${file} is not valid JSON; restore it, or delete it to enrol again (an operator must then claim the device again)`);
  }
  const parsed = storedIdentitySchema.safeParse(json);
  if (!parsed.success) throw new IdentityError(`${file} is not a Loa agent identity (${parsed.error.issues[0]?.message ?? 'invalid'}); restore it, or delete it to enrol again`);
  return parsed.data;
}

/**
 * Writes the identity readable by its owner only (it holds the device secret): temporary file created with mode
 * 0600, fsynced, renamed over the old one, directory fsynced. Readers see the old identity or the new, never a torn one.
 */
export async function writeIdentity(dataDir: string, identity: StoredIdentity): Promise<void> {
  await writeFileAtomic(identityPath(dataDir), `${JSON.stringify(storedIdentitySchema.parse(identity), null, 1)}\n`, 0o600);
}
