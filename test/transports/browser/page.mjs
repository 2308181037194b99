// In Chromium: TLS to a Node tls server through the WebSocket bridge, resuming with the session a
// previous load of this page left in IndexedDB. Query: ?bridge=PORT&to=HOST:PORT&ca=PEM[&refused=HOST:PORT]
// The result is window.report (and the page's text).
import { loadOpenSSL } from '/dist/index.js';
import { connect, IndexedDBSessionStore, StoredSessions, sessionKey, websocketTransport } from '/dist/web/index.js';

async function run() {
  const q = new URLSearchParams(location.search);
  const to = q.get('to');
  const tunnel = (dest) => websocketTransport(`ws://127.0.0.1:${q.get('bridge')}/?to=${dest}`);
  const ossl = await loadOpenSSL();
  const store = await IndexedDBSessionStore.open('osw-bridge-test');
  const [host, port] = to.split(':');
  const key = sessionKey(host, Number(port));
  const stored = await store.get(key);
  const context = ossl.createContext({ role: 'client', ca: q.get('ca') });
  const tls = await connect({
    transport: await tunnel(to),
    context,
    servername: 'localhost',
    store: { sessions: new StoredSessions(ossl, store), key },
  });
  const writer = tls.writable.getWriter();
  await writer.write(new TextEncoder().encode('from the page'));
  writer.releaseLock();
  const reader = tls.readable.getReader();
  const echoed = new TextDecoder().decode((await reader.read()).value);
  reader.releaseLock();
  if (!tls.connection.sessionReused) await tls.waitForSessions(1);
  let kept = await store.get(key);
  for (let i = 0; i < 100 && !kept; i++) {
    await new Promise((r) => setTimeout(r, 10));
    kept = await store.get(key);
  }
  const report = {
    hadStored: stored !== undefined,
    reused: tls.connection.sessionReused,
    protocol: tls.connection.protocol,
    echoed,
    keptForNextLoad: kept !== undefined && kept.expires > Date.now() / 1000,
  };
  await tls.close();
  context.free();
  if (q.get('refused')) {
    report.refused = await tunnel(q.get('refused')).then(
      () => 'opened',
      (e) => `${e.name}: ${e.message}`,
    );
  }
  // Entries of the wrong shape are refused before IndexedDB sees them; a getter runs once.
  let reads = 0;
  const once = {
    get der() {
      reads++;
      return new Uint8Array([1, 2, 3]);
    },
    expires: 1,
    singleUse: false,
  };
  report.badEntries = [];
  for (const [k, entry] of [
    ['bad', { der: 'not bytes', expires: 1, singleUse: false }],
    ['bad', { der: new Uint8Array(1), expires: '1', singleUse: false }],
    ['bad', null],
    [42, { der: new Uint8Array(1), expires: 1, singleUse: false }],
  ]) {
    report.badEntries.push(
      await store.put(k, entry).then(
        () => 'stored',
        (e) => e.name,
      ),
    );
  }
  await store.put('once', once);
  report.onceRead = reads;
  report.onceStored = Array.from((await store.get('once')).der);
  report.badStored = (await store.get('bad')) !== undefined;
  await store.delete('once');
  store.close();
  report.live = ossl.ledger.live().length;
  ossl.ledger.assertNoLeaks();
  return report;
}

run().then(
  (report) => {
    window.report = report;
    document.body.textContent = JSON.stringify(report);
  },
  (error) => {
    window.report = { error: `${error.name}: ${error.message}` };
    document.body.textContent = window.report.error;
  },
);
