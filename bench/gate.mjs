// npm run bench:gate [-- <dist dir> ...] [--quick] [--rounds=N] [--only=op,op] [--release]: what the
// public gate adds to a call.
// For each operation (a getter, a setter, a bytes setter, SSL_SESSION_up_ref+free, upRef()+free(),
// d2i+free) it times the public call and, in the same round, the raw export calls doing the same C
// work on an instance of its own (no facade, no ledger, no tracing): "added" is the facade minus the
// raw calls, per round, and the table prints medians over rounds. Release mode (the default options)
// and debug mode ({ debug: true }) are both measured. With several dist directories (a build of main
// kept in /tmp and the working tree's dist/) every batch alternates between them, so before and
// after are measured close in time on a shared machine. Times are this process's CPU time
// (process.cpuUsage): time the scheduler gave to other processes is not counted. Never asserts a time.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg ? Number(roundsArg.slice(9)) : quick ? 5 : 21;
/** CPU time one batch aims at: long against cpuUsage's microsecond resolution, short against load changes. */
const BATCH_NS = quick ? 4e6 : 10e6;
const dirs = args.filter((a) => !a.startsWith('--'));
if (dirs.length === 0) dirs.push(new URL('../dist', import.meta.url).pathname);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
function batch(n, fn) {
  const start = cpuNs();
  for (let i = 0; i < n; i++) fn();
  return (cpuNs() - start) / n;
}

/** The raw calls: the exports of an instance of their own, on a session decoded from the same DER. */
function rawOps(b, der) {
  const x = b.x;
  x.OPENSSL_init_ssl(0n, 0); // as loadOpenSSL() does
  const copyIn = (bytes) => {
    const p = x.osw_malloc(bytes.length);
    b.u8().set(bytes, p);
    return p;
  };
  const p0 = copyIn(der);
  const p = x.osw_session_from_der(p0, der.length);
  x.osw_free(p0);
  if (p === 0) throw new Error('raw d2i failed');
  const app = der.subarray(0, 16);
  return {
    ptr: p,
    getter: () => x.SSL_SESSION_get_protocol_version(p),
    setter: () => x.SSL_SESSION_set_max_early_data(p, 16384),
    bytes_setter: () => {
      const d = copyIn(app);
      x.SSL_SESSION_set1_ticket_appdata(p, d, app.length);
      b.u8().fill(0, d, d + app.length);
      x.osw_free(d);
    },
    SSL_SESSION_up_ref_free: () => {
      x.SSL_SESSION_up_ref(p);
      x.SSL_SESSION_free(p);
    },
    upRef_free: () => {
      x.SSL_SESSION_up_ref(p);
      x.SSL_SESSION_free(p);
    },
    d2i_free: () => {
      const d = copyIn(der);
      const s = x.osw_session_from_der(d, der.length);
      b.u8().fill(0, d, d + der.length);
      x.osw_free(d);
      x.SSL_SESSION_free(s);
    },
  };
}

function facadeOps(ossl, s, der) {
  const app = der.subarray(0, 16);
  return {
    getter: () => s.protocolVersion,
    setter: () => {
      s.maxEarlyData = 16384;
    },
    bytes_setter: () => {
      s.ticketAppData = app;
    },
    SSL_SESSION_up_ref_free: () => {
      ossl.SSL_SESSION_up_ref(s);
      ossl.SSL_SESSION_free(s);
    },
    upRef_free: () => s.upRef().free(),
    d2i_free: () => ossl.sessionFromDER(der).free(),
  };
}
const onlyArg = args.find((a) => a.startsWith('--only='));
const OPS = ['getter', 'setter', 'bytes_setter', 'SSL_SESSION_up_ref_free', 'upRef_free', 'd2i_free'].filter(
  (op) => !onlyArg || onlyArg.slice(7).split(',').includes(op),
);

async function subject(dir) {
  const url = (f) => pathToFileURL(`${dir}/${f}`).href;
  const { loadOpenSSL } = await import(url('index.js'));
  const { instantiate, loadOptions } = await import(url('load.js'));
  // One compiled module for the three instances: compiling (and tiering up) three times would load
  // the background threads whose CPU time process.cpuUsage counts as ours.
  const wasmModule = await WebAssembly.compile(readFileSync(`${dir}/openssl.wasm`));
  const make = async (options) => {
    const ossl = await loadOpenSSL({ ...options, wasmModule });
    const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
    const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
    const client = ossl.createContext({ role: 'client', ca: cert.certificate });
    const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
    const s = pair.client.get1Session();
    pair.free();
    client.free();
    server.free();
    return { ossl, s };
  };
  const release = await make({});
  const debug = await make({ debug: true });
  const der = release.s.toDER();
  const raw = rawOps(await instantiate(loadOptions({ wasmModule })), der);
  return {
    dir,
    modes: {
      release: { ...release, ops: facadeOps(release.ossl, release.s, der) },
      debug: { ...debug, ops: facadeOps(debug.ossl, debug.s, der) },
    },
    raw,
    n: {},
    t: {},
  };
}

