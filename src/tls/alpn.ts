// ALPN's wire form, shared by contexts and connections (its own room, so neither imports the other for it).
import { InvalidArgumentError } from '../errors.js';

/** ALPN wire format: length-prefixed names. */
export function alpnWire(names: string[]): Uint8Array {
  const parts = names.map((n) => new TextEncoder().encode(n));
  for (const p of parts) if (p.length === 0 || p.length > 255) throw new InvalidArgumentError('ALPN names must be 1..255 bytes');
  const out = new Uint8Array(parts.reduce((n, p) => n + 1 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out[at++] = p.length;
    out.set(p, at);
    at += p.length;
  }
  return out;
}
