/**
 * The browser half of a live microphone session: the microphone (getUserMedia, without the voice-call processing
 * that adds delay and pumps the level), a level meter, and MediaRecorder's WebM/Opus chunks every 100 ms sent over
 * the session's WebSocket. A dropped socket is opened again with a fresh recorder (the server starts a new decoder
 * for it) until the session ends; the server waits a grace period for it.
 */
import { loadSession } from '../session.js';
import { apiPath } from '../practice-mode.js';

const TIMESLICE_MS = 100;
const MIME = 'audio/webm;codecs=opus';
/** Close code the server uses when the session ended: do not reconnect. */
const SESSION_ENDED = 4410;
const RECONNECT_MS = 1000;

export type MicStatus = 'connecting' | 'sending' | 'reconnecting' | 'ended';

export interface MicCallbacks {
  onStatus(status: MicStatus, detail?: string): void;
  /** 0..1 (RMS of the last analyser window, scaled). */
  onLevel(level: number): void;
}

export const micSupported = (): boolean =>
  typeof navigator !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia) && typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported(MIME);

/** Asks for the microphone; throws the browser's refusal (NotAllowedError, NotFoundError) for the page to explain. */
export function openMicrophone(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 } });
}

export class MicBroadcast {
  private ws: WebSocket | null = null;
  private recorder: MediaRecorder | null = null;
  private audio: AudioContext | null = null;
  private meterTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;

  constructor(
    private readonly stream: MediaStream,
    private readonly micPath: string,
    private readonly cb: MicCallbacks,
  ) {}

  start(): void {
    this.startMeter();
    this.connect();
  }

  /** Ends capture and the socket (the page stops the session through the API). */
  stop(): void {
    this.stopped = true;
    this.stopRecorder();
    this.ws?.close(1000, 'stopped');
    this.ws = null;
    if (this.meterTimer) clearInterval(this.meterTimer);
    void this.audio?.close().catch(() => undefined);
    for (const track of this.stream.getTracks()) track.stop();
    this.cb.onStatus('ended');
  }

  private connect(): void {
    const token = loadSession()?.accessToken ?? '';
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${apiPath(this.micPath)}?format=webm`;
    const ws = new WebSocket(url, ['loa.live', `bearer.${token}`]);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.cb.onStatus('connecting');
    ws.onmessage = (e) => {
      // The server says `ready` once the session took the socket: only then is it worth recording.
      if (typeof e.data === 'string' && e.data.includes('"ready"')) this.startRecorder(ws);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.stopRecorder();
      if (this.stopped) return;
      if (e.code === SESSION_ENDED || (e.code >= 4000 && e.code < 4500)) {
        this.stopped = true;
        this.cb.onStatus('ended', e.reason);
        return;
      }
      this.cb.onStatus('reconnecting');
      setTimeout(() => !this.stopped && this.connect(), RECONNECT_MS);
    };
  }

  private startRecorder(ws: WebSocket): void {
    this.stopRecorder();
    const recorder = new MediaRecorder(this.stream, { mimeType: MIME, audioBitsPerSecond: 48_000 });
    recorder.ondataavailable = (e) => {
      if (e.data.size > 0 && ws.readyState === WebSocket.OPEN) ws.send(e.data);
    };
    recorder.start(TIMESLICE_MS);
    this.recorder = recorder;
    this.cb.onStatus('sending');
  }

  private stopRecorder(): void {
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    this.recorder = null;
  }

  private startMeter(): void {
    try {
      const audio = new AudioContext();
      const analyser = audio.createAnalyser();
      analyser.fftSize = 1024;
      audio.createMediaStreamSource(this.stream).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      this.audio = audio;
      // A timer, not requestAnimationFrame: the meter must keep moving on a phone whose screen is not repainting.
      this.meterTimer = setInterval(() => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        const rms = Math.sqrt(sum / buf.length);
        this.cb.onLevel(Math.min(1, rms * 4));
      }, 100);
    } catch {
      this.cb.onLevel(0); // no Web Audio: no meter, the broadcast still works
    }
  }
}
