import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PDFDocument } from 'pdf-lib';
import { FEEDBACK_MAX_ATTACHMENT_BYTES, FEEDBACK_MAX_ATTACHMENTS, FEEDBACK_MAX_TOTAL_BYTES, type FeedbackAttachmentMime, type FeedbackRefusal } from '@loa/shared/rest';
import { ImageProcessor, ImageRejected } from '../contents/image-processor.js';
import { MediaStorage } from '../media/media.storage.js';

/** A file as the resident sent it: the bytes, and what the browser claimed (name, type), which decide nothing alone. */
export interface IncomingAttachment {
  bytes: Buffer;
  fileName: string | null;
  declaredMime: string | null;
}

/** A file that passed every check (the shape the core's `receive` stores). */
export interface CheckedFile {
  mime: FeedbackAttachmentMime;
  bytes: Buffer;
  width: number | null;
  height: number | null;
  sha256: string;
}

/** A refused attachment: the public refusal code, and a detail for the logs. */
export class AttachmentRefused extends Error {
  override name = 'AttachmentRefused';
  constructor(
    readonly code: Extract<FeedbackRefusal, 'attachment-type' | 'attachment-unreadable' | 'attachment-too-large' | 'too-many-attachments'>,
    detail: string,
  ) {
    super(detail);
  }
}

type Kind = 'image' | 'pdf';

/** The kind a file's first bytes announce: JPEG, PNG, WebP or PDF; null for anything else. */
export function sniff(bytes: Buffer): { kind: Kind; mime: FeedbackAttachmentMime } | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { kind: 'image', mime: 'image/jpeg' };
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_MAGIC)) return { kind: 'image', mime: 'image/png' };
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return { kind: 'image', mime: 'image/webp' };
  if (bytes.length >= 5 && bytes.toString('latin1', 0, 5) === '%PDF-') return { kind: 'pdf', mime: 'application/pdf' };
  return null;
}
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What the name or the declared type claim the file is (null: they claim nothing we know). */
function claimedKind(f: IncomingAttachment): Kind | null {
  const mime = f.declaredMime?.toLowerCase() ?? '';
  const name = f.fileName?.toLowerCase() ?? '';
  if (mime === 'application/pdf' || name.endsWith('.pdf')) return 'pdf';
  if (/^image\/(jpeg|jpg|pjpeg|png|webp)$/.test(mime) || /\.(jpe?g|png|webp)$/.test(name)) return 'image';
  return null;
}

/** Count and size limits, checked before anything is decoded (also while streaming, by the receiver). */
export function checkLimits(files: readonly { bytes: Buffer }[]): void {
  if (files.length > FEEDBACK_MAX_ATTACHMENTS) throw new AttachmentRefused('too-many-attachments', `${files.length} files`);
  let total = 0;
  for (const f of files) {
    if (f.bytes.length > FEEDBACK_MAX_ATTACHMENT_BYTES) throw new AttachmentRefused('attachment-too-large', `a file of ${f.bytes.length} bytes`);
    total += f.bytes.length;
  }
  if (total > FEEDBACK_MAX_TOTAL_BYTES) throw new AttachmentRefused('attachment-too-large', `${total} bytes in all`);
}

/** Where a PDF's end-of-file marker may sit: incremental writers leave a newline or a few bytes after it. */
const PDF_TRAILER_WINDOW = 1024;

/**
 * Checks residents' attachments by their content: the first bytes say what a file is (name and declared type only
 * count when they contradict it: a PNG named .pdf is not the document the resident meant to send); images are
 * decoded in full with ffprobe/ffmpeg as board images are (JPEG, PNG or WebP, at most 8000 px a side); PDFs must
 * have the header, the end-of-file marker, and a structure pdf-lib parses into at least one page. One bad file
 * refuses the whole submission, so nothing is stored half.
 */
@Injectable()
export class AttachmentChecker {
  constructor(
    private readonly images: ImageProcessor,
    private readonly storage: MediaStorage,
  ) {}

  async check(files: readonly IncomingAttachment[]): Promise<CheckedFile[]> {
    checkLimits(files);
    const out: CheckedFile[] = [];
    // One at a time: decoding is CPU work, and a public form must not be able to start five ffmpegs at once.
    for (const f of files) out.push(await this.checkOne(f));
    return out;
  }

  private async checkOne(f: IncomingAttachment): Promise<CheckedFile> {
    if (f.bytes.length === 0) throw new AttachmentRefused('attachment-unreadable', 'an empty file');
    const found = sniff(f.bytes);
    if (!found) throw new AttachmentRefused('attachment-type', `unknown content (declared ${f.declaredMime ?? '-'}, named ${f.fileName ?? '-'})`);
    const claimed = claimedKind(f);
    if (claimed !== null && claimed !== found.kind) throw new AttachmentRefused('attachment-type', `named or declared as ${claimed} but the content is ${found.mime}`);
    return found.kind === 'pdf' ? this.checkPdf(f.bytes) : this.checkImage(f.bytes);
  }

  private async checkImage(bytes: Buffer): Promise<CheckedFile> {
    await this.storage.ensureDirs();
    const temp = this.storage.newTempPath();
    try {
      const written = await this.storage.writeTemp(Readable.from([bytes]), temp);
      const probed = await this.images.probe(temp);
      return { mime: probed.mime as FeedbackAttachmentMime, bytes, width: probed.width, height: probed.height, sha256: written.sha256 };
    } catch (err) {
      if (err instanceof ImageRejected) throw new AttachmentRefused('attachment-unreadable', err.message);
      throw err;
    } finally {
      await this.storage.removeTemp(temp);
    }
  }

  private async checkPdf(bytes: Buffer): Promise<CheckedFile> {
    const tail = bytes.toString('latin1', Math.max(0, bytes.length - PDF_TRAILER_WINDOW));
    if (!tail.includes('%%EOF')) throw new AttachmentRefused('attachment-unreadable', 'PDF without its %%EOF trailer (truncated?)');
    let pages: number;
    try {
      const doc = await PDFDocument.load(bytes, { ignoreEncryption: true, throwOnInvalidObject: true, updateMetadata: false });
      pages = doc.getPageCount();
    } catch (err) {
      throw new AttachmentRefused('attachment-unreadable', `PDF structure unreadable: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`);
    }
    if (pages < 1) throw new AttachmentRefused('attachment-unreadable', 'PDF without pages');
    return { mime: 'application/pdf', bytes, width: null, height: null, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
}
