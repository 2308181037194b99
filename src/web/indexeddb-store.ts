/**
 * A SessionStore in the browser's IndexedDB, so a session survives a page reload: one object store
 * of { der, expires, singleUse } records by key. Written against IndexedDB itself (a few requests
 * wrapped in promises), so the package needs nothing else in a page without a bundler.
 * A stored session contains its resumption secret: anything that runs in the page's origin can read it.
 */
import { text } from '../core/convert.js';
import { TransportError } from '../errors.js';
import { type SessionStore, type StoredSession, storedSession } from './session-store.js';

const STORE = 'sessions';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new TransportError(`IndexedDB: ${r.error?.message ?? 'request failed'}`, r.error));
  });
}

export class IndexedDBSessionStore implements SessionStore {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (creating if needed) the database `name`. */
  static async open(name = 'openssl-session-wasm'): Promise<IndexedDBSessionStore> {
    const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!idb) throw new TransportError('IndexedDBSessionStore: no indexedDB in this runtime');
    const open = idb.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    return new IndexedDBSessionStore(await request(open));
  }

  private store(mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(STORE, mode).objectStore(STORE);
  }

  // Keys and entries are converted like MemorySessionStore's: a caller's getters run once, here,
  // and what IndexedDB keeps is a plain record with its own copy of the DER.
  async get(key: string): Promise<StoredSession | undefined> {
    const value = (await request(this.store('readonly').get(text(key, 'IndexedDBSessionStore.get: key')))) as StoredSession | undefined;
    return value && value.der instanceof Uint8Array ? { der: value.der, expires: value.expires, singleUse: value.singleUse } : undefined;
  }
  async put(key: string, session: StoredSession): Promise<void> {
    const k = text(key, 'IndexedDBSessionStore.put: key');
    const entry = storedSession(session, 'IndexedDBSessionStore.put: session');
    await request(this.store('readwrite').put({ der: entry.der, expires: entry.expires, singleUse: entry.singleUse }, k));
  }
  async delete(key: string): Promise<void> {
    await request(this.store('readwrite').delete(text(key, 'IndexedDBSessionStore.delete: key')));
  }
  close(): void {
    this.db.close();
  }
}
