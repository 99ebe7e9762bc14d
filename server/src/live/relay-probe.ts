import type { RelayTestCode, RelayTestResult } from '@loa/shared/rest';
import { MediaToolError, type MediaTools } from '../media/media-tools.js';

/** The whole test, connection included; a station that sends no audio in this time is not worth relaying. */
export const RELAY_TEST_TIMEOUT_MS = 10_000;

const MESSAGES: Record<RelayTestCode, string> = {
  ok: 'Luồng phát hoạt động tốt.',
  unreachable: 'Không kết nối được tới địa chỉ luồng (sai địa chỉ hoặc máy chủ không hoạt động).',
  timeout: 'Hết thời gian chờ: luồng không gửi âm thanh.',
  http_error: 'Máy chủ luồng trả lỗi (địa chỉ không tồn tại hoặc bị từ chối).',
  no_audio: 'Địa chỉ trả về dữ liệu nhưng không có âm thanh.',
  invalid: 'Không đọc được luồng: định dạng không hợp lệ.',
};

interface ProbeJson {
  format?: { format_name?: string; bit_rate?: string };
  streams?: { codec_type?: string; codec_name?: string; sample_rate?: string; channels?: number; bit_rate?: string }[];
}

/**
 * Checks an upstream stream the way a speaker will read it: ffprobe opens it (HTTP, Icecast, HLS), reads the first
 * packets and describes the audio. Every failure is a code and a Vietnamese sentence, never an exception.
 */
export async function probeRelay(tools: MediaTools, url: string, now: () => number): Promise<RelayTestResult> {
  const started = now();
  const args = [
    '-v', 'error',
    // A socket that connects and then says nothing must not hold the test for the whole timeout of ffprobe's own.
    '-rw_timeout', String((RELAY_TEST_TIMEOUT_MS - 1000) * 1000),
    '-probesize', '65536', '-analyzeduration', '2000000',
    '-show_entries', 'format=format_name,bit_rate:stream=codec_type,codec_name,sample_rate,channels,bit_rate',
    '-of', 'json', url,
  ];
  const fail = (code: RelayTestCode, detail: string | null): RelayTestResult => ({
    ok: false, code, message: MESSAGES[code], detail: detail?.slice(-400) ?? null,
    format: null, codec: null, bitrateKbps: null, sampleRate: null, channels: null, tookMs: now() - started,
  });
  let r;
  try {
    r = await tools.ffprobe(args, { timeoutMs: RELAY_TEST_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof MediaToolError) return fail('invalid', err.message);
    throw err;
  }
  const stderr = r.stderr.trim();
  if (r.timedOut) return fail('timeout', stderr || null);
  if (r.exitCode !== 0) return fail(classify(stderr), stderr || `ffprobe exited with ${r.exitCode}`);
  let json: ProbeJson;
  try {
    json = JSON.parse(r.stdout) as ProbeJson;
  } catch {
    return fail('invalid', 'ffprobe printed no description');
  }
  const audio = json.streams?.find((s) => s.codec_type === 'audio');
  if (!audio) return fail('no_audio', `streams: ${(json.streams ?? []).map((s) => s.codec_type).join(', ') || 'none'}`);
  const bitRate = Number(audio.bit_rate ?? json.format?.bit_rate);
  return {
    ok: true,
    code: 'ok',
    message: MESSAGES.ok,
    detail: null,
    format: json.format?.format_name ?? null,
    codec: audio.codec_name ?? null,
    bitrateKbps: Number.isFinite(bitRate) && bitRate > 0 ? Math.round(bitRate / 1000) : null,
    sampleRate: audio.sample_rate ? Number(audio.sample_rate) : null,
    channels: audio.channels ?? null,
    tookMs: now() - started,
  };
}

function classify(stderr: string): RelayTestCode {
  if (/Server returned|HTTP error|4\d\d |5\d\d /i.test(stderr)) return 'http_error';
  if (/Connection refused|Failed to resolve|Name or service not known|No route to host|Network is unreachable|Connection reset|Cannot assign/i.test(stderr)) return 'unreachable';
  if (/timed out|Timeout/i.test(stderr)) return 'timeout';
  return 'invalid';
}
