/** `mqtt://user:secret@host:1883` → `mqtt://host:1883`: a broker URL that is logged or shown never carries a secret. */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
