import type { TrainingClassProgress, TrainingClassView, UserName } from '@loa/shared/rest';
import { LESSONS } from '@loa/shared/rest';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, post } from '../api.js';
import { useLang, useT } from '../i18n.js';
import { ActionButton, AreaSelect, Empty, ErrorBox, Field, Loading, PageHeader, useAsync } from '../ui.js';
import { TRAINING_STRINGS } from './training-strings.js';

/** Issue 21: training classes (admin, or an operator for its area): create, see progress, reset the shared sandbox. */
export function ClassesPage({ session }: PageProps) {
  const t = useT(TRAINING_STRINGS);
  const lang = useLang();
  const [version, setVersion] = useState(0);
  const classes = useAsync(() => get<TrainingClassView[]>('/api/v1/training/classes'), [version]);
  const users = useAsync(() => get<UserName[]>('/api/v1/users/directory'), []);
  const [name, setName] = useState('');
  const [area, setArea] = useState(session.user.areaCode ?? '');
  const [lessonIds, setLessonIds] = useState<string[]>(LESSONS.map((l) => l.id));
  const [members, setMembers] = useState<string[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const toggle = (list: string[], id: string) => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);
  const create = async () => {
    setError(null);
    try {
      await post<TrainingClassView>('/api/v1/training/classes', { name, areaCode: area, lessonIds, memberIds: members });
      setName('');
      setMembers([]);
      setVersion(version + 1);
    } catch (err) {
      setError(err);
    }
  };
  const who = (id: string) => users.data?.find((u) => u.id === id)?.username ?? id;
  return (
    <div class="training-classes" data-testid="training-classes">
      <PageHeader title={t('classes')} />
      <section class="card">
        <h3>{t('create')}</h3>
        <Field label={t('className')}>
          <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="class-name" />
        </Field>
        <Field label={t('area')}>
          <AreaSelect value={area} onChange={setArea} required />
        </Field>
        <Field label={t('lessonSet')}>
          <div>
            {LESSONS.map((l) => (
              <label key={l.id} style={{ display: 'block' }}>
                <input type="checkbox" checked={lessonIds.includes(l.id)} onChange={() => setLessonIds(toggle(lessonIds, l.id))} /> {l.title[lang]}
              </label>
            ))}
          </div>
        </Field>
        <Field label={t('members')}>
          <div style={{ maxHeight: '200px', overflow: 'auto' }}>
            {(users.data ?? []).map((u) => (
              <label key={u.id} style={{ display: 'block' }}>
                <input type="checkbox" checked={members.includes(u.id)} onChange={() => setMembers(toggle(members, u.id))} /> {u.fullName ? `${u.fullName} (${u.username})` : u.username}
              </label>
            ))}
          </div>
        </Field>
        <ErrorBox error={error} />
        <ActionButton onClick={create} disabled={!name || !area || lessonIds.length === 0} data-testid="class-create">
          {t('create')}
        </ActionButton>
      </section>
      <Loading when={classes.loading && !classes.data} />
      <ErrorBox error={classes.error} />
      <Empty when={classes.data?.length === 0} />
      {(classes.data ?? []).map((c) => (
        <section key={c.id} class="card" data-class={c.id}>
          <h3>{c.name}</h3>
          <p class="muted">
            {c.areaCode} · {c.memberIds.length} {t('members')}
          </p>
          <div class="toolbar">
            <button type="button" onClick={() => setOpen(open === c.id ? null : c.id)}>
              {t('progress')}
            </button>
            <ActionButton onClick={() => post(`/api/v1/training/classes/${encodeURIComponent(c.id)}/reset`)}>{t('reset')}</ActionButton>
          </div>
          {open === c.id ? <Progress classId={c.id} who={who} /> : null}
        </section>
      ))}
    </div>
  );
}

function Progress({ classId, who }: { classId: string; who: (id: string) => string }) {
  const lang = useLang();
  const p = useAsync(() => get<TrainingClassProgress>(`/api/v1/training/classes/${encodeURIComponent(classId)}/progress`), [classId]);
  const title = (id: string) => LESSONS.find((l) => l.id === id)?.title[lang] ?? id;
  if (!p.data) return <ErrorBox error={p.error} />;
  return (
    <div class="table-wrap">
      <table data-testid="class-progress">
        <thead>
          <tr>
            <th />
            {p.data.lessonIds.map((l) => (
              <th key={l}>{title(l)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {p.data.members.map((m) => (
            <tr key={m.userId}>
              <td>{m.fullName ?? who(m.userId)}</td>
              {p.data!.lessonIds.map((l) => (
                <td key={l}>{m.completed[l] ? '✓' : '—'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
