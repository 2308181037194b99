// Connections and contexts are watched like sessions: assertNoLeaks() names the ones not freed (with
// where they were made, in debug mode), and onLeak reports the ones collected without free().
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedCertificate, LeakInfo } from '../dist/index.js';
import { loadInstance } from './support/instance.js';
import { HOSTNAME, leakOf } from './support/tls.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let cert: GeneratedCertificate;
beforeAll(async () => {
  cert = (await loadInstance()).generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
});

/** Collects garbage until `done()` or a few rounds passed (finalizers run after a turn of the loop). */
async function collect(done: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !done(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('connections and contexts that are never freed', () => {
  it('assertNoLeaks names every live connection and context, with its creation stack in debug mode; freeing them clears the report', async () => {
    const ossl = await loadInstance({ debug: true });
    const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
    const client = ossl.createContext({ role: 'client', ca: cert.certificate });
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    const leak = leakOf(ossl);
    expect(leak.leaks).toEqual([]);
    expect(leak.objects.map((o) => [o.kind, o.id])).toEqual([
      ['context', server.id],
      ['context', client.id],
      ['connection', pair.client.id],
      ['connection', pair.server.id],
    ]);
    for (const o of leak.objects) expect(o.created).toContain('ledger-leaks.test.ts');
    expect(leak.message).toContain(`connection ${pair.client.id}`);
    pair.free();
    expect(leakOf(ossl).objects.map((o) => o.id)).toEqual([server.id, client.id]);
    // A context freed while its connection lives is the application's part done: not a leak.
    const c = client.newConnection({ hostname: HOSTNAME });
    client.free();
    expect(leakOf(ossl).objects.map((o) => o.id)).toEqual([server.id, c.id]);
    c.free();
    server.free();
    ossl.ledger.assertNoLeaks();
  });

  it('onLeak reports a connection and a context collected without free(), by id and kind', async () => {
    const reported: [string, LeakInfo][] = [];
    // Leaks on purpose (the objects are dropped unfreed): every end check but the leak report, which the test asserts.
    const ossl = await loadInstance({ debug: true, onLeak: (id, info) => reported.push([id, info]) }, 'leaks');
    const ids = ((): { context: string; connection: string } => {
      const context = ossl.createContext({ role: 'client', ca: cert.certificate });
      const connection = context.newConnection({ hostname: HOSTNAME });
      return { context: context.id, connection: connection.id };
    })();
    await collect(() => reported.length >= 2);
    expect(reported.map(([id, info]) => [id, info.kind]).sort()).toEqual([
      [ids.connection, 'connection'],
      [ids.context, 'context'],
    ]);
    for (const [, info] of reported) expect(info.created).toContain('ledger-leaks.test.ts');
    // Reported, never freed: the ledger still lists both.
    expect(
      leakOf(ossl)
        .objects.map((o) => o.id)
        .sort(),
    ).toEqual([ids.connection, ids.context].sort());
  });

  it('a freed connection or context is never reported, however it is collected', async () => {
    const reported: string[] = [];
    const ossl = await loadInstance({ onLeak: (id) => reported.push(id) });
    ((): void => {
      const context = ossl.createContext({ role: 'client', ca: cert.certificate });
      context.newConnection({ hostname: HOSTNAME }).free();
      context.free();
    })();
    await collect(() => false);
    expect(reported).toEqual([]);
    ossl.ledger.assertNoLeaks();
  });
});

describe('session handles that are never freed', () => {
  it('onLeak reports each handle collected while it holds a reference, however many one turn made, and never one freed in time', async () => {
    const reported: [string, LeakInfo][] = [];
    // Leaks on purpose (handles dropped holding a reference): every end check but the leak report, which the test asserts.
    const ossl = await loadInstance({ debug: true, onLeak: (id, info) => reported.push([id, info]) }, 'leaks');
    const der = ((): Uint8Array => {
      const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
      const client = ossl.createContext({ role: 'client', ca: cert.certificate });
      const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
      const s = pair.client.get1Session();
      pair.free();
      client.free();
      server.free();
      if (s === null) throw new Error('no session');
      const bytes = s.toDER();
      s.free();
      return bytes;
    })();
    // More handles than wait for the end of a turn, all made and dropped in this one; every third freed.
    const leaked = ((): string[] => {
      const ids: string[] = [];
      for (let i = 0; i < 600; i++) {
        const s = ossl.sessionFromDER(der);
        s.upRef().free();
        if (i % 3 === 0) s.free();
        else ids.push(s.sessionId);
      }
      return ids;
    })();
    await collect(() => reported.length >= leaked.length);
    expect(reported.map(([id]) => id).sort()).toEqual([...leaked].sort());
    for (const [, info] of reported) {
      expect(info.kind).toBe('session');
      expect(info.created).toContain('ledger-leaks.test.ts');
    }
    // Reported, never freed: the ledger still holds them.
    expect(
      leakOf(ossl)
        .leaks.map((l) => l.sessionId)
        .sort(),
    ).toEqual([...leaked].sort());
  });
});
