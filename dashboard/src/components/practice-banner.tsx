/**
 * Issue 21: the permanent banner while in practice mode, so nobody mistakes the sandbox for the real system, with
 * the way back. Entering is the "Thực hành" button (PracticeEntry) in the top bar.
 */
import { useState } from 'preact/hooks';
import type { PracticeStatusView } from '@loa/shared/rest';
import { ApiError, post } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import { inPractice, setPractice } from '../practice-mode.js';

const S = defineStrings({
  vi: {
    banner: 'THỰC HÀNH — không phát ra loa thật',
    leave: 'Về hệ thống thật',
    enter: 'Thực hành',
    entering: 'Đang mở phòng thực hành…',
    enterTitle: 'Luyện tập trên loa ảo, không ảnh hưởng hệ thống thật',
  },
  en: {
    banner: 'PRACTICE — nothing reaches real speakers',
    leave: 'Back to the real system',
    enter: 'Practice',
    entering: 'Opening the practice sandbox…',
    enterTitle: 'Practise on virtual speakers without touching the real system',
  },
});

export function PracticeBanner() {
  const t = useT(S);
  if (!inPractice()) return null;
  const leave = () => {
    void post('/api/v1/practice/leave')
      .catch(() => undefined)
      .finally(() => setPractice(false));
  };
  return (
    <div class="practice-banner" role="status" data-testid="practice-banner">
      <strong>{t('banner')}</strong>
      <button type="button" class="ghost" onClick={leave} data-testid="practice-leave">
        {t('leave')}
      </button>
    </div>
  );
}

/** The top bar's "Thực hành" button: starts (or reuses) the user's sandbox, then switches the dashboard to it. */
export function PracticeEntry() {
  const t = useT(S);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (inPractice()) return null;
  const enter = () => {
    setBusy(true);
    setError(null);
    post<PracticeStatusView>('/api/v1/practice/enter')
      .then(() => setPractice(true))
      .catch((e: unknown) => {
        setBusy(false);
        setError(e instanceof ApiError ? e.message : String(e));
      });
  };
  return (
    <button type="button" class="ghost" onClick={enter} disabled={busy} title={error ?? t('enterTitle')} data-testid="practice-enter">
      {busy ? t('entering') : t('enter')}
    </button>
  );
}
