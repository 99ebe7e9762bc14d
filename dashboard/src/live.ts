import { useEffect, useRef, useState } from 'preact/hooks';
import { refresh } from './api.js';
import { loadSession, onSessionChange, saveSession } from './session.js';
import { apiPath } from './practice-mode.js';

/** The server closes a stream with this code when its session ended (expired access token, logout). */
const SESSION_ENDED = 4401;

/** A server event from /api/v1/events (see docs/dashboard-api.md): `type` names it. */
export interface LiveEvent {
  type: string;
  [key: string]: unknown;
}

type Handler = (e: LiveEvent) => void;
const handlers = new Map<string, Set<Handler>>();
const statusListeners = new Set<(up: boolean) => void>();
let socket: WebSocket | null = null;
let up = false;
let retryMs = 1000;
let timer: ReturnType<typeof setTimeout> | null = null;

function setUp(v: boolean): void {
  up = v;
  for (const l of statusListeners) l(v);
}

function dispatch(e: LiveEvent): void {
  for (const key of [e.type, '*']) for (const h of handlers.get(key) ?? []) h(e);
}

/** One socket per tab, reconnecting with backoff (up to 30 s); the token rides in the subprotocol, not the URL. */
function connect(): void {
  const s = loadSession();
  if (!s || socket) return;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${apiPath('/api/v1/events')}`;
  const ws = new WebSocket(url, ['loa.events', `bearer.${s.accessToken}`]);
  socket = ws;
  ws.onopen = () => {
    retryMs = 1000;
    setUp(true);
  };
  ws.onmessage = (m) => {
    try {
      dispatch(JSON.parse(String(m.data)) as LiveEvent);
    } catch {
      // a malformed frame is dropped; the next one may be fine
    }
  };
  ws.onclose = (e) => {
    if (socket !== ws) return; // replaced on purpose (token change, logout)
    socket = null;
    setUp(false);
    const s = loadSession();
    if (!s) return;
    // An expired access token is refused at the upgrade (no status reaches the page): renew it first. A new token
    // reconnects through onSessionChange; a refused refresh signs the user out.
    if (e.code === SESSION_ENDED || Date.parse(s.expiresAt) <= Date.now() + 5_000) {
      void refresh().then((ok) => {
        if (!ok) saveSession(null);
      });
      return;
    }
    timer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  };
}

function disconnect(): void {
  if (timer) clearTimeout(timer);
  const ws = socket;
  socket = null;
  ws?.close();
  setUp(false);
}

let started = false;

/** Starts the stream when signed in, restarts it when the token changes (refresh) and stops it on logout. */
export function startLive(): void {
  connect();
  if (started) return;
  started = true;
  let token = loadSession()?.accessToken;
  onSessionChange((s) => {
    if (!s) {
      token = undefined;
      return disconnect();
    }
    if (s.accessToken !== token) {
      token = s.accessToken;
      disconnect();
      connect();
    }
  });
}

/** Calls `handler` for every event of `type` ('*' for all) while the component is mounted. */
export function useLive(type: string, handler: Handler): void {
  // The latest handler is called, so an inline arrow does not resubscribe on every render.
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const set = handlers.get(type) ?? new Set<Handler>();
    handlers.set(type, set);
    const h: Handler = (e) => ref.current(e);
    set.add(h);
    return () => void set.delete(h);
  }, [type]);
}

export function useLiveStatus(): boolean {
  const [v, set] = useState(up);
  useEffect(() => {
    statusListeners.add(set);
    return () => void statusListeners.delete(set);
  }, []);
  return v;
}
