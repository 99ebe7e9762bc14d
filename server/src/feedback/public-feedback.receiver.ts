import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import { FEEDBACK_MAX_ATTACHMENT_BYTES, FEEDBACK_MAX_ATTACHMENTS, FEEDBACK_MAX_TOTAL_BYTES, FEEDBACK_REFUSALS, type FeedbackRefusalView } from '@loa/shared/rest';
import type { IncomingAttachment } from './attachment-checker.js';
import { FeedbackRefused } from './feedback-refusal.js';

/** The multipart field the page puts its files in. */
export const ATTACHMENTS_FIELD = 'attachments';

/** The residents' routes (the submission itself, track, rate…). */
export const PUBLIC_FEEDBACK_PATH = '/api/v1/public/feedback';
/** A submission without files is a few KB (the content is at most 5000 characters): room to spare, and a flood stops early. */
export const SUBMISSION_BODY_LIMIT = 256 * 1024;

/**
 * For bootstrap.ts, before the global JSON and form parsers, on the public feedback routes: a body that is not
 * multipart is read here, so a malformed one gets a refusal code like any other (the global parsers' errors would
 * bypass the public routes' format). A submission without files (JSON, or a plain HTML form) keeps its raw bytes
 * for the intake to parse. Over the limit it answers 413 at once. Multipart is left to the receiver, which streams it.
 */
export function publicBodyParser(req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: (err?: unknown) => void): void {
  if (req.method !== 'POST' || /^multipart\//i.test(String(req.headers['content-type'] ?? ''))) return next();
  // Mounted on the path: the rest of the URL is "/" (or a query) for the submission itself, which keeps the bytes;
  // the other public posts (track, rate) get their JSON parsed here, a malformed one refused in the public format.
  const submission = /^\/?(\?.*)?$/.test(req.url ?? '');
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const refuse = (status: number) => {
    done = true;
    req.removeAllListeners('data');
    req.resume();
    const body: FeedbackRefusalView = { statusCode: status, code: 'invalid', message: FEEDBACK_REFUSALS.invalid };
    // Over the limit the client may still be sending: the connection is closed rather than read to its end.
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(status === 413 ? { connection: 'close' } : {}) }).end(JSON.stringify(body));
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > SUBMISSION_BODY_LIMIT) return refuse(413);
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    size += chunk.length;
    if (size > SUBMISSION_BODY_LIMIT) return refuse(413);
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (done) return;
    done = true;
    const bytes = Buffer.concat(chunks, size);
    if (submission) {
      req.body = bytes;
      return next();
    }
    try {
      req.body = bytes.length === 0 ? {} : (JSON.parse(bytes.toString('utf8')) as unknown);
    } catch {
      return refuse(400);
    }
    next();
  });
  // An aborted upload: nobody is left to answer.
  req.on('error', () => {
    done = true;
  });
}

// busboy (multer's parser) ships no types: the little used here is typed locally.
interface FileInfo {
  filename?: string;
  mimeType?: string;
}
interface FieldInfo {
  nameTruncated: boolean;
  valueTruncated: boolean;
}
interface Busboy {
  on(event: 'file', cb: (name: string, stream: Readable & { truncated?: boolean }, info: FileInfo) => void): this;
  on(event: 'field', cb: (name: string, value: string, info: FieldInfo) => void): this;
  on(event: 'partsLimit' | 'filesLimit' | 'fieldsLimit' | 'close', cb: () => void): this;
  on(event: 'error', cb: (err: unknown) => void): this;
}
type BusboyFactory = (options: {
  headers: IncomingMessage['headers'];
  limits: { fileSize: number; files: number; fields: number; fieldSize: number; parts: number; fieldNameSize: number };
  defParamCharset: string;
}) => Busboy;
const busboy = createRequire(import.meta.url)('busboy') as BusboyFactory;

/** A whole submission may carry 20 MB of files; the form's own fields are a few KB. */
const FIELDS_OVERHEAD = 256 * 1024;
/** Longest field: the content (5000 characters, up to 3 bytes each in UTF-8) with room to spare. */
const MAX_FIELD_BYTES = 32 * 1024;

export interface ReceivedSubmission {
  fields: Record<string, string>;
  files: IncomingAttachment[];
}

/**
 * Reads a multipart/form-data submission as it streams in: the form's fields, and the files of field
 * `attachments` into memory (at most 5 files, 8 MB each, 20 MB in all). It stops reading at the first limit
 * crossed, so an oversized upload costs at most the limit, and refuses with the public codes (413, 400).
 */
/**
 * Uploads received at once by one process: each may hold up to 20 MB in memory until it is checked and stored, so a
 * crowd of uploads is told to come back in a moment rather than exhaust the server.
 */
