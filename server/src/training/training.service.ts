import { HttpStatus, Injectable, Optional } from '@nestjs/common';
import {
  lessonById,
  lessonsForRole,
  TRAINING_TARGET_SHARE,
  type CreateTrainingClass,
  type Lesson,
  type LessonCheckResult,
  type LessonStartView,
  type LessonStatusView,
  type TrainingAreaFigures,
  type TrainingClassProgress,
  type TrainingClassView,
  type TrainingReport,
  type TrainingReportQuery,
  type TrainingRole,
  type TrainingSharePayload,
} from '@loa/shared/rest';
import type { UserPrincipal } from '../auth/principal.js';
import { ScopeService } from '../auth/area-scope.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { newId } from '../common/ids.js';
import { badRequest, LoaError, notFound } from '../common/loa-error.js';
import type { AreaEntity } from '../areas/area.entity.js';
import { faultTargets, runCheck, SandboxReadError, type SandboxCall } from './lesson-checks.js';
import type { TrainingClassEntity, TrainingRecordEntity } from './training.entities.js';
import { TrainingRepository, type StaffRow } from './training.repository.js';
import { PracticeSandboxes } from '../practice/practice-sandboxes.js';
import { classSandboxId } from './sandbox-ids.js';
import { TrainingMembership, type TrainingPlace } from './training-membership.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const classView = (c: TrainingClassEntity, memberIds: string[]): TrainingClassView => ({
  id: c.id,
  name: c.name,
  areaCode: c.areaCode,
  lessonIds: c.lessonIds,
  memberIds: [...memberIds].sort(),
  sandboxId: classSandboxId(c.id),
  createdBy: c.createdBy,
  createdAt: new Date(c.createdAt).toISOString(),
});

const share = (trained: number, staff: number): number | null => (staff === 0 ? null : trained / staff);

/** The Vietnamese word for the whole tree (a nationwide admin's report root, the upward payload's root). */
const WHOLE_TREE = { code: '*', name: 'Toàn bộ', level: 'all' };

/**
 * Issue 21: lessons, their checks against the trainee's practice sandbox, training records, classes and the
 * training report. Authorisation is decided here (roles before, by the controller's @Roles): classes and reports are
 * scoped by area like everything in Loa.
 */
@Injectable()
export class TrainingService {
  constructor(
    private readonly repo: TrainingRepository,
    private readonly membership: TrainingMembership,
    private readonly scope: ScopeService,
    private readonly clock: Clock,
    /** The practice runtime; absent (a server without it), every sandbox call answers training.sandbox-unavailable. */
    @Optional() private readonly sandboxes?: PracticeSandboxes,
    @Optional() private readonly config?: AppConfig,
  ) {}

  // ---- lessons

  /** The lessons of the user's role (and of its class's set), with its own completion. */
  async lessonsFor(user: UserPrincipal): Promise<LessonStatusView[]> {
    const lessons = await this.lessonSetOf(user);
    const records = new Map((await this.repo.recordsOf([user.userId])).map((r) => [r.lessonId, r]));
    return lessons.map((l) => this.statusView(l, records.get(l.id) ?? null));
  }

  /** Prepares the trainee's sandbox for a lesson: the faults its setup asks for, on the trainee's area's speakers. */
  async start(user: UserPrincipal, lessonId: string): Promise<LessonStartView> {
    const lesson = await this.lessonFor(user, lessonId);
    const { sandboxId, seed } = await this.sandboxOf(user);
    await this.sandboxRead(() => this.ports().ensure(sandboxId, seed));
    const call = this.caller(sandboxId, user);
    const faulted: string[] = [];
    for (const f of lesson.setup.faults) {
      for (const id of await this.sandboxRead(() => faultTargets(call, user.areaCode, f.count))) {
        const r = await this.sandboxRead(() => call('PUT', `/api/v1/practice/devices/${encodeURIComponent(id)}/fault`, { fault: f.fault }));
        if (r.status >= 300) throw new LoaError(HttpStatus.SERVICE_UNAVAILABLE, 'training.sandbox-unavailable', { reason: `fault ${f.fault} on ${id}: ${r.status}` });
        faulted.push(id);
      }
    }
    return { lessonId: lesson.id, sandboxId, faultedDevices: faulted };
  }

