// Shared by the transport-adapter attack suites (attacks-web, attacks-node): a context pair per
// test, and what a refusal before the connection exists must leave as it was.
import { expect } from 'vitest';
import type { Context, OpenSSL } from '../../dist/index.js';
import { expectInstanceWorks, snapshot } from '../support/sessions.js';
import { contextPair, HOSTNAME } from '../support/tls.js';

export interface World {
  ossl: OpenSSL;
  server: Context;
  client: Context;
}

/** A server and a verifying client context on `ossl`, freed when `fn` settles. */
export async function withContexts(ossl: OpenSSL, fn: (w: World) => Promise<void>): Promise<void> {
  const cert = ossl.generateCertificate({ commonName: HOSTNAME, keyType: 'P-256' });
  const { server, client } = contextPair(ossl, cert);
  try {
    await fn({ ossl, server, client });
  } finally {
    client.free();
    server.free();
  }
}

/** Every connection of both contexts is gone (never made, or freed by the stream that failed). */
export function expectNoConnections(w: World): void {
  expect(w.client.connections).toEqual([]);
  expect(w.server.connections).toEqual([]);
}

/**
 * A call refused with `expected` before a connection existed: no connection on either context,
 * nothing in C or the ledger changed, the instance still works. `also` adds the adapter's own
 * checks (the transport untouched, nothing dialled).
 */
export async function expectRefusedBeforeConnection(
  w: World,
  call: () => Promise<unknown>,
  expected: abstract new (...args: never[]) => Error,
  also?: () => unknown,
): Promise<Error> {
  const before = snapshot(w.ossl);
  const error = await call().then(
    () => new Error('accepted'),
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(expected);
  await also?.();
  const after = snapshot(w.ossl);
  expect(after.live).toEqual(before.live);
  expect(after.events).toBe(before.events);
  expect(after.heap).toBe(before.heap);
  expectNoConnections(w);
  expectInstanceWorks(w.ossl);
  return error;
}
