/**
 * User names for the ids that views carry (createdBy, approvedBy…). GET /api/v1/users is admin-only, so every role
 * reads the name directory instead; it is fetched once per page load and shared by every page.
 */
import { get } from './api.js';
import { useAsync } from './ui.js';

let directory: Promise<Map<string, string>> | null = null;

function loadDirectory(): Promise<Map<string, string>> {
  directory ??= get<Array<{ id: string; username: string }>>('/api/v1/users/directory')
    .then((us) => new Map(us.map((u) => [u.id, u.username])))
    .catch(() => {
      // Not cached: a later page (e.g. after signing in again) tries once more.
      directory = null;
      return new Map<string, string>();
    });
  return directory;
}

/** The start of a UUID is enough to tell accounts apart when no name is known. */
export const shortUserId = (id: string): string => (id.length > 10 ? `${id.slice(0, 8)}…` : id);

export function useUserNames(): (id: string | null | undefined) => string {
  const names = useAsync(loadDirectory, []);
  return (id) => (id ? (names.data?.get(id) ?? shortUserId(id)) : '—');
}
