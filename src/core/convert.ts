/**
 * Argument conversion: the one place user code (toString, valueOf, getters, Proxies) may run
 * during a public call. Every converter turns a caller's value into a plain, immutable value
 * before any handle is checked, so nothing the caller does here can free or replace a target
 * between its check and C. Every intrinsic is taken once, at module load, so a caller who later
 * patches a prototype cannot change what a converter does.
 */
import { InvalidArgumentError } from '../errors.js';

const apply = Reflect.apply;
const getter = (proto: object, name: PropertyKey): ((this: unknown) => unknown) => {
  const d = Object.getOwnPropertyDescriptor(proto, name);
  if (!d?.get) throw new Error(`openssl-session-wasm: the platform lacks the intrinsic getter ${String(name)}`);
  return d.get;
};

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const taTag = getter(TypedArrayPrototype, Symbol.toStringTag);
const taBuffer = getter(TypedArrayPrototype, 'buffer');
const taByteOffset = getter(TypedArrayPrototype, 'byteOffset');
const taByteLength = getter(TypedArrayPrototype, 'byteLength');
const taSet = (TypedArrayPrototype as { set: (this: Uint8Array, src: ArrayLike<number>, offset?: number) => void }).set;
const dvBuffer = getter(DataView.prototype, 'buffer');
const dvByteOffset = getter(DataView.prototype, 'byteOffset');
const dvByteLength = getter(DataView.prototype, 'byteLength');
const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');
const abDetached = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached')?.get;
/** Validates its receiver like every element-reading method: throws for a detached or out-of-bounds view, in O(1). */
const taKeys = (TypedArrayPrototype as { keys: (this: Uint8Array) => unknown }).keys;
const getOwnDescriptor = Reflect.getOwnPropertyDescriptor;
const ownKeys = Reflect.ownKeys;
const arrayIncludes = Array.prototype.includes;
const sabByteLength = typeof SharedArrayBuffer === 'function' ? getter(SharedArrayBuffer.prototype, 'byteLength') : null;
const isView = ArrayBuffer.isView;
const isInteger = Number.isInteger;
const strIndexOf = String.prototype.indexOf;
const strIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const regexTest = RegExp.prototype.test;
const encoder = new TextEncoder();
const encode = TextEncoder.prototype.encode;
const objectIs = Object.is;

/** What a caller passed, named for an error message without running any of its code. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  switch (typeof v) {
    case 'string':
      return `a string of length ${v.length}`;
    case 'number':
      return `the number ${v}`;
    case 'bigint':
      return `the bigint ${v}n`;
    case 'boolean':
      return `${v}`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (isView(v)) return apply(taTag, v, []) !== undefined ? `a ${String(apply(taTag, v, []))}` : 'a DataView';
      return 'an object';
  }
}

// ---- strings -------------------------------------------------------------------------------------

/**
 * A string C will read as a NUL-terminated UTF-8 string, as its bytes. NUL would make C read less
 * than the caller wrote (an SNI name cut at NUL is verified against the shorter name); a lone
 * surrogate would become U+FFFD silently. Non-strings are a TypeError: `12345` is not a hostname.
 */
export function cString(v: unknown, what: string, maxBytes = Number.MAX_SAFE_INTEGER): Uint8Array {
  if (typeof v !== 'string') throw new TypeError(`${what}: expected a string, got ${describe(v)}`);
  if (apply(strIndexOf, v, ['\0']) !== -1) {
    throw new InvalidArgumentError(`${what}: the string contains NUL (U+0000), which C would read as its end`);
  }
  return utf8(v, what, maxBytes);
}

/**
 * A string's UTF-8 bytes, for data that travels with its length (plaintext a stream sends): NUL
 * is a byte like any other, but a lone surrogate, which has no UTF-8, is refused rather than sent
 * as U+FFFD.
 */
