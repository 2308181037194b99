// A consumer project with the package installed from its own tarball (`npm pack`, then
// `npm install <tarball>` offline: the package has no dependencies), as a user gets it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './harness.js';

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
