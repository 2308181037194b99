// The one scenario every runtime runs (Node, Deno, Bun, Chromium with and without a bundler, a
// module Worker). Plain JavaScript on purpose: each runtime loads this file as it is, with no
// TypeScript step, no Node API and no test framework. It takes the imported package module and
// returns a JSON-able result; any broken expectation throws, so a runtime that fails cannot print
// a passing result. test/runtimes/expected.ts asserts the same result again in vitest.

/** Which runtime is running this (the tests check it, so "passed in Bun" really means Bun). */
export function runtimeName() {
  const g = globalThis;
  if (g.Deno?.version) return `deno ${g.Deno.version.deno}`;
  if (g.Bun?.version) return `bun ${g.Bun.version}`;
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
  if (typeof g.process?.versions?.node === 'string') return `node ${g.process.versions.node}`;
  const place = typeof g.document === 'undefined' ? 'worker' : 'window';
  const chromium = /Chrom(?:e|ium)\/([0-9.]+)/.exec(g.navigator?.userAgent ?? '');
  return `${chromium ? `chromium ${chromium[1]}` : 'browser'} (${place})`;
}

/**
 * load → certificate → in-memory TLS handshake → resumption with the saved session → DER round
 * trip → refused double free → no leaks.
 * @param {typeof import('../../dist/index.js')} osw the package module, however the runtime imported it
 */
export async function runScenario(osw) {
  const ms = {};
  let t = performance.now();
  const lap = (name) => {
    const now = performance.now();
    ms[name] = Math.round((now - t) * 10) / 10;
    t = now;
  };
  const check = (condition, what) => {
    if (!condition) throw new Error(`scenario: ${what}`);
  };

  const ossl = await osw.loadOpenSSL();
  lap('load');

  const cert = ossl.generateCertificate({ commonName: 'example.test', keyType: 'P-256' });
  check(cert.certificate.startsWith('-----BEGIN CERTIFICATE-----'), 'the certificate is PEM');
  lap('certificate');

  const server = ossl.createContext({
    role: 'server',
    certificate: cert.certificate,
    privateKey: cert.privateKey,
    alpn: ['h2', 'http/1.1'],
  });
  const client = ossl.createContext({ role: 'client', ca: cert.certificate, alpn: ['http/1.1'] });

  const first = ossl.connectInMemory(client, server, { hostname: 'example.test' });
  first.client.write('hello over TLS');
  const echoed = new TextDecoder().decode(first.pump().toServer);
  check(echoed === 'hello over TLS', `the server read "${echoed}"`);
  const handshake = {
    protocol: first.client.protocol,
    cipher: first.client.cipher?.name ?? null,
    alpn: first.client.alpn,
    verifyResult: first.client.verifyResult,
    reused: first.client.sessionReused,
    echoed,
  };
  // get1: a handle this code owns, still valid after the connection is freed.
  const saved = first.client.get1Session();
  check(saved !== null, 'the client has a session after the handshake');
  first.free();
  lap('handshake');

  const second = ossl.connectInMemory(client, server, { hostname: 'example.test', session: saved });
  const resumption = { reused: second.client.sessionReused, serverReused: second.server.sessionReused };
  check(resumption.reused && resumption.serverReused, 'the saved session was resumed');
  second.free();
  lap('resumption');

  const der = saved.toDER();
  const back = ossl.sessionFromDER(der);
  const fields = (s) => ({
    id: hex(s.id),
    protocolVersion: s.protocolVersion,
    cipher: s.cipher?.name ?? null,
    hostname: s.hostname,
    alpnSelected: new TextDecoder().decode(s.alpnSelected),
    masterKey: hex(s.masterKey),
    time: s.time,
    timeout: s.timeout,
    isResumable: s.isResumable,
    hasTicket: s.hasTicket,
    ticket: hex(s.ticket),
    ticketLifetimeHint: s.ticketLifetimeHint,
  });
  const before = fields(saved);
  const after = fields(back);
  const differing = Object.keys(before).filter((k) => before[k] !== after[k]);
  check(differing.length === 0, `fields differ after the DER round trip: ${differing.join(', ')}`);
  const derResult = {
    bytes: der.length,
    fieldsEqual: differing.length === 0,
    reencodedEqual: hex(back.toDER()) === hex(der),
    protocolVersion: after.protocolVersion,
    cipher: after.cipher,
    hostname: after.hostname,
    alpnSelected: after.alpnSelected,
    hasTicket: after.hasTicket,
  };
  back.free();
  saved.free();
  lap('der');

  let refused = null;
  try {
    back.free();
  } catch (error) {
    refused = error;
  }
  check(refused instanceof osw.DoubleFreeError, `a second free() threw ${String(refused)}`);
  const doubleFree = { error: refused.name, isOwnershipError: refused instanceof osw.OwnershipError };
  lap('doubleFree');

  server.free();
  client.free();
  ossl.ledger.assertNoLeaks();
  const stats = ossl.ledger.stats();
  lap('leaks');

  return {
    runtime: runtimeName(),
    version: ossl.version,
    handshake,
    resumption,
    der: derResult,
    doubleFree,
    leaks: {
      live: ossl.ledger.live().length,
      handleReferences: stats.handleReferences,
      refused: stats.refused,
      violations: stats.violations,
    },
    ms,
  };
}

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
