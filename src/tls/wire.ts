/**
 * Values both contexts and connections put on the wire, converted once: protocol versions and
 * ALPN lists. A room of its own so that neither imports the other for them.
 */
import { cString, describe, integer, list, NUMBER_KINDS } from '../core/convert.js';
import { InvalidArgumentError } from '../errors.js';

export type ProtocolVersion = 'TLSv1.2' | 'TLSv1.3' | number;

/** OpenSSL's number of a protocol version ('TLSv1.3' -> 0x0304); 0 means "no bound". */
export function protocolNumber(v: unknown, what = 'protocol version'): number {
  if (v === 'TLSv1.2') return 0x0303;
  if (v === 'TLSv1.3') return 0x0304;
  if (typeof v === 'number') return integer(v, NUMBER_KINDS.protocolVersion, what);
  if (typeof v === 'string') throw new InvalidArgumentError(`${what}: unknown protocol version (use 'TLSv1.2' or 'TLSv1.3')`);
  throw new TypeError(`${what}: expected 'TLSv1.2', 'TLSv1.3' or a protocol number, got ${describe(v)}`);
}

/** One ALPN protocol name: 1..255 bytes of UTF-8, no NUL, no lone surrogate. */
function alpnName(v: unknown, what: string): Uint8Array {
  const bytes = cString(v, what, 255);
  if (bytes.length === 0) throw new InvalidArgumentError(`${what}: ALPN names must be 1..255 bytes`);
  return bytes;
}

/** A list of ALPN names, read once, as the names and their wire format (length-prefixed). */
export function alpnList(v: unknown, what = 'alpn'): { names: string[]; wire: Uint8Array } {
  const parts = list(v, what, alpnName, 1024);
  const wire = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    wire[at++] = p.length;
    wire.set(p, at);
    at += p.length;
  }
  const decoder = new TextDecoder();
  return { names: parts.map((p) => decoder.decode(p)), wire };
}

/** ALPN wire format of `names` (length-prefixed). */
export function alpnWire(names: unknown): Uint8Array {
  return alpnList(names).wire;
}
