// The build issue: the pinned source is verified, the module loads, RAND is seeded from the platform CSPRNG.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOpenSSL } from '../dist/index.js';
import { loadInstance } from './support/instance.js';

const root = new URL('..', import.meta.url).pathname;

describe('pinned OpenSSL source', () => {
  it('refuses a tarball whose SHA-256 is not the pinned one, saying what was expected and found', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osw-fetch-'));
    const fake = join(dir, 'openssl-3.5.7.tar.gz');
    writeFileSync(fake, 'not openssl');
    const found = execFileSync('sha256sum', [fake]).toString().split(' ')[0];
    const run = spawnSync('bash', ['openssl-src/fetch.sh'], {
      cwd: root,
      env: { ...process.env, OPENSSL_TARBALL: fake, OPENSSL_WASM_CACHE: join(dir, 'cache') },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('REFUSED');
    expect(run.stderr).toContain('a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8');
    expect(run.stderr).toContain(found);
    expect(run.stdout).toBe('');
  });

  it('pins version 3.5.7 and the release SHA-256 in one place', () => {
    const env = readFileSync(join(root, 'openssl-src/openssl.env'), 'utf8');
    expect(env).toMatch(/^OPENSSL_VERSION=3\.5\.7$/m);
    expect(env).toMatch(/^OPENSSL_SHA256=a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8$/m);
  });
});

describe('loading the module', () => {
  it('loads in Node and reports OpenSSL 3.5.7', async () => {
    const ossl = await loadInstance();
    expect(ossl.version).toMatch(/^OpenSSL 3\.5\.7 /);
  });

  it('seeds the RNG: RAND_status() is 1 and RAND_bytes gives fresh bytes', async () => {
    const ossl = await loadInstance();
    expect(ossl.RAND_status()).toBe(1);
    const a = ossl.RAND_bytes(32);
    const b = ossl.RAND_bytes(32);
    expect(a).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('gives independent instances: separate memories, different random streams, separate ledgers', async () => {
    const [one, two] = await Promise.all([loadInstance(), loadInstance()]);
    expect(Buffer.from(one.RAND_bytes(32)).equals(Buffer.from(two.RAND_bytes(32)))).toBe(false);
    const s = one.SSL_SESSION_new();
    expect(one.ledger.stats().liveSessions).toBe(1);
    expect(two.ledger.stats().liveSessions).toBe(0);
    s.free();
    one.ledger.assertNoLeaks();
    two.ledger.assertNoLeaks();
  });

  it('accepts the wasm bytes directly (wasmBinary) and a file: URL (wasmUrl)', async () => {
    const url = new URL('../dist/openssl.wasm', import.meta.url);
    const fromBytes = await loadInstance({ wasmBinary: readFileSync(url) });
    const fromUrl = await loadInstance({ wasmUrl: url });
    expect(fromBytes.version).toBe(fromUrl.version);
  });
});

/** The value types of a wasm binary's exported functions, read from its type, import, function and export sections. */
function exportedSignatures(bytes: Uint8Array): Map<string, string> {
  const VALTYPE: Record<number, string> = { 127: 'i32', 126: 'i64', 125: 'f32', 124: 'f64', 123: 'v128', 112: 'funcref', 111: 'externref' };
  let at = 8;
  const u32 = (): number => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const name = (): string => {
    const n = u32();
    at += n;
    return new TextDecoder().decode(bytes.subarray(at - n, at));
  };
  const limits = (): void => {
    const flags = bytes[at++];
    u32();
    if (flags & 1) u32();
  };
  const types: string[] = [];
  const functions: string[] = [];
  const signatures = new Map<string, string>();
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = u32();
    const end = at + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        if (bytes[at++] !== 0x60) throw new Error('not a function type');
        const params = Array.from({ length: u32() }, () => VALTYPE[bytes[at++]]);
        const results = Array.from({ length: u32() }, () => VALTYPE[bytes[at++]]);
        types.push(`(${params.join(', ')}) -> ${results.join(', ') || 'void'}`);
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        name();
        name();
        const kind = bytes[at++];
        if (kind === 0) functions.push(types[u32()]);
        else if (kind === 2) limits();
        else if (kind === 3) at += 2;
        else {
          at++; // a table's element type, a tag's attribute
          if (kind === 1) limits();
          else u32();
        }
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) functions.push(types[u32()]);
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const exported = name();
        const kind = bytes[at++];
        const index = u32();
        signatures.set(exported, kind === 0 ? functions[index] : ['function', 'table', 'memory', 'global', 'tag'][kind]);
      }
    }
    at = end;
  }
  return signatures;
}

