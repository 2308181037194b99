/**
 * The ledger: one per instance. It knows every live session (by a stable id, not its address),
 * how many references each JS handle holds, and OpenSSL's own count (`references`);
 * it records every reference event with its cause, and answers who holds a session.
 */
import type { SessionPtr } from '../binding/abi.js';
import { type Binding, TRACE_WORDS } from '../binding/binding.js';
import { LeakError, type LeakReport } from '../errors.js';
import { EventLog, type EventOp, type LedgerEvent } from './events.js';
import { History, type Holder, type HolderKind, Holdings, removeAt } from './holdings.js';
import { type LeakInfo, type ObjectKind, ObjectWatch } from './objects.js';
import { type Site, type SiteHolder, siteName, siteOf } from './sites.js';

export type { Holder, HolderKind } from './holdings.js';

/** What the ledger knows of one SSL_SESSION. Identity is this object, never the address. */
export class SessionRecord {
  /** False once OpenSSL freed the session (its address may then be reused by another). */
  alive = true;
  /** References held through JS handles, summed over them (the `handle` holders' share of the count). */
  handleReferences = 0;
  /**
   * Handles (and views that took a reference) currently holding references, in order of their
   * first. An array, scanned: a Set entry for a fresh object per upRef() (its identity hash made
   * on the way) cost more than the rest of recording the reference.
   */
  readonly owners: Ownership[] = [];
  /** Every holder's references, derived from this session's events (with tracing). */
  readonly holdings = new Holdings();
  /** Debug mode: every event of this session (release mode reads the instance's event log instead). */
  readonly history: History | null;
  created?: string;
  released?: string;
  constructor(
    readonly ptr: SessionPtr,
    readonly id: string,
    debug: boolean,
  ) {
    this.history = debug ? new History(Number.POSITIVE_INFINITY) : null;
  }

  /** `own` no longer holds references (the newest owners go first: searched from the end). */
  removeOwner(own: Ownership): void {
    const at = this.owners.lastIndexOf(own);
    if (at >= 0) removeAt(this.owners, at);
  }
}

/** The ownership state behind one JS object (a Session handle, or a view that took references). */
export interface Ownership {
  readonly id: string;
  readonly record: SessionRecord;
  /** References held through this object (a Session starts at 1, a view at 0). */
  references: number;
  /** Whether this object ever owned a reference (distinguishes double free from freeing a borrow). */
  owned: boolean;
  created?: string;
  released?: string;
}

export interface HoldersReport {
  session: string;
  /** OpenSSL's own count (the session's `references` field). */
  references: number;
  /** The part of `references` held through JS handles (the `handle` holders' references, summed). */
  handleReferences: number;
  /** Every holder and its references: JS handles, connections, caches. */
  holders: Holder[];
  /** References no known holder accounts for (OpenSSL-internal, e.g. a handshake in progress). */
  unattributed: number;
}

export interface LiveSession {
  session: string;
  /** OpenSSL's own count (the session's `references` field). */
  references: number;
  /** The part of `references` held through JS handles. */
  handleReferences: number;
  /** The ids of the handles holding references ("H4"). */
  handles: string[];
  /** Every holder: JS handles, connections, caches. */
  holders: Holder[];
  created?: string;
}

export interface LedgerStats {
  liveSessions: number;
  /** References held through JS handles, over every live session. */
  handleReferences: number;
  /** Events by operation, JS-caused and OpenSSL-caused separately. */
  js: Partial<Record<EventOp, number>>;
  openssl: Partial<Record<EventOp, number>>;
  /** Calls refused before reaching C (double free, use after free, ...). */
  refused: number;
  /** Times OpenSSL's count fell below what JS holds: a bug, reported in violations(). */
  violations: number;
  /** Trace records lost to a full buffer (should stay 0). */
  lostTraceEvents: number;
}

/** A source of holders outside the JS handles (live connections, context caches), for an untraced instance. */
export type HolderSource = (ptr: SessionPtr) => Holder[];

/** Events of a session a violation quotes. */
const QUOTED = 6;

