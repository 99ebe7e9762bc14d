import { z } from 'zod';
import { deviceIdSchema } from '../ids.js';
import { tagSchema } from './common.js';

export const tagRuleRequestSchema = z
  .object({ all: z.array(tagSchema).max(20).optional(), any: z.array(tagSchema).max(20).optional() })
  .refine((r) => (r.all?.length ?? 0) + (r.any?.length ?? 0) > 0, 'a tag rule needs at least one tag in all or any');
const name = z.string().trim().min(1).max(200);

/** POST /api/v1/groups */
export const createGroupRequestSchema = z
  .object({ name, deviceIds: z.array(deviceIdSchema).max(10_000).optional(), tagRule: tagRuleRequestSchema.optional() })
  .refine((g) => (g.deviceIds?.length ?? 0) > 0 || g.tagRule !== undefined, 'give deviceIds and/or a tagRule');
export type CreateGroupRequest = z.infer<typeof createGroupRequestSchema>;

/** PATCH /api/v1/groups/:id */
export const updateGroupRequestSchema = z.object({ name: name.optional(), deviceIds: z.array(deviceIdSchema).max(10_000).optional(), tagRule: tagRuleRequestSchema.nullish() });
export type UpdateGroupRequest = z.infer<typeof updateGroupRequestSchema>;

export const tagRuleViewSchema = z.object({ all: z.array(z.string()).optional(), any: z.array(z.string()).optional() });
export type TagRuleView = z.infer<typeof tagRuleViewSchema>;

export const groupViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  deviceIds: z.array(z.string()),
  tagRule: tagRuleViewSchema.nullable(),
  /** Current members (static list ∪ tag rule matches), sorted. */
  members: z.array(z.string()),
  memberCount: z.number(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type GroupView = z.infer<typeof groupViewSchema>;
