import { formatError, type SaveResult } from '@loa/shared/rest';
import { defineStrings, useLang, useT } from '../i18n.js';

/**
 * Why a saved schedule waits for an approver, in the reader's language (issue 19): each reason's code and
 * parameters (`approval.reason.area-level` with level province) through the shared tables; the server's English
 * text only for a code this build does not know, or from a server that sends no codes.
 */
export function approvalReasonTexts(result: Pick<SaveResult, 'approvalReasons'> & { approvalReasonCodes?: SaveResult['approvalReasonCodes'] }, lang: 'vi' | 'en'): string[] {
  const coded = result.approvalReasonCodes;
  if (coded && coded.length > 0) return coded.map((r) => formatError(r.code, r.params, lang) ?? r.text);
  return [...(result.approvalReasons ?? [])];
}

export function ApprovalReasons({ result, label }: { result: Pick<SaveResult, 'approvalReasons'> & { approvalReasonCodes?: SaveResult['approvalReasonCodes'] }; label: string }) {
  const lang = useLang();
  const texts = approvalReasonTexts(result, lang);
  if (texts.length === 0) return null;
  return (
    <div data-testid="approval-reasons">
      <span class="field-label">{label}</span>
      <ul class="small">
        {texts.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    </div>
  );
}

const S = defineStrings({
  vi: { why: 'Cần duyệt vì' },
  en: { why: 'Needs approval because' },
});

/** A `<dt>`/`<dd>` pair for a fact list: why a pending schedule waits (nothing when the server sent no reasons). */
export function ApprovalReasonFacts({ reasons, ddStyle }: { reasons: SaveResult['approvalReasonCodes'] | undefined; ddStyle?: Record<string, string | number> }) {
  const t = useT(S);
  const lang = useLang();
  if (!reasons || reasons.length === 0) return null;
  return (
    <>
      <dt class="muted">{t('why')}</dt>
      <dd style={ddStyle} data-testid="approval-why">
        {reasons.map((r) => formatError(r.code, r.params, lang) ?? r.text).join('; ')}
      </dd>
    </>
  );
}
