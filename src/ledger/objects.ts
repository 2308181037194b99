/**
 * The connections and contexts of an instance, watched like sessions: which are alive (with their
 * creation stack in debug mode), which were garbage-collected without free() (reported, never
 * freed: a finalizer that frees would hide the bug), and the names trace records use for them
 * ("C2" for an SSL, "X1 cache" for an SSL_CTX), which outlive the object until its address is reused.
 */

export type ObjectKind = 'connection' | 'context';

/** A connection or context that has not been freed. */
export interface LiveObject {
  kind: ObjectKind;
  /** "C2", "X1". */
  id: string;
  /** Where it was created (debug mode). */
  created?: string;
}

/** What onLeak is told about an object collected while it still held C memory. */
export interface LeakInfo {
  kind: 'session' | ObjectKind;
  created?: string;
}

export class ObjectWatch {
  private readonly objects = new Map<string, LiveObject>();
  private readonly names: Record<ObjectKind, Map<number, string>> = { connection: new Map(), context: new Map() };
  private readonly finalizer: FinalizationRegistry<LiveObject> | null;

  constructor(onLeak: (id: string, info: LeakInfo) => void) {
    this.finalizer =
      typeof FinalizationRegistry === 'function'
        ? new FinalizationRegistry<LiveObject>((o) => {
            if (this.objects.get(o.id) === o) onLeak(o.id, { kind: o.kind, ...(o.created ? { created: o.created } : {}) });
          })
        : null;
  }

  /** A new connection or context: alive until untrack(); `object` is watched for collection. */
  track(kind: ObjectKind, ptr: number, id: string, object: object, created?: string): void {
    const o: LiveObject = { kind, id, ...(created ? { created } : {}) };
    this.objects.set(id, o);
    this.names[kind].set(ptr, id);
    this.finalizer?.register(object, o, object);
  }

  /** free() was called: no longer a leak. Its name stays until another object takes its address. */
  untrack(id: string, object: object): void {
    this.objects.delete(id);
    this.finalizer?.unregister(object);
  }

  /** The ledger name of the SSL or SSL_CTX at ptr. */
  nameOf(kind: ObjectKind, ptr: number): string | undefined {
    return this.names[kind].get(ptr);
  }

  live(): LiveObject[] {
    return [...this.objects.values()];
  }
}
