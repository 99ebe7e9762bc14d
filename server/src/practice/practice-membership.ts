import type { UserPrincipal } from '../auth/principal.js';
import type { PracticeSeedSpec, SandboxId } from './practice-sandboxes.js';

export interface PracticePlace {
  readonly sandboxId: SandboxId;
  readonly seed: PracticeSeedSpec;
}

/**
 * Which sandbox a user practises in. The training classes feature (server/src/training/) provides it: a class's
 * members share `class-<classId>`, seeded with the class's area and members. Without it (or for a user in no class)
 * each user has `user-<userId>`, seeded with the user's own area and account.
 */
export abstract class PracticeMembership {
  /** Null: the user is in no class. */
  abstract placeOf(user: UserPrincipal): Promise<PracticePlace | null>;
}

export const ownPlace = (user: UserPrincipal): PracticePlace => ({
  sandboxId: `user-${user.userId}`,
  seed: { areaCode: user.areaCode, memberUserIds: [user.userId] },
});