export function utf8(v: unknown, what: string, maxBytes = Number.MAX_SAFE_INTEGER): Uint8Array {
  if (typeof v !== 'string') throw new TypeError(`${what}: expected a string, got ${describe(v)}`);
  const wellFormed = strIsWellFormed ? apply(strIsWellFormed, v, []) : !apply(regexTest, LONE_SURROGATE, [v]);
  if (!wellFormed) {
    throw new InvalidArgumentError(`${what}: the string contains a lone surrogate, which has no UTF-8 encoding`);
  }
  const bytes = apply(encode, encoder, [v]) as Uint8Array;
  if (bytes.length > maxBytes) {
    throw new InvalidArgumentError(`${what}: ${bytes.length} bytes of UTF-8, more than the ${maxBytes} allowed`);
  }
  return bytes;
}

/** cString, or null for null. */
export function cStringOrNull(v: unknown, what: string, maxBytes?: number): Uint8Array | null {
  return v === null ? null : cString(v, what, maxBytes);
}

/** A string kept as a JS string (ALPN names, protocol names), checked like cString. */
export function text(v: unknown, what: string, maxBytes?: number): string {
  cString(v, what, maxBytes);
  return v as string;
}

const urlHref = typeof URL === 'function' ? getOwnDescriptor(URL.prototype, 'href')?.get : undefined;

/**
 * A URL option: a checked string, or a fresh copy of a URL read through the intrinsic href (a
 * subclass's getters never run later). Anything else, a look-alike with toString included, is a TypeError.
 * @internal Kept out of the published declarations: they must compile without DOM or Node types (URL).
 */
export function url(v: unknown, what: string): string | URL {
  if (typeof v === 'string') return text(v, what);
  if (v instanceof URL && urlHref) {
    try {
      return new URL(apply(urlHref, v, []) as string);
    } catch {}
  }
  throw new TypeError(`${what}: expected a string or a URL, got ${describe(v)}`);
}

// ---- numbers -------------------------------------------------------------------------------------