/** A row's C types as the wasm32 value types the compiler gives them (WASM_BIGINT: uint64_t is one i64). */
function expectedSignature([result, ...args]: readonly string[]): string {
  const wasm = (c: string): string => (c === 'uint64_t' ? 'i64' : c === 'double' ? 'f64' : 'i32');
  return `(${args.map(wasm).join(', ')}) -> ${result === 'void' ? 'void' : wasm(result)}`;
}

/** What Emscripten adds to the release link on its own: the constructor runner and the function table. */
const EMSCRIPTEN_OWN = { __wasm_call_ctors: '() -> void', __indirect_function_table: 'table' };
/** What Emscripten and AddressSanitizer's runtime add to the sanitized link (wasm/asan.sh). */
const ASAN_OWN = [
  'memory',
  '__wasm_call_ctors',
  '__indirect_function_table',
  'calloc',
  'memalign',
  '__funcs_on_exit',
  'emscripten_builtin_malloc',
  'emscripten_builtin_free',
  'emscripten_builtin_memalign',
  'emscripten_builtin_calloc',
  '_emscripten_stack_restore',
  '_emscripten_stack_alloc',
  'emscripten_stack_get_current',
  '_ZN6__asan9FakeStack17AddrIsInFakeStackEm',
  '_ZN6__asan9FakeStack8AllocateEmmm',
  ...['1', '1u', '2', '2u', '4', '4u', 'f', 'd'].flatMap((w) => [`_asan_c_load_${w}`, `_asan_c_store_${w}`]),
];

describe("the FFI table (src/binding/abi.ts) is the module's export list", () => {
  it("the release module exports every row with the C types' wasm signature, and nothing else but Emscripten's own", async () => {
    const { FFI } = await import('../src/binding/abi.js');
    const table = Object.fromEntries(Object.entries(FFI).map(([name, row]) => [name, expectedSignature(row)]));
    const built = exportedSignatures(readFileSync(join(root, 'dist/openssl.wasm')));
    expect(Object.keys(table).length).toBeGreaterThan(100);
    expect(Object.fromEntries(built)).toEqual({ ...table, ...EMSCRIPTEN_OWN });
  });

  it("the sanitized module (the playground's) exports every row with the same signature, beside its runtime's own", async () => {
    const { FFI } = await import('../src/binding/abi.js');
    const built = exportedSignatures(readFileSync(join(root, 'wasm/dist/asan/openssl-asan.wasm')));
    for (const [name, row] of Object.entries(FFI)) expect([name, built.get(name)]).toEqual([name, expectedSignature(row)]);
    expect([...built.keys()].filter((name) => !(name in FFI)).sort()).toEqual([...ASAN_OWN].sort());
  });

  it("the linker gets exactly the table's names, in its order (wasm/export-list.mjs, which build.sh runs and hands to wasm/asan.sh)", async () => {
    const { EXPORT_NAMES } = await import('../src/binding/abi.js');
    const list = execFileSync('node', ['wasm/export-list.mjs'], { cwd: root, encoding: 'utf8' }).trim();
    expect(list).toBe(EXPORT_NAMES.map((name) => `_${name}`).join(','));
  });

  it('a module whose export has another arity is refused at load, naming the export', async () => {
    const bytes = readFileSync(join(root, 'dist/openssl.wasm'));
    const module = new WebAssembly.Module(bytes);
    const realInstantiate = WebAssembly.instantiate;
    // The loader instantiates through WebAssembly.instantiate: hand it back a module whose one export has another arity.
    const patched = async (m: WebAssembly.Module, imports?: WebAssembly.Imports) => {
      const instance = await realInstantiate(m, imports);
      const fake = Object.create(null);
      Object.assign(fake, instance.exports, { SSL_SESSION_up_ref: () => 1 });
      return Object.freeze({ exports: fake }) as WebAssembly.Instance;
    };
    (WebAssembly as { instantiate: unknown }).instantiate = patched;
    try {
      await expect(loadOpenSSL({ wasmModule: module })).rejects.toThrow(/SSL_SESSION_up_ref/);
    } finally {
      WebAssembly.instantiate = realInstantiate;
    }
  });
});
