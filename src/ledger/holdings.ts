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
  private readonly open = new Map<string, { kind: HolderKind; takes: LedgerEvent[] }>();
  /** References over all holders. */
  total = 0;

  take(holder: string, kind: HolderKind, event: LedgerEvent): void {
    let entry = this.open.get(holder);
    if (entry === undefined) {
      entry = { kind, takes: [] };
      this.open.set(holder, entry);
    }
    entry.takes.push(event);
    this.total++;
  }

  /**
   * Closes the holder's newest take (its newest at `site`, when it has one there: OpenSSL taking
   * back the reference it handed a callback); false when it held none (the caller reports that).
   */
  drop(holder: string, site?: string): boolean {
    const entry = this.open.get(holder);
    if (entry === undefined) return false;
    const takes = entry.takes;
    let at = takes.length - 1;
    if (site !== undefined) while (at >= 0 && takes[at].site !== site) at--;
    if (at >= 0 && at < takes.length - 1) takes.splice(at, 1);
    else takes.pop(); // the common case: no array allocated
    if (entry.takes.length === 0) this.open.delete(holder);
    this.total--;
    return true;
  }

  references(holder: string): number {
    return this.open.get(holder)?.takes.length ?? 0;
  }

  list(): Holder[] {
    return [...this.open].map(([id, e]) => ({ kind: e.kind, id, references: e.takes.length }));
  }

  /** Every take still open, oldest first per holder; `kinds` restricts them. */
  unmatched(kinds?: readonly HolderKind[]): OpenTake[] {
    const out: OpenTake[] = [];
    for (const [holder, e] of this.open) {
      if (kinds && !kinds.includes(e.kind)) continue;
      for (const event of e.takes) out.push({ holder, kind: e.kind, event });
    }
    return out;
  }
}

/** Every event of one session (debug mode). */
export class History {
  private readonly events: LedgerEvent[] = [];

  constructor(private readonly capacity: number) {}

  push(e: LedgerEvent): void {
    if (this.events.length === this.capacity) this.events.shift();
    this.events.push(e);
  }

  all(): LedgerEvent[] {
    return [...this.events];
  }

  last(n: number): LedgerEvent[] {
    return this.events.slice(-n);
  }
}
