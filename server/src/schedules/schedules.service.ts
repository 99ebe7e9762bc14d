import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { DeviceKind, Priority } from '@loa/shared';
import { AreasService } from '../areas/areas.service.js';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { DeliveryEntity, OccurrenceEntity, ScheduleEntity, ScheduleTargetEntity } from '../database/entities.js';
import { DeliveriesService } from '../deliveries/deliveries.service.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { TimelinesService } from '../timelines/timelines.service.js';
import { SchedulesRepository } from './schedules.repository.js';

export interface CreateScheduleInput {
  contentId: string;
  startAt: number;
  targets: { areas: string[]; devices: string[] };
  priority: Priority;
  volume?: number | undefined;
}

export interface ScheduleView {
  id: string;
  contentId: string;
  priority: Priority;
  startAt: string;
  volume: number | null;
  status: 'active' | 'cancelled';
  targets: { areas: string[]; devices: string[] };
  occurrences: Array<{ id: string; startAt: string; durationMs: number }>;
  deviceCount: number;
  summary: Record<string, number>;
  createdBy: string;
  createdAt: string;
}

/** Which kind of device can render which kind of content. */
const RENDERS: Record<'audio' | 'text', DeviceKind> = { audio: 'speaker', text: 'board' };

/** Deterministic, so recurring occurrences compiled twice keep the same id. */
export const occurrenceId = (scheduleId: string, startAt: number): string => `${scheduleId}:${startAt}`;

@Injectable()
export class SchedulesService {
  constructor(
    private readonly repo: SchedulesRepository,
    private readonly areas: AreasService,
    private readonly timelines: TimelinesService,
    private readonly deliveries: DeliveriesService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async create(input: CreateScheduleInput, userId: string): Promise<ScheduleView> {
    const now = this.clock.now();
    if (input.startAt < now - this.config.schedulePastToleranceMs) {
      throw new BadRequestException(`startAt ${new Date(input.startAt).toISOString()} is in the past (server time ${new Date(now).toISOString()})`);
    }
    if (input.startAt > now + 366 * 86_400_000) throw new BadRequestException('startAt is more than a year ahead');
    const content = await this.repo.findContent(input.contentId);
    if (!content) throw new BadRequestException(`unknown content ${input.contentId}`);

    const deviceIds = await this.resolveTargets(input.targets, RENDERS[content.type]);
    const schedule: ScheduleEntity = {
      id: newId(),
      contentId: content.id,
      priority: input.priority,
      startAt: input.startAt,
      volume: input.volume ?? null,
      status: 'active',
      createdBy: userId,
      createdAt: now,
    };
    const occurrence: OccurrenceEntity = {
      id: occurrenceId(schedule.id, input.startAt),
      scheduleId: schedule.id,
      startAt: input.startAt,
      durationMs: content.durationMs,
    };
    const targets: ScheduleTargetEntity[] = [
      ...input.targets.areas.map((ref) => ({ scheduleId: schedule.id, kind: 'area' as const, ref })),
      ...input.targets.devices.map((ref) => ({ scheduleId: schedule.id, kind: 'device' as const, ref })),
    ];
    const deliveries: DeliveryEntity[] = deviceIds.map((deviceId) => ({
      occurrenceId: occurrence.id,
      deviceId,
      scheduleId: schedule.id,
      state: 'queued',
      queuedAt: now,
      deliveredAt: null,
      startedAt: null,
      endedAt: null,
      playedMs: null,
      reason: null,
      updatedAt: now,
    }));
    await this.repo.insert({ schedule, targets, occurrences: [occurrence], deliveries });
    this.logger.info({ ctx: 'schedules', scheduleId: schedule.id, devices: deviceIds.length, startAt: occurrence.startAt }, 'schedule created');
    await this.timelines.recompile(deviceIds);
    return this.get(schedule.id);
  }

  async get(id: string): Promise<ScheduleView> {
    const s = await this.repo.find(id);
    if (!s) throw new NotFoundException(`schedule ${id} not found`);
    const [targets, occurrences, summary] = await Promise.all([this.repo.targets(id), this.repo.occurrences(id), this.deliveries.summary(id)]);
    return {
      id: s.id,
      contentId: s.contentId,
      priority: s.priority,
      startAt: new Date(s.startAt).toISOString(),
      volume: s.volume,
      status: s.status,
      targets: {
        areas: targets.filter((t) => t.kind === 'area').map((t) => t.ref),
        devices: targets.filter((t) => t.kind === 'device').map((t) => t.ref),
      },
      occurrences: occurrences.map((o) => ({ id: o.id, startAt: new Date(o.startAt).toISOString(), durationMs: o.durationMs })),
      deviceCount: Object.values(summary).reduce((a, b) => a + b, 0),
      summary,
      createdBy: s.createdBy,
      createdAt: new Date(s.createdAt).toISOString(),
    };
  }

  async list(): Promise<ScheduleView[]> {
    return Promise.all((await this.repo.list()).map((s) => this.get(s.id)));
  }

  /**
   * Area subtrees plus listed devices, restricted to devices that can render the content. Unknown codes or ids
   * refuse the whole request, so an operator's typo never silently narrows a broadcast.
   */
  private async resolveTargets(targets: CreateScheduleInput['targets'], kind: DeviceKind): Promise<string[]> {
    const areas = [...new Set(targets.areas)];
    const listed = [...new Set(targets.devices)];
    const paths = await this.areas.requirePaths(areas);
    const found = await this.repo.devicesByIds(listed);
    const foundIds = new Set(found.map((d) => d.id));
    const missing = listed.filter((id) => !foundIds.has(id));
    if (missing.length > 0) throw new BadRequestException(`unknown device(s): ${missing.join(', ')}`);
    const wrongKind = found.filter((d) => d.kind !== kind).map((d) => d.id);
    if (wrongKind.length > 0) throw new BadRequestException(`device(s) ${wrongKind.join(', ')} cannot play this content (needs a ${kind})`);
    const inAreas = await this.repo.devicesInSubtrees([...paths.values()]);
    const ids = new Set([...found.map((d) => d.id), ...inAreas.filter((d) => d.kind === kind).map((d) => d.id)]);
    if (ids.size === 0) throw new BadRequestException(`the targets contain no ${kind} device`);
    return [...ids].sort();
  }
}
