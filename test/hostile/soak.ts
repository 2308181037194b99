// The soak: a long random mix of session operations and in-memory handshakes with misuse injected
// (double free, use after free, objects of another instance, frees of views, expired views, wrong
// types, freed connections and contexts, frees from inside callbacks). Every misuse must be refused
// with its own error class; at the end everything is freed and the ledger, OpenSSL's counts and the
// C heap must be back where they started. Shared by soak.test.ts and run-soak.ts.
import {
  BorrowExpiredError,
  CallbackError,
  type Connection,
  type Context,
  DoubleFreeError,
  ForeignObjectError,
  type GeneratedCertificate,
  type InMemoryPair,
  InvalidArgumentError,
  NotOwnedError,
  type OpenSSL,
  OpenSSLError,
  ReentrancyError,
  type Session,
  type SessionView,
  TLSError,
  UseAfterFreeError,
} from '../../dist/index.js';
import { HEAP_SLACK, type HeapBatch, heapBook } from './heap.js';
import { type CorpusEntry, createRng, describeError, HOSTNAME, type Rng } from './inputs.js';
import { wireContexts } from './wire.js';

/** An error class a misuse must be refused with. */
type ErrorClass = abstract new (...args: never[]) => Error;

const MAX_HANDLES = 256;
const MAX_LIVE_PAIRS = 4;
const MAX_FREED = 64;

const READS: ((s: Session | SessionView) => unknown)[] = [
  (s) => s.protocolVersion,
  (s) => s.id,
  (s) => s.cipher,
  (s) => s.hostname,
  (s) => s.time,
  (s) => s.timeout,
  (s) => s.isResumable,
  (s) => s.hasTicket,
  (s) => s.masterKey,
  (s) => s.peerCertificate,
  (s) => s.alpnSelected,
  (s) => s.ticketLifetimeHint,
  (s) => s.maxEarlyData,
  (s) => s.ticketAppData,
  (s) => s.idContext,
  (s) => s.toDER(),
];

/** Removes and returns a random element (order does not matter). */
function takeRandom<T>(r: Rng, list: T[]): T {
  const i = r.int(list.length);
  const item = list[i];
  list[i] = list[list.length - 1];
  list.pop();
  return item;
}

/** What a soak pass counted. */
export interface PassStats {
  ops: number;
  handshakes: number;
  resumed: number;
  handshakeFailures: Record<string, number>;
  misuse: number;
  /** Refused misuse by error class (a CallbackError by its cause: "CallbackError(ReentrancyError)"). */
  refused: Record<string, number>;
  opensslRefused: number;
  argumentRefused: number;
  unexpected: { seed: number; at: number; what: string; error: string }[];
}

interface PassOptions {
  seed: number;
  ops: number;
  handshakes: number;
  onProgress?: (stats: PassStats) => void;
}

/** A handle and the references it holds (the model). */
interface ModelHandle {
  s: Session;
  references: number;
}

interface SoakPair {
  protocol: string;
  tickets: boolean;
  server: Context;
  client: Context;
  resumable: Session[];
}

/**
 * One soak pass: builds its contexts, runs until `ops` session operations and `handshakes`
 * handshakes are done, frees everything it made, and returns the counts.
 */
