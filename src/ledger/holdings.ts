/**
 * Who holds one session's references, derived from its events alone: every take (new, up_ref, get1,
 * a cache insert, ...) opens an entry under its holder, every drop closes that holder's newest one.
 * A holder's open takes are its references; those still open when nothing should hold the session
 * are the references that were never given back, each with the event (site, call, stack) that took it.
 */
import type { LedgerEvent } from './events.js';

/** What a holder is: a JS handle, a connection (SSL), a context's cache (SSL_CTX), a callback in flight. */
export type HolderKind = 'handle' | 'connection' | 'cache' | 'callback';

/** One holder of a session's references. */
export interface Holder {
  kind: HolderKind;
  /** "H4" (a JS handle), "C2" (a connection), "X1 cache" (a context's cache), "C2 onNewSession". */
  id: string;
  references: number;
}

/** A reference taken and not given back: who took it, and the event that did. */
export interface OpenTake {
  holder: string;
  kind: HolderKind;
  event: LedgerEvent;
}

export class Holdings {
  // By holder, in order of their first take: a few parallel arrays, scanned. A session has a few
  // holders at a time, and most of them come and go (a new handle per upRef()): a Map entry keyed by
  // a fresh id each time cost more than the rest of recording the event.
  private readonly ids: string[] = [];
  private readonly kinds: HolderKind[] = [];
  private readonly takes: LedgerEvent[][] = [];
  /** References over all holders. */
  total = 0;

  private find(holder: string): number {
    const ids = this.ids;
    for (let i = 0; i < ids.length; i++) if (ids[i] === holder) return i;
    return -1;
  }

  take(holder: string, kind: HolderKind, event: LedgerEvent): void {
    const at = this.find(holder);
    if (at < 0) {
      this.ids.push(holder);
      this.kinds.push(kind);
      this.takes.push([event]);
    } else this.takes[at].push(event);
    this.total++;
  }

  /**
   * Closes the holder's newest take (its newest at `site`, when it has one there: OpenSSL taking
   * back the reference it handed a callback); false when it held none (the caller reports that).
   */
  drop(holder: string, site?: string): boolean {
    const entry = this.find(holder);
    if (entry < 0) return false;
    const takes = this.takes[entry];
    let at = takes.length - 1;
    if (site !== undefined) while (at >= 0 && takes[at].site !== site) at--;
    if (at >= 0 && at < takes.length - 1) takes.splice(at, 1);
    else takes.pop(); // the common case: no array allocated
    if (takes.length === 0) {
      removeAt(this.ids, entry);
      removeAt(this.kinds, entry);
      removeAt(this.takes, entry);
    }
    this.total--;
    return true;
  }

  references(holder: string): number {
    const at = this.find(holder);
    return at < 0 ? 0 : this.takes[at].length;
  }

  list(): Holder[] {
    return this.ids.map((id, i) => ({ kind: this.kinds[i], id, references: this.takes[i].length }));
  }

  /** Every take still open, oldest first per holder; `kinds` restricts them. */
  unmatched(kinds?: readonly HolderKind[]): OpenTake[] {
    const out: OpenTake[] = [];
    this.ids.forEach((holder, i) => {
      const kind = this.kinds[i];
      if (kinds && !kinds.includes(kind)) return;
      for (const event of this.takes[i]) out.push({ holder, kind, event });
    });
    return out;
  }
}

/** Removes xs[at], keeping the order (without splice's array of removed elements). */
export function removeAt<T>(xs: T[], at: number): void {
  for (let i = at; i < xs.length - 1; i++) xs[i] = xs[i + 1];
  xs.pop();
}

/** Every event of one session (debug mode). */
export class History {
  private readonly events: LedgerEvent[] = [];

  constructor(private readonly capacity: number) {}

  push(e: LedgerEvent): void {
    if (this.events.length === this.capacity) this.events.shift();
    this.events.push(e);
  }

  /** Copies: the events themselves are the ledger's (open takes, leak reports), never the caller's to change. */
  all(): LedgerEvent[] {
    return this.events.map((e) => ({ ...e }));
  }

  last(n: number): LedgerEvent[] {
    return this.events.slice(-n);
  }
}
