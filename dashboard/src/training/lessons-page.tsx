import type { LessonStartView, LessonStatusView } from '@loa/shared/rest';
import type { PageProps } from '../app.js';
import { get, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { useLang, useT } from '../i18n.js';
import { navigate } from '../router.js';
import { ActionButton, Badge, Empty, ErrorBox, Loading, PageHeader, useAsync } from '../ui.js';
import { setGuide } from './guide-state.js';
import { enterPractice } from './practice-bridge.js';
import { TRAINING_STRINGS } from './training-strings.js';

/** Issue 21: "Bài học" — the lessons of the user's role with completion marks; starting one enters practice mode. */
export function LessonsPage(_: PageProps) {
  const t = useT(TRAINING_STRINGS);
  const lang = useLang();
  const lessons = useAsync(() => get<LessonStatusView[]>('/api/v1/training/lessons'), []);
  const start = async (l: LessonStatusView) => {
    await post<LessonStartView>(`/api/v1/training/lessons/${encodeURIComponent(l.id)}/start`);
    setGuide({ lesson: l, step: 0 });
    // Entering practice reloads the page; the guide panel then opens the first step's page itself.
    const first = l.steps[0];
    if (enterPractice() && first) navigate(first.route);
  };
  return (
    <div class="lessons-page" data-testid="lessons-page">
      <PageHeader title={t('lessons')} />
      <p class="muted">{t('lessonsIntro')}</p>
      <Loading when={lessons.loading && !lessons.data} />
      <ErrorBox error={lessons.error} />
      <Empty when={lessons.data?.length === 0} />
      <ul class="lesson-list" style={{ listStyle: 'none', padding: 0, display: 'grid', gap: '12px' }}>
        {(lessons.data ?? []).map((l) => (
          <li key={l.id} class="card" data-lesson={l.id} data-done={l.completedAt ? 'yes' : 'no'}>
            <h3 style={{ margin: '0 0 4px' }}>
              {l.completedAt ? '✓ ' : ''}
              {l.title[lang]}
            </h3>
            <p class="muted" style={{ margin: '0 0 8px' }}>
              {l.summary[lang]} · {t('minutes', { n: l.minutes })}
            </p>
            <p style={{ margin: '0 0 8px' }}>
              {l.completedAt ? <Badge tone="ok">{`${t('done')} ${fmtDateTime(l.completedAt)}`}</Badge> : <Badge tone="muted">{t('notDone')}</Badge>}{' '}
              {l.attempts > 0 ? <span class="muted">{t('attempts', { n: l.attempts })}</span> : null}
            </p>
            <ActionButton onClick={() => start(l)} data-testid={`lesson-start-${l.id}`}>
              {l.completedAt ? t('again') : t('start')}
            </ActionButton>
          </li>
        ))}
      </ul>
    </div>
  );
}
