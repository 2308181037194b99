// Random sequences of handshakes, resumptions, evictions, flushes, cache operations and callback
// behaviours over contexts with each cache mode, checked after every step against a model: the
// ledger's holders (derived from the trace) add up to OpenSSL's own count for every live session,
// JS handles hold exactly what the model says, each step produced only the sites the model expects,
// and the TLS 1.2 server cache holds exactly the sessions the model predicts (evicting the oldest).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CallbackError,
  type Context,
  type GeneratedCertificate,
  type InMemoryPair,
  InvalidArgumentError,
  type OpenSSL,
  SESS_CACHE,
  type Session,
  type Site,
} from '../dist/index.js';
import { loadInstance, usingInstance } from './support/instance.js';
import { HOSTNAME } from './support/tls.js';

const RUNS = 10;
const STEPS = 10_000;
const COMMANDS = 300;
const ID_CACHE_SIZE = 3;

/**
 * OpenSSL's eviction (SSL_CTX_add_session), checked against the step's events: the new session is
 * already in the hash table when the loop compares the count with the size, so a cache of size n > 1
 * keeps n - 1 sessions; the loop evicts the list's tail, the session that expires first. Sessions the
 * TLS 1.2 server filed itself expire in the order they were filed: the oldest goes, exactly. A session
 * added by hand keeps its own time (a copy, its original's; at millisecond resolution), so once one
 * is in the cache the model asks only for the right number of evictions from its cache.
 */
function evictions(m: Model, events: { op: string; site: Site; holder: string | undefined; session: string }[], cache: string): void {
  let expected = 0;
  for (let n = m.idCache.length; n > 0 && n + 1 >= ID_CACHE_SIZE; n--) expected++;
  const evicted = events.filter((e) => e.site === 'cache-evict' && e.holder === cache).map((e) => e.session);
  expect(evicted).toHaveLength(expected);
  if (m.idCache.every((x) => !m.idAdded.has(x))) expect(evicted).toEqual(m.idCache.slice(m.idCache.length - expected).reverse());
  else for (const x of evicted) expect(m.idCache).toContain(x);
  m.idCache = m.idCache.filter((x) => !evicted.includes(x));
}

type Policy = 'keep' | 'drop' | 'upref-drop' | 'free-inside' | 'throw';

interface Model {
  /** References each handle holds (parallel to Real.handles). */
  handles: number[];
  /** Open pairs (parallel to Real.pairs). */
  pairs: number;
  /** The TLS 1.2 server's session-ID cache, newest first. */
  idCache: string[];
  /** Sessions filed in it by addSession (not by its own handshakes). */
  idAdded: Set<string>;
  policy: Policy;
}

interface Real {
  ossl: OpenSSL;
  handles: Session[];
  pairs: InMemoryPair[];
  /** Servers: TLS 1.2 session-ID cache; TLS 1.3 stateless tickets; TLS 1.3 stateful tickets. Clients: default; internal cache. */
  ctx: { id12: Context; t13: Context; stateful: Context; client: Context; clientCache: Context };
  /** Handles the client callback was given during the current step. */
  handed: Session[];
  mark: number;
}

type Cmd = fc.Command<Model, Real>;
let steps = 0;

/** Every event since the previous step (without consuming them). */
function peekEvents(r: Real): { op: string; site: Site; holder: string | undefined; session: string; seq: number }[] {
  return r.ossl.ledger
    .events()
    .filter((e) => e.seq > r.mark)
    .map((e) => ({ op: e.op, site: e.site, holder: e.holder, session: e.session, seq: e.seq }));
}
/** Every event since the previous step, consumed. */
function newEvents(r: Real): ReturnType<typeof peekEvents> {
  const events = peekEvents(r);
  r.mark = events.at(-1)?.seq ?? r.mark;
  return events;
}

/**
 * A removal by session id (SSL_CTX_remove_session: explicit, or of a connection that ended without
 * shutdown) takes whichever session the cache files under that id: the model follows the events'
 * choice there, and check() proves it against C's count and the cache's session number.
 */
function removedById(m: Model, r: Real, site: Site): void {
  const cache = `${r.ctx.id12.id} cache`;
  for (const e of peekEvents(r)) if (e.site === site && e.holder === cache) m.idCache = m.idCache.filter((x) => x !== e.session);
}

