// npm run bench [-- --quick]: every figure beside its references, measured side by side in one run,
// reported as medians and ratios. Times are this process's CPU time (the C twins: theirs), so a busy
// shared machine slows the figures less than wall time would; the server side of a loopback test runs
// in this process too, so both sides count, for us and for Node's tls alike. Prints a table and writes bench/results.json. Never asserts a time.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import tls from 'node:tls';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';
import { loadOpenSSL } from '../dist/index.js';
import { coreOf } from '../dist/openssl.js'; // internals: the raw exports, bypassing the facade

const quick = process.argv.includes('--quick');
const root = new URL('..', import.meta.url).pathname;
const TRIALS = quick ? 3 : 7;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** This process's CPU time (user + system) in ns: on a shared machine, other processes' time is not ours. */
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
/** Median over trials of CPU ns per operation for `fn` run `n` times (the C twins time the same way). */
function nsPerOp(n, fn) {
  const trials = [];
  for (let t = 0; t < TRIALS; t++) {
    const start = cpuNs();
    for (let i = 0; i < n; i++) fn();
    trials.push((cpuNs() - start) / n);
  }
  return median(trials);
}
/** Median over trials of operations per second. */
function perSecond(n, fn) {
  return 1e9 / nsPerOp(n, fn);
}

const figures = {};
function figure(id, unit, value, references = {}, extra = {}) {
  const ratios = {};
  for (const [name, ref] of Object.entries(references)) {
    if (typeof ref === 'number' && ref > 0) ratios[`ratio_vs_${name}`] = unit.endsWith('/s') ? value / ref : ref / value;
  }
  figures[id] = { unit, value, ...(Object.keys(references).length ? { references } : {}), ...(Object.keys(ratios).length ? { ratios } : {}), ...extra };
}

// ---- native twins (same pinned OpenSSL, built natively with and without assembly) --------------------
function nativeFigures() {
  const out = {};
  // --reuse-twins: run bench/native/out/* as they are (e.g. built against libraries of an earlier patch set).
  const build = process.argv.includes('--reuse-twins')
    ? { status: 0 }
    : spawnSync('bash', ['bench/native/build.sh'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (build.status !== 0) {
    console.error('[bench] native twin build failed; native references omitted');
    return out;
  }
  // The same C (twin.c + primitives.c) natively with and without assembly, and compiled to wasm
  // against our own libraries (wasm_c): C beside C, so the facade's share and the compiler's share
  // of a gap can be told apart.
  for (const kind of ['asm', 'noasm', 'wasm_c']) {
    const bin = kind === 'wasm_c' ? `${root}bench/native/out/twin-wasm.cjs` : `${root}bench/native/out/twin-${kind}`;
    if (!existsSync(bin)) continue;
    const args = ['--json', ...(quick ? ['--quick'] : [])];
    const json = kind === 'wasm_c' ? execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 }) : execFileSync(bin, args, { encoding: 'utf8' });
    out[kind] = JSON.parse(json).figures;
  }
  return out;
}

// ---- Node's tls over loopback (what a Node user would pick instead; its transport differs) ----------
async function nodeTls(ossl, cert) {
  const n = quick ? 20 : 200;
  const results = {};
  for (const [label, version] of [['tls13', 'TLSv1.3'], ['tls12', 'TLSv1.2']]) {
    const server = tls.createServer({ cert: cert.certificate, key: cert.privateKey, maxVersion: version, minVersion: version }, (s) => s.end('x')); // data after the handshake: TLS 1.3 tickets are sent first
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = server.address().port;
    const connectOnce = async (session) => {
      const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: cert.certificate, session });
      let got;
      s.on('session', (x) => (got = x));
      s.on('data', () => {});
      await once(s, 'secureConnect');
      const reused = s.isSessionReused();
      await once(s, 'close');
      return { session: got, reused };
    };
    const seed = await connectOnce();
    const trials = { full: [], resumed: [] };
    for (let t = 0; t < TRIALS; t++) {
      let start = cpuNs();
      for (let i = 0; i < n; i++) await connectOnce();
      trials.full.push((n * 1e9) / (cpuNs() - start));
      start = cpuNs();
      for (let i = 0; i < n; i++) {
        const r = await connectOnce(seed.session);
        if (!r.reused) throw new Error('node tls did not resume');
      }
      trials.resumed.push((n * 1e9) / (cpuNs() - start));
    }
    server.close();
    results[label] = { full: median(trials.full), resumed: median(trials.resumed) };
  }
  return results;
}