export const MAX_CONCURRENT_UPLOADS = 16;
const BUSY_RETRY_S = 10;

@Injectable()
export class PublicFeedbackReceiver {
  private inFlight = 0;

  /** `release` must be called once the files are no longer held (stored or refused). */
  async receive(req: IncomingMessage): Promise<ReceivedSubmission & { release(): void }> {
    if (this.inFlight >= MAX_CONCURRENT_UPLOADS) throw new FeedbackRefused('busy', 503, `${this.inFlight} uploads in progress`, BUSY_RETRY_S);
    this.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight--;
    };
    try {
      return { ...(await this.parse(req)), release };
    } catch (err) {
      release();
      throw err;
    }
  }

  private parse(req: IncomingMessage): Promise<ReceivedSubmission> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > FEEDBACK_MAX_TOTAL_BYTES + FIELDS_OVERHEAD) {
      return Promise.reject(new FeedbackRefused('attachment-too-large', 413, `declared ${declared} bytes`));
    }
    let parser: Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        // One more file than allowed is read as far as its start, so "too many" is told apart from "just enough".
        limits: { fileSize: FEEDBACK_MAX_ATTACHMENT_BYTES, files: FEEDBACK_MAX_ATTACHMENTS + 1, fields: 30, fieldSize: MAX_FIELD_BYTES, parts: 40, fieldNameSize: 100 },
        // Browsers send file names as raw UTF-8 (Vietnamese names included); busboy's default is latin1.
        defParamCharset: 'utf8',
      });
    } catch (err) {
      return Promise.reject(new FeedbackRefused('invalid', 400, `not a multipart/form-data body: ${err instanceof Error ? err.message : String(err)}`));
    }
    return new Promise<ReceivedSubmission>((resolve, reject) => {
      const fields: Record<string, string> = {};
      const files: IncomingAttachment[] = [];
      let total = 0;
      let settled = false;
      let open = 0;
      let parsed = false;
      const fail = (err: FeedbackRefused) => {
        if (settled) return;
        settled = true;
        // Stop parsing; what the client still sends is read and dropped by Node after the answer.
        req.unpipe(parser as unknown as Writable);
        req.resume();
        reject(err);
      };
      const finish = () => {
        if (settled || !parsed || open > 0) return;
        settled = true;
        resolve({ fields, files });
      };
      parser.on('file', (name, stream, info) => {
        if (settled) return void stream.resume();
        if (name !== ATTACHMENTS_FIELD) {
          stream.resume();
          return fail(new FeedbackRefused('invalid', 400, `unexpected file field "${name.slice(0, 40)}" (files go in "${ATTACHMENTS_FIELD}")`));
        }
        if (files.length + open >= FEEDBACK_MAX_ATTACHMENTS) {
          stream.resume();
          return fail(new FeedbackRefused('too-many-attachments', 400, `more than ${FEEDBACK_MAX_ATTACHMENTS} files`));
        }
        open++;
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          total += chunk.length;
          if (total > FEEDBACK_MAX_TOTAL_BYTES) return fail(new FeedbackRefused('attachment-too-large', 413, `more than ${FEEDBACK_MAX_TOTAL_BYTES} bytes in all`));
          if (!settled) chunks.push(chunk);
        });
        stream.on('limit', () => fail(new FeedbackRefused('attachment-too-large', 413, `a file over ${FEEDBACK_MAX_ATTACHMENT_BYTES} bytes`)));
        stream.on('error', () => fail(new FeedbackRefused('invalid', 400, 'broken multipart body')));
        stream.on('end', () => {
          open--;
          if (!settled && !stream.truncated) files.push({ bytes: Buffer.concat(chunks, size), fileName: info.filename ?? null, declaredMime: info.mimeType ?? null });
          finish();
        });
      });
      parser.on('field', (name, value, info) => {
        if (info.nameTruncated || info.valueTruncated) return fail(new FeedbackRefused('invalid', 400, `field "${name.slice(0, 40)}" is too long`));
        fields[name] = value;
      });
      parser.on('filesLimit', () => fail(new FeedbackRefused('too-many-attachments', 400, `more than ${FEEDBACK_MAX_ATTACHMENTS} files`)));
      parser.on('fieldsLimit', () => fail(new FeedbackRefused('invalid', 400, 'too many fields')));
      parser.on('partsLimit', () => fail(new FeedbackRefused('invalid', 400, 'too many parts')));
      parser.on('error', (err) => fail(new FeedbackRefused('invalid', 400, `broken multipart body: ${err instanceof Error ? err.message : String(err)}`)));
      parser.on('close', () => {
        parsed = true;
        finish();
      });
      req.on('aborted', () => fail(new FeedbackRefused('invalid', 400, 'upload aborted by the client')));
      req.pipe(parser as unknown as Writable);
    });
  }
}
