// node bench/profile.mjs [figure] [--top N]: where a wasm handshake spends its time, by function.
// Runs the C twin compiled to wasm (bench/native/out/twin-wasm.cjs, linked with --profiling-funcs so
// the name section names every function) under Node's sampling profiler for one figure, and prints
// the functions with the largest self time, as shares of all samples. Default figure: a TLS 1.3 full
// handshake with the default groups (X25519MLKEM768) and a P-256 certificate.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 20;
const figure = args.find((a, i) => !a.startsWith('--') && i !== topAt + 1) ?? 'handshake.tls13.full.X25519MLKEM768.P-256';
const twin = `${root}bench/native/out/twin-wasm.cjs`;
if (!existsSync(twin)) {
  console.error('[profile] building the twins first (bash bench/native/build.sh)');
  execFileSync('bash', [`${root}bench/native/build.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const dir = mkdtempSync(join(tmpdir(), 'osw-profile-'));
try {
  execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100', twin, '--only', figure], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (const id of profile.samples) {
    const name = byId.get(id)?.callFrame.functionName || '(anonymous)';
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = profile.samples.length;
  const idle = ['(idle)', '(program)', '(garbage collector)'].reduce((n, k) => n + (self.get(k) ?? 0), 0);
  const rows = [...self.entries()].filter(([name]) => !name.startsWith('(')).sort((a, b) => b[1] - a[1]);
  console.log(`[profile] ${figure}: ${total} samples at 100 µs (${((idle / total) * 100).toFixed(1)}% idle/program/GC)`);
  console.log(`${'share'.padStart(6)}  function`);
  for (const [name, n] of rows.slice(0, top)) console.log(`${((n / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
