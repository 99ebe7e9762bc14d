import { Injectable } from '@nestjs/common';
import {
  inboxAnswerSchema,
  SOURCE_INBOX_PATH,
  SOURCE_PEER_HEADER,
  SOURCE_SIGNATURE_HEADER,
  type ExchangeEnvelope,
} from '@loa/shared/rest';
import { Clock } from '../common/clock.js';
import {
  answerGist,
  classifyStatus,
  ExchangeAdapter,
  networkError,
  readAnswer,
  retryAfterMs,
  type OutgoingExchange,
  type SendResult,
} from './dispatcher.adapter.js';
import type { SourcePeerEntity } from './peer.entity.js';
import { signBody } from './signing.js';

/**
 * Loa's own protocol, to another Loa (or any peer that adopted it): the envelope POSTed to the peer's inbox, signed
 * with the secret the peer minted for us, naming us by the id we have there. A 200 with an InboxAnswer settles it,
 * a repeat (`duplicate: true`) too: the peer already has it.
 */
@Injectable()
export class LoaAdapter extends ExchangeAdapter {
  constructor(private readonly clock: Clock) {
    super();
  }

  async send(peer: SourcePeerEntity, x: OutgoingExchange): Promise<SendResult> {
    if (!peer.remotePeerId || !peer.outboundSecret) {
      return { outcome: 'dead', httpStatus: null, error: 'peer not set up: give our id at the peer and the secret it showed (remotePeerId, outboundSecret), then retry' };
    }
    const envelope: ExchangeEnvelope = {
      idempotencyKey: x.idempotencyKey,
      kind: x.kind,
      v: 1,
      sentAt: new Date(this.clock.now()).toISOString(),
      payload: x.payload,
    };
    const body = JSON.stringify(envelope);
    let res: Response;
    let text: string;
    try {
      res = await fetch(peer.baseUrl + SOURCE_INBOX_PATH, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': x.idempotencyKey,
          [SOURCE_PEER_HEADER]: peer.remotePeerId,
          [SOURCE_SIGNATURE_HEADER]: signBody(peer.outboundSecret, body, this.clock.now() / 1000),
        },
        body,
        signal: AbortSignal.timeout(peer.timeoutMs),
      });
      text = await readAnswer(res);
    } catch (err) {
      return { outcome: 'retry', httpStatus: null, error: networkError(err, peer.timeoutMs), retryAfterMs: null };
    }
    const verdict = classifyStatus(res.status);
    if (verdict === 'retry') return { outcome: 'retry', httpStatus: res.status, error: answerGist(res.status, text), retryAfterMs: retryAfterMs(res.headers.get('retry-after'), this.clock.now()) };
    if (verdict === 'dead') return { outcome: 'dead', httpStatus: res.status, error: answerGist(res.status, text) };
    let answer;
    try {
      answer = inboxAnswerSchema.parse(JSON.parse(text));
    } catch {
      // A 2xx that is not an InboxAnswer is not a Loa inbox (a proxy's page, a wrong base URL): try again later.
      return { outcome: 'retry', httpStatus: res.status, error: `not an inbox answer: ${answerGist(res.status, text)}`, retryAfterMs: null };
    }
    if (!answer.accepted && !answer.duplicate) return { outcome: 'dead', httpStatus: res.status, error: 'the peer did not accept it' };
    return { outcome: 'sent', httpStatus: res.status, remoteRef: answer.ref };
  }
}
