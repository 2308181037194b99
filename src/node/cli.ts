#!/usr/bin/env node
/// <reference types="node" />
/**
 * `npx openssl-session-wasm demo`: a narrated session lifecycle (handshake, session, up_ref, cache,
 * resumption, free) with the ledger's events as a table; `--json` prints the events for machines.
 */
import { InvalidArgumentError, type LedgerEvent, loadOpenSSL, NotOwnedError } from '../index.js';
import { destination, startBridge } from './bridge.js';

const HELP = `openssl-session-wasm — OpenSSL 3.5 in WebAssembly, with every SSL_SESSION reference on the record

Usage:
  openssl-session-wasm demo [--json]   narrate a session's life: handshake, session, up_ref, cache,
                                       resumption, free — then print the ledger's events
  openssl-session-wasm bridge --listen HOST:PORT --allow HOST:PORT[,HOST:PORT...]
                                       a WebSocket-to-TCP bridge for pages that run TLS themselves
                                       (ws://HOST:PORT/?to=DEST): relays only to the allowed
                                       destinations (--allow may repeat); [--max-tunnels N] [--max-per-client N]
                                       [--idle-timeout SECONDS]
  openssl-session-wasm --help          this text

In the table, "references" is OpenSSL's own count after the event, "holder" who took or dropped the
reference (H3 a JS handle, C2 a connection, X1 cache a context's cache) and "site" where: "api" for a
call this program made, otherwise the place OpenSSL moved it on its own (cache-insert, cache-evict,
set-session, connection-free, ticket-replace, ...; docs/ledger.md lists them all).
With --json, stdout is one JSON object: { version, steps, events }.`;

interface Step {
  say: string;
  c: string;
}

async function demo(json: boolean): Promise<void> {
  const steps: Step[] = [];
  const say = (text: string, c: string): void => {
    steps.push({ say: text, c });
    if (!json) console.log(`\n• ${text}\n    ${c}`);
  };
  const ossl = await loadOpenSSL();
  if (!json) console.log(`${ossl.version} in WebAssembly`);

  const cert = ossl.generateCertificate({ commonName: 'demo.test' });
  const server = ossl.createContext({
    role: 'server',
    certificate: cert.certificate,
    privateKey: cert.privateKey,
    maxVersion: 'TLSv1.2',
    tickets: false,
  });
  const client = ossl.createContext({ role: 'client', ca: cert.certificate });
  say(
    'Two contexts: a TLS 1.2 server that resumes by session ID from its cache (tickets off), and a verifying client.',
    'SSL_CTX *server = SSL_CTX_new(TLS_server_method()), *client = SSL_CTX_new(TLS_client_method());',
  );

  const first = ossl.connectInMemory(client, server, { hostname: 'demo.test' });
  say(
    `A full handshake in memory: ${first.client.protocol}, ${first.client.cipher?.name}. The server cached its session.`,
    'SSL_do_handshake(c); SSL_do_handshake(s);   /* pumped through memory BIOs */',
  );

  const view = ossl.SSL_get_session(first.client);
  say(
    `SSL_get_session gives a view of ${view?.sessionId}: borrowed, no reference taken.`,
    'SSL_SESSION *v = SSL_get_session(c);   /* do NOT free v */',
  );
  try {
    if (view) ossl.SSL_SESSION_free(view);
  } catch (error) {
    if (!(error instanceof NotOwnedError)) throw error;
    say(
      `SSL_SESSION_free on that view is refused (${error.name}): references stay ${view?.holders().references}.`,
      'SSL_SESSION_free(v);   /* the bug SSL_SESSION_free(3) warns about */',
    );
  }

  const saved = ossl.SSL_get1_session(first.client);
  if (!saved) throw new Error('no session');
  say(
    `SSL_get1_session takes a reference: JS now holds ${saved.sessionId} (references ${saved.holders().references}).`,
    'SSL_SESSION *saved = SSL_get1_session(c);',
  );

  const extra = saved.upRef();
  say(`up_ref: a second handle, references ${extra.holders().references}.`, 'SSL_SESSION_up_ref(saved);');
  extra.free();

  first.free();
  say(
    `Both connections freed after a clean shutdown; ${saved.sessionId} is still held by JS (references ${saved.holders().references}).`,
    'SSL_shutdown(c); SSL_free(c); SSL_shutdown(s); SSL_free(s);',
  );

  const second = ossl.connectInMemory(client, server, { hostname: 'demo.test', session: saved });
  say(
    `Resumption with the saved session: reused on the client ${second.client.sessionReused}, on the server ${second.server.sessionReused}.`,
    'SSL_set_session(c2, saved); SSL_do_handshake(c2);',
  );
  second.free();

  say(
    `The server cache holds ${server.sessionCount} session(s); flushing with a time far ahead expires them.`,
    'SSL_CTX_flush_sessions(server, time(NULL) + 86400);',
  );
  server.flushSessions(Math.floor(Date.now() / 1000) + 86400);

  saved.free();
  client.free();
  server.free();
  say('Every reference released: the ledger finds no leak.', 'SSL_SESSION_free(saved); SSL_CTX_free(client); SSL_CTX_free(server);');
  ossl.ledger.assertNoLeaks();

  const events = ossl.ledger.events();
  if (json) {
    console.log(JSON.stringify({ version: ossl.version, steps, events }, null, 2));
    return;
  }
  console.log('\nThe ledger:');
  console.log(table(events));
  const stats = ossl.ledger.stats();
  console.log(
    `\n${events.length} events: ${count(events, 'js')} by JS, ${count(events, 'openssl')} by OpenSSL on its own; ${stats.refused} call(s) refused; 0 leaks.`,
  );
}

