import { z } from 'zod';

const side = z.number().int().min(16).max(8000);
export const BOARD_ORIENTATIONS = ['landscape', 'portrait'] as const;

/** POST /api/v1/board-profiles */
export const boardProfileRequestSchema = z.object({
  /** e.g. "LED P10 192×96", "LCD 1920×1080", "LCD portrait 1080×1920". */
  name: z.string().trim().min(1).max(100),
  width: side,
  height: side,
  orientation: z.enum(BOARD_ORIENTATIONS).optional(),
});
export type BoardProfileRequest = z.infer<typeof boardProfileRequestSchema>;
/** PATCH /api/v1/board-profiles/:id */
export const updateBoardProfileRequestSchema = boardProfileRequestSchema.partial().refine((b) => Object.keys(b).length > 0, 'give name, width, height or orientation');

export const boardProfileViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  width: z.number(),
  height: z.number(),
  orientation: z.enum(BOARD_ORIENTATIONS),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
});
export type BoardProfileView = z.infer<typeof boardProfileViewSchema>;
