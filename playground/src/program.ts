// The page's program language: one OpenSSL-shaped call per line, the same calls the buttons make
// (a button writes its line here and runs it through `runStatement`, so buttons, the editor and
// permalinks share one path). Names are the program's own: variables (s1, v1, or any name you
// give), connections c1, c2… and contexts x1 (client), x2 (TLS 1.3 server), x3 (TLS 1.2 server).
import type { ConnectionInfo, ContextInfo, Variable, World } from './world.js';

/** One parsed line: `name = fn(args);` with the name optional. */
export interface Statement {
  fn: string;
  args: string[];
  assign: string | null;
}

/** A line the page cannot run as written (shown inline at that line). */
export class ProgramError extends Error {
  override name = 'ProgramError';
}

/** What a line did, for the page to select afterwards. */
export interface Effect {
  variable?: string;
  connection?: string;
}

const LINE = /^(?:(?:SSL_SESSION\s*\*\s*|long\s+)?([A-Za-z_]\w*)\s*=\s*)?([A-Za-z_]\w*)\s*\((.*)\)\s*;?\s*$/;

/** The calls a program may make, with a one-line hint each (the editor's help lists them). */
export const CALLS: Record<string, string> = {
  handshake: 'handshake(x2) TLS 1.3 · handshake(x3) TLS 1.2 · handshake(x3, s1) offers s1 to resume',
  SSL_SESSION_new: 's = SSL_SESSION_new();',
  SSL_SESSION_dup: 's = SSL_SESSION_dup(s1);',
  SSL_SESSION_up_ref: 'SSL_SESSION_up_ref(s1);',
  SSL_SESSION_free: 'SSL_SESSION_free(s1);',
  SSL_SESSION_get_time: 'SSL_SESSION_get_time(s1);',
  SSL_get_session: 'v = SSL_get_session(c1);  borrowed',
  SSL_get1_session: 's = SSL_get1_session(c1);  a reference of your own',
  SSL_set_session: 'SSL_set_session(SSL_new(x1), s1);  a new client connection holding s1',
  SSL_connect: 'SSL_connect(c5);  finishes a connection made by SSL_set_session',
  SSL_free: 'SSL_free(c1);  (after SSL_shutdown)',
  SSL_CTX_add_session: 'SSL_CTX_add_session(x1, s1);',
  SSL_CTX_remove_session: 'SSL_CTX_remove_session(x1, s1);',
  SSL_CTX_flush_sessions: 'SSL_CTX_flush_sessions(x3, now);  or (x3, now + 7201)',
  misuse: 'misuse(double-free) · misuse(free-borrowed) · misuse(use-after-free) · misuse(view-after-free): the misuse buttons',
};

