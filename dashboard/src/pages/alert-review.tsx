/**
 * What a second person checks before pressing "Xác nhận phát" (two-person rule, issue 18): the audio's title and a
 * player of the very file the speakers will play (fetched with the session token into a blob URL), the board text,
 * the area and how many devices it reaches. Shown inline above the confirm button on #/alerts and #/approvals, and
 * on the alert's own page.
 */
import { defineStrings, useT } from '../i18n.js';
import { fmtDuration } from '../format.js';
import type { AreaView } from '@loa/shared/rest';
import { areaName, useAsync } from '../ui.js';
import { loadReach, type AlertView } from './alert-common.js';
import { AudioPlayer } from './content-shared.js';

export const RS = defineStrings({
  vi: {
    heading: 'Kiểm tra trước khi xác nhận',
    audio: 'Âm thanh cho cụm loa',
    noAudio: 'Không có âm thanh: cụm loa không phát gì, chỉ bảng tin hiển thị chữ.',
    untitled: '(tệp âm thanh chưa đặt tên)',
    stream: 'Phát luồng trực tiếp',
    text: 'Chữ trên bảng tin',
    noText: '(bảng tin hiển thị tiêu đề)',
    area: 'Địa bàn',
    devices: 'Số thiết bị',
    devicesN: '{n} thiết bị',
    counting: 'Đang đếm…',
    listenHint: 'Hãy nghe hết nội dung trước khi xác nhận.',
  },
  en: {
    heading: 'Check before confirming',
    audio: 'Loudspeaker audio',
    noAudio: 'No audio: loudspeakers play nothing, e-boards show the text only.',
    untitled: '(untitled audio file)',
    stream: 'Live stream',
    text: 'E-board text',
    noText: '(e-boards show the title)',
    area: 'Area',
    devices: 'Devices',
    devicesN: '{n} devices',
    counting: 'Counting…',
    listenHint: 'Listen to all of it before confirming.',
  },
});

/** The audio an alert carries: the view's media (issue 18) or, from an older server, its bare hash. */
export const alertAudio = (a: AlertView): { sha256: string; title: string | null; durationMs: number | null } | null =>
  a.media ? { sha256: a.media.sha256, title: a.media.title, durationMs: a.media.durationMs } : a.mediaSha256 ? { sha256: a.mediaSha256, title: null, durationMs: null } : null;

export function AlertReview({ alert, areas }: { alert: AlertView; areas: AreaView[] }) {
  const t = useT(RS);
  const audio = alertAudio(alert);
  // The view's count is the server's (issue 18); an older server's answer lacks it, so count the area's devices.
  const reach = useAsync(() => (alert.deviceCount === undefined ? loadReach(alert.areaCode).then((r) => r.total) : Promise.resolve(alert.deviceCount)), [alert.id, alert.deviceCount]);
  return (
    <div class="small" data-testid="alert-review" data-alert-id={alert.id} style={{ background: '#fff8f0', border: '1px solid #f3c77a', borderRadius: 'var(--radius)', padding: '.6rem .75rem', margin: '.5rem 0' }}>
      <strong>{t('heading')}</strong>
      <dl class="alert-facts">
        <dt class="muted">{t('audio')}</dt>
        <dd data-testid="alert-review-audio">
          {audio ? (
            <>
              <strong data-testid="alert-review-audio-title">{audio.title ?? t('untitled')}</strong>
              {audio.durationMs ? <span class="muted"> · {fmtDuration(audio.durationMs)}</span> : null}
              <div style={{ marginTop: '.3rem' }}>
                <AudioPlayer sha256={audio.sha256} />
              </div>
              <span class="muted">{t('listenHint')}</span>
            </>
          ) : alert.streamUrl ? (
            <span>
              {t('stream')}: <code style={{ overflowWrap: 'anywhere' }}>{alert.streamUrl}</code>
            </span>
          ) : (
            <span class="muted">{t('noAudio')}</span>
          )}
        </dd>
        <dt class="muted">{t('text')}</dt>
        <dd data-testid="alert-review-text">{alert.text ?? <span class="muted">{t('noText')}</span>}</dd>
        <dt class="muted">{t('area')}</dt>
        <dd data-testid="alert-review-area">{areaName(areas, alert.areaCode)}</dd>
        <dt class="muted">{t('devices')}</dt>
        <dd data-testid="alert-review-devices" data-count={reach.data ?? ''}>
          {reach.data === undefined ? t('counting') : t('devicesN', { n: reach.data })}
        </dd>
      </dl>
    </div>
  );
}