  /** Runs the lesson's check on the trainee's sandbox; a pass records the completion once (later passes change nothing). */
  async check(user: UserPrincipal, lessonId: string): Promise<LessonCheckResult> {
    const lesson = await this.lessonFor(user, lessonId);
    const { sandboxId, seed, classId } = await this.sandboxOf(user);
    const now = this.clock.now();
    await this.repo.countAttempt(user.userId, lesson.id, now);
    await this.sandboxRead(() => this.ports().ensure(sandboxId, seed));
    const missing = await this.sandboxRead(() => runCheck(lesson.check, { call: this.caller(sandboxId, user), areaCode: user.areaCode }));
    if (missing.length === 0) await this.repo.complete(user.userId, lesson.id, now, user.areaCode, classId);
    const rec = await this.repo.record(user.userId, lesson.id);
    return { lessonId: lesson.id, passed: missing.length === 0, completedAt: iso(rec?.completedAt ?? null), attempts: rec?.attempts ?? 0, missing };
  }

  // ---- classes

  async createClass(user: UserPrincipal, body: CreateTrainingClass): Promise<TrainingClassView> {
    await this.scope.checkArea(user, body.areaCode, 'write');
    const area = await this.repo.area(body.areaCode);
    if (!area) throw notFound('area.not-found', { id: body.areaCode });
    for (const id of body.lessonIds) if (!lessonById(id)) throw badRequest('training.lesson-not-found', { id });
    const memberIds = [...new Set(body.memberIds)];
    const found = new Map((await this.repo.staff({ ids: memberIds })).map((u) => [u.id, u]));
    for (const id of memberIds) {
      // A member outside the class's area would practise on (and be counted for) an area it does not belong to.
      if (!found.get(id)?.path?.startsWith(area.path)) throw badRequest('training.member-not-found', { id });
    }
    const row: TrainingClassEntity = { id: newId(), name: body.name, areaCode: body.areaCode, lessonIds: [...new Set(body.lessonIds)], createdBy: user.userId, createdAt: this.clock.now() };
    await this.repo.insertClass(row, memberIds);
    return classView(row, memberIds);
  }

  async listClasses(user: UserPrincipal): Promise<TrainingClassView[]> {
    const scope = await this.scope.of(user);
    const classes = scope.filter(await this.repo.classes(), (c) => c.areaCode);
    const members = await this.repo.membersOf(classes.map((c) => c.id));
    return classes.map((c) => classView(c, members.filter((m) => m.classId === c.id).map((m) => m.userId)));
  }

  async progress(user: UserPrincipal, classId: string): Promise<TrainingClassProgress> {
    const c = await this.classInScope(user, classId, 'read');
    const memberIds = (await this.repo.membersOf([c.id])).map((m) => m.userId);
    const users = await this.repo.staff({ ids: memberIds });
    const records = await this.repo.recordsOf(memberIds);
    return {
      classId: c.id,
      lessonIds: c.lessonIds,
      members: users.map((u) => {
        const completed: Record<string, string | null> = {};
        for (const l of c.lessonIds) completed[l] = iso(records.find((r) => r.userId === u.id && r.lessonId === l)?.completedAt ?? null);
        return { userId: u.id, username: u.username, fullName: u.fullName, completed, done: Object.values(completed).filter((v) => v !== null).length };
      }),
    };
  }

  /** Starts the class's sandbox afresh (its practice data only; training records stay). */
  async resetClass(user: UserPrincipal, classId: string): Promise<void> {
    const c = await this.classInScope(user, classId, 'write');
    const memberUserIds = (await this.repo.membersOf([c.id])).map((m) => m.userId);
    await this.sandboxRead(() => this.ports().reset(classSandboxId(c.id), { areaCode: c.areaCode, memberUserIds }));
  }

  // ---- report

  /** Staff with an account and staff who completed their lesson set, for an area and each of its children. */
  async report(user: UserPrincipal, q: TrainingReportQuery): Promise<TrainingReport> {
    const code = q.areaCode ?? user.areaCode;
    let root: AreaEntity | null = null;
    if (code !== null) {
      await this.scope.checkArea(user, code, 'read');
      root = await this.repo.area(code);
      if (!root) throw notFound('area.not-found', { id: code });
    }
    const figures = await this.figures(root);
    return { ...figures, target: TRAINING_TARGET_SHARE, at: new Date(this.clock.now()).toISOString() };
  }

  /**
   * The upward exchange's figures: the whole tree of this server. A server of one top area (a province, a district)
   * is broken down by that area's children, several top areas by themselves.
   */
  async upwardShare(): Promise<TrainingSharePayload> {
    const tops = await this.repo.childAreas(null);
    const f = await this.figures(tops.length === 1 ? tops[0]! : null);
    return { staff: f.root.staff, trained: f.root.trained, share: f.root.share, target: TRAINING_TARGET_SHARE, areas: f.children };
  }