function count(events: LedgerEvent[], cause: 'js' | 'openssl'): number {
  return events.filter((e) => e.cause === cause).length;
}

function table(events: LedgerEvent[]): string {
  const rows = [['seq', 'session', 'op', 'references', 'holder', 'site', 'via']].concat(
    events.map((e) => [String(e.seq), e.session, e.op, String(e.references), e.holder, e.site, e.via]),
  );
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n');
}

/**
 * The flags as written: each known flag once (--allow may repeat), each with its value. A flag
 * without its value, an unknown flag (a typo such as --max-tunnel) or a repeated one is an
 * InvalidArgumentError, never silently left at its default.
 */
function flags(argv: string[], known: readonly string[], repeatable: readonly string[] = []): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!known.includes(flag)) throw new InvalidArgumentError(`unknown option ${JSON.stringify(flag)} (known: ${known.join(', ')})`);
    if (value === undefined || value.startsWith('--')) throw new InvalidArgumentError(`${flag} needs a value`);
    if (out.has(flag) && !repeatable.includes(flag)) throw new InvalidArgumentError(`${flag} is given twice`);
    out.set(flag, [...(out.get(flag) ?? []), value]);
  }
  return out;
}

/** A flag's number as written in decimal: '0x10', '1e3', ' 5' or '' are not numbers here (Number() would take them). */
function decimal(flag: string, value: string | undefined, fraction = false): number | undefined {
  if (value === undefined) return undefined;
  if (!(fraction ? /^\d+(\.\d+)?$/ : /^\d+$/).test(value)) {
    throw new InvalidArgumentError(`${flag} ${JSON.stringify(value)} is not a ${fraction ? 'number' : 'whole number'} in decimal`);
  }
  return Number(value);
}

/** `bridge --listen host:port --allow a:1,b:2`: runs until SIGINT/SIGTERM. */
async function bridge(argv: string[]): Promise<void> {
  const given = flags(argv, ['--listen', '--allow', '--max-tunnels', '--max-per-client', '--idle-timeout'], ['--allow']);
  const listen = destination(given.get('--listen')?.[0] ?? '127.0.0.1:8080', 0);
  const colon = listen.lastIndexOf(':');
  const allow = (given.get('--allow') ?? []).flatMap((list) => list.split(',')).filter((d) => d !== '');
  const maxTunnels = decimal('--max-tunnels', given.get('--max-tunnels')?.[0]);
  const idle = decimal('--idle-timeout', given.get('--idle-timeout')?.[0], true);
  const perClient = decimal('--max-per-client', given.get('--max-per-client')?.[0]);
  const running = await startBridge({
    host: listen.slice(0, colon).replace(/^\[|\]$/g, ''),
    port: Number(listen.slice(colon + 1)),
    allow,
    ...(maxTunnels !== undefined ? { maxTunnels } : {}),
    ...(idle !== undefined ? { idleTimeoutMs: Math.round(idle * 1000) } : {}),
    ...(perClient !== undefined ? { maxTunnelsPerClient: perClient } : {}),
  });
  console.log(`bridge listening on ${listen.slice(0, colon)}:${running.port}, relaying only to ${allow.map(destination).join(', ')}`);
  const stop = (): void => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h') || args.length === 0) {
  console.log(HELP);
} else if (args[0] === 'demo' && args.slice(1).some((a) => a !== '--json')) {
  console.error(`unknown option for demo: ${args.slice(1).find((a) => a !== '--json')}\n\n${HELP}`);
  process.exit(2);
} else if (args[0] === 'demo') {
  demo(args.includes('--json')).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
} else if (args[0] === 'bridge') {
  bridge(args.slice(1)).catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exit(1);
  });
} else {
  console.error(`unknown command: ${args[0]}\n\n${HELP}`);
  process.exit(2);
}
