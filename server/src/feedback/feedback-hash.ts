import { Injectable } from '@nestjs/common';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Clock } from '../common/clock.js';
import { FeedbackRepository } from './feedback.repository.js';

/** The settings row holding the secret the residents' phone numbers and addresses are hashed with. */
export const FEEDBACK_HASH_KEY_SETTING = 'feedback.hash-key';

/**
 * Text as compared for exact duplicates: Unicode NFC (a phone keyboard and a PC may send "ệ" composed or not), lower
 * case, whitespace runs as one space. Diacritics stay: "mở" and "mổ" are different complaints.
 */
export const normaliseForHash = (s: string): string => s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();

/**
 * Keyed hashes of a resident's identifiers (issue 17). A phone number has ~10⁹ values, so an unkeyed sha256 of it is
 * reversed by trying them all; keyed with a server secret, the stored hash (kept after the personal data is erased,
 * for rate limits and duplicates) says nothing without the key. The secret is generated once per database and shared
 * by every instance: insert-or-ignore, then read, so instances starting together agree on the first committed one.
 */
@Injectable()
export class FeedbackHasher {
  private key: Promise<Buffer> | null = null;

  constructor(
    private readonly repo: FeedbackRepository,
    private readonly clock: Clock,
  ) {}

  async phoneHash(phone: string): Promise<string> {
    return this.keyed(`phone:${phone}`);
  }

  async addressHash(ip: string): Promise<string> {
    // "::ffff:1.2.3.4" and "1.2.3.4" are one client.
    return this.keyed(`ip:${ip.replace(/^::ffff:/i, '').toLowerCase()}`);
  }

  /** Unkeyed: the text is not personal data the hash must hide, and it is compared only with itself. */
  contentHash(title: string, content: string): string {
    return createHash('sha256').update(`${normaliseForHash(title)}\n${normaliseForHash(content)}`).digest('hex');
  }

  private async keyed(value: string): Promise<string> {
    return createHmac('sha256', await this.secret()).update(value).digest('hex');
  }

  /** The key never changes once stored, so it is read once per process (a failed read is retried next time). */
  private secret(): Promise<Buffer> {
    if (this.key === null) {
      const fresh = randomBytes(32).toString('base64');
      this.key = this.repo.claimSetting(FEEDBACK_HASH_KEY_SETTING, JSON.stringify(fresh), this.clock.now()).then((stored) => Buffer.from(JSON.parse(stored) as string, 'base64'));
      this.key.catch(() => {
        this.key = null;
      });
    }
    return this.key;
  }
}
