// npm run fuzz -- [--inputs N] [--wire N] [--seed S] [--json]   (tsx test/hostile/run-fuzz.ts)
// The big record of hostile inputs: N mutated real sessions and random bytes through
// d2i_SSL_SESSION / PEM_read_SSL_SESSION (default 1,000,000), then N hostile wire cases (default
// 20,000). Prints progress to stderr and the figures at the end; exits 1 on any unexpected outcome
// (a trap, an error that is not an OpenSSLError, altered data), a heap suspect or unexplained growth.
// The same engines run in `npm test` (test/hostile/parsers.test.ts, test/hostile/wire.test.ts).
import { loadOpenSSL } from '../../dist/index.js';
import { HEAP_SLACK } from './heap.js';
import { HOSTNAME, realSessions } from './inputs.js';
import { fuzzParsers } from './parsers.js';
import { fuzzWire } from './wire.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const inputs = arg('inputs', 1_000_000);
const wireCases = arg('wire', 20_000);
const seed = arg('seed', 20_261_122);
const SLACK = HEAP_SLACK;
const began = Date.now();
const log = (line: string): void => {
  process.stderr.write(`[fuzz] ${line}\n`);
};
const rate = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString('en-US');

const ossl = await loadOpenSSL();
const corpus = realSessions(ossl);
log(`${ossl.version}; corpus: ${corpus.length} real sessions (${corpus.map((c) => c.der.length).join(', ')} bytes of DER); seed ${seed}`);

let lastReport = 0;
const parsers = fuzzParsers(ossl, corpus, {
  seed,
  inputs,
  slack: SLACK,
  onBatch(s, to) {
    if (to - lastReport < 100_000 && to < inputs) return;
    lastReport = to;
    log(
      `parsers ${to.toLocaleString('en-US')}/${inputs.toLocaleString('en-US')}: ${rate(s.inputs, s.ms)} inputs/s, ` +
        `decoded ${s.decoded}, refused ${s.refused}, unexpected ${s.unexpected.length}, heap ${s.heap.final} (one-time ${s.heap.oneTime}, suspects ${s.heap.suspects.length})`,
    );
  },
});
log(`parsers done in ${(parsers.ms / 1000).toFixed(1)} s`);

const wire =
  wireCases > 0 ? fuzzWire(ossl, ossl.generateCertificate({ commonName: HOSTNAME }), { seed, cases: wireCases, slack: SLACK }) : null;
if (wire) log(`wire done in ${(wire.ms / 1000).toFixed(1)} s`);

const top = (o: Record<string, number>, n = 10): [string, number][] =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
const figures = {
  date: new Date().toISOString(),
  command: `npm run fuzz -- --inputs ${inputs} --wire ${wireCases} --seed ${seed}`,
  openssl: ossl.version,
  node: process.version,
  wallSeconds: Math.round((Date.now() - began) / 1000),
  parsers: {
    inputs: parsers.inputs,
    seconds: +(parsers.ms / 1000).toFixed(1),
    inputsPerSecond: Math.round((parsers.inputs / parsers.ms) * 1000),
    decoded: parsers.decoded,
    refused: parsers.refused,
    byParser: parsers.byParser,
    reencoded: parsers.reencoded,
    timeWraps: parsers.timeWraps,
    unstable: parsers.unstable,
    unexpected: parsers.unexpected,
    slowestMs: +parsers.slowest.ms.toFixed(2),
    slowest: parsers.slowest,
    topRefusals: Object.fromEntries(top(parsers.reasons)),
    distinctRefusalReasons: Object.keys(parsers.reasons).length,
    heap: parsers.heap,
  },
  wire: wire && {
    cases: wire.cases,
    seconds: +(wire.ms / 1000).toFixed(1),
    casesPerSecond: Math.round((wire.cases / wire.ms) * 1000),
    outcomes: wire.outcomes,
    byPhase: wire.byPhase,
    topRefusals: Object.fromEntries(top(wire.reasons)),
    unexpected: wire.unexpected,
    slowestMs: +wire.slowest.ms.toFixed(2),
    heap: wire.heap,
  },
  failed: ossl.failed,
  heap: { baseline: parsers.heap.baseline, final: wire ? wire.heap.final : parsers.heap.final },
};
ossl.ledger.assertNoLeaks();

const p = figures.parsers;
console.log(`\nHostile inputs — ${figures.command}  (${figures.date}, ${figures.openssl}, Node ${figures.node})`);
console.log(
  `  parsers: ${p.inputs.toLocaleString('en-US')} inputs in ${p.seconds} s (${p.inputsPerSecond.toLocaleString('en-US')}/s): decoded ${p.decoded.toLocaleString('en-US')} (d2i ${p.byParser.d2i.decoded}, PEM ${p.byParser.pem.decoded}), refused with OpenSSLError ${p.refused.toLocaleString('en-US')} (${p.distinctRefusalReasons} distinct reasons)`,
);
console.log(
  `           re-encoded stably ${p.reencoded.toLocaleString('en-US')}, time wrapped ${p.timeWraps}, unstable ${p.unstable.length}; unexpected ${p.unexpected.length}; slowest input ${p.slowestMs} ms`,
);
console.log(
  `           heap ${p.heap.baseline} -> ${p.heap.final} bytes (one-time state ${p.heap.oneTime} in ${p.heap.oneTimeBatches.length} batches, unexplained ${p.heap.unexplained}, suspects ${p.heap.suspects.length})`,
);
if (figures.wire) {
  const w = figures.wire;
  console.log(
    `  wire:    ${w.cases.toLocaleString('en-US')} cases in ${w.seconds} s (${w.casesPerSecond}/s): ${JSON.stringify(w.outcomes)}; unexpected ${w.unexpected.length}; slowest ${w.slowestMs} ms`,
  );
  console.log(
    `           heap ${w.heap.baseline} -> ${w.heap.final} bytes (one-time state ${w.heap.oneTime}, unexplained ${w.heap.unexplained}, suspects ${w.heap.suspects.length})`,
  );
}
console.log(`  traps: ${figures.failed ? 'THE INSTANCE FAILED' : 0}; wall time ${figures.wallSeconds} s`);
if (process.argv.includes('--json')) console.log(JSON.stringify(figures));

const bad =
  figures.failed ||
  p.unexpected.length > 0 ||
  p.unstable.length > 0 ||
  p.heap.suspects.length > 0 ||
  Math.abs(p.heap.unexplained) > SLACK ||
  (figures.wire &&
    (figures.wire.unexpected.length > 0 || figures.wire.heap.suspects.length > 0 || Math.abs(figures.wire.heap.unexplained) > SLACK));
if (bad) {
  console.error('[fuzz] FAILED: see unexpected / unstable / heap suspects above (each names its seed and index)');
  console.error(
    JSON.stringify(
      {
        parsers: { unexpected: p.unexpected, unstable: p.unstable, suspects: p.heap.suspects },
        wire: figures.wire && { unexpected: figures.wire.unexpected, suspects: figures.wire.heap.suspects },
      },
      null,
      1,
    ),
  );
  process.exit(1);
}
