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
    // Each row names the holder that took or dropped the reference and the site where it moved.
    expect(out).toMatch(/\bS1\s+get1\s+2\s+H\d+\s+get1\s+SSL_get1_session\(C1\)/);
    expect(out).toMatch(/\bS1\s+up_ref\s+2\s+C3\s+set-session\s+C3 setSession/);
    expect(out).toMatch(/\bS2\s+up_ref\s+2\s+C4\s+lookup\s+C4 handshake/);
    expect(out).toMatch(/\bS\d+\s+free\s+0\s+X1 cache\s+cache-flush\s+X1 flushSessions/);
    expect(out).toMatch(/1 call\(s\) refused; 0 leaks\./);
  });

  it('--json prints the steps and events as one JSON document', () => {
    const doc = JSON.parse(run('demo', '--json')) as {
      version: string;
      steps: { c: string }[];
      events: { op: string; cause: string; references: number }[];
    };
    expect(doc.version).toMatch(/^OpenSSL 3\.5\.7/);
    expect(doc.steps.some((s) => s.c.includes('SSL_get1_session'))).toBe(true);
    expect(doc.events.filter((e) => e.cause === 'js').map((e) => e.op)).toEqual(['get1', 'up_ref', 'free', 'free']);
    expect(doc.events.at(-1)?.references).toBe(0);
  });

  it('--help explains the commands and the table', () => {
    const out = run('--help');
    expect(out).toContain('openssl-session-wasm demo [--json]');
    expect(out).toContain('"holder" who took or dropped the');
    expect(out).toContain('"site" where');
  });
});
