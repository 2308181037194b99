#!/usr/bin/env node
// Serves the built playground (playground/dist, made by `vite build playground`) on 127.0.0.1.
// It builds nothing: a missing dist/ is reported with the command that makes it. Used by
// `npm start` and by test/playground.test.ts (which imports startServer and asks for port 0).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      // Hashed assets never change; the page itself is always revalidated.
      'Cache-Control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
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
