/**
 * What the rest of the connector (the receiving side included) needs to know about a peer, secrets included. The
 * REST API never returns this record; it answers with `SourcePeerView`, which carries no secret.
 */
export type PeerKind = 'loa' | 'rest';
/** upper: we send up to it and accept bulletins from it; lower: we send bulletins down to it and accept results. */
export type PeerRole = 'upper' | 'lower';

export type PeerOutboundAuth =
  | { type: 'none' }
  | { type: 'api-key'; header: string; key: string }
  | { type: 'basic'; username: string; password: string }
  | { type: 'oauth2'; tokenUrl: string; clientId: string; clientSecret: string; scope: string | null; clientAuth?: 'basic' | 'post' };
// clientAuth: absent on peers saved before it existed, which is 'basic'.

export interface PeerRecord {
  id: string;
  name: string;
  kind: PeerKind;
  role: PeerRole;
  /** We send up to it / accept bulletins from it (role 'upper'). */
  up: boolean;
  /** We send bulletins down to it / accept results from it (role 'lower'). */
  down: boolean;
  enabled: boolean;
  /** Base URL without a trailing slash, e.g. https://loa.hanoi.gov.vn */
  baseUrl: string;
  /** Our id at the peer (sent in SOURCE_PEER_HEADER on a Loa peer). */
  remotePeerId: string | null;
  /**
   * The secret WE generated for this peer (shown once at creation, given to the peer's operator): what the peer
   * sends us is signed with it and we verify with it (`verifySignature(inboundSecret, …)`).
   */
  inboundSecret: string;
  /**
   * The secret the PEER generated for us (typed in by our admin from the peer's "shown once"): we sign what we send
   * it with it. Null until set; a Loa peer without it cannot be sent to.
   */
  outboundSecret: string | null;
  outboundAuth: PeerOutboundAuth;
}

export abstract class SourcePeers {
  abstract get(peerId: string): Promise<PeerRecord | null>;
  abstract all(): Promise<PeerRecord[]>;
}
