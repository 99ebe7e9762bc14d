/**
 * The one renderer of an e-board screen: a slot → an HTML fragment + CSS, and the page around it. Pure (no I/O, no
 * DOM): the agent's kiosk page and the server's preview both call it, so an operator previews exactly what the
 * board shows. Sizes are relative to the screen (`--w`, `--h`): the kiosk sets them to the window, the preview to
 * the board profile's resolution.
 */
import { BOARD_FONT_SIZES, type TextStyle } from './messages.js';

/** What a board shows: a text with its style, an image (its URL as the page will fetch it), or nothing. */
export type BoardView =
  | { type: 'text'; title: string; text: string; style?: TextStyle | undefined }
  | { type: 'image'; title: string; src: string; fit?: 'contain' | 'cover' | undefined; background?: string | undefined };

export interface RenderedBoard {
  /** Class of `#screen`: idle | text | image. */
  className: string;
  /** Inner HTML of `#screen`. */
  html: string;
  /** Rules for this content only (colours, sizes), on top of BOARD_BASE_CSS. */
  css: string;
}

/** Named font sizes as a fraction of the screen height. */
export const FONT_SIZE_RATIO: Record<(typeof BOARD_FONT_SIZES)[number], number> = { small: 0.06, medium: 0.09, large: 0.12, xlarge: 0.18 };
export const DEFAULT_SCROLL_SPEED = 120;
export const IDLE_TEXT = 'Chưa có bản tin';

const HEX = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const colour = (v: string | undefined): string | null => (v !== undefined && HEX.test(v) ? v : null);

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function fontSizeCss(size: TextStyle['fontSize']): string | null {
  if (size === undefined) return null;
  if (typeof size === 'number') return Number.isFinite(size) && size > 0 ? `${Math.round(size)}px` : null;
  const ratio = FONT_SIZE_RATIO[size];
  return ratio === undefined ? null : `calc(var(--h) * ${ratio})`;
}

/** Pure: what `#screen` holds for this content (null: the idle screen). */
export function renderBoard(view: BoardView | null): RenderedBoard {
  if (!view) {
    return { className: 'idle', html: `<div id="title"></div><div id="message" data-fit="auto">${escapeHtml(IDLE_TEXT)}</div>`, css: '' };
  }
  if (view.type === 'image') {
    const bg = colour(view.background) ?? '#000000';
    const fit = view.fit === 'cover' ? 'cover' : 'contain';
    return {
      className: 'image',
      html: `<img id="image" src="${escapeHtml(view.src)}" alt="${escapeHtml(view.title)}">`,
      css: `#screen.image { background: ${bg}; }\n#image { object-fit: ${fit}; }`,
    };
  }
  const style = view.style ?? {};
  const rules: string[] = [];
  const fg = colour(style.color);
  const bg = colour(style.background);
  if (fg || bg) rules.push(`#screen.text { ${bg ? `background: ${bg}; ` : ''}${fg ? `color: ${fg}; ` : ''}}`);
  if (fg) rules.push(`#screen.text #title { color: ${fg}; }`);
  const size = fontSizeCss(style.fontSize);
  if (size) rules.push(`#message { font-size: ${size}; }`);
  const scroll = style.mode === 'scroll';
  const speed = style.scrollSpeed !== undefined && Number.isFinite(style.scrollSpeed) && style.scrollSpeed > 0 ? style.scrollSpeed : DEFAULT_SCROLL_SPEED;
  const attrs = [`class="${scroll ? 'scroll' : 'static'}"`, size ? '' : 'data-fit="auto"', scroll ? `data-speed="${speed}"` : ''].filter(Boolean).join(' ');
  return {
    className: 'text',
    html: `<div id="title">${escapeHtml(view.title)}</div><div id="message" ${attrs}><span class="marquee">${escapeHtml(view.text)}</span></div>`,
    css: rules.join('\n'),
  };
}

