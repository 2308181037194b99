#!/usr/bin/env node
// Serves the built playground (playground/dist, made by `vite build playground`) on 127.0.0.1.
// It builds nothing: a missing dist/ is reported with the command that makes it. Used by
// `npm start` and by test/playground.test.ts (which imports startServer and asks for port 0).
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

export const DEFAULT_ROOT = fileURLToPath(new URL('./dist/', import.meta.url));
export const DEFAULT_PORT = 5173;

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing (the wasm modules are most of the page's bytes: 2 MB and 3.4 MB raw). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.wasm', '.svg', '.txt']);
const ENCODERS = {
  // Quality 6 compresses the 3.4 MB sanitized module in well under a second; 11 would take many.
  br: (bytes) => promisify(brotliCompress)(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 6 } }),
  gzip: (bytes) => promisify(gzip)(bytes, { level: 9 }),
};
/** Compressed bodies by encoding, file and modification time: each is made once per server. */
const compressed = new Map();

/** The encoding to answer with: brotli, else gzip, when the client accepts it (q=0 refuses). */
function encodingFor(acceptEncoding) {
  const accepted = new Map();
  for (const part of String(acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
    accepted.set(name, q ? Number(q[1]) : 1);
  }
  const ok = (name) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : null;
}

async function compressedBody(file, info, encoding) {
  const key = `${encoding} ${file} ${info.mtimeMs}`;
  let body = compressed.get(key);
  if (!body) {
    body = ENCODERS[encoding](await readFile(file));
    compressed.set(key, body);
    body.catch(() => compressed.delete(key));
  }
  return body;
}

/** The file under `root` a URL path names, or null when it would leave `root`. */
function fileFor(root, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return null;
  }
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

/**
 * Starts serving `root` on 127.0.0.1. With `strictPort` false, a busy port moves to the next one
 * (up to 20 tries); port 0 takes any free port. Resolves to { url, port, close() }.
 */
export async function startServer({ root = DEFAULT_ROOT, port = DEFAULT_PORT, strictPort = false } = {}) {
  root = resolve(root);
  const index = await stat(join(root, 'index.html')).catch(() => null);
  if (!index) {
    throw new Error(`${join(root, 'index.html')} is missing: build the playground first (npx vite build playground)`);
  }
  const server = createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = fileFor(root, new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const info = file ? await stat(file).catch(() => null) : null;
    if (!file || !info?.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const headers = {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      // Hashed assets never change; the page itself is always revalidated.
      'Cache-Control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    const encoding = COMPRESSIBLE.has(extname(file)) ? encodingFor(req.headers['accept-encoding']) : null;
    if (COMPRESSIBLE.has(extname(file))) headers.Vary = 'Accept-Encoding';
    if (encoding) {
      const body = await compressedBody(file, info, encoding);
      res.writeHead(200, { ...headers, 'Content-Encoding': encoding, 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': info.size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  const tries = strictPort || port === 0 ? 1 : 20;
  for (let i = 0; i < tries; i++) {
    const wanted = port === 0 ? 0 : port + i;
    const bound = await new Promise((ok, fail) => {
      const onError = (error) => {
        server.off('listening', onListening);
        if (error.code === 'EADDRINUSE' && i + 1 < tries) ok(false);
        else fail(error);
      };
      const onListening = () => {
        server.off('error', onError);
        ok(true);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(wanted, '127.0.0.1');
    });
    if (bound) {
      const actual = server.address().port;
      return {
        port: actual,
        url: `http://127.0.0.1:${actual}/`,
        close: () => new Promise((done) => server.close(() => done())),
      };
    }
  }
  throw new Error('unreachable');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const explicit = process.env.PORT !== undefined && process.env.PORT !== '';
  const port = explicit ? Number(process.env.PORT) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, got ${process.env.PORT}`);
    process.exit(2);
  }
  try {
    const { url } = await startServer({ port, strictPort: explicit });
    console.log(`openssl-session-wasm playground: ${url}  (Ctrl+C to stop)`);
  } catch (error) {
    console.error(error.code === 'EADDRINUSE' ? `port ${port} is in use; choose another with PORT=...` : error.message);
    process.exit(1);
  }
}
