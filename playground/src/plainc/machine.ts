// Plain C, for real: runs a program's calls on the AddressSanitizer instance through its raw
// exports, with nothing refused. What C code would know is kept as C would know it: pointers held
// by variables, connections and caches, and the heap blocks they point at. The counts come from
// OpenSSL itself (the reference trace of patch 0001), so a block is drawn freed exactly when
// OpenSSL's count reached 0, not when this file thinks it should.
import { type AsanInstance, freshAsanInstance } from './asan.js';

/** An SSL_SESSION's block on the C heap. */
export interface Block {
  address: number;
  references: number;
  freed: boolean;
  /** The program line (index) during which the count reached 0 and the memory went back to malloc. */
  freedAt: number | null;
  allocatedAt: number;
}

/** Something that points at a block: a variable, a connection's s->session, a cache's list entry. */
export interface Pointer {
  holder: string;
  kind: 'variable' | 'connection' | 'cache';
  address: number;
  /** What the pointer means to its holder: a reference it owns, or a borrowed copy. */
  owns: boolean;
}

export interface MachineState {
  blocks: Block[];
  pointers: Pointer[];
}

/** One line of a plain-C program: its C text and what it does on the machine. */
export interface CLineDef {
  c: string;
  /** The line a student would call the mistake (shown in red before ASan says anything). */
  mistake?: boolean;
  run(m: Machine): void;
}

export interface PlainRun {
  lines: string[];
  /** How far the program got: the index of the line that aborted, or lines.length. */
  reached: number;
  aborted: boolean;
  report: string[];
  state: MachineState;
  /** The machine after each line that ran to its end (states[i]: after line i). */
  states: MachineState[];
  /** The pointer the faulting line went through (drawn with the red marker). */
  culprit: Pointer | null;
  mistakeLine: number;
}

/** Words per trace record, as wasm/glue/references.c writes them (OSW_EVENT_WORDS): address, op, count after, site, holder. */
const TRACE_WORDS = 5;
/** Trace ops (patch 0001's internal/session_ref.h): 0 new, 1 up_ref, 2 free. */
const OP_NEW = 0;
const OP_FREE = 2;
const SSL_OP_NO_TICKET = 1 << 14;
const TLS1_2_VERSION = 0x0303;
const SSL_VERIFY_NONE = 0;

/** A fresh sacrificial instance with one TLS 1.2 server context (session cache, no tickets) and one client context. */
export class Machine {
  readonly blocks = new Map<number, Block>();
  readonly pointers: Pointer[] = [];
  readonly ssl = new Map<string, number>();
  line = 0;
  culprit: Pointer | null = null;
  private constructor(
    readonly x: AsanInstance,
    readonly serverCtx: number,
    readonly clientCtx: number,
  ) {}

  static async create(): Promise<Machine> {
    const x = await freshAsanInstance();
    x.call('osw_trace_enable', 1);
    const server = x.call('osw_ctx_new', 1);
    const client = x.call('osw_ctx_new', 0);
    if (!server || !client) throw new Error('SSL_CTX_new failed in the AddressSanitizer build');
    const out = x.call('malloc', 8);
    const pem = x.call('osw_generate_certificate', 0, cString(x, 'localhost'), 1, out, out + 4);
    const total = u32(x, out);
    const certLen = u32(x, out + 4);
    const ok =
      pem !== 0 &&
      x.call('osw_ctx_use_certificate_pem', server, pem, certLen) === 1 &&
      x.call('osw_ctx_use_private_key_pem', server, pem + certLen, total - certLen) === 1 &&
      x.call('osw_ctx_set_versions', server, TLS1_2_VERSION, TLS1_2_VERSION) === 1;
    x.call('osw_ctx_set_options', server, SSL_OP_NO_TICKET);
    x.call('SSL_CTX_set_verify', client, SSL_VERIFY_NONE, 0);
    x.call('osw_free', pem);
    x.call('free', out);
    if (!ok) throw new Error('the server context could not be set up in the AddressSanitizer build');
    const m = new Machine(x, server, client);
    m.drain();
    return m;
  }

