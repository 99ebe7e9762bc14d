import type { LiveEndReason, LiveKind } from '@loa/shared/rest';
import type { LiveTranscoder, MicFormat } from './live-transcoder.js';

/** One session as this process holds it (see LiveService). */
export interface LiveSession {
  id: string;
  kind: LiveKind;
  alertId: string;
  areaCode: string;
  priority: 'emergency' | 'priority';
  title: string;
  /** `mic`: the capability the stream URL carries. */
  token: string | null;
  streamUrl: string;
  maxDurationS: number;
  startedAt: number;
  endsAt: number;
  endedAt: number | null;
  endReason: LiveEndReason | null;
  createdBy: string;
  recordingPath: string | null;
  recordingSha256: string | null;
  transcoder: LiveTranscoder | null;
  micConnected: boolean;
  micFormat: MicFormat | null;
  /** The alert waits for a second person. */
  alertPending: boolean;
  timers: Set<{ tag: string; timer: NodeJS.Timeout }>;
  /** Closes the microphone's WebSocket (the session ended). */
  closeMic: (() => void) | null;
}
