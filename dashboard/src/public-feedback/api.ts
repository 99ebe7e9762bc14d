/**
 * The public feedback API as the page calls it (no login, same origin). Refusals come back as `Refusal` with the
 * server's Vietnamese message; the page shows it as it is.
 */
import type {
  FeedbackCommuneOption,
  FeedbackForm,
  FeedbackRateRequest,
  FeedbackReceipt,
  FeedbackTrackRequest,
  PublicFeedbackView,
} from '@loa/shared/rest';

const BASE = '/api/v1/public/feedback';

export interface Refusal {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

/** Thrown for every answer but the expected one, and for a lost connection (status 0). */
export class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

const CANCELLED: Refusal = { status: 0, code: 'cancelled', message: 'Đã hủy gửi. Nội dung vẫn còn, bạn có thể gửi lại.' };
const OFFLINE: Refusal = { status: 0, code: 'network', message: 'Không kết nối được với máy chủ. Vui lòng kiểm tra mạng và thử lại.' };

/**
 * The server's refusal body ({statusCode, code, message, retryAfterSeconds?}): its Vietnamese message is shown as it
 * is. Anything else (a proxy's error page, a crash) gets a Vietnamese stand-in; the server's own text, if any, is kept
 * in brackets for whoever helps the resident.
 */
export function refusalOf(status: number, body: unknown): Refusal {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown; retryAfterSeconds?: unknown };
  const code = typeof b.code === 'string' ? b.code : '';
  const serverMessage = typeof b.message === 'string' ? b.message : Array.isArray(b.message) ? b.message.join('; ') : '';
  let message: string;
  if (code !== '' && serverMessage !== '') message = serverMessage;
  else if (status >= 500) message = 'Máy chủ đang bận hoặc gặp sự cố. Vui lòng thử lại sau ít phút.';
  else if (status === 404) message = 'Không tìm thấy thông tin yêu cầu.';
  else if (status === 429) message = 'Bạn đã thao tác quá nhiều lần. Vui lòng thử lại sau ít phút.';
  else message = serverMessage ? `Thông tin chưa hợp lệ. (${serverMessage})` : 'Thông tin chưa hợp lệ.';
  const r: Refusal = { status, code: code || `http-${status}`, message };
  if (typeof b.retryAfterSeconds === 'number') r.retryAfterSeconds = b.retryAfterSeconds;
  return r;
}

/** What any failure shows: the server's refusal, or a Vietnamese word for a failure of the page itself. */
export const asRefusal = (err: unknown): Refusal =>
  err instanceof Refused ? err.refusal : { status: 0, code: 'client', message: 'Đã có lỗi trên trang. Vui lòng tải lại trang và thử lại.' };

function parse(text: string): unknown {
  try {
    return text === '' ? null : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, expected: readonly number[], body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Refused(OFFLINE);
  }
  const parsed = parse(await res.text());
  if (!expected.includes(res.status)) throw new Refused(refusalOf(res.status, parsed));
  return parsed as T;
}

const OK = [200, 201];
export const getForm = (areaCode: string): Promise<FeedbackForm> => call('GET', `/form/${encodeURIComponent(areaCode)}`, OK);
export const searchCommunes = (q: string): Promise<FeedbackCommuneOption[]> => call('GET', `/communes?q=${encodeURIComponent(q)}&limit=20`, OK);
/** POSTs answer 200 or 201 by the server's convention for an action: both are success. */
export const track = (req: FeedbackTrackRequest): Promise<PublicFeedbackView> => call('POST', '/track', OK, req);
export const rate = (req: FeedbackRateRequest): Promise<unknown> => call('POST', '/rate', OK, req);

/**
 * Sends the form (multipart, files in `attachments`) with XMLHttpRequest rather than fetch: only XHR reports upload
 * progress, which a resident on 3G needs to see that the photos are going.
 */
export function submit(form: FormData, onProgress: (sent: number, total: number) => void, signal: AbortSignal): Promise<FeedbackReceipt> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // The resident may give up on a stalled line; the server stores nothing of a request that did not arrive whole.
    signal.addEventListener('abort', () => xhr.abort());
    xhr.onabort = () => reject(new Refused(CANCELLED));
    xhr.open('POST', BASE);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      const body = parse(xhr.responseText);
      if (xhr.status === 201 || xhr.status === 200) resolve(body as FeedbackReceipt);
      else reject(new Refused(refusalOf(xhr.status, body)));
    };
    xhr.onerror = () => reject(new Refused(OFFLINE));
    xhr.ontimeout = () => reject(new Refused(OFFLINE));
    xhr.send(form);
  });
}