const OPS: Record<0 | 1 | 2, EventOp> = { 0: 'created', 1: 'up_ref', 2: 'free' };

/** Every EventOp, in the order stats() lists them; `counts` keeps one slot per op and cause. */
const EVENT_OPS: readonly EventOp[] = ['new', 'dup', 'd2i', 'pem_read', 'get1', 'up_ref', 'free', 'created'];
/** EVENT_OPS.indexOf(op), as compares of constant strings (a keyed lookup cost about 20 ns per event). */
function slotOf(op: EventOp): number {
  switch (op) {
    case 'new':
      return 0;
    case 'dup':
      return 1;
    case 'd2i':
      return 2;
    case 'pem_read':
      return 3;
    case 'get1':
      return 4;
    case 'up_ref':
      return 5;
    case 'free':
      return 6;
    default:
      return 7;
  }
}
for (const [i, op] of EVENT_OPS.entries()) if (slotOf(op) !== i) throw new Error(`slotOf(${op}) is not ${i}`);

/**
 * The ledger's writer: internal to the package. Users see the read-only Ledger (./public.ts),
 * which asks this object its questions inside the instance's trap guard.
 */
export class LedgerWriter {
  private readonly records = new Map<number, SessionRecord>();
  private readonly log: EventLog;
  private readonly holderSources = new Set<HolderSource>();
  /** Trace records not yet attributed, flat (TRACE_WORDS each: address, op, count after, site, holder). */
  private readonly pending: number[] = [];
  private readonly violationList: string[] = [];
  private nextSession = 0;
  private nextHandle = 0;
  /** The JS call OpenSSL's own reference changes are attributed to now, and its holder name if any. */
  private via = 'OpenSSL';
  private holder: string | undefined = undefined;
  private readonly outerVias: string[] = [];
  private readonly outerHolders: (string | undefined)[] = [];
  /** Events by op (slotOf) and cause: js in the first half, openssl in the second. */
  private readonly counts = new Float64Array(EVENT_OPS.length * 2);
  private refusedCount = 0;
  /** Connections and contexts, for leaks and for the names of trace holders. */
  readonly objects: ObjectWatch;
  /** Sessions whose events changed in the current outermost call (debug: checked against C after it). */
  private readonly touched = new Set<SessionRecord>();
  /** Handles a new-session callback gave back: OpenSSL's next free of that session is theirs. */
  private readonly handBacks = new Map<SessionRecord, Ownership>();
  private depth = 0;
  /** Release mode with tracing: see quiet(). */
  private readonly direct: boolean;
  /** The site of the record processPending last matched to a JS call. */
  private matchedSite: Site = 'api';
  private lost = 0;

  constructor(
    private readonly b: Binding,
    readonly debug: boolean,
    readonly tracing: boolean,
    onLeak: (id: string, info: LeakInfo) => void = () => {},
  ) {
    this.log = new EventLog(debug ? 1_000_000 : 10_000);
    this.direct = tracing && !debug;
    this.objects = new ObjectWatch(onLeak);
    b.x.osw_trace_enable(tracing ? 1 : 0);
  }

  // ---- public questions ------------------------------------------------------------------------

  /** The newest events, oldest first (the last 10,000; in debug mode the last 1,000,000). */
  events(): LedgerEvent[] {
    this.flush();
    return this.log.all();
  }

  /** Every session the ledger knows alive (with tracing: every live SSL_SESSION in the instance). */
  live(): LiveSession[] {
    this.flush();
    return [...this.records.values()].map((r) => ({
      session: r.id,
      references: this.b.x.osw_session_references(r.ptr),
      handleReferences: r.handleReferences,
      handles: r.owners.map((o) => o.id),
      holders: this.holdersOf(r).holders,
      ...(r.created ? { created: r.created } : {}),
    }));
  }

