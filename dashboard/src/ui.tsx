import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api.js';
import { useCommon } from './i18n.js';
import type { AreaView } from '@loa/shared/rest';

export interface Async<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
  /** Replace the data locally (live updates) without a reload. */
  set: (update: (prev: T | undefined) => T | undefined) => void;
}

/** Loads on mount and whenever `deps` change; a stale answer (deps changed meanwhile) is dropped. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: Error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(run, [run]);
  return {
    data: state.data,
    error: state.error,
    loading: state.loading,
    reload: run,
    set: (update) => setState((s) => ({ ...s, data: update(s.data) })),
  };
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <div class="error" role="alert">
      {msg}
    </div>
  );
}

export function Loading({ when }: { when: boolean }) {
  const c = useCommon();
  return when ? <div class="muted loading">{c('loading')}</div> : null;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';
export function Badge({ tone = 'muted', children, title }: { tone?: Tone; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function OnlineBadge({ online }: { online: boolean }) {
  const c = useCommon();
  return <Badge tone={online ? 'ok' : 'bad'}>{online ? c('online') : c('offline')}</Badge>;
}

const STATE_TONES: Record<string, Tone> = {
  queued: 'muted',
  delivered: 'info',
  started: 'info',
  finished: 'ok',
  failed: 'bad',
  preempted: 'warn',
  skipped: 'warn',
  expired: 'bad',
  draft: 'muted',
  submitted: 'info',
  approved: 'ok',
  rejected: 'bad',
  archived: 'muted',
  pending: 'warn',
  active: 'ok',
  cancelled: 'muted',
};
export const toneOf = (state: string): Tone => STATE_TONES[state] ?? 'muted';

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
      {hint ? <span class="field-hint">{hint}</span> : null}
    </label>
  );
}

export function Modal({ title, onClose, children }: { title: string; onClose: () => void; children: ComponentChildren }) {
  const c = useCommon();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="modal" role="dialog" aria-label={title}>
        <header class="modal-head">
          <h2>{title}</h2>
          <button type="button" class="ghost" onClick={onClose} aria-label={c('close')}>
            ✕
          </button>
        </header>
        <div class="modal-body">{children}</div>
      </div>
    </div>
  );
}

export function Progress({ value, label }: { value: number; label?: string }) {
  const pct = Math.round(Math.max(0, Math.min(1, value)) * 100);
  return (
    <div class="progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label={label}>
      <div class="progress-bar" style={{ width: `${pct}%` }} />
      <span class="progress-text">{label ? `${label} ` : ''}{pct}%</span>
    </div>
  );
}

let areaCache: Promise<AreaView[]> | null = null;
/** The area tree the user may see (the server scopes it); fetched once per page load. */
export function loadAreas(force = false): Promise<AreaView[]> {
  if (force || !areaCache) areaCache = get<AreaView[]>('/api/v1/areas').catch((e: unknown) => {
    areaCache = null;
    throw e;
  });
  return areaCache;
}

export function useAreas(): AreaView[] {
  const a = useAsync(() => loadAreas(), []);
  return a.data ?? [];
}

/** Areas ordered as a tree (parent before children), indented by depth, for selects. */
export function areaOptions(areas: AreaView[]): Array<{ code: string; label: string; depth: number }> {
  const sorted = [...areas].sort((a, b) => a.path.localeCompare(b.path));
  const minDepth = Math.min(...sorted.map((a) => a.path.split('/').filter(Boolean).length));
  return sorted.map((a) => {
    const depth = a.path.split('/').filter(Boolean).length - minDepth;
    return { code: a.code, label: `${'\u00a0\u00a0'.repeat(depth)}${a.name}`, depth };
  });
}

export function AreaSelect({ value, onChange, allowAll, id, required }: { value: string; onChange: (code: string) => void; allowAll?: boolean; id?: string; required?: boolean }) {
  const areas = useAreas();
  const c = useCommon();
  return (
    <select id={id} value={value} required={required} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      {allowAll ? <option value="">{c('all')}</option> : null}
      {areaOptions(areas).map((o) => (
        <option key={o.code} value={o.code}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

export const areaName = (areas: AreaView[], code: string | null | undefined): string => (code ? (areas.find((a) => a.code === code)?.name ?? code) : '—');

export function Empty({ when }: { when: boolean }) {
  const c = useCommon();
  return when ? <p class="muted empty">{c('none')}</p> : null;
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1>{title}</h1>
      <div class="page-actions">{children}</div>
    </div>
  );
}

/** A button that disables itself while its async action runs and shows the action's error under it. */
export function ActionButton({ onClick, children, class: cls, disabled, ...rest }: { onClick: () => Promise<unknown>; disabled?: boolean } & Omit<JSX.HTMLAttributes<HTMLButtonElement>, 'onClick'>) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  return (
    <span class="action">
      <button
        type="button"
        {...rest}
        class={cls as string | undefined}
        disabled={busy || Boolean(disabled)}
        onClick={() => {
          setBusy(true);
          setErr(null);
          onClick().then(
            () => setBusy(false),
            (e: unknown) => {
              setBusy(false);
              setErr(e);
            },
          );
        }}
      >
        {children}
      </button>
      {err ? <span class="error inline">{err instanceof Error ? err.message : String(err)}</span> : null}
    </span>
  );
}
