import { useEffect, useState } from 'preact/hooks';
import type { LessonStatusView } from '@loa/shared/rest';

/** The lesson being followed and its step; kept in sessionStorage so a reload (or a page change) keeps the guide. */
export interface GuideState {
  lesson: LessonStatusView;
  step: number;
}

const KEY = 'loa.guide';
const listeners = new Set<(s: GuideState | null) => void>();

function read(): GuideState | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as GuideState) : null;
  } catch {
    return null;
  }
}

export function setGuide(s: GuideState | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
  for (const l of listeners) l(s);
}

export function useGuide(): GuideState | null {
  const [s, set] = useState<GuideState | null>(read);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return s;
}