// ---- our WebAssembly build ------------------------------------------------------------------------------
function wasmHandshakes(ossl, cert) {
  const n = quick ? 10 : 100;
  const out = {};
  for (const [label, version] of [['tls13', 'TLSv1.3'], ['tls12', 'TLSv1.2']]) {
    // Exactly what the native twin does (bench/native/README.md): OpenSSL's defaults, no certificate
    // verification on the client, and for TLS 1.2 ticket resumption with the server's ID cache off.
    const server = ossl.createContext({
      role: 'server',
      certificate: cert.certificate,
      privateKey: cert.privateKey,
      minVersion: version,
      maxVersion: version,
      ...(version === 'TLSv1.2' ? { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', sessionCacheMode: 0 } : {}),
    });
    const client = ossl.createContext({ role: 'client', verify: false, minVersion: version, maxVersion: version });
    const seedPair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const session = seedPair.client.get1Session();
    seedPair.free();
    const full = perSecond(n, () => ossl.connectInMemory(client, server, { hostname: 'localhost' }).free());
    const resumed = perSecond(n, () => {
      const p = ossl.connectInMemory(client, server, { hostname: 'localhost', session });
      if (!p.client.sessionReused) throw new Error('wasm did not resume');
      p.free();
    });
    session.free();
    client.free();
    server.free();
    out[label] = { full, resumed };
  }
  return out;
}

function sessionOps(ossl, real) {
  const n = quick ? 20_000 : 200_000;
  const x = coreOf(ossl).b.x; // the raw exports, bypassing the facade
  const core = coreOf(ossl);
  const p = core.usable(core.session(real, 'bench'), 'bench');
  const der = real.toDER();
  return {
    upref_free: { facade: nsPerOp(n, () => real.upRef().free()), raw: nsPerOp(n, () => { x.SSL_SESSION_up_ref(p); x.SSL_SESSION_free(p); }), c_layer: nsPerOp(n, () => { ossl.SSL_SESSION_up_ref(real); ossl.SSL_SESSION_free(real); }) },
    new_free: { facade: nsPerOp(n, () => ossl.SSL_SESSION_new().free()), raw: nsPerOp(n, () => x.SSL_SESSION_free(x.SSL_SESSION_new())) },
    dup: { facade: nsPerOp(n / 10, () => real.dup().free()), raw: nsPerOp(n / 10, () => x.SSL_SESSION_free(x.SSL_SESSION_dup(p))) },
    i2d: { facade: nsPerOp(n / 10, () => real.toDER()) },
    d2i: { facade: nsPerOp(n / 10, () => ossl.sessionFromDER(der).free()) },
    getter: { facade: nsPerOp(n, () => real.protocolVersion), raw: nsPerOp(n, () => x.SSL_SESSION_get_protocol_version(p)) },
  };
}

async function realSession(ossl, cert) {
  const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
  const client = ossl.createContext({ role: 'client', ca: cert.certificate });
  const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
  const s = pair.client.get1Session();
  pair.free();
  client.free();
  server.free();
  return s;
}

function coldStart() {
  const script = `import { loadOpenSSL } from '${root}dist/index.js';
const t0 = performance.now();
const ossl = await loadOpenSSL();
const t1 = performance.now();
const cert = ossl.generateCertificate({ commonName: 'localhost' });
const s = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
const c = ossl.createContext({ role: 'client', verify: false });
const t2 = performance.now();
ossl.connectInMemory(c, s, { hostname: 'localhost' }).free();
const t3 = performance.now();
console.log(JSON.stringify({ load: t1 - t0, firstHandshake: t3 - t2, total: t1 - t0 + t3 - t2 }));`;
  const runs = [];
  for (let i = 0; i < (quick ? 3 : 9); i++) {
    runs.push(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })));
  }
  return { load: median(runs.map((r) => r.load)), firstHandshake: median(runs.map((r) => r.firstHandshake)), total: median(runs.map((r) => r.total)) };
}