export function parseLine(text: string): Statement | null {
  const code = text
    .replace(/\/\/.*$/, '')
    .replace(/\/\*.*?\*\//g, '')
    .trim();
  if (code === '') return null;
  const m = LINE.exec(code);
  if (!m) throw new ProgramError(`not a call: write one call per line, like SSL_SESSION_free(s1);`);
  const [, assign, fn, rawArgs] = m;
  if (!(fn in CALLS)) throw new ProgramError(`${fn} is not one of the calls this page knows (see the list below the editor)`);
  const args = rawArgs.trim() === '' ? [] : splitArgs(rawArgs);
  return { fn, args, assign: assign ?? null };
}

/** Splits on top-level commas, so SSL_set_session(SSL_new(x1), s1) has two arguments. */
function splitArgs(raw: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of raw) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

function arity(s: Statement, n: number, usage: string): void {
  if (s.args.length !== n) throw new ProgramError(`${s.fn} takes ${n === 1 ? 'one argument' : `${n} arguments`}: ${usage}`);
}

function variableArg(w: World, name: string): Variable {
  const v = w.find(name);
  if (!v) {
    const known = w.variables.map((x) => x.name).join(', ') || 'none yet';
    throw new ProgramError(`there is no session variable ${name} (variables so far: ${known})`);
  }
  return v;
}

function connectionArg(w: World, name: string): ConnectionInfo {
  const c = w.connections.find((x) => x.c === name);
  if (!c) {
    const known = w.connections.map((x) => x.c).join(', ') || 'none yet: run a handshake first';
    throw new ProgramError(`there is no connection ${name} (connections: ${known})`);
  }
  return c;
}

function contextArg(w: World, name: string): ContextInfo {
  const x = w.contexts.find((c) => c.c === name);
  if (!x) throw new ProgramError(`there is no context ${name} (x1 client, x2 TLS 1.3 server, x3 TLS 1.2 server)`);
  return x;
}

/** Seconds after now for a flush: "now", "time(NULL)", "now + 7201". */
function flushTime(arg: string): number {
  const m = /^(?:now|time\(NULL\))(?:\s*\+\s*(\d+))?$/.exec(arg.trim());
  if (!m) throw new ProgramError('the time is now or now + seconds, like SSL_CTX_flush_sessions(x3, now + 7201);');
  return Number(m[1] ?? 0);
}

function noAssign(s: Statement): void {
  if (s.assign) throw new ProgramError(`${s.fn} gives no session to name: drop "${s.assign} ="`);
}

/** Runs one statement in `w`. A refusal from the library is thrown as it is (a typed error). */
export function runStatement(w: World, s: Statement): Effect {
  switch (s.fn) {
    case 'handshake': {
      if (s.args.length < 1 || s.args.length > 2) throw new ProgramError(CALLS.handshake);
      noAssign(s);
      const server = contextArg(w, s.args[0]);
      if (server === w.client) throw new ProgramError('handshake(x1) cannot work: x1 is the client; use x2 or x3');
      const [c] = w.handshake(server, s.args[1] ? variableArg(w, s.args[1]) : null);
      return { connection: c.id };
    }
    case 'SSL_SESSION_new':
      arity(s, 0, CALLS.SSL_SESSION_new);
      return { variable: w.newSession(s.assign ?? undefined).name };
    case 'SSL_SESSION_dup':
      arity(s, 1, CALLS.SSL_SESSION_dup);
      return { variable: w.dup(variableArg(w, s.args[0]), s.assign ?? undefined).name };
    case 'SSL_SESSION_up_ref':
      arity(s, 1, CALLS.SSL_SESSION_up_ref);
      noAssign(s);
      w.upRef(variableArg(w, s.args[0]));
      return { variable: s.args[0] };
    case 'SSL_SESSION_free':
      arity(s, 1, CALLS.SSL_SESSION_free);
      noAssign(s);
      w.free(variableArg(w, s.args[0]));
      return { variable: s.args[0] };
    case 'SSL_SESSION_get_time':
      arity(s, 1, CALLS.SSL_SESSION_get_time);
      w.readTime(variableArg(w, s.args[0]));
      return { variable: s.args[0] };
    case 'SSL_get_session': {
      arity(s, 1, CALLS.SSL_get_session);
      const v = w.getSession(connectionArg(w, s.args[0]), s.assign ?? undefined);
      return v ? { variable: v.name } : {};
    }
    case 'SSL_get1_session': {
      arity(s, 1, CALLS.SSL_get1_session);
      const v = w.get1Session(connectionArg(w, s.args[0]), s.assign ?? undefined);
      return v ? { variable: v.name } : {};
    }
    case 'SSL_set_session': {
      arity(s, 2, CALLS.SSL_set_session);
      noAssign(s);
      if (!/^SSL_new\(\s*x1\s*\)$/.test(s.args[0]))
        throw new ProgramError(`the page makes the connection itself: ${CALLS.SSL_set_session}`);
      return { connection: w.setSession(variableArg(w, s.args[1])).id };
    }
    case 'SSL_connect': {
      arity(s, 1, CALLS.SSL_connect);
      noAssign(s);
      const c = connectionArg(w, s.args[0]);
      if (!w.pendingConnections().includes(c))
        throw new ProgramError(`${c.c} is not waiting to connect (only a connection made by SSL_set_session is)`);
      w.connectPending(c);
      return { connection: c.id };
    }
    case 'SSL_free':
      arity(s, 1, CALLS.SSL_free);
      noAssign(s);
      w.freeConnection(connectionArg(w, s.args[0]));
      return {};
    case 'SSL_CTX_add_session':
      arity(s, 2, CALLS.SSL_CTX_add_session);
      noAssign(s);
      w.cacheAdd(contextArg(w, s.args[0]), variableArg(w, s.args[1]));
      return { variable: s.args[1] };
    case 'SSL_CTX_remove_session':
      arity(s, 2, CALLS.SSL_CTX_remove_session);
      noAssign(s);
      w.cacheRemove(contextArg(w, s.args[0]), variableArg(w, s.args[1]));
      return { variable: s.args[1] };
    case 'SSL_CTX_flush_sessions':
      arity(s, 2, CALLS.SSL_CTX_flush_sessions);
      noAssign(s);
      w.flush(contextArg(w, s.args[0]), flushTime(s.args[1]));
      return {};
    default:
      throw new ProgramError(`${s.fn} is not one of the calls this page knows`);
  }
}
