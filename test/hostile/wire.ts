// Hostile bytes on the wire: random and mutated bytes written into a connection's encrypted side
// before, during and after the handshake, and real handshake records damaged in flight between two
// in-memory peers. Every case ends in a completed handshake, a clean typed refusal (TLSError /
// OpenSSLError), or a connection still waiting for bytes; then both connections are freed.
// Shared by wire.test.ts and run-fuzz.ts.
import {
  type Connection,
  type Context,
  type ContextOptions,
  type GeneratedCertificate,
  type OpenSSL,
  OpenSSLError,
  SESS_CACHE,
  type Session,
} from '../../dist/index.js';
import { concat } from '../support/bytes.js';
import { HEAP_SLACK, type HeapBookFigures, heapBook, settledHeap } from './heap.js';
import { createRng, describeError, HOSTNAME, hex, type Rng } from './inputs.js';

const CONTENT_TYPES = [20, 21, 22, 23, 24, 0, 255];

/** TLS records of a flight: [offset, type, length]; a torn tail counts as one more record. */
function records(bytes: Uint8Array): { at: number; end: number }[] {
  const out: { at: number; end: number }[] = [];
  for (let at = 0; at < bytes.length; ) {
    const len = at + 5 <= bytes.length ? (bytes[at + 3] << 8) | bytes[at + 4] : bytes.length - at;
    const end = Math.min(bytes.length, at + 5 + len);
    out.push({ at, end });
    at = end;
  }
  return out;
}

function record(type: number, body: Uint8Array, version = 0x0303): Uint8Array {
  return concat(Uint8Array.of(type, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff), body);
}

/** Damage to one flight of real records. Some is harmless (fragmentation): that must still complete. */
type Damage = (r: Rng, flight: Uint8Array) => Uint8Array;
const DAMAGE: Record<string, Damage> = {
  bitflip(r, f) {
    const out = f.slice();
    for (let i = 0, n = r.chance(0.7) ? 1 : 1 + r.int(8); i < n; i++) out[r.int(out.length)] ^= 1 << r.int(8);
    return out;
  },
  headerByte(r, f) {
    const out = f.slice();
    const rec = r.pick(records(f));
    out[rec.at + r.int(Math.min(5, rec.end - rec.at))] = r.pick([
      0, 1, 0x14, 0x15, 0x16, 0x17, 0x18, 0x02, 0x03, 0x04, 0x40, 0x48, 0x7f, 0x80, 0xff,
    ]);
    return out;
  },
  lyingLength(r, f) {
    const out = f.slice();
    const rec = r.pick(records(f));
    if (rec.end - rec.at < 5) return out;
    const len = (out[rec.at + 3] << 8) | out[rec.at + 4];
    const lie = r.pick([0, 1, len - 1, len + 1, 0x4000, 0x4001, 0x4100, 0x4800, 0xffff]) & 0xffff;
    out[rec.at + 3] = lie >> 8;
    out[rec.at + 4] = lie & 0xff;
    return out;
  },
  truncate(r, f) {
    return f.slice(0, r.int(f.length));
  },
  dropRecord(r, f) {
    const rec = r.pick(records(f));
    return concat(f.subarray(0, rec.at), f.subarray(rec.end));
  },
  duplicateRecord(r, f) {
    const rec = r.pick(records(f));
    return concat(f.subarray(0, rec.end), f.subarray(rec.at, rec.end), f.subarray(rec.end));
  },
  swapRecords(r, f) {
    const recs = records(f);
    if (recs.length < 2) return f.slice();
    const i = r.int(recs.length - 1);
    const a = f.subarray(recs[i].at, recs[i].end);
    const b = f.subarray(recs[i + 1].at, recs[i + 1].end);
    return concat(f.subarray(0, recs[i].at), b, a, f.subarray(recs[i + 1].end));
  },
  injectRecord(r, f) {
    const body = r.pick([new Uint8Array(0), r.bytes(1 + r.int(64)), r.bytes(r.pick([16_384, 16_385, 18_432]))]);
    const rec = record(r.pick(CONTENT_TYPES), body, r.pick([0x0303, 0x0301, 0x0304, 0x0300, 0xfefd]));
    const at = r.pick(records(f)).at;
    return concat(f.subarray(0, at), rec, f.subarray(at));
  },
  injectAlert(r, f) {
    const alert = record(21, Uint8Array.of(r.pick([1, 2, 3]), r.pick([0, 10, 20, 40, 42, 47, 48, 50, 70, 80, 90, 109, 112, 116, 255])));
    return r.chance(0.5) ? concat(alert, f) : concat(f, alert);
  },
  randomTail(r, f) {
    return concat(f, r.bytes(1 + r.int(300)));
  },
  replaceRandom(r, f) {
    return r.bytes(r.chance(0.9) ? f.length : r.int(70_000));
  },
};