  stats(): LedgerStats {
    this.flush();
    let handleReferences = 0;
    for (const r of this.records.values()) handleReferences += r.handleReferences;
    return {
      liveSessions: this.records.size,
      handleReferences,
      js: this.countsOf(0),
      openssl: this.countsOf(EVENT_OPS.length),
      refused: this.refusedCount,
      violations: this.violationList.length,
      lostTraceEvents: this.lost,
    };
  }

  private countsOf(from: number): Partial<Record<EventOp, number>> {
    const out: Partial<Record<EventOp, number>> = {};
    EVENT_OPS.forEach((op, i) => {
      const n = this.counts[from + i];
      if (n > 0) out[op] = n;
    });
    return out;
  }

  /** Invariant violations seen (OpenSSL's count below what JS holds): each one is a bug. */
  violations(): string[] {
    return [...this.violationList];
  }

  /** The record of the live session with the ledger's id `id` ("S3"), or undefined. */
  liveRecord(id: string): SessionRecord | undefined {
    this.flush();
    for (const r of this.records.values()) if (r.id === id) return r;
    return undefined;
  }

  /**
   * Who holds references to the session: JS handles, connections, context caches. With tracing the
   * holders are derived from the session's events (and checked against C); without, they are read
   * from the state (the handles, the live connections' sessions, the caches' owner field).
   */
  holdersOf(record: SessionRecord): HoldersReport {
    this.flush();
    const references = record.alive ? this.b.x.osw_session_references(record.ptr) : 0;
    let holders: Holder[];
    if (this.tracing) holders = record.holdings.list();
    else {
      holders = record.owners.map((o) => ({ kind: 'handle', id: o.id, references: o.references }));
      if (record.alive) for (const source of this.holderSources) holders.push(...source(record.ptr));
    }
    const known = holders.reduce((n, h) => n + h.references, 0);
    return {
      session: record.id,
      references,
      handleReferences: record.handleReferences,
      holders,
      unattributed: Math.max(0, references - known),
    };
  }

  /** Every reference taken and dropped for the session, oldest first, with holder, site and (debug) stack. */
  historyOf(record: SessionRecord): LedgerEvent[] {
    this.flush();
    return record.history?.all() ?? this.log.all().filter((e) => e.session === record.id);
  }

  /** C heap bytes in use now (the allocator's count): compare before and after to catch leaks inside C. */
  heapBytes(): number {
    return this.b.heapInUse();
  }

  /**
   * Throws LeakError naming every session a JS handle still holds references to (with the takes
   * never given back: holder, site, call, stack in debug mode), every session holding references
   * nobody accounts for, and every connection and context not freed. With tracing, first checks
   * every live session's holders against C's count (a disagreement is a violation).
   */
  assertNoLeaks(): void {
    this.flush();
    const leaks: LeakReport[] = [];
    for (const r of this.records.values()) {
      const c = this.b.x.osw_session_references(r.ptr);
      if (this.tracing) this.crossCheck(r, 'assertNoLeaks', c);
      const lost = this.tracing ? Math.max(0, c - r.holdings.total) : 0;
      if (r.handleReferences > 0 || lost > 0) {
        leaks.push({
          sessionId: r.id,
          handleReferences: r.handleReferences,
          references: c,
          ...(r.created ? { created: r.created } : {}),
          unmatched: r.holdings.unmatched(['handle']).map((t) => ({
            holder: t.holder,
            site: t.event.site,
            via: t.event.via,
            seq: t.event.seq,
            ...(t.event.stack ? { stack: t.event.stack } : {}),
          })),
          ...(lost > 0 ? { unattributed: lost } : {}),
        });
      }
    }
    const objects = this.objects.live();
    if (leaks.length > 0 || objects.length > 0) throw new LeakError(leaks, objects);
  }

  // ---- used by the layers above ----------------------------------------------------------------

  /** Registers a source of holders (a connection, a context cache); returns its removal. */
  addHolderSource(source: HolderSource): () => void {
    // With tracing the holders come from the events; a source would only keep its object alive.
    if (this.tracing) return () => {};
    this.holderSources.add(source);
    return () => this.holderSources.delete(source);
  }

