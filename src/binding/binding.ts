/**
 * Raw typed access to one instance's exports: copy bytes in and out of the WASM heap, read C
 * strings, drain OpenSSL's error queue and the reference trace. Knows nothing about ownership.
 */
import { OpenSSLError, type OpenSSLErrorEntry } from '../errors.js';
import type { BytePtr, CharPtr, Exports, OutPtr } from './abi.js';

const utf8 = new TextDecoder();
const utf8Encoder = new TextEncoder();
/** A trace record's 32-bit words (wasm/glue/references.c): session, op, count after, site, holder. */
export const TRACE_WORDS = 5;
/** ERR_error_string_n's documented minimum is 256 bytes. */
const ERROR_TEXT = 256;

/**
 * What C calls back into (wasm/host.js forwards here), given once, at instantiation, by whoever
 * dispatches the callbacks (the TLS registry). `fault` receives an exception a callback threw, so
 * it can be raised after C has returned.
 */
export interface HostCallbacks {
  newSession(ctx: number, ssl: number, sess: number): number;
  removeSession(ctx: number, sess: number): void;
  getSession(ctx: number, ssl: number, id: number, len: number): number;
  alpnSelect(ssl: number, list: number, len: number): number;
  keylog(ssl: number, line: number): void;
  fault(error: unknown): void;
}

/**
 * The table the module calls (its `oswHost`): forwarders to `callbacks`, frozen, so what C reaches
 * is fixed when the instance is made and nothing can be patched onto it afterwards.
 */
export function hostTable(callbacks: HostCallbacks): Readonly<HostCallbacks> {
  return Object.freeze({
    newSession: (ctx: number, ssl: number, sess: number) => callbacks.newSession(ctx, ssl, sess),
    removeSession: (ctx: number, sess: number) => callbacks.removeSession(ctx, sess),
    getSession: (ctx: number, ssl: number, id: number, len: number) => callbacks.getSession(ctx, ssl, id, len),
    alpnSelect: (ssl: number, list: number, len: number) => callbacks.alpnSelect(ssl, list, len),
    keylog: (ssl: number, line: number) => callbacks.keylog(ssl, line),
    fault: (error: unknown) => callbacks.fault(error),
  });
}

/** Frozen once made: its exports, its host table and its own fields are fixed at construction. */
export class Binding {
  #heap: Uint8Array;
  /** Five 32-bit out-parameter slots, allocated once per instance. */
  readonly out: readonly [OutPtr, OutPtr, OutPtr, OutPtr, OutPtr];
  /** ERR_error_string_n's buffer, allocated once: reporting a malloc failure must not need malloc. */
  private readonly errorText: BytePtr;
  #trace: Int32Array | null = null;
  #traceState: Int32Array | null = null;

  constructor(
    readonly x: Exports,
    /** What the module calls back into (hostTable()): the same frozen table it was instantiated with. */
    readonly host: Readonly<HostCallbacks>,
  ) {
    this.#heap = new Uint8Array(x.memory.buffer);
    const base = x.malloc(32 + ERROR_TEXT);
    this.out = Object.freeze([0, 4, 8, 12, 16].map((o) => (base + o) as OutPtr)) as unknown as Binding['out'];
    this.errorText = (base + 32) as BytePtr;
    Object.freeze(x);
    Object.freeze(this);
  }

  /**
   * n bytes of heap (OPENSSL_malloc; free with x.osw_free). At the memory cap this throws OpenSSLError
   * ("malloc failure") instead of returning NULL: C would read and write a NULL buffer at address 0
   * without trapping, corrupting memory silently.
   */
  alloc(n: number, operation: string): BytePtr {
    const p = this.x.osw_malloc(n || 1);
    if (p === 0) throw this.error(operation);
    return p;
  }

