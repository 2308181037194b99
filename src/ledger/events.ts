/** The ledger's event record: what happened to which session's references, and who caused it. */
import type { Site } from './sites.js';

/** What changed a reference count. JS operations carry their API name in `via`. */
export type EventOp =
  | 'new' // SSL_SESSION_new
  | 'dup' // SSL_SESSION_dup
  | 'd2i' // d2i_SSL_SESSION
  | 'pem_read' // PEM_read_SSL_SESSION
  | 'get1' // SSL_get1_session and the new-session callback: a reference handed to JS
  | 'up_ref'
  | 'free'
  | 'created'; // OpenSSL created a session on its own (a handshake, a ticket)
// A count reaching 0 is a 'free' event with references 0: OpenSSL freed the memory then.

export interface LedgerEvent {
  /** Increasing sequence number, per instance. */
  seq: number;
  op: EventOp;
  /** The ledger's stable session id ("S3"), never the address. */
  session: string;
  /** OpenSSL's own reference count after the event (0: freed). */
  references: number;
  /**
   * Who did it: 'js' for a reference the JS side took or released itself; 'openssl' for one OpenSSL
   * took or dropped for another holder — even inside a JS call (SSL_set_session's up_ref is the
   * connection's reference, so it is OpenSSL's, via "C7 setSession").
   */
  cause: 'js' | 'openssl';
  /** The JS API call this happened in ("SSL_SESSION_up_ref", "Connection C2 handshake"). */
  via: string;
  /**
   * The holder that took or dropped the reference: a handle ("H4"), a connection ("C2"), a context's
   * cache ("X1 cache"), or the new-session callback before a handle took it ("C2 onNewSession").
   */
  holder: string;
  /** Where OpenSSL moved the reference ('cache-evict', 'set-session', ...); 'api' for a direct call. */
  site: Site;
  /** The JS stack, in debug mode. */
  stack?: string;
}

/** Keeps the newest `capacity` events (all of them in debug mode) without unbounded growth. */
export class EventLog {
  private ring: LedgerEvent[] = [];
  private start = 0;
  seq = 0;

  constructor(private readonly capacity: number) {}

  push(e: LedgerEvent): LedgerEvent {
    e.seq = ++this.seq;
    if (this.ring.length < this.capacity) this.ring.push(e);
    else {
      this.ring[this.start] = e;
      this.start = (this.start + 1) % this.capacity;
    }
    return e;
  }

  /** Oldest first. */
  all(): LedgerEvent[] {
    return this.ring.slice(this.start).concat(this.ring.slice(0, this.start));
  }

  clear(): void {
    this.ring = [];
    this.start = 0;
  }
}
