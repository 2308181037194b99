// The panels that report on the last action: its C lines, the error panel (typed error, the man
// page sentence it violates, what C would have done, proof that nothing changed), the tables of
// sessions and connections, the whole program, and the ledger's counters.
import { OwnershipError } from 'openssl-session-wasm';
import { PROTOCOLS } from './diagram.js';
import { fill, h } from './dom.js';
import { ATTRIBUTION, QUOTES, type Quote } from './manpages.js';
import type { CLine, SessionNode, Snapshot } from './world.js';

export interface Fingerprint {
  text: string;
  events: number;
  refused: number;
  summary: string;
}

/** A call that ended in an error, with what the page can say about it. */
export interface Failure {
  error: unknown;
  /** "Misuse: Double free", "SSL_SESSION_free(s1)" */
  context: string;
  quotes: Quote[];
  inC?: string;
  before?: Fingerprint;
  after?: Fingerprint;
}

/** The man page sentences each refusal violates (SSL_SESSION_free(3)'s first). */
export function quotesFor(error: unknown): Quote[] {
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case 'DoubleFreeError':
      return [QUOTES.mustNot, QUOTES.decrement];
    case 'NotOwnedError':
      return [QUOTES.mustOnly, QUOTES.mustNot];
    case 'UseAfterFreeError':
      return [QUOTES.crucial];
    case 'BorrowExpiredError':
      return [QUOTES.crucial, QUOTES.get0];
    default:
      return [];
  }
}

export function renderQuote(q: Quote): HTMLElement {
  return h(
    'figure',
    { class: 'quote', 'data-testid': 'quote', 'data-page': q.page },
    h('blockquote', {}, `“${q.text}”`),
    h('figcaption', {}, `— ${q.page}, ${ATTRIBUTION}`),
  );
}

export function renderError(root: HTMLElement, f: Failure | null, named: (text: string) => string = (t) => t): void {
  if (!f) {
    root.dataset.errorName = '';
    root.dataset.session = '';
    root.classList.remove('has-error');
    fill(root, h('h2', {}, 'Errors'), h('p', { class: 'dim', 'data-testid': 'error-none' }, 'The last action raised no error.'));
    return;
  }
  const e = f.error;
  const name = e instanceof Error ? e.name : 'Error';
  const message = named(e instanceof Error ? e.message : String(e));
  root.dataset.errorName = name;
  root.dataset.session = e instanceof OwnershipError ? e.sessionId : '';
  root.classList.add('has-error');
  const unchanged = f.before && f.after ? f.before.text === f.after.text : null;
  fill(
    root,
    h('h2', {}, 'Refused: ', h('span', { 'data-testid': 'error-name' }, name)),
    h('p', { class: 'dim' }, f.context, e instanceof OwnershipError ? ` · session ${e.sessionId}` : ''),
    h('pre', { class: 'error-message', 'data-testid': 'error-message' }, message),
    f.quotes.length ? h('div', { class: 'quotes' }, h('p', { class: 'label' }, 'The rule it breaks:'), ...f.quotes.map(renderQuote)) : null,
    f.inC ? h('p', { class: 'in-c', 'data-testid': 'in-c' }, h('strong', {}, 'In C, without the ledger: '), f.inC) : null,
    unchanged === null || !f.before || !f.after
      ? null
      : h(
          'p',
          {
            class: `unchanged ${unchanged ? 'ok' : 'bad'}`,
            'data-testid': 'unchanged',
            'data-unchanged': String(unchanged),
            'data-refused-before': f.before.refused,
            'data-refused-after': f.after.refused,
          },
          unchanged
            ? `Nothing changed in OpenSSL: ${f.after.summary}, and no reference event was recorded (still ${f.after.events}). ` +
                `The call never reached C. The only number that moved is the ledger's count of refused calls, ` +
                `${f.before.refused} → ${f.after.refused}: that is this refusal.`
            : `Something changed! before: ${f.before.text} after: ${f.after.text}`,
        ),
  );
}

export function renderLastLines(root: HTMLElement, lines: CLine[], failure: Failure | null): void {
  const name = failure ? (failure.error instanceof Error ? failure.error.name : 'Error') : null;
  fill(
    root,
    name
      ? h(
          'p',
          { class: 'refused-note', 'data-testid': 'refused-note' },
          h('strong', {}, `Refused: ${name}. `),
          'The error, the rule it breaks and what changed are ',
          h('a', { href: '#error-section' }, 'below the diagram'),
          '.',
        )
      : null,
    lines.length
      ? h(
          'pre',
          { class: 'c-lines' },
          ...lines.map((l) => h('span', { class: `c${l.error ? ' refused' : ''}`, 'data-testid': 'last-c-line' }, formatLine(l), '\n')),
        )
      : h('p', { class: 'dim' }, 'Each action shows its C here.'),
  );
}

export function renderProgram(root: HTMLElement, program: CLine[]): void {
  fill(
    root,
    program.length
      ? h(
          'ol',
          { class: 'program' },
          ...program.map((l) =>
            h(
              'li',
              { 'data-testid': 'c-line', 'data-error': l.error ?? null, class: l.error ? 'refused' : null },
              h('code', {}, formatLine(l)),
            ),
          ),
        )
      : h('p', { class: 'dim' }, 'No calls yet.'),
  );
}

