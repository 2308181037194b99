// Issue 9: secrets. A session's master key, its DER/PEM encodings and key log lines are returned
// only by the explicit calls (masterKey, toDER/i2d, toPEM, SSL_SESSION_print_keylog, print). No error
// message, stack, inspected error, ledger event or LeakError text carries them: every error path is
// exercised on real sessions from handshakes, in release and in debug mode (stacks recorded).
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Context, type GeneratedCertificate, type OpenSSL, SESS_CACHE, type Session, type SessionView } from '../../dist/index.js';
import { loadInstance } from '../support/instance.js';
import { HOSTNAME } from '../support/tls.js';

/** Every way a secret could be spelled in text: hex both cases, base64 at each alignment, base64url, latin1. */
function spellings(secret: Uint8Array): string[] {
  const buf = Buffer.from(secret);
  const forms = [buf.toString('hex'), buf.toString('hex').toUpperCase(), buf.toString('base64url'), buf.toString('latin1')];
  for (let shift = 0; shift < 3; shift++) {
    // The base64 of the secret inside a longer stream: drop the first `shift` bytes so its groups
    // align, and the last partial group, whose characters depend on what follows.
    const b64 = buf.subarray(shift).toString('base64').replace(/=+$/, '');
    forms.push(b64.slice(0, b64.length - (b64.length % 4)));
  }
  return forms.filter((f) => f.length >= 16);
}

interface Secrets {
  label: string;
  forms: string[];
}

function secretsOf(label: string, s: Session | SessionView, ossl: OpenSSL): Secrets[] {
  const der = s.toDER();
  const pemBody = s
    .toPEM()
    .split('\n')
    .filter((l) => l.length === 64);
  return [
    { label: `${label} master key`, forms: spellings(s.masterKey) },
    { label: `${label} DER`, forms: [...spellings(der), ...pemBody] },
    { label: `${label} key log line`, forms: [ossl.SSL_SESSION_print_keylog(s).trim()] },
  ];
}

function leaks(texts: string[], secrets: Secrets[]): string[] {
  const found: string[] = [];
  for (const text of texts)
    for (const s of secrets) for (const f of s.forms) if (text.includes(f)) found.push(`${s.label} in: ${text.slice(0, 120)}`);
  return found;
}

/** An error's every textual face: message, String(), stack, util.inspect (queue, cause, provenance). */
function faces(error: unknown): string[] {
  return [
    String(error),
    (error as Error)?.message ?? '',
    (error as Error)?.stack ?? '',
    inspect(error, { depth: 6 }),
    JSON.stringify(error),
  ];
}