  /** Takes OpenSSL's reference trace since the last call: the counts as C has them. */
  private drain(): void {
    const n = this.x.call('osw_trace_count');
    const base = this.x.call('osw_trace_buffer');
    const heap = new Int32Array(this.x.heap().buffer, base, n * TRACE_WORDS);
    for (let i = 0; i < n * TRACE_WORDS; i += TRACE_WORDS) {
      const [address, op, references] = [heap[i] >>> 0, heap[i + 1], heap[i + 2]];
      let b = this.blocks.get(address);
      if (op === OP_NEW || !b || b.freed) {
        // A new session (or malloc handed a freed address out again: then it is a new block).
        b = { address, references, freed: false, freedAt: null, allocatedAt: this.line };
        this.blocks.set(address, b);
      }
      b.references = references;
      if (op === OP_FREE && references === 0) {
        b.freed = true;
        b.freedAt = this.line;
      }
    }
    this.x.call('osw_trace_reset');
  }

  /** Calls one export; after an ASan report the instance is dead and this throws. */
  call(name: string, ...args: number[]): number {
    try {
      return this.x.call(name, ...args);
    } finally {
      if (!this.x.aborted) this.drain();
    }
  }

  point(holder: string, kind: Pointer['kind'], address: number, owns: boolean): void {
    this.unpoint(holder);
    if (address) this.pointers.push({ holder, kind, address, owns });
  }

  unpoint(holder: string): void {
    const at = this.pointers.findIndex((p) => p.holder === holder);
    if (at >= 0) this.pointers.splice(at, 1);
  }

  pointer(holder: string): Pointer {
    const p = this.pointers.find((q) => q.holder === holder);
    if (!p) throw new Error(`${holder} points at nothing`);
    return p;
  }

  /** A TLS 1.2 handshake between two new connections, in memory; the server caches its session. */
  handshake(client: string, server: string): void {
    const c = this.call('osw_ssl_new', this.clientCtx, 0);
    const s = this.call('osw_ssl_new', this.serverCtx, 1);
    this.ssl.set(client, c);
    this.ssl.set(server, s);
    for (let round = 0; round < 20; round++) {
      this.call('SSL_do_handshake', c);
      const moved = this.move(c, s);
      this.call('SSL_do_handshake', s);
      const back = this.move(s, c);
      if (this.call('SSL_is_init_finished', c) && this.call('SSL_is_init_finished', s) && !moved && !back) break;
    }
    if (!this.call('SSL_is_init_finished', c) || !this.call('SSL_is_init_finished', s)) {
      throw new Error('the handshake did not finish in the AddressSanitizer build');
    }
    this.point(`${client}->session`, 'connection', this.call('SSL_get_session', c), true);
    const sess = this.call('SSL_get_session', s);
    this.point(`${server}->session`, 'connection', sess, true);
    if (this.call('osw_session_owner', sess) === this.serverCtx) this.point('ctx cache', 'cache', sess, true);
  }

  private move(from: number, to: number): boolean {
    const n = this.x.call('osw_ssl_pending_encrypted', from);
    if (n <= 0) return false;
    const buf = this.x.call('malloc', n);
    const got = this.x.call('osw_ssl_read_encrypted', from, buf, n);
    this.x.call('osw_ssl_write_encrypted', to, buf, got);
    this.x.call('free', buf);
    return true;
  }

  connection(name: string): number {
    const ssl = this.ssl.get(name);
    if (!ssl) throw new Error(`no connection ${name}`);
    return ssl;
  }

  /** SSL_get_session: a copy of the connection's pointer, no reference. */
  getSession(name: string, from: string): void {
    this.point(name, 'variable', this.call('SSL_get_session', this.connection(from)), false);
  }