/** A declared number kind: what C stores, hence which values survive the trip unchanged. */
export interface NumberKind {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

/**
 * The last second OpenSSL can hold: it keeps times as unsigned 64-bit nanoseconds (OSSL_TIME), so
 * SSL_SESSION_set_time_ex(t) multiplies t by 10^9 and would wrap beyond floor((2^64 - 1) / 10^9)
 * (year 2554) or below 0. time_t itself is 64-bit on this toolchain.
 */
export const MAX_SESSION_TIME = 18_446_744_073;

export const NUMBER_KINDS = {
  /** A session timeout: a C long, which wasm32 keeps 32-bit (OpenSSL itself refuses a negative one). */
  seconds32: {
    name: 'a whole number of seconds in the range of a C long (32-bit on wasm32)',
    min: -0x80000000,
    max: 0x7fffffff,
  },
  /** A point in time (session time, flush time): time_t seconds OpenSSL stores as uint64 nanoseconds. */
  sessionTime: {
    name: `a whole number of seconds from 0 to ${MAX_SESSION_TIME}, the range OpenSSL stores (unsigned 64-bit nanoseconds)`,
    min: 0,
    max: MAX_SESSION_TIME,
  },
  /** A non-negative C long (SSL_CTX_set_timeout, cache size): 0 ..= 2^31-1. */
  long: { name: 'a whole number from 0 to 2147483647 (a C long on wasm32)', min: 0, max: 0x7fffffff },
  /** uint32_t (max early data). */
  uint32: { name: 'a whole number from 0 to 4294967295 (uint32_t)', min: 0, max: 0xffffffff },
  /** A protocol version number: 0 (any) or a 16-bit wire version such as 0x0304. */
  protocolVersion: { name: 'a protocol version number from 0 to 0xffff (0x0304 = TLS 1.3)', min: 0, max: 0xffff },
  /** Flag words OpenSSL stores in a C long (cache mode). */
  flags: { name: 'a flag word from 0 to 0xffff (SSL_SESS_CACHE_* bits)', min: 0, max: 0xffff },
  /** size_t counts (tickets per handshake). */
  count: { name: 'a whole number from 0 to 2147483647', min: 0, max: 0x7fffffff },
  /**
   * TLS 1.3 tickets a server sends per handshake (OpenSSL's default: 2). OpenSSL sets no bound, and
   * writes every one before the handshake returns: 2^31-1 of them would run for about a day.
   */
  tickets: { name: 'a whole number of tickets from 0 to 1000', min: 0, max: 1000 },
  /** RAND_bytes lengths. */
  randLength: { name: 'a whole number of bytes from 0 to 16777216', min: 0, max: 1 << 24 },
  /** Days of certificate validity. */
  days: { name: 'a whole number of days from 1 to 36500', min: 1, max: 36500 },
  /** A TCP port to dial. */
  port: { name: 'a port number from 1 to 65535', min: 1, max: 65535 },
  /** A bound on something counted (tunnels, bytes buffered, milliseconds idle): at least 1, since 0 or NaN would mean none or, compared, no bound. */
  bound: { name: 'a whole number from 1 to 2147483647', min: 1, max: 0x7fffffff },
  /** Round limits of the in-memory pump. */
  rounds: { name: 'a whole number of rounds from 1 to 100000', min: 1, max: 100_000 },
} as const satisfies Record<string, NumberKind>;

/**
 * A number of a declared kind, refused rather than coerced: no valueOf, no ToInt32 wrap-around.
 * A non-number is a TypeError; NaN, a fraction or a value outside the kind's range is an
 * InvalidArgumentError.
 */
export function integer(v: unknown, kind: NumberKind, what: string): number {
  if (typeof v !== 'number') throw new TypeError(`${what}: expected ${kind.name}, got ${describe(v)}`);
  if (!isInteger(v) || v < kind.min || v > kind.max) {
    throw new InvalidArgumentError(`${what}: ${objectIs(v, -0) ? '-0' : v} is not ${kind.name}`);
  }
  return v === 0 ? 0 : v; // -0 becomes 0
}

/** A function (a callback the package will call later): anything else is a TypeError now, not a failure then. */
export function callable(v: unknown, what: string): (...args: never[]) => unknown {
  if (typeof v !== 'function') throw new TypeError(`${what}: expected a function, got ${describe(v)}`);
  return v as (...args: never[]) => unknown;
}

/** A boolean, never truthiness. */
export function boolean(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${what}: expected true or false, got ${describe(v)}`);
  return v;
}

// ---- bytes ---------------------------------------------------------------------------------------

function detached(buffer: ArrayBuffer): boolean {
  if (abDetached) return apply(abDetached, buffer, []) as boolean;
  try {
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * A copy of the caller's bytes in a fresh Uint8Array. Accepts every typed array (Buffer, from any
 * realm), DataView, ArrayBuffer and SharedArrayBuffer; reads their extent only through the
 * intrinsic getters (never the object's own `length`, which a subclass or Proxy can make lie or
 * run code); refuses a detached buffer (it would read as empty).
 */
export function bytes(v: unknown, what: string, maxBytes = 0x7fffffff): Uint8Array {
  let buffer: ArrayBuffer;
  let offset = 0;
  let length: number;
  let tag: unknown;
  if (isView(v)) {
    tag = apply(taTag, v, []);
    if (tag !== undefined) {
      buffer = apply(taBuffer, v, []) as ArrayBuffer;
      offset = apply(taByteOffset, v, []) as number;
      length = apply(taByteLength, v, []) as number;
      // A view of a detached buffer, and a fixed-length view that a resizable buffer's resize()
      // left out of bounds, read as empty: only an empty view needs asking which it is.
      if (length === 0) {
        if (detached(buffer)) throw new InvalidArgumentError(`${what}: the bytes' buffer is detached`);
        try {
          apply(taKeys, v, []);
        } catch {
          throw new InvalidArgumentError(`${what}: the view is out of bounds of its (resized) buffer`);
        }
      }
    } else {
      buffer = apply(dvBuffer, v, []) as ArrayBuffer;
      if (detached(buffer)) throw new InvalidArgumentError(`${what}: the bytes' buffer is detached`);
      try {
        offset = apply(dvByteOffset, v, []) as number;
        length = apply(dvByteLength, v, []) as number;
      } catch {
        throw new InvalidArgumentError(`${what}: the DataView is out of bounds of its (resized) buffer`);
      }
    }
  } else {
    const n = bufferLength(v);
    if (n === null)
      throw new TypeError(`${what}: expected bytes (a Uint8Array, another typed array, a DataView or an ArrayBuffer), got ${describe(v)}`);
    buffer = v as ArrayBuffer;
    if (n === 0 && detached(buffer)) throw new InvalidArgumentError(`${what}: the buffer is detached`);
    length = n;
  }
  if (length > maxBytes) throw new InvalidArgumentError(`${what}: ${length} bytes, more than the ${maxBytes} allowed`);
  const out = new Uint8Array(length);
  // A Uint8Array (of any realm, a Buffer too) is copied as it is: set() reads a typed array source
  // through its internal slots, never its own properties. Other views are read as bytes.
  if (length > 0) apply(taSet, out, [tag === 'Uint8Array' ? v : new Uint8Array(buffer, offset, length)]);
  return out;
}

