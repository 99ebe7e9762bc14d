import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { createProvisioningKeyRequestSchema as createKeySchema } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ProvisioningKeysService, type ProvisioningKeyView } from './provisioning-keys.service.js';

@ApiTags('provisioning')
@ApiBearerAuth()
@Controller('api/v1/provisioning-keys')
export class ProvisioningKeysController {
  constructor(private readonly keys: ProvisioningKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create a provisioning key; the key string is returned only in this answer' })
  create(@Body({ schema: createKeySchema }) body: z.infer<typeof createKeySchema>, @CurrentUser() user: UserPrincipal): Promise<{ provisioningKey: ProvisioningKeyView; key: string }> {
    return this.keys.create(body, user.userId);
  }

  @Get()
  list(): Promise<ProvisioningKeyView[]> {
    return this.keys.list();
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a key: no more enrolments with it (existing ones stay claimable)' })
  delete(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<void> {
    return this.keys.delete(id, user.userId);
  }
}
