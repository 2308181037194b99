// npm run soak -- [--ops N] [--handshakes N] [--seed S] [--quick] [--json]   (tsx test/hostile/run-soak.ts)
// The soak (soak.ts): N session operations (default 1,000,000) and N in-memory
// handshakes (default 50,000) with misuse injected: double frees, uses after free, objects of
// another instance, frees of views, expired views, wrong types, freed connections and contexts,
// frees and restarts from inside callbacks. --quick: 20,000 operations and 500 handshakes (what
// test/hostile/soak.test.ts runs). Prints the figures; exits 1 on any unexpected outcome, a
// ledger violation, a leak, a trap, or a heap that did not come back.
import { loadOpenSSL } from '../../dist/index.js';
import { HEAP_SLACK } from './heap.js';
import { HOSTNAME, realSessions } from './inputs.js';
import { soak } from './soak.js';

const quick = process.argv.includes('--quick');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ops = arg('ops', quick ? 20_000 : 1_000_000);
const handshakes = arg('handshakes', quick ? 500 : 50_000);
const seed = arg('seed', 20_261_122);
const SLACK = HEAP_SLACK;

const ossl = await loadOpenSSL();
const other = await loadOpenSSL();
const identity = ossl.generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
const corpus = realSessions(ossl);
const began = Date.now();
const stats = soak(ossl, other, identity, corpus, {
  seed,
  ops,
  handshakes,
  slack: SLACK,
  onProgress: (s) =>
    process.stderr.write(
      `[soak] ${s.ops.toLocaleString('en-US')} ops, ${s.handshakes.toLocaleString('en-US')} handshakes, misuse refused ${s.misuse}, unexpected ${s.unexpected.length}\n`,
    ),
});
let leakText = '';
try {
  ossl.ledger.assertNoLeaks();
  other.ledger.assertNoLeaks();
} catch (error) {
  leakText = String(error).slice(0, 2000);
}

const command = `npm run soak -- --ops ${ops} --handshakes ${handshakes} --seed ${seed}`;
console.log(`\nSoak — ${command}  (${new Date().toISOString()}, ${ossl.version}, Node ${process.version})`);
console.log(
  `  ${stats.ops.toLocaleString('en-US')} session operations and ${stats.handshakes.toLocaleString('en-US')} handshakes (${stats.resumed.toLocaleString('en-US')} resumed) in ${(stats.ms / 1000).toFixed(1)} s (wall ${Math.round((Date.now() - began) / 1000)} s)`,
);
console.log(`  misuse injected ${stats.misuse.toLocaleString('en-US')}, refused by class: ${JSON.stringify(stats.refused)}`);
console.log(
  `  bad values refused: by OpenSSL ${stats.opensslRefused}, by the facade ${stats.argumentRefused}; failed handshakes ${JSON.stringify(stats.handshakeFailures)}`,
);
console.log(
  `  unexpected ${stats.unexpected.length}; traps ${stats.failed ? 1 : 0}; ledger violations ${stats.violations.length}; lost trace events ${stats.lostTraceEvents}`,
);
console.log(
  `  live sessions at the end ${stats.live}; leaks ${leakText ? 'YES' : 0}; heap ${stats.heap.before} -> ${stats.heap.after} bytes ` +
    `(one-time state ${stats.heap.oneTime}${stats.heap.replayed ? ', pass replayed' : ''}, unexplained ${stats.heap.unexplained}, suspects ${stats.heap.suspects.length})`,
);
if (process.argv.includes('--json')) console.log(JSON.stringify({ command, date: new Date().toISOString(), ...stats }));
if (
  stats.unexpected.length ||
  stats.failed ||
  stats.violations.length ||
  stats.live ||
  leakText ||
  stats.heap.suspects.length ||
  !(Math.abs(stats.heap.unexplained) <= SLACK)
) {
  console.error('[soak] FAILED', JSON.stringify(stats.unexpected, null, 1), leakText);
  process.exit(1);
}
