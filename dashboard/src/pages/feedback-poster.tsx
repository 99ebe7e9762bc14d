/**
 * The printable A4 poster for a commune's notice boards (#/feedback/poster?areaCode=): the commune's name, the call
 * to send feedback, the QR code of its short link, the short link itself, and the SMS syntax when the gateway takes
 * texts in. The print stylesheet (styles.css, "Reports" and "Feedback" sections) drops the dashboard's chrome.
 */
import type { FeedbackOptions } from '@loa/shared/rest';
import type { PageProps } from '../app.js';
import { get } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import { navigate } from '../router.js';
import { ErrorBox, Field, Loading, useAreas, useAsync } from '../ui.js';
import { withParent } from './admin-common.js';
import { loadFeedbackForm } from './feedback-common.js';

const S = defineStrings({
  vi: {
    back: 'Quay lại',
    print: 'In',
    commune: 'Xã/phường',
    heading: 'Gửi ý kiến phản ánh, kiến nghị',
    lead: 'Người dân phản ánh, kiến nghị về việc thực hiện chính sách, pháp luật và các vấn đề ở địa phương. Mỗi ý kiến được tiếp nhận, giải quyết và trả lời đúng thời hạn.',
    scan: 'Quét mã QR bằng điện thoại',
    orOpen: 'hoặc mở đường dẫn',
    sms: 'Hoặc nhắn tin theo cú pháp',
    smsSyntax: 'XA {code} <nội dung ý kiến>',
    track: 'Sau khi gửi, người dân nhận mã tra cứu để theo dõi kết quả giải quyết bằng mã và số điện thoại.',
    office: 'Hoặc đến bộ phận một cửa của UBND xã.',
  },
  en: {
    back: 'Back',
    print: 'Print',
    commune: 'Commune',
    heading: 'Send your feedback and petitions',
    lead: 'Residents give feedback on how policies and laws are carried out and on local matters. Every item is received, handled and answered on time.',
    scan: 'Scan the QR code with your phone',
    orOpen: 'or open the link',
    sms: 'Or send a text message',
    smsSyntax: 'XA {code} <your feedback>',
    track: 'After sending, residents get a tracking code to follow the answer with their code and phone number.',
    office: 'Or come to the commune office.',
  },
});

/** The short link as printed: absolute, from the page's own origin when the server gave a path. */
export const absoluteUrl = (u: string, origin: string): string => (/^https?:\/\//.test(u) ? u : `${origin}${u.startsWith('/') ? '' : '/'}${u}`);

export function FeedbackPoster({ route, session }: PageProps) {
  const t = useT(S);
  const areas = useAreas();
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const communes = areas.filter((a) => a.level === 'commune').sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  // A poster is a commune's: the one asked for, else the officer's own, else the first in scope (a district's user).
  const requested = route.query.get('areaCode') ?? session.user.areaCode ?? '';
  const areaCode = communes.some((a) => a.code === requested) ? requested : (communes[0]?.code ?? '');
  const form = useAsync(() => (areaCode ? loadFeedbackForm(areaCode) : Promise.resolve(null)), [areaCode]);
  // The SMS syntax is printed only when the gateway takes texts in.
  const sms = useAsync(
    () =>
      get<FeedbackOptions>('/api/v1/feedback/options')
        .then((o) => o.smsSyntax !== null)
        .catch(() => false),
    [session.user.id],
  );
  const f = form.data;
  const shortUrl = f ? absoluteUrl(f.shortUrl, location.origin) : '';
  return (
    <div class="print-report fb-poster-page" data-testid="feedback-poster">
      <div class="no-print print-actions">
        <button type="button" onClick={() => history.back()}>
          ← {t('back')}
        </button>
        {communes.length > 1 ? (
          <Field label={t('commune')}>
            <select value={areaCode} data-testid="feedback-poster-area" onChange={(e) => navigate('/feedback/poster', { areaCode: (e.target as HTMLSelectElement).value })}>
              {communes.map((a) => (
                <option key={a.code} value={a.code}>
                  {withParent(byCode, a)}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        <button type="button" class="primary" onClick={() => window.print()} data-testid="feedback-poster-print">
          {t('print')}
        </button>
      </div>
      <Loading when={form.loading && !f} />
      <ErrorBox error={form.error} />
      {f ? (
        <article class="a4 fb-poster" data-testid="feedback-poster-loaded" data-area={f.areaCode}>
          <div class="fb-poster-unit">
            {f.parentNames.length > 0 ? <div>{[...f.parentNames].reverse().join(' · ').toUpperCase()}</div> : null}
            <strong data-testid="feedback-poster-commune">{`UBND ${f.areaName}`.toUpperCase()}</strong>
          </div>
          <h1 class="fb-poster-title">{t('heading')}</h1>
          <p class="fb-poster-lead">{t('lead')}</p>
          <p class="fb-poster-scan">{t('scan')}</p>
          <img class="fb-poster-qr" src={f.qrSvgUrl || `/api/v1/public/feedback/qr/${encodeURIComponent(f.areaCode)}.svg`} alt={shortUrl} data-testid="feedback-poster-qr" />
          <p class="fb-poster-or">{t('orOpen')}</p>
          <p class="fb-poster-url" data-testid="feedback-poster-url">
            {shortUrl.replace(/^https?:\/\//, '')}
          </p>
          {sms.data ? (
            <p class="fb-poster-sms" data-testid="feedback-poster-sms">
              {t('sms')}: <strong>{t('smsSyntax', { code: f.areaCode })}</strong>
            </p>
          ) : null}
          <p class="fb-poster-foot">{t('track')}</p>
          <p class="fb-poster-foot">{t('office')}</p>
        </article>
      ) : null}
    </div>
  );
}