/** The byte length of a genuine ArrayBuffer or SharedArrayBuffer (any realm), else null. */
function bufferLength(v: unknown): number | null {
  if (v === null || typeof v !== 'object') return null;
  try {
    return apply(abByteLength, v, []) as number;
  } catch {}
  if (sabByteLength) {
    try {
      return apply(sabByteLength, v, []) as number;
    } catch {}
  }
  return null;
}

/** Bytes, or a string taken as its UTF-8 and checked like a C string (PEM text). */
export function bytesOrText(v: unknown, what: string): Uint8Array {
  return typeof v === 'string' ? cString(v, what) : bytes(v, what);
}

/** Bytes, or a string sent as its UTF-8 (application data, which travels with its length: NUL is data). */
export function bytesOrData(v: unknown, what: string): Uint8Array {
  return typeof v === 'string' ? utf8(v, what) : bytes(v, what);
}

// ---- records -------------------------------------------------------------------------------------

/**
 * The value of `v`'s own property `k`, read once (a getter or a Proxy's traps run here), or
 * undefined when `v` has no such own property. Never inherited: a polluted Object.prototype
 * (`Object.prototype.verify = false`) or Array.prototype (a hole in a list) is no one's option.
 */
function own(v: object, k: PropertyKey): { value: unknown } | undefined {
  const d = getOwnDescriptor(v, k);
  if (d === undefined) return undefined;
  return { value: d.get !== undefined ? apply(d.get, v, []) : d.value };
}

/**
 * Reads an options object's own properties once, into a plain object with a null prototype: a
 * getter or Proxy runs here (during conversion), and never again later. Unknown keys are ignored,
 * or with `exact` refused (InvalidArgumentError): a misspelt security option (`ticket: false`,
 * `minVerison`) must not leave its default silently in place. A key the caller wrote out as
 * undefined is kept as undefined (so "given as undefined" can be told from "left out" without
 * reading the caller's object again).
 */
export function record(v: unknown, what: string, keys: readonly string[], options: { exact?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  if (v === undefined) return out;
  if (v === null || typeof v !== 'object') throw new TypeError(`${what}: expected an options object, got ${describe(v)}`);
  if (options.exact) {
    for (const k of ownKeys(v)) {
      if (typeof k === 'string' && !apply(arrayIncludes, keys, [k])) {
        throw new InvalidArgumentError(
          `${what}: unknown option '${k.length > 40 ? `${k.slice(0, 40)}...` : k}' (the options are ${keys.join(', ')})`,
        );
      }
    }
  }
  for (const k of keys) {
    const found = own(v, k);
    if (found !== undefined) out[k] = found.value;
  }
  return out;
}

/**
 * The container of converted values: a null prototype, so that a field the caller left out is
 * missing, not filled in by a polluted Object.prototype (`Object.prototype.tickets = false`).
 */
export function plain<T extends object>(fields: T): T {
  return Object.assign(Object.create(null) as T, fields);
}

/** An array's own elements, read once into a fresh array (the caller's array may be a Proxy; a hole reads as undefined). */
export function list<T>(v: unknown, what: string, element: (x: unknown, what: string) => T, max = 1024): T[] {
  if (!Array.isArray(v)) throw new TypeError(`${what}: expected an array, got ${describe(v)}`);
  const n = own(v, 'length')?.value;
  if (typeof n !== 'number' || !isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`${what}: at most ${max} entries`);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(element(own(v, i)?.value, `${what}[${i}]`));
  return out;
}
