/**
 * MQTT filter syntax (protocol level, not Loa's topics: those come from @loa/shared). Used where the server is a
 * client of an external broker and must route what it receives itself.
 */

/** MQTT 5 shared subscription: the broker hands each matching message to one member of the group. */
export const sharedFilter = (group: string, filter: string): string => `$share/${group}/${filter}`;

/** Does a topic match a filter with `+` and `#` wildcards? (A `$` topic never matches a leading wildcard.) */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
