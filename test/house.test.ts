// The house rules that can be checked mechanically: no import cycle in src/, the codes C and
// TypeScript share agree, the public Ledger has no writer, adding a session field is one row, and
// nothing is patched onto the host table, the binding or another object after construction.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInstance } from './support/instance.js';

const root = new URL('..', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Value imports between the files of src/ (type-only imports are erased and cannot form a load cycle). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
      if (m[1]) continue;
      // `import { type A, type B } from` is erased too.
      const clause = m[0].match(/\{([^}]*)\}/)?.[1];
      if (clause?.split(',').every((part) => part.trim() === '' || part.trim().startsWith('type '))) continue;
      targets.push(resolve(dirname(file), m[2].replace(/\.js$/, '.ts')));
    }
    graph.set(
      file,
      targets.filter((t) => t.endsWith('.ts')),
    );
  }
  return graph;
}

/** Every cycle's files, shortest first, as paths relative to src/. */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') found.push(stack.slice(stack.indexOf(t)).map((p) => relative(join(root, 'src'), p)));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return found;
}

const OUTSIDE = String.raw`(?:host|binding|b|x|ledger|tls|registry|context|connection|engine)\.[A-Za-z_$#][\w$]*`;
const WRITE = new RegExp(String.raw`\b${OUTSIDE}\s*(?:[-+*/|&]?=(?![=>])|\+\+|--)|Object\.(?:assign|defineProperty)\(\s*${OUTSIDE}`, 'g');

/**
 * Writes onto another object's fields in a source text: a property of the host table, the binding,
 * its exports, the ledger, the TLS registry or a connection's context assigned, incremented or
 * patched with Object.assign/defineProperty. Each is a dependency patched in after construction.
 */
export function patches(text: string): string[] {
  return [...text.matchAll(WRITE)].map((m) => m[0]);
}

describe('the house', () => {
  it('no file in src/ imports (by value) a file that imports it back, directly or around a loop', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(20);
    expect(cycles(graph)).toEqual([]);
  });

  it('the cycle finder finds a loop when there is one (it can fail)', () => {
    const g = new Map([
      ['/a.ts', ['/b.ts']],
      ['/b.ts', ['/c.ts']],
      ['/c.ts', ['/a.ts']],
    ]);
    expect(cycles(g)).toHaveLength(1);
  });

  it('every code shared by C and TypeScript has the same name and value on both sides', async () => {
    const { SHARED_CODES } = await import('../src/core/codes.js');
    const header = readFileSync(join(root, 'wasm/glue/codes.h'), 'utf8');
    const c = new Map([...header.matchAll(/^#define (OSW_[A-Z0-9_]+) (-?\d+)\s*$/gm)].map((m) => [m[1], Number(m[2])]));
    const ts = new Map<string, number>();
    for (const [group, codes] of Object.entries(SHARED_CODES)) {
      for (const [name, value] of Object.entries(codes)) ts.set(`OSW_${group}_${name}`, value);
    }
    expect(ts.size).toBeGreaterThan(5);
    expect(Object.fromEntries(c)).toEqual(Object.fromEntries(ts));
  });

  it('what C calls back into is fixed when the instance is made: the host table and the binding are frozen', async () => {
    const { coreOf } = await import('../dist/openssl.js');
    const ossl = await loadInstance();
    const b = coreOf(ossl).b;
    expect(Object.keys(b.host).sort()).toEqual(['alpnSelect', 'fault', 'getSession', 'keylog', 'newSession', 'removeSession']);
    for (const frozen of [b.host, b, b.x, b.out]) expect(Object.isFrozen(frozen)).toBe(true);
    const before = b.host.newSession;
    expect(Reflect.set(b.host, 'newSession', () => 1)).toBe(false);
    expect(() => {
      (b.host as { fault: unknown }).fault = () => {};
    }).toThrow(TypeError);
    expect(b.host.newSession).toBe(before);
    // The table reaches the registry it was made with: a server's new-session callback runs through it.
    const { certificate, privateKey } = ossl.generateCertificate({ commonName: 'example.test', keyType: 'P-256' });
    const server = ossl.createContext({ role: 'server', certificate, privateKey });
    const client = ossl.createContext({ role: 'client', ca: certificate });
    let called = 0;
    server.onNewSession(() => {
      called++;
      return false;
    });
    ossl.connectInMemory(client, server, { hostname: 'example.test' }).free();
    expect(called).toBeGreaterThan(0);
    client.free();
    server.free();
    ossl.ledger.assertNoLeaks();
  });

  it('no file in src/ writes onto the host table, the binding, the ledger, the registry, a context, a connection or a TLS engine from outside', () => {
    const found = files(join(root, 'src')).flatMap((f) => patches(readFileSync(f, 'utf8')).map((p) => `${relative(root, f)}: ${p}`));
    expect(found).toEqual([]);
  });

  it('the patch finder finds writes from outside when there are some (it can fail)', () => {
    const text = [
      'host.fault = (e) => this.fault(e);',
      'b.host.newSession = f;',
      's.context.busy++;',
      'this.#engine.sessionListener = (h) => this.emit(h);',
      'core.ledger.guard = g;',
      'Object.assign(binding.host, { keylog });',
      'if (x.memory === m && b.x.osw_free) tls.takeFault();',
    ].join('\n');
    expect(patches(text)).toEqual([
      'host.fault =',
      'host.newSession =',
      'context.busy++',
      'engine.sessionListener =',
      'ledger.guard =',
      'Object.assign(binding.host',
    ]);
  });

  it('the public Ledger has questions only: no method that records, adopts, runs or counts', async () => {
    const ossl = await loadInstance();
    const proto = Object.getPrototypeOf(ossl.ledger);
    const methods = Object.getOwnPropertyNames(proto)
      .filter((k) => k !== 'constructor')
      .sort();
    expect(methods).toEqual(
      ['assertNoLeaks', 'debug', 'events', 'heapBytes', 'history', 'holders', 'live', 'stats', 'toJSON', 'tracing', 'violations'].sort(),
    );
    const writer = [
      'adopt',
      'tookReference',
      'releasedReference',
      'handedBack',
      'run',
      'refused',
      'recordFor',
      'newOwnership',
      'addHolderSource',
    ];
    for (const name of writer) expect(name in ossl.ledger).toBe(false);
  });
});
