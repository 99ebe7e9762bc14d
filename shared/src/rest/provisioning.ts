import { z } from 'zod';
import { DEVICE_KINDS } from '../constants.js';
import { areaCodeSchema } from '../ids.js';
import { instantSchema, tagsSchema } from './common.js';

/** POST /api/v1/provisioning/keys */
export const createProvisioningKeyRequestSchema = z.object({
  label: z.string().trim().min(1).max(200),
  areaCode: areaCodeSchema.optional(),
  expiresAt: instantSchema.transform((s) => Date.parse(s)),
  maxUses: z.number().int().min(1).max(100_000),
});

/** GET /api/v1/provisioning/enrollments */
export const listEnrollmentsQuerySchema = z.object({ state: z.enum(['pending', 'claimed', 'rejected']).optional() });
/** POST /api/v1/provisioning/enrollments/:id/claim */
export const claimEnrollmentRequestSchema = z.object({ areaCode: areaCodeSchema.optional(), name: z.string().trim().min(1).max(200).optional(), tags: tagsSchema.optional() });
export type ClaimEnrollmentRequest = z.infer<typeof claimEnrollmentRequestSchema>;

export const provisioningKeyViewSchema = z.object({
  id: z.string(),
  label: z.string(),
  areaCode: z.string().nullable(),
  expiresAt: z.string(),
  maxUses: z.number(),
  uses: z.number(),
  /** Not expired and not used up: devices can enrol with it now. */
  active: z.boolean(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type ProvisioningKeyView = z.infer<typeof provisioningKeyViewSchema>;

export const ENROLLMENT_STATES = ['pending', 'claimed', 'rejected'] as const;

export const enrollmentViewSchema = z.object({
  deviceId: z.string(),
  hardwareId: z.string(),
  kind: z.enum(DEVICE_KINDS),
  name: z.string().nullable(),
  state: z.enum(ENROLLMENT_STATES),
  keyId: z.string(),
  keyLabel: z.string().nullable(),
  /** The key's default area, proposed for the claim. */
  proposedAreaCode: z.string().nullable(),
  /** The area it was claimed into. */
  areaCode: z.string().nullable(),
  sourceAddress: z.string().nullable(),
  enrolledAt: z.string(),
  updatedAt: z.string(),
  decidedAt: z.string().nullable(),
});
export type EnrollmentView = z.infer<typeof enrollmentViewSchema>;
