// Issue 3: random sequences of new / d2i / dup / up_ref / free and misuse, through both layers,
// checked against a model after every step: the ledger, OpenSSL's own counts and the model agree.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DoubleFreeError,
  disposeSymbol,
  ForeignObjectError,
  type LoadOptions,
  type OpenSSL,
  OpenSSLError,
  type Session,
  UseAfterFreeError,
} from '../dist/index.js';
import { loadInstance, usingInstance } from './support/instance.js';
import { sessionDER } from './support/sessions.js';

const wasmBinary = readFileSync(new URL('../dist/openssl.wasm', import.meta.url));
const FIXTURE_DER = sessionDER();

/** One JS handle as the model sees it: which session, and how many references it holds. */
interface HandleModel {
  session: string;
  references: number;
}

interface Model {
  handles: HandleModel[];
  /** The hostname each live session should report (up_ref shares it; dup copies it). */
  hostnames: Map<string, string | null>;
  refused: number;
  foreignRefused: number;
}

interface Real {
  ossl: OpenSSL;
  /** Another instance, for ForeignObjectError. */
  other: OpenSSL;
  /** Parallel to model.handles. */
  handles: Session[];
  pem: string;
}

type Cmd = fc.Command<Model, Real>;

let steps = 0;

const liveIndexes = (m: Model): number[] => m.handles.flatMap((h, i) => (h.references > 0 ? [i] : []));
const deadIndexes = (m: Model): number[] => m.handles.flatMap((h, i) => (h.references === 0 ? [i] : []));
const pickFrom = (indexes: number[], pick: number): number => indexes[pick % indexes.length];

/** Checks a call was refused with `expected` (the invariants then prove it changed nothing). */
function refused(call: () => unknown, expected: abstract new (...args: never[]) => Error): void {
  expect(call).toThrow(expected);
}

/** After every step: the ledger, OpenSSL's counts and the model agree. */
function checkInvariants(m: Model, r: Real): void {
  steps++;
  const expected = new Map<string, { references: number; handles: number }>();
  for (const h of m.handles) {
    if (h.references === 0) continue;
    const e = expected.get(h.session) ?? { references: 0, handles: 0 };
    e.references += h.references;
    e.handles += 1;
    expected.set(h.session, e);
  }
  const live = r.ossl.ledger.live();
  expect(live.map((l) => l.session).sort()).toEqual([...expected.keys()].sort());
  for (const l of live) {
    const e = expected.get(l.session);
    expect(l.references).toBeGreaterThanOrEqual(l.handleReferences);
    expect(l.handleReferences).toBe(e?.references);
    // No connection or cache exists here, so the handles hold every reference OpenSSL counts.
    expect(l.references).toBe(l.handleReferences);
    expect(l.handles).toHaveLength(e?.handles ?? -1);
  }
  for (const i of liveIndexes(m)) {
    expect(r.handles[i].hostname).toBe(m.hostnames.get(m.handles[i].session));
  }
  const stats = r.ossl.ledger.stats();
  expect(stats.refused).toBe(m.refused);
  expect(stats.violations).toBe(0);
  expect(stats.lostTraceEvents).toBe(0);
  expect(r.other.ledger.stats().refused).toBe(m.foreignRefused);
  expect(r.ossl.failed).toBe(false);
}

/** Records a new handle holding one reference to a session no live handle had seen. */
function adopted(m: Model, r: Real, s: Session, hostname: string | null): void {
  expect(m.handles.some((h) => h.references > 0 && h.session === s.sessionId)).toBe(false);
  m.handles.push({ session: s.sessionId, references: 1 });
  m.hostnames.set(s.sessionId, hostname);
  r.handles.push(s);
}

