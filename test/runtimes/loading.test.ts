// Where the module comes from, and what every way of not finding it says: each failure is an
// OpenSSLWasmError naming what was tried and how to fix it. Served over HTTP from 127.0.0.1 with the
// Content-Type and status each case needs; file: URLs read as Node reads them.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadOpenSSL, OpenSSLWasmError } from '../../dist/index.js';
import { loadInstance } from '../support/instance.js';
import { root } from './harness.js';

const wasm = readFileSync(`${root}dist/openssl.wasm`);
const html = '<!doctype html><html><head><title>App</title></head><body>index</body></html>';

/** path -> [status, content-type, body] */
const routes: Record<string, [number, string, Uint8Array | string]> = {
  '/app/openssl.wasm': [200, 'application/wasm', wasm],
  '/octet/openssl.wasm': [200, 'application/octet-stream', wasm],
  '/spa/openssl.wasm': [200, 'text/html; charset=utf-8', html],
  '/truncated/openssl.wasm': [200, 'application/wasm', wasm.subarray(0, 4096)],
};
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const route = routes[new URL(request.url ?? '/', 'http://x').pathname];
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const [status, type, body] = route;
    response.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

async function loadError(options: Parameters<typeof loadOpenSSL>[0]): Promise<OpenSSLWasmError> {
  const error = await loadOpenSSL(options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenSSLWasmError);
  return error as OpenSSLWasmError;
}

describe('loading succeeds', () => {
  it('served as application/wasm: compiled while streaming, with onProgress up to Content-Length', async () => {
    const streaming = vi.spyOn(WebAssembly, 'compileStreaming');
    const progress: [number, number | undefined][] = [];
    const ossl = await loadInstance({ wasmUrl: `${base}/app/openssl.wasm`, onProgress: (loaded, total) => progress.push([loaded, total]) });
    expect(ossl.version).toMatch(/^OpenSSL 3\.5\.7 /);
    expect(streaming).toHaveBeenCalledTimes(1);
    expect(progress.at(-1)).toEqual([wasm.length, wasm.length]);
    expect(progress.every(([loaded], i) => i === 0 || loaded > progress[i - 1][0])).toBe(true);
  });

  it('served as application/octet-stream (a host without the wasm MIME type): compiled from the bytes instead', async () => {
    const streaming = vi.spyOn(WebAssembly, 'compileStreaming');
    const ossl = await loadInstance({ wasmUrl: new URL(`${base}/octet/openssl.wasm`) });
    expect(ossl.version).toMatch(/^OpenSSL 3\.5\.7 /);
    expect(streaming).not.toHaveBeenCalled();
  });

  it('a relative wasmUrl resolves against the page (document.baseURI)', async () => {
    vi.stubGlobal('document', { baseURI: `${base}/app/index.html` });
    const ossl = await loadInstance({ wasmUrl: 'openssl.wasm' });
    expect(ossl.version).toMatch(/^OpenSSL 3\.5\.7 /);
    vi.stubGlobal('document', { baseURI: `${base}/app/deep/page/` });
    expect((await loadInstance({ wasmUrl: '/app/openssl.wasm' })).version).toBe(ossl.version);
  });

  it('a relative wasmUrl resolves against the working directory without a page (Node)', async () => {
    const cwd = vi.spyOn(process, 'cwd').mockReturnValue(root);
    const ossl = await loadInstance({ wasmUrl: 'dist/openssl.wasm', onProgress: () => {} });
    expect(cwd).toHaveBeenCalled();
    expect(ossl.version).toMatch(/^OpenSSL 3\.5\.7 /);
  });
});

describe('every load failure is an OpenSSLWasmError that says what was tried and how to fix it', () => {
  it('a missing file in Node: the path, ENOENT, and the fixes (no bare ENOENT)', async () => {
    const error = await loadError({ wasmUrl: new URL('file:///nonexistent/bundle/openssl.wasm') });
    expect(error.message).toContain('could not read openssl.wasm at /nonexistent/bundle/openssl.wasm: no such file (ENOENT)');
    expect(error.message).toContain('the bundler did not copy the module beside its output');
    expect(error.message).toContain("'openssl-session-wasm/inline'");
  });

  it('HTTP 404: the URL, the status, why a bundler causes it, and the fixes', async () => {
    const error = await loadError({ wasmUrl: `${base}/assets/openssl.wasm` });
    expect(error.message).toContain(`could not fetch ${base}/assets/openssl.wasm: HTTP 404 Not Found`);
    expect(error.message).toContain('new URL(..., import.meta.url)');
    expect(error.message).toContain('wasmUrl');
  });

  it('HTML with 200 (a single-page app fallback): not WebAssembly, what arrived, and the fixes', async () => {
    const error = await loadError({ wasmUrl: `${base}/spa/openssl.wasm` });
    expect(error.message).toContain(`${base}/spa/openssl.wasm is not WebAssembly (`);
    expect(error.message).toContain('Content-Type text/html; charset=utf-8, starting "<!doctype html>');
    expect(error.message).toContain('the server answered with an HTML page');
    expect(error.message).not.toContain('expected magic word');
  });

  it('a truncated module served as application/wasm: not a valid module (streaming compile failed)', async () => {
    const error = await loadError({ wasmUrl: `${base}/truncated/openssl.wasm` });
    expect(error.message).toMatch(
      /truncated\/openssl\.wasm \(served as application\/wasm\) is not a valid WebAssembly module: CompileError/,
    );
  });

  it('a server that is not there: the URL and the network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await loadError({ wasmUrl: `http://127.0.0.1:${port}/openssl.wasm` });
    expect(error.message).toContain(`could not fetch http://127.0.0.1:${port}/openssl.wasm: TypeError: fetch failed`);
  });

  it('wasmBinary that is not WebAssembly: what it starts with', async () => {
    const error = await loadError({ wasmBinary: new TextEncoder().encode(html) });
    expect(error.message).toMatch(/^wasmBinary is not WebAssembly \(\d+ bytes, starting "<!doctype html>/);
  });

  it('wasmModule or wasmBinary of the wrong type is a TypeError before anything is fetched', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    await expect(loadOpenSSL({ wasmModule: {} })).rejects.toThrow(new TypeError('wasmModule must be a WebAssembly.Module'));
    await expect(loadOpenSSL({ wasmBinary: 'AGFzbQ==' as unknown as Uint8Array })).rejects.toThrow(TypeError);
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
