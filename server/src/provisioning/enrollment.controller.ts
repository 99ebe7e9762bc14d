import { Body, Controller, Get, Headers, HttpCode, Ip, Param, Post, Query, UnauthorizedException } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { claimEnrollmentRequestSchema as claimSchema, listEnrollmentsQuerySchema as listQuery } from '@loa/shared/rest';
import { deviceIdSchema, ENROLL_PATH, enrollRequestSchema, type EnrollmentStatus, type EnrollRequest, type EnrollResponse } from '@loa/shared';
import { CurrentUser, Public } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { DeviceView } from '../devices/devices.service.js';
import { EnrollmentService, type EnrollmentView } from './enrollment.service.js';

const BASE = 'api/v1/provisioning';

/** HTTP Basic credentials, or a 401. */
function basic(header: string | undefined): { user: string; password: string } {
  const [scheme, encoded] = (header ?? '').split(' ', 2);
  const decoded = scheme?.toLowerCase() === 'basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new UnauthorizedException('HTTP Basic credentials (device id and secret) required');
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

@ApiTags('provisioning')
@Controller(BASE)
export class EnrollmentController {
  constructor(private readonly enrollments: EnrollmentService) {}

  @Public()
  @Post(ENROLL_PATH.slice(BASE.length + 2))
  @ApiOperation({ summary: 'A device with a provisioning key enrols (public; the key is the credential). Pending until an operator claims it.' })
  enroll(@Body({ schema: enrollRequestSchema }) body: EnrollRequest, @Ip() ip: string): Promise<EnrollResponse> {
    return this.enrollments.enroll(body, ip);
  }

  @Public()
  @Get('enrollments/:id/status')
  @ApiBasicAuth()
  @ApiOperation({ summary: 'The enrolled device asks whether it was claimed (HTTP Basic: its id and secret)' })
  status(@Param('id', { schema: deviceIdSchema }) id: string, @Headers('authorization') authorization: string | undefined, @Ip() ip: string): Promise<EnrollmentStatus> {
    const { user, password } = basic(authorization);
    if (user !== id) throw new UnauthorizedException('credentials of another device');
    return this.enrollments.status(id, password, ip);
  }

  @Get('enrollments')
  @ApiBearerAuth()
  list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>): Promise<EnrollmentView[]> {
    return this.enrollments.list(q.state);
  }

  @Post('enrollments/:id/claim')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Claim a pending device into an area: it is registered with its enrolment id and secret and may connect' })
  claim(
    @Param('id') id: string,
    @Body({ schema: claimSchema }) body: z.infer<typeof claimSchema>,
    @CurrentUser() user: UserPrincipal,
  ): Promise<{ enrollment: EnrollmentView; device: DeviceView }> {
    return this.enrollments.claim(id, body, user.userId);
  }

  @Post('enrollments/:id/reject')
  @HttpCode(200)
  @ApiBearerAuth()
  reject(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<EnrollmentView> {
    return this.enrollments.reject(id, user.userId);
  }
}