/** After every step: the sites are the step's, holders equal C, handles equal the model, the ID cache equals the model. */
function check(
  m: Model,
  r: Real,
  allowed: readonly Site[],
  must: { op: string; site: Site; holder?: string; session?: string }[] = [],
): void {
  steps++;
  const events = newEvents(r);
  for (const e of events) expect([e.site, allowed.includes(e.site)]).toEqual([e.site, true]);
  for (const want of must) expect(events).toContainEqual(expect.objectContaining(want));
  const live = r.ossl.ledger.live();
  const byHolder = new Map<string, number>();
  for (const l of live) {
    const sum = l.holders.reduce((n, h) => n + h.references, 0);
    expect([l.session, sum]).toEqual([l.session, l.references]);
    for (const h of l.holders) byHolder.set(h.id, (byHolder.get(h.id) ?? 0) + h.references);
  }
  for (const [i, s] of r.handles.entries()) {
    if (m.handles[i] === 0) continue;
    expect([s.handleId, byHolder.get(s.handleId)]).toEqual([s.handleId, m.handles[i]]);
  }
  const cache = `${r.ctx.id12.id} cache`;
  const inCache = live.filter((l) => l.holders.some((h) => h.id === cache)).map((l) => l.session);
  expect(inCache.sort()).toEqual([...m.idCache].sort());
  expect(r.ctx.id12.sessionCount).toBe(m.idCache.length);
  expect(r.ossl.ledger.violations()).toEqual([]);
}

const HANDSHAKE_SITES: Site[] = [
  'handshake-new',
  'set-session',
  'cache-insert',
  'cache-evict',
  'lookup',
  'ticket-encrypt',
  'ticket-decrypt',
  'ticket-replace',
  'new-session-cb',
  'cache-single-use',
  'cache-bad',
  'connection-free',
  'api',
];

const live = (m: Model): number[] => m.handles.flatMap((n, i) => (n > 0 ? [i] : []));
const pick = (xs: number[], k: number): number => xs[k % xs.length];

class Handshake implements Cmd {
  constructor(
    readonly server: 'id12' | 't13' | 'stateful',
    readonly client: 'client' | 'clientCache',
    readonly resume: number | null,
    readonly keepOpen: boolean,
  ) {}
  check = (m: Model): boolean => m.pairs < 4;
  run(m: Model, r: Real): void {
    const offered = this.resume !== null && live(m).length > 0 ? pick(live(m), this.resume) : null;
    const session = offered === null ? undefined : r.handles[offered];
    r.handed = [];
    let pair: InMemoryPair | null = null;
    let failed: unknown = null;
    try {
      pair = r.ossl.connectInMemory(r.ctx[this.client], r.ctx[this.server], { hostname: HOSTNAME, ...(session ? { session } : {}) });
      pair.pump(); // TLS 1.3 tickets
    } catch (error) {
      failed = error;
    }
    if (m.policy === 'throw' && r.handed.length > 0) expect(failed).toBeInstanceOf(CallbackError);
    else expect(failed).toBeNull();
    for (const h of r.handed) {
      r.handles.push(h);
      m.handles.push(m.policy === 'keep' || m.policy === 'upref-drop' ? 1 : 0);
    }
    const events = peekEvents(r);
    // The TLS 1.2 server files each new (not resumed) session; a full cache evicts its oldest first.
    const must: { op: string; site: Site; holder?: string; session?: string }[] = [];
    if (this.server === 'id12') {
      const cache = `${r.ctx.id12.id} cache`;
      const filed = events.filter((e) => e.site === 'cache-insert' && e.holder === cache);
      expect(filed.length).toBeLessThanOrEqual(1);
      if (filed.length > 0) {
        evictions(m, events, cache);
        m.idCache.unshift(filed[0].session);
      }
    }
    // A failed handshake frees its connections without shutdown: their sessions leave the caches.
    for (const e of events) if (e.site === 'cache-bad') m.idCache = m.idCache.filter((x) => x !== e.session);
    if (pair) {
      if (this.keepOpen) {
        r.pairs.push(pair);
        m.pairs++;
      } else pair.free();
    }
    check(m, r, HANDSHAKE_SITES, must);
  }
  toString = (): string => `handshake(${this.client}->${this.server}, resume ${this.resume}, ${this.keepOpen ? 'open' : 'close'})`;
}