function pass(
  ossl: OpenSSL,
  other: OpenSSL,
  identity: GeneratedCertificate,
  corpus: readonly CorpusEntry[],
  { seed, ops, handshakes, onProgress }: PassOptions,
): PassStats {
  const r = createRng(seed ^ 0x736f616b, 0);
  const stats: PassStats = {
    ops: 0,
    handshakes: 0,
    resumed: 0,
    handshakeFailures: {},
    misuse: 0,
    refused: {},
    opensslRefused: 0,
    argumentRefused: 0,
    unexpected: [],
  };
  const handles: ModelHandle[] = []; // the model of what JS holds through each handle
  const freed: Session[] = []; // handles whose references are all released
  const views: { v: SessionView; pair: InMemoryPair }[] = []; // borrowed views and where from
  const livePairs: InMemoryPair[] = [];
  const freedConnections: Connection[] = [];
  const foreign = [other.SSL_SESSION_new(), other.d2i_SSL_SESSION(corpus[0].der)];
  const deadContext = ossl.createContext({ role: 'client', verify: false });
  deadContext.free();

  const keep = (s: Session): void => {
    handles.push({ s, references: 1 });
  };
  const pairs = wireContexts(ossl, identity, { sessionCacheSize: 64 }).map(({ protocol, tickets, server, client }) => {
    const entry: SoakPair = { protocol, tickets, server, client, resumable: [] };
    client.onNewSession((s) => {
      if (handles.length >= MAX_HANDLES || !r.chance(0.4)) return false; // OpenSSL takes the reference back
      keep(s);
      entry.resumable.push(s);
      if (entry.resumable.length > 4) entry.resumable.shift();
      return true;
    });
    server.onRemoveSession(() => {});
    return entry;
  });

  /** Runs a misuse that must be refused with `expected` (one class, or a list of acceptable ones). */
  const misuse = (name: string, expected: ErrorClass | ErrorClass[], call: () => unknown): void => {
    stats.ops++;
    stats.misuse++;
    const classes = Array.isArray(expected) ? expected : [expected];
    try {
      call();
    } catch (error) {
      if (error instanceof Error && classes.some((c) => error instanceof c)) {
        const key = error instanceof CallbackError ? `CallbackError(${(error.cause as Error | undefined)?.name})` : error.name;
        stats.refused[key] = (stats.refused[key] ?? 0) + 1;
        return;
      }
      if (stats.unexpected.length < 10) stats.unexpected.push({ seed, at: stats.ops, what: name, error: describeError(error) });
      return;
    }
    if (stats.unexpected.length < 10) stats.unexpected.push({ seed, at: stats.ops, what: name, error: 'was not refused' });
  };

  /** A legitimate operation: typed OpenSSL refusals (bad values) are fine, anything else is not. */
  const op = (name: string, call: () => unknown): void => {
    stats.ops++;
    try {
      call();
    } catch (error) {
      if (error instanceof OpenSSLError) stats.opensslRefused++;
      else if (error instanceof InvalidArgumentError) stats.argumentRefused++;
      else if (stats.unexpected.length < 10) stats.unexpected.push({ seed, at: stats.ops, what: name, error: describeError(error) });
    }
  };

  const releaseOne = (h: ModelHandle): void => {
    if (r.chance(0.5)) h.s.free();
    else ossl.SSL_SESSION_free(h.s);
    h.references--;
    if (h.references === 0) {
      const i = handles.indexOf(h);
      handles[i] = handles[handles.length - 1];
      handles.pop();
      freed.push(h.s);
      if (freed.length > MAX_FREED) freed.shift();
      for (const p of pairs) {
        const j = p.resumable.indexOf(h.s);
        if (j >= 0) p.resumable.splice(j, 1);
      }
    }
  };

  const retirePair = (pair: InMemoryPair, abort: boolean): void => {
    if (abort) {
      pair.client.free({ abort: true });
      pair.server.free({ abort: true });
    } else pair.free();
    freedConnections.push(pair.client, pair.server);
    if (freedConnections.length > 16) freedConnections.splice(0, 2);
  };

  const sessionOp = () => {
    const room = handles.length < MAX_HANDLES;
    const kind = r.weighted({
      new: room ? 4 : 0,
      d2i: room ? 5 : 0,
      pem: room ? 2 : 0,
      dup: room && handles.length ? 4 : 0,
      upRef: room && handles.length ? 4 : 0,
      upRefInto: handles.length ? 3 : 0,
      free: handles.length ? 18 : 0,
      read: handles.length ? 22 : 0,
      write: handles.length ? 8 : 0,
      badWrite: handles.length ? 2 : 0,
      encode: handles.length ? 4 : 0,
      cache: handles.length ? 4 : 0,
      view: livePairs.length ? 5 : 0,
      viewRead: views.length ? 4 : 0,
      viewUpRef: room && views.length ? 2 : 0,
      ledger: 1,
    });
    // Every kind but new, d2i, pem, view, viewRead, viewUpRef and ledger has a weight only when a handle exists.
    const h = (handles.length ? r.pick(handles) : null) as ModelHandle;
    switch (kind) {
      case 'new':
        return op(kind, () => keep(ossl.SSL_SESSION_new()));
      case 'd2i':
        return op(kind, () => keep(ossl.d2i_SSL_SESSION(r.pick(corpus).der)));
      case 'pem':
        return op(kind, () => keep(ossl.PEM_read_SSL_SESSION(r.pick(corpus).pem)));
      case 'dup':
        return op(kind, () => keep(r.chance(0.5) ? h.s.dup() : ossl.SSL_SESSION_dup(h.s)));
      case 'upRef':
        return op(kind, () => keep(h.s.upRef()));
      case 'upRefInto':
        return op(kind, () => {
          if (ossl.SSL_SESSION_up_ref(h.s) === 1) h.references++;
        });
      case 'free':
        return op(kind, () => releaseOne(h));
      case 'read':
        return op(kind, () => r.pick(READS)(h.s));
      case 'write':
        return op(kind, () => {
          const s = h.s;
          const field = r.int(7);
          if (field === 0) s.hostname = r.chance(0.5) ? 'soak.example.test' : null;
          else if (field === 1) s.time = Math.floor(Date.now() / 1000) - r.int(1000);
          else if (field === 2) s.timeout = 1 + r.int(100_000);
          else if (field === 3) s.alpnSelected = r.bytes(1 + r.int(10));
          else if (field === 4) s.ticketAppData = r.bytes(r.int(64));
          else if (field === 5) s.maxEarlyData = r.int(65_536);
          else s.masterKey = r.bytes(r.pick([16, 32, 48]));
        });
      case 'badWrite':
        // Values OpenSSL refuses (OpenSSLError) or the facade refuses (InvalidArgumentError).
        return op(kind, () => {
          const field = r.int(5);
          if (field === 0) h.s.id = r.bytes(33);
          else if (field === 1) h.s.idContext = r.bytes(33);
          else if (field === 2)
            h.s.masterKey = r.bytes(513); // beyond OpenSSL's 512
          else if (field === 3) h.s.time = 2 ** 40;
          else h.s.id = r.bytes(32); // refused (InvalidArgumentError) only while the session is in a cache
        });
      case 'encode':
        return op(kind, () => {
          const back = r.chance(0.5) ? ossl.d2i_SSL_SESSION(h.s.toDER()) : ossl.PEM_read_SSL_SESSION(h.s.toPEM());
          back.free();
        });
      case 'cache':
        return op(kind, () => {
          const ctx = r.pick(pairs).server;
          if (r.chance(0.6)) ctx.addSession(h.s);
          else ctx.removeSession(h.s);
        });
      case 'view':
        return op(kind, () => {
          const pair = r.pick(livePairs);
          const v = (r.chance(0.5) ? pair.client : pair.server).getSession();
          if (v) views.push({ v: v as SessionView, pair });
          if (views.length > 32) views.shift();
        });
      case 'viewRead': {
        const { v, pair } = r.pick(views);
        // A view of a live connection may have expired already (a TLS 1.3 ticket replaced the session).
        if (pair.client.isFreed) return misuse('expired view read', BorrowExpiredError, () => r.pick(READS)(v));
        stats.ops++;
        try {
          r.pick(READS)(v);
        } catch (error) {
          if (!(error instanceof BorrowExpiredError) && stats.unexpected.length < 10)
            stats.unexpected.push({ seed, at: stats.ops, what: 'view read', error: describeError(error) });
        }
        return;
      }
      case 'viewUpRef': {
        const { v, pair } = r.pick(views);
        if (pair.client.isFreed) return misuse('expired view upRef', BorrowExpiredError, () => keep(v.upRef()));
        stats.ops++;
        try {
          keep(v.upRef());
        } catch (error) {
          if (!(error instanceof BorrowExpiredError) && stats.unexpected.length < 10)
            stats.unexpected.push({ seed, at: stats.ops, what: 'view upRef', error: describeError(error) });
        }
        return;
      }
      default:
        return op(kind, () => {
          if (h) ossl.ledger.holders(h.s);
          const violations = ossl.ledger.violations();
          if (violations.length > 0) throw new Error(`ledger violation: ${JSON.stringify(violations[0])}`);
        });
    }
  };

  const misuseOp = () => {
    const kind = r.weighted({
      doubleFree: freed.length ? 4 : 0,
      useAfterFree: freed.length ? 4 : 0,
      foreign: 3,
      freeView: views.length ? 3 : 0,
      wrongType: 1,
      freedConnection: freedConnections.length ? 2 : 0,
      freedContext: 1,
    });
    switch (kind) {
      case 'doubleFree': {
        const s = r.pick(freed);
        return misuse(kind, DoubleFreeError, () => (r.chance(0.5) ? s.free() : ossl.SSL_SESSION_free(s)));
      }
      case 'useAfterFree': {
        const s = r.pick(freed);
        return misuse(kind, UseAfterFreeError, () => (r.chance(0.8) ? r.pick(READS)(s) : ossl.SSL_SESSION_up_ref(s)));
      }
      case 'foreign': {
        const f = r.pick(foreign);
        const target = r.int(5);
        return misuse(kind, ForeignObjectError, () => {
          if (target === 0) ossl.SSL_SESSION_free(f);
          else if (target === 1) ossl.SSL_SESSION_up_ref(f);
          else if (target === 2) ossl.i2d_SSL_SESSION(f);
          else if (target === 3) r.pick(pairs).server.addSession(f);
          else ossl.SSL_SESSION_get_master_key(f);
        });
      }
      case 'freeView': {
        const { v } = r.pick(views);
        return misuse(kind, NotOwnedError, () => ossl.SSL_SESSION_free(v));
      }
      case 'wrongType':
        return r.chance(0.5)
          ? misuse(kind, TypeError, () => ossl.SSL_SESSION_free(r.pick<unknown>([42, {}, 'session', [], new Uint8Array(4)]) as Session))
          : misuse(kind, InvalidArgumentError, () =>
              ossl.d2i_SSL_SESSION(r.pick<unknown>([detached(), detached().buffer, detached(), detached().buffer]) as Uint8Array),
            );
      case 'freedConnection': {
        const c = r.pick(freedConnections);
        return misuse(kind, UseAfterFreeError, () => (r.chance(0.5) ? c.read() : c.getSession()));
      }
      default:
        return misuse(kind, UseAfterFreeError, () => deadContext.newConnection());
    }
  };

  const handshake = (): void => {
    const entry = r.pick(pairs);
    const resume = entry.resumable.length > 0 && r.chance(0.4) ? r.pick(entry.resumable) : undefined;
    const flavour = r.weighted({ plain: 90, wrongName: 3, freeOwnConnection: 2, freeOwnContext: 2, setSessionInside: 3 });
    stats.handshakes++;
    if (flavour !== 'plain') {
      // Misuse from inside a callback, or a hostname the certificate does not name.
      const restoreServerCb = flavour === 'freeOwnConnection' || flavour === 'freeOwnContext' || flavour === 'setSessionInside';
      if (flavour === 'freeOwnConnection') entry.server.onNewSession((_s, c) => c.free());
      if (flavour === 'freeOwnContext') entry.server.onNewSession(() => entry.server.free());
      // setSession from inside: refused as reentrant, or first as foreign when the session is another instance's.
      const inside = r.chance(0.5) ? foreign[0] : r.pick(handles)?.s;
      if (flavour === 'setSessionInside') entry.server.onNewSession((_s, c) => c.setSession(inside ?? foreign[0]));
      const expected = flavour === 'wrongName' ? TLSError : CallbackError;
      const wantCause = flavour === 'setSessionInside' && (inside ?? foreign[0]) === foreign[0] ? ForeignObjectError : ReentrancyError;
      try {
        misuse(`handshake ${flavour}`, expected, () => {
          try {
            ossl
              .connectInMemory(entry.client, entry.server, { hostname: flavour === 'wrongName' ? 'wrong.example.test' : HOSTNAME })
              .free();
          } catch (error) {
            if (error instanceof CallbackError && !(error.cause instanceof wantCause))
              throw new Error(`CallbackError caused by ${(error.cause as Error | undefined)?.name}`);
            throw error;
          }
        });
      } finally {
        if (restoreServerCb) entry.server.onNewSession(null);
      }
      // The server only calls onNewSession when it caches (TLS 1.2 / TLS 1.3 stateful): elsewhere
      // the handshake completes and is not a misuse (counted as a completed handshake instead).
      const last = stats.unexpected.at(-1);
      if (last && last.what === `handshake ${flavour}` && last.error === 'was not refused' && flavour !== 'wrongName' && entry.tickets) {
        stats.unexpected.pop();
        stats.misuse--;
      }
      return;
    }
    let pair: InMemoryPair;
    try {
      pair = ossl.connectInMemory(entry.client, entry.server, { hostname: HOSTNAME, ...(resume ? { session: resume } : {}) });
    } catch (error) {
      const key = error instanceof Error ? error.name : 'unknown';
      stats.handshakeFailures[key] = (stats.handshakeFailures[key] ?? 0) + 1;
      if (!(error instanceof OpenSSLError) && stats.unexpected.length < 10)
        stats.unexpected.push({ seed, at: stats.ops, what: 'handshake', error: describeError(error) });
      return;
    }
    if (pair.client.sessionReused) stats.resumed++;
    if (r.chance(0.3)) pair.client.write('soak');
    pair.pump();
    if (handles.length < MAX_HANDLES && r.chance(0.2)) keep(pair.client.get1Session() as Session);
    if (livePairs.length < MAX_LIVE_PAIRS && r.chance(0.3)) livePairs.push(pair);
    else retirePair(pair, r.chance(0.1));
    if (livePairs.length >= MAX_LIVE_PAIRS && r.chance(0.3)) retirePair(takeRandom(r, livePairs), r.chance(0.1));
  };

  while (stats.ops < ops || stats.handshakes < handshakes) {
    const opsLeft = Math.max(0, ops - stats.ops);
    const handshakesLeft = Math.max(0, handshakes - stats.handshakes);
    if (handshakesLeft > 0 && r.int(opsLeft + handshakesLeft) < handshakesLeft) handshake();
    else if (r.chance(0.04)) misuseOp();
    else sessionOp();
    if (ossl.failed) break;
    if (onProgress && (stats.ops + stats.handshakes) % 50_000 === 0) onProgress(stats);
  }

  if (!ossl.failed) {
    for (const pair of livePairs) retirePair(pair, false);
    for (const h of handles) while (h.references-- > 0) h.s.free();
    for (const p of pairs) {
      p.server.free();
      p.client.free();
    }
  }
  for (const f of foreign) f.free();
  return stats;
}

