/**
 * Why a device went online or offline, as recorded in `device_connections` and on the device row:
 * - connect: the agent's retained `status` said online (it has just connected);
 * - shutdown: the agent said offline before disconnecting cleanly;
 * - will: the broker published the agent's last will (connection lost);
 * - heartbeat-timeout: nothing heard for longer than the heartbeat timeout while marked online;
 * - resumed: a heartbeat (telemetry, report, ack) seen while marked offline;
 * - revoked: an operator revoked the device's credentials;
 * - server-restart: kept for rows written by earlier versions, whose graceful stop marked every device offline (a
 *   stop now leaves presence as it was: a server restart is not a device outage).
 */
export const CONNECTION_REASONS = ['connect', 'shutdown', 'will', 'heartbeat-timeout', 'resumed', 'revoked', 'server-restart'] as const;
export type ConnectionReason = (typeof CONNECTION_REASONS)[number];

/** Offline reasons after which a heartbeat does not bring the device back by itself (it must connect again). */
const STICKY_OFFLINE: ReadonlySet<string> = new Set<ConnectionReason>(['revoked']);

/**
 * One thing learnt about a device's presence, at server time `at`:
 * - `online` absent: a heartbeat (telemetry, playback report, timeline ack): the device is alive;
 * - `online` true/false: its `status` message (reason connect, or shutdown / will);
 * - `decided`: the server's own decision (heartbeat sweep, revocation) — not a sign of life, so `lastSeenAt` stays;
 *   with `silentBefore`, it applies only if nothing was heard from the device since that instant.
 */
export interface PresenceUpdate {
  deviceId: string;
  at: number;
  online?: boolean | undefined;
  reason?: ConnectionReason | undefined;
  agentVersion?: string | undefined;
  decided?: boolean | undefined;
  silentBefore?: number | undefined;
}

/** The update a `status` message means: online (it connected) or offline (clean shutdown, or its last will). */
export const statusUpdate = (deviceId: string, msg: { state: 'online' | 'offline'; reason?: string | undefined; agentVersion?: string | undefined }, at: number): PresenceUpdate => {
  const online = msg.state === 'online';
  return { deviceId, at, online, reason: online ? 'connect' : msg.reason === 'shutdown' ? 'shutdown' : 'will', agentVersion: msg.agentVersion };
};

export interface PresenceState {
  online: boolean;
  lastSeenAt: number | null;
  agentVersion: string | null;
  changedAt: number | null;
  reason: string | null;
}

export interface PresenceTransition {
  deviceId: string;
  at: number;
  state: 'online' | 'offline';
  reason: ConnectionReason;
}

/** Applies one update to a device's presence; returns the new state and the transition it caused, if any. */
export function applyPresence(s: PresenceState, u: PresenceUpdate): { state: PresenceState; transition: PresenceTransition | null } {
  const to = (online: boolean, reason: ConnectionReason, base: PresenceState) => ({
    state: { ...base, online, changedAt: u.at, reason },
    transition: { deviceId: u.deviceId, at: u.at, state: online ? ('online' as const) : ('offline' as const), reason },
  });
  if (u.decided) {
    if (u.online !== false) return { state: s, transition: null };
    if (u.silentBefore !== undefined && s.lastSeenAt !== null && s.lastSeenAt >= u.silentBefore) return { state: s, transition: null };
    const reason = u.reason ?? 'heartbeat-timeout';
    if (s.online) return to(false, reason, s);
    // Already offline: an administrative reason (revocation) still replaces the recorded one, so the device is not
    // brought back by a late heartbeat nor alarmed as "offline".
    if (STICKY_OFFLINE.has(reason) && s.reason !== reason) return to(false, reason, s);
    return { state: s, transition: null };
  }
  const seen: PresenceState = { ...s, lastSeenAt: u.at, agentVersion: u.agentVersion ?? s.agentVersion };
  if (u.online === undefined) {
    if (!s.online && !STICKY_OFFLINE.has(s.reason ?? '')) return to(true, 'resumed', seen);
    return { state: seen, transition: null };
  }
  if (u.online === s.online) return { state: seen, transition: null };
  return to(u.online, u.reason ?? (u.online ? 'connect' : 'will'), seen);
}
