// npm run bench:gate [-- <dist dir> ...]: the per-call cost of the public gate, through the public API
// only: a getter, a setter, SSL_SESSION_up_ref+free, upRef()+free(), d2i. With several dist
// directories (e.g. a build of main and one of a branch) their runs alternate, so before and after
// are measured close in time on a shared machine. Prints medians in ns per call; never asserts a time.
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const dirs = args.filter((a) => !a.startsWith('--'));
if (dirs.length === 0) dirs.push(new URL('../dist', import.meta.url).pathname);
const ROUNDS = quick ? 3 : 9;
const N = quick ? 20_000 : 100_000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function nsPerOp(n, fn) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}

async function subject(dir) {
  const { loadOpenSSL } = await import(pathToFileURL(`${dir}/index.js`).href);
  const ossl = await loadOpenSSL();
  const cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
  const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey });
  const client = ossl.createContext({ role: 'client', ca: cert.certificate });
  const pair = ossl.connectInMemory(client, server, { hostname: 'localhost' });
  const s = pair.client.get1Session();
  pair.free();
  client.free();
  server.free();
  const der = s.toDER();
  const ops = {
    getter: [N, () => s.protocolVersion],
    setter: [
      N,
      () => {
        s.maxEarlyData = 16384;
      },
    ],
    bytes_setter: [
      N,
      () => {
        s.ticketAppData = der.subarray(0, 16);
      },
    ],
    SSL_SESSION_up_ref_free: [
      N,
      () => {
        ossl.SSL_SESSION_up_ref(s);
        ossl.SSL_SESSION_free(s);
      },
    ],
    upRef_free: [N, () => s.upRef().free()],
    d2i_free: [N / 10, () => ossl.sessionFromDER(der).free()],
  };
  return { dir, ossl, s, ops, results: Object.fromEntries(Object.keys(ops).map((k) => [k, []])) };
}

const subjects = [];
for (const d of dirs) subjects.push(await subject(d));
for (const sub of subjects) for (const [n, fn] of Object.values(sub.ops)) nsPerOp(n / 4, fn); // warm up
for (let r = 0; r < ROUNDS; r++) {
  for (const name of Object.keys(subjects[0].ops)) {
    for (const sub of subjects) {
      const [n, fn] = sub.ops[name];
      sub.results[name].push(nsPerOp(n, fn));
    }
  }
}
console.log(`[bench:gate] ${ROUNDS} alternating rounds, medians in ns per call`);
console.log(
  ['operation'.padEnd(26), ...subjects.map((s, i) => `#${i}`.padStart(10))].join(' ') + (subjects.length === 2 ? '   #1-#0' : ''),
);
for (const name of Object.keys(subjects[0].ops)) {
  const meds = subjects.map((s) => median(s.results[name]));
  const diff = subjects.length === 2 ? `   ${(meds[1] - meds[0]).toFixed(1).padStart(6)}` : '';
  console.log([name.padEnd(26), ...meds.map((m) => m.toFixed(1).padStart(10))].join(' ') + diff);
}
subjects.forEach((s, i) => console.log(`#${i}: ${s.dir}`));
for (const sub of subjects) {
  sub.s.free();
  sub.ossl.ledger.assertNoLeaks();
}