  /** The heap as bytes; re-created after the memory grew. */
  u8(): Uint8Array {
    // Memory.grow() detaches the old buffer, and a view of a detached buffer has length 0.
    if (this.#heap.length === 0) this.#heap = new Uint8Array(this.x.memory.buffer);
    return this.#heap;
  }

  readU32(p: number): number {
    const h = this.u8();
    return (h[p] | (h[p + 1] << 8) | (h[p + 2] << 16) | (h[p + 3] << 24)) >>> 0;
  }

  /** A NUL-terminated C string, or null for NULL. */
  cstring(p: CharPtr | number): string | null {
    if (p === 0) return null;
    const h = this.u8();
    let end = p;
    while (h[end] !== 0) end++;
    return utf8.decode(h.subarray(p, end));
  }

  /** A copy of len bytes at p (an empty array for NULL). */
  copyOut(p: number, len: number): Uint8Array {
    if (p === 0 || len === 0) return new Uint8Array(0);
    return this.u8().slice(p, p + len);
  }

  /** Copies bytes into fresh heap memory; the caller frees it with x.osw_free. */
  copyIn(bytes: Uint8Array, nulTerminate = false): BytePtr {
    const p = this.alloc(bytes.length + (nulTerminate ? 1 : 0), `copying ${bytes.length} bytes into the WebAssembly heap`);
    const h = this.u8();
    h.set(bytes, p);
    if (nulTerminate) h[p + bytes.length] = 0;
    return p;
  }

  /** Runs fn with bytes copied into the heap, then frees the copy (cleansed: it may be a secret). */
  withBytes<T>(bytes: Uint8Array, fn: (p: BytePtr, len: number) => T, nulTerminate = false): T {
    const p = this.copyIn(bytes, nulTerminate);
    try {
      return fn(p, bytes.length);
    } finally {
      this.u8().fill(0, p, p + bytes.length);
      this.x.osw_free(p);
    }
  }

  withString<T>(text: string, fn: (p: BytePtr, len: number) => T): T {
    return this.withBytes(utf8Encoder.encode(text), fn, true);
  }

  /** Takes a glue-allocated buffer whose length is in out[0]: copies it out and frees it. */
  takeBuffer(p: BytePtr): Uint8Array | null {
    if (p === 0) return null;
    const len = this.readU32(this.out[0]);
    const bytes = this.copyOut(p, len);
    this.u8().fill(0, p, p + len);
    this.x.osw_free(p);
    return bytes;
  }

  /** C heap bytes in use (the allocator's count). */
  heapInUse(): number {
    return this.x.osw_heap_in_use() >>> 0;
  }

  /** Leaves OpenSSL's error queue empty (peeking first: a full clear walks all 16 slots, ~300 ns). */
  clearErrors(): void {
    if (this.x.ERR_peek_error() !== 0) this.x.ERR_clear_error();
  }

  /** Drains OpenSSL's error queue (always leaving it empty). */
  drainErrors(): OpenSSLErrorEntry[] {
    const entries: OpenSSLErrorEntry[] = [];
    const [file, line, func, data, flags] = this.out;
    for (;;) {
      const code = this.x.ERR_get_error_all(file, line, func, data, flags);
      if (code === 0) break;
      this.x.ERR_error_string_n(code, this.errorText, ERROR_TEXT);
      const text = this.cstring(this.errorText as number as CharPtr) ?? '';
      const funcName = this.cstring(this.readU32(func));
      const dataText = (this.readU32(flags) & 0x02) !== 0 ? this.cstring(this.readU32(data)) : null;
      entries.push({
        code: code >>> 0,
        library: this.cstring(this.x.ERR_lib_error_string(code)) ?? `lib(${(code >>> 23) & 0xff})`,
        reason: this.cstring(this.x.ERR_reason_error_string(code)) ?? `reason(${code & 0x7fffff})`,
        text,
        ...(funcName ? { func: funcName } : {}),
        ...(dataText ? { data: dataText } : {}),
      });
    }
    return entries;
  }

  /** An OpenSSLError carrying (and clearing) the current error queue. */
  error(operation: string, why?: string): OpenSSLError {
    return new OpenSSLError(operation, this.drainErrors(), why);
  }

  /**
   * Appends the reference trace to `out` as flat records of TRACE_WORDS numbers (address, op, count
   * after, site, holder) and empties it; returns how many records a full buffer dropped (should stay 0).
   */
  drainTraceInto(out: number[]): number {
    const n = this.traceCount();
    if (n === 0) return 0;
    const words = this.traceRecords(n);
    for (let i = 0; i < n * TRACE_WORDS; i += TRACE_WORDS) {
      out.push(words[i] >>> 0, words[i + 1], words[i + 2], words[i + 3], words[i + 4] >>> 0);
    }
    return this.resetTrace();
  }

  /** Records in the reference trace now: a heap read, not a call (the ledger asks before and after every call). */
  traceCount(): number {
    return this.traceState()[0];
  }

  /** Empties the reference trace; returns how many records a full buffer dropped since the last reset. */
  resetTrace(): number {
    const state = this.traceState();
    const lost = state[1];
    state[0] = 0;
    state[1] = 0;
    return lost;
  }

  /** The trace's count and lost count in place (wasm/glue/references.c), renewed once Memory.grow() detached the view. */
  private traceState(): Int32Array {
    const s = this.#traceState;
    if (s !== null && s.length !== 0) return s;
    this.#traceState = new Int32Array(this.x.memory.buffer, this.x.osw_trace_state(), 2);
    return this.#traceState;
  }

  /**
   * The trace buffer's first n records in place (TRACE_WORDS signed words each; read addresses
   * with >>> 0), for a reader that empties it with resetTrace(). The view is kept until more
   * records are needed or the memory grew (which detaches it: its length reads 0).
   */
  traceRecords(n: number): Int32Array {
    const t = this.#trace;
    if (t !== null && t.length >= n * TRACE_WORDS) return t;
    this.#trace = new Int32Array(this.x.memory.buffer, this.x.osw_trace_buffer(), Math.max(n, 64) * TRACE_WORDS);
    return this.#trace;
  }
}