  /** Runs one JS operation; OpenSSL's own reference changes inside it are attributed to `via`. */
  run<T>(via: string, holder: string | undefined, fn: () => T): T {
    this.enter(via, holder);
    try {
      return fn();
    } finally {
      this.leave(via);
    }
  }

  /**
   * run() without a closure, for the hot paths: `enter(via, holder)`, then `leave(via)` in a
   * finally. The outer calls' contexts wait on two stacks (no object per call).
   */
  enter(via: string, holder: string | undefined): void {
    // What OpenSSL did before this call (e.g. inside the handshake that is calling us back)
    // belongs to the outer call.
    this.flush();
    this.open(via, holder);
  }

  /** The call context of enter(), without attributing what is pending (nothing is, or it is this call's). */
  private open(via: string, holder: string | undefined): void {
    this.outerVias.push(this.via);
    this.outerHolders.push(this.holder);
    this.via = via;
    this.holder = holder;
    this.depth++;
  }

  leave(via: string): void {
    try {
      this.flush();
    } finally {
      this.via = this.outerVias.pop() as string;
      this.holder = this.outerHolders.pop();
      if (--this.depth === 0 && this.debug && this.tracing) {
        this.checkNoPendingSite(via);
        for (const r of this.touched) this.crossCheck(r, via);
        this.touched.clear();
      }
    }
  }

  /** The holders derived from the events must add up to OpenSSL's own count. */
  private crossCheck(r: SessionRecord, after: string, c = r.alive ? this.b.x.osw_session_references(r.ptr) : 0): void {
    if (r.holdings.total === c) return;
    const holders = r.holdings
      .list()
      .map((h) => `${h.id} ${h.references}`)
      .join(', ');
    const last = (
      r.history?.last(QUOTED) ??
      this.log
        .all()
        .filter((e) => e.session === r.id)
        .slice(-QUOTED)
    )
      .map((e) => `#${e.seq} ${e.op} ${e.site} ${e.holder ?? '?'} -> ${e.references} (${e.via})`)
      .join('; ');
    this.violationList.push(
      `after ${after}: ${r.id}'s holders (${holders || 'none'}) add up to ${r.holdings.total} but OpenSSL counts ${c}; last events: ${last}`,
    );
  }

  /** A site patch 0001 named that no reference change consumed would be given to the next one. */
  private checkNoPendingSite(via: string): void {
    const code = this.b.x.osw_trace_pending_site();
    if (code === 0) return;
    this.b.x.osw_trace_enable(1); // clears it
    this.violationList.push(`after ${via}: OpenSSL named the site ${siteOf(code).site} (${code}) for a reference change that never came`);
  }

  /** Counts a refused call (the refusal itself is the thrown error). */
  refused(): void {
    this.refusedCount++;
  }

  stack(): string | undefined {
    if (!this.debug) return undefined;
    // The caller's own frame lies about ten frames below this one: V8's default limit (10) cut it off.
    const E = Error as { stackTraceLimit?: number };
    const limit = E.stackTraceLimit;
    if (limit !== undefined) E.stackTraceLimit = Math.max(limit, 50);
    try {
      return new Error().stack?.split('\n').slice(3).join('\n');
    } finally {
      if (limit !== undefined) E.stackTraceLimit = limit;
    }
  }

  /** The record of a live session at ptr, creating it when the ledger has not seen it yet. */
  recordFor(ptr: SessionPtr): SessionRecord {
    this.flush();
    let r = this.records.get(ptr);
    if (!r?.alive) {
      r = this.newRecord(ptr);
    }
    return r;
  }

  /**
   * JS now holds one more reference to ptr, which the call just made gave it (new, dup, d2i, PEM
   * read, get1): records the event and returns the ownership for a new handle.
   */
  adopt(ptr: SessionPtr, op: EventOp, via: string, opcode: 0 | 1): Ownership {
    const id = `H${++this.nextHandle}`;
    const references = this.consume(ptr, opcode, op, via, id);
    const record = this.records.get(ptr) ?? this.recordFor(ptr);
    const own = this.newOwnership(record, 1, id);
    record.handleReferences++;
    record.owners.push(own);
    this.check(record, references);
    return own;
  }