class Create implements Cmd {
  constructor(readonly via: 'SSL_SESSION_new' | 'newSession' | 'd2i_SSL_SESSION' | 'PEM_read_SSL_SESSION') {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    const o = r.ossl;
    const s =
      this.via === 'SSL_SESSION_new'
        ? o.SSL_SESSION_new()
        : this.via === 'newSession'
          ? o.newSession()
          : this.via === 'd2i_SSL_SESSION'
            ? o.d2i_SSL_SESSION(FIXTURE_DER)
            : o.PEM_read_SSL_SESSION(r.pem);
    adopted(m, r, s, null);
    checkInvariants(m, r);
  }
  toString = (): string => this.via;
}

class Dup implements Cmd {
  constructor(
    readonly pick: number,
    readonly layer: 'SSL_SESSION_dup' | 'Session.dup',
  ) {}
  check = (m: Model): boolean => liveIndexes(m).length > 0;
  run(m: Model, r: Real): void {
    const i = pickFrom(liveIndexes(m), this.pick);
    const copy = this.layer === 'SSL_SESSION_dup' ? r.ossl.SSL_SESSION_dup(r.handles[i]) : r.handles[i].dup();
    expect(copy.sessionId).not.toBe(m.handles[i].session);
    adopted(m, r, copy, m.hostnames.get(m.handles[i].session) ?? null);
    checkInvariants(m, r);
  }
  toString = (): string => `${this.layer}(#${this.pick})`;
}

class UpRef implements Cmd {
  constructor(
    readonly pick: number,
    readonly layer: 'SSL_SESSION_up_ref' | 'Session.upRef',
  ) {}
  check = (m: Model): boolean => liveIndexes(m).length > 0;
  run(m: Model, r: Real): void {
    const i = pickFrom(liveIndexes(m), this.pick);
    if (this.layer === 'SSL_SESSION_up_ref') {
      expect(r.ossl.SSL_SESSION_up_ref(r.handles[i])).toBe(1);
      m.handles[i].references++;
    } else {
      const t = r.handles[i].upRef();
      expect(t.sessionId).toBe(m.handles[i].session);
      m.handles.push({ session: t.sessionId, references: 1 });
      r.handles.push(t);
    }
    checkInvariants(m, r);
  }
  toString = (): string => `${this.layer}(#${this.pick})`;
}

class Free implements Cmd {
  constructor(
    readonly pick: number,
    readonly layer: 'SSL_SESSION_free' | 'Session.free' | 'dispose',
  ) {}
  check = (m: Model): boolean => liveIndexes(m).length > 0;
  run(m: Model, r: Real): void {
    const i = pickFrom(liveIndexes(m), this.pick);
    const h = r.handles[i];
    if (this.layer === 'SSL_SESSION_free') r.ossl.SSL_SESSION_free(h);
    else if (this.layer === 'Session.free') h.free();
    else h[disposeSymbol]();
    // dispose releases every reference held through the handle; free releases one.
    m.handles[i].references = this.layer === 'dispose' ? 0 : m.handles[i].references - 1;
    if (!m.handles.some((x) => x.references > 0 && x.session === m.handles[i].session)) m.hostnames.delete(m.handles[i].session);
    expect(h.alive).toBe(m.handles[i].references > 0);
    checkInvariants(m, r);
  }
  toString = (): string => `${this.layer}(#${this.pick})`;
}

class SetHostname implements Cmd {
  constructor(
    readonly pick: number,
    readonly hostname: string | null,
  ) {}
  check = (m: Model): boolean => liveIndexes(m).length > 0;
  run(m: Model, r: Real): void {
    const i = pickFrom(liveIndexes(m), this.pick);
    if (this.pick % 2 === 0) r.handles[i].hostname = this.hostname;
    else expect(r.ossl.SSL_SESSION_set1_hostname(r.handles[i], this.hostname)).toBe(1);
    m.hostnames.set(m.handles[i].session, this.hostname);
    checkInvariants(m, r);
  }
  toString = (): string => `hostname(#${this.pick}, ${JSON.stringify(this.hostname)})`;
}