async function run(debug: boolean): Promise<{ texts: string[]; secrets: Secrets[]; errors: string[] }> {
  const ossl = await loadInstance({ debug, onLeak: () => {} });
  const other = await loadInstance({ debug });
  const cert: GeneratedCertificate = ossl.generateCertificate({ commonName: HOSTNAME });
  const texts: string[] = [];
  const errors: string[] = [];
  const capture = (call: () => unknown): void => {
    try {
      call();
    } catch (error) {
      errors.push((error as Error).name);
      texts.push(...faces(error));
    }
  };
  const secrets: Secrets[] = [];
  const contexts: Context[] = [];
  const handles: Session[] = [];

  for (const protocol of ['TLSv1.2', 'TLSv1.3'] as const) {
    const server = ossl.createContext({
      role: 'server',
      certificate: cert.certificate,
      privateKey: cert.privateKey,
      maxVersion: protocol,
      tickets: false,
    });
    const client = ossl.createContext({
      role: 'client',
      ca: cert.certificate,
      sessionCacheMode: SESS_CACHE.CLIENT | SESS_CACHE.NO_INTERNAL,
    });
    contexts.push(server, client);
    const pair = ossl.connectInMemory(client, server, { hostname: HOSTNAME });
    pair.pump();
    const c = pair.client.get1Session() as Session;
    const s = pair.server.get1Session() as Session;
    const view = pair.server.getSession() as SessionView;
    handles.push(c, s);
    secrets.push(...secretsOf(`${protocol} client`, c, ossl), ...secretsOf(`${protocol} server`, s, ossl));
    const der = c.toDER();
    const pem = c.toPEM();
    const key = c.masterKey;

    // Ownership errors on real sessions.
    capture(() => ossl.SSL_SESSION_free(view)); // NotOwnedError
    const extra = c.upRef();
    extra.free();
    capture(() => extra.free()); // DoubleFreeError
    capture(() => extra.masterKey); // UseAfterFreeError
    capture(() => extra.toDER());
    capture(() => other.SSL_SESSION_free(c)); // ForeignObjectError
    capture(() => other.i2d_SSL_SESSION(c));
    capture(() => other.SSL_SESSION_print_keylog(c));
    pair.free();
    capture(() => view.masterKey); // BorrowExpiredError
    capture(() => view.toPEM());

    // OpenSSL refusing the real bytes: truncated right after the master key, cut anywhere, trailing
    // bytes, a PEM with its base64 damaged, another instance's decoder.
    const at = Buffer.from(der).indexOf(Buffer.from(key));
    for (const n of [at + key.length, at + key.length + 1, at + 5, der.length - 1, 200])
      capture(() => ossl.d2i_SSL_SESSION(der.subarray(0, n)));
    capture(() => ossl.d2i_SSL_SESSION(Buffer.concat([der, Buffer.from([0])])));
    capture(() => ossl.PEM_read_SSL_SESSION(pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n**********')));
    capture(() => ossl.PEM_read_SSL_SESSION(pem.replace('-----END', '-----FIN')));
    // Setters refused with the real key nearby: too long a key (beyond OpenSSL's 512 bytes;
    // OpenSSL-shaped: 0 and lastError; Session: OpenSSLError), too long an id, a time out of range.
    const copy = c.dup();
    handles.push(copy);
    const tooLong = Buffer.concat(Array.from({ length: 12 }, () => key));
    expect(ossl.SSL_SESSION_set1_master_key(copy, tooLong)).toBe(0);
    texts.push(...faces(ossl.lastError));
    capture(() => {
      copy.masterKey = tooLong;
    });
    capture(() => {
      copy.id = Buffer.concat([key, key]);
    });
    capture(() => {
      copy.time = 2 ** 40;
    });
    capture(() => ossl.d2i_SSL_SESSION(key)); // the key itself as input
    capture(() => ossl.PEM_read_SSL_SESSION(Buffer.from(key).toString('hex')));
    // A resumption with an altered key: the handshake fails (TLSError) on a real session.
    const altered = c.dup();
    altered.masterKey = key.map((b) => b ^ 0xff);
    handles.push(altered);
    capture(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME, session: altered }).free());
    // Wire bytes that contain the key.
    const conn = server.newConnection();
    capture(() => {
      conn.writeEncrypted(Buffer.concat([Buffer.from([0x16, 0x03, 0x03, 0x00, key.length]), key]));
      conn.handshake();
    });
    conn.free();
    // A callback that throws: its CallbackError.
    server.onNewSession(() => {
      throw new Error('callback failed');
    });
    capture(() => ossl.connectInMemory(client, server, { hostname: HOSTNAME }));
    server.onNewSession(null);
  }

  // A leak report naming real sessions, and the ledger's whole event log.
  const leaked = handles[0].upRef();
  capture(() => ossl.ledger.assertNoLeaks());
  texts.push(JSON.stringify(ossl.ledger.events()), JSON.stringify(ossl.ledger.live()), JSON.stringify(ossl.ledger.stats()));
  texts.push(JSON.stringify(ossl.ledger.holders(handles[0])), inspect(handles[0], { depth: 3 }));
  leaked.free();
  for (const h of handles) h.free();
  for (const x of contexts) x.free();
  ossl.ledger.assertNoLeaks();
  return { texts, secrets, errors };
}

describe('secrets stay out of errors, stacks, events and leak reports', () => {
  it.each([false, true])('debug: %s', async (debug) => {
    const { texts, secrets, errors } = await run(debug);
    // The search works: the explicit calls do contain the secrets.
    const ossl = await loadInstance();
    const s = ossl.SSL_SESSION_new();
    s.masterKey = new Uint8Array(48).fill(0x5a);
    expect(leaks([s.print()], [{ label: 'probe', forms: spellings(s.masterKey) }])).toHaveLength(1);
    s.free();

    const counts: Record<string, number> = {};
    for (const e of errors) counts[e] = (counts[e] ?? 0) + 1;
    console.log(
      `secrets (debug ${debug}): ${secrets.length} secrets x spellings checked against ${texts.length} texts (${texts.reduce((n, t) => n + t.length, 0)} characters) from ${errors.length} errors: ${JSON.stringify(counts)}`,
    );
    for (const name of [
      'NotOwnedError',
      'DoubleFreeError',
      'UseAfterFreeError',
      'ForeignObjectError',
      'BorrowExpiredError',
      'OpenSSLError',
      'InvalidArgumentError',
      'TLSError',
      'CallbackError',
      'LeakError',
    ]) {
      expect(counts[name], name).toBeGreaterThan(0);
    }
    if (debug) expect(texts.some((t) => t.includes('created at:'))).toBe(true);
    expect(leaks(texts, secrets)).toEqual([]);
  });
});
