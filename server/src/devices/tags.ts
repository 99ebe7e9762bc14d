import { z } from 'zod';

/**
 * Device tags: lower-case labels (e.g. "coastal", "market", "school-zone") that group tag rules match. No quotes or
 * spaces, so the JSON-array column can be pre-filtered with LIKE '%"tag"%' on SQLite and PostgreSQL alike.
 */
export const tagSchema = z.string().regex(/^[a-z0-9][a-z0-9_.:-]{0,63}$/, 'tag: 1-64 chars of a-z, 0-9, "_", ".", ":" or "-", starting with a letter or digit');
export const tagsSchema = z.array(tagSchema).max(50);

export const normTags = (tags: readonly string[]): string[] => [...new Set(tags)].sort();
