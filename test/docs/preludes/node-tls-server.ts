// Prelude "node-tls-server": a Node `tls` server on 127.0.0.1 that answers each request with one
// HTTP/1.0 response. Defines `caPem` (the certificate to trust) and `port`. Unref'd: the sample
// ends when its own work does.
import { once as preludeOnce } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer as preludeCreateServer } from 'node:tls';
import { loadOpenSSL as preludeLoad } from 'openssl-session-wasm';

const preludeCert = (await preludeLoad()).generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
// biome-ignore lint/correctness/noUnusedVariables: used by the sample this prelude is prepended to
const caPem = preludeCert.certificate;
const preludeServer = preludeCreateServer({ cert: preludeCert.certificate, key: preludeCert.privateKey }, (socket) => {
  socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\ncontent-length: 6\r\n\r\nhello\n'));
  socket.on('error', () => {});
});
preludeServer.listen(0, '127.0.0.1');
await preludeOnce(preludeServer, 'listening');
preludeServer.unref();
// biome-ignore lint/correctness/noUnusedVariables: used by the sample this prelude is prepended to
const port = (preludeServer.address() as AddressInfo).port;
