import { Injectable, NotFoundException } from '@nestjs/common';
import type { CommuneCommandView, CommuneDeviceCommandRequest, SpeakerTestsView } from '@loa/shared/rest';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { badRequest, forbidden, notFound } from '../common/loa-error.js';
import { CommandsService, type OperatorCommand } from '../commands/commands.service.js';
import { ContentsService } from '../contents/contents.service.js';
import { DevicesService } from '../devices/devices.service.js';

/** How long a test command may wait for a speaker that is offline right now: the officer is standing by it. */
const TEST_TTL_S = 300;
/** Recent commands looked through for the last self-test and volume answer. */
const RECENT_COMMANDS = 100;
const TEST_TYPES = ['playNow', 'selfTest', 'setVolume'] as const;
type TestType = (typeof TEST_TYPES)[number];

/**
 * Issue 19: "Phát thử", "Tự kiểm tra" and the volume of one speaker, for whoever may test devices (commune officers
 * included), on the speakers of the user's own area only. The command goes through CommandsService like any other
 * (signed, queued, resent, expired); only these three types and one device at a time are open to officers.
 */
@Injectable()
export class CommuneCommandsService {
  constructor(
    private readonly commands: CommandsService,
    private readonly devices: DevicesService,
    private readonly contents: ContentsService,
    private readonly scope: ScopeService,
  ) {}

  async send(user: UserPrincipal, deviceId: string, req: CommuneDeviceCommandRequest): Promise<CommuneCommandView> {
    const device = await this.devices.get(deviceId).catch((err: unknown) => {
      throw err instanceof NotFoundException ? notFound('device.not-found', { id: deviceId }) : err;
    });
    if (!(await this.scope.of(user)).contains(device.areaCode)) throw forbidden('officer.device-outside', { id: deviceId });
    if (device.kind !== 'speaker') throw badRequest('officer.not-speaker', { id: deviceId });
    let command: OperatorCommand;
    if (req.type === 'playNow') {
      const content = await this.contents.get(req.contentId).catch((err: unknown) => {
        throw err instanceof NotFoundException ? notFound('content.not-found', { id: req.contentId }) : err;
      });
      if (content.state !== 'approved') throw badRequest('officer.content-not-approved', { id: req.contentId });
      command = { type: 'playNow', contentId: req.contentId, ...(req.volume === undefined ? {} : { volume: req.volume }) };
    } else if (req.type === 'selfTest') {
      command = { type: 'selfTest' };
    } else {
      command = { type: 'setVolume', volume: req.volume };
    }
    const created = await this.commands.create({ command, target: { deviceId }, ttlS: TEST_TTL_S }, user.userId);
    return this.get(user, created.id);
  }

  /** The speaker's last self-test and its volume (telemetry or a command answer, whichever is newer); 404 outside the area. */
  async tests(user: UserPrincipal, deviceId: string): Promise<SpeakerTestsView> {
    const device = await this.devices.get(deviceId).catch((err: unknown) => {
      throw err instanceof NotFoundException ? notFound('device.not-found', { id: deviceId }) : err;
    });
    if (!(await this.scope.of(user)).contains(device.areaCode)) throw notFound('device.not-found', { id: deviceId });
    const recent = (await this.commands.forDevice(deviceId, RECENT_COMMANDS, 0)).items;
    const selfTest = recent.find((c) => c.type === 'selfTest' && c.resultAt !== null);
    let volume = device.telemetry?.volume ?? null;
    let muted = device.telemetry?.muted ?? null;
    let volumeAt = device.telemetry?.at ?? null;
    const answered = recent.find((c) => c.state === 'ok' && c.resultAt !== null && typeof (c.data?.volume ?? c.data?.deviceVolume) === 'number');
    if (answered && (volumeAt === null || Date.parse(answered.resultAt!) > Date.parse(volumeAt))) {
      volume = (answered.data!.volume ?? answered.data!.deviceVolume) as number;
      muted = typeof answered.data!.muted === 'boolean' ? answered.data!.muted : muted;
      volumeAt = answered.resultAt;
    }
    const level = selfTest?.data?.levelLufs;
    return {
      deviceId,
      lastSelfTest: selfTest ? { at: selfTest.resultAt!, state: selfTest.state, levelLufs: typeof level === 'number' ? level : null, message: selfTest.message } : null,
      volume,
      muted,
      volumeAt,
    };
  }

  /** The one device's answer (the measured level of a self-test is in `result.data.levelLufs`); 404 outside the area. */
  async get(user: UserPrincipal, commandId: string): Promise<CommuneCommandView> {
    const scope = await this.scope.of(user);
    const detail = await this.commands.get(commandId, { limit: 1, offset: 0 }, scope.pathPattern).catch((err: unknown) => {
      throw err instanceof NotFoundException ? notFound('command.not-found', { id: commandId }) : err;
    });
    const result = detail.results.items[0];
    if (!result || !(TEST_TYPES as readonly string[]).includes(detail.type) || !('deviceId' in detail.target)) throw notFound('command.not-found', { id: commandId });
    return { commandId, type: detail.type as TestType, deviceId: result.deviceId, result };
  }
}
