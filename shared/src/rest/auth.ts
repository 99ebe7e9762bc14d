import { z } from 'zod';
import { USER_ROLES } from './users.js';
import { capabilitiesSchema } from './capabilities.js';

/** POST /api/v1/auth/login */
export const loginRequestSchema = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
export type LoginRequest = z.infer<typeof loginRequestSchema>;
/** POST /api/v1/auth/refresh */
export const refreshRequestSchema = z.object({ refreshToken: z.string().min(1).max(200) });
export type RefreshRequest = z.infer<typeof refreshRequestSchema>;
/** POST /api/v1/auth/password */
export const changePasswordRequestSchema = z.object({ current: z.string().min(1).max(200), new: z.string().min(8, 'at least 8 characters').max(200) });
export type ChangePasswordRequest = z.infer<typeof changePasswordRequestSchema>;

export const loginResultSchema = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresAt: z.string(),
  /** Presented once to POST /auth/refresh for a new pair; a second presentation ends the whole login. */
  refreshToken: z.string(),
  refreshExpiresAt: z.string(),
  user: z.object({
    id: z.string(),
    username: z.string(),
    role: z.enum(USER_ROLES),
    areaCode: z.string().nullable(),
    /** Issue 19: full name, when set. */
    fullName: z.string().nullable().optional(),
    /** Issue 19: an administrator set the password; every route but the account's own answers 403 `password.change-required`. */
    mustChangePassword: z.boolean().optional(),
    /** Issue 19: what this user may do (role + installation settings); the dashboard hides the rest. Always sent. */
    can: capabilitiesSchema.optional(),
  }),
});
export type LoginResult = z.infer<typeof loginResultSchema>;