/** Rules shared by every screen. */
export const BOARD_BASE_CSS = `html, body { margin: 0; width: var(--w); height: var(--h); background: #0b0f14; color: #f5f7fa; overflow: hidden;
  font-family: "Noto Sans", "Be Vietnam Pro", "Roboto", "Segoe UI", "DejaVu Sans", Arial, sans-serif; }
#screen { box-sizing: border-box; width: var(--w); height: var(--h); padding: calc(var(--h) * 0.04) calc(var(--w) * 0.04); display: flex;
  flex-direction: column; justify-content: center; gap: calc(var(--h) * 0.03); overflow: hidden; background: #0b0f14; color: #f5f7fa; }
#title { font-size: calc(var(--h) * 0.05); font-weight: 700; color: #ffd166; line-height: 1.2; }
#message { font-size: calc(var(--h) * 0.12); line-height: 1.25; white-space: pre-wrap; overflow-wrap: anywhere; }
#message.scroll { white-space: nowrap; overflow: hidden; overflow-wrap: normal; }
#message.scroll .marquee { display: inline-block; padding-left: 100%; animation: loa-marquee 10s linear infinite; }
@keyframes loa-marquee { from { transform: translateX(0); } to { transform: translateX(-100%); } }
#screen.idle #message { color: #5c6b7a; font-size: calc(var(--h) * 0.06); text-align: center; }
#screen.idle #title { display: none; }
#screen.image { padding: 0; display: block; }
#image { display: block; width: 100%; height: 100%; }
@media (max-height: 240px) { #title { display: none; } #screen { padding: 2px 4px; } }
#status { position: fixed; right: 1vw; bottom: 1vh; font-size: 1.6vh; color: #5c6b7a; }
#screen:not(.idle) ~ #status { display: none; }`;

/**
 * Sizes auto-fitted text (largest size that fits, as the kiosk always did) and times a marquee from its speed.
 * Runs in the browser; a string so that both pages embed the very same code.
 */
export const BOARD_FIT_SCRIPT = `function loaFit() {
  var screen = document.getElementById('screen');
  var message = document.getElementById('message');
  if (!screen || !message) return;
  var h = screen.clientHeight;
  if (message.getAttribute('data-fit') === 'auto') {
    var ratio = screen.classList.contains('idle') ? 0.06 : 0.12;
    message.style.fontSize = (ratio * h) + 'px';
    while (ratio > 0.02 && screen.scrollHeight > screen.clientHeight + 1) {
      ratio -= 0.005;
      message.style.fontSize = (ratio * h) + 'px';
    }
  }
  var marquee = message.querySelector('.marquee');
  if (marquee && message.classList.contains('scroll')) {
    var speed = Number(message.getAttribute('data-speed')) || ${DEFAULT_SCROLL_SPEED};
    marquee.style.animationDuration = (marquee.scrollWidth / speed) + 's';
  }
}`;

export interface BoardPageOptions {
  content: RenderedBoard;
  /** Fixed resolution (the server's preview); absent: the window's size (the kiosk). */
  size?: { width: number; height: number } | undefined;
  /** Extra script run after the first fit (the kiosk's live updates). */
  script?: string | undefined;
  /** Extra markup after `#screen` (the kiosk's connection status). */
  extra?: string | undefined;
  title?: string | undefined;
}

/** Pure: the full HTML document of a board screen. */
export function boardPage(opts: BoardPageOptions): string {
  const w = opts.size ? `${Math.round(opts.size.width)}px` : '100vw';
  const h = opts.size ? `${Math.round(opts.size.height)}px` : '100vh';
  return `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title ?? 'Loa — Bảng tin')}</title>
<style>
:root { --w: ${w}; --h: ${h}; }
${BOARD_BASE_CSS}
</style>
<style id="slot-css">${opts.content.css}</style>
</head>
<body>
<div id="screen" class="${opts.content.className}" data-occurrence="">${opts.content.html}</div>
${opts.extra ?? ''}
<script>
${BOARD_FIT_SCRIPT}
loaFit();
window.addEventListener('resize', loaFit);
if (document.fonts && document.fonts.ready) document.fonts.ready.then(loaFit);
${opts.script ?? ''}
</script>
</body>
</html>
`;
}
