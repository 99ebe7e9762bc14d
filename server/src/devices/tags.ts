import { tagSchema, tagsSchema } from '@loa/shared/rest';

// Tag syntax is part of the REST contract (@loa/shared/rest); re-exported for the CSV import.
export { tagSchema, tagsSchema };

export const normTags = (tags: readonly string[]): string[] => [...new Set(tags)].sort();