class FreePair implements Cmd {
  constructor(
    readonly k: number,
    readonly abort: boolean,
  ) {}
  check = (m: Model): boolean => m.pairs > 0;
  run(m: Model, r: Real): void {
    const i = this.k % r.pairs.length;
    const pair = r.pairs[i];
    if (this.abort) {
      pair.client.free({ abort: true });
      pair.server.free({ abort: true });
      removedById(m, r, 'cache-bad');
    } else pair.free();
    r.pairs.splice(i, 1);
    m.pairs--;
    check(m, r, this.abort ? ['connection-free', 'cache-bad'] : ['connection-free']);
  }
  toString = (): string => `freePair(${this.k}${this.abort ? ', abort' : ''})`;
}

class Get1 implements Cmd {
  constructor(readonly k: number) {}
  check = (m: Model): boolean => m.pairs > 0;
  run(m: Model, r: Real): void {
    const s = r.pairs[this.k % r.pairs.length].client.get1Session() as Session;
    r.handles.push(s);
    m.handles.push(1);
    check(m, r, ['get1'], [{ op: 'get1', site: 'get1', holder: s.handleId }]);
  }
  toString = (): string => `get1(${this.k})`;
}

class HandleOp implements Cmd {
  constructor(
    readonly op: 'free' | 'up_ref' | 'dup',
    readonly k: number,
  ) {}
  check = (m: Model): boolean => live(m).length > 0;
  run(m: Model, r: Real): void {
    const i = pick(live(m), this.k);
    const s = r.handles[i];
    if (this.op === 'free') {
      r.ossl.SSL_SESSION_free(s);
      m.handles[i]--;
      check(m, r, ['api'], [{ op: 'free', site: 'api', holder: s.handleId, session: s.sessionId }]);
    } else if (this.op === 'up_ref') {
      r.ossl.SSL_SESSION_up_ref(s);
      m.handles[i]++;
      check(m, r, ['api'], [{ op: 'up_ref', site: 'api', holder: s.handleId, session: s.sessionId }]);
    } else {
      const copy = s.dup();
      r.handles.push(copy);
      m.handles.push(1);
      check(m, r, ['dup'], [{ op: 'dup', site: 'dup', holder: copy.handleId, session: copy.sessionId }]);
    }
  }
  toString = (): string => `${this.op}(#${this.k})`;
}

class CacheOp implements Cmd {
  constructor(
    readonly op: 'add' | 'remove' | 'flush',
    readonly target: 'id12' | 'stateful' | 'clientCache',
    readonly k: number,
  ) {}
  check = (m: Model): boolean => this.op === 'flush' || live(m).length > 0;
  run(m: Model, r: Real): void {
    const ctx = r.ctx[this.target];
    const cache = `${ctx.id} cache`;
    if (this.op === 'flush') {
      ctx.flushSessions(0);
      if (this.target === 'id12') m.idCache = [];
      check(m, r, ['cache-flush']);
      return;
    }
    const s = r.handles[pick(live(m), this.k)];
    const holders = r.ossl.ledger.holders(s).holders.map((h) => h.id);
    if (this.op === 'remove') {
      const removed = ctx.removeSession(s);
      // OpenSSL removes by session id: a cached copy with the same id goes when s is not cached itself.
      if (holders.includes(cache)) expect(removed).toBe(true);
      if (this.target === 'id12') removedById(m, r, 'cache-remove');
      check(
        m,
        r,
        ['cache-remove'],
        holders.includes(cache) ? [{ op: 'free', site: 'cache-remove', holder: cache, session: s.sessionId }] : [],
      );
      return;
    }
    const elsewhere = holders.some((h) => h.endsWith(' cache') && h !== cache);
    if (elsewhere) {
      expect(() => ctx.addSession(s)).toThrow(InvalidArgumentError);
      check(m, r, []);
      return;
    }
    const events = r.ossl.ledger.events();
    const added = ctx.addSession(s);
    expect(added).toBe(!holders.includes(cache));
    if (this.target === 'id12' && added) {
      // Another cached session with the same id is dropped; a full cache then evicts its oldest.
      const after = r.ossl.ledger.events().filter((e) => e.seq > (events.at(-1)?.seq ?? 0));
      for (const e of after) if (e.site === 'cache-replace') m.idCache = m.idCache.filter((x) => x !== e.session);
      evictions(m, peekEvents(r), cache);
      m.idCache.unshift(s.sessionId);
      m.idAdded.add(s.sessionId);
      check(
        m,
        r,
        ['cache-insert', 'cache-replace', 'cache-evict'],
        [{ op: 'up_ref', site: 'cache-insert', holder: cache, session: s.sessionId }],
      );
      return;
    }
    check(m, r, ['cache-insert', 'cache-replace', 'cache-evict']);
  }
  toString = (): string => `${this.op}(${this.target}, #${this.k})`;
}

