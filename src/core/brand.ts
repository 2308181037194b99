/**
 * Who made an object. Internals live in module WeakMaps, so an object from another copy of this
 * package (a second install, a bundle that inlined it) is in none of ours. Every copy also files
 * the objects it makes in one registry shared through a Symbol.for key on globalThis: an object
 * found there but not in this copy's maps is another copy's (ForeignObjectError); one found in
 * neither is not a session at all (TypeError). A registry lookup runs no code of the object's own
 * (a Proxy's traps, a getter), unlike reading a brand property would.
 */
import { ForeignObjectError, IllegalConstructorError } from '../errors.js';
import { describe } from './convert.js';

export type BrandName = 'Session' | 'SessionView' | 'Context' | 'Connection' | 'OpenSSL' | 'Ledger';

const REGISTRY = Symbol.for('openssl-session-wasm.objects');
const apply = Reflect.apply;
const weakGet = WeakMap.prototype.get;
const weakSet = WeakMap.prototype.set;

function sharedRegistry(): WeakMap<object, BrandName> {
  const g = globalThis as unknown as Record<symbol, unknown>;
  const found = Object.getOwnPropertyDescriptor(g, REGISTRY)?.value;
  if (found instanceof WeakMap) return found as WeakMap<object, BrandName>;
  const made = new WeakMap<object, BrandName>();
  Object.defineProperty(g, REGISTRY, { value: made, enumerable: false, writable: false, configurable: false });
  return made;
}
const registry = sharedRegistry();

/** Files an object this copy made under its kind, for every copy to recognise. */
export function brand(object: object, name: BrandName): void {
  apply(weakSet, registry, [object, name]);
}

/**
 * The refusal for a value that is none of this copy's objects of the `kinds` expected:
 * ForeignObjectError when another copy of the package made one of those, a TypeError otherwise
 * (a value of another kind, from any copy, included). Only called once this copy's own maps
 * did not know the value as one of `kinds`.
 */
export function notOurs(v: unknown, op: string, expected: string, kinds: readonly BrandName[]): Error {
  const theirs = v !== null && typeof v === 'object' ? (apply(weakGet, registry, [v]) as BrandName | undefined) : undefined;
  if (theirs !== undefined && !kinds.includes(theirs)) return new TypeError(`${op}: expected ${expected}, got a ${theirs}`);
  if (theirs !== undefined) {
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