const DAMAGE_WEIGHTS: Record<string, number> = {
  bitflip: 30,
  headerByte: 8,
  lyingLength: 8,
  truncate: 8,
  dropRecord: 6,
  duplicateRecord: 6,
  swapRecords: 5,
  injectRecord: 8,
  injectAlert: 5,
  randomTail: 5,
  replaceRandom: 4,
  fragment: 7,
};

/** Delivers bytes in one write, or torn into pieces (1 byte, a few, random) as a socket may. */
function deliver(r: Rng, to: Connection, bytes: Uint8Array, fragment: boolean): void {
  if (!fragment) {
    to.writeEncrypted(bytes);
    return;
  }
  const piece = r.pick([1, 2, 5, 7, 100, 1 + r.int(bytes.length)]);
  for (let at = 0; at < bytes.length; at += piece) to.writeEncrypted(bytes.subarray(at, at + piece));
}

/** One step of a side: the handshake until done, then reads (tickets, application data). */
function step(side: Connection): Uint8Array {
  if (side.isHandshakeDone) return side.read();
  side.handshake();
  return new Uint8Array(0);
}

/**
 * Pumps client <-> server; flight number `damageAt` (1 = ClientHello) gets `damage`. Returns
 * 'completed' or 'stalled' (a side waits for bytes that will never come); a refusal throws.
 */
function exchange(r: Rng, c: Connection, s: Connection, damageAt: number, damage: string): 'completed' | 'stalled' {
  let flight = 0;
  c.handshake();
  for (let round = 0; round < 30; round++) {
    let moved = false;
    for (const [from, to] of [
      [c, s],
      [s, c],
    ] as const) {
      let bytes = from.readEncrypted();
      if (bytes.length > 0) {
        flight++;
        moved = true;
        const hit = flight === damageAt;
        if (hit && damage !== 'fragment') bytes = DAMAGE[damage](r, bytes);
        if (bytes.length > 0) deliver(r, to, bytes, hit && damage === 'fragment');
      }
      step(to);
    }
    if (c.isHandshakeDone && s.isHandshakeDone && !moved && c.pendingEncrypted === 0 && s.pendingEncrypted === 0) return 'completed';
    if (!moved && c.pendingEncrypted === 0 && s.pendingEncrypted === 0) return 'stalled';
  }
  return 'stalled';
}

/**
 * Application data both ways on a connection whose handshake completed: 'intact', or 'withheld'
 * (a side still waits for the rest of a record damage made it expect: what arrived is a prefix of
 * what was sent, possibly empty), or 'corrupted' (anything else: TLS would have failed).
 */
function echo(r: Rng, c: Connection, s: Connection): 'intact' | 'withheld' | 'corrupted' {
  let verdict: 'intact' | 'withheld' = 'intact';
  for (const [from, to] of [
    [c, s],
    [s, c],
  ] as const) {
    const sent = r.bytes(1 + r.int(2000));
    from.write(sent);
    to.writeEncrypted(from.readEncrypted());
    const got = to.read();
    if (got.length === sent.length && hex(got) === hex(sent)) continue;
    if (got.length < sent.length && hex(got) === hex(sent.subarray(0, got.length))) verdict = 'withheld';
    else return 'corrupted';
  }
  return verdict;
}

