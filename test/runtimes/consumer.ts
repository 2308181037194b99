// A consumer project with the package installed from its own tarball (`npm pack`, then
// `npm install <tarball>` offline: the package has no dependencies), as a user gets it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, runtimesDir } from './harness.js';

export interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number; mode: number }[];
}

export interface Consumer {
  /** The temporary directory holding the tarball and the app; remove it when done. */
  scratch: string;
  /** The consumer project: package.json ("type": "module") and node_modules/openssl-session-wasm. */
  app: string;
  packed: PackResult;
}

export function installPackedConsumer(prefix: string): Consumer {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  const app = join(scratch, 'app');
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: root, encoding: 'utf8' });
  const packed = (JSON.parse(out) as PackResult[])[0];
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(scratch, packed.filename)], {
    cwd: app,
    encoding: 'utf8',
  });
  return { scratch, app, packed };
}

/** The consumer-side tools (bundlers, workerd, package linters): test/runtimes/bundlers/package.json. */
export const fixtures = join(runtimesDir, 'bundlers');
export const tools = join(fixtures, 'node_modules');
export const tool = (name: string): string => join(tools, '.bin', name);

/**
 * Installs the fixtures' tools with npm ci when their lock changed since the last install. Suites
 * run in parallel: the check and the install happen under one lock, so only one of them installs.
 */
export function ensureFixtureTools(): void {
  const digest = createHash('sha256')
    .update(readFileSync(join(fixtures, 'package-lock.json')))
    .digest('hex');
  const stamp = join(tools, '.osw-lock-sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
  // Install scripts stay off: esbuild, workerd and Parcel's native parts come as platform packages.
  const install = `[ "$(cat '${stamp}' 2>/dev/null)" = ${digest} ] || { npm ci --no-audit --no-fund --ignore-scripts && printf %s ${digest} > '${stamp}'; }`;
  execFileSync('flock', [join(tmpdir(), 'openssl-session-wasm-fixture-tools.lock'), 'bash', '-c', install], {
    cwd: fixtures,
    stdio: 'inherit',
    timeout: 600_000,
  });
}
