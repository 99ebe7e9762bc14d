import { Injectable } from '@nestjs/common';
import type { UserPrincipal } from '../auth/principal.js';
import { PracticeMembership, type PracticePlace } from '../practice/practice-membership.js';
import { classSandboxId, userSandboxId } from './sandbox-ids.js';
import { TrainingRepository } from './training.repository.js';

/** Where a user practises, and the class it practises with (null: on its own). */
export interface TrainingPlace extends PracticePlace {
  readonly classId: string | null;
}

/**
 * Issue 21: a member of a class practises in the class's shared sandbox (its newest class when in several), seeded
 * with the class's area and members; anyone else in its own. The practice runtime asks this (PracticeMembership) when
 * a user enters practice mode, and the lesson checks use the same answer, so both reach the same sandbox.
 */
@Injectable()
export class TrainingMembership extends PracticeMembership {
  constructor(private readonly repo: TrainingRepository) {
    super();
  }

  async placeOf(user: UserPrincipal): Promise<PracticePlace | null> {
    const p = await this.place(user);
    return p.classId === null ? null : p;
  }

  async place(user: UserPrincipal): Promise<TrainingPlace> {
    const [klass] = (await this.repo.classesOfUsers([user.userId])).get(user.userId) ?? [];
    if (!klass) return { sandboxId: userSandboxId(user.userId), seed: { areaCode: user.areaCode, memberUserIds: [user.userId] }, classId: null };
    const memberUserIds = (await this.repo.membersOf([klass.id])).map((m) => m.userId);
    return { sandboxId: classSandboxId(klass.id), seed: { areaCode: klass.areaCode, memberUserIds }, classId: klass.id };
  }
}
