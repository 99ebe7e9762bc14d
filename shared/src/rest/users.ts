import { z } from 'zod';
import { areaCodeSchema } from '../ids.js';

export const USER_ROLES = ['admin', 'operator', 'approver', 'commune_officer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

const role = z.enum(USER_ROLES);
const password = z.string().min(8, 'at least 8 characters').max(200);
/** Issue 19: a person's full name (shown in the audit and to approvers instead of the username). */
const fullName = z.string().trim().max(100);
/** A Vietnamese phone number as typed; the server normalises it (0xxxxxxxxx) or refuses with `user.phone-invalid`. */
const phone = z.string().trim().max(32);
/** Where notification e-mails go (LOA_SMTP_URL); stored lower-case. */
const email = z.string().trim().max(254).pipe(z.email('not an e-mail address such as can.bo@xa.gov.vn'));

/** POST /api/v1/users */
export const createUserRequestSchema = z.object({
  username: z.string().regex(/^[a-z0-9._-]{3,64}$/, '3-64 chars of a-z, 0-9, ".", "_" or "-"'),
  password,
  role,
  areaCode: areaCodeSchema.nullish().describe('root of the area subtree; required for every role except admin'),
  fullName: fullName.nullish(),
  phone: phone.nullish().describe('Vietnamese number: 10 digits starting with 0, or +84…'),
  email: email.nullish(),
  /**
   * The user must replace the password at the first sign-in (the dashboard always asks for it). Omitted: false, so
   * scripts that create service accounts through the API keep working.
   */
  mustChangePassword: z.boolean().optional(),
});
export type CreateUserRequest = z.infer<typeof createUserRequestSchema>;

/** PATCH /api/v1/users/:id */
export const updateUserRequestSchema = z
  .object({
    role: role.optional(),
    areaCode: areaCodeSchema.nullable().optional(),
    password: password.optional().describe('an administrator-set password: the user must change it at the next sign-in'),
    disabled: z.boolean().optional(),
    fullName: fullName.nullable().optional(),
    phone: phone.nullable().optional(),
    email: email.nullable().optional(),
    /**
     * With `password`: omitted means true (an administrator reset the password); false hands over a final password.
     * Alone: asks the user to change the current password at the next request (true) or waives it (false).
     */
    mustChangePassword: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give role, areaCode, password, disabled, fullName, phone or email');
export type UpdateUserRequest = z.infer<typeof updateUserRequestSchema>;

export const userViewSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: role,
  areaCode: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
  /** Issue 19 (additive). */
  fullName: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  /** Set when an administrator set the password; cleared when the user changes it. */
  mustChangePassword: z.boolean().optional(),
});
export type UserView = z.infer<typeof userViewSchema>;

/** GET /api/v1/users/names: the directory every role may read. */
export const userNameSchema = z.object({ id: z.string(), username: z.string(), fullName: z.string().nullable().optional() });
export type UserName = z.infer<typeof userNameSchema>;
