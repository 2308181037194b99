// Guided scenarios: each step runs real calls in a fresh world and tells what happened to the
// references. Going back replays the steps before it in a new world (calls cannot be undone).
import { LeakError } from 'openssl-session-wasm';
import { h } from './dom.js';
import { QUOTES, type Quote } from './manpages.js';
import type { PlainCId } from './plainc/programs.js';
import type { ConnectionInfo, Variable, World } from './world.js';

/** What a scenario's steps name: variables and connections, by the scenario's own names. */
export type Vars = Record<string, Variable | ConnectionInfo>;

type Child = Node | string | null;

/**
 * An exercise asked before a step runs: the student predicts what the step will do, and the answer
 * is read from the ledger after it ran (never written into the question).
 */
export interface Predict {
  question: string;
  choices: string[];
  answer: (w: World, v: Vars) => string;
  explain: (w: World, v: Vars) => string;
}

export interface Step {
  title: string;
  /** Asked at the step before this one. */
  predict?: Predict;
  run?: (w: World, v: Vars) => void;
  /** A mistake the page refuses on purpose (after `run`); the page checks it changed nothing. */
  mistake?: { run: (w: World, v: Vars) => void; expect: string };
  body: (w: World, v: Vars) => Child[];
  quotes?: Quote[];
  /** What plain C, without the ledger, would be doing at this step. */
  plainC?: (w: World, v: Vars) => string;
  /** The program that runs this step's C for real, under AddressSanitizer. */
  runInC?: PlainCId;
}

export interface Scenario {
  id: number;
  title: string;
  steps: Step[];
}

const code = (text: string): HTMLElement => h('code', {}, text);
const variable = (v: Vars, name: string): Variable => v[name] as Variable;
const conn = (v: Vars, name: string): ConnectionInfo => v[name] as ConnectionInfo;
/**
 * assertNoLeaks() finds no session reference left behind. It also names every context and
 * connection not freed: the page keeps its contexts (and may keep connections) for the whole visit.
 */
function noSessionLeft(w: World): void {
  try {
    w.ossl.ledger.assertNoLeaks();
  } catch (error) {
    if (!(error instanceof LeakError) || error.leaks.length > 0) throw error;
  }
}
const referencesOf = (w: World, session: string): number => w.holdersOf(session)?.references ?? 0;

const WHO = ['your code (a JS call)', 'OpenSSL, inside the flush', 'nobody: it leaks'];

/** Who released a session's last reference, as the ledger recorded it. */
function whoFreed(w: World, session: string): string {
  const last = w
    .snapshot()
    .events.filter((e) => e.session === session && e.op === 'free' && e.references === 0)
    .at(-1);
  if (!last) return WHO[2];
  return last.cause === 'js' ? WHO[0] : WHO[1];
}

function sameOrNew(w: World, connection: ConnectionInfo, before: string): string {
  const now = w.snapshot().connections.find((c) => c.id === connection.id)?.session;
  return now === before ? 'the same SSL_SESSION object' : 'a new SSL_SESSION';
}

/** The session the client's new-session callback kept during the last handshake on `ci`. */
function keptFrom(w: World, ci: ConnectionInfo): Variable {
  const kept = [...w.variables].reverse().find((x) => x.origin === `new_session_cb(${ci.c})`);
  if (!kept) throw new Error(`no session was kept from ${ci.c}`);
  return kept;
}

function serverSession(w: World, ci: ConnectionInfo): string {
  return w.snapshot().connections.find((c) => c.id === ci.id)?.session ?? '?';
}