/** A Uint8Array whose buffer was transferred away (reads as empty; refused as detached). */
function detached(): Uint8Array {
  const b = new Uint8Array(4);
  structuredClone(b.buffer, { transfer: [b.buffer] });
  return b;
}

/** The figures of a soak. */
export interface SoakStats extends PassStats {
  seed: number;
  ms: number;
  totalMs: number;
  ledgerRefused: number;
  heap: {
    before: number;
    after: number;
    drift: number;
    oneTime: number;
    replayed: boolean;
    suspects: HeapBatch[];
    unexplained: number;
  };
  /** Live sessions at the end (null when the instance failed). */
  live: number | null;
  violations: ReturnType<OpenSSL['ledger']['violations']>;
  lostTraceEvents: number;
  failed: boolean;
}

/**
 * The soak: a warm-up pass (OpenSSL's one-time state), then the measured pass, keeping the heap's
 * books (heapBook): the settled heap must end where it began, or, when the pass made OpenSSL create
 * one-time state (a failure path taken for the first time), a replay of the same pass (same seed,
 * same choices) must. Returns the counts with heap, ledger and instance state at the end.
 */
export function soak(
  ossl: OpenSSL,
  other: OpenSSL,
  identity: GeneratedCertificate,
  corpus: readonly CorpusEntry[],
  { seed, ops, handshakes, slack = HEAP_SLACK, onProgress }: PassOptions & { slack?: number },
): SoakStats {
  const began = performance.now();
  pass(ossl, other, identity, corpus, { seed: seed + 1_000_003, ops: Math.min(ops, 5_000), handshakes: Math.min(handshakes, 100) });
  const refusedBefore = ossl.ledger.stats().refused;
  const heap = heapBook(ossl, slack);
  const t0 = performance.now();
  const stats = pass(ossl, other, identity, corpus, { seed, ops, handshakes, ...(onProgress ? { onProgress } : {}) });
  const ms = performance.now() - t0;
  const ledgerRefused = ossl.ledger.stats().refused - refusedBefore;
  if (!ossl.failed) heap.batch('soak', () => pass(ossl, other, identity, corpus, { seed, ops, handshakes }));
  const { baseline, final, oneTime, suspects, unexplained } = heap.book;
  return {
    seed,
    ...stats,
    ms,
    totalMs: performance.now() - began,
    ledgerRefused,
    heap: {
      before: baseline,
      after: final,
      drift: final - baseline,
      oneTime,
      replayed: heap.book.oneTimeBatches.length + suspects.length > 0,
      suspects,
      unexplained,
    },
    live: ossl.failed ? null : ossl.ledger.live().length,
    violations: ossl.ledger.violations(),
    lostTraceEvents: ossl.ledger.stats().lostTraceEvents,
    failed: ossl.failed,
  };
}