class SetPolicy implements Cmd {
  constructor(readonly policy: Policy) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    m.policy = this.policy;
    check(m, r, []);
  }
  toString = (): string => `policy(${this.policy})`;
}

function installCallbacks(r: Real, m: () => Model): void {
  for (const ctx of [r.ctx.client, r.ctx.clientCache]) {
    ctx.onNewSession((s) => {
      r.handed.push(s);
      switch (m().policy) {
        case 'keep':
          return true;
        case 'drop':
          return false;
        case 'upref-drop':
          r.ossl.SSL_SESSION_up_ref(s);
          return false;
        case 'free-inside':
          s.free();
          return false;
        case 'throw':
          throw new Error('the callback failed');
      }
    });
  }
}

const handleOps = fc.tuple(fc.constantFrom('free', 'free', 'up_ref', 'dup'), fc.nat()).map(([op, k]) => new HandleOp(op as 'free', k));
const cacheOps = fc
  .tuple(fc.constantFrom('add', 'remove', 'flush'), fc.constantFrom('id12', 'stateful', 'clientCache'), fc.nat())
  .map(([op, t, k]) => new CacheOp(op as 'add', t as 'id12', k));
// Handshakes cost milliseconds, the other steps microseconds: listing those twice keeps 10,000 steps quick.
const commands = [
  fc
    .tuple(fc.constantFrom('id12', 't13', 'stateful'), fc.constantFrom('client', 'clientCache'), fc.option(fc.nat()), fc.boolean())
    .map(([s, c, resume, open]) => new Handshake(s as 'id12', c as 'client', resume, open)),
  fc.tuple(fc.nat(), fc.boolean()).map(([k, abort]) => new FreePair(k, abort)),
  fc.nat().map((k) => new Get1(k)),
  handleOps,
  handleOps,
  cacheOps,
  cacheOps,
  fc.constantFrom<Policy>('keep', 'drop', 'upref-drop', 'free-inside', 'throw').map((p) => new SetPolicy(p)),
];

describe('the ledger against a model of sessions, contexts, connections and callbacks', () => {
  let cert: GeneratedCertificate;

  it("holders equal OpenSSL's count and sites are the expected ones after each of at least 10,000 random steps", async () => {
    const wasmModule = await WebAssembly.compile(readFileSync(new URL('../dist/openssl.wasm', import.meta.url))); // compiled once
    cert = (await loadInstance({ wasmModule })).generateCertificate({ commonName: HOSTNAME, keyType: 'Ed25519' }); // the fastest handshakes
    // Batches of runs until 10,000 steps were checked (runs differ in length).
    while (steps < STEPS) {
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: COMMANDS, size: 'max' }), (cmds) =>
          usingInstance({ wasmModule }, (ossl) => {
            const server = (o: object) =>
              ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey, ...o });
            const real: Real = {
              ossl,
              handles: [],
              pairs: [],
              ctx: {
                id12: server({ maxVersion: 'TLSv1.2', tickets: false, sessionCacheSize: ID_CACHE_SIZE }),
                t13: server({}),
                stateful: server({ tickets: false, sessionCacheSize: 3 }),
                client: ossl.createContext({ role: 'client', ca: cert.certificate }),
                clientCache: ossl.createContext({ role: 'client', ca: cert.certificate, sessionCacheMode: SESS_CACHE.CLIENT }),
              },
              handed: [],
              mark: ossl.ledger.events().at(-1)?.seq ?? 0,
            };
            const model: Model = { handles: [], pairs: 0, idCache: [], idAdded: new Set(), policy: 'keep' };
            installCallbacks(real, () => model);
            fc.modelRun(() => ({ model, real }), cmds);
            // The end: everything freed, nothing left anywhere (and usingInstance's end checks).
            for (const p of real.pairs) p.free();
            for (const [i, s] of real.handles.entries()) for (let n = 0; n < model.handles[i]; n++) s.free();
            for (const c of Object.values(real.ctx)) c.free();
            expect(ossl.ledger.live()).toEqual([]);
          }),
        ),
        { numRuns: RUNS, endOnFailure: process.env.MODEL_NO_SHRINK === '1' },
      );
    }
  }, 300_000);
});
