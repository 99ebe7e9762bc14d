/**
 * The field-mapping templates of the REST adapter: a small logic-less language in the spirit of Mustache (no kept
 * template library is installed, and none is needed for this much). Nothing is evaluated: a tag names a value by a
 * dotted path, and the renderer only reads own properties of plain data.
 *
 * - `{{payload.title}}`: the value, escaped for where it goes (`json`: the inside of a JSON string, so a template
 *   writes `"title": "{{payload.title}}"`; `url`: percent-encoded; `text`: as is). Numbers and booleans as they are;
 *   null and missing values as nothing.
 * - `{{json payload.rows}}`: the value as JSON (strings quoted, null as null, objects and arrays whole).
 * - `{{#payload.rows}}…{{/payload.rows}}`: repeated for each element of an array (inside, names are looked up on
 *   the element first, then outwards; `{{.}}` is the element, `{{@index}}` its position from 0, `@first`/`@last`
 *   true on the first/last one); rendered once when the value is any other truthy value; skipped when falsy or empty.
 * - `{{^name}}…{{/name}}`: rendered when the value is falsy or an empty array (so `{{^@last}},{{/@last}}` separates).
 * - `{{! a comment }}`.
 */

export type EscapeMode = 'json' | 'url' | 'text';

type Node =
  | { t: 'text'; s: string }
  | { t: 'var'; path: string[]; json: boolean }
  | { t: 'section'; path: string[]; inverted: boolean; body: Node[] };

export interface CompiledTemplate {
  readonly source: string;
  readonly nodes: readonly Node[];
}

export class TemplateError extends Error {}

const NAME = /^(?:\.|@index|@first|@last|[A-Za-z_$@][\w$@-]*(?:\.[A-Za-z_$@\d][\w$@-]*)*)$/;
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);
const MAX_DEPTH = 16;
/** Largest rendered text: a template looping over a big playout log must not eat the memory. */
export const MAX_RENDERED = 16 * 1024 * 1024;

function parsePath(name: string, at: number): string[] {
  if (!NAME.test(name)) throw new TemplateError(`bad name "${name}" at ${at}`);
  if (name === '.') return [];
  const path = name.split('.');
  if (path.some((p) => FORBIDDEN.has(p))) throw new TemplateError(`"${name}" at ${at} is not allowed`);
  return path;
}

/** Parses a template; a syntax error (unclosed or mismatched section, bad name) is a TemplateError saying where. */
export function compileTemplate(source: string): CompiledTemplate {
  const root: Node[] = [];
  const stack: Array<{ name: string; nodes: Node[]; at: number }> = [];
  let out = root;
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      out.push({ t: 'text', s: source.slice(i) });
      break;
    }
    if (open > i) out.push({ t: 'text', s: source.slice(i, open) });
    const triple = source.startsWith('{{{', open);
    const close = source.indexOf(triple ? '}}}' : '}}', open + 2);
    if (close < 0) throw new TemplateError(`unclosed tag at ${open}`);
    const tag = source.slice(open + (triple ? 3 : 2), close).trim();
    i = close + (triple ? 3 : 2);
    const sigil = tag[0];
    if (sigil === '!') continue;
    if (sigil === '#' || sigil === '^') {
      const name = tag.slice(1).trim();
      const node: Node = { t: 'section', path: parsePath(name, open), inverted: sigil === '^', body: [] };
      out.push(node);
      stack.push({ name, nodes: out, at: open });
      if (stack.length > MAX_DEPTH) throw new TemplateError(`sections nested deeper than ${MAX_DEPTH} at ${open}`);
      out = node.body;
      continue;
    }
    if (sigil === '/') {
      const name = tag.slice(1).trim();
      const top = stack.pop();
      if (!top) throw new TemplateError(`{{/${name}}} at ${open} closes nothing`);
      if (top.name !== name) throw new TemplateError(`{{/${name}}} at ${open} does not close {{#${top.name}}} (at ${top.at})`);
      out = top.nodes;
      continue;
    }
    const json = triple || /^json\s/.test(tag);
    const name = /^json\s/.test(tag) ? tag.slice(4).trim() : tag;
    out.push({ t: 'var', path: parsePath(name, open), json });
  }
  if (stack.length > 0) throw new TemplateError(`{{#${stack.at(-1)!.name}}} at ${stack.at(-1)!.at} is never closed`);
  return { source, nodes: root };
}

