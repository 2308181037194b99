// loadOpenSSL's options, attacked as a hostile caller would: every option is of its declared kind or
// refused with a typed error before anything is fetched or compiled (no coercion: `debug: 'yes'`,
// `trace: 0`, a maxMemory string, fraction or object with valueOf), bytes are copied through the
// intrinsic getters (a Proxy, a lying length or a detached buffer never reaches the compiler),
// callbacks are functions now rather than failures later, and a polluted Object.prototype is no one's
// option. The main entry and /inline convert alike.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, type LoadOptions, loadOpenSSL, type OpenSSL } from '../../dist/index.js';
import * as inline from '../../dist/inline.js';
import { expectClean } from '../support/instance.js';
import { expectInstanceWorks } from '../support/sessions.js';

const wasm = readFileSync(new URL('../../dist/openssl.wasm', import.meta.url));
let wasmModule: WebAssembly.Module;
beforeAll(async () => {
  wasmModule = await WebAssembly.compile(wasm);
});
afterEach(() => vi.restoreAllMocks());

type Load = (o?: LoadOptions) => Promise<OpenSSL>;
const ENTRIES: [string, Load][] = [
  ['the main entry', loadOpenSSL],
  ['/inline', inline.loadOpenSSL],
];

/** A fresh copy of the module's bytes in their own ArrayBuffer. */
function wasmBuffer(): ArrayBuffer {
  return wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength);
}
function detach(buffer: ArrayBuffer): void {
  structuredClone(buffer, { transfer: [buffer] });
}

