import { Injectable, Optional } from '@nestjs/common';
import { PRACTICE_API_PREFIX, type PracticeLeaveView, type PracticeStatusView } from '@loa/shared/rest';
import type { UserPrincipal } from '../auth/principal.js';
import { PracticeMembership, ownPlace, type PracticePlace } from './practice-membership.js';
import { PracticeSandboxes, type SandboxConnection, type SandboxStatus } from './practice-sandboxes.js';

/** The main server's side of practice mode: which sandbox a user works in, entering and leaving it. */
@Injectable()
export class PracticeService {
  constructor(
    private readonly sandboxes: PracticeSandboxes,
    @Optional() private readonly membership?: PracticeMembership,
  ) {}

  async placeOf(user: UserPrincipal): Promise<PracticePlace> {
    return (await this.membership?.placeOf(user)) ?? ownPlace(user);
  }

  /** Starts (or reuses) the user's sandbox; the dashboard then switches its API base to /practice/api. */
  async enter(user: UserPrincipal): Promise<PracticeStatusView> {
    const place = await this.placeOf(user);
    return view(await this.sandboxes.ensure(place.sandboxId, place.seed));
  }

  /** Nothing to stop: a shared class sandbox stays for the others, and an idle one is stopped by the supervisor. */
  async leave(user: UserPrincipal): Promise<PracticeLeaveView> {
    return { left: true, sandboxId: (await this.placeOf(user)).sandboxId };
  }

  async status(user: UserPrincipal): Promise<PracticeStatusView> {
    return view(await this.sandboxes.status((await this.placeOf(user)).sandboxId));
  }

  /** For the proxy: the user's sandbox, running, and an assertion of who the user is. */
  async connect(user: UserPrincipal): Promise<SandboxConnection> {
    const place = await this.placeOf(user);
    return this.sandboxes.connect(place.sandboxId, place.seed, user);
  }
}

const view = (s: SandboxStatus): PracticeStatusView => ({
  sandboxId: s.sandboxId,
  state: s.state,
  apiBase: PRACTICE_API_PREFIX,
  startedAt: s.startedAt,
  lastUsedAt: s.lastUsedAt,
});