const lifecycle: Scenario = {
  id: 1,
  title: 'The life of a session: SSL_SESSION_new(3) and SSL_SESSION_free(3)',
  steps: [
    {
      title: 'SSL_SESSION_new: one reference, yours',
      run: (w, v) => {
        v.s1 = w.newSession();
      },
      body: (w, v) => [
        code('s1'),
        ' is a handle: it stands for the one reference SSL_SESSION_new gave you. ',
        `${variable(v, 's1').session} has count ${referencesOf(w, variable(v, 's1').session)} and one holder, s1. `,
        'A session made outside a handshake is one the man page says you must free yourself.',
      ],
      quotes: [QUOTES.new, QUOTES.mustOnly],
    },
    {
      title: 'SSL_SESSION_up_ref: a second reference',
      run: (w, v) => w.upRef(variable(v, 's1')),
      body: (w, v) => [
        `The count is ${referencesOf(w, variable(v, 's1').session)}. In C you would hand the second reference to other code or keep it `,
        'in another pointer; here the page counts it on ',
        code('s1'),
        ', which now owns 2 references and must be freed twice.',
      ],
      quotes: [QUOTES.upRef],
    },
    {
      title: 'SSL_SESSION_dup: a copy with a count of its own',
      run: (w, v) => {
        v.s2 = w.dup(variable(v, 's1'));
      },
      body: (w, v) => [
        code('s2'),
        ` names a new object, ${variable(v, 's2').session}, with count ${referencesOf(w, variable(v, 's2').session)}. `,
        `Freeing one never changes the other's count; ${variable(v, 's1').session} still has ${referencesOf(w, variable(v, 's1').session)}.`,
      ],
      quotes: [QUOTES.dup],
    },
    {
      title: 'SSL_CTX_add_session: the cache takes its own reference',
      predict: {
        question: 's1 owns 2 references. After SSL_CTX_add_session(x1, s1), what will its session’s count be?',
        choices: ['2', '3', '4'],
        answer: (w, v) => String(referencesOf(w, variable(v, 's1').session)),
        explain: () =>
          'The cache takes a reference of its own (add_session’s man page: “one reference count for the cache”), so 2 + 1. It is OpenSSL’s to release, not yours.',
      },
      run: (w, v) => w.cacheAdd(w.client, variable(v, 's1')),
      body: (w, v) => [
        `The client context's cache (X1) now holds ${variable(v, 's1').session} too: count ${referencesOf(w, variable(v, 's1').session)} `,
        '= 2 (s1) + 1 (X1 cache). That reference is OpenSSL’s, not yours: you never free it; ',
        code('SSL_CTX_remove_session'),
        ' or a flush releases it.',
      ],
      quotes: [QUOTES.add],
    },
    {
      title: 'SSL_SESSION_free: one reference back',
      run: (w, v) => w.free(variable(v, 's1')),
      body: (w, v) => [`Count ${referencesOf(w, variable(v, 's1').session)}: s1 owns 1, the cache 1. Nothing is freed yet.`],
      quotes: [QUOTES.decrement],
    },
    {
      title: 'SSL_SESSION_free again: you hold nothing now',
      run: (w, v) => w.free(variable(v, 's1')),
      body: (w, v) => [
        `Count ${referencesOf(w, variable(v, 's1').session)}: only the cache holds ${variable(v, 's1').session}. In C, `,
        code('s1'),
        ' still contains the address, and reading through it would even work, because the cache keeps the memory alive. ',
        'The page refuses any further use of s1: try the misuse buttons.',
      ],
      quotes: [QUOTES.crucial],
    },
    {
      title: 'The cache lets go: SSL_CTX_flush_sessions',
      predict: {
        question: 'You have freed s1 twice and hold nothing. Who will release its session’s last reference?',
        choices: WHO,
        answer: (w, v) => whoFreed(w, variable(v, 's1').session),
        explain: () => 'The cache held the last reference, so the flush (OpenSSL) drops it. The timeline marks it OpenSSL, not JS.',
      },
      run: (w) => w.flush(w.client, 305),
      body: (_w, v) => [
        `SSL_SESSION_new gives a session OpenSSL's default lifetime of 304 seconds, so a flush at "now + 305" finds `,
        `${variable(v, 's1').session} expired and drops the cache's reference: the count reaches 0 and OpenSSL releases the memory. `,
        'The timeline shows it was OpenSSL, not your code, that dropped that last reference.',
      ],
      quotes: [QUOTES.flush],
    },
    {
      title: 'The copy goes last; nothing leaks',
      run: (w, v) => {
        w.free(variable(v, 's2'));
        noSessionLeft(w);
        w.note('ledger.assertNoLeaks(): no reference left behind');
      },
      body: (w) => [
        `SSL_SESSION_free(s2) releases the copy's only reference. Live sessions: ${w.ossl.ledger.live().length}. `,
        code('ledger.assertNoLeaks()'),
        ' passed: every reference JS took was given back exactly once.',
      ],
      quotes: [QUOTES.mustOnly],
    },
  ],
};