/** The load is refused with `expected`, before anything was fetched or compiled. */
async function expectLoadRefused(load: Load, options: unknown, expected: abstract new (...args: never[]) => Error): Promise<Error> {
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  const compileSpy = vi.spyOn(WebAssembly, 'compile');
  const error = await load(options as LoadOptions).then(
    (o) => {
      expectClean(o);
      return new Error('loaded');
    },
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(expected);
  expect(error.message).toMatch(/^loadOpenSSL: options|^wasmModule/);
  expect(fetchSpy).not.toHaveBeenCalled();
  expect(compileSpy).not.toHaveBeenCalled();
  vi.restoreAllMocks();
  return error;
}

/** Loads, proves the instance works, and ends it clean. */
async function expectLoads(load: Load, options: unknown): Promise<OpenSSL> {
  const o = await load(options as LoadOptions);
  expect(o.version).toMatch(/^OpenSSL 3\.5\./);
  expectInstanceWorks(o);
  expectClean(o);
  return o;
}

for (const [entry, load] of ENTRIES) {
  describe(`${entry}: loadOpenSSL options are of their declared kind, never coerced`, () => {
    it("debug and trace are booleans: 'yes', 1, 0, null, a Boolean object are TypeErrors", async () => {
      for (const v of ['yes', 1, 0, null, new Boolean(false), 'false']) {
        await expectLoadRefused(load, { debug: v }, TypeError);
        await expectLoadRefused(load, { trace: v }, TypeError);
      }
      const o = await expectLoads(load, { debug: true, trace: false, wasmModule });
      expect(o.ledger.debug).toBe(true);
      expect(o.ledger.tracing).toBe(false);
    });

    it('maxMemory is a whole number of bytes in range: a string, bigint or valueOf object is a TypeError (valueOf never runs); NaN, a fraction, negative, too small, too large are InvalidArgumentErrors', async () => {
      let ran = 0;
      const sneaky = {
        valueOf() {
          ran++;
          return 32 << 20;
        },
      };
      for (const v of [String(32 << 20), BigInt(32 << 20), sneaky, [32 << 20]]) await expectLoadRefused(load, { maxMemory: v }, TypeError);
      expect(ran).toBe(0);
      for (const v of [Number.NaN, (32 << 20) + 0.5, -1, 0, (16 << 20) - 1, 2 ** 31, 2 ** 53, Number.POSITIVE_INFINITY]) {
        await expectLoadRefused(load, { maxMemory: v }, InvalidArgumentError);
      }
      // The edges themselves are accepted.
      await expectLoads(load, { maxMemory: 16 << 20, wasmModule });
    });

    it('onLeak and onProgress are functions, refused at load rather than failing when first called', async () => {
      for (const v of ['console.log', 1, {}, null, true]) {
        await expectLoadRefused(load, { onLeak: v }, TypeError);
        await expectLoadRefused(load, { onProgress: v }, TypeError);
      }
    });

    it('wasmModule must be a WebAssembly.Module: a plain object, the bytes, or a Promise of a module are TypeErrors', async () => {
      for (const v of [{}, wasm, Promise.resolve(wasmModule), null]) await expectLoadRefused(load, { wasmModule: v }, TypeError);
    });

    it('wasmUrl is a string or a URL: a number, a look-alike object with toString (never run), NUL or a lone surrogate are refused', async () => {
      let ran = 0;
      const lookAlike = {
        href: 'file:///etc/passwd',
        toString() {
          ran++;
          return 'file:///etc/passwd';
        },
      };
      for (const v of [5, lookAlike, null, Object.create(URL.prototype)]) await expectLoadRefused(load, { wasmUrl: v }, TypeError);
      expect(ran).toBe(0);
      for (const v of ['file:///tmp/openssl.wasm\0.html', 'https://example.test/\uD800.wasm']) {
        await expectLoadRefused(load, { wasmUrl: v }, InvalidArgumentError);
      }
    });

    it('a URL subclass whose href getter lies is read through the intrinsic href, once', async () => {
      let reads = 0;
      class Lying extends URL {
        override get href(): string {
          reads++;
          return 'http://127.0.0.1:9/attacker.wasm';
        }
        override get protocol(): string {
          reads++;
          return 'http:';
        }
      }
      await expectLoads(load, { wasmUrl: new Lying(new URL('../../dist/openssl.wasm', import.meta.url)) });
      expect(reads).toBe(0);
    });
  });

  describe(`${entry}: wasmBinary is copied through the intrinsic getters`, () => {
    it('a Proxy around the bytes is a TypeError; its traps never run', async () => {
      const traps: PropertyKey[] = [];
      const proxy = new Proxy(new Uint8Array(wasmBuffer()), {
        get(t, k) {
          traps.push(k);
          return Reflect.get(t, k);
        },
        getPrototypeOf(t) {
          traps.push('getPrototypeOf');
          return Reflect.getPrototypeOf(t);
        },
      });
      await expectLoadRefused(load, { wasmBinary: proxy }, TypeError);
      expect(traps).toEqual([]);
    });

    it('a detached ArrayBuffer, and a view of one, are InvalidArgumentErrors (not a raw "Cannot perform Construct")', async () => {
      const b = wasmBuffer();
      const view = new Uint8Array(b);
      detach(b);
      await expectLoadRefused(load, { wasmBinary: b }, InvalidArgumentError);
      await expectLoadRefused(load, { wasmBinary: view }, InvalidArgumentError);
    });

    it('a subclass whose length lies loads the real bytes; a DataView, a Buffer and SharedArrayBuffer-backed bytes load too', async () => {
      class Lying extends Uint8Array {
        override get length(): number {
          return 8;
        }
      }
      const shared = new SharedArrayBuffer(wasm.byteLength);
      new Uint8Array(shared).set(wasm);
      for (const v of [new Lying(wasmBuffer()), new DataView(wasmBuffer()), Buffer.from(wasmBuffer()), shared, new Uint8Array(shared)]) {
        await expectLoads(load, { wasmBinary: v });
      }
    });

    it('the bytes are copied at the call: changing them while the load runs does not change what is compiled', async () => {
      const mine = new Uint8Array(wasmBuffer());
      const loading = load({ wasmBinary: mine });
      mine.fill(0);
      const o = await loading;
      expectInstanceWorks(o);
      expectClean(o);
    });
  });

  describe(`${entry}: a polluted Object.prototype is no one's option`, () => {
    it('Object.prototype.debug / maxMemory / onLeak / onProgress / wasmUrl / wasmModule, each of the wrong kind, are not read: the load succeeds as if unset', async () => {
      const planted: Record<string, unknown> = {
        debug: 'yes',
        maxMemory: 1,
        onLeak: 'not a function',
        onProgress: 'not a function',
        wasmUrl: 'http://127.0.0.1:9/attacker.wasm',
        wasmModule: {},
      };
      for (const [k, v] of Object.entries(planted)) {
        Object.defineProperty(Object.prototype, k, { value: v, configurable: true, writable: true });
      }
      let loaded: OpenSSL | Error;
      try {
        loaded = await load().catch((e: unknown) => e as Error);
      } finally {
        for (const k of Object.keys(planted)) delete (Object.prototype as Record<string, unknown>)[k];
      }
      expect(loaded).not.toBeInstanceOf(Error);
      const o = loaded as OpenSSL;
      expect(o.ledger.debug).toBe(false);
      expectInstanceWorks(o);
      expectClean(o);
    });
  });
}

describe('onLeak runs from a finalizer', () => {
  it('an onLeak that throws is reported on stderr, and the process carries on (it ended the process at the next collection)', () => {
    const index = new URL('../../dist/index.js', import.meta.url).href;
    const script = `
      const { loadOpenSSL } = await import(${JSON.stringify(index)});
      const ossl = await loadOpenSSL({ onLeak: () => { throw new Error('the reporter broke'); } });
      (() => { ossl.SSL_SESSION_new(); })();
      for (let i = 0; i < 20; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log('still running');`;
    const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('still running');
    expect(run.stderr).toContain('onLeak threw while reporting session');
    expect(run.stderr).toContain('the reporter broke');
  });
});