  private async figures(root: AreaEntity | null): Promise<{ root: TrainingAreaFigures; children: TrainingAreaFigures[] }> {
    const staff = (await this.repo.staff({ pathPrefix: root?.path ?? null })).filter((s) => s.path !== null);
    const trained = await this.trainedSet(staff);
    const count = (prefix: string | null) => {
      const under = staff.filter((s) => prefix === null || s.path!.startsWith(prefix));
      const t = under.filter((s) => trained.has(s.id)).length;
      return { staff: under.length, trained: t, share: share(t, under.length) };
    };
    const children = await this.repo.childAreas(root?.code ?? null);
    return {
      root: { areaCode: root?.code ?? WHOLE_TREE.code, areaName: root?.name ?? WHOLE_TREE.name, level: root?.level ?? WHOLE_TREE.level, ...count(root?.path ?? null) },
      children: children.map((a) => ({ areaCode: a.code, areaName: a.name, level: a.level, ...count(a.path) })),
    };
  }

  /** Who completed every lesson of its set: its newest class's lessons, else its role's. */
  private async trainedSet(staff: readonly StaffRow[]): Promise<Set<string>> {
    const ids = staff.map((s) => s.id);
    const classes = await this.repo.classesOfUsers(ids);
    const done = new Map<string, Set<string>>();
    for (const r of await this.repo.recordsOf(ids)) if (r.completedAt !== null) done.set(r.userId, (done.get(r.userId) ?? new Set()).add(r.lessonId));
    const out = new Set<string>();
    for (const s of staff) {
      const set = classes.get(s.id)?.[0]?.lessonIds ?? lessonsForRole(s.role as TrainingRole).map((l) => l.id);
      const mine = done.get(s.id);
      if (set.length > 0 && mine && set.every((l) => mine.has(l))) out.add(s.id);
    }
    return out;
  }

  // ---- helpers

  private async lessonSetOf(user: UserPrincipal): Promise<Lesson[]> {
    const own = lessonsForRole(user.role);
    const [klass] = (await this.repo.classesOfUsers([user.userId])).get(user.userId) ?? [];
    if (!klass) return own;
    const extra = klass.lessonIds.map((id) => lessonById(id)).filter((l): l is Lesson => l !== undefined && !own.includes(l));
    return [...own, ...extra];
  }

  private async lessonFor(user: UserPrincipal, lessonId: string): Promise<Lesson> {
    const lesson = lessonById(lessonId);
    if (!lesson) throw notFound('training.lesson-not-found', { id: lessonId });
    if (!(await this.lessonSetOf(user)).includes(lesson)) throw badRequest('training.lesson-not-for-role', { id: lessonId });
    return lesson;
  }

  /** The same sandbox the practice runtime puts the user in (TrainingMembership). */
  private sandboxOf(user: UserPrincipal): Promise<TrainingPlace> {
    return this.membership.place(user);
  }

  private ports(): PracticeSandboxes {
    // A practice instance never starts sandboxes of its own (a trainee reaching training routes through the proxy).
    if (this.config?.practice.mode) throw new LoaError(HttpStatus.SERVICE_UNAVAILABLE, 'training.sandbox-unavailable', { reason: 'inside a practice instance' });
    if (!this.sandboxes) throw new LoaError(HttpStatus.SERVICE_UNAVAILABLE, 'training.sandbox-unavailable', { reason: 'practice mode is not running on this server' });
    return this.sandboxes;
  }

  private caller(sandboxId: string, user: UserPrincipal): SandboxCall {
    return (method, path, body) => this.ports().request(sandboxId, { username: user.username }, method, path, body);
  }

  /** A sandbox that cannot answer is a 503 with its reason, never a failed check nor a 500. */
  private async sandboxRead<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof LoaError || (err as { getStatus?: unknown }).getStatus) throw err;
      const reason = err instanceof SandboxReadError ? err.message : (err as Error).message ?? String(err);
      throw new LoaError(HttpStatus.SERVICE_UNAVAILABLE, 'training.sandbox-unavailable', { reason: reason.slice(0, 200) });
    }
  }

  private async classInScope(user: UserPrincipal, classId: string, access: 'read' | 'write'): Promise<TrainingClassEntity> {
    const c = await this.repo.classById(classId);
    if (!c || !(await this.scope.inScope(user, (u) => this.scope.checkArea(u, c.areaCode, 'read')))) throw notFound('training.class-not-found', { id: classId });
    if (access === 'write') await this.scope.checkArea(user, c.areaCode, 'write');
    return c;
  }

  private statusView(l: Lesson, r: TrainingRecordEntity | null): LessonStatusView {
    return {
      id: l.id,
      title: l.title,
      summary: l.summary,
      minutes: l.minutes,
      steps: l.steps.map((s) => ({ route: s.route, highlight: s.highlight, text: s.text })),
      check: l.check.name,
      completedAt: iso(r?.completedAt ?? null),
      attempts: r?.attempts ?? 0,
    };
  }
}