  /** A new, empty ownership (a view that has not taken a reference). */
  newOwnership(record: SessionRecord, references: number, id = `H${++this.nextHandle}`): Ownership {
    const own: Ownership = { id, record, references, owned: references > 0 };
    if (this.debug) own.created = this.stack();
    return own;
  }

  /**
   * Whether a JS call may skip its call context (enter/leave) and record its own reference change
   * directly: release mode with tracing, nothing pending and the trace empty, so no record of
   * OpenSSL's own waits to be given to the outer call. Asked just before the C call; the record
   * then goes through `quiet` = true (tookReference, releasedReference).
   */
  quiet(): boolean {
    return this.direct && this.pending.length === 0 && this.b.traceCount() === 0;
  }

  /**
   * The JS call's own change (up_ref or free of `record`, through `holder`) after quiet() held:
   * when it is the one record in the trace (the common case) it is read in place and recorded
   * (event, take or drop, count) with the record the handle already has, no lookup; otherwise it
   * is attributed as inside enter()/leave(). Returns OpenSSL's count after it.
   */
  private quietConsume(record: SessionRecord, opcode: 1 | 2, op: EventOp, via: string, holder: string): number {
    const b = this.b;
    if (b.traceCount() === 1) {
      const w = b.traceRecords(1);
      if (w[0] >>> 0 === record.ptr && w[1] === opcode) {
        const references = w[2];
        const site = siteName(w[3]);
        this.lost += b.resetTrace();
        this.emit(op, record, references, 'js', via, holder, 'handle', site);
        return references;
      }
    }
    this.open(via, undefined);
    try {
      return this.consume(record.ptr, opcode, op, via, holder);
    } finally {
      this.leave(via);
    }
  }

  /** A quiet call's C call failed: whatever it wrote to the trace is attributed to it, as leave() would. */
  settle(via: string): void {
    this.open(via, undefined);
    this.leave(via);
  }

  /** After SSL_SESSION_up_ref succeeded for `own` (`quiet`: quiet() held before it, and no enter()). */
  tookReference(own: Ownership, via: string, quiet = false): void {
    const record = own.record;
    const references = quiet ? this.quietConsume(record, 1, 'up_ref', via, own.id) : this.consume(record.ptr, 1, 'up_ref', via, own.id);
    own.owned = true;
    record.handleReferences++;
    // An owner is in `owners` exactly while it holds references: only its first one adds it.
    if (++own.references === 1) record.owners.push(own);
    this.check(record, references);
  }

  /** Call just before SSL_SESSION_free for `own`; returns the count to expect without tracing. */
  beforeRelease(own: Ownership): number {
    return this.tracing ? -1 : this.b.x.osw_session_references(own.record.ptr) - 1;
  }

  /**
   * A new-session callback did not keep its handle (returned false or threw): OpenSSL drops the one
   * reference it handed over, and that reference is the handle's. Any other reference the callback
   * took through the handle (SSL_SESSION_up_ref) stays the handle's, to free or to be reported.
   */
  handedBack(own: Ownership): void {
    if (own.references === 0) return;
    if (this.tracing)
      this.handBacks.set(own.record, own); // applied when OpenSSL's free arrives
    else this.giveBack(own);
  }

  private giveBack(own: Ownership): void {
    own.references--;
    own.record.handleReferences--;
    if (own.references === 0) {
      own.record.removeOwner(own);
      if (this.debug) own.released = this.stack();
    }
    if (!this.tracing && own.record.handleReferences === 0) this.records.delete(own.record.ptr);
  }

  /** After SSL_SESSION_free released one reference held through `own`. */
  releasedReference(own: Ownership, via: string, expected: number, quiet = false): void {
    const record = own.record;
    own.references--;
    record.handleReferences--;
    if (own.references === 0) {
      record.removeOwner(own);
      if (this.debug) own.released = this.stack();
    }
    const references = quiet
      ? this.quietConsume(record, 2, 'free', via, own.id)
      : this.consume(record.ptr, 2, 'free', via, own.id, expected);
    if (references === 0) this.kill(record);
    else if (!this.tracing && record.handleReferences === 0) this.records.delete(record.ptr); // no longer ours to follow
    this.check(record, references);
  }

