import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import { auditCsvQuerySchema as csvQuery, auditListQuerySchema as listQuery } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Roles } from '../auth/roles.js';
import { AuditService, type AuditEntryView } from './audit.service.js';

/** Issue 7: the audit log. Admins see everything; an approver (or an admin with an area) sees its subtree. */
@ApiTags('audit')
@ApiBearerAuth()
@Roles('admin', 'approver')
@Controller('api/v1')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('audit')
  @ApiOperation({ summary: 'Audit entries, newest first; X-Total-Count gives the number of matches' })
  async list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>, @CurrentUser() user: UserPrincipal, @Res({ passthrough: true }) res: ServerResponse): Promise<AuditEntryView[]> {
    const page = await this.audit.list(user, q);
    res.setHeader('X-Total-Count', String(page.total));
    return page.items;
  }

  /** Vietnamese headers, outcomes and Vietnam-time dates by default; `format=iso` for the machine format. */
  @Get('audit.csv')
  @ApiOperation({ summary: 'The same selection as CSV (UTF-8 with BOM, formula-guarded cells), at most 10,000 rows' })
  async csv(@Query({ schema: csvQuery }) q: z.infer<typeof csvQuery>, @CurrentUser() user: UserPrincipal, @Res({ passthrough: true }) res: ServerResponse): Promise<string> {
    const csv = await this.audit.csv(user, q);
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', csv.disposition);
    res.setHeader('cache-control', 'no-store');
    return csv.text;
  }
}
