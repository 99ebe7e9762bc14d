import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateXML } from 'xmllint-wasm';

export const CAP_NAMESPACE = 'urn:oasis:names:tc:emergency:cap:1.2';

/** Largest CAP message taken (a message with an embedded `derefUri` audio clip of ~1 minute fits). */
export const CAP_MAX_BYTES = 2 * 1024 * 1024;

/** Why a message was refused before mapping: the caller answers 400 with `reason`. */
export class CapFormatError extends Error {
  constructor(
    readonly code: 'too-large' | 'not-utf8' | 'doctype' | 'malformed' | 'namespace' | 'schema',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The schema sits beside this module in src/; tsc does not copy it to dist/, so the built server reads it from src/
 * (both trees ship together in this repository and in the deploy image).
 */
function schemaText(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, 'cap-1.2.xsd'), path.join(here, '..', '..', 'src', 'cap', 'cap-1.2.xsd')]) {
    if (existsSync(candidate)) return readFileSync(candidate, 'utf8');
  }
  throw new Error('cap-1.2.xsd not found beside the CAP module');
}

let schema: string | null = null;
export const capSchema = (): string => (schema ??= schemaText());

/**
 * Cheap checks before any XML parser sees the bytes. A DOCTYPE is refused outright: CAP needs none, and it is the
 * door to external entities (XXE: reading server files, reaching internal URLs) and entity expansion bombs.
 */
export function precheck(raw: Buffer): string {
  if (raw.length > CAP_MAX_BYTES) throw new CapFormatError('too-large', `message is ${raw.length} bytes, more than the ${CAP_MAX_BYTES} allowed`);
  if (raw.length === 0) throw new CapFormatError('malformed', 'empty body: send the CAP XML document as the request body');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(raw);
  if (text.includes('\uFFFD')) throw new CapFormatError('not-utf8', 'message is not valid UTF-8 (CAP 1.2 messages are UTF-8)');
  const decl = /^\uFEFF?\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i.exec(text);
  if (decl && !/^utf-?8$/i.test(decl[1]!)) throw new CapFormatError('not-utf8', `encoding ${decl[1]} is not accepted: send UTF-8`);
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new CapFormatError('doctype', 'DOCTYPE and entity declarations are not allowed in a CAP message (external entities and entity expansion are refused)');
  }
  return text;
}

/** xmllint's error lines carry our temp file name; the first few are enough for a sender to find the fault. */
const FIRST_ERRORS = 3;

/**
 * Well-formedness, namespace and schema with libxml2 (xmllint compiled to WebAssembly: no Java, no native build).
 * libxml2 reports a document that is not well-formed and one that breaks the schema in the same list; the first
 * kind is told apart by its parser error messages.
 */
export async function validateCap(text: string): Promise<void> {
  const result = await validateXML({ xml: [{ fileName: 'message.xml', contents: text }], schema: [{ fileName: 'cap-1.2.xsd', contents: capSchema() }] });
  if (result.valid) return;
  const errors = result.errors.map((e) => e.message.trim()).filter((m) => m !== '');
  const first = errors.slice(0, FIRST_ERRORS).join('; ') || result.rawOutput.trim().slice(0, 500) || 'unknown validator error';
  if (/parser error|not well-formed|Start tag expected|Premature end|Opening and ending tag mismatch|Extra content|StartTag|EndTag|Document is empty|xmlParse/i.test(result.rawOutput)) {
    throw new CapFormatError('malformed', `malformed XML: ${first}`);
  }
  if (/No matching global declaration available for the validation root/i.test(result.rawOutput)) {
    throw new CapFormatError('namespace', `not a CAP 1.2 alert: the root element must be <alert xmlns="${CAP_NAMESPACE}"> (${first})`);
  }
  throw new CapFormatError('schema', `does not follow the CAP 1.2 schema: ${first}`);
}