interface Frame {
  value: unknown;
  index?: number;
  first?: boolean;
  last?: boolean;
}

function own(obj: unknown, key: string): { found: boolean; value: unknown } {
  if (obj === null || typeof obj !== 'object') return { found: false, value: undefined };
  if (Array.isArray(obj)) {
    if (key === 'length') return { found: true, value: obj.length };
    if (/^\d+$/.test(key)) return Number(key) < obj.length ? { found: true, value: obj[Number(key)] } : { found: false, value: undefined };
    return { found: false, value: undefined };
  }
  return Object.hasOwn(obj, key) ? { found: true, value: (obj as Record<string, unknown>)[key] } : { found: false, value: undefined };
}

function lookup(stack: readonly Frame[], path: readonly string[]): unknown {
  const top = stack[stack.length - 1]!;
  if (path.length === 0) return top.value;
  const [head, ...rest] = path as [string, ...string[]];
  if (head === '@index' || head === '@first' || head === '@last') {
    for (let i = stack.length - 1; i >= 0; i--) {
      const f = stack[i]!;
      if (f.index !== undefined) return head === '@index' ? f.index : head === '@first' ? f.first : f.last;
    }
    return undefined;
  }
  for (let i = stack.length - 1; i >= 0; i--) {
    const hit = own(stack[i]!.value, head);
    if (!hit.found) continue;
    let v = hit.value;
    for (const key of rest) v = own(v, key).value;
    return v;
  }
  return undefined;
}

function escape(value: unknown, mode: EscapeMode): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  if (mode === 'url') return encodeURIComponent(s);
  if (mode === 'json') return JSON.stringify(s).slice(1, -1);
  return s;
}

/** Renders with `data` as the outermost context. Throws a TemplateError past MAX_RENDERED characters. */
export function renderTemplate(template: CompiledTemplate, data: unknown, mode: EscapeMode): string {
  const parts: string[] = [];
  let size = 0;
  const push = (s: string) => {
    size += s.length;
    if (size > MAX_RENDERED) throw new TemplateError(`rendered text larger than ${MAX_RENDERED} characters`);
    parts.push(s);
  };
  const walk = (nodes: readonly Node[], stack: Frame[]): void => {
    for (const node of nodes) {
      if (node.t === 'text') push(node.s);
      else if (node.t === 'var') {
        const v = lookup(stack, node.path);
        push(node.json ? (JSON.stringify(v ?? null) ?? 'null') : escape(v, mode));
      } else {
        const v = lookup(stack, node.path);
        const empty = !v || (Array.isArray(v) && v.length === 0);
        if (node.inverted) {
          if (empty) walk(node.body, stack);
        } else if (Array.isArray(v)) {
          v.forEach((el, index) => walk(node.body, [...stack, { value: el, index, first: index === 0, last: index === v.length - 1 }]));
        } else if (!empty) {
          walk(node.body, typeof v === 'object' ? [...stack, { value: v }] : stack);
        }
      }
    }
  };
  walk(template.nodes, [{ value: data }]);
  return parts.join('');
}

/** Reads a dotted path ("data.items.0.id") out of parsed JSON; undefined when any step is missing. */
export function readPath(value: unknown, path: string | null | undefined): unknown {
  if (path === null || path === undefined || path.trim() === '' || path.trim() === '.') return value;
  let v = value;
  for (const key of path.trim().split('.')) {
    if (FORBIDDEN.has(key)) return undefined;
    v = own(v, key).value;
    if (v === undefined) return undefined;
  }
  return v;
}
