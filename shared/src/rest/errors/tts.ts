import type { ErrorText } from '../error-codes.js';

/** Issue 19 item 9: text-to-speech and the installation's pronunciation dictionary. */
export const TTS_ERRORS = {
  'tts.dictionary-not-found': { vi: 'Không tìm thấy mục {id} trong từ điển cách đọc.', en: 'Pronunciation entry {id} not found.' },
  'tts.dictionary-duplicate': { vi: 'Từ “{term}” đã có trong từ điển cách đọc.', en: '“{term}” is already in the pronunciation dictionary.' },
  'tts.dictionary-full': { vi: 'Từ điển cách đọc đã đủ {max} mục; hãy xóa bớt mục không dùng.', en: 'The pronunciation dictionary is full ({max} entries); remove unused ones.' },
  'tts.engine-failed': { vi: 'Không tổng hợp được giọng nói: {reason}', en: 'Text-to-speech failed: {reason}' },
} as const satisfies Record<string, ErrorText>;