  /** SSL_get1_session: the same pointer, with a reference of its own. */
  get1Session(name: string, from: string): void {
    this.point(name, 'variable', this.call('SSL_get1_session', this.connection(from)), true);
  }

  /** SSL_SESSION_free(name): C does not ask whether the variable owns a reference. */
  sessionFree(name: string): void {
    const p = this.pointer(name);
    this.culprit = p;
    this.call('SSL_SESSION_free', p.address);
    this.culprit = null;
    // C leaves the pointer in the variable; it just no longer stands for a reference.
    p.owns = false;
  }

  /** SSL_SESSION_get_time(name): a read through the variable's pointer. */
  getTime(name: string): number {
    const p = this.pointer(name);
    this.culprit = p;
    const t = this.call('osw_session_get_time', p.address);
    this.culprit = null;
    return t;
  }

  /** SSL_shutdown then SSL_free: the session stays resumable, and the connection's reference goes. */
  sslFree(name: string): void {
    const ssl = this.connection(name);
    this.culprit = this.pointers.find((p) => p.holder === `${name}->session`) ?? null;
    this.call('SSL_shutdown', ssl);
    this.call('SSL_free', ssl);
    this.culprit = null;
    this.ssl.delete(name);
    this.unpoint(`${name}->session`);
  }

  /** SSL_CTX_flush_sessions(ctx, now + seconds): walks the cache, reading each session's timeout. */
  flush(seconds: number): void {
    this.culprit = this.pointers.find((p) => p.kind === 'cache') ?? null;
    this.call('osw_ctx_flush_sessions', this.serverCtx, Math.floor(Date.now() / 1000) + seconds);
    this.culprit = null;
    for (const p of [...this.pointers]) {
      if (p.kind === 'cache' && this.call('osw_session_owner', p.address) !== this.serverCtx) this.unpoint(p.holder);
    }
  }

  state(): MachineState {
    return {
      blocks: [...this.blocks.values()].map((b) => ({ ...b })),
      pointers: this.pointers.map((p) => ({ ...p })),
    };
  }
}

/** Runs `program` on a fresh sacrificial instance until its end or ASan's first report. */
export async function runPlainC(program: CLineDef[]): Promise<PlainRun> {
  const m = await Machine.create();
  let reached = 0;
  let failure: unknown = null;
  const states: MachineState[] = [];
  // ASan's stacks are collected through JavaScript stack traces: V8's default of 10 frames would
  // cut the bad access's stack to its first frame.
  const v8 = Error as ErrorConstructor & { stackTraceLimit?: number };
  const limit = v8.stackTraceLimit;
  v8.stackTraceLimit = 64;
  for (; reached < program.length; reached++) {
    m.line = reached;
    try {
      program[reached].run(m);
      states.push(m.state());
    } catch (error) {
      failure = error;
      break;
    }
  }
  v8.stackTraceLimit = limit;
  const aborted = m.x.aborted || m.x.stderr.some((l) => l.includes('ERROR: AddressSanitizer'));
  if (failure !== null && !aborted) throw failure;
  return {
    lines: program.map((l) => l.c),
    reached,
    aborted,
    report: m.x.stderr.slice(),
    state: m.state(),
    states,
    culprit: aborted ? m.culprit : null,
    mistakeLine: program.findIndex((l) => l.mistake),
  };
}

function u32(x: AsanInstance, p: number): number {
  const h = x.heap();
  return (h[p] | (h[p + 1] << 8) | (h[p + 2] << 16) | (h[p + 3] << 24)) >>> 0;
}

/** A NUL-terminated copy of `s` on the sacrificial heap (never freed: the instance is thrown away). */
function cString(x: AsanInstance, s: string): number {
  const bytes = new TextEncoder().encode(s);
  const p = x.call('malloc', bytes.length + 1);
  x.heap().set(bytes, p);
  x.heap()[p + bytes.length] = 0;
  return p;
}
