// npm run bench:gate [-- <dist dir> ...] [--quick] [--rounds=N] [--only=op,op] [--release]: what the
// public gate adds to a call.
//
// For each operation (a getter, a setter, a bytes setter, SSL_SESSION_up_ref+free, upRef()+free(),
// d2i+free) it times the public call and, in the same round, the raw export calls doing the same C
// work on an instance of their own (no facade, no ledger, no tracing): "added" is the facade minus
// the raw calls, per round, and the table prints its median over rounds with the middle half of the
// rounds beside it. Every operation, in release mode (the default options) and in debug mode
// ({ debug: true }), runs in a process of its own: debug mode's stacks and full history grow the
// heap, and the collector's threads, busy after the operations that allocate, would be charged to
// whatever runs beside them. With several dist directories (a build of main
// kept in /tmp and the working tree's dist/) every batch alternates between them, so before and
// after are measured close in time on a shared machine. Times are this process's CPU time
// (process.cpuUsage): time the scheduler gave to other processes is not counted. Never asserts a time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg ? Number(roundsArg.slice(9)) : quick ? 5 : 41;
/** CPU time one batch aims at: long against cpuUsage's microsecond resolution, short against load changes. */
const BATCH_NS = quick ? 3e6 : 5e6;
/** Rounds run and thrown away first, for at least this much CPU time: V8 tiers up JS and wasm meanwhile. */
const WARM_NS = quick ? 0.3e9 : 1.5e9;
const dirs = args.filter((a) => !a.startsWith('--'));
if (dirs.length === 0) dirs.push(fileURLToPath(new URL('../dist', import.meta.url)));
const onlyArg = args.find((a) => a.startsWith('--only='));
const OPS = ['getter', 'setter', 'bytes_setter', 'SSL_SESSION_up_ref_free', 'upRef_free', 'd2i_free'].filter(
  (op) => !onlyArg || onlyArg.slice(7).split(',').includes(op),
);
/** --release: leave debug mode out (a quicker comparison while iterating). */
const MODES = args.includes('--release') ? ['release'] : ['release', 'debug'];