class FreeNull implements Cmd {
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    r.ossl.SSL_SESSION_free(null);
    checkInvariants(m, r);
  }
  toString = (): string => 'SSL_SESSION_free(null)';
}

class DoubleFree implements Cmd {
  constructor(
    readonly pick: number,
    readonly layer: 'SSL_SESSION_free' | 'Session.free',
  ) {}
  check = (m: Model): boolean => deadIndexes(m).length > 0;
  run(m: Model, r: Real): void {
    const h = r.handles[pickFrom(deadIndexes(m), this.pick)];
    refused(() => (this.layer === 'SSL_SESSION_free' ? r.ossl.SSL_SESSION_free(h) : h.free()), DoubleFreeError);
    m.refused++;
    checkInvariants(m, r);
  }
  toString = (): string => `double ${this.layer}(#${this.pick})`;
}

const afterFreeUses: [string, (o: OpenSSL, s: Session) => unknown][] = [
  ['id', (_, s) => s.id],
  ['toDER', (_, s) => s.toDER()],
  ['upRef', (_, s) => s.upRef()],
  ['dup', (_, s) => s.dup()],
  ['set hostname', (_, s) => (s.hostname = 'x')],
  ['SSL_SESSION_get_id', (o, s) => o.SSL_SESSION_get_id(s)],
  ['SSL_SESSION_up_ref', (o, s) => o.SSL_SESSION_up_ref(s)],
  ['SSL_SESSION_dup', (o, s) => o.SSL_SESSION_dup(s)],
];

class UseAfterFree implements Cmd {
  constructor(
    readonly pick: number,
    readonly use: number,
  ) {}
  check = (m: Model): boolean => deadIndexes(m).length > 0;
  run(m: Model, r: Real): void {
    const h = r.handles[pickFrom(deadIndexes(m), this.pick)];
    refused(() => afterFreeUses[this.use][1](r.ossl, h), UseAfterFreeError);
    m.refused++;
    checkInvariants(m, r);
  }
  toString = (): string => `use after free: ${afterFreeUses[this.use][0]}(#${this.pick})`;
}

class Foreign implements Cmd {
  constructor(
    readonly pick: number,
    readonly call: 'SSL_SESSION_free' | 'SSL_SESSION_get_id' | 'SSL_SESSION_up_ref',
  ) {}
  check = (m: Model): boolean => m.handles.length > 0;
  run(m: Model, r: Real): void {
    const h = r.handles[this.pick % r.handles.length];
    refused(() => r.other[this.call](h), ForeignObjectError);
    m.foreignRefused++;
    checkInvariants(m, r);
  }
  toString = (): string => `other.${this.call}(#${this.pick})`;
}

class RawNumber implements Cmd {
  constructor(readonly value: number) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    refused(() => r.ossl.SSL_SESSION_free(this.value as unknown as Session), TypeError);
    m.refused++;
    checkInvariants(m, r);
  }
  toString = (): string => `SSL_SESSION_free(${this.value})`;
}

