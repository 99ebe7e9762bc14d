import type { LessonCheckResult } from '@loa/shared/rest';
import { useEffect, useState } from 'preact/hooks';
import { post } from '../api.js';
import { useLang, useT } from '../i18n.js';
import { navigate, useRoute } from '../router.js';
import { ActionButton, ErrorBox } from '../ui.js';
import { setGuide, useGuide } from './guide-state.js';
import { TRAINING_STRINGS } from './training-strings.js';

const HIGHLIGHT = 'guide-highlight';

/** Detail pages need an id the lesson cannot know: the trainee opens them from a list, the guide never jumps there. */
const DETAIL_ROUTES = new Set(['/device', '/alert']);
const onRoute = (path: string, stepRoute: string): boolean => path === stepRoute || path.startsWith(`${stepRoute}/`);

/** Bottom sheet on a phone (≤ 600 px wide), a floating card on a desktop; the highlight rings the step's element. */
const CSS = `
.guide-panel{position:fixed;z-index:900;right:16px;bottom:16px;width:360px;max-width:calc(100vw - 32px);max-height:60vh;overflow:auto;
background:var(--bg,#fff);color:inherit;border:1px solid #c7d2fe;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.2);padding:12px 14px}
.guide-panel h4{margin:0 0 4px;font-size:1rem}
.guide-panel .guide-actions{display:flex;gap:8px;flex-wrap:wrap;margin-top:10px}
.guide-panel .guide-ok{color:#166534;font-weight:600}
.guide-panel ul{margin:6px 0 0;padding-left:18px}
.${HIGHLIGHT}{outline:3px solid #f59e0b !important;outline-offset:3px;border-radius:6px;animation:guide-pulse 1.2s ease-in-out 3}
@keyframes guide-pulse{50%{outline-color:#fde68a}}
@media (max-width:600px){.guide-panel{left:0;right:0;bottom:0;width:auto;max-width:none;border-radius:14px 14px 0 0;max-height:45vh;padding-bottom:calc(12px + env(safe-area-inset-bottom))}}
`;

/** Rings the element the step points at, waiting for it when the page renders it later. */
function useHighlight(selector: string | null, routePath: string): void {
  useEffect(() => {
    if (!selector) return;
    let marked: Element | null = null;
    const mark = (): boolean => {
      let el: Element | null = null;
      try {
        el = document.querySelector(selector);
      } catch {
        return true; // not a valid selector: nothing to ring
      }
      if (!el) return false;
      marked = el;
      el.classList.add(HIGHLIGHT);
      el.scrollIntoView({ block: 'center', behavior: 'smooth' });
      return true;
    };
    if (mark()) return () => marked?.classList.remove(HIGHLIGHT);
    const watch = new MutationObserver(() => {
      if (mark()) watch.disconnect();
    });
    watch.observe(document.body, { childList: true, subtree: true });
    return () => {
      watch.disconnect();
      marked?.classList.remove(HIGHLIGHT);
    };
  }, [selector, routePath]);
}

/**
 * Issue 21: the floating step panel of the lesson being followed. It follows the real pages (each step names its
 * route), rings the element to use, and its "Kiểm tra" asks the server to verify the task in the practice sandbox.
 */
export function GuidePanel() {
  const guide = useGuide();
  const route = useRoute();
  const lang = useLang();
  const t = useT(TRAINING_STRINGS);
  const [result, setResult] = useState<LessonCheckResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const step = guide ? guide.lesson.steps[Math.min(guide.step, guide.lesson.steps.length - 1)] : undefined;
  useHighlight(step && onRoute(route.path, step.route) ? step.highlight : null, route.path);
  useEffect(() => {
    setResult(null);
    setError(null);
  }, [guide?.lesson.id]);
  // After the reload that enters practice (the page starts at #/), open the step's page once.
  useEffect(() => {
    if (step && !onRoute(route.path, step.route) && !DETAIL_ROUTES.has(step.route)) navigate(step.route);
  }, []);
  if (!guide || !step) return null;
  const n = guide.lesson.steps.length;
  const go = (i: number) => {
    const next = guide.lesson.steps[i];
    if (!next) return;
    setGuide({ ...guide, step: i });
    if (!onRoute(route.path, next.route) && !DETAIL_ROUTES.has(next.route)) navigate(next.route);
  };
  const check = async () => {
    setError(null);
    try {
      setResult(await post<LessonCheckResult>(`/api/v1/training/lessons/${encodeURIComponent(guide.lesson.id)}/check`));
    } catch (err) {
      setError(err);
    }
  };
  // Closing the guide keeps practice on: the banner's own switch leaves it.
  const close = () => setGuide(null);
  return (
    <aside class="guide-panel" data-testid="guide-panel" data-lesson={guide.lesson.id} data-step={guide.step} aria-live="polite">
      <style>{CSS}</style>
      <h4>{guide.lesson.title[lang]}</h4>
      <div class="muted">{t('step', { i: guide.step + 1, n })}</div>
      <p data-testid="guide-step-text">{step.text[lang]}</p>
      {!onRoute(route.path, step.route) && !DETAIL_ROUTES.has(step.route) ? (
        <button type="button" class="ghost" onClick={() => navigate(step.route)}>
          → {step.route}
        </button>
      ) : null}
      <div class="guide-actions">
        <button type="button" class="ghost" disabled={guide.step === 0} onClick={() => go(guide.step - 1)}>
          {t('prev')}
        </button>
        {guide.step < n - 1 ? (
          <button type="button" onClick={() => go(guide.step + 1)} data-testid="guide-next">
            {t('next')}
          </button>
        ) : null}
        <ActionButton onClick={check} data-testid="guide-check">
          {t('check')}
        </ActionButton>
        <button type="button" class="ghost" onClick={close} data-testid="guide-close">
          {t('close')}
        </button>
      </div>
      <ErrorBox error={error} />
      {result?.passed ? (
        <p class="guide-ok" data-testid="guide-passed">
          {t('passed')}
        </p>
      ) : null}
      {result && !result.passed ? (
        <div data-testid="guide-missing">
          {t('notYet')}
          <ul>
            {result.missing.map((m, i) => (
              <li key={i}>{m[lang]}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </aside>
  );
}
