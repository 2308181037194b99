// The programs "Run it in plain C" runs: each mistake the ledger refuses, written as the C a student
// would write, up to the line where the damage shows. Nothing here decides the outcome: ASan and
// OpenSSL's own counts do (machine.ts).
import type { CLineDef } from './machine.js';

export type PlainCId = 'delayed' | 'double-free' | 'use-after-free' | 'view-after-free';

export interface PlainCProgram {
  id: PlainCId;
  title: string;
  /** What the student should look for in the report, in one sentence. */
  lookFor: string;
  lines: CLineDef[];
}

const handshake: CLineDef = {
  c: 'SSL *client, *server;  /* a TLS 1.2 handshake in memory: ctx (the server) caches its session */',
  run: (m) => m.handshake('client', 'server'),
};

export const PLAIN_C: Record<PlainCId, PlainCProgram> = {
  delayed: {
    id: 'delayed',
    title: 'The delayed failure: a borrowed session freed, then the cache walks into it',
    lookFor:
      'the crash is in SSL_CTX_flush_sessions, two lines after the mistake, and “freed by” names SSL_free, the correct line in between: the mistake itself is in none of the stacks.',
    lines: [
      handshake,
      { c: 'SSL_SESSION *v = SSL_get_session(server);  /* borrowed: no reference of its own */', run: (m) => m.getSession('v', 'server') },
      { c: 'SSL_SESSION_free(v);  /* the mistake: count 2 -> 1, nothing looks wrong */', mistake: true, run: (m) => m.sessionFree('v') },
      {
        c: 'SSL_shutdown(server); SSL_free(server);  /* count 1 -> 0: the memory is freed, the cache still links it */',
        run: (m) => m.sslFree('server'),
      },
      { c: 'SSL_CTX_flush_sessions(ctx, now + 7201);  /* two hours later: the cache reads its sessions */', run: (m) => m.flush(7201) },
    ],
  },
  'double-free': {
    id: 'double-free',
    title: 'Double free: one reference given back twice',
    lookFor: 'the second SSL_SESSION_free takes the connection’s reference; SSL_free then frees a session that is already gone.',
    lines: [
      handshake,
      { c: 'SSL_SESSION *s = SSL_get1_session(client);  /* a reference of your own: count 2 */', run: (m) => m.get1Session('s', 'client') },
      { c: 'SSL_SESSION_free(s);  /* right: count 1, held by client */', run: (m) => m.sessionFree('s') },
      {
        c: 'SSL_SESSION_free(s);  /* the mistake: count 0, freed while client still points at it */',
        mistake: true,
        run: (m) => m.sessionFree('s'),
      },
      {
        c: 'SSL_shutdown(client); SSL_free(client);  /* client frees its session: the block is already free */',
        run: (m) => m.sslFree('client'),
      },
    ],
  },
  'use-after-free': {
    id: 'use-after-free',
    title: 'Use after free: the read works, until the last holder lets go',
    lookFor: 'the first read after the free works (client keeps the memory alive); the same read after SSL_free is caught.',
    lines: [
      handshake,
      { c: 'SSL_SESSION *s = SSL_get1_session(client);  /* count 2 */', run: (m) => m.get1Session('s', 'client') },
      { c: 'SSL_SESSION_free(s);  /* right: you hold nothing now; count 1 */', run: (m) => m.sessionFree('s') },
      {
        c: 'SSL_SESSION_get_time(s);  /* the mistake, and it works: client still holds the memory */',
        mistake: true,
        run: (m) => void m.getTime('s'),
      },
      { c: 'SSL_shutdown(client); SSL_free(client);  /* count 0: the memory is freed */', run: (m) => m.sslFree('client') },
      { c: 'SSL_SESSION_get_time(s);  /* the same read, on freed memory */', run: (m) => void m.getTime('s') },
    ],
  },
  'view-after-free': {
    id: 'view-after-free',
    title: 'A view used after its connection is freed',
    lookFor: 'SSL_free took the session with it: the view points at freed memory.',
    lines: [
      handshake,
      { c: 'SSL_SESSION *v = SSL_get_session(client);  /* borrowed from client */', run: (m) => m.getSession('v', 'client') },
      {
        c: 'SSL_shutdown(client); SSL_free(client);  /* client held the only reference: count 0, freed */',
        run: (m) => m.sslFree('client'),
      },
      {
        c: 'SSL_SESSION_get_time(v);  /* the mistake: reads through the borrowed pointer */',
        mistake: true,
        run: (m) => void m.getTime('v'),
      },
    ],
  },
};
