/**
 * The Ledger users see: questions only. Every question runs through the gate (so it raises
 * InstanceFailedError once the instance trapped: its memory can no longer be trusted); the
 * writer behind it is private to the package.
 */
import { brand, CONSTRUCT, refuseConstruction } from '../core/brand.js';
import { text } from '../core/convert.js';
import { declare, type Param, SESSION } from '../core/gate.js';
import type { Core } from '../core/instance.js';
import { InvalidArgumentError } from '../errors.js';
import type { Session, SessionView } from '../session/session.js';
import type { LedgerEvent } from './events.js';
import type { HoldersReport, LedgerStats, LiveSession, SessionRecord } from './ledger.js';

/** The longest session id a question takes ("S" and a count). */
const ID_MAX = 32;

/**
 * holders()' and history()'s argument: a Session, a SessionView, or a live session's id ("S3"),
 * resolved to its record in the check (an id no live session has is a counted refusal).
 */
const SESSION_OR_ID: Param<{ id: string } | { record: SessionRecord }, SessionRecord> = {
  name: 'session',
  convert: (v, what, core, op) => {
    if (typeof v === 'string') return { id: text(v, what, ID_MAX) };
    return { record: SESSION.convert(v, what, core, op).own.record };
  },
  check: (s, op, core) => {
    if ('record' in s) return s.record;
    const record = core.ledger.liveRecord(s.id);
    if (record === undefined) throw new InvalidArgumentError(`${op}: no live session ${s.id}`);
    return record;
  },
};

const events = declare('ledger.events', [], (core) => core.ledger.events(), { clearErrors: false });
const live = declare('ledger.live', [], (core) => core.ledger.live(), { clearErrors: false });
const stats = declare('ledger.stats', [], (core) => core.ledger.stats(), { clearErrors: false });
const violations = declare('ledger.violations', [], (core) => core.ledger.violations(), { clearErrors: false });
const heapBytes = declare('ledger.heapBytes', [], (core) => core.ledger.heapBytes(), { clearErrors: false });
const assertNoLeaks = declare('ledger.assertNoLeaks', [], (core) => core.ledger.assertNoLeaks(), { clearErrors: false });
const holders = declare('ledger.holders', [SESSION_OR_ID], (core, record): HoldersReport => core.ledger.holdersOf(record), {
  clearErrors: false,
});
const history = declare('ledger.history', [SESSION_OR_ID], (core, record): LedgerEvent[] => core.ledger.historyOf(record), {
  clearErrors: false,
});

const cores = new WeakMap<Ledger, Core>();

function coreOf(l: Ledger): Core {
  const core = cores.get(l);
  if (core === undefined) throw new TypeError("expected an OpenSSL instance's ledger");
  return core;
}

/** Who holds which reference: events, live sessions, holders, leak report. Read-only. */
export class Ledger {
  /** @internal */
  constructor(token: unknown, core?: Core) {
    refuseConstruction(token, 'Ledger', 'every instance has one: (await loadOpenSSL()).ledger');
    brand(this, 'Ledger');
    cores.set(this, core as Core);
    Object.freeze(this); // no own property may shadow a question (assertNoLeaks = () => {})
  }

  /** The newest events, oldest first (the last 10,000; in debug mode the last 1,000,000). */
  events(): LedgerEvent[] {
    return events(coreOf(this));
  }
  /** Every session the ledger knows alive (with tracing: every live SSL_SESSION in the instance). */
  live(): LiveSession[] {
    return live(coreOf(this));
  }
  stats(): LedgerStats {
    return stats(coreOf(this));
  }
  /** Invariant violations seen (OpenSSL's count below what JS holds): each one is a bug. */
  violations(): string[] {
    return violations(coreOf(this));
  }
  /** Who holds references to `session` (a Session, a SessionView, or a live session's id "S3"). */
  holders(session: Session | SessionView | string): HoldersReport {
    return holders(coreOf(this), session);
  }
  /**
   * Every reference taken and dropped for `session` (a Session, a SessionView, or a live session's
   * id "S3"), oldest first: op, holder, site, count after, the JS call, the stack in debug mode.
   * Debug mode keeps all of them; release mode finds them among the instance's newest 10,000 events.
   */
  history(session: Session | SessionView | string): LedgerEvent[] {
    return history(coreOf(this), session);
  }
  /** C heap bytes in use now (the allocator's count): compare before and after to catch leaks inside C. */
  heapBytes(): number {
    return heapBytes(coreOf(this));
  }
  /**
   * Throws LeakError naming every session a handle still holds (with the takes never given back:
   * holder, site, call, stack in debug mode), references no holder accounts for, and every
   * connection and context not freed. Checks every live session's holders against C first.
   */
  assertNoLeaks(): void {
    assertNoLeaks(coreOf(this));
  }
  /** Whether events carry JS stacks (loadOpenSSL({ debug: true })). */
  get debug(): boolean {
    return coreOf(this).ledger.debug;
  }
  /** Whether OpenSSL's own reference changes are observed (loadOpenSSL({ trace })). */
  get tracing(): boolean {
    return coreOf(this).ledger.tracing;
  }
  toJSON(): LedgerStats {
    return this.stats();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const s = this.stats();
    return `Ledger { liveSessions: ${s.liveSessions}, handleReferences: ${s.handleReferences}, refused: ${s.refused}, violations: ${s.violations} }`;
  }
}

/** The public ledger of an instance (made once, by the instance). */
export function publicLedger(core: Core): Ledger {
  return new Ledger(CONSTRUCT, core);
}
