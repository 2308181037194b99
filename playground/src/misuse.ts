// Misuse on purpose: four mistakes C lets you make. Each sets up what it needs (ordinary, allowed
// calls), then makes the mistake, which the ledger refuses with a typed error before it reaches C.
// The page checks that the refused call changed nothing.
import { QUOTES, type Quote } from './manpages.js';
import type { PlainCId } from './plainc/programs.js';
import type { ConnectionInfo, Variable, World } from './world.js';

export interface MisuseSetup {
  v: Variable;
  connection: ConnectionInfo;
}

export interface Misuse {
  id: 'double-free' | 'free-borrowed' | 'use-after-free' | 'view-after-free';
  label: string;
  /** The error the ledger raises. */
  expect: string;
  /** What the man page says (the first quote is always SSL_SESSION_free(3)'s). */
  quotes: Quote[];
  setup(w: World): MisuseSetup;
  mistake(w: World, s: MisuseSetup): void;
  /** What the same program would have done in C, told with this world's numbers. */
  inC(w: World, s: MisuseSetup): string;
  /** The program that makes this mistake in real C, under AddressSanitizer. */
  plainC: PlainCId;
}

/** The newest connected client connection, or a new TLS 1.3 handshake's. */
function clientConnection(w: World): ConnectionInfo {
  return w.liveClientConnection() ?? w.handshake(w.tls13)[0];
}

function referencesOf(w: World, session: string): number {
  return w.holdersOf(session)?.references ?? 0;
}

/** "c1 and s3" (for "… still hold S4"), from the session's holders now. */
function othersHolding(w: World, session: string): string {
  w.settle();
  const names = (w.snapshot().sessions.find((n) => n.id === session)?.holders ?? []).map((h) => h.label);
  if (names.length === 0) return 'nobody';
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function holdVerb(w: World, session: string): string {
  return (w.holdersOf(session)?.holders.length ?? 0) === 1 ? 'holds' : 'hold';
}

function required<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`${what} returned NULL`);
  return value;
}

/** A handle taken with SSL_get1_session and freed again: the starting point of double free and use after free. */
function freedHandle(w: World): MisuseSetup {
  const connection = clientConnection(w);
  const v = required(w.get1Session(connection), 'SSL_get1_session');
  w.free(v);
  return { v, connection };
}

export const MISUSES: Misuse[] = [
  {
    id: 'double-free',
    plainC: 'double-free',
    label: 'Double free',
    expect: 'DoubleFreeError',
    quotes: [QUOTES.mustNot, QUOTES.decrement],
    setup: freedHandle,
    mistake(w, s) {
      w.free(s.v);
    },
    inC(w, s) {
      const n = referencesOf(w, s.v.session);
      return (
        `In C the second SSL_SESSION_free(${s.v.name}) would take ${s.v.session}'s count from ${n} to ${n - 1}, ` +
        `releasing a reference that belongs to someone else (${othersHolding(w, s.v.session)}). ` +
        'When they release theirs, the count reaches 0 while one of them still uses the memory.'
      );
    },
  },
  {
    id: 'free-borrowed',
    plainC: 'delayed',
    label: 'Free a borrowed session',
    expect: 'NotOwnedError',
    quotes: [QUOTES.mustOnly, QUOTES.mustNot],
    setup(w) {
      const connection = clientConnection(w);
      const v = required(w.getSession(connection), 'SSL_get_session');
      return { v, connection };
    },
    mistake(w, s) {
      w.free(s.v);
    },
    inC(w, s) {
      const n = referencesOf(w, s.v.session);
      return (
        `SSL_get_session(${s.connection.c}) took no reference, so ${s.v.name} has none to give back. In C the free would ` +
        `take ${s.v.session}'s count from ${n} to ${n - 1} anyway; one of its holders (${othersHolding(w, s.v.session)}) ` +
        'would later release a reference that no longer exists, freeing memory another holder still uses.'
      );
    },
  },
  {
    id: 'use-after-free',
    plainC: 'use-after-free',
    label: 'Use after free',
    expect: 'UseAfterFreeError',
    quotes: [QUOTES.crucial, QUOTES.get1],
    setup: freedHandle,
    mistake(w, s) {
      w.readTime(s.v);
    },
    inC(w, s) {
      return (
        `${s.v.name} released its reference. In C this read would even work today, because ${othersHolding(w, s.v.session)} ` +
        `still ${holdVerb(w, s.v.session)} ${s.v.session} alive (count ${referencesOf(w, s.v.session)}): the bug stays hidden until the last of them lets go, ` +
        'and then the same line reads freed memory.'
      );
    },
  },
  {
    id: 'view-after-free',
    plainC: 'view-after-free',
    label: 'Use a view after its connection is freed',
    expect: 'BorrowExpiredError',
    quotes: [QUOTES.crucial, QUOTES.get0],
    setup(w) {
      const [connection] = w.handshake(w.tls13);
      const v = required(w.getSession(connection), 'SSL_get_session');
      w.freeConnection(connection);
      return { v, connection };
    },
    mistake(w, s) {
      w.readTime(s.v);
    },
    inC(w, s) {
      const n = referencesOf(w, s.v.session);
      return n > 0
        ? `${s.v.name} was lent by ${s.connection.c}, which is gone. In C the read would work only by luck: ` +
            `${othersHolding(w, s.v.session)} still ${holdVerb(w, s.v.session)} ${s.v.session} (count ${n}). Had nobody kept it, ` +
            `SSL_free(${s.connection.c}) would have freed it and ${s.v.name} would point at freed memory.`
        : `${s.v.name} was lent by ${s.connection.c}, which is gone, and so is ${s.v.session}: in C the read would use freed memory.`;
    },
  },
];
