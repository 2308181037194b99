// Sessions kept in a SessionStore across connections (and, serialized, across runs): ticket
// lifetime respected, a TLS 1.3 ticket used once, a TLS 1.2 session reused until it expires,
// against a Node tls server on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { openTCP } from '../../dist/node/index.js';
import { connect, MemorySessionStore, StoredSessions, sessionKey } from '../../dist/web/index.js';
import { nodeTlsServer } from '../interop/peers.js';
import { useOpenSSL } from './fixture.js';

const fx = useOpenSSL();

async function withServer(maxVersion: 'TLSv1.2' | 'TLSv1.3', body: (port: number, reused: boolean[]) => Promise<void>) {
  const server = await nodeTlsServer({ cert: fx.cert.certificate, key: fx.cert.privateKey, maxVersion });
  try {
    await body(server.port, server.reused);
  } finally {
    await server.close();
  }
}

describe('StoredSessions over a MemorySessionStore', () => {
  it('TLS 1.3: a ticket is used once; with none left (Node sends none on resumption) the next handshake is full', async () => {
    await withServer('TLSv1.3', async (port, reused) => {
      const context = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
      const store = new MemorySessionStore();
      const sessions = new StoredSessions(fx.ossl, store);
      const key = sessionKey('127.0.0.1', port);
      const seen: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const tls = await connect({
          transport: await openTCP('127.0.0.1', port),
          context,
          servername: 'localhost',
          store: { sessions, key },
        });
        seen.push(tls.connection.sessionReused);
        if (!tls.connection.sessionReused) {
          await tls.waitForSessions(1);
          await new Promise((r) => setTimeout(r, 0)); // keep() runs once OpenSSL has returned
          const stored = store.get(key);
          expect(stored?.singleUse).toBe(true);
          expect(stored?.expires).toBeGreaterThan(Date.now() / 1000);
        } else {
          expect(store.size).toBe(0); // the ticket offered was taken out of the store
        }
        await tls.close();
      }
      expect(seen).toEqual([false, true, false]);
      expect(reused).toEqual([false, true, false]);
      const last = await sessions.take(key);
      expect(last?.protocolVersion).toBe(0x0304);
      last?.free();
      expect(await sessions.take(key)).toBeNull(); // taken once, gone
      context.free();
    });
    fx.ossl.ledger.assertNoLeaks();
  });

  it('TLS 1.2: the session stays in the store and resumes twice', async () => {
    await withServer('TLSv1.2', async (port, reused) => {
      const context = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
      const store = new MemorySessionStore();
      const sessions = new StoredSessions(fx.ossl, store);
      const key = sessionKey('127.0.0.1', port);
      const first = await connect({
        transport: await openTCP('127.0.0.1', port),
        context,
        servername: 'localhost',
        store: { sessions, key },
      });
      await first.close();
      expect(store.get(key)?.singleUse).toBe(false);
      for (let i = 0; i < 2; i++) {
        const again = await connect({
          transport: await openTCP('127.0.0.1', port),
          context,
          servername: 'localhost',
          store: { sessions, key },
        });
        expect(again.connection.sessionReused).toBe(true);
        await again.close();
      }
      expect(reused).toEqual([false, true, true]);
      context.free();
    });
    fx.ossl.ledger.assertNoLeaks();
  });

  it('an expired entry, or one that does not decode, is deleted and not offered', async () => {
    const store = new MemorySessionStore();
    const sessions = new StoredSessions(fx.ossl, store);
    const pair = (() => {
      const server = fx.ossl.createContext({ role: 'server', ...fx.cert, maxVersion: 'TLSv1.2' });
      const client = fx.ossl.createContext({ role: 'client', ca: fx.cert.certificate });
      const p = fx.ossl.connectInMemory(client, server, { hostname: 'localhost' });
      const s = p.client.get1Session();
      p.free();
      client.free();
      server.free();
      return s;
    })();
    if (!pair) throw new Error('no session');
    await sessions.keep('k', pair);
    const entry = store.get('k');
    expect(entry && entry.expires - pair.time).toBe(
      pair.ticketLifetimeHint > 0 ? Math.min(pair.timeout, pair.ticketLifetimeHint) : pair.timeout,
    );
    expect(await sessions.take('k', (entry?.expires ?? 0) + 1)).toBeNull();
    expect(store.size).toBe(0);
    store.put('k', { der: new Uint8Array([0x30, 0x03, 1, 2, 3]), expires: Date.now() / 1000 + 60, singleUse: false });
    expect(await sessions.take('k')).toBeNull();
    expect(store.size).toBe(0);
    pair.free();
    fx.ossl.ledger.assertNoLeaks();
  });

  it('the key names host, port and the ALPN protocols offered', () => {
    expect(sessionKey('example.com', 443)).toBe('example.com:443');
    expect(sessionKey('example.com', 443, ['h2', 'http/1.1'])).toBe('example.com:443 h2,http/1.1');
  });
});