/**
 * Contexts for the wire cases (and the soak): TLS 1.2 and 1.3, stateless tickets or the session
 * cache; `serverOptions` adds to every server context.
 */
export interface WirePair {
  protocol: 'TLSv1.2' | 'TLSv1.3';
  tickets: boolean;
  server: Context;
  client: Context;
  /** A session of a completed handshake, for resumptions. */
  saved: Session | null;
}

export function wireContexts(ossl: OpenSSL, identity: GeneratedCertificate, serverOptions: Partial<ContextOptions> = {}): WirePair[] {
  const pairs: WirePair[] = [];
  for (const protocol of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const tickets of [true, false]) {
      const server = ossl.createContext({
        role: 'server',
        certificate: identity.certificate,
        privateKey: identity.privateKey,
        maxVersion: protocol,
        tickets,
        ...serverOptions,
      } as ContextOptions);
      const client = ossl.createContext({
        role: 'client',
        ca: identity.certificate,
        sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL,
      });
      pairs.push({ protocol, tickets, server, client, saved: null });
    }
  }
  return pairs;
}

export function freeWireContexts(pairs: readonly WirePair[]): void {
  for (const p of pairs) {
    p.saved?.free();
    p.server.free();
    p.client.free();
  }
}

/**
 * Case `index` of stream `seed`: one phase (before / during / after the handshake), one kind of
 * damage, on one context pair. Returns its outcome; an error that is not an OpenSSLError, or a
 * completed handshake whose data does not arrive intact, is 'unexpected'.
 */
export interface WireCase {
  label: string;
  outcome: string;
  reason?: string;
  error?: string;
}

export function wireCase(pairs: readonly WirePair[], seed: number, index: number): WireCase {
  const r = createRng(seed ^ 0x77697265, index);
  const pair = r.pick(pairs);
  const phase = r.weighted({ before: 25, during: 50, after: 25 });
  const damage = r.weighted(DAMAGE_WEIGHTS);
  const resume = pair.saved !== null && r.chance(0.3);
  const label = `${phase} ${damage} ${pair.protocol}${pair.tickets ? '' : ' cache'}${resume ? ' resumed' : ''}`;
  let c: Connection | undefined;
  let s: Connection | undefined;
  try {
    c = pair.client.newConnection({ hostname: HOSTNAME, ...(resume && pair.saved ? { session: pair.saved } : {}) });
    s = pair.server.newConnection();
    if (phase === 'before') {
      // Bytes arrive before either side said anything meaningful: at a fresh server, or at a
      // client that has only sent its ClientHello.
      const target = r.chance(0.6) ? s : c;
      if (target === c) c.handshake();
      let bytes: Uint8Array;
      if (target === s && r.chance(0.5)) {
        c.handshake();
        bytes = DAMAGE[damage === 'fragment' ? 'bitflip' : damage](r, c.readEncrypted());
      } else {
        bytes = r.chance(0.5)
          ? r.bytes(r.pick([1, 5, 6, 100, 1000, 20_000]))
          : record(r.pick(CONTENT_TYPES), r.bytes(r.int(400)), r.pick([0x0303, 0x0301, 0x0200]));
      }
      deliver(r, target, bytes, r.chance(0.2));
      const done = target.handshake();
      return { label, outcome: done ? 'completed' : 'waiting' };
    }
    if (phase === 'during') {
      const outcome = exchange(r, c, s, 1 + r.int(pair.protocol === 'TLSv1.3' ? 4 : 5), damage);
      if (outcome !== 'completed') return { label, outcome };
      if (!pair.saved && !resume) pair.saved = c.get1Session() as Session;
      const data = echo(r, c, s);
      if (data === 'corrupted') return { label, outcome: 'unexpected', error: 'application data arrived altered' };
      return { label, outcome: data === 'intact' ? 'completed' : 'completed, data withheld' };
    }
    // after: a healthy connection that has exchanged data, then damage arrives.
    if (exchange(r, c, s, 0, 'none') !== 'completed')
      return { label, outcome: 'unexpected', error: 'an undamaged handshake did not complete' };
    const from = r.chance(0.5) ? c : s;
    const to = from === c ? s : c;
    from.write(r.bytes(1 + r.int(3000)));
    let bytes = from.readEncrypted();
    bytes = damage === 'fragment' ? bytes : DAMAGE[damage](r, bytes);
    deliver(r, to, bytes, damage === 'fragment');
    to.read();
    return { label, outcome: 'survived' };
  } catch (error) {
    if (error instanceof OpenSSLError) return { label, outcome: 'refused', reason: error.queue[0]?.reason ?? '(no queued error)' };
    return { label, outcome: 'unexpected', error: describeError(error) };
  } finally {
    // free() after a refusal skips close_notify; it never throws for a connection of a live instance.
    c?.free();
    s?.free();
  }
}

