// Shared by the TLS suites (issue 4): context pairs around one certificate, the data round trip,
// and compact forms of the questions every TLS test asks (who holds the session, which counters moved).
import { expect } from 'vitest';
import type {
  CacheStats,
  Context,
  ContextOptions,
  GeneratedCertificate,
  HoldersReport,
  InMemoryPair,
  OpenSSL,
  Session,
  SessionView,
} from '../../dist/index.js';
import { LeakError } from '../../dist/index.js';

/** The name every test certificate is made for (commonName and DNS subjectAltName). */
export const HOSTNAME = 'example.test';

/** OpenSSL's protocol numbers, as sessions report them. */
export const PROTOCOL_NUMBER = { 'TLSv1.2': 0x0303, 'TLSv1.3': 0x0304 } as const;

export type ContextOverrides = Omit<ContextOptions, 'role' | 'certificate' | 'privateKey'>;

/**
 * A server context presenting `cert`, and a client context that trusts it (verification on: the
 * server certificate must chain to `cert` and name the hostname the connection asks for).
 */
export function contextPair(
  ossl: OpenSSL,
  cert: GeneratedCertificate,
  options: { server?: ContextOverrides; client?: ContextOverrides } = {},
): { server: Context; client: Context } {
  const server = ossl.createContext({ role: 'server', certificate: cert.certificate, privateKey: cert.privateKey, ...options.server });
  try {
    const client = ossl.createContext({ role: 'client', ca: cert.certificate, ...options.client });
    return { server, client };
  } catch (error) {
    server.free();
    throw error;
  }
}

/** Application data crosses the connection both ways, decrypted intact on the other side. */
export function expectEcho(pair: InMemoryPair, label = 'ping'): void {
  pair.client.write(`${label} from the client`);
  expect(new TextDecoder().decode(pair.pump().toServer)).toBe(`${label} from the client`);
  pair.server.write(`${label} from the server`);
  expect(new TextDecoder().decode(pair.pump().toClient)).toBe(`${label} from the server`);
}

/**
 * A holders report as { holder: references }: connections ("C2") and caches ("X1 cache") under
 * their ledger names, every JS handle summed under "handles" (tests do not know handle ids).
 */
export function holderMap(report: HoldersReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of report.holders) {
    const key = h.kind === 'handle' ? 'handles' : h.id;
    out[key] = (out[key] ?? 0) + h.references;
  }
  return out;
}

/**
 * The session's holders are exactly `expected`, and they account for every reference OpenSSL
 * counts: references is their sum and nothing is unattributed.
 */
export function expectHolders(ossl: OpenSSL, s: Session | SessionView, expected: Record<string, number>): void {
  const report = ossl.ledger.holders(s);
  expect(holderMap(report)).toEqual(expected);
  const sum = Object.values(expected).reduce((n, r) => n + r, 0);
  expect({ references: report.references, unattributed: report.unattributed }).toEqual({ references: sum, unattributed: 0 });
}

/** The SSL_CTX_sess_* counters that are not zero (so a test lists exactly what moved). */
export function counters(ctx: Context): Partial<CacheStats> {
  return Object.fromEntries(Object.entries(ctx.stats).filter(([, n]) => n !== 0)) as Partial<CacheStats>;
}

/** Seconds since the epoch, as OpenSSL's session times count them. */
export function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** The LeakError assertNoLeaks() throws now (failing the test when it throws none). */
export function leakOf(ossl: OpenSSL): LeakError {
  let thrown: unknown;
  try {
    ossl.ledger.assertNoLeaks();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(LeakError);
  return thrown as LeakError;
}

/**
 * No session leaks, and the only objects not freed yet are exactly `alive` (contexts or connections
 * a test still uses): assertNoLeaks() names every unfreed connection and context.
 */
export function expectNoLeaksBut(ossl: OpenSSL, alive: { id: string }[]): void {
  if (alive.length === 0) {
    ossl.ledger.assertNoLeaks();
    return;
  }
  const leak = leakOf(ossl);
  expect(leak.leaks).toEqual([]);
  expect(leak.objects.map((o) => o.id).sort()).toEqual(alive.map((o) => o.id).sort());
}