class Garbage implements Cmd {
  constructor(readonly bytes: Uint8Array) {}
  check = (): boolean => true;
  run(m: Model, r: Real): void {
    let decoded: Session | undefined;
    try {
      decoded = r.ossl.d2i_SSL_SESSION(this.bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(OpenSSLError);
    }
    if (decoded) adopted(m, r, decoded, decoded.hostname); // random bytes that happen to be a session
    checkInvariants(m, r);
  }
  toString = (): string => `d2i(${Buffer.from(this.bytes).toString('hex')})`;
}

const pick = fc.nat({ max: 1_000 });
const commands = [
  fc.constantFrom('SSL_SESSION_new', 'newSession', 'd2i_SSL_SESSION', 'PEM_read_SSL_SESSION').map((v) => new Create(v)),
  fc.tuple(pick, fc.constantFrom('SSL_SESSION_dup', 'Session.dup')).map(([p, l]) => new Dup(p, l)),
  fc.tuple(pick, fc.constantFrom('SSL_SESSION_up_ref', 'Session.upRef')).map(([p, l]) => new UpRef(p, l)),
  fc.tuple(pick, fc.constantFrom('SSL_SESSION_up_ref', 'Session.upRef')).map(([p, l]) => new UpRef(p, l)),
  fc.tuple(pick, fc.constantFrom('SSL_SESSION_free', 'Session.free', 'dispose')).map(([p, l]) => new Free(p, l)),
  fc.tuple(pick, fc.constantFrom('SSL_SESSION_free', 'Session.free', 'dispose')).map(([p, l]) => new Free(p, l)),
  fc.tuple(pick, fc.option(fc.domain(), { nil: null })).map(([p, h]) => new SetHostname(p, h)),
  fc.constant(new FreeNull()),
  fc.tuple(pick, fc.constantFrom('SSL_SESSION_free', 'Session.free')).map(([p, l]) => new DoubleFree(p, l)),
  fc.tuple(pick, fc.nat({ max: afterFreeUses.length - 1 })).map(([p, u]) => new UseAfterFree(p, u)),
  fc.tuple(pick, fc.constantFrom('SSL_SESSION_free', 'SSL_SESSION_get_id', 'SSL_SESSION_up_ref')).map(([p, c]) => new Foreign(p, c)),
  fc.oneof(fc.integer(), fc.double()).map((v) => new RawNumber(v)),
  fc.uint8Array({ maxLength: 64 }).map((b) => new Garbage(b)),
];

/**
 * Runs batches of random command sequences (each on a fresh instance, so a shrunk counterexample
 * replays from a clean ledger) until at least `minSteps` steps ran; after each sequence every
 * remaining reference is freed and the ledger must report no leak.
 */
async function explore(options: LoadOptions, minSteps: number): Promise<{ steps: number; last: OpenSSL }> {
  const other = await loadInstance({ wasmBinary });
  const pem = await loadInstance({ wasmBinary }).then((o) => {
    const s = o.d2i_SSL_SESSION(FIXTURE_DER);
    const text = s.toPEM();
    s.free();
    return text;
  });
  steps = 0;
  let last = other;
  while (steps < minSteps) {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 200, size: 'max' }), (cmds) =>
        usingInstance({ ...options, wasmBinary }, (ossl) => {
          last = ossl;
          const model: Model = { handles: [], hostnames: new Map(), refused: 0, foreignRefused: other.ledger.stats().refused };
          const real: Real = { ossl, other, handles: [], pem };
          fc.modelRun(() => ({ model, real }), cmds);
          // Free everything still held, through the layer the handle came from; then nothing leaks.
          real.handles.forEach((h, i) => {
            for (; model.handles[i].references > 0; model.handles[i].references--) ossl.SSL_SESSION_free(h);
          });
          expect(ossl.ledger.live()).toEqual([]);
        }),
      ),
      { numRuns: 20 },
    );
  }
  other.ledger.assertNoLeaks();
  return { steps, last };
}

describe('random sequences of reference operations and misuse keep the ledger, C and the model in agreement', () => {
  it('10,000 steps with tracing on (the default): every step agrees, and nothing leaks at the end', async () => {
    const { steps: ran, last } = await explore({}, 10_000);
    expect(ran).toBeGreaterThanOrEqual(10_000);
    last.ledger.assertNoLeaks();
  });

  it("2,000 steps without tracing (trace: false): the ledger reads OpenSSL's counts directly and still agrees", async () => {
    const { steps: ran, last } = await explore({ trace: false }, 2_000);
    expect(ran).toBeGreaterThanOrEqual(2_000);
    last.ledger.assertNoLeaks();
  });

  it('2,000 steps in debug mode (stacks recorded for every event): the same agreement', async () => {
    const { steps: ran, last } = await explore({ debug: true }, 2_000);
    expect(ran).toBeGreaterThanOrEqual(2_000);
    last.ledger.assertNoLeaks();
  });
});
