/**
 * Who made an object. Internals live in module WeakMaps, so an object from another copy of this
 * package (a second install, a bundle that inlined it) is in none of ours; the brand, registered
 * with Symbol.for and set on the classes' prototypes (never on instances), tells such an object
 * apart from a value that is not ours at all: the first is a ForeignObjectError, the second a
 * TypeError.
 */
import { ForeignObjectError, IllegalConstructorError } from '../errors.js';
import { describe } from './convert.js';

export const BRAND = Symbol.for('openssl-session-wasm.brand');

export type BrandName = 'Session' | 'SessionView' | 'Context' | 'Connection' | 'OpenSSL' | 'Ledger';

/** Marks a class's prototype with its brand (not enumerable, not an own property of instances). */
export function brand(cls: { prototype: object }, name: BrandName): void {
  Object.defineProperty(cls.prototype, BRAND, { value: name, enumerable: false, writable: false, configurable: false });
}

/**
 * The refusal for a value that is none of this copy's objects: ForeignObjectError when another
 * copy of the package made it, a TypeError otherwise. Reading the brand may run a Proxy's code;
 * it runs during conversion, before any handle is checked.
 */
export function notOurs(v: unknown, op: string, expected: string): Error {
  let theirs: unknown;
  if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
    try {
      theirs = (v as Record<symbol, unknown>)[BRAND];
    } catch {
      theirs = undefined;
    }
  }
  if (typeof theirs === 'string') {
    return new ForeignObjectError(
      `${op}: this ${theirs} was made by another copy of openssl-session-wasm (another install or bundle, with its own instances); objects never cross copies or instances`,
      '?',
    );
  }
  return new TypeError(
    `${op}: expected ${expected}, got ${typeof v === 'number' ? `the number ${v} (raw pointers are not accepted)` : describe(v)}`,
  );
}

/** Guards an exported class's constructor: instances come only from the package's own functions. */
export const CONSTRUCT = Symbol('construct');

export function refuseConstruction(token: unknown, name: string, how: string): void {
  if (token !== CONSTRUCT) throw new IllegalConstructorError(`${name} cannot be constructed directly: ${how}`);
}
