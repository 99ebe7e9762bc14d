import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { markNotificationsReadRequestSchema as markRead, notificationListQuerySchema as listQuery, type NotificationList, type NotificationUnread } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { NotificationsService } from './notifications.service.js';

/** The signed-in user's own notifications (issue 19 item 7): every role has some. */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('api/v1/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @Roles(ANY_ROLE)
  list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>, @CurrentUser() user: UserPrincipal): Promise<NotificationList> {
    return this.notifications.list(user, q);
  }

  @Get('unread')
  @Roles(ANY_ROLE)
  unread(@CurrentUser() user: UserPrincipal): Promise<NotificationUnread> {
    return this.notifications.unread(user);
  }

  @Post('read')
  @HttpCode(200)
  @Roles(ANY_ROLE)
  read(@Body({ schema: markRead }) body: z.infer<typeof markRead>, @CurrentUser() user: UserPrincipal): Promise<NotificationUnread> {
    return this.notifications.markRead(user, body);
  }
}
