// One OpenSSL instance and one server identity (CN=localhost, P-256) per test file; the file ends
// through the instance fixture's end checks (../support/instance.ts).
import { spawn } from 'node:child_process';
import { beforeAll } from 'vitest';
import type { OpenSSL } from '../../dist/index.js';
import { loadInstance } from '../support/instance.js';

export interface Fixture {
  ossl: OpenSSL;
  cert: { certificate: string; privateKey: string };
}

export function useOpenSSL(): Fixture {
  const fixture = {} as Fixture;
  beforeAll(async () => {
    fixture.ossl = await loadInstance();
    fixture.cert = fixture.ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
  });
  return fixture;
}

export const root = new URL('../..', import.meta.url).pathname;
export const bin = (name: string): string => `${root}node_modules/.bin/${name}`;

/**
 * Runs a runtime (deno, bun) without blocking this process, where the peers it talks to live;
 * resolves with its stdout, rejects with its stderr when it exits non-zero or runs over a minute.
 */
export function runRuntime(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} exited with ${code}\n${err}\n${out}`));
    });
  });
}