/**
 * Runs cases [start, start + cases) of stream `seed` in batches, each over fresh contexts that are
 * freed again, keeping the heap's books (heapBook: every batch ends where it began, or its replay,
 * the same cases over fresh contexts again, does). `warmup` cases of another stream (seed + 1), in
 * batches with their heap readings (the flushes are part of what settles), run first. Never throws
 * for a case (failures are in `unexpected`, heap suspects in `heap.suspects`).
 */
/** The figures of a wire run. */
export interface WireStats {
  seed: number;
  cases: number;
  outcomes: Record<string, number>;
  reasons: Record<string, number>;
  byPhase: Record<string, Record<string, number>>;
  unexpected: (WireCase & { seed: number; index: number })[];
  ms: number;
  slowest: { ms: number; index: number; label: string };
  heap: HeapBookFigures;
  failed: boolean;
}

export interface WireRun {
  seed: number;
  cases: number;
  start?: number;
  batch?: number;
  warmup?: number;
  slack?: number;
}

export function fuzzWire(
  ossl: OpenSSL,
  identity: GeneratedCertificate,
  { seed, cases, start = 0, batch = 500, warmup = 1_000, slack = HEAP_SLACK }: WireRun,
): WireStats {
  const stats: Omit<WireStats, 'heap'> = {
    seed,
    cases: 0,
    outcomes: {},
    reasons: {},
    byPhase: {},
    unexpected: [],
    ms: 0,
    slowest: { ms: 0, index: -1, label: '' },
    failed: false,
  };
  const run = (streamSeed: number, from: number, to: number, count: boolean): void => {
    const pairs = wireContexts(ossl, identity);
    try {
      for (let index = from; index < to; index++) {
        const t0 = performance.now();
        const result = wireCase(pairs, streamSeed, index);
        const ms = performance.now() - t0;
        if (ossl.failed) break;
        if (!count) continue;
        if (ms > stats.slowest.ms) stats.slowest = { ms, index, label: result.label };
        stats.cases++;
        stats.outcomes[result.outcome] = (stats.outcomes[result.outcome] ?? 0) + 1;
        const phase = result.label.split(' ')[0];
        stats.byPhase[phase] ??= {};
        const p = stats.byPhase[phase];
        p[result.outcome] = (p[result.outcome] ?? 0) + 1;
        if (result.reason) stats.reasons[result.reason] = (stats.reasons[result.reason] ?? 0) + 1;
        if (result.outcome === 'unexpected' && stats.unexpected.length < 10) stats.unexpected.push({ seed: streamSeed, index, ...result });
      }
    } finally {
      if (!ossl.failed) freeWireContexts(pairs);
    }
  };
  for (let from = 0; from < warmup; from += batch) {
    run(seed + 1, from, Math.min(warmup, from + batch), false);
    settledHeap(ossl);
  }
  const heap = heapBook(ossl, slack);
  let ms = 0;
  for (let from = start; from < start + cases && !ossl.failed; from += batch) {
    const to = Math.min(start + cases, from + batch);
    const t0 = performance.now();
    run(seed, from, to, true);
    ms += performance.now() - t0;
    if (ossl.failed) break;
    heap.batch(`cases ${from}..${to - 1}`, () => run(seed, from, to, false));
  }
  stats.ms = ms;
  stats.failed = ossl.failed;
  return { ...stats, heap: heap.book };
}
