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

/**
 * Keeps the newest `capacity` events (all of them in debug mode) without unbounded growth. Stored
 * by column, so recording an event allocates nothing and keeps no object alive: a ring of event
 * objects was most of what the garbage collector had to do per up_ref+free. all() builds them.
 */
export class EventLog {
  private ops: EventOp[] = [];
  private sessions: string[] = [];
  private references: number[] = [];
  private causes: LedgerEvent['cause'][] = [];
  private vias: string[] = [];
  private holders: string[] = [];
  private sites: Site[] = [];
  private stacks: (string | undefined)[] = [];
  /** The slot of the oldest event once the ring is full. */
  private start = 0;
  seq = 0;

  constructor(private readonly capacity: number) {}

  /** Records an event; returns its sequence number. */
  push(
    op: EventOp,
    session: string,
    references: number,
    cause: LedgerEvent['cause'],
    via: string,
    holder: string,
    site: Site,
    stack: string | undefined,
  ): number {
    let at = this.ops.length;
    if (at === this.capacity) {
      at = this.start;
      if (++this.start === this.capacity) this.start = 0;
    }
    this.ops[at] = op;
    this.sessions[at] = session;
    this.references[at] = references;
    this.causes[at] = cause;
    this.vias[at] = via;
    this.holders[at] = holder;
    this.sites[at] = site;
    // Stacks come with the events of a debug instance; a release one never writes the column.
    if (stack !== undefined || this.stacks.length > 0) this.stacks[at] = stack;
    return ++this.seq;
  }

  /** Oldest first. */
  all(): LedgerEvent[] {
    const n = this.ops.length;
    const out: LedgerEvent[] = new Array(n);
    for (let k = 0; k < n; k++) {
      const at = (this.start + k) % n;
      const e: LedgerEvent = {
        seq: this.seq - n + 1 + k,
        op: this.ops[at],
        session: this.sessions[at],
        references: this.references[at],
        cause: this.causes[at],
        via: this.vias[at],
        holder: this.holders[at],
        site: this.sites[at],
      };
      const stack = this.stacks[at];
      if (stack !== undefined) e.stack = stack;
      out[k] = e;
    }
    return out;
  }

  clear(): void {
    this.ops = [];
    this.sessions = [];
    this.references = [];
    this.causes = [];
    this.vias = [];
    this.holders = [];
    this.sites = [];
    this.stacks = [];
    this.start = 0;
  }
}
