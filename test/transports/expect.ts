// What the transport scenario must return in every runtime: one set of values for all of them.
import { expect } from 'vitest';

export function expectTransportScenario(result: Record<string, unknown>): void {
  const r = result as {
    resumption: Record<
      string,
      { full: { protocol: string; reused: boolean; group: string }; resumed: { protocol: string; reused: boolean }; replies: string[] }
    >;
    refused: Record<string, { error: string | null; verifyResult?: number | null; message?: string }>;
    cut: Record<string, { error: string | null; message?: string }>;
    leaks: { live: number };
  };
  for (const [name, version] of [
    ['openssl-tls1.3', 'TLSv1.3'],
    ['openssl-tls1.2', 'TLSv1.2'],
    ['node-tls1.3', 'TLSv1.3'],
    ['node-tls1.2', 'TLSv1.2'],
  ]) {
    const reply = name.startsWith('openssl') ? 'gnip' : 'echo:ping';
    expect(r.resumption[name], name).toMatchObject({
      full: { protocol: version, reused: false, group: 'x25519' },
      resumed: { protocol: version, reused: true },
      replies: [reply, reply],
    });
  }
  // X509_V_ERR_HOSTNAME_MISMATCH (62) and X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT (18).
  expect(r.refused.hostnameMismatch).toMatchObject({ error: 'TLSError', verifyResult: 62 });
  expect(r.refused.unknownCA).toMatchObject({ error: 'TLSError', verifyResult: 18 });
  expect(r.refused.closedMidHandshake).toMatchObject({ error: 'TransportError' });
  expect(r.cut.midRecord).toMatchObject({
    error: 'TransportError',
    message: 'the peer closed the connection in the middle of a TLS record',
  });
  expect(r.cut.closed).toMatchObject({ error: 'TransportError' });
  expect(r.leaks).toEqual({ live: 0 });
}
