import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  createTrainingClassSchema as createClass,
  trainingReportQuerySchema as reportQuery,
  type LessonCheckResult,
  type LessonStartView,
  type LessonStatusView,
  type TrainingClassProgress,
  type TrainingClassView,
  type TrainingReport,
} from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, EDITORS, Roles } from '../auth/roles.js';
import { AppConfig } from '../config/app-config.js';
import { trainingCsv, trainingXlsx, type TrainingFile } from './training-exports.js';
import { TrainingService } from './training.service.js';

/** Issue 21: the caller's lessons and their checks, run against its practice sandbox. */
@ApiTags('training')
@ApiBearerAuth()
@Controller('api/v1/training')
export class TrainingController {
  constructor(private readonly training: TrainingService) {}

  @Get('lessons')
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'The lessons of my role (and my class), with my completion' })
  lessons(@CurrentUser() user: UserPrincipal): Promise<LessonStatusView[]> {
    return this.training.lessonsFor(user);
  }

  @Post('lessons/:id/start')
  @HttpCode(200)
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'Prepares my practice sandbox for the lesson (faults on virtual speakers)' })
  start(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<LessonStartView> {
    return this.training.start(user, id);
  }

  @Post('lessons/:id/check')
  @HttpCode(200)
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'Verifies the lesson’s task in my sandbox; a pass records the completion (once)' })
  check(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<LessonCheckResult> {
    return this.training.check(user, id);
  }

  @Get('classes')
  @Roles(EDITORS)
  @ApiOperation({ summary: 'Training classes of my area' })
  classes(@CurrentUser() user: UserPrincipal): Promise<TrainingClassView[]> {
    return this.training.listClasses(user);
  }

  @Post('classes')
  @Roles(EDITORS)
  @Audit('training.class-create')
  @ApiOperation({ summary: 'Creates a class: users, area, lesson set (an operator inside its area)' })
  create(@Body({ schema: createClass }) body: z.infer<typeof createClass>, @CurrentUser() user: UserPrincipal): Promise<TrainingClassView> {
    return this.training.createClass(user, body);
  }

  @Get('classes/:id/progress')
  @Roles(EDITORS)
  @ApiOperation({ summary: 'Members × lessons of a class' })
  progress(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<TrainingClassProgress> {
    return this.training.progress(user, id);
  }

  @Post('classes/:id/reset')
  @HttpCode(204)
  @Roles(EDITORS)
  @Audit('training.class-reset')
  @ApiOperation({ summary: 'Starts the class’s practice sandbox afresh (records stay)' })
  reset(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<void> {
    return this.training.resetClass(user, id);
  }
}

/** Issue 21: the training section of the Reports page and its exports. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('api/v1/reports')
export class TrainingReportController {
  constructor(
    private readonly training: TrainingService,
    private readonly config: AppConfig,
  ) {}

  @Get('training')
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'Staff with an account and staff trained, per area, against the 100% target (KH 179)' })
  report(@Query({ schema: reportQuery }) q: z.infer<typeof reportQuery>, @CurrentUser() user: UserPrincipal): Promise<TrainingReport> {
    return this.training.report(user, q);
  }

  @Get('training.csv')
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'The training report as CSV (Vietnamese headers)' })
  async csv(@Query({ schema: reportQuery }) q: z.infer<typeof reportQuery>, @CurrentUser() user: UserPrincipal, @Res() res: ServerResponse): Promise<void> {
    send(res, trainingCsv(await this.training.report(user, q)));
  }

  @Get('training.xlsx')
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'The training report as XLSX' })
  async xlsx(@Query({ schema: reportQuery }) q: z.infer<typeof reportQuery>, @CurrentUser() user: UserPrincipal, @Res() res: ServerResponse): Promise<void> {
    send(res, await trainingXlsx(await this.training.report(user, q), this.config.timezone));
  }
}

function send(res: ServerResponse, f: TrainingFile): void {
  res.writeHead(200, { 'Content-Type': f.contentType, 'Content-Disposition': f.disposition, 'Content-Length': String(f.body.length), 'Cache-Control': 'no-store' });
  res.end(f.body);
}