const subjects = [];
for (const d of dirs) subjects.push(await subject(d));
/** --release: leave debug mode out (a quicker comparison while iterating). */
const KINDS = args.includes('--release') ? ['raw', 'release'] : ['raw', 'release', 'debug'];
const fnOf = (sub, kind, op) => (kind === 'raw' ? sub.raw[op] : sub.modes[kind].ops[op]);

// Warm up (JIT) and size each batch to about BATCH_NS of CPU time.
for (const sub of subjects) {
  for (const op of OPS) {
    for (const kind of KINDS) {
      const fn = fnOf(sub, kind, op);
      let n = 100;
      let per = batch(n, fn);
      while (per * n < BATCH_NS / 4 && n < 1e7) {
        n *= 4;
        per = batch(n, fn);
      }
      sub.n[`${kind}:${op}`] = Math.max(50, Math.round(BATCH_NS / Math.max(per, 1)));
      sub.t[`${kind}:${op}`] = [];
    }
  }
}
const WARM_ROUNDS = quick ? 1 : 3;
for (let r = -WARM_ROUNDS; r < ROUNDS; r++) {
  // The first rounds are not kept: V8 is still tiering up the hot functions, JS and wasm, on other threads.
  for (const op of OPS) {
    for (const sub of subjects) {
      for (const kind of KINDS) {
        const key = `${kind}:${op}`;
        const t = batch(sub.n[key], fnOf(sub, kind, op));
        if (r >= 0) sub.t[key].push(t);
      }
    }
  }
}

/** Median over rounds of (facade - raw) of the same round: the load of that moment cancels out. */
const added = (sub, kind, op) => median(sub.t[`${kind}:${op}`].map((t, i) => t - sub.t[`raw:${op}`][i]));
const med = (sub, key) => median(sub.t[key]);
const f = (v) => (v >= 10_000 ? v.toFixed(0) : v.toFixed(1)).padStart(9);

console.log(`[bench:gate] ${ROUNDS} interleaved rounds; medians, ns of CPU time per call (added = facade - raw, per round)`);
const head = ['operation'.padEnd(24)];
for (let i = 0; i < subjects.length; i++) {
  for (const c of ['raw', 'release', '+added', 'debug', '+added'].slice(0, KINDS.length === 3 ? 5 : 3)) head.push(`#${i} ${c}`.padStart(9));
}
console.log(head.join(' '));
for (const op of OPS) {
  const row = [op.padEnd(24)];
  for (const sub of subjects) {
    row.push(f(med(sub, `raw:${op}`)), f(med(sub, `release:${op}`)), f(added(sub, 'release', op)));
    if (KINDS.includes('debug')) row.push(f(med(sub, `debug:${op}`)), f(added(sub, 'debug', op)));
  }
  console.log(row.join(' '));
}
if (subjects.length === 2) {
  console.log('\nadded ns, #0 -> #1 (release; debug)');
  for (const op of OPS) {
    const [a, b] = subjects;
    const debug = KINDS.includes('debug') ? `   ${f(added(a, 'debug', op))} -> ${f(added(b, 'debug', op))}` : '';
    console.log(`${op.padEnd(24)} ${f(added(a, 'release', op))} -> ${f(added(b, 'release', op))}${debug}`);
  }
}
subjects.forEach((s, i) => console.log(`#${i}: ${s.dir}`));
if (process.env.BENCH_ROUNDS) for (const s of subjects) for (const [k, v] of Object.entries(s.t)) console.log(k, v.map((x) => Math.round(x)).join(" "));
for (const sub of subjects) {
  for (const m of Object.values(sub.modes)) {
    m.s.free();
    m.ossl.ledger.assertNoLeaks();
    const v = m.ossl.ledger.violations();
    if (v.length > 0) throw new Error(`ledger violations: ${v.join('; ')}`);
  }
}
