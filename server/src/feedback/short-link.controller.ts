import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { Public } from '../auth/decorators.js';
import { PublicFeedbackService } from './public-feedback.service.js';

/**
 * `/y/<commune code>`: the short link printed under the QR code on notices and e-boards. It only redirects (no
 * database read): the page itself tells an unknown commune, and the link stays cheap under a crowd of scans.
 */
@ApiTags('feedback-public')
@Controller('y')
export class ShortLinkController {
  constructor(private readonly service: PublicFeedbackService) {}

  @Get(':areaCode')
  @Public()
  @ApiOperation({ summary: 'Short link of a commune’s feedback page: 302 to /gop-y/?c=<areaCode>' })
  redirect(@Param('areaCode') areaCode: string, @Res() res: ServerResponse): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(areaCode)) throw new NotFoundException('no such commune link');
    res.writeHead(302, { Location: this.service.shortLinkTarget(areaCode), 'Cache-Control': 'public, max-age=3600' }).end();
  }
}
