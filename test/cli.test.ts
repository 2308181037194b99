// The CLI demo: a narrated lifecycle and the ledger's events, for people and for machines.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const cli = new URL('../dist/node/cli.js', import.meta.url).pathname;
const run = (...args: string[]): string => execFileSync('node', [cli, ...args], { encoding: 'utf8' });

describe('openssl-session-wasm demo', () => {
  it('narrates handshake, session, up_ref, cache, resumption and free, then prints the ledger table', () => {
    const out = run('demo');
    expect(out).toMatch(/^OpenSSL 3\.5\.7 .* in WebAssembly/);
    expect(out).toContain('SSL_SESSION_free on that view is refused (NotOwnedError)');
    expect(out).toContain('Resumption with the saved session: reused on the client true, on the server true.');
    expect(out).toMatch(/\bS1\s+get1\s+2\s+js\s+SSL_get1_session\(C1\)/);
    expect(out).toMatch(/\bS\d+\s+free\s+0\s+openssl\s+X1 flushSessions/);
    expect(out).toMatch(/1 call\(s\) refused; 0 leaks\./);
  });

  it('--json prints the steps and events as one JSON document', () => {
    const doc = JSON.parse(run('demo', '--json')) as {
      version: string;
      steps: { c: string }[];
      events: { op: string; cause: string; refs: number }[];
    };
    expect(doc.version).toMatch(/^OpenSSL 3\.5\.7/);
    expect(doc.steps.some((s) => s.c.includes('SSL_get1_session'))).toBe(true);
    expect(doc.events.filter((e) => e.cause === 'js').map((e) => e.op)).toEqual(['get1', 'up_ref', 'free', 'free']);
    expect(doc.events.at(-1)?.refs).toBe(0);
  });

  it('--help explains the commands and the table', () => {
    const out = run('--help');
    expect(out).toContain('openssl-session-wasm demo [--json]');
    expect(out).toContain('"openssl" rows are references OpenSSL took');
  });
});
