/**
 * An error, warning, information or success box (issue 19), instead of each page's own <p class="error">.
 *
 *   <Notice tone="error" error={list.error} />          // nothing when there is no error; the error's message
 *   <Notice tone="info">{t('pendingNote')}</Notice>
 *   <Notice tone="success" testId="saved">{t('saved')}</Notice>
 *
 * Errors and warnings are announced (role="alert"), the others politely (role="status"). The dashboard's ApiError
 * message is already the user's language (issue 19's error codes).
 */
import type { ComponentChildren } from 'preact';

export type NoticeTone = 'error' | 'warn' | 'info' | 'success';

export interface NoticeProps {
  tone?: NoticeTone;
  /** When given, the box shows only while it is set (children then lead its message). */
  error?: unknown;
  children?: ComponentChildren;
  testId?: string;
}

export function Notice(props: NoticeProps) {
  const { tone = 'info', error, children, testId } = props;
  const text = error === undefined || error === null || error === false ? null : error instanceof Error ? error.message : String(error);
  if ('error' in props ? text === null : children === undefined || children === null || children === false) return null;
  return (
    <div class={`notice notice-${tone}${tone === 'error' ? ' error' : ''}`} role={tone === 'error' || tone === 'warn' ? 'alert' : 'status'} data-testid={testId} data-tone={tone}>
      {children}
      {text !== null ? <span class="notice-text">{children ? ' ' : ''}{text}</span> : null}
    </div>
  );
}