  // ---- trace processing --------------------------------------------------------------------------

  private drain(): void {
    if (this.tracing) this.lost += this.b.drainTraceInto(this.pending);
  }

  /** Attributes every pending trace record to OpenSSL (inside the current JS call). */
  private flush(): void {
    this.drain();
    if (this.pending.length > 0) this.processPending(-1, -1);
  }

  /**
   * Finds the trace record of the JS call just made (ptr, opcode), attributing earlier records to
   * OpenSSL; records the JS event and returns OpenSSL's count after it.
   */
  private consume(ptr: SessionPtr, opcode: 0 | 1 | 2, op: EventOp, via: string, holder: string, expected?: number): number {
    const matched = this.justThis(ptr, opcode) ?? this.drainedMatch(ptr, opcode);
    const references = matched >= 0 ? matched : (expected ?? this.b.x.osw_session_references(ptr));
    const known = this.records.get(ptr);
    const record = known?.alive && !(opcode === 0 && matched < 0) ? known : this.createRecord(ptr);
    this.emit(op, record, references, 'js', via, holder, 'handle', matched >= 0 ? this.matchedSite : 'api');
    return references;
  }

  /** Drains the trace and finds the call's own record in it (-1: none). */
  private drainedMatch(ptr: SessionPtr, opcode: number): number {
    this.drain();
    return this.pending.length > 0 ? this.processPending(ptr, opcode) : -1;
  }

  /**
   * The common case, read in place: nothing pending, and the call's own record (ptr, opcode) is
   * the only one OpenSSL wrote. Its count, or undefined when the case is another (then drained).
   */
  private justThis(ptr: SessionPtr, opcode: number): number | undefined {
    if (!this.tracing || this.pending.length > 0 || this.b.traceCount() !== 1) return undefined;
    const w = this.b.traceRecords(1);
    if (w[0] >>> 0 !== ptr || w[1] !== opcode) return undefined;
    const references = w[2];
    this.matchedSite = siteName(w[3]);
    this.lost += this.b.resetTrace();
    if (opcode === 0) this.createRecord(ptr);
    return references;
  }

  /**
   * Applies pending records in order as OpenSSL's own, up to the last one matching (stopPtr,
   * stopOp): the JS call's own record — the last, because OpenSSL may touch the same session
   * earlier in the same call, e.g. a cache insert before handing the new-session callback its
   * reference. Returns the match's count (-1: none); records after it stay pending.
   */
  private processPending(stopPtr: number, stopOp: number): number {
    const q = this.pending;
    let until = q.length;
    if (stopOp >= 0) {
      for (let i = q.length - TRACE_WORDS; i >= 0; i -= TRACE_WORDS) {
        if (q[i] === stopPtr && q[i + 1] === stopOp) {
          until = i;
          break;
        }
      }
    }
    for (let i = 0; i < until; i += TRACE_WORDS) {
      const ptr = q[i] as SessionPtr;
      const opcode = q[i + 1] as 0 | 1 | 2;
      const references = q[i + 2];
      const site = siteOf(q[i + 3]);
      const record = opcode === 0 ? this.createRecord(ptr) : (this.records.get(ptr) ?? this.createRecord(ptr));
      const [holder, kind] = this.holderOf(record, opcode, site.site, site.holder, q[i + 4]);
      this.emit(OPS[opcode], record, references, 'openssl', this.via, holder, kind, site.site);
      if (opcode === 2 && references === 0) this.kill(record);
      else this.check(record, references);
    }
    let matched = -1;
    if (until < q.length) {
      if (stopOp === 0) this.createRecord(stopPtr as SessionPtr);
      matched = q[until + 2];
      this.matchedSite = siteName(q[until + 3]);
      if (until + TRACE_WORDS === q.length) q.length = 0;
      else q.splice(0, until + TRACE_WORDS);
    } else {
      q.length = 0;
    }
    return matched;
  }