const delayed: Scenario = {
  id: 2,
  title: 'The delayed failure: a cached session freed by mistake',
  steps: [
    {
      title: 'A TLS 1.2 server caches its session',
      run: (w, v) => {
        const [c, s] = w.handshake(w.tls12);
        v.client = c;
        v.server = s;
      },
      body: (w, v) => {
        const sess = serverSession(w, conn(v, 'server'));
        return [
          `The server context X3 (TLS 1.2, no tickets) keeps every new session in its cache, to resume it by session ID later. `,
          `Its session ${sess} has count ${referencesOf(w, sess)}: the X3 cache and the server connection ${conn(v, 'server').id}. `,
          'The client made a session of its own, kept by its new-session callback.',
        ];
      },
      quotes: [QUOTES.holders],
    },
    {
      title: 'Borrow it: SSL_get_session',
      run: (w, v) => {
        const view = w.getSession(conn(v, 'server'));
        if (!view) throw new Error('the server connection has no session');
        v.v = view;
      },
      body: (w, v) => [
        code(variable(v, 'v').name),
        ` is a view: a pointer lent by ${conn(v, 'server').id}, with no reference of its own. `,
        `The count stays ${referencesOf(w, variable(v, 'v').session)}. Nothing in C marks it as borrowed, and nothing stops you from freeing it.`,
      ],
      quotes: [QUOTES.get0],
    },
    {
      title: 'The mistake: SSL_SESSION_free on the borrowed pointer',
      mistake: { run: (w, v) => w.free(variable(v, 'v')), expect: 'NotOwnedError' },
      body: (w, v) => [
        `Refused here with NotOwnedError, and the count is still ${referencesOf(w, variable(v, 'v').session)} (see the error panel). `,
        `In C the call succeeds silently: the count goes from 2 to 1. Nothing looks wrong — yet.`,
      ],
      runInC: 'delayed',
      plainC: () => 'count 1, with two holders (X3 cache, the server connection) each believing it owns a reference.',
      quotes: [QUOTES.mustOnly, QUOTES.mustNot],
    },
    {
      title: 'The connection ends',
      predict: {
        question: 'The free was refused, so the count is still 2 (the X3 cache and c2). What will it be after SSL_free(c2)?',
        choices: ['0', '1', '2'],
        answer: (w, v) => String(referencesOf(w, variable(v, 'v').session)),
        explain: () =>
          'SSL_free drops exactly the connection’s reference; the cache’s stays. In plain C, after the mistake, this same call would have reached 0 and freed memory the cache still points at.',
      },
      run: (w, v) => w.freeConnection(conn(v, 'server')),
      body: (w, v) => [
        `SSL_free(${conn(v, 'server').c}) drops the connection's reference: count ${referencesOf(w, variable(v, 'v').session)}, `,
        'held by the X3 cache alone. Correct, and resumable by its session ID.',
      ],
      runInC: 'delayed',
      plainC: () =>
        'count 0: OpenSSL frees the session’s memory, but the X3 cache still links to it. Nothing crashes; the cache now holds a dangling pointer.',
      quotes: [QUOTES.crucial],
    },
    {
      title: 'The delayed failure: SSL_CTX_flush_sessions',
      predict: {
        question: 'Two hours later the server flushes its cache. Who will free the session?',
        choices: WHO,
        answer: (w, v) => whoFreed(w, variable(v, 'v').session),
        explain: () =>
          'The cache held the last reference and the flush drops it: OpenSSL frees the session, cleanly, because the ledger refused the mistake.',
      },
      run: (w) => w.flush(w.tls12, 7201),
      body: (_w, v) => [
        `Two hours later (simulated: "now + 7201") a flush walks the cache and drops expired sessions. It finds `,
        `${variable(v, 'v').session}, drops the cache's reference, and the count reaches 0: OpenSSL frees it, cleanly (see the timeline). `,
        `Live sessions on the server side: none left in X3's cache.`,
      ],
      runInC: 'delayed',
      plainC: () =>
        'SSL_CTX_flush_sessions reads the freed session to test its timeout, unlinks it from the cache list (writing into freed ' +
        'memory), marks it not resumable (another write) and calls SSL_SESSION_free on it again: a double free. The program ' +
        'aborts in the allocator or silently corrupts the heap, inside a flush far, in time and in code, from the ' +
        'SSL_SESSION_free that caused it.',
      quotes: [QUOTES.delayed],
    },
    {
      title: 'The right way to keep a session',
      run: (w, v) => {
        const [, s] = w.handshake(w.tls12);
        const kept = w.get1Session(s);
        if (!kept) throw new Error('no session');
        v.kept = kept;
        w.freeConnection(s);
        w.free(kept);
      },
      body: (w, v) => [
        'To keep a session beyond its connection, take a reference of your own with ',
        code('SSL_get1_session'),
        ` and free exactly that one. ${variable(v, 'kept').session}: X3 cache + connection + ${variable(v, 'kept').name} = 3; `,
        `after SSL_free, 2; after SSL_SESSION_free(${variable(v, 'kept').name}), ${referencesOf(w, variable(v, 'kept').session)}: only the cache, as it should be.`,
      ],
      quotes: [QUOTES.get1],
    },
  ],
};