function formatLine(l: CLine): string {
  const comment = l.error ? `refused: ${l.error}` : l.comment;
  if (!l.text) return `/* ${comment ?? ''} */`;
  return comment ? `${l.text}  /* ${comment} */` : l.text;
}

export function renderSessionsTable(root: HTMLElement, snap: Snapshot, ghosts: SessionNode[]): void {
  const rows = [...snap.sessions, ...ghosts]
    .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)))
    .map((s) => {
      const d = s.details;
      const cells = d
        ? [
            h('td', { class: 'mono', title: d.idHex || 'empty' }, d.idHex ? `${d.idHex.slice(0, 16)}…` : '(empty)'),
            h('td', {}, PROTOCOLS.get(d.protocol) ?? (d.protocol === 0 ? '—' : `0x${d.protocol.toString(16)}`)),
            h('td', { class: 'mono' }, d.cipher ?? '—'),
            h('td', {}, d.ticket ? 'yes' : 'no'),
            h('td', {}, new Date(d.time * 1000).toLocaleTimeString()),
            h('td', {}, `${d.timeout} s`),
            h('td', {}, d.resumable ? 'yes' : 'no'),
          ]
        : [h('td', { colspan: 7, class: 'dim' }, 'not readable: no live object names it')];
      return h(
        'tr',
        {
          'data-testid': `session-row-${s.id}`,
          'data-protocol': d ? d.protocol : null,
          'data-ticket': d ? String(d.ticket) : null,
          'data-resumable': d ? String(d.resumable) : null,
          class: s.freed ? 'freed' : null,
        },
        h('th', { scope: 'row' }, s.id),
        h('td', {}, s.freed ? 'freed' : String(s.references)),
        ...cells,
      );
    });
  fill(
    root,
    rows.length ? h('p', { class: 'table-cue', 'aria-hidden': 'true' }, '⇆ swipe the table sideways for more columns') : null,
    rows.length
      ? h(
          'div',
          { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'sessions, scrolls sideways' },
          h(
            'table',
            { 'data-testid': 'sessions-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Session', 'references', 'id', 'protocol', 'cipher', 'ticket', 'time', 'timeout', 'resumable'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h('tbody', {}, ...rows),
          ),
        )
      : h('p', { class: 'dim' }, 'No sessions.'),
  );
}

export function renderConnectionsTable(root: HTMLElement, snap: Snapshot): void {
  const rows = snap.connections.map((c) =>
    h(
      'tr',
      {
        'data-testid': `connection-${c.id}`,
        'data-state': c.state,
        'data-protocol': c.protocol,
        'data-reused': c.reused === null ? null : String(c.reused),
        'data-session': c.session,
        class: c.state === 'freed' ? 'freed' : null,
      },
      h('th', { scope: 'row' }, c.id),
      h('td', {}, c.role),
      h('td', {}, c.context),
      h('td', {}, c.peer ?? '—'),
      h('td', {}, c.state),
      h('td', {}, c.protocol ?? '—'),
      h('td', { class: 'mono' }, c.cipher ?? '—'),
      h('td', {}, c.reused === null ? '—' : c.reused ? 'yes' : 'no'),
      h('td', {}, c.session ?? '—'),
    ),
  );
  fill(
    root,
    rows.length ? h('p', { class: 'table-cue', 'aria-hidden': 'true' }, '⇆ swipe the table sideways for more columns') : null,
    rows.length
      ? h(
          'div',
          { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'connections, scrolls sideways' },
          h(
            'table',
            { 'data-testid': 'connections-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['SSL', 'role', 'SSL_CTX', 'peer', 'state', 'protocol', 'cipher', 'reused', 'session'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h('tbody', {}, ...rows),
          ),
        )
      : h('p', { class: 'dim' }, 'No connections yet: run a handshake.'),
  );
}

export function renderStats(root: HTMLElement, snap: Snapshot, leaks: number): void {
  const s = snap.stats;
  root.dataset.liveSessions = String(s.liveSessions);
  root.dataset.handleReferences = String(s.handleReferences);
  root.dataset.refused = String(s.refused);
  root.dataset.violations = String(s.violations);
  fill(
    root,
    h('span', {}, 'live sessions ', h('b', {}, s.liveSessions)),
    h('span', {}, 'references held by handles ', h('b', {}, s.handleReferences)),
    h('span', {}, 'refused calls ', h('b', {}, s.refused)),
    h('span', {}, 'violations ', h('b', {}, s.violations)),
    leaks ? h('span', { class: 'bad' }, 'leaks reported ', h('b', {}, leaks)) : null,
  );
}

/** SSL_SESSION_print of the selected variable's session (OpenSSL's words, not ours). */
export function renderInside(root: HTMLElement, name: string | null, read: () => { print: string }): void {
  if (!name) {
    fill(root, h('p', { class: 'dim' }, 'Select a session variable to look inside it.'));
    return;
  }
  let seen: ReturnType<typeof read>;
  try {
    seen = read();
  } catch (error) {
    fill(
      root,
      h(
        'p',
        { class: 'dim', 'data-testid': 'inside-refused' },
        error instanceof Error ? (error.name === 'Error' ? error.message : `${error.name}: ${error.message}`) : String(error),
      ),
    );
    return;
  }
  fill(
    root,
    h('h3', {}, h('code', {}, `SSL_SESSION_print(bio, ${name})`)),
    h('pre', { class: 'inside-text', 'data-testid': 'inside-print', tabindex: '0' }, seen.print),
  );
}