/** The q-quantile (0.5: the median) by linear interpolation. */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
};
const median = (xs) => quantile(xs, 0.5);
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
  // The heap through a view of its own (not the binding's u8(), which is facade code that changes).
  let heap = new Uint8Array(x.memory.buffer);
  const u8 = () => {
    if (heap.length === 0) heap = new Uint8Array(x.memory.buffer);
    return heap;
  };
  const copyIn = (bytes) => {
    const p = x.osw_malloc(bytes.length);
    u8().set(bytes, p);
    return p;
  };
  const p0 = copyIn(der);
  const p = x.osw_session_from_der(p0, der.length);
  x.osw_free(p0);
  if (p === 0) throw new Error('raw d2i failed');
  const app = der.subarray(0, 16);
  const upRefFree = () => {
    x.SSL_SESSION_up_ref(p);
    x.SSL_SESSION_free(p);
  };
  return {
    getter: () => x.SSL_SESSION_get_protocol_version(p),
    setter: () => x.SSL_SESSION_set_max_early_data(p, 16384),
    bytes_setter: () => {
      const d = copyIn(app);
      x.SSL_SESSION_set1_ticket_appdata(p, d, app.length);
      u8().fill(0, d, d + app.length);
      x.osw_free(d);
    },
    SSL_SESSION_up_ref_free: upRefFree,
    upRef_free: upRefFree,
    d2i_free: () => {
      const d = copyIn(der);
      const s = x.osw_session_from_der(d, der.length);
      u8().fill(0, d, d + der.length);
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

/** One build in one mode: its facade instance and a raw instance, both from one compiled module. */
async function subject(dir, mode) {
  const url = (f) => pathToFileURL(`${dir}/${f}`).href;
  const { loadOpenSSL } = await import(url('index.js'));
  const { instantiate, loadOptions } = await import(url('load.js'));
  // One compile for both instances: compiling (and tiering up) twice would load the background
  // threads whose CPU time process.cpuUsage counts as ours.
  const wasmModule = await WebAssembly.compile(readFileSync(`${dir}/openssl.wasm`));
  const ossl = await loadOpenSSL({ debug: mode === 'debug', wasmModule });
  const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
  const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
  const client = ossl.createContext({ role: 'client', ca: cert.certificate });
  const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
  const s = pair.client.get1Session();
  pair.free();
  client.free();
  server.free();
  const der = s.toDER();
  const kinds = { raw: rawOps(await instantiate(loadOptions({ wasmModule })), der), facade: facadeOps(ossl, s, der) };
  return { ossl, s, kinds, n: {}, t: {} };
}

/** The child: measures every build in one mode, prints { [dir index]: { "kind:op": [ns per round] } }. */
async function measure(mode) {
  const subjects = [];
  for (const d of dirs) subjects.push(await subject(d, mode));
  // Warm up (JIT) and size each batch to about BATCH_NS of CPU time.
  for (const sub of subjects) {
    for (const op of OPS) {
      for (const [kind, ops] of Object.entries(sub.kinds)) {
        let n = 50;
        let per = batch(n, ops[op]);
        while (per * n < BATCH_NS / 4 && n < 1e7) {
          n *= 4;
          per = batch(n, ops[op]);
        }
        sub.n[`${kind}:${op}`] = Math.max(20, Math.round(BATCH_NS / Math.max(per, 1)));
        sub.t[`${kind}:${op}`] = [];
      }
    }
  }
  const warmUntil = cpuNs() + WARM_NS;
  for (let r = -1; r < ROUNDS; r++) {
    // The first rounds are not kept: V8 is still tiering up the hot functions, JS and wasm, on other threads.
    if (r === 0 && cpuNs() < warmUntil) r = -1;
    // Every other round the builds take turns the other way round: what one batch leaves behind
    // (garbage to collect, caches) weighs on each build alike. (Forcing collections between batches
    // was tried: it made whichever build was loaded first several times slower at upRef()+free().)
    const order = r % 2 === 0 ? subjects : [...subjects].reverse();
    for (const op of OPS) {
      for (const sub of order) {
        for (const [kind, ops] of Object.entries(sub.kinds)) {
          const t = batch(sub.n[`${kind}:${op}`], ops[op]);
          if (r >= 0) sub.t[`${kind}:${op}`].push(t);
        }
      }
    }
  }
  for (const sub of subjects) {
    sub.s.free();
    sub.ossl.ledger.assertNoLeaks();
    const v = sub.ossl.ledger.violations();
    if (v.length > 0) throw new Error(`ledger violations: ${v.join('; ')}`);
  }
  process.stdout.write(JSON.stringify(subjects.map((s) => s.t)));
}

const child = args.find((a) => a.startsWith('--child='));
if (child) await measure(child.slice(8));
else {
  const self = fileURLToPath(import.meta.url);
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  /** results[mode][dir index]["kind:op"] = ns per round */
  const results = {};
  for (const mode of MODES) {
    // One process per operation too: the collector's helper threads, busy after upRef() or d2i,
    // would otherwise be counted in the getter's CPU time.
    results[mode] = dirs.map(() => ({}));
    for (const op of OPS) {
      const passed = args.filter((a) => !a.startsWith('--only='));
      const out = execFileSync(process.execPath, [self, ...passed, `--only=${op}`, `--child=${mode}`], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      JSON.parse(out).forEach((t, i) => Object.assign(results[mode][i], t));
    }
  }
  const f = (v) => (Math.abs(v) >= 10_000 ? v.toFixed(0) : v.toFixed(1));
  const perRound = (t, op) => t[`facade:${op}`].map((x, i) => x - t[`raw:${op}`][i]);
  console.log(`[bench:gate] ${ROUNDS} interleaved rounds per mode, load average ${load} at the start`);
  console.log('ns of CPU time per call, medians over rounds; added = facade - raw of the same round (middle half of the rounds)');
  dirs.forEach((d, i) => console.log(`#${i}: ${d}`));
  const head = ['operation', ...dirs.flatMap((_, i) => MODES.flatMap((m) => [`#${i} ${m} raw`, `#${i} ${m}`, `#${i} ${m} added`]))];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const op of OPS) {
    const cells = [op];
    dirs.forEach((_, i) => {
      for (const mode of MODES) {
        const t = results[mode][i];
        const a = perRound(t, op);
        cells.push(f(median(t[`raw:${op}`])), f(median(t[`facade:${op}`])), `${f(median(a))} (${f(quantile(a, 0.25))}..${f(quantile(a, 0.75))})`);
      }
    });
    console.log(`| ${cells.join(' | ')} |`);
  }
}
