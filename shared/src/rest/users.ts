import { z } from 'zod';
import { areaCodeSchema } from '../ids.js';

export const USER_ROLES = ['admin', 'operator', 'approver', 'commune_officer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

const role = z.enum(USER_ROLES);
const password = z.string().min(8, 'at least 8 characters').max(200);

/** POST /api/v1/users */
export const createUserRequestSchema = z.object({
  username: z.string().regex(/^[a-z0-9._-]{3,64}$/, '3-64 chars of a-z, 0-9, ".", "_" or "-"'),
  password,
  role,
  areaCode: areaCodeSchema.nullish().describe('root of the area subtree; required for every role except admin'),
});
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;

/** PATCH /api/v1/users/:id */
export const updateUserRequestSchema = z
  .object({ role: role.optional(), areaCode: areaCodeSchema.nullable().optional(), password: password.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give role, areaCode, password or disabled');
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

export const userViewSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: role,
  areaCode: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
});
export type UserView = z.infer<typeof userViewSchema>;

/** GET /api/v1/users/names: the directory every role may read. */
export const userNameSchema = z.object({ id: z.string(), username: z.string() });
export type UserName = z.infer<typeof userNameSchema>;
