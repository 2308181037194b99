// The timeline of ledger events, grouped by the action that caused them (newest action first).
// Each event says who did it: your JS call (cause 'js') or OpenSSL on its own (cause 'openssl').
import type { LedgerEvent } from 'openssl-session-wasm';
import { fill, h } from './dom.js';
import type { CLine } from './world.js';

/** One action of the page and the ledger events it caused: those with seq in (from, to]. */
export interface ActionGroup {
  n: number;
  title: string;
  lines: CLine[];
  from: number;
  to: number;
  /** The error name when the action ended in a refused call. */
  error: string | null;
}

const OP_TEXT: Record<LedgerEvent['op'], string> = {
  new: 'SSL_SESSION_new: a reference for JS',
  dup: 'SSL_SESSION_dup: a reference for JS',
  d2i: 'd2i_SSL_SESSION: a reference for JS',
  pem_read: 'PEM_read: a reference for JS',
  get1: 'a reference handed to JS',
  up_ref: 'up_ref (+1)',
  free: 'free (−1)',
  created: 'created a session',
};

export function renderTimeline(
  root: HTMLElement,
  groups: ActionGroup[],
  events: LedgerEvent[],
  named: (text: string) => string = (t) => t,
): void {
  const items = [...groups].reverse().map((g, i) => {
    const mine = events.filter((e) => e.seq > g.from && e.seq <= g.to);
    const lines = g.lines.filter((l) => l.text !== '');
    return h(
      'li',
      {
        class: `group${i === 0 ? ' latest' : ''}`,
        'data-testid': 'action-group',
        'data-action': g.n,
        'data-events': mine.length,
      },
      h(
        'div',
        { class: 'group-head' },
        h('span', { class: 'group-title' }, `#${g.n} ${g.title}`),
        g.error ? h('span', { class: 'badge refused' }, `refused: ${g.error}`) : null,
      ),
      lines.length ? h('pre', { class: 'group-code' }, lines.map((l) => l.text).join('\n')) : null,
      mine.length
        ? h('ol', { class: 'events' }, ...mine.map((e) => renderEvent(e, named)))
        : h('p', { class: 'no-events' }, g.error ? 'no ledger event: the call was refused before reaching C' : 'no reference changed'),
    );
  });
  fill(root, items.length ? h('ol', { class: 'groups' }, ...items) : h('p', { class: 'empty' }, 'Nothing has happened yet.'));
}

function renderEvent(e: LedgerEvent, named: (text: string) => string): HTMLElement {
  const freed = e.op === 'free' && e.references === 0;
  return h(
    'li',
    {
      class: `event cause-${e.cause}${freed ? ' freed' : ''}`,
      'data-testid': 'event',
      'data-seq': e.seq,
      'data-cause': e.cause,
      'data-op': e.op,
      'data-session': e.session,
      'data-references': e.references,
    },
    h('span', { class: `badge cause-${e.cause}` }, e.cause === 'js' ? 'JS' : 'OpenSSL'),
    ' ',
    h('b', {}, e.session),
    ' ',
    OP_TEXT[e.op],
    ' → references ',
    h('b', {}, e.references),
    freed ? h('span', { class: 'freed-note' }, ' (memory released)') : null,
    h('span', { class: 'via' }, named(` · in ${e.via}${e.holder ? ` · holder ${e.holder}` : ''}`)),
  );
}