function sizes() {
  const out = {};
  for (const file of ['openssl.wasm', 'openssl.mjs']) {
    const bytes = readFileSync(`${root}dist/${file}`);
    out[file] = {
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [zc.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  }
  return out;
}

async function memory() {
  const ossl = await loadOpenSSL();
  const live = quick ? 10_000 : 100_000;
  ossl.SSL_SESSION_new().free(); // one-time initialisation (error strings, the ssl library) is not growth
  const base = ossl.ledger.heapBytes();
  const held = [];
  for (let i = 0; i < live; i++) held.push(ossl.SSL_SESSION_new());
  const perSession = (ossl.ledger.heapBytes() - base) / live;
  for (const s of held) s.free();
  const afterFree = ossl.ledger.heapBytes();
  const cycles = quick ? 100_000 : 1_000_000;
  for (let i = 0; i < cycles; i++) ossl.SSL_SESSION_new().free();
  const afterCycles = ossl.ledger.heapBytes();
  ossl.ledger.assertNoLeaks();
  return { live, perSession, base, afterFree, cycles, afterCycles, growth: afterCycles - base, wasmPages: coreOf(ossl).b.x.memory.buffer.byteLength };
}

// ---- bulk data: the Node transport (connectTLS) against a Node tls server on loopback, per suite -------
async function bulkThroughput(ossl, cert) {
  const { connectTLS } = await import('../dist/node/index.js');
  const conns = quick ? 4 : 20;
  const bytes = (quick ? 256 : 1024) * 1024;
  const payload = Buffer.alloc(bytes, 0x61);
  const server = tls.createServer({ cert: cert.certificate, key: cert.privateKey, minVersion: 'TLSv1.3' }, (s) => {
    s.on('error', () => {});
    s.end(payload);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = server.address().port;
  const drain = (stream) =>
    new Promise((resolve, reject) => {
      let n = 0;
      stream.on('data', (d) => (n += d.length));
      stream.on('end', () => resolve(n));
      stream.on('error', reject);
    });
  const suites = {
    'TLS_AES_128_GCM_SHA256': 'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384': 'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256': 'TLS_CHACHA20_POLY1305_SHA256',
  };
  const out = {};
  for (const [label, suite] of Object.entries(suites)) {
    const context = ossl.createContext({ role: 'client', ca: cert.certificate, ciphersuites: suite });
    const wasmRun = async () => {
      const start = cpuNs();
      const got = await Promise.all(
        Array.from({ length: conns }, async () => {
          const s = await connectTLS({ host: '127.0.0.1', port, context, servername: 'localhost' });
          if (s.connection.cipher?.standardName !== suite) throw new Error(`bulk: negotiated ${s.connection.cipher?.standardName}, not ${suite}`);
          const n = await drain(s);
          s.destroy();
          return n;
        }),
      );
      if (got.some((n) => n !== bytes)) throw new Error('bulk: short read');
      return (conns * bytes) / 1e6 / ((cpuNs() - start) / 1e9);
    };
    const nodeRun = async () => {
      const start = cpuNs();
      await Promise.all(
        Array.from({ length: conns }, async () => {
          const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false, ciphers: suite, minVersion: 'TLSv1.3' });
          const n = await drain(s);
          if (n !== bytes) throw new Error('bulk: node short read');
        }),
      );
      return (conns * bytes) / 1e6 / ((cpuNs() - start) / 1e9);
    };
    const w = [];
    const n = [];
    for (let t = 0; t < TRIALS; t++) {
      w.push(await wasmRun());
      n.push(await nodeRun());
    }
    context.free();
    out[label] = { wasm: median(w), node: median(n) };
  }
  server.close();
  return out;
}

// ---- run ---------------------------------------------------------------------------------------------------
console.log(`[bench] ${quick ? 'quick' : 'full'} run, ${TRIALS} trials per figure (medians)`);
const native = nativeFigures();
const ossl = await loadOpenSSL();
const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
const wasm = wasmHandshakes(ossl, cert);
const node = await nodeTls(ossl, cert);
for (const label of ['tls13', 'tls12']) {
  for (const kind of ['full', 'resumed']) {
    const id = `handshake.${label}.${kind}`;
    figure(id, 'handshakes/s', wasm[label][kind], {
      native_asm: native.asm?.[id]?.value,
      native_noasm: native.noasm?.[id]?.value,
      node_tls: node[label][kind],
    });
  }
}

// Full TLS 1.3 handshakes by key-exchange group x certificate type, through the facade, beside the
// same split in C (wasm_c, native asm/no-asm).
// [label, groups option, the name OpenSSL reports for it]
const SPLIT_GROUPS = [['X25519MLKEM768', undefined, 'X25519MLKEM768'], ['X25519', 'X25519', 'x25519'], ['P-256', 'P-256', 'secp256r1']];
const SPLIT_CERTS = ['P-256', 'Ed25519', 'RSA-2048'];
for (const certType of SPLIT_CERTS) {
  const c = certType === 'P-256' ? cert : ossl.generateCertificate({ commonName: 'localhost', keyType: certType });
  for (const [label, groups, reported] of SPLIT_GROUPS) {
    const server = ossl.createContext({ role: 'server', certificate: c.certificate, privateKey: c.privateKey, ...(groups ? { groups } : {}) });
    const client = ossl.createContext({ role: 'client', verify: false, ...(groups ? { groups } : {}) }); // as the twin: no verification
    const check = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const negotiated = check.client.group;
    check.free();
    if (negotiated !== reported) throw new Error(`split ${label}/${certType} negotiated ${negotiated}`);
    const id = `handshake.tls13.full.${label}.${certType}`;
    const rate = perSecond(quick ? 5 : 40, () => ossl.connectInMemory(client, server, { hostname: 'localhost' }).free());
    figure(id, 'handshakes/s', rate, { native_asm: native.asm?.[id]?.value, native_noasm: native.noasm?.[id]?.value, wasm_c: native.wasm_c?.[id]?.value });
    client.free();
    server.free();
  }
}

// Per-primitive figures: C only (no facade), wasm_c beside native asm and no-asm.
for (const [id, f] of Object.entries(native.wasm_c ?? {})) {
  if (!id.startsWith('prim.')) continue;
  figure(id, f.unit, f.value, { native_asm: native.asm?.[id]?.value, native_noasm: native.noasm?.[id]?.value });
}
// The same C handshakes and session operations in wasm, as a reference for the facade figures above.
for (const id of ['handshake.tls13.full', 'handshake.tls13.resumed', 'handshake.tls12.full', 'handshake.tls12.resumed', 'session.upref_free']) {
  const f = native.wasm_c?.[id];
  if (f) figure(`c.${id}`, f.unit, f.value, { native_asm: native.asm?.[id]?.value, native_noasm: native.noasm?.[id]?.value });
}

const bulk = await bulkThroughput(ossl, cert);
for (const [suite, r] of Object.entries(bulk)) figure(`bulk.${suite}`, 'MB/s', r.wasm, { node_tls: r.node });

const real = await realSession(ossl, cert);
const ops = sessionOps(ossl, real);
const nativeOp = (id) => ({ native_asm: native.asm?.[id]?.value, native_noasm: native.noasm?.[id]?.value });
figure('session.upref_free', 'ns/op', ops.upref_free.facade, { raw_export: ops.upref_free.raw, ...nativeOp('session.upref_free') }, { c_layer: ops.upref_free.c_layer });
figure('session.new_free', 'ns/op', ops.new_free.facade, { raw_export: ops.new_free.raw, ...nativeOp('session.new_free') });
figure('session.dup', 'ns/op', ops.dup.facade, { raw_export: ops.dup.raw, ...nativeOp('session.dup') });
figure('session.i2d', 'ns/op', ops.i2d.facade, nativeOp('session.i2d'));
figure('session.d2i', 'ns/op', ops.d2i.facade, nativeOp('session.d2i'));
figure('session.getter', 'ns/op', ops.getter.facade, { raw_export: ops.getter.raw, ...nativeOp('session.getter') });
real.free();

// Debug mode (stacks) and tracing (OpenSSL's own reference events) overheads on up_ref+free.
for (const [id, options] of [['session.upref_free.debug', { debug: true }], ['session.upref_free.untraced', { trace: false }]]) {
  const o = await loadOpenSSL(options);
  const s = o.SSL_SESSION_new();
  const v = nsPerOp(quick ? 5_000 : 50_000, () => s.upRef().free());
  s.free();
  figure(id, 'ns/op', v, { release_traced: ops.upref_free.facade });
}

const cold = coldStart();
figure('coldstart', 'ms', cold.total, {}, { load_ms: cold.load, first_handshake_ms: cold.firstHandshake });
const size = sizes();
figure('size.wasm', 'bytes', size['openssl.wasm'].brotli, {}, size['openssl.wasm']);
figure('size.glue', 'bytes', size['openssl.mjs'].brotli, {}, size['openssl.mjs']);
const mem = await memory();
figure('memory.per_session', 'bytes', mem.perSession, {}, { live_sessions: mem.live });
figure('memory.after_cycles', 'bytes', mem.growth, {}, { cycles: mem.cycles, heap_baseline: mem.base, heap_after: mem.afterCycles, wasm_memory: mem.wasmPages });
ossl.ledger.assertNoLeaks();

const doc = { date: new Date().toISOString(), quick, node: process.version, openssl: ossl.version, native_openssl: native.asm ? 'OpenSSL 3.5.7 (native, same tarball)' : null, figures };
writeFileSync(`${root}bench/results.json`, `${JSON.stringify(doc, null, 2)}\n`);

const fmt = (v) => (typeof v !== 'number' ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
console.log(`\n${'id'.padEnd(44)} ${'unit'.padEnd(13)} ${'wasm'.padStart(10)} ${'wasm_c'.padStart(10)} ${'native_asm'.padStart(10)} ${'native_noasm'.padStart(12)} ${'node_tls'.padStart(10)} ${'raw_export'.padStart(10)} ${'ratio_vs_asm'.padStart(12)} ${'ratio_vs_raw'.padStart(12)}`);
for (const [id, f] of Object.entries(figures)) {
  const r = f.references ?? {};
  console.log(
    `${id.padEnd(44)} ${f.unit.padEnd(13)} ${fmt(f.value).padStart(10)} ${fmt(r.wasm_c).padStart(10)} ${fmt(r.native_asm).padStart(10)} ${fmt(r.native_noasm).padStart(12)} ${fmt(r.node_tls).padStart(10)} ${fmt(r.raw_export).padStart(10)} ${fmt(f.ratios?.ratio_vs_native_asm).padStart(12)} ${fmt(f.ratios?.ratio_vs_raw_export).padStart(12)}`,
  );
}
console.log(`\nsizes: wasm raw ${size['openssl.wasm'].raw}, gzip ${size['openssl.wasm'].gzip}, brotli ${size['openssl.wasm'].brotli}; glue brotli ${size['openssl.mjs'].brotli}`);
console.log(`memory: ${mem.perSession.toFixed(0)} heap bytes per live session (${mem.live} live); heap growth after ${mem.cycles} new/free cycles: ${mem.growth} bytes`);
console.log('ratios: for rates, wasm/reference (1 = as fast); for ns/op, reference/wasm (1 = as fast).');
console.log(`wrote bench/results.json`);