  /**
   * The holder a trace record names: the context's cache or the connection its pointer is; for the
   * new-session callback's hand-off, the handle it was given (or, before one exists, the callback).
   */
  private holderOf(record: SessionRecord, opcode: number, site: Site, kind: SiteHolder, ptr: number): [string, HolderKind] {
    if (site === 'new-session-cb' && opcode === 2) {
      const own = this.handBacks.get(record);
      if (own !== undefined) {
        this.handBacks.delete(record);
        this.giveBack(own);
        return [own.id, 'handle'];
      }
    }
    if (kind === 'cache') return [`${this.objects.nameOf('context', ptr) ?? 'unknown context'} cache`, 'cache'];
    const connection = this.objects.nameOf('connection', ptr);
    if (kind === 'connection') return [connection ?? 'unknown connection', 'connection'];
    // A hand-off to the new-session callback no handle took (the callback threw or was not set).
    if (ptr !== 0) return [`${connection ?? 'unknown connection'} onNewSession`, 'callback'];
    return [this.holder ?? `unknown (${this.via})`, 'callback'];
  }

  private createRecord(ptr: SessionPtr): SessionRecord {
    const old = this.records.get(ptr);
    if (old?.alive) this.kill(old); // the address was reused without the ledger seeing the free
    return this.newRecord(ptr);
  }

  private newRecord(ptr: SessionPtr): SessionRecord {
    const r = new SessionRecord(ptr, `S${++this.nextSession}`, this.debug);
    if (this.debug) r.created = this.stack();
    this.records.set(ptr, r);
    return r;
  }

  private kill(record: SessionRecord): void {
    if (!record.alive) return;
    record.alive = false;
    if (this.debug) record.released = this.stack();
    if (this.records.get(record.ptr) === record) this.records.delete(record.ptr);
    if (record.handleReferences > 0) {
      this.violationList.push(`${record.id} was freed by OpenSSL while its handles still held ${record.handleReferences} reference(s)`);
    }
    this.handBacks.delete(record);
    if (this.tracing && record.holdings.total !== 0) this.crossCheck(record, this.via, 0);
  }

  private check(record: SessionRecord, references: number): void {
    if (record.alive && references < record.handleReferences) {
      this.violationList.push(
        `${record.id}: OpenSSL counts ${references} references, fewer than the ${record.handleReferences} its handles hold`,
      );
    }
  }

  private emit(
    op: EventOp,
    record: SessionRecord,
    references: number,
    cause: 'js' | 'openssl',
    via: string,
    holder: string,
    kind: HolderKind,
    site: Site,
  ): void {
    this.counts[(cause === 'js' ? 0 : EVENT_OPS.length) + slotOf(op)]++;
    const stack = this.debug ? this.stack() : undefined;
    const seq = this.log.push(op, record.id, references, cause, via, holder, site, stack);
    // An event object only where one is kept: a session's history (debug mode), an open take.
    let event: LedgerEvent | undefined;
    if (this.debug) {
      event = { seq, op, session: record.id, references, cause, via, holder, site, stack };
      record.history?.push(event);
      this.touched.add(record);
    }
    if (!this.tracing) return;
    if (op !== 'free') record.holdings.take(holder, kind, event ?? { seq, op, session: record.id, references, cause, via, holder, site });
    else if (!record.holdings.drop(holder, site === 'new-session-cb' ? site : undefined)) {
      this.violationList.push(`${record.id}: ${holder} released a reference it did not hold (#${seq} ${site}, ${via})`);
    }
  }

  /** Registers a connection or context (its name in trace records; watched for leaks). */
  track(kind: ObjectKind, ptr: number, id: string, object: object): void {
    this.objects.track(kind, ptr, id, object, this.debug ? this.stack() : undefined);
  }

  /** The connection or context was freed. */
  untrack(id: string, object: object): void {
    this.objects.untrack(id, object);
  }
}
