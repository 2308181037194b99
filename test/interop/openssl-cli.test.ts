// Interop with Debian's openssl command line (s_server, s_client -sess_out/-sess_in, sess_id).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { OpenSSL, Session } from '../../dist/index.js';
import { connectTLS } from '../../dist/node/index.js';
import { useInstance } from '../support/instance.js';
import { hex, opensslClient, opensslServer, sessIdText, tempDir, writeTemp } from './peers.js';

let ossl: OpenSSL;
let dir: string;
let certPath: string;
let keyPath: string;
let cert: { certificate: string; privateKey: string };

useInstance({ scope: 'file' }, (fresh) => {
  ossl = fresh;
  cert = ossl.generateCertificate({ commonName: 'localhost', keyType: 'P-256' });
  dir = tempDir();
  certPath = writeTemp(dir, 'cert.pem', cert.certificate);
  keyPath = writeTemp(dir, 'key.pem', cert.privateKey);
});

/** Every field sess_id prints, as this module reads them from the same session. */
function expectSameFields(cli: Record<string, string>, s: Session): void {
  const protocol = { 772: 'TLSv1.3', 771: 'TLSv1.2' }[s.protocolVersion];
  expect(cli.Protocol).toBe(protocol);
  expect(cli.Cipher).toBe(s.cipher?.name); // OpenSSL's name (TLS 1.3 names are the IANA ones)
  expect(cli['Session-ID']).toBe(hex(s.id));
  expect(cli['Session-ID-ctx']).toBe(hex(s.idContext));
  expect(Number(cli['Start Time'])).toBe(s.time);
  expect(cli.Timeout).toBe(`${s.timeout} (sec)`);
  if (s.protocolVersion === 0x0304) expect(Number(cli['Max Early Data'])).toBe(s.maxEarlyData);
  const secret = cli['Resumption PSK'] ?? cli['Master-Key'];
  expect(secret).toBe(hex(s.masterKey));
  if (s.hasTicket) expect(cli['TLS session ticket lifetime hint']).toBe(`${s.ticketLifetimeHint} (seconds)`);
}

for (const version of ['tls1_3', 'tls1_2'] as const) {
  describe(`openssl CLI as the native peer (${version})`, () => {
    it('a session written by `openssl s_client -sess_out` parses here with the fields `openssl sess_id -text` prints', async () => {
      const server = await opensslServer(['-cert', certPath, '-key', keyPath, '-www', `-${version}`]);
      try {
        const sessPath = `${dir}/native-${version}.pem`;
        const out = await opensslClient(['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-sess_out', sessPath]);
        expect(out).toContain('New,');
        const session = ossl.PEM_read_SSL_SESSION(readFileSync(sessPath, 'utf8'));
        expectSameFields(await sessIdText(sessPath), session);
        session.free();
      } finally {
        await server.close();
      }
      ossl.ledger.assertNoLeaks();
    });

    it('a session from a WASM client is read by `openssl sess_id` and resumes with `openssl s_client -sess_in` ("Reused")', async () => {
      const server = await opensslServer(['-cert', certPath, '-key', keyPath, '-www', `-${version}`]);
      const context = ossl.createContext({ role: 'client', ca: cert.certificate });
      try {
        const stream = await connectTLS({ host: '127.0.0.1', port: server.port, context, servername: 'localhost' });
        stream.write('GET / HTTP/1.0\r\n\r\n');
        await stream.waitForSessions(1);
        const session = stream.takeSession() as Session;
        stream.destroy();
        const pemPath = writeTemp(dir, `wasm-${version}.pem`, session.toPEM());
        expectSameFields(await sessIdText(pemPath), session);
        const out = await opensslClient(['-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost', '-sess_in', pemPath]);
        expect(out).toMatch(/^Reused, TLSv1\.[23]/m);
        session.free();
      } finally {
        context.free();
        await server.close();
      }
      ossl.ledger.assertNoLeaks();
    });
  });
}
