import { Injectable, NotFoundException } from '@nestjs/common';
import { type FeedbackBulletinRequest, type FeedbackBulletinView } from '@loa/shared/rest';
import { contentNeedsApprover } from '../approvals/approval-rules.js';
import { ApprovalRulesService } from '../approvals/approval-rules.service.js';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { conflict, forbidden, notFound } from '../common/loa-error.js';
import { NamedLocks } from '../common/named-locks.js';
import { ContentsService, type ContentView } from '../contents/contents.service.js';
import { FeedbackBulletinsRepository } from './feedback-bulletins.repository.js';
import { FeedbackStatsRepository } from './feedback-stats.repository.js';
import { FeedbackService } from './feedback.service.js';
import { FeedbackRepository } from './feedback.repository.js';
import type { FeedbackItemEntity } from './feedback.entities.js';

/** The longest text read on the loudspeakers (a text content's limit) and shown on a board. */
export const SPEAKER_TEXT_MAX = 5000;
export const BOARD_TEXT_MAX = 1000;
const TITLE_MAX = 200;
/** How long a board shows the message, and a reading pace to size the speakers' text (about 150 words a minute). */
const BOARD_SECONDS = 60;
const WORDS_PER_SECOND = 2.5;
/** States in which a drafted content is still alive: a rejected or archived one is drafted again. */
const LIVE = new Set(['draft', 'submitted', 'approved']);

/** Cut at `max` characters, at a word boundary when one is near, with an ellipsis when cut. */
export function fit(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.8 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The default texts made from an item's title and answer. */
export function bulletinTexts(item: Pick<FeedbackItemEntity, 'title' | 'answer'>, areaName: string): { title: string; speaker: string; board: string } {
  const subject = item.title.trim().replace(/[.。!?…]+$/, '');
  const answer = (item.answer ?? '').trim();
  const head = `Trả lời ý kiến của người dân về ${subject}`;
  return {
    title: fit(head, TITLE_MAX),
    speaker: fit(`${areaName} ${head.charAt(0).toLowerCase()}${head.slice(1)}.\n${answer}`, SPEAKER_TEXT_MAX),
    board: fit(`${head}\n${answer}`, BOARD_TEXT_MAX),
  };
}

/**
 * Close the loop (issue 17): an answer of public interest becomes, in one step, a text for the loudspeakers (read by
 * TTS) and a board message, both through the normal approval (submitted; left draft when the approval rules need no
 * approver for text, so nobody's answer airs unread). Contents carry no area: the item's commune is in their text,
 * and the officer schedules them to the commune. Idempotent per item: a second call answers the live pair, and only
 * a rejected or archived one is drafted again.
 */
@Injectable()
export class FeedbackBulletinsService {
  constructor(
    private readonly items: FeedbackRepository,
    private readonly feedback: FeedbackService,
    private readonly bulletins: FeedbackBulletinsRepository,
    private readonly areas: FeedbackStatsRepository,
    private readonly contents: ContentsService,
    private readonly rules: ApprovalRulesService,
    private readonly scope: ScopeService,
    private readonly locks: NamedLocks,
    private readonly clock: Clock,
  ) {}

  async draft(user: UserPrincipal, itemId: string, req: FeedbackBulletinRequest): Promise<FeedbackBulletinView> {
    const item = await this.items.findById(itemId);
    if (!item) throw notFound('feedback.not-found', { id: itemId });
    // Another commune's officer may not act on it: 403, as every officer's action outside the scope (feedback.service.ts).
    if (!(await this.scope.of(user)).contains(item.areaCode)) throw forbidden('feedback.outside-scope', { id: itemId });
    return this.locks.run(`feedback.bulletin:${item.id}`, async () => {
      const fresh = (await this.items.findById(item.id))!;
      if (fresh.state !== 'answered' && fresh.state !== 'closed') throw conflict('feedback.bulletin-not-answered', { id: fresh.id, code: fresh.code, feedbackState: fresh.state });
      if (!fresh.publicInterest) throw conflict('feedback.bulletin-not-public', { id: fresh.id, code: fresh.code });
      if (!fresh.answer) throw conflict('feedback.bulletin-no-answer', { id: fresh.id, code: fresh.code });

      const live = await this.liveContents(fresh.id);
      let speaker = live.speaker;
      let board = live.board;
      if (speaker && board) return view(speaker, board);

      const areaName = (await this.areas.area(fresh.areaCode))?.name ?? fresh.areaCode;
      const texts = bulletinTexts(fresh, areaName);
      const title = req.title ?? texts.title;
      const submit = contentNeedsApprover(await this.rules.get(), 'text');
      const record = async (c: ContentView, role: 'speaker' | 'board') => {
        await this.bulletins.insert({ itemId: fresh.id, contentId: c.id, role, createdBy: user.userId, createdAt: this.clock.now() });
        return c;
      };
      if (!speaker) {
        const text = req.speakerText ?? texts.speaker;
        const words = text.split(/\s+/).filter(Boolean).length;
        speaker = await record(await this.contents.create({ type: 'text', title, text, displaySeconds: Math.max(30, Math.ceil(words / WORDS_PER_SECOND)), submit }, user.userId), 'speaker');
      }
      if (!board) {
        board = await record(await this.contents.create({ type: 'text', title: fit(`Bảng tin: ${title}`, TITLE_MAX), text: req.boardText ?? texts.board, displaySeconds: BOARD_SECONDS, submit }, user.userId), 'board');
      }
      await this.feedback.addSystemEvent(
        fresh.id,
        'bulletin-drafted',
        `Đã tạo bản tin đọc trên loa (${speaker.id}) và tin trên bảng điện tử (${board.id}) từ câu trả lời${submit ? ', đã gửi duyệt' : ''}.`,
        true,
      );
      return view(speaker, board);
    });
  }

  /** The newest drafted content of each role that is still alive (not rejected, not archived, not deleted). */
  private async liveContents(itemId: string): Promise<{ speaker: ContentView | null; board: ContentView | null }> {
    const out: { speaker: ContentView | null; board: ContentView | null } = { speaker: null, board: null };
    for (const row of (await this.bulletins.forItem(itemId)).reverse()) {
      if (out[row.role] !== null) continue;
      const c = await this.contents.get(row.contentId).catch((err: unknown) => {
        if (err instanceof NotFoundException) return null;
        throw err;
      });
      if (c && LIVE.has(c.state)) out[row.role] = c;
    }
    return out;
  }
}

const view = (speaker: ContentView, board: ContentView): FeedbackBulletinView => ({ speakerContentId: speaker.id, boardContentId: board.id, speakerState: speaker.state, boardState: board.state });
