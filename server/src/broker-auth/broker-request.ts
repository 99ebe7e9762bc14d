import { z } from 'zod';

/** A string field of a broker's request, bounded so a broker (or whoever holds its token) cannot send megabytes. */
export const field = (max: number) => z.string().max(max, `must be at most ${max} characters`);

/** A broker's request body or query: an object, with a message that says which encodings are read. */
export const brokerRequest = <T extends z.ZodRawShape>(shape: T) =>
  z.object(shape, {
    error: (issue) =>
      issue.input === undefined
        ? 'a body is required: JSON (content-type application/json) or a form (content-type application/x-www-form-urlencoded)'
        : 'the body must be a JSON object or a form',
  });
