// Native peers for the interop suites, started on 127.0.0.1 by the tests themselves:
// Node's own tls (native OpenSSL inside Node) and Debian's openssl command line.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'osw-interop-'));
}

export function writeTemp(dir: string, name: string, text: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A Node tls echo server; `reused` records isSessionReused() of each accepted connection. */
export async function nodeTlsServer(
  options: tls.TlsOptions,
): Promise<{ port: number; reused: boolean[]; server: tls.Server; close(): Promise<void> }> {
  const reused: boolean[] = [];
  const server = tls.createServer(options, (socket) => {
    reused.push(socket.isSessionReused());
    socket.on('data', (d) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    reused,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A plain TCP server handing each socket to `onSocket`. */
export async function tcpServer(onSocket: (s: Socket) => void): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `openssl s_server` on a free port; resolves once it accepts. */
export async function opensslServer(args: string[]): Promise<{ port: number; proc: ChildProcess; close(): Promise<void> }> {
  const proc = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${out}`)));
  });
  return {
    port,
    proc,
    close: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill();
      }),
  };
}

/** `openssl s_client`, keeping stdin open briefly so TLS 1.3 tickets arrive before it exits. */
export function opensslClient(args: string[], holdMs = 400): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn('openssl', ['s_client', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    setTimeout(() => proc.stdin.end(), holdMs);
    proc.once('error', reject);
    proc.once('exit', () => resolve(out));
  });
}

/** The fields `openssl sess_id -text -noout` prints. */
export async function sessIdText(pemPath: string): Promise<Record<string, string>> {
  const { stdout } = await run('openssl', ['sess_id', '-in', pemPath, '-text', '-noout']);
  const fields: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^\s{4}([A-Za-z][A-Za-z -]*?)\s*:\s?(.*)$/.exec(line);
    if (m) fields[m[1].trim()] = m[2].trim();
  }
  return fields;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
