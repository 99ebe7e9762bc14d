import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { can } from '../capabilities.js';
import { defineStrings, useT } from '../i18n.js';
import { navigate } from '../router.js';
import { PageHeader, areaName, useAreas } from '../ui.js';
import { AnnounceForm, AnnouncementList } from './commune-announce.js';
import { CommuneSpeakers } from './commune-speakers.js';

const S = defineStrings({
  vi: { title: 'Xã của tôi', announce: 'Thông báo', speakers: 'Loa', intro: 'Thông báo cho bà con trong xã, phát thử và tự kiểm tra loa của xã.' },
  en: { title: 'My commune', announce: 'Announce', speakers: 'Speakers', intro: 'Announce to the commune, test-play and self-test its speakers.' },
});

const TABS = ['announce', 'speakers'] as const;
type Tab = (typeof TABS)[number];

/**
 * Issue 19, the commune officer's own page (its landing page): announce within the commune (typed text read by the
 * server's TTS, or a recording) through the installation's approval rules, and test its speakers where they stand.
 * Each half shows only when the user may use it.
 */
export function CommunePage({ route, session }: PageProps) {
  const t = useT(S);
  const areas = useAreas();
  const [version, setVersion] = useState(0);
  const tabs = TABS.filter((x) => (x === 'announce' ? can(session.user, 'announce') : can(session.user, 'testDevices')));
  const asked = route.parts[1] as Tab | undefined;
  const tab: Tab | undefined = asked && tabs.includes(asked) ? asked : tabs[0];
  return (
    <section data-testid="commune-page">
      <PageHeader title={`${t('title')}${session.user.areaCode ? ` · ${areaName(areas, session.user.areaCode)}` : ''}`} />
      <p class="muted small" style={{ marginTop: 0 }}>
        {t('intro')}
      </p>
      <div class="tabs" role="tablist">
        {tabs.map((x) => (
          <button key={x} type="button" role="tab" aria-selected={tab === x} class={tab === x ? 'active' : ''} data-testid={`commune-tab-${x}`} onClick={() => navigate(`/commune/${x}`)}>
            {t(x)}
          </button>
        ))}
      </div>
      {tab === 'announce' ? (
        <>
          <AnnounceForm user={session.user} onSent={() => setVersion((v) => v + 1)} />
          <AnnouncementList version={version} />
        </>
      ) : null}
      {tab === 'speakers' ? <CommuneSpeakers /> : null}
    </section>
  );
}