const resumption: Scenario = {
  id: 3,
  title: 'Resumption: TLS 1.2 session IDs vs TLS 1.3 tickets',
  steps: [
    {
      title: 'TLS 1.2: a full handshake',
      run: (w, v) => {
        const [c, s] = w.handshake(w.tls12);
        v.c12 = c;
        v.s12 = s;
        v.k12 = keptFrom(w, c);
      },
      body: (w, v) => {
        const sess = serverSession(w, conn(v, 's12'));
        return [
          `The client keeps its session as ${variable(v, 'k12').name} (new-session callback); it carries the session ID the `,
          `server chose. The server keeps its own session ${sess} in the X3 cache (count ${referencesOf(w, sess)}: cache + ${conn(v, 's12').id}). `,
          'There is no ticket: X3 has tickets turned off, so the cache is the only way back.',
        ];
      },
      quotes: [QUOTES.holders],
    },
    {
      title: 'TLS 1.2: resumption by session ID',
      predict: {
        question: 'The client resumes with its session by ID. Will the new client connection use the same SSL_SESSION or a new one?',
        choices: ['the same SSL_SESSION object', 'a new SSL_SESSION'],
        answer: (w, v) => sameOrNew(w, conn(v, 'c12b'), variable(v, 'k12').session),
        explain: () => 'With session IDs the client and server reuse the very objects they have: no new session on either side.',
      },
      run: (w, v) => {
        const [c, s] = w.handshake(w.tls12, variable(v, 'k12'));
        v.c12b = c;
        v.s12b = s;
      },
      body: (w, v) => [
        `SSL_set_session(${conn(v, 'c12b').c}, ${variable(v, 'k12').name}) offered the ID; the server found it in its cache. `,
        `Resumed on both sides: client ${conn(v, 'c12b').conn.sessionReused ? 'yes' : 'no'}, server ${conn(v, 's12b').conn.sessionReused ? 'yes' : 'no'}. `,
        `Look at the objects: ${conn(v, 'c12b').id} uses the very same SSL_SESSION as ${conn(v, 'c12').id} `,
        `(${variable(v, 'k12').session}, count ${referencesOf(w, variable(v, 'k12').session)}), and the server's ${conn(v, 's12b').id} the very same cached one. `,
        'No new session was made on either side.',
      ],
      quotes: [QUOTES.set],
    },
    {
      title: 'TLS 1.3: a full handshake, then a ticket',
      run: (w, v) => {
        const [c, s] = w.handshake(w.tls13);
        v.c13 = c;
        v.s13 = s;
        v.k13 = keptFrom(w, c);
      },
      body: (w, v) => [
        'TLS 1.3 makes the resumable session after the handshake. The client first holds a session that cannot be resumed; ',
        'when the server’s NewSessionTicket arrives, OpenSSL replaces it (timeline: OpenSSL created a session and freed the first). ',
        `The client keeps the new one, ${variable(v, 'k13').session} as ${variable(v, 'k13').name}, from the new-session callback. `,
        `The server caches nothing: the ticket carries the state (X2 cache: ${w.tls13.ctx.sessionCount} sessions).`,
      ],
      quotes: [QUOTES.tls13Later, QUOTES.newCallback],
    },
    {
      title: 'TLS 1.3: resumption with the ticket',
      predict: {
        question: 'The client resumes with its TLS 1.3 ticket. Will the client end up with the same SSL_SESSION or a new one?',
        choices: ['the same SSL_SESSION object', 'a new SSL_SESSION'],
        answer: (_w, v) =>
          variable(v, 'k13b').session === variable(v, 'k13').session ? 'the same SSL_SESSION object' : 'a new SSL_SESSION',
        explain: () =>
          'A TLS 1.3 server sends a fresh ticket on every resumption, and OpenSSL makes a new session for it: resume next time with the newest.',
      },
      run: (w, v) => {
        const [c, s] = w.handshake(w.tls13, variable(v, 'k13'));
        v.c13b = c;
        v.s13b = s;
        v.k13b = keptFrom(w, c);
      },
      body: (_w, v) => [
        `Resumed on both sides: client ${conn(v, 'c13b').conn.sessionReused ? 'yes' : 'no'}, server ${conn(v, 's13b').conn.sessionReused ? 'yes' : 'no'}. `,
        `Unlike TLS 1.2, the server sent a fresh ticket and the client kept a new session, ${variable(v, 'k13b').session} `,
        `as ${variable(v, 'k13b').name}. ${variable(v, 'k13').name} is still yours to free, but resume next time with the newest.`,
      ],
      quotes: [QUOTES.tls13Once],
    },
    {
      title: 'Clean up: nothing left behind',
      run: (w) => {
        for (const ci of w.connections) if (!ci.conn.isFreed) w.freeConnection(ci);
        for (const x of w.variables) if (w.referencesOf(x) > 0) for (let n = w.referencesOf(x); n > 0; n--) w.free(x);
        w.flush(w.tls12, 7201);
        noSessionLeft(w);
        w.note('ledger.assertNoLeaks(): no reference left behind');
      },
      body: (w) => [
        'Every connection freed (SSL_shutdown first, so sessions stay resumable), every handle freed once per reference, ',
        `the X3 cache flushed. Live sessions: ${w.ossl.ledger.live().length}. `,
        code('ledger.assertNoLeaks()'),
        ' passed.',
      ],
    },
  ],
};

export const SCENARIOS: Scenario[] = [lifecycle, delayed, resumption];
